//! A file tree that paths are resolved in as if its top were `/`: the one
//! resolver for every path inside `--root` (targets, symlinks met while
//! walking, and the many paths the load simulation tries).
//!
//! [`Tree`] is the seam the loader simulation (`crate::load`) reads
//! through: open an in-tree path with symlinks followed inside the tree,
//! learn what it is (identity, mode, length) and read it; resolve a path to
//! the in-tree path it names; read a small file whole. [`DiskTree`] is the
//! directory on this machine; an image read into memory is another
//! implementation of the same three calls.
//!
//! Resolution on disk never leaves the top directory, not even when a
//! directory is swapped for a symlink while elfgate runs:
//!
//! - where the kernel has it (Linux 5.6+), `openat2(top, path,
//!   RESOLVE_IN_ROOT)`: the kernel scopes `/`, `..` and absolute symlinks to
//!   `top` and detects renames that would let `..` escape;
//! - elsewhere, a walk one component at a time, each opened with
//!   `O_NOFOLLOW` relative to the descriptor of the directory before it,
//!   each symlink read with `readlinkat` on that descriptor and expanded by
//!   the walk itself. `..` walks down again from the top by name (never
//!   `openat(dir, "..")`, which a directory moved out of the tree would
//!   follow outside). No full path is ever handed to the kernel to resolve.
//!
//! Paths are bytes (`&[u8]`): names from ELF files need not be UTF-8.

use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use super::FileId;

/// Linux's own limit on symlinks followed in one lookup (`MAXSYMLINKS`).
pub const MAX_SYMLINKS: usize = 40;

/// `PATH_MAX`: the kernel refuses a path of this many bytes or more.
pub const PATH_MAX: usize = 4096;

/// A file tree, read as if its top were `/`.
///
/// Paths are absolute inside the tree (a relative path is taken from the
/// top). `..` never climbs above the top; absolute symlinks restart at the
/// top. Implementations never block (a FIFO is reported, not opened for
/// reading) and never open a device.
pub trait Tree: Send + Sync + std::fmt::Debug {
    /// Opens `path`, following symlinks inside the tree (at most
    /// [`MAX_SYMLINKS`]). Any file type is found; only a regular file comes
    /// with [`Node::content`].
    fn open(&self, path: &[u8]) -> Result<Node, TreeError>;

    /// [`Tree::open`], leaving a regular file's [`Node::content`] out when
    /// getting it costs work (opening a file on disk): a caller that holds
    /// what it parsed of that file (same [`Node::id`]) never needs it, and
    /// asks [`Tree::content`] otherwise.
    fn stat(&self, path: &[u8]) -> Result<Node, TreeError> {
        self.open(path)
    }

    /// The content of the regular file `node` that [`Tree::stat`] found at
    /// `path`: an `EAGAIN` error when the path now leads to another file.
    fn content(&self, path: &[u8], node: &Node) -> Result<Content, TreeError> {
        let again = self.open(path)?;
        match again.content {
            Some(c) if again.id == node.id => Ok(c),
            _ => Err(TreeError::new(path, libc::EAGAIN)),
        }
    }

    /// The in-tree path `path` resolves to (absolute, without symlinks, `.`
    /// or `..`): what `/proc/self/exe` would say in a container of this tree.
    fn canonical(&self, path: &[u8]) -> Result<Vec<u8>, TreeError>;

    /// The whole of a regular file of at most `limit` bytes; a larger file
    /// is an `EFBIG` error, so a hostile file cannot cost more than `limit`.
    fn read_small(&self, path: &[u8], limit: u64) -> Result<Vec<u8>, TreeError> {
        let node = self.open(path)?;
        let too_big = || TreeError::new(path, Errno::FBIG.raw_os_error());
        if node.len > limit {
            return Err(too_big());
        }
        match node.content {
            Some(Content::Bytes(b)) => Ok(b.to_vec()),
            Some(Content::File(f)) => read_file(&f, limit)
                .map_err(|e| TreeError::new(path, e.raw_os_error().unwrap_or(libc::EIO))),
            Some(Content::Deferred(d)) => match d.read() {
                Ok(b) if b.len() as u64 > limit => Err(too_big()),
                Ok(b) => Ok(b.to_vec()),
                Err(_) => Err(TreeError::new(path, libc::EIO)),
            },
            None if is_dir(node.mode) => Err(TreeError::new(path, libc::EISDIR)),
            None => Err(TreeError::new(path, libc::EINVAL)),
        }
    }
}

/// What an open found.
#[derive(Debug)]
pub struct Node {
    /// Device and inode: what loaders compare to tell two paths to one file.
    pub dev: u64,
    pub ino: u64,
    /// `st_mode` (type and permission bits).
    pub mode: u32,
    /// Length in bytes when it was opened.
    pub len: u64,
    /// The file and this version of it, to share what was read from it.
    pub id: FileId,
    /// The bytes of a regular file; `None` for anything else.
    pub content: Option<Content>,
}

impl Node {
    /// Whether this is a regular file.
    pub fn is_file(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFREG
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        is_dir(self.mode)
    }
}

fn is_dir(mode: u32) -> bool {
    mode & libc::S_IFMT == libc::S_IFDIR
}

/// Where a regular file's bytes are.
#[derive(Debug)]
pub enum Content {
    /// An open file on disk, read with bounded positional reads.
    File(File),
    /// Bytes already in memory.
    Bytes(Arc<[u8]>),
    /// Bytes read only if asked for: a file of an image whose layer must be
    /// streamed again to reach it, which a caller holding what it parsed
    /// from the same file before never needs.
    Deferred(Deferred),
}

/// How to read a file's bytes later (once); the error says why they could
/// not be read.
pub struct Deferred(Box<dyn FnOnce() -> Result<Arc<[u8]>, String> + Send>);

impl Deferred {
    pub fn new(read: impl FnOnce() -> Result<Arc<[u8]>, String> + Send + 'static) -> Self {
        Deferred(Box::new(read))
    }

    /// Reads the bytes now.
    pub fn read(self) -> Result<Arc<[u8]>, String> {
        (self.0)()
    }
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deferred")
    }
}

/// Why a path could not be opened: the `errno` a process would have met,
/// so that callers can follow a loader's rules (glibc goes on after
/// `ENOENT`, `EACCES` and `ENOTDIR`, and stops on anything else).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {}", super::errtext::glibc(*.errno))]
pub struct TreeError {
    /// The path as asked for, escaped for display.
    pub path: String,
    pub errno: i32,
}

impl TreeError {
    pub fn new(path: &[u8], errno: i32) -> Self {
        TreeError {
            path: super::escape_bytes(path),
            errno,
        }
    }

    /// `ENOENT`.
    pub fn is_not_found(&self) -> bool {
        self.errno == libc::ENOENT
    }
}

/// How `openat2` fared so far: not tried, works, or missing (an old
/// kernel, or a seccomp filter that refuses it).
const OPENAT2_UNKNOWN: u8 = 0;
const OPENAT2_WORKS: u8 = 1;
const OPENAT2_MISSING: u8 = 2;

/// How many times a lookup that met a concurrent rename (`EAGAIN` from
/// `openat2`, or a symlink appearing between two calls of the walk) is
/// tried again before it fails.
const RETRIES: usize = 8;

/// Whether symlinks may be followed: inside the tree, or not at all (for a
/// path this resolver already resolved, which must not change meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    InTree,
    Never,
}

/// A directory on this machine, read as the top of a tree.
#[derive(Debug)]
pub struct DiskTree {
    top: OwnedFd,
    path: PathBuf,
    openat2: AtomicU8,
}

impl DiskTree {
    /// Opens `path` (a directory) as the top of a tree.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let top = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(DiskTree {
            top,
            path: path.to_path_buf(),
            openat2: AtomicU8::new(OPENAT2_UNKNOWN),
        })
    }

    /// The same, resolving with the component walk only (as on a kernel
    /// without `openat2`), so tests can exercise both.
    pub fn open_walk_only(path: &Path) -> std::io::Result<Self> {
        let t = DiskTree::open(path)?;
        t.openat2.store(OPENAT2_MISSING, Ordering::Relaxed);
        Ok(t)
    }

    /// The host path of the top directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens `path` inside the tree with `flags` (`O_NOFOLLOW` is added:
    /// a final symlink is expanded by the resolver, not the kernel).
    pub fn open_fd(&self, path: &[u8], flags: OFlags, follow: Follow) -> Result<OwnedFd, Errno> {
        if path.len() >= PATH_MAX {
            return Err(Errno::NAMETOOLONG);
        }
        if path.contains(&0) {
            return Err(Errno::INVAL);
        }
        if self.openat2.load(Ordering::Relaxed) != OPENAT2_MISSING {
            match self.openat2(path, flags, follow) {
                Ok(fd) => {
                    self.openat2.store(OPENAT2_WORKS, Ordering::Relaxed);
                    return Ok(fd);
                }
                // No openat2 here (or a seccomp filter refusing it): walk,
                // now and from now on.
                Err(Errno::NOSYS | Errno::PERM | Errno::INVAL | Errno::TOOBIG)
                    if self.openat2.load(Ordering::Relaxed) == OPENAT2_UNKNOWN =>
                {
                    self.openat2.store(OPENAT2_MISSING, Ordering::Relaxed);
                }
                // A rename raced with `..` every time: the walk decides.
                Err(Errno::AGAIN) => {}
                Err(e) => return Err(e),
            }
        }
        self.walk(path, follow, Some(flags)).map(|w| w.fd)
    }

    fn openat2(&self, path: &[u8], flags: OFlags, follow: Follow) -> Result<OwnedFd, Errno> {
        let mut resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        if follow == Follow::Never {
            resolve |= ResolveFlags::NO_SYMLINKS;
        }
        let rel = relative(path);
        let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut last = Errno::AGAIN;
        for _ in 0..RETRIES {
            // O_NOFOLLOW with RESOLVE_IN_ROOT would refuse a final symlink;
            // the kernel expands it inside the root when following.
            let f = if follow == Follow::InTree {
                flags.difference(OFlags::NOFOLLOW)
            } else {
                flags
            };
            match rustix::fs::openat2(&self.top, rel.as_c_str(), f, Mode::empty(), resolve) {
                Err(Errno::AGAIN) => last = Errno::AGAIN,
                r => return r,
            }
        }
        Err(last)
    }

    /// Resolves `path` one component at a time (see the module comment).
    /// With `open`, the final component is opened with those flags;
    /// otherwise it is opened `O_PATH` (it may be anything).
    fn walk(&self, path: &[u8], follow: Follow, open: Option<OFlags>) -> Result<Walked, Errno> {
        let mut w = Walk {
            tree: self,
            pending: components(path),
            resolved: Vec::new(),
            dir: None,
            links: 0,
        };
        w.run(follow, open)
    }

    /// Resolves `path` inside the tree, following every symlink: the
    /// in-tree path it names, as absolute bytes. On error, also says how far
    /// resolution got (for messages: where a dangling symlink led).
    pub fn resolve(&self, path: &[u8]) -> Result<Vec<u8>, Unresolved> {
        let mut w = Walk {
            tree: self,
            pending: components(path),
            resolved: Vec::new(),
            dir: None,
            links: 0,
        };
        match w.run(Follow::InTree, None) {
            Ok(done) => Ok(join(&done.resolved)),
            Err(errno) => Err(Unresolved {
                errno,
                at: join(&w.resolved),
                links: w.links,
            }),
        }
    }
}

/// How far a failed resolution got.
#[derive(Debug, Clone)]
pub struct Unresolved {
    pub errno: Errno,
    /// The in-tree path resolved so far, with the component that failed.
    pub at: Vec<u8>,
    /// How many symlinks were followed before the failure.
    pub links: usize,
}

impl Tree for DiskTree {
    fn open(&self, path: &[u8]) -> Result<Node, TreeError> {
        let mut node = self.stat(path)?;
        if node.is_file() {
            node.content = Some(self.content(path, &node)?);
        }
        Ok(node)
    }

    fn stat(&self, path: &[u8]) -> Result<Node, TreeError> {
        let err = |e: Errno| TreeError::new(path, e.raw_os_error());
        // O_PATH first: a device or FIFO is looked at, never opened.
        let fd = self
            .open_fd(path, OFlags::PATH, Follow::InTree)
            .map_err(err)?;
        let st = rustix::fs::fstat(&fd).map_err(err)?;
        Ok(node_of(&st))
    }

    fn content(&self, path: &[u8], node: &Node) -> Result<Content, TreeError> {
        let err = |e: Errno| TreeError::new(path, e.raw_os_error());
        // The same path again, for reading; it must still be the same file.
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY;
        let fd = self.open_fd(path, flags, Follow::InTree).map_err(err)?;
        let again = rustix::fs::fstat(&fd).map_err(err)?;
        if FileId::of_stat(&again) != node.id
            || FileType::from_raw_mode(again.st_mode) != FileType::RegularFile
        {
            // Replaced (or changed) between the two opens: reported like a
            // lookup race.
            return Err(err(Errno::AGAIN));
        }
        Ok(Content::File(File::from(fd)))
    }

    fn canonical(&self, path: &[u8]) -> Result<Vec<u8>, TreeError> {
        self.resolve(path)
            .map_err(|u| TreeError::new(path, u.errno.raw_os_error()))
    }
}

/// A tree with nothing in it: every path is missing.
#[derive(Debug)]
pub struct EmptyTree;

impl Tree for EmptyTree {
    fn open(&self, path: &[u8]) -> Result<Node, TreeError> {
        Err(TreeError::new(path, libc::ENOENT))
    }

    fn canonical(&self, path: &[u8]) -> Result<Vec<u8>, TreeError> {
        Err(TreeError::new(path, libc::ENOENT))
    }
}

fn node_of(st: &rustix::fs::Stat) -> Node {
    Node {
        dev: st.st_dev,
        ino: st.st_ino,
        mode: st.st_mode,
        len: u64::try_from(st.st_size).unwrap_or(0),
        id: FileId::of_stat(st),
        content: None,
    }
}

/// What a walk reached: the final descriptor and the resolved components.
struct Walked {
    fd: OwnedFd,
    resolved: Vec<Vec<u8>>,
}

/// The state of one component-by-component resolution.
struct Walk<'t> {
    tree: &'t DiskTree,
    /// Components still to resolve, in order.
    pending: std::collections::VecDeque<Vec<u8>>,
    /// Real directories (no symlinks) from the top down to `dir`.
    resolved: Vec<Vec<u8>>,
    /// The descriptor of the last of `resolved`; `None` is the top.
    dir: Option<OwnedFd>,
    links: usize,
}

impl Walk<'_> {
    fn dir(&self) -> BorrowedFd<'_> {
        match &self.dir {
            Some(d) => d.as_fd(),
            None => self.tree.top.as_fd(),
        }
    }

    fn run(&mut self, follow: Follow, open: Option<OFlags>) -> Result<Walked, Errno> {
        let mut retries = 0usize;
        loop {
            let Some(comp) = self.pending.pop_front() else {
                // The path named a directory (or the top): open it itself.
                let fd = self.reopen_dir(open)?;
                return Ok(Walked {
                    fd,
                    resolved: std::mem::take(&mut self.resolved),
                });
            };
            if comp == b".." {
                if self.resolved.pop().is_some() {
                    self.dir = self.descend_from_top()?;
                }
                continue;
            }
            let last = self.pending.is_empty();
            let c = cstring(&comp)?;
            let final_flags = open.unwrap_or(OFlags::PATH);
            let flags = if last {
                final_flags | OFlags::NOFOLLOW | OFlags::CLOEXEC
            } else {
                OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
            };
            match rustix::fs::openat(self.dir(), c.as_c_str(), flags, Mode::empty()) {
                Ok(fd) if last && final_flags.contains(OFlags::PATH) => {
                    // O_PATH|O_NOFOLLOW opens a symlink itself: look.
                    let st = rustix::fs::fstat(&fd)?;
                    if FileType::from_raw_mode(st.st_mode) == FileType::Symlink {
                        if follow == Follow::Never {
                            return Err(Errno::LOOP);
                        }
                        let target = rustix::fs::readlinkat(&fd, c"", Vec::new())?;
                        self.follow_link(comp, target.as_bytes())?;
                        continue;
                    }
                    self.resolved.push(comp);
                    return Ok(Walked {
                        fd,
                        resolved: std::mem::take(&mut self.resolved),
                    });
                }
                Ok(fd) if last => {
                    self.resolved.push(comp);
                    return Ok(Walked {
                        fd,
                        resolved: std::mem::take(&mut self.resolved),
                    });
                }
                Ok(fd) => {
                    self.resolved.push(comp);
                    self.dir = Some(fd);
                }
                // A symlink (ELOOP with O_NOFOLLOW; ENOTDIR for a
                // directory-only open), or a file where a directory was
                // wanted: readlinkat tells.
                Err(e @ (Errno::LOOP | Errno::NOTDIR)) => {
                    match rustix::fs::readlinkat(self.dir(), c.as_c_str(), Vec::new()) {
                        Ok(target) => {
                            if follow == Follow::Never {
                                return Err(Errno::LOOP);
                            }
                            self.follow_link(comp, target.as_bytes())?;
                        }
                        // Not a symlink after all: the first error stands,
                        // unless it was replaced in between (then again).
                        Err(Errno::INVAL) if e == Errno::LOOP && retries < RETRIES => {
                            retries += 1;
                            self.pending.push_front(comp);
                        }
                        Err(Errno::INVAL) => {
                            self.resolved.push(comp);
                            return Err(e);
                        }
                        Err(other) => {
                            self.resolved.push(comp);
                            return Err(other);
                        }
                    }
                }
                Err(e) => {
                    self.resolved.push(comp);
                    return Err(e);
                }
            }
        }
    }

    /// Replaces the symlink `comp` (in the current directory) by its target.
    fn follow_link(&mut self, comp: Vec<u8>, target: &[u8]) -> Result<(), Errno> {
        self.links += 1;
        if self.links > MAX_SYMLINKS {
            self.resolved.push(comp);
            return Err(Errno::LOOP);
        }
        if target.first() == Some(&b'/') {
            self.resolved.clear();
            self.dir = None;
        }
        let mut front = components(target);
        front.append(&mut self.pending);
        self.pending = front;
        Ok(())
    }

    /// Opens the directories of `resolved` again from the top, by name,
    /// none of them a symlink (after `..`).
    fn descend_from_top(&self) -> Result<Option<OwnedFd>, Errno> {
        let mut dir: Option<OwnedFd> = None;
        for comp in &self.resolved {
            let c = cstring(comp)?;
            let at = match &dir {
                Some(d) => d.as_fd(),
                None => self.tree.top.as_fd(),
            };
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            dir = Some(rustix::fs::openat(at, c.as_c_str(), flags, Mode::empty())?);
        }
        Ok(dir)
    }

    /// The current directory opened with `open` (or `O_PATH`).
    fn reopen_dir(&self, open: Option<OFlags>) -> Result<OwnedFd, Errno> {
        let flags = open.unwrap_or(OFlags::PATH) | OFlags::DIRECTORY | OFlags::CLOEXEC;
        rustix::fs::openat(self.dir(), c".", flags, Mode::empty())
    }
}

/// The normal and `..` components of a path; `/`, `.` and empty ones are dropped.
fn components(p: &[u8]) -> std::collections::VecDeque<Vec<u8>> {
    p.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .map(<[u8]>::to_vec)
        .collect()
}

/// `/a/b` from `[a, b]`; `/` from none.
fn join(comps: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in comps {
        out.push(b'/');
        out.extend_from_slice(c);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// `path` relative to the top, for `openat2` (which scopes it to the top
/// either way): `.` for the top itself.
fn relative(path: &[u8]) -> CString {
    let trimmed: &[u8] = {
        let mut p = path;
        while let Some(rest) = p.strip_prefix(b"/") {
            p = rest;
        }
        p
    };
    let bytes = if trimmed.is_empty() { b"." } else { trimmed };
    // Callers refused NULs already.
    CString::new(bytes).unwrap_or_default()
}

fn cstring(comp: &[u8]) -> Result<CString, Errno> {
    CString::new(comp).map_err(|_| Errno::INVAL)
}

/// Reads `f` from offset 0, failing if it holds more than `limit` bytes.
fn read_file(f: &File, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    // One byte more than the limit tells a file that grew past it.
    let cap = limit.saturating_add(1);
    f.take(cap).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(std::io::Error::from_raw_os_error(libc::EFBIG));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// Both resolvers: `openat2` (where the kernel has it) and the walk.
    fn trees(root: &Path) -> Vec<DiskTree> {
        vec![
            DiskTree::open(root).unwrap(),
            DiskTree::open_walk_only(root).unwrap(),
        ]
    }

    fn content(t: &DiskTree, path: &str) -> Result<Vec<u8>, i32> {
        t.read_small(path.as_bytes(), 1 << 20).map_err(|e| e.errno)
    }

    fn setup() -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("root");
        std::fs::create_dir_all(root.join("lib/sub")).unwrap();
        std::fs::create_dir_all(d.path().join("outside")).unwrap();
        std::fs::write(d.path().join("outside/secret"), b"outside").unwrap();
        std::fs::write(root.join("lib/libc.so.6"), b"inside").unwrap();
        (d, root)
    }

    #[test]
    fn symlinks_resolve_inside_the_tree() {
        let (d, root) = setup();
        let outside = d.path().join("outside");
        symlink("/lib/libc.so.6", root.join("lib/abs")).unwrap();
        symlink("../../../../../../lib/libc.so.6", root.join("lib/sub/up")).unwrap();
        symlink(outside.join("secret"), root.join("lib/host-abs")).unwrap();
        symlink("../../outside/secret", root.join("lib/host-rel")).unwrap();
        symlink("/lib", root.join("lib64")).unwrap();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();
        for t in trees(&root) {
            assert_eq!(content(&t, "/lib/abs").unwrap(), b"inside");
            assert_eq!(content(&t, "lib/sub/up").unwrap(), b"inside");
            assert_eq!(content(&t, "/lib64/abs").unwrap(), b"inside");
            assert_eq!(content(&t, "/lib64/sub/../libc.so.6").unwrap(), b"inside");
            assert_eq!(content(&t, "/../../lib/libc.so.6").unwrap(), b"inside");
            assert_eq!(content(&t, "/lib/host-abs"), Err(libc::ENOENT));
            assert_eq!(content(&t, "/lib/host-rel"), Err(libc::ENOENT));
            assert_eq!(content(&t, "/loop1"), Err(libc::ELOOP));
            assert_eq!(content(&t, "/lib/libc.so.6/x"), Err(libc::ENOTDIR));
            assert_eq!(content(&t, "/lib"), Err(libc::EISDIR));
            assert_eq!(
                t.canonical(b"/lib64/sub/up").unwrap(),
                b"/lib/libc.so.6".to_vec()
            );
            assert_eq!(t.canonical(b"/lib64/..").unwrap(), b"/".to_vec());
            let n = t.open(b"/lib64/abs").unwrap();
            let m = t.open(b"/lib/libc.so.6").unwrap();
            assert_eq!((n.dev, n.ino), (m.dev, m.ino));
            assert!(n.is_file() && n.content.is_some());
            assert!(t.open(b"/lib64").unwrap().is_dir());
        }
    }

    /// Paths the tree refuses the same way the kernel would.
    #[test]
    fn long_and_odd_paths() {
        let (_d, root) = setup();
        for t in trees(&root) {
            let long = format!("/{}", "a/".repeat(PATH_MAX / 2));
            assert_eq!(content(&t, &long), Err(libc::ENAMETOOLONG));
            let name = format!("/lib/{}", "n".repeat(300));
            assert_eq!(content(&t, &name), Err(libc::ENAMETOOLONG));
            assert_eq!(
                t.read_small(b"/lib/libc\0.so", 10).unwrap_err().errno,
                libc::EINVAL
            );
            assert_eq!(
                t.read_small(b"/lib/libc.so.6", 3).unwrap_err().errno,
                libc::EFBIG
            );
        }
    }

    /// A FIFO is found but not opened for reading (that would block).
    #[test]
    fn special_files_are_not_opened() {
        let (_d, root) = setup();
        let fifo = root.join("lib/fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        for t in trees(&root) {
            let n = t.open(b"/lib/fifo").unwrap();
            assert!(n.content.is_none() && !n.is_file());
            assert_eq!(content(&t, "/lib/fifo"), Err(libc::EINVAL));
        }
    }

    /// While lookups run, another thread keeps swapping a directory of the
    /// path for a symlink to a directory outside the tree (by a relative
    /// link climbing out, and by an absolute host path). Every lookup
    /// reads the inside file or fails; none ever reads the outside one.
    #[test]
    fn a_directory_swapped_for_a_symlink_never_leads_outside() {
        use std::sync::atomic::AtomicBool;
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("root");
        let outside = d.path().join("outside");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(outside.join("b")).unwrap();
        std::fs::write(root.join("a/b/file"), b"inside").unwrap();
        std::fs::write(outside.join("b/file"), b"outside").unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let stop = Arc::clone(&stop);
            let (root, outside) = (root.clone(), outside.clone());
            std::thread::spawn(move || {
                let a = root.join("a");
                let kept = root.join("a.real");
                let targets = [
                    PathBuf::from("../outside"),
                    PathBuf::from("../../../../../../../..")
                        .join(outside.strip_prefix("/").unwrap()),
                    outside.clone(),
                ];
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    std::fs::rename(&a, &kept).unwrap();
                    symlink(&targets[i % targets.len()], &a).unwrap();
                    std::thread::sleep(std::time::Duration::from_micros(20));
                    std::fs::remove_file(&a).unwrap();
                    std::fs::rename(&kept, &a).unwrap();
                    std::thread::sleep(std::time::Duration::from_micros(20));
                    i += 1;
                }
            })
        };
        // Each resolver runs until it has read the inside file a few times
        // (the swapper leaves the real directory in place half the time)
        // and made a few thousand lookups, or for ten seconds.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut inside = [0usize; 2];
        for (k, t) in trees(&root).iter().enumerate() {
            let mut lookups = 0usize;
            while (inside[k] < 50 || lookups < 6000) && std::time::Instant::now() < deadline {
                for path in ["/a/b/file", "/a/b/../b/file", "/x/../a/b/file"] {
                    lookups += 1;
                    match t.read_small(path.as_bytes(), 64) {
                        Ok(bytes) => {
                            assert_eq!(bytes, b"inside", "{path} read outside the tree");
                            inside[k] += 1;
                        }
                        Err(e) => assert!(
                            [libc::ENOENT, libc::ENOTDIR, libc::ELOOP, libc::EAGAIN]
                                .contains(&e.errno),
                            "{path}: {e}"
                        ),
                    }
                    if let Ok(p) = t.canonical(path.as_bytes()) {
                        assert!(!p.starts_with(b"/outside"), "{path}");
                    }
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        assert!(
            inside.iter().all(|&n| n > 0),
            "no lookup succeeded: {inside:?}"
        );
    }
}
