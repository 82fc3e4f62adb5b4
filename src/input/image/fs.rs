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
//! Bytes: the files the index pass kept (`load::Keep`: shared objects,
//! loaders, the cache) are in memory; any other file is read from its
//! layer only if the simulation asks for its bytes ([`Content::Deferred`]):
//! a program whose object was parsed as its layer streamed past is never
//! read again.

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
        self.lookup(path)
            .map(|id| self.image.tree().path_of(id))
            .map_err(|e| TreeError::new(path, e))
    }
}
