//! A bounded, streaming tar reader: headers and data in order from any
//! [`Read`], nothing written anywhere, memory bounded whatever the archive
//! claims.
//!
//! Formats: POSIX ustar (with its `prefix` field), GNU (`L`/`K` long name
//! and link headers, base-256 numbers) and PAX (`x` records `path`,
//! `linkpath`, `size`), the ones container tools write (Go's
//! `archive/tar`, GNU tar, BuildKit). The `tar` crate is not used: it
//! reads a GNU long name or a PAX header whole, however large its header
//! says it is, so a hostile layer could make it allocate without bound;
//! here those headers are refused past [`MAX_SPECIAL`], as Go's
//! `archive/tar` refuses them past its `maxSpecialFileSize`.
//!
//! Decisions that the format leaves open, taken once:
//! - The archive may end at an entry boundary or anywhere inside the
//!   padding that follows (end-of-archive blocks, record padding, the
//!   padding after the last entry's data): umoci and some versions of
//!   Docker write such layers.
//! - Entry data shorter than its header says is an error, as is a header
//!   cut short by the end of the stream or with a wrong checksum.
//! - Links, directories, devices and FIFOs carry no data whatever their
//!   size field says (Go's `isHeaderOnlyType`).
//! - A typeflag `\0` entry whose name ends in `/` is a directory (old tar).
//! - PAX global headers (`g`) are skipped; GNU sparse files and unknown
//!   entry types are errors: a runtime would not unpack them as elfgate
//!   would read them.

use std::io::Read;

/// One block of a tar archive.
const BLOCK: u64 = 512;

/// The largest GNU long-name/long-link or PAX header read (as Go's
/// `archive/tar` `maxSpecialFileSize`).
pub const MAX_SPECIAL: u64 = 1 << 20;

/// A stream that can pass over bytes: by reading them (a decompressor) or
/// by seeking (a file).
pub trait Skip: Read {
    /// Passes over up to `n` bytes; returns how many there were.
    fn skip(&mut self, n: u64) -> std::io::Result<u64> {
        let mut buf = [0u8; 32 * 1024];
        let mut left = n;
        while left > 0 {
            let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
            let got = match self.read(buf.get_mut(..want).unwrap_or_default()) {
                Ok(0) => break,
                Ok(got) => got,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            left = left.saturating_sub(got as u64);
        }
        Ok(n - left)
    }
}

impl Skip for &[u8] {}

impl<S: Skip + ?Sized> Skip for &mut S {
    fn skip(&mut self, n: u64) -> std::io::Result<u64> {
        (**self).skip(n)
    }
}

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    HardLink,
    Symlink,
    Dir,
    Char,
    Block,
    Fifo,
}

/// One entry's header, with extension headers applied.
#[derive(Debug, Clone)]
pub struct Header {
    /// The name as stored (PAX `path`, GNU long name, or ustar prefix/name).
    pub name: Vec<u8>,
    /// Link target (PAX `linkpath`, GNU long link, or `linkname`).
    pub link: Vec<u8>,
    pub kind: Kind,
    /// Permission bits.
    pub mode: u32,
    /// Bytes of data that follow (0 for header-only kinds).
    pub size: u64,
    /// Where the entry's first header block starts in the stream.
    pub offset: u64,
    /// Where its data starts.
    pub data_offset: u64,
}

/// Why the archive could not be read: where, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tar at byte {offset}: {reason}")]
pub struct TarError {
    pub offset: u64,
    pub reason: String,
}

/// Reads entries in order; an entry's data is read with [`Reader::read`]
/// before the next call to [`Reader::next`], which passes over the rest.
pub struct Reader<R> {
    inner: R,
    /// Bytes consumed from `inner`.
    pos: u64,
    /// Data left in the current entry, then its padding.
    remaining: u64,
    pad: u64,
    /// The name of the current entry, for errors about its data.
    current: Vec<u8>,
    done: bool,
    /// Set once an error was returned: the reader is fused.
    failed: bool,
}

/// Extension headers waiting for the entry they apply to.
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax_path: Option<Vec<u8>>,
    pax_link: Option<Vec<u8>>,
    pax_size: Option<u64>,
}

impl<R: Skip> Reader<R> {
    pub fn new(inner: R) -> Self {
        Reader {
            inner,
            pos: 0,
            remaining: 0,
            pad: 0,
            current: Vec::new(),
            done: false,
            failed: false,
        }
    }

    /// Bytes consumed from the stream so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    fn fail<T>(&mut self, offset: u64, reason: impl Into<String>) -> Result<T, TarError> {
        self.failed = true;
        Err(TarError {
            offset,
            reason: reason.into(),
        })
    }

    fn io<T>(&mut self, e: std::io::Error) -> Result<T, TarError> {
        let at = self.pos;
        self.fail(at, format!("reading: {}", crate::input::errtext::Io(&e)))
    }

    /// Fills `buf` as far as the stream allows; returns the bytes read.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, TarError> {
        let mut got = 0;
        while got < buf.len() {
            match self.inner.read(buf.get_mut(got..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return self.io(e),
            }
        }
        self.pos = self.pos.saturating_add(got as u64);
        Ok(got)
    }

    /// Passes over the rest of the current entry's data and padding. The
    /// padding may be cut short by the end of the stream; the data may not.
    fn finish_entry(&mut self) -> Result<(), TarError> {
        if self.remaining > 0 {
            let want = self.remaining;
            let got = match self.inner.skip(want) {
                Ok(n) => n,
                Err(e) => return self.io(e),
            };
            self.pos = self.pos.saturating_add(got);
            if got < want {
                let name = crate::input::escape_bytes(&self.current);
                let at = self.pos;
                return self.fail(
                    at,
                    format!(
                        "entry {name:?}: the data ends {} bytes short of the size in its header",
                        want - got
                    ),
                );
            }
            self.remaining = 0;
        }
        if self.pad > 0 {
            let want = self.pad;
            let got = match self.inner.skip(want) {
                Ok(n) => n,
                Err(e) => return self.io(e),
            };
            self.pos = self.pos.saturating_add(got);
            self.pad = 0;
            if got < want {
                // The stream ended inside the padding: nothing follows.
                self.done = true;
            }
        }
        Ok(())
    }

    /// Reads the current entry's data into `buf`; 0 at its end. Data cut
    /// short by the end of the stream is an error.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, TarError> {
        if self.failed {
            return Err(TarError {
                offset: self.pos,
                reason: "read after an error".into(),
            });
        }
        let want = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = loop {
            match self.inner.read(buf.get_mut(..want).unwrap_or_default()) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return self.io(e),
            }
        };
        if n == 0 {
            let name = crate::input::escape_bytes(&self.current);
            let (at, short) = (self.pos, self.remaining);
            return self.fail(
                at,
                format!(
                    "entry {name:?}: the data ends {short} bytes short of the size in its header"
                ),
            );
        }
        self.pos = self.pos.saturating_add(n as u64);
        self.remaining -= n as u64;
        Ok(n)
    }

    /// Reads the data of an extension header (at most [`MAX_SPECIAL`]).
    fn special(&mut self, what: &str, size: u64, offset: u64) -> Result<Vec<u8>, TarError> {
        if size > MAX_SPECIAL {
            return self.fail(
                offset,
                format!("{what} header of {size} bytes is larger than the limit of {MAX_SPECIAL}"),
            );
        }
        // Bounded by MAX_SPECIAL just above.
        let mut data = vec![0u8; usize::try_from(size).unwrap_or(0)];
        let got = self.fill(&mut data)?;
        if got < data.len() {
            let at = self.pos;
            return self.fail(
                at,
                format!("{what} header at byte {offset}: its data is cut short"),
            );
        }
        self.remaining = 0;
        self.pad = padding(size);
        self.finish_entry()?;
        Ok(data)
    }

    /// The next entry, or `None` at the end of the archive.
    pub fn next_entry(&mut self) -> Result<Option<Header>, TarError> {
        if self.failed {
            return Err(TarError {
                offset: self.pos,
                reason: "read after an error".into(),
            });
        }
        self.finish_entry()?;
        let mut pending = Pending::default();
        loop {
            if self.done {
                return Ok(None);
            }
            let offset = self.pos;
            let mut block = [0u8; BLOCK as usize];
            let got = self.fill(&mut block)?;
            if got == 0 {
                self.done = true;
                return Ok(None);
            }
            let filled = block.get(..got).unwrap_or_default();
            if filled.iter().all(|&b| b == 0) {
                if got < block.len() {
                    // End of the stream inside the padding.
                    self.done = true;
                    return Ok(None);
                }
                // An end-of-archive block: the next block must be zero too,
                // or missing (the stream ends inside the padding).
                let mut second = [0u8; BLOCK as usize];
                let at = self.pos;
                let n = self.fill(&mut second)?;
                if second.get(..n).unwrap_or_default().iter().any(|&b| b != 0) {
                    return self.fail(at, "a header follows an end-of-archive block");
                }
                self.done = true;
                return Ok(None);
            }
            if got < block.len() {
                return self.fail(offset, format!("header cut short after {got} of 512 bytes"));
            }
            if !checksum_ok(&block) {
                return self.fail(offset, "header checksum does not match");
            }
            let typeflag = block.get(156).copied().unwrap_or(0);
            let size = match numeric(field(&block, 124, 12)) {
                Some(s) => s,
                None => return self.fail(offset, "header size field is not a number"),
            };
            match typeflag {
                b'L' | b'K' => {
                    let what = if typeflag == b'L' {
                        "GNU long name"
                    } else {
                        "GNU long link"
                    };
                    let data = self.special(what, size, offset)?;
                    let value = until_nul(&data).to_vec();
                    if typeflag == b'L' {
                        pending.long_name = Some(value);
                    } else {
                        pending.long_link = Some(value);
                    }
                    continue;
                }
                b'x' => {
                    let data = self.special("PAX", size, offset)?;
                    if let Err(reason) = pax(&data, &mut pending) {
                        return self.fail(offset, format!("PAX header: {reason}"));
                    }
                    continue;
                }
                b'g' => {
                    // Global PAX headers hold defaults (comments, mtimes in
                    // `git archive`); none changes what a file is.
                    self.special("PAX global", size, offset)?;
                    continue;
                }
                _ => {}
            }
            let mut name = match (&pending.pax_path, &pending.long_name) {
                (Some(p), _) => p.clone(),
                (None, Some(l)) => l.clone(),
                (None, None) => ustar_name(&block),
            };
            let link = match (&pending.pax_link, &pending.long_link) {
                (Some(p), _) => p.clone(),
                (None, Some(l)) => l.clone(),
                (None, None) => until_nul(field(&block, 157, 100)).to_vec(),
            };
            let kind = match typeflag {
                b'0' | b'7' => Kind::File,
                0 if name.ends_with(b"/") => Kind::Dir,
                0 => Kind::File,
                b'1' => Kind::HardLink,
                b'2' => Kind::Symlink,
                b'3' => Kind::Char,
                b'4' => Kind::Block,
                b'5' => Kind::Dir,
                b'6' => Kind::Fifo,
                b'S' => {
                    return self.fail(offset, "GNU sparse files are not supported");
                }
                other => {
                    let name = crate::input::escape_bytes(&name);
                    return self.fail(
                        offset,
                        format!(
                            "entry {name:?}: unsupported entry type {:?}",
                            char::from(other)
                        ),
                    );
                }
            };
            let size = match kind {
                Kind::File => pending.pax_size.unwrap_or(size),
                _ => 0,
            };
            let mode = numeric(field(&block, 100, 8))
                .and_then(|m| u32::try_from(m & 0o7777).ok())
                .unwrap_or(0);
            if name.is_empty() {
                return self.fail(offset, "entry with an empty name");
            }
            // Kept for errors about this entry's data.
            self.current.clear();
            self.current.append(&mut name.clone());
            self.remaining = size;
            self.pad = padding(size);
            let data_offset = self.pos;
            let header = Header {
                name: std::mem::take(&mut name),
                link,
                kind,
                mode,
                size,
                offset,
                data_offset,
            };
            return Ok(Some(header));
        }
    }
}

/// Bytes after `size` bytes of data up to the next block.
fn padding(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

fn field(block: &[u8; 512], start: usize, len: usize) -> &[u8] {
    block.get(start..start + len).unwrap_or_default()
}

fn until_nul(b: &[u8]) -> &[u8] {
    match memchr::memchr(0, b) {
        Some(i) => b.get(..i).unwrap_or_default(),
        None => b,
    }
}

/// `prefix/name` for POSIX ustar headers; `name` alone for GNU and V7 ones
/// (GNU keeps other fields where ustar has the prefix).
fn ustar_name(block: &[u8; 512]) -> Vec<u8> {
    let name = until_nul(field(block, 0, 100));
    let magic = field(block, 257, 6);
    if magic == b"ustar\0" {
        let prefix = until_nul(field(block, 345, 155));
        if !prefix.is_empty() {
            let mut full = prefix.to_vec();
            full.push(b'/');
            full.extend_from_slice(name);
            return full;
        }
    }
    name.to_vec()
}

/// The header checksum: the sum of its bytes with the checksum field taken
/// as spaces, unsigned (POSIX) or signed (some old tars).
fn checksum_ok(block: &[u8; 512]) -> bool {
    let Some(stored) = numeric(field(block, 148, 8)) else {
        return false;
    };
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed)
}

/// A numeric header field: octal (spaces and NULs around it), or GNU
/// base-256 when the first byte's high bit is set. `None` when it is
/// neither, negative, or does not fit in 64 bits.
fn numeric(f: &[u8]) -> Option<u64> {
    let first = *f.first()?;
    if first & 0x80 != 0 {
        if first == 0xff {
            return None; // negative
        }
        let mut v: u64 = u64::from(first & 0x7f);
        for &b in f.get(1..)? {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let start = f
        .iter()
        .position(|&b| b != b' ' && b != 0)
        .unwrap_or(f.len());
    let rest = f.get(start..)?;
    let end = rest
        .iter()
        .position(|&b| b == b' ' || b == 0)
        .unwrap_or(rest.len());
    let (digits, after) = (rest.get(..end)?, rest.get(end..)?);
    // Only spaces and NULs may follow the digits.
    if after.iter().any(|&b| b != b' ' && b != 0) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !(b'0'..=b'7').contains(&d) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(v)
}

/// Applies PAX records (`"%d %s=%s\n"`, the length counting the whole
/// record) to the pending entry: `path`, `linkpath` and `size`; sparse
/// files are refused; other keys (times, owners, xattrs) change nothing
/// elfgate reads.
fn pax(mut data: &[u8], pending: &mut Pending) -> Result<(), String> {
    while !data.is_empty() {
        // Trailing NULs pad some writers' records.
        if data.iter().all(|&b| b == 0) {
            break;
        }
        let space = memchr::memchr(b' ', data).ok_or("record without a length")?;
        let len: usize = std::str::from_utf8(data.get(..space).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("record length is not a number")?;
        let record = data
            .get(..len)
            .filter(|r| r.len() > space + 1)
            .ok_or("record length runs past the header")?;
        let body = record
            .get(space + 1..)
            .and_then(|b| b.strip_suffix(b"\n"))
            .ok_or("record does not end in a newline")?;
        let eq = memchr::memchr(b'=', body).ok_or("record without '='")?;
        let (key, value) = (
            body.get(..eq).unwrap_or_default(),
            body.get(eq + 1..).unwrap_or_default(),
        );
        match key {
            b"path" => pending.pax_path = Some(value.to_vec()),
            b"linkpath" => pending.pax_link = Some(value.to_vec()),
            b"size" => {
                pending.pax_size = Some(
                    std::str::from_utf8(value)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or("size is not a number")?,
                )
            }
            k if k.starts_with(b"GNU.sparse.") => {
                return Err("GNU sparse files are not supported".into());
            }
            _ => {}
        }
        data = data.get(len..).unwrap_or_default();
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A header block for `name` (at most 100 bytes) with a valid checksum.
    pub(crate) fn header(name: &[u8], typeflag: u8, size: u64, link: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 512];
        b[..name.len()].copy_from_slice(name);
        b[100..107].copy_from_slice(b"0000644");
        b[108..115].copy_from_slice(b"0000000");
        b[116..123].copy_from_slice(b"0000000");
        if size < 1 << 33 {
            b[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        } else {
            // GNU base-256, for sizes octal cannot hold.
            b[124] = 0x80;
            b[128..136].copy_from_slice(&size.to_be_bytes());
        }
        b[136..147].copy_from_slice(b"00000000000");
        b[156] = typeflag;
        b[157..157 + link.len()].copy_from_slice(link);
        b[257..263].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
        b[148..156].copy_from_slice(b"        ");
        let sum: u64 = b.iter().map(|&x| u64::from(x)).sum();
        b[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        b
    }

    /// A header followed by its data and padding.
    pub(crate) fn entry(name: &[u8], typeflag: u8, data: &[u8], link: &[u8]) -> Vec<u8> {
        let mut out = header(name, typeflag, data.len() as u64, link);
        out.extend_from_slice(data);
        out.resize(out.len() + padding(data.len() as u64) as usize, 0);
        out
    }

    fn all(bytes: &[u8]) -> Result<Vec<(String, Kind, Vec<u8>)>, TarError> {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        while let Some(h) = r.next_entry()? {
            let mut data = Vec::new();
            let mut buf = [0u8; 7];
            loop {
                let n = r.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
            }
            out.push((String::from_utf8_lossy(&h.name).into_owned(), h.kind, data));
        }
        Ok(out)
    }

    #[test]
    fn entries_and_their_data() {
        let mut t = entry(b"app/", b'5', b"", b"");
        t.extend(entry(b"app/server", b'0', b"hello", b""));
        t.extend(entry(b"app/link", b'2', b"", b"server"));
        t.extend([0u8; 1024]);
        let got = all(&t).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], ("app/server".into(), Kind::File, b"hello".to_vec()));
        assert_eq!(got[2].1, Kind::Symlink);
    }

    #[test]
    fn the_end_may_come_at_a_boundary_or_inside_padding() {
        let one = entry(b"f", b'0', b"abc", b"");
        assert_eq!(all(&one).unwrap().len(), 1);
        // Cut inside the data's padding, and inside the end blocks.
        assert_eq!(all(&one[..520]).unwrap().len(), 1);
        let mut ended = one.clone();
        ended.extend([0u8; 700]);
        assert_eq!(all(&ended).unwrap().len(), 1);
        // Cut inside the data: an error.
        let err = all(&one[..514]).unwrap_err();
        assert!(err.reason.contains("short"), "{err}");
        // Cut inside a header: an error.
        let mut two = one.clone();
        two.extend_from_slice(&entry(b"g", b'0', b"", b"")[..100]);
        assert!(all(&two).unwrap_err().reason.contains("cut short"));
    }

    #[test]
    fn long_names_and_pax_apply_to_the_next_entry() {
        let long = "d/".repeat(80) + "file";
        let mut t = entry(b"././@LongLink", b'L', format!("{long}\0").as_bytes(), b"");
        t.extend(entry(b"short", b'0', b"x", b""));
        let rec = |k: &str, v: &str| {
            let body = format!(" {k}={v}\n");
            let mut n = body.len() + 1;
            if (n + body.len()).to_string().len() > 1 {
                n = body.len() + (body.len() + 2).to_string().len();
            }
            format!("{n}{body}")
        };
        let pax = rec("path", "pax/name") + &rec("linkpath", "target");
        t.extend(entry(b"PaxHeaders/x", b'x', pax.as_bytes(), b""));
        t.extend(entry(b"ignored", b'2', b"", b"ignored"));
        let mut r = Reader::new(&t[..]);
        let a = r.next_entry().unwrap().unwrap();
        assert_eq!(a.name, long.as_bytes());
        let b = r.next_entry().unwrap().unwrap();
        assert_eq!(
            (b.name.as_slice(), b.link.as_slice()),
            (&b"pax/name"[..], &b"target"[..])
        );
        assert!(r.next_entry().unwrap().is_none());
    }

    #[test]
    fn hostile_headers_are_errors_not_allocations() {
        // A long-name header claiming 1 TiB.
        let mut h = header(b"././@LongLink", b'L', 0, b"");
        h[124..136].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(x)
                }
            })
            .sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        let err = all(&h).unwrap_err();
        assert!(err.reason.contains("larger than the limit"), "{err}");
        // A file claiming 1 TiB with 5 bytes of data.
        let mut f = header(b"big", b'0', 1 << 40, b"");
        f.extend_from_slice(b"hello");
        let err = all(&f).unwrap_err();
        assert!(err.reason.contains("short of the size"), "{err}");
        // A bad checksum.
        let mut bad = entry(b"f", b'0', b"", b"");
        bad[0] = b'g';
        assert!(all(&bad).unwrap_err().reason.contains("checksum"));
        // Sparse and unknown types.
        assert!(all(&entry(b"s", b'S', b"", b"")).is_err());
        assert!(all(&entry(b"s", b'Z', b"", b"")).is_err());
        // A header after an end-of-archive block.
        let mut after = vec![0u8; 512];
        after.extend(entry(b"f", b'0', b"", b""));
        assert!(all(&after).is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(numeric(b"0000644\0"), Some(0o644));
        assert_eq!(numeric(b"  644 \0"), Some(0o644));
        assert_eq!(numeric(b"\0\0\0"), Some(0));
        assert_eq!(numeric(b"0009"), None);
        assert_eq!(numeric(b"64 4"), None);
        assert_eq!(numeric(&[0x80, 0, 1, 0]), Some(256));
        assert_eq!(numeric(&[0xff, 0xff]), None);
        assert_eq!(
            numeric(&[0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Some(u64::MAX)
        );
        assert_eq!(numeric(&[0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0]), None);
    }
}
