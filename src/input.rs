//! The only I/O in elfgate: expanding targets into files (in parallel, see
//! [`walk`]), confining every path to `--root`, opening files for bounded
//! positional reads, digests.
//!
//! Files are read through [`FileBytes`] (positional reads of the ranges a
//! parser asks for, each bounded by the file's length) rather than
//! memory-mapped: a file that shrinks while being read yields a read error,
//! never a SIGBUS, and memory grows only with what is actually read.

mod bytes;
pub mod errtext;
pub mod image;
pub mod tree;
mod walk;

pub use bytes::{FileBytes, Keep, SharedBytes, read_with};
pub use tree::{Content, DiskTree, Follow, Node, Tree, TreeError};
pub use walk::Source;

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::FileType;
use sha2::{Digest, Sha256};

use tree::MAX_SYMLINKS;

/// Why a target could not be turned into readable files.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: {op}: {}", errtext::Io(source))]
    Io {
        path: String,
        op: &'static str,
        source: std::io::Error,
    },
    #[error("{path}: no such file or directory{detail}")]
    NotFound { path: String, detail: String },
    #[error("{path}: too many levels of symbolic links (more than {MAX_SYMLINKS})")]
    SymlinkLoop { path: String },
    #[error("{path}: not a regular file ({kind})")]
    NotRegular { path: String, kind: &'static str },
}

/// One file to inspect.
#[derive(Debug, Clone)]
pub struct Target {
    /// The path shown to the user: inside the root when `--root` is given.
    pub display: String,
    /// Where the file really is on this machine.
    pub fs_path: PathBuf,
    /// Named on the command line (an error if not ELF) rather than found by walking.
    pub named: bool,
    /// Whether `open` may follow a final symlink: only for host paths; under
    /// `--root` the path was resolved already and must not change.
    pub follow: bool,
    /// Under `--root`, the tree `fs_path` lies in: the file is opened
    /// through it, with no symlink allowed anywhere on the (resolved) path.
    pub tree: Option<Arc<DiskTree>>,
    /// The file inside an image (`--image`), which has no host path.
    pub image: Option<image::ImageFile>,
}

/// One thing found while expanding targets, in order: a file (as `F`,
/// what visiting it gave), an error, or an entry passed over.
#[derive(Debug)]
pub enum Found<F = Target> {
    File(F),
    Error(InputError),
    /// Passed over while walking (FIFOs, sockets, devices, dangling links).
    Skipped(String, &'static str),
}

/// What expanding the targets produced: files, and per-target errors that
/// do not stop the others.
#[derive(Debug, Default)]
pub struct Expanded {
    pub files: Vec<Target>,
    pub errors: Vec<InputError>,
    /// Entries passed over while walking (FIFOs, sockets, devices, symlinks
    /// to directories), for `-v`.
    pub skipped: Vec<(String, &'static str)>,
}

/// How paths are interpreted: as given, or inside an image root.
#[derive(Debug, Clone)]
pub enum Resolver {
    /// Paths are opened as given; symlinks are followed by the kernel.
    Host,
    /// Paths are inside the tree; symlinks (absolute ones and `..`) resolve
    /// as if its top were `/`, and nothing outside it is ever opened.
    Root(Arc<DiskTree>),
    /// Paths are inside an image's merged layers, resolved as under `Root`;
    /// nothing is opened on the host (see [`image`]).
    Image(std::sync::Arc<image::Loaded>),
}

impl Resolver {
    /// Expands targets (files and directories, walked recursively) into
    /// files known by their paths.
    pub fn expand(&self, targets: &[String]) -> Expanded {
        let mut out = Expanded::default();
        for f in self.visit(targets, &|s: Source<'_>| Some(s.to_target())) {
            match f {
                Found::File(t) => out.files.push(t),
                Found::Error(e) => out.errors.push(e),
                Found::Skipped(p, why) => out.skipped.push((p, why)),
            }
        }
        out
    }

    fn target(&self, display: String, fs_path: PathBuf, named: bool) -> Target {
        Target {
            display,
            fs_path,
            named,
            follow: matches!(self, Resolver::Host),
            tree: self.tree().cloned(),
            image: None,
        }
    }

    /// The tree of `--root`, if any.
    pub fn tree(&self) -> Option<&Arc<DiskTree>> {
        match self {
            Resolver::Host | Resolver::Image(_) => None,
            Resolver::Root(t) => Some(t),
        }
    }

    /// Finds the real path of `path` (a host path, or a path inside the
    /// root) and its type, after symlinks; `display` names it in errors.
    fn locate(&self, path: &Path, display: &str) -> Result<(PathBuf, FileType), InputError> {
        match self {
            // The kernel resolves host paths.
            Resolver::Host => {
                use std::os::unix::fs::MetadataExt;
                let meta =
                    std::fs::metadata(path).map_err(|e| io_or_missing(display, "stat", e))?;
                Ok((path.to_path_buf(), FileType::from_raw_mode(meta.mode())))
            }
            Resolver::Root(tree) => {
                let inside = resolve_in_tree(tree, path, display)?;
                let fd = tree
                    .open_fd(&inside, rustix::fs::OFlags::PATH, Follow::Never)
                    .map_err(|e| io_or_missing(display, "stat", e.into()))?;
                let st =
                    rustix::fs::fstat(&fd).map_err(|e| io_or_missing(display, "stat", e.into()))?;
                Ok((
                    host_path(tree, &inside),
                    FileType::from_raw_mode(st.st_mode),
                ))
            }
            // An image's files are walked by `image::walk`, never located on the host.
            Resolver::Image(_) => Err(InputError::NotFound {
                path: display.to_string(),
                detail: " (inside an image, not on this machine)".into(),
            }),
        }
    }
}

/// The host path of an in-tree path.
fn host_path(tree: &DiskTree, inside: &[u8]) -> PathBuf {
    let rel = inside.strip_prefix(b"/").unwrap_or(inside);
    if rel.is_empty() {
        tree.path().to_path_buf()
    } else {
        tree.path().join(std::ffi::OsStr::from_bytes(rel))
    }
}

/// The in-tree path of a host path under the tree's top (as `/`-rooted bytes).
pub(crate) fn in_tree_path(tree: &DiskTree, host: &Path) -> Vec<u8> {
    let rel = host.strip_prefix(tree.path()).unwrap_or(host);
    let mut out = b"/".to_vec();
    out.extend_from_slice(rel.as_os_str().as_bytes());
    out
}

/// Resolves `path` as if `root` were `/`: absolute symlinks restart at
/// `root`, `..` never climbs above it, and no symlink is ever followed by
/// the kernel (see [`tree`]). The result names a path under `root` whose
/// components are not symlinks.
pub fn resolve_in_root(root: &Path, path: &Path, display: &str) -> Result<PathBuf, InputError> {
    let tree = DiskTree::open(root).map_err(|e| io_or_missing(display, "open root", e))?;
    let inside = resolve_in_tree(&tree, path, display)?;
    Ok(host_path(&tree, &inside))
}

/// [`resolve_in_root`] in an open tree, giving the in-tree path.
fn resolve_in_tree(tree: &DiskTree, path: &Path, display: &str) -> Result<Vec<u8>, InputError> {
    tree.resolve(path.as_os_str().as_bytes()).map_err(|u| {
        let e = std::io::Error::from(u.errno);
        if e.kind() == std::io::ErrorKind::NotFound {
            // Where resolution went: said when it followed a symlink or
            // got past the first component (`at` ends with the component
            // that is missing).
            let depth = u.at.iter().filter(|&&b| b == b'/').count();
            let detail = if u.links == 0 && depth <= 1 {
                String::new()
            } else {
                format!(" (resolved inside the root to {})", escape_bytes(&u.at))
            };
            InputError::NotFound {
                path: display.to_string(),
                detail,
            }
        } else {
            io_or_missing(display, "resolve", e)
        }
    })
}

/// A path inside an image as elfgate shows it: absolute, without `.`, empty
/// components or `..` (resolved lexically, never above `/`).
pub fn in_root_display(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

fn io_or_missing(path: &str, op: &'static str, e: std::io::Error) -> InputError {
    if e.kind() == std::io::ErrorKind::NotFound {
        InputError::NotFound {
            path: path.to_string(),
            detail: String::new(),
        }
    } else if e.raw_os_error() == Some(libc::ELOOP) {
        InputError::SymlinkLoop {
            path: path.to_string(),
        }
    } else {
        InputError::Io {
            path: path.to_string(),
            op,
            source: e,
        }
    }
}

fn kind_name(meta: &Metadata) -> &'static str {
    file_type_name(&meta.file_type())
}

fn file_type_name(ft: &std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "directory"
    } else if ft.is_fifo() {
        "FIFO"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_char_device() {
        "character device"
    } else if ft.is_symlink() {
        "symbolic link"
    } else if ft.is_file() {
        "regular file"
    } else {
        "unknown file type"
    }
}

/// An ELF file opened for reading: it starts with the ELF magic, and is a
/// regular file of `len` bytes when it was opened.
#[derive(Debug)]
pub struct Opened {
    pub file: File,
    pub len: u64,
    pub id: FileId,
}

/// Which file an open reached, and which version of it: the same inode
/// with the same size and change times. Two opens with the same id read the
/// same bytes (barring a change within one timestamp tick), so a tree's
/// symlinks and hard links to one library need it read only once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    /// The id of a file `fstat` described.
    pub fn of_stat(st: &rustix::fs::Stat) -> Self {
        FileId {
            dev: st.st_dev,
            ino: st.st_ino,
            size: u64::try_from(st.st_size).unwrap_or(0),
            mtime: (st.st_mtime, i64::try_from(st.st_mtime_nsec).unwrap_or(0)),
            ctime: (st.st_ctime, i64::try_from(st.st_ctime_nsec).unwrap_or(0)),
        }
    }

    /// An id for a file that is not on disk (an image read into memory):
    /// `dev` names the image, `ino` the file in it.
    pub fn synthetic(dev: u64, ino: u64, size: u64) -> Self {
        FileId {
            dev,
            ino,
            size,
            mtime: (0, 0),
            ctime: (0, 0),
        }
    }

    /// A file of an image (`--image`), by its place in the image's tree.
    pub fn in_image(inode: u32) -> Self {
        FileId {
            dev: u64::MAX,
            ino: u64::from(inode),
            size: 0,
            mtime: (0, 0),
            ctime: (0, 0),
        }
    }

    fn of(meta: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

/// Why a file was not opened for inspection.
#[derive(Debug)]
pub enum OpenError {
    /// Not ELF: kept apart, and cheap (no path, no text), since a walk meets
    /// it for most files and says nothing about them.
    NotElf(Start),
    Input(InputError),
}

/// The first bytes of a file that is not ELF (at most four).
#[derive(Debug, Clone, Copy)]
pub struct Start {
    bytes: [u8; 4],
    len: usize,
}

impl Start {
    /// The first `len` (at most four) of `bytes`.
    pub fn new(bytes: [u8; 4], len: usize) -> Self {
        Start {
            bytes,
            len: len.min(4),
        }
    }

    /// Whether these are the ELF magic.
    pub fn is_elf(&self) -> bool {
        self.len == 4 && &self.bytes == b"\x7fELF"
    }

    /// Why the file is not ELF, in words.
    pub fn reason(&self) -> String {
        let start = self.bytes.get(..self.len).unwrap_or_default();
        if start.is_empty() {
            "the file is empty".to_string()
        } else {
            format!("it starts with {:?}", String::from_utf8_lossy(start))
        }
    }
}

/// Opens a target by its path without following a final symlink (unless
/// `follow`: resolution already happened) and without blocking (a FIFO
/// swapped in after the walk must not hang the gate); see [`sniff`].
pub fn open(target: &Target) -> Result<Opened, OpenError> {
    if let Some(tree) = &target.tree {
        let inside = in_tree_path(tree, &target.fs_path);
        let flags = rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::NONBLOCK;
        let fd = tree
            .open_fd(&inside, flags, Follow::Never)
            .map_err(|e| OpenError::Input(io_or_missing(&target.display, "open", e.into())))?;
        return sniff(File::from(fd), || target.display.clone());
    }
    let nofollow = if target.follow { 0 } else { libc::O_NOFOLLOW };
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nofollow | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(&target.fs_path)
        .map_err(|e| OpenError::Input(io_or_missing(&target.display, "open", e)))?;
    sniff(file, || target.display.clone())
}

/// Reads the first four bytes of an opened file before anything else: most
/// files of a tree are not ELF, and for them open, one read and close are
/// the whole cost. Only an ELF file is then `fstat`ed: anything but a
/// regular file is refused. `display` names the file in errors.
fn sniff(file: File, display: impl Fn() -> String) -> Result<Opened, OpenError> {
    use std::os::unix::fs::FileExt;
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < magic.len() {
        match file.read_at(magic.get_mut(got..).unwrap_or_default(), got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // A FIFO or socket swapped in after the walk cannot be read at an offset.
            Err(e) if e.raw_os_error() == Some(libc::ESPIPE) => break,
            Err(e) => return Err(OpenError::Input(io_or_missing(&display(), "read", e))),
        }
    }
    if magic.get(..got) != Some(b"\x7fELF".as_slice()) {
        return Err(OpenError::NotElf(Start {
            bytes: magic,
            len: got,
        }));
    }
    let meta = file
        .metadata()
        .map_err(|e| OpenError::Input(io_or_missing(&display(), "fstat", e)))?;
    if !meta.is_file() {
        return Err(OpenError::Input(InputError::NotRegular {
            path: display(),
            kind: kind_name(&meta),
        }));
    }
    Ok(Opened {
        file,
        len: meta.len(),
        id: FileId::of(&meta),
    })
}

/// SHA-256 of a whole file, streamed through a fixed buffer so memory does
/// not grow with the file.
pub fn sha256(file: &File, display: &str) -> Result<String, InputError> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    // Hashed before parsing, from the same descriptor: parsing uses
    // positional reads, so the descriptor's offset does not matter to it. A
    // file that changes between the two is caught only if it shrinks.
    let mut r = file;
    use std::io::Seek;
    r.seek(std::io::SeekFrom::Start(0))
        .map_err(|e| io_or_missing(display, "seek", e))?;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_or_missing(display, "read for sha256", e)),
        };
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex(&hasher.finalize()))
}

/// Byte-class tests eight bytes at a time, for checks run on every name of
/// a library. The usual bit tricks: each sets the high bit of a byte it
/// finds (and possibly of later ones, never when there is none).
pub mod swar {
    const LOW: u64 = 0x0101_0101_0101_0101;
    /// The high bit of every byte.
    pub const HIGH: u64 = 0x8080_8080_8080_8080;

    /// Non-zero iff some byte of `w` is below `n` (`n` at most 0x80).
    pub fn below(w: u64, n: u8) -> u64 {
        w.wrapping_sub(LOW.wrapping_mul(u64::from(n))) & !w & HIGH
    }

    /// Non-zero iff some byte of `w` is `b`.
    pub fn equal(w: u64, b: u8) -> u64 {
        below(w ^ LOW.wrapping_mul(u64::from(b)), 1)
    }

    /// Whether some byte of `bytes` is flagged: by `word` in whole 8-byte
    /// words (little-endian), by `byte` in the last few.
    pub fn any(bytes: &[u8], word: impl Fn(u64) -> u64, byte: impl Fn(u8) -> bool) -> bool {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            if word(u64::from_le_bytes(a)) != 0 {
                return true;
            }
        }
        chunks.remainder().iter().any(|&b| byte(b))
    }
}

/// Whether `b` is printable ASCII without a backslash: what
/// [`escape_bytes`] leaves as it is.
pub fn printable_ascii(b: &[u8]) -> bool {
    use swar::{HIGH, below, equal};
    !swar::any(
        b,
        |w| below(w, 0x20) | (w & HIGH) | equal(w, 0x7f) | equal(w, b'\\'),
        |c| !(0x20..0x7f).contains(&c) || c == b'\\',
    )
}

/// Bytes (a name from a file, or a path) as text. Invalid UTF-8 and
/// control characters are escaped as `\xNN` (and a backslash as `\\`), so
/// nothing is lost, nothing is silently replaced, and a hostile name cannot
/// forge a line of text output.
pub fn escape_bytes(b: &[u8]) -> String {
    let plain = |c: char| !c.is_control() && c != '\\';
    match std::str::from_utf8(b) {
        Ok(s) if s.chars().all(plain) => s.to_string(),
        _ => {
            use std::fmt::Write;
            let mut out = String::new();
            for chunk in b.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        c if c.is_control() && (c as u32) < 0x100 => {
                            let _ = write!(out, "\\x{:02x}", c as u32);
                        }
                        c if c.is_control() => {
                            let _ = write!(out, "\\u{{{:x}}}", c as u32);
                        }
                        c => out.push(c),
                    }
                }
                for byte in chunk.invalid() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            out
        }
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// The word-at-a-time test agrees with the byte-at-a-time one for every
    /// byte value at every position of words and tails.
    #[test]
    fn printable_ascii_matches_the_byte_test() {
        let slow = |b: &[u8]| b.iter().all(|&c| (0x20..0x7f).contains(&c) && c != b'\\');
        for len in [1usize, 7, 8, 9, 16, 23] {
            for at in 0..len {
                for v in 0..=255u8 {
                    let mut b = vec![b'a'; len];
                    if let Some(x) = b.get_mut(at) {
                        *x = v;
                    }
                    assert_eq!(printable_ascii(&b), slow(&b), "{b:?}");
                }
            }
        }
        assert!(printable_ascii(b""));
    }

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("app/lib")).unwrap();
        std::fs::write(d.path().join("app/server"), b"x").unwrap();
        d
    }

    #[test]
    fn absolute_symlink_resolves_inside_root() {
        let d = tree();
        symlink("/app/server", d.path().join("app/link")).unwrap();
        let p = resolve_in_root(d.path(), Path::new("/app/link"), "/app/link").unwrap();
        assert_eq!(p, d.path().join("app/server"));
    }

    #[test]
    fn dotdot_cannot_climb_out_of_root() {
        let d = tree();
        symlink("../../../../../etc/passwd", d.path().join("app/esc")).unwrap();
        let err = resolve_in_root(d.path(), Path::new("/app/esc"), "/app/esc").unwrap_err();
        assert!(matches!(err, InputError::NotFound { .. }), "{err}");
        std::fs::create_dir_all(d.path().join("etc")).unwrap();
        std::fs::write(d.path().join("etc/passwd"), b"inside").unwrap();
        let p = resolve_in_root(d.path(), Path::new("/app/esc"), "/app/esc").unwrap();
        assert_eq!(p, d.path().join("etc/passwd"));
        assert_eq!(
            resolve_in_root(
                d.path(),
                Path::new("/../../app/server"),
                "/../../app/server"
            )
            .unwrap(),
            d.path().join("app/server")
        );
    }

    #[test]
    fn symlink_loop_is_reported() {
        let d = tree();
        symlink("/app/b", d.path().join("app/a")).unwrap();
        symlink("/app/a", d.path().join("app/b")).unwrap();
        let err = resolve_in_root(d.path(), Path::new("/app/a"), "/app/a").unwrap_err();
        assert!(matches!(err, InputError::SymlinkLoop { .. }), "{err}");
    }

    #[test]
    fn dangling_absolute_symlink_names_where_it_led() {
        let d = tree();
        symlink("/nowhere/bin", d.path().join("app/dangling")).unwrap();
        let err =
            resolve_in_root(d.path(), Path::new("/app/dangling"), "/app/dangling").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("/app/dangling") && msg.contains("/nowhere"),
            "{msg}"
        );
    }

    #[test]
    fn walk_skips_fifos_and_keeps_order() {
        let d = tree();
        std::fs::write(d.path().join("app/lib/b.so"), b"x").unwrap();
        std::fs::write(d.path().join("app/lib/a.so"), b"x").unwrap();
        let fifo = d.path().join("app/pipe");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: c is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let r = Resolver::Root(Arc::new(DiskTree::open(d.path()).unwrap()));
        let ex = r.expand(&["/app".to_string()]);
        let names: Vec<_> = ex.files.iter().map(|t| t.display.as_str()).collect();
        assert_eq!(names, ["/app/server", "/app/lib/a.so", "/app/lib/b.so"]);
        assert_eq!(ex.skipped, vec![("/app/pipe".to_string(), "FIFO")]);
        assert!(ex.errors.is_empty());
    }

    #[test]
    fn escaping_is_lossless_and_line_safe() {
        assert_eq!(escape_bytes(b"libc.so.6"), "libc.so.6");
        assert_eq!(escape_bytes(b"a\xffb"), "a\\xffb");
        assert_eq!(escape_bytes(b"a\\b\xfe"), "a\\\\b\\xfe");
        assert_eq!(escape_bytes(b"lib\n\tFAKE"), "lib\\x0a\\x09FAKE");
        assert_eq!(escape_bytes("caf\u{e9}".as_bytes()), "caf\u{e9}");
    }

    #[test]
    fn host_symlinks_are_followed() {
        let d = tree();
        symlink(d.path().join("app/server"), d.path().join("link")).unwrap();
        let ex = Resolver::Host.expand(&[d.path().join("link").to_string_lossy().into_owned()]);
        assert!(ex.errors.is_empty(), "{:?}", ex.errors);
        assert_eq!(ex.files.len(), 1);
        // Opened through the link: the content is read (and is not ELF).
        let not_elf = |t: &Target| matches!(open(t), Err(OpenError::NotElf(_)));
        assert!(not_elf(&ex.files[0]));
        let ex = Resolver::Host.expand(&[d.path().to_string_lossy().into_owned()]);
        assert!(ex.errors.is_empty(), "{:?}", ex.errors);
        assert_eq!(ex.files.len(), 2, "the file and the link to it");
        assert!(ex.files.iter().all(not_elf));
    }

    #[test]
    fn named_missing_target_is_an_error() {
        let d = tree();
        let r = Resolver::Root(Arc::new(DiskTree::open(d.path()).unwrap()));
        let ex = r.expand(&["/app/nope".to_string()]);
        assert!(ex.files.is_empty());
        assert_eq!(ex.errors.len(), 1);
    }
}
