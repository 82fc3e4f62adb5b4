//! An image's merged tree as an [`input::Tree`](crate::input::Tree): what
//! the load simulation reads through, so that it runs inside `--image`
//! exactly as under `--root` over the image unpacked.
//!
//! Lookups are the image tree's own (symlinks followed inside the image,
//! at most 40; `..` never above `/`), with the errors the kernel gives for
//! the same paths over the unpacked tree: `ENOENT`, `ELOOP`, `ENOTDIR`,
//! `ENAMETOOLONG` (a path of `PATH_MAX` bytes or more, a component longer
//! than `NAME_MAX`), `EINVAL` (a NUL byte). Permissions are those of root
//! reading the unpacked image: no `EACCES` (the interpreter's execute bit
//! is the simulation's own check, from the mode kept here). A regular file
//! larger than `--max-file-size` is `EFBIG`: it is never held in memory.
//!
//! Bytes: what a loader reads whole (its own file, `ld.so.cache`, musl's
//! path file) was fetched for the simulation and is in memory (see
//! [`super::loadset`]); any other file is read from its layer only if the
//! simulation asks for its bytes ([`Content::Deferred`]), which it does not
//! for a file it was handed parsed (the programs, the libraries fetched).

use std::sync::Arc;

use super::load::Loaded;
use super::tree::{Entry, LookupError, NodeId};
use crate::input::tree::{Content, Deferred, Node, PATH_MAX, Tree, TreeError};
use crate::input::{FileId, escape_bytes};

/// `NAME_MAX`: the longest name of one path component.
const NAME_MAX: usize = 255;

/// The `dev` of every node of an image (no device on this machine has it).
const IMAGE_DEV: u64 = u64::MAX;

/// Node numbers of directories and special files start here, above every
/// regular file's inode number (a `u32`).
const NODE_INO_BASE: u64 = 1 << 32;

/// An image's merged tree, read as the top of a tree.
#[derive(Debug, Clone)]
pub struct ImageTree {
    image: Arc<Loaded>,
}

impl ImageTree {
    pub fn new(image: Arc<Loaded>) -> Self {
        ImageTree { image }
    }

    /// The node `path` leads to, every symlink followed, or the `errno` of
    /// the same lookup over the unpacked tree.
    fn lookup(&self, path: &[u8]) -> Result<NodeId, i32> {
        if path.len() >= PATH_MAX {
            return Err(libc::ENAMETOOLONG);
        }
        self.resolve(path)
    }

    /// [`ImageTree::lookup`] without the limit on the whole path's length,
    /// which `DiskTree::canonical` (a walk one component at a time) does
    /// not meet either.
    fn resolve(&self, path: &[u8]) -> Result<NodeId, i32> {
        if path.contains(&0) {
            return Err(libc::EINVAL);
        }
        let tree = self.image.tree();
        // The kernel refuses a long component when it gets to it: after the
        // components before it were found, and were directories.
        let long = path
            .split(|&b| b == b'/')
            .scan(0usize, |at, c| {
                let start = *at;
                *at = at.saturating_add(c.len()).saturating_add(1);
                Some((start, c))
            })
            .find(|(_, c)| c.len() > NAME_MAX);
        if let Some((start, _)) = long {
            let before = path.get(..start).unwrap_or_default();
            let dir = tree.lookup_node(before).map_err(errno)?;
            return Err(match tree.entry(dir) {
                Entry::Dir => libc::ENAMETOOLONG,
                _ => libc::ENOTDIR,
            });
        }
        tree.lookup_node(path).map_err(errno)
    }
}

/// The `errno` a failed lookup stands for.
fn errno(e: LookupError) -> i32 {
    match e {
        LookupError::NotFound(_) => libc::ENOENT,
        LookupError::NotDir => libc::ENOTDIR,
        // A maze that spent the image's resolution budget is a loop too.
        LookupError::Loop | LookupError::Budget => libc::ELOOP,
    }
}

impl Tree for ImageTree {
    fn open(&self, path: &[u8]) -> Result<Node, TreeError> {
        let err = |e: i32| TreeError::new(path, e);
        let id = self.lookup(path).map_err(err)?;
        let tree = self.image.tree();
        let node = |mode: u32| Node {
            dev: IMAGE_DEV,
            ino: NODE_INO_BASE.saturating_add(u64::from(id)),
            mode,
            len: 0,
            id: FileId::synthetic(IMAGE_DEV, NODE_INO_BASE.saturating_add(u64::from(id)), 0),
            content: None,
        };
        Ok(match tree.entry(id) {
            Entry::File { inode, .. } => {
                let Some(i) = tree.inode(inode).copied() else {
                    return Err(err(libc::EIO));
                };
                if i.size > self.image.max_file_size() {
                    return Err(err(libc::EFBIG));
                }
                let content = match self.image.kept(inode) {
                    Some(bytes) => Content::Bytes(bytes),
                    None => {
                        let image = Arc::clone(&self.image);
                        let shown = escape_bytes(path);
                        Content::Deferred(Deferred::new(move || {
                            image
                                .read_inode(inode, &shown)
                                .map(Arc::from)
                                .map_err(|e| e.to_string())
                        }))
                    }
                };
                Node {
                    dev: IMAGE_DEV,
                    ino: u64::from(inode),
                    mode: libc::S_IFREG | (i.mode & 0o7777),
                    len: i.size,
                    id: FileId::in_image(inode),
                    content: Some(content),
                }
            }
            Entry::Dir => node(libc::S_IFDIR | 0o755),
            Entry::Other(kind) => node(
                match kind {
                    "FIFO" => libc::S_IFIFO,
                    "block device" => libc::S_IFBLK,
                    "socket" => libc::S_IFSOCK,
                    _ => libc::S_IFCHR,
                } | 0o644,
            ),
            // `lookup_node` follows every symlink.
            Entry::Symlink(_) => return Err(err(libc::ELOOP)),
        })
    }

    fn canonical(&self, path: &[u8]) -> Result<Vec<u8>, TreeError> {
        self.resolve(path)
            .map(|id| self.image.tree().path_of(id))
            .map_err(|e| TreeError::new(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::load::tests::layout;
    use super::super::tar::tests::entry;
    use super::*;
    use crate::input::tree::DiskTree;

    /// The same small tree as an image and on disk: for every path, the
    /// image gives what the kernel gives over the unpacked tree (the
    /// oracle), but for the file too large to hold.
    #[test]
    fn opens_like_the_kernel_over_the_unpacked_tree() {
        let d = tempfile::tempdir().unwrap();
        let libc = vec![7u8; 500];
        let mut one = entry(b"lib/", b'5', b"", b"");
        one.extend(entry(b"lib/libc.so.6", b'0', &libc, b""));
        one.extend(entry(b"lib64", b'2', b"", b"/lib"));
        one.extend(entry(b"lib/up", b'2', b"", b"../../../lib/libc.so.6"));
        one.extend(entry(b"loop1", b'2', b"", b"loop2"));
        one.extend(entry(b"loop2", b'2', b"", b"loop1"));
        one.extend(entry(b"dangling", b'2', b"", b"/nowhere"));
        one.extend(entry(b"big", b'0', &[1u8; 2000], b""));
        one.extend(entry(b"gone", b'0', b"old", b""));
        let two = entry(b".wh.gone", b'0', b"", b"");
        let lay = d.path().join("lay");
        std::fs::create_dir_all(&lay).unwrap();
        layout(&lay, &[one, two]);
        let image = super::super::open(&format!("oci:{}", lay.display()), None, "amd64")
            .unwrap()
            .load(&[], 1000, &|_, _| {})
            .unwrap();
        let t = ImageTree::new(image);

        let root = d.path().join("root");
        std::fs::create_dir_all(root.join("lib")).unwrap();
        std::fs::write(root.join("lib/libc.so.6"), &libc).unwrap();
        std::fs::write(root.join("big"), [1u8; 2000]).unwrap();
        let link = |to: &str, at: &str| std::os::unix::fs::symlink(to, root.join(at)).unwrap();
        link("/lib", "lib64");
        link("../../../lib/libc.so.6", "lib/up");
        link("loop2", "loop1");
        link("loop1", "loop2");
        link("/nowhere", "dangling");
        let disk = DiskTree::open(&root).unwrap();

        let long_name = format!("/lib/{}", "n".repeat(300));
        let long_after_missing = format!("/nope/{}", "n".repeat(300));
        let long_after_file = format!("/lib/libc.so.6/{}", "n".repeat(300));
        let long_path = format!("/{}", "a/".repeat(2100));
        let paths = [
            "/lib/libc.so.6",
            "/lib64/libc.so.6",
            "/lib64/../lib64/libc.so.6",
            "/../../lib/up",
            "lib/up",
            "/lib",
            "/",
            "/nope",
            "/gone",
            "/dangling",
            "/lib/libc.so.6/x",
            "/loop1",
            "/loop1/x",
            "/lib64/nope/x",
            "/lib/libc\0.so",
            &long_name,
            &long_after_missing,
            &long_after_file,
            &long_path,
        ];
        // Type, and length of a regular file (a directory's is the disk's).
        let kind = |r: Result<Node, TreeError>| {
            r.map(|n| {
                let t = n.mode & libc::S_IFMT;
                (t, if t == libc::S_IFREG { n.len } else { 0 })
            })
        };
        for p in paths {
            let p = p.as_bytes();
            let shown = escape_bytes(p);
            assert_eq!(kind(t.open(p)), kind(disk.open(p)), "open {shown}");
            assert_eq!(t.canonical(p), disk.canonical(p), "canonical {shown}");
            if let (Ok(a), Ok(b)) = (t.read_small(p, 1 << 20), disk.read_small(p, 1 << 20)) {
                assert_eq!(a, b, "bytes of {shown}");
            }
        }
        // One file by two paths is one file.
        let (a, b) = (
            t.open(b"/lib64/libc.so.6").unwrap(),
            t.open(b"/lib/up").unwrap(),
        );
        assert_eq!((a.dev, a.ino, a.id), (b.dev, b.ino, b.id));
        assert_ne!(t.open(b"/lib").unwrap().ino, a.ino);
        // Not held before it is read.
        assert!(matches!(a.content, Some(Content::Deferred(_))));
        assert_eq!(
            t.read_small(b"/lib/libc.so.6", 499).unwrap_err().errno,
            libc::EFBIG
        );
        // Over --max-file-size: never read.
        assert_eq!(t.open(b"/big").unwrap_err().errno, libc::EFBIG);
    }
}
