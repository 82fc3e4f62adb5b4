//! Where an image's files are: an OCI layout directory, or a tar archive
//! (oci-archive, docker-archive) read in place. A blob is a byte range of
//! a file on this machine, read with positional reads; nothing is copied
//! or unpacked.
//!
//! In a directory, each name is opened component by component relative
//! to the layout's descriptor with `O_NOFOLLOW`: a blob that is a symlink
//! (which could lead anywhere on the host) is refused, and a name is built
//! only from a checked digest or a fixed file name. In an archive, names
//! are looked up in an index of its entries built once (headers only, data
//! passed over by seeking); symlinks and hard links between its entries
//! (`docker save` links layers to earlier ones) resolve inside the archive.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;

use rustix::fs::{Mode, OFlags};

use super::tar::{self, Kind};
use crate::input::errtext::Io;

/// Entries an archive may hold before it is refused (a real one holds a
/// few per layer).
const MAX_ARCHIVE_ENTRIES: usize = 1 << 20;

/// Symlinks followed to find one archive entry (as Linux's `MAXSYMLINKS`).
const MAX_ARCHIVE_LINKS: u32 = 40;

/// The identity of a file's content: the same inode, size and times as
/// when it was first read. A blob whose file changes after its digest was
/// verified is refused rather than read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    fn of(file: &File) -> std::io::Result<Self> {
        let m = file.metadata()?;
        Ok(Identity {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        })
    }
}

/// A byte range of a file: one blob.
#[derive(Debug, Clone)]
pub struct Blob {
    file: Arc<File>,
    start: u64,
    len: u64,
    identity: Identity,
    /// Its name in the layout or archive, for messages.
    pub name: String,
}

impl Blob {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A reader over the blob from its start.
    pub fn reader(&self) -> BlobReader {
        BlobReader {
            file: Arc::clone(&self.file),
            pos: self.start,
            end: self.start.saturating_add(self.len),
        }
    }

    /// The whole blob, when it is at most `limit` bytes.
    pub fn read_all(&self, limit: u64) -> Result<Vec<u8>, String> {
        if self.len > limit {
            return Err(format!(
                "{}: {} bytes is larger than the limit of {limit} for this kind of blob",
                self.name, self.len
            ));
        }
        // Bounded by `limit` just above.
        let mut out = vec![0u8; usize::try_from(self.len).unwrap_or(0)];
        use std::os::unix::fs::FileExt;
        self.file
            .read_exact_at(&mut out, self.start)
            .map_err(|e| format!("{}: read: {}", self.name, Io(&e)))?;
        Ok(out)
    }

    /// Fails when the file holding the blob changed since it was opened.
    pub fn unchanged(&self) -> Result<(), String> {
        match Identity::of(&self.file) {
            Ok(now) if now == self.identity => Ok(()),
            Ok(_) => Err(format!(
                "{}: the file changed since its digest was verified",
                self.name
            )),
            Err(e) => Err(format!("{}: fstat: {}", self.name, Io(&e))),
        }
    }
}

/// Reads a blob with positional reads; never past its end.
#[derive(Debug)]
pub struct BlobReader {
    file: Arc<File>,
    pos: u64,
    end: u64,
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let left = self.end.saturating_sub(self.pos);
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = self
            .file
            .read_at(buf.get_mut(..want).unwrap_or_default(), self.pos)?;
        self.pos = self.pos.saturating_add(n as u64);
        Ok(n)
    }
}

impl tar::Skip for BlobReader {
    fn skip(&mut self, n: u64) -> std::io::Result<u64> {
        let step = n.min(self.end.saturating_sub(self.pos));
        self.pos += step;
        Ok(step)
    }
}

/// One entry of an archive's index.
#[derive(Debug, Clone)]
enum ArchiveEntry {
    File { start: u64, len: u64 },
    Symlink(Vec<u8>),
    HardLink(Vec<u8>),
}

#[derive(Debug)]
enum Backing {
    Dir(OwnedFd),
    Archive {
        file: Arc<File>,
        identity: Identity,
        entries: HashMap<Vec<u8>, ArchiveEntry>,
    },
}

/// An image layout's files.
#[derive(Debug)]
pub struct Store {
    kind: Backing,
}

/// Why a store or a file in it could not be opened.
#[derive(Debug)]
pub enum StoreError {
    /// The directory or archive itself is missing or not of its kind.
    Usage(String),
    /// It is there but damaged or unreadable.
    Damaged(String),
}

/// The clean components of an archive name (`./a//b` is `a/b`), joined;
/// `None` when `..` leaves the archive.
fn clean(name: &[u8]) -> Option<Vec<u8>> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in name.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join(&b'/'))
}

impl Store {
    /// An OCI image layout directory.
    pub fn open_dir(path: &str) -> Result<Store, StoreError> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| StoreError::Usage(format!("{path}: {}", std::io::Error::from(e))))?;
        Ok(Store {
            kind: Backing::Dir(fd),
        })
    }

    /// A tar archive, indexed by its entries' names.
    pub fn open_archive(path: &str) -> Result<Store, StoreError> {
        let file =
            File::open(path).map_err(|e| StoreError::Usage(format!("{path}: {}", Io(&e))))?;
        let meta = file
            .metadata()
            .map_err(|e| StoreError::Usage(format!("{path}: {}", Io(&e))))?;
        if !meta.is_file() {
            return Err(StoreError::Usage(format!("{path}: not a regular file")));
        }
        let identity =
            Identity::of(&file).map_err(|e| StoreError::Damaged(format!("{path}: {}", Io(&e))))?;
        let file = Arc::new(file);
        let mut magic = [0u8; 4];
        use std::os::unix::fs::FileExt;
        let n = file.read_at(&mut magic, 0).unwrap_or(0);
        if n >= 2 && magic[..2] == [0x1f, 0x8b] || n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] {
            return Err(StoreError::Damaged(format!(
                "{path}: a compressed archive; decompress it first (the image's layers may stay compressed)"
            )));
        }
        let reader = BlobReader {
            file: Arc::clone(&file),
            pos: 0,
            end: meta.len(),
        };
        let mut tar = tar::Reader::new(reader);
        let mut entries = HashMap::new();
        loop {
            let h = match tar.next_entry() {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(e) => return Err(StoreError::Damaged(format!("{path}: {e}"))),
            };
            let Some(name) = clean(&h.name) else {
                continue; // a name outside the archive cannot be asked for
            };
            let entry = match h.kind {
                Kind::File => ArchiveEntry::File {
                    start: h.data_offset,
                    len: h.size,
                },
                Kind::Symlink => ArchiveEntry::Symlink(h.link),
                Kind::HardLink => ArchiveEntry::HardLink(h.link),
                _ => {
                    entries.remove(&name);
                    continue;
                }
            };
            entries.insert(name, entry);
            if entries.len() > MAX_ARCHIVE_ENTRIES {
                return Err(StoreError::Damaged(format!(
                    "{path}: more than {MAX_ARCHIVE_ENTRIES} entries"
                )));
            }
        }
        Ok(Store {
            kind: Backing::Archive {
                file,
                identity,
                entries,
            },
        })
    }

    /// The file `name` (a path inside the layout or archive), or `None`
    /// when there is none.
    pub fn file(&self, name: &str) -> Result<Option<Blob>, String> {
        match &self.kind {
            Backing::Dir(dir) => open_in_dir(dir, name),
            Backing::Archive {
                file,
                identity,
                entries,
            } => {
                let Some(mut key) = clean(name.as_bytes()) else {
                    return Err(format!("{name:?} names a path outside the archive"));
                };
                for _ in 0..=MAX_ARCHIVE_LINKS {
                    match entries.get(&key) {
                        None => return Ok(None),
                        Some(ArchiveEntry::File { start, len }) => {
                            return Ok(Some(Blob {
                                file: Arc::clone(file),
                                start: *start,
                                len: *len,
                                identity: *identity,
                                name: name.to_string(),
                            }));
                        }
                        Some(ArchiveEntry::HardLink(target)) => match clean(target) {
                            Some(k) => key = k,
                            None => return Ok(None),
                        },
                        Some(ArchiveEntry::Symlink(target)) => {
                            let mut joined = if target.first() == Some(&b'/') {
                                Vec::new()
                            } else {
                                let dir = key
                                    .iter()
                                    .rposition(|&b| b == b'/')
                                    .map(|i| key.get(..i).unwrap_or_default().to_vec())
                                    .unwrap_or_default();
                                let mut d = dir;
                                d.push(b'/');
                                d
                            };
                            joined.extend_from_slice(target);
                            match clean(&joined) {
                                Some(k) => key = k,
                                None => return Ok(None),
                            }
                        }
                    }
                }
                Err(format!(
                    "{name}: more than {MAX_ARCHIVE_LINKS} links between archive entries"
                ))
            }
        }
    }
}

/// Opens `name` below `dir` one component at a time, never following a
/// symlink; a missing file is `None`.
fn open_in_dir(dir: &OwnedFd, name: &str) -> Result<Option<Blob>, String> {
    let parts: Vec<&str> = name.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err(format!("{name:?} is not a plain path inside the layout"));
    }
    let Some((last, dirs)) = parts.split_last() else {
        return Ok(None);
    };
    let fail = |e: rustix::io::Errno| -> Result<Option<Blob>, String> {
        match e {
            rustix::io::Errno::NOENT => Ok(None),
            rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => Err(format!(
                "{name}: a symbolic link or not a directory in the layout (blobs must be regular files)"
            )),
            e => Err(format!("{name}: open: {}", Io(&std::io::Error::from(e)))),
        }
    };
    let mut owned: Option<OwnedFd> = None;
    for d in dirs {
        let at = owned.as_ref().unwrap_or(dir);
        match rustix::fs::openat(
            at,
            *d,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => owned = Some(fd),
            Err(e) => return fail(e),
        }
    }
    let at = owned.as_ref().unwrap_or(dir);
    let fd = match rustix::fs::openat(
        at,
        *last,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(e) => return fail(e),
    };
    let file = File::from(fd);
    let meta = file
        .metadata()
        .map_err(|e| format!("{name}: fstat: {}", Io(&e)))?;
    if !meta.is_file() {
        return Err(format!("{name}: not a regular file"));
    }
    let identity = Identity::of(&file).map_err(|e| format!("{name}: fstat: {}", Io(&e)))?;
    Ok(Some(Blob {
        len: meta.len(),
        file: Arc::new(file),
        start: 0,
        identity,
        name: name.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_inside_the_archive() {
        assert_eq!(clean(b"./a//b/").unwrap(), b"a/b");
        assert_eq!(clean(b"a/../b").unwrap(), b"b");
        assert!(clean(b"../x").is_none());
    }

    #[test]
    fn archive_links_resolve_inside_it() {
        use super::super::tar::tests::entry;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.tar");
        let mut t = entry(b"abc.tar", b'0', b"layer bytes", b"");
        t.extend(entry(b"id/layer.tar", b'2', b"", b"../abc.tar"));
        t.extend(entry(b"hard", b'1', b"", b"abc.tar"));
        t.extend(entry(b"esc", b'2', b"", b"../../etc/passwd"));
        t.extend(entry(b"loop", b'2', b"", b"loop"));
        std::fs::write(&p, &t).unwrap();
        let s = Store::open_archive(p.to_str().unwrap())
            .map_err(|_| ())
            .unwrap();
        for name in ["abc.tar", "id/layer.tar", "./hard"] {
            let b = s.file(name).unwrap().unwrap();
            assert_eq!(b.read_all(100).unwrap(), b"layer bytes", "{name}");
        }
        assert!(s.file("esc").unwrap().is_none());
        assert!(s.file("loop").is_err());
        assert!(s.file("../x").is_err());
        assert!(s.file("missing").unwrap().is_none());
    }

    #[test]
    fn layout_blobs_must_be_regular_files_reached_without_links() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("blobs/sha256")).unwrap();
        std::fs::write(d.path().join("blobs/sha256/aa"), b"x").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.path().join("blobs/sha256/bb")).unwrap();
        let s = Store::open_dir(d.path().to_str().unwrap())
            .map_err(|_| ())
            .unwrap();
        assert_eq!(s.file("blobs/sha256/aa").unwrap().unwrap().len(), 1);
        assert!(s.file("blobs/sha256/bb").is_err());
        assert!(s.file("blobs/sha256/cc").unwrap().is_none());
        assert!(s.file("blobs/../../x").is_err());
    }
}
