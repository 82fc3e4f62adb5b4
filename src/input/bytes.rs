//! [`FileBytes`]: an opened file as an `object::ReadRef`, read in windows.
//!
//! The ELF views ask for many small ranges: the header, the program
//! headers, the section headers and their names, notes, the dynamic
//! section, one string at a time from `.dynstr`. One `pread` each (what
//! `object::read::ReadCache` does, plus an allocation and a map entry per
//! range) cost a shared library some twenty system calls. Here a small
//! range is served from a window of [`WINDOW`] bytes around it, read once
//! ([`HEAD`] bytes for the window at offset 0, which holds the headers and,
//! in small files, most of what follows them); ranges larger than half a
//! window are read on their own, exactly. Every read stays inside the file
//! length taken from `fstat` at open.
//!
//! Behaviour matches `ReadCache`'s, which the views were written against:
//! a range past the end is an error, a file that shrank since it was
//! opened gives read errors (never a panic or a SIGBUS), and a string is
//! looked for in at most [`STRING_MAX`] bytes.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::BTreeMap;
use std::fs::File;
use std::ops::Range;
use std::sync::Arc;

use object::read::ReadRef;

use super::Opened;

/// The window read at offset 0.
const HEAD: u64 = 16 * 1024;

/// The window read around any other small range; at least `2 * STRING_MAX`,
/// so a window started at the page below a string's start holds all the
/// bytes its terminator is looked for in.
const WINDOW: u64 = 8 * 1024;

/// Windows start on a multiple of this.
const ALIGN: u64 = 4096;

/// The longest string `read_bytes_at_until` looks through for its
/// delimiter, as `object::read::ReadCache` (strings are short; a missing
/// terminator must not make the reader scan a whole section).
const STRING_MAX: u64 = 4096;

/// How many buffers starting at or before an offset are tried, newest
/// start first, before the range is read again.
const LOOKBACK: usize = 4;

/// Gives `f` the opened file as a [`FileBytes`], which lives only as long
/// as the call (its buffers are freed together at the end).
pub fn read_with<R>(opened: Opened, f: impl for<'a> FnOnce(&FileBytes<'a>) -> R) -> R {
    let buffers = Buffers::default();
    let bytes = FileBytes {
        file: opened.file,
        len: opened.len,
        buffers: &buffers,
        last: Cell::new(None),
        index: RefCell::new(BTreeMap::new()),
    };
    f(&bytes)
}

/// A file read through positional reads into buffers that live as long as
/// the `FileBytes`, so a parser can hold slices of several at once.
pub struct FileBytes<'a> {
    file: File,
    len: u64,
    buffers: &'a Buffers,
    /// The newest buffer, where the next one is linked.
    last: Cell<Option<&'a Link>>,
    /// Every buffer read, by the file offset of its first byte.
    index: RefCell<BTreeMap<u64, &'a [u8]>>,
}

impl std::fmt::Debug for FileBytes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileBytes")
            .field("len", &self.len)
            .field("buffers", &self.index.borrow().len())
            .finish_non_exhaustive()
    }
}

/// Buffers that stay where they are until all are dropped together: each
/// is linked behind the previous one, never moved or freed before.
#[derive(Default)]
struct Buffers {
    first: OnceCell<Box<Link>>,
}

struct Link {
    /// Shared so that a reader may keep a table read here after the
    /// `FileBytes` is gone, without copying it (see [`FileBytes::share`]).
    bytes: Arc<Vec<u8>>,
    next: OnceCell<Box<Link>>,
}

impl Drop for Buffers {
    /// One at a time: the default drop of a long chain would recurse once
    /// per buffer.
    fn drop(&mut self) {
        let mut next = self.first.take();
        while let Some(mut link) = next {
            next = link.next.take();
        }
    }
}

impl<'a> FileBytes<'a> {
    /// The bytes of `start..end` from a buffer already read, if one holds them.
    fn cached(&self, start: u64, end: u64) -> Option<&'a [u8]> {
        let index = self.index.borrow();
        index
            .range(..=start)
            .rev()
            .take(LOOKBACK)
            .find_map(|(&at, &bytes)| slice(bytes, start.checked_sub(at)?, end.checked_sub(at)?))
    }

    /// Reads up to `len` bytes at `start` into a new buffer: fewer only if
    /// the file has shrunk since it was opened. An empty result is an error.
    /// The bytes are read into the buffer's spare capacity: zeroing it first
    /// would touch every page of a large buffer once more.
    fn fill(&self, start: u64, len: u64) -> Result<&'a [u8], ()> {
        let want = usize::try_from(len).map_err(|_| ())?;
        let mut buf = Vec::new();
        buf.try_reserve_exact(want).map_err(|_| ())?;
        while buf.len() < want {
            let at = start.checked_add(buf.len() as u64).ok_or(())?;
            match rustix::io::pread(&self.file, rustix::buffer::spare_capacity(&mut buf), at) {
                Ok(0) => break,
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => {}
                Err(_) => return Err(()),
            }
        }
        // The capacity may exceed what was asked for.
        buf.truncate(want);
        if buf.is_empty() {
            return Err(());
        }
        let bytes = self.keep(buf);
        self.index.borrow_mut().insert(start, bytes);
        Ok(bytes)
    }

    /// Links a buffer behind the newest one; it stays put from now on.
    fn keep(&self, bytes: Vec<u8>) -> &'a [u8] {
        let mut slot = match self.last.get() {
            Some(link) => &link.next,
            None => &self.buffers.first,
        };
        // `last` is the end of the chain; walking on only guards that.
        while let Some(link) = slot.get() {
            slot = &link.next;
        }
        let link = slot.get_or_init(|| {
            Box::new(Link {
                bytes: Arc::new(bytes),
                next: OnceCell::new(),
            })
        });
        self.last.set(Some(link));
        link.bytes.as_slice()
    }

    /// The window that holds `offset` and the `want` bytes after it (or as
    /// many as the file has): from the page below `offset`.
    fn window(&self, offset: u64) -> Result<(u64, &'a [u8]), ()> {
        let start = offset - offset % ALIGN;
        let size = if start == 0 { HEAD } else { WINDOW };
        let len = size.min(self.len.saturating_sub(start));
        Ok((start, self.fill(start, len)?))
    }
}

impl FileBytes<'_> {
    /// `bytes`, a slice this reader gave out, as bytes that outlive it:
    /// the buffer that holds them, shared, not copied, when they are most
    /// of it (a large table is read on its own); a copy otherwise, so that
    /// a few bytes do not keep a whole window.
    pub fn share(&self, bytes: &[u8]) -> SharedBytes {
        let (lo, hi) = (
            bytes.as_ptr() as usize,
            bytes.as_ptr() as usize + bytes.len(),
        );
        let mut next = self.buffers.first.get();
        while let Some(link) = next {
            let start = link.bytes.as_ptr() as usize;
            if start <= lo && hi <= start + link.bytes.len() && bytes.len() * 2 >= link.bytes.len()
            {
                return SharedBytes {
                    buf: Arc::clone(&link.bytes),
                    range: lo - start..hi - start,
                };
            }
            next = link.next.get();
        }
        SharedBytes::copy_of(bytes)
    }
}

/// Bytes kept from a file, maybe part of a buffer shared with others.
#[derive(Clone, Default)]
pub struct SharedBytes {
    buf: Arc<Vec<u8>>,
    range: Range<usize>,
}

impl SharedBytes {
    pub fn copy_of(bytes: &[u8]) -> SharedBytes {
        SharedBytes {
            buf: Arc::new(bytes.to_vec()),
            range: 0..bytes.len(),
        }
    }
}

impl std::ops::Deref for SharedBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.buf.get(self.range.clone()).unwrap_or_default()
    }
}

impl std::fmt::Debug for SharedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SharedBytes({} bytes)", self.range.len())
    }
}

/// A byte source whose slices can be kept past its own life: shared when
/// it can (see [`FileBytes::share`]), else copied.
pub trait Keep {
    fn keep_bytes(&self, bytes: &[u8]) -> SharedBytes;
}

impl Keep for &[u8] {
    fn keep_bytes(&self, bytes: &[u8]) -> SharedBytes {
        SharedBytes::copy_of(bytes)
    }
}

impl Keep for &FileBytes<'_> {
    fn keep_bytes(&self, bytes: &[u8]) -> SharedBytes {
        self.share(bytes)
    }
}

/// `bytes[from..to]`, if `bytes` is that long.
fn slice(bytes: &[u8], from: u64, to: u64) -> Option<&[u8]> {
    let from = usize::try_from(from).ok()?;
    let to = usize::try_from(to).ok()?;
    bytes.get(from..to)
}

impl<'a> ReadRef<'a> for &FileBytes<'a> {
    fn len(self) -> Result<u64, ()> {
        Ok(self.len)
    }

    fn read_bytes_at(self, offset: u64, size: u64) -> Result<&'a [u8], ()> {
        if size == 0 {
            return Ok(&[]);
        }
        let end = offset.checked_add(size).ok_or(())?;
        if end > self.len {
            return Err(());
        }
        if let Some(bytes) = self.cached(offset, end) {
            return Ok(bytes);
        }
        if size > WINDOW / 2 {
            let bytes = self.fill(offset, size)?;
            return slice(bytes, 0, size).ok_or(());
        }
        let (start, bytes) = self.window(offset)?;
        slice(bytes, offset - start, end - start).ok_or(())
    }

    fn read_bytes_at_until(self, range: Range<u64>, delimiter: u8) -> Result<&'a [u8], ()> {
        if range.start > range.end || range.end > self.len {
            return Err(());
        }
        let limit = range.start + (range.end - range.start).min(STRING_MAX);
        let find = |bytes: &'a [u8], at: u64| -> Option<&'a [u8]> {
            let from = range.start.checked_sub(at)?;
            let to = (limit - at).min(bytes.len() as u64);
            let hay = slice(bytes, from, to.max(from))?;
            hay.get(..memchr::memchr(delimiter, hay)?)
        };
        // A buffer holding the start: the string is there, or it is not
        // terminated within the limit, or the buffer ends too soon.
        let cached = {
            let index = self.index.borrow();
            index
                .range(..=range.start)
                .rev()
                .take(LOOKBACK)
                .map(|(&at, &bytes)| (at, bytes))
                .find(|&(at, bytes)| at.saturating_add(bytes.len() as u64) > range.start)
        };
        if let Some((at, bytes)) = cached {
            if let Some(s) = find(bytes, at) {
                return Ok(s);
            }
            if at.saturating_add(bytes.len() as u64) >= limit {
                return Err(());
            }
        }
        let (start, bytes) = self.window(range.start)?;
        find(bytes, start).ok_or(())
    }
}

/// Other threads may read the file too: the pclntab's names and records
/// are streamed at once (`go::pclnstream`), and `.strtab` and `.symtab`
/// through blocks (`ElfView::search_symtab`), each through its own buffer.
impl crate::go::Positional for &FileBytes<'_> {
    fn positional(&self) -> &(dyn crate::go::ReadAt + Sync + '_) {
        &self.file
    }
}

impl crate::go::ReadAt for File {
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> bool {
        use std::os::unix::fs::FileExt;
        FileExt::read_exact_at(self, buf, offset).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn opened(content: &[u8]) -> (tempfile::NamedTempFile, Opened) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content).unwrap();
        let file = File::open(f.path()).unwrap();
        let len = content.len() as u64;
        let id = super::super::FileId::of(&file.metadata().unwrap());
        (f, Opened { file, len, id })
    }

    /// Bytes whose value says where they are, with a NUL every 100 bytes.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| {
                if i % 100 == 99 {
                    0
                } else {
                    (i % 251) as u8 + 1
                }
            })
            .collect()
    }

    #[test]
    fn ranges_match_the_file_and_stay_inside_it() {
        let content = pattern(50_000);
        let (_f, o) = opened(&content);
        read_with(o, |b| {
            for (off, size) in [(0, 16), (64, 56), (20_000, 100), (8190, 10), (100, 9000)] {
                let got = b.read_bytes_at(off, size).unwrap();
                assert_eq!(got, &content[off as usize..(off + size) as usize]);
            }
            assert_eq!(b.read_bytes_at(49_999, 1).unwrap(), &content[49_999..]);
            assert!(b.read_bytes_at(49_999, 2).is_err());
            assert!(b.read_bytes_at(u64::MAX, 2).is_err());
            assert_eq!(b.read_bytes_at(60_000, 0).unwrap(), b"");
            assert_eq!(b.len().unwrap(), 50_000);
        });
    }

    #[test]
    fn small_ranges_share_windows() {
        let content = pattern(100_000);
        let (_f, o) = opened(&content);
        read_with(o, |b| {
            for off in (0..16_000).step_by(500) {
                b.read_bytes_at(off, 64).unwrap();
            }
            assert_eq!(b.index.borrow().len(), 1, "all in the head window");
            b.read_bytes_at(50_000, 64).unwrap();
            b.read_bytes_at(52_000, 64).unwrap();
            assert_eq!(b.index.borrow().len(), 2, "one more window");
        });
    }

    /// A large range read on its own is kept without a copy, past the
    /// reader's life; a few bytes of a window are copied.
    #[test]
    fn kept_bytes_share_large_reads_only() {
        let content = pattern(100_000);
        let (_f, o) = opened(&content);
        let (large, small, foreign) = read_with(o, |b| {
            let large = b.read_bytes_at(40_000, 30_000).unwrap();
            let small = b.read_bytes_at(100, 64).unwrap();
            let kept = (
                b.share(large),
                b.share(small),
                b.share(b"not from the file"),
            );
            assert!(
                Arc::ptr_eq(&kept.0.buf, &b.buffers.first.get().unwrap().bytes),
                "the large read is shared"
            );
            assert_eq!(Arc::strong_count(&kept.1.buf), 1, "the small one is a copy");
            kept
        });
        assert_eq!(&large[..], &content[40_000..70_000]);
        assert_eq!(&small[..], &content[100..164]);
        assert_eq!(&foreign[..], b"not from the file");
    }

    #[test]
    fn strings_end_at_the_delimiter_within_the_limit() {
        let mut content = pattern(30_000);
        // A run of 5000 bytes with no NUL, from 20_000.
        for byte in content.get_mut(20_000..25_000).unwrap() {
            *byte = b'x';
        }
        let (_f, o) = opened(&content);
        read_with(o, |b| {
            let s = b.read_bytes_at_until(150..30_000, 0).unwrap();
            assert_eq!(s, &content[150..199]);
            // Near a window's end: the rest is read.
            let s = b.read_bytes_at_until(16_350..30_000, 0).unwrap();
            assert_eq!(s, &content[16_350..16_399]);
            // The range ends before the terminator.
            assert!(b.read_bytes_at_until(150..190, 0).is_err());
            assert!(b.read_bytes_at_until(150..150, 0).is_err());
            // No terminator within 4096 bytes.
            assert!(b.read_bytes_at_until(20_000..30_000, 0).is_err());
            // Terminated at 25_099, 4099 bytes from the start: too far.
            assert!(b.read_bytes_at_until(21_000..30_000, 0).is_err());
            let s = b.read_bytes_at_until(21_100..30_000, 0).unwrap();
            assert_eq!(s.len(), 3999);
            assert!(b.read_bytes_at_until(29_000..30_001, 0).is_err());
        });
    }

    #[test]
    fn a_file_that_shrank_gives_errors() {
        let content = pattern(40_000);
        let (f, o) = opened(&content);
        f.as_file().set_len(10_000).unwrap();
        read_with(o, |b| {
            assert_eq!(b.read_bytes_at(0, 16).unwrap(), &content[..16]);
            assert!(b.read_bytes_at(12_000, 16).is_err());
            assert!(b.read_bytes_at(20_000, 16).is_err());
            assert!(b.read_bytes_at(5_000, 10_000).is_err());
            assert!(b.read_bytes_at_until(30_000..40_000, 0).is_err());
        });
    }

    #[test]
    fn a_long_chain_of_buffers_drops_without_recursion() {
        let (_f, o) = opened(b"x");
        read_with(o, |b| {
            // Far more links than a test thread's stack could unwind
            // recursively.
            for i in 0..200_000u32 {
                assert_eq!(b.keep(vec![i as u8]), [i as u8]);
            }
        });
    }
}
