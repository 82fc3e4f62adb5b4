//! `/etc/ld.so.cache`, read and searched exactly as glibc's loader does
//! (`elf/dl-cache.c` `_dl_load_cache_lookup`, `search_cache`;
//! `sysdeps/generic/dl-cache.h`). Pure: bytes in, a path out.
//!
//! Three layouts (`shared/reference/loader.md` §1):
//!
//! ```text
//! old     "ld.so-1.7.0" (11 bytes) pad | u32 nlibs @12 | {i32 flags; u32 key; u32 value}[nlibs]
//!         strings: offsets from the end of that array
//! new     "glibc-ld.so.cache1.1" (20) | u32 nlibs @20 | u32 len_strings @24 | u8 flags @28
//!         | pad | u32 extension_offset @32 | u32 unused[3]   (48-byte header)
//!         {i32 flags; u32 key; u32 value; u32 osversion; u64 hwcap}[nlibs] @48
//!         strings: offsets from the new header's start
//! compat  old, then the new header 8-aligned after the old array
//! extension @extension_offset (from the file start): u32 magic 0xEAA42174 | u32 count
//!         | {u32 tag, flags, offset, size}[count]; tag 1 = u32 offsets of hwcaps names
//! ```
//!
//! Entries are sorted descending by [`libcmp`] (digit runs compare as
//! numbers) and searched by bisection; a bogus offset met on the way ends
//! the search with nothing, as in glibc. Every read here is bounds-checked:
//! counts and offsets come from a file in the image.

use std::cmp::Ordering;

const OLD_MAGIC: &[u8] = b"ld.so-1.7.0";
const NEW_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
const OLD_HEADER: usize = 16;
const OLD_ENTRY: usize = 12;
const NEW_HEADER: usize = 48;
const NEW_ENTRY: usize = 24;
const EXTENSION_MAGIC: u32 = 0xEAA4_2174;
const TAG_GLIBC_HWCAPS: u32 = 1;
/// `DL_CACHE_HWCAP_EXTENSION`: the hwcap field names a glibc-hwcaps subdirectory.
const HWCAP_EXTENSION: u64 = 1 << 62;
/// `DL_CACHE_HWCAP_ISA_LEVEL_MASK`, in bits 32–41.
const ISA_LEVEL_MASK: u64 = 0x3ff;

/// Why glibc would not use a cache file (it then searches on without one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    #[error("neither the old nor the new ld.so.cache magic")]
    NoMagic,
    #[error("{count} entries do not fit in a file of {size} bytes")]
    TooManyEntries { count: u32, size: usize },
    #[error("written for the other byte order")]
    WrongEndian,
}

/// Which layout the file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Old,
    New,
    /// The old table with the new one after it (glibc then reads the new one).
    Compat,
}

/// A parsed cache file. Holds the bytes; lookups read them in place.
#[derive(Debug, Clone)]
pub struct Cache {
    bytes: Vec<u8>,
    pub format: Format,
    /// Where the entries glibc searches start, how many, and their size.
    entries: usize,
    nlibs: u32,
    entry_size: usize,
    /// Where string offsets count from, and how far they may reach.
    strings: usize,
    strings_size: usize,
    /// File offsets of the hwcaps subdirectory names (extension tag 1), in
    /// the file's order; empty without the extension.
    hwcaps_names: Vec<u32>,
}

/// One entry, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub flags: i32,
    pub key: u32,
    pub value: u32,
    /// 0 in the old layout.
    pub hwcap: u64,
}

/// What a lookup needs to know about the loader and the CPU.
#[derive(Debug, Clone)]
pub struct Env<'a> {
    /// `_dl_cache_check_flags`: the entry flags this loader accepts.
    pub accepted_flags: &'a [i32],
    /// `_DL_CACHE_DEFAULT_ID`: a plain entry with these flags ends the search.
    pub default_flags: i32,
    /// The CPU's `isa_1` bits (baseline = 1, v2 = 2, v3 = 4, v4 = 8).
    pub isa_1: u32,
    /// The glibc-hwcaps subdirectories active on this CPU, best first.
    pub hwcaps_subdirs: &'a [&'a str],
    /// glibc ≥ 2.37: entries with a legacy (non-extension) hwcap are skipped.
    pub skip_legacy_hwcaps: bool,
    /// glibc ≤ 2.36: `dl_hwcap & hwcap_mask`, for legacy hwcap entries.
    pub legacy_hwcap_bits: u64,
    /// glibc ≤ 2.36: the platform's bit in a legacy hwcap (x86: `haswell`
    /// is bit 48, `xeon_phi` bit 49); 0 for a platform glibc does not number.
    pub platform_bit: u64,
}

fn u32_le(b: &[u8], at: usize, big: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(s)
    } else {
        u32::from_le_bytes(s)
    })
}

fn u64_le(b: &[u8], at: usize, big: bool) -> Option<u64> {
    let s: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(if big {
        u64::from_be_bytes(s)
    } else {
        u64::from_le_bytes(s)
    })
}

/// The byte order of this machine: glibc reads the cache in its own.
const BIG: bool = cfg!(target_endian = "big");

impl Cache {
    /// Recognises the layout as glibc does (new first, then old and
    /// compat) and checks what glibc checks before using it.
    pub fn parse(bytes: Vec<u8>) -> Result<Cache, CacheError> {
        let size = bytes.len();
        if size > NEW_HEADER && bytes.starts_with(NEW_MAGIC) {
            let nlibs = u32_le(&bytes, 20, BIG).unwrap_or(0);
            let fits = (size - NEW_HEADER) / NEW_ENTRY;
            if usize::try_from(nlibs).is_ok_and(|n| n <= fits) {
                check_endian(&bytes, 0)?;
                return Ok(Cache::new_at(bytes, 0, Format::New, nlibs));
            }
            // Too many entries for a new cache: glibc then tries the old magic,
            // which this file does not have.
            return Err(CacheError::TooManyEntries { count: nlibs, size });
        }
        if size > OLD_HEADER && bytes.starts_with(OLD_MAGIC) {
            let nlibs = u32_le(&bytes, 12, BIG).unwrap_or(0);
            let fits = (size - OLD_HEADER) / OLD_ENTRY;
            let n = usize::try_from(nlibs)
                .ok()
                .filter(|&n| n <= fits)
                .ok_or(CacheError::TooManyEntries { count: nlibs, size })?;
            // `ALIGN_CACHE`: the new header follows, 8-aligned.
            let end_old = OLD_HEADER + n * OLD_ENTRY;
            let new_at = end_old.div_ceil(8) * 8;
            let has_new = new_at
                .checked_add(NEW_HEADER)
                .is_some_and(|end| end <= size)
                && bytes
                    .get(new_at..)
                    .is_some_and(|b| b.starts_with(NEW_MAGIC));
            if has_new {
                check_endian(&bytes, new_at)?;
                let new_nlibs = u32_le(&bytes, new_at.saturating_add(20), BIG).unwrap_or(0);
                return Ok(Cache::new_at(bytes, new_at, Format::Compat, new_nlibs));
            }
            return Ok(Cache {
                bytes,
                format: Format::Old,
                entries: OLD_HEADER,
                nlibs,
                entry_size: OLD_ENTRY,
                strings: end_old,
                strings_size: size - end_old,
                hwcaps_names: Vec::new(),
            });
        }
        Err(CacheError::NoMagic)
    }

    /// A cache whose new header is at `at`. glibc's string table for it is
    /// "the file size" long from the header: offsets past the end are
    /// refused by the bounds checks of each read instead.
    fn new_at(bytes: Vec<u8>, at: usize, format: Format, nlibs: u32) -> Cache {
        let size = bytes.len();
        let hwcaps_names = extension_hwcaps(&bytes, at);
        Cache {
            entries: at + NEW_HEADER,
            nlibs,
            entry_size: NEW_ENTRY,
            strings: at,
            strings_size: size,
            hwcaps_names,
            format,
            bytes,
        }
    }

    /// Number of entries glibc searches.
    pub fn len(&self) -> usize {
        usize::try_from(self.nlibs).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.nlibs == 0
    }

    /// Entry `i`, if the file holds it.
    pub fn entry(&self, i: usize) -> Option<Entry> {
        if i >= self.len() {
            return None;
        }
        let at = self.entries.checked_add(i.checked_mul(self.entry_size)?)?;
        let b = &self.bytes;
        Some(Entry {
            flags: u32_le(b, at, BIG)? as i32,
            key: u32_le(b, at.saturating_add(4), BIG)?,
            value: u32_le(b, at.saturating_add(8), BIG)?,
            hwcap: if self.entry_size == NEW_ENTRY {
                u64_le(b, at.saturating_add(16), BIG)?
            } else {
                0
            },
        })
    }

    /// The NUL-terminated string at a string-table offset: `None` when the
    /// offset fails glibc's check (`_dl_cache_verify_ptr`) or lies outside
    /// the file. A string without a NUL ends with the file.
    pub fn string(&self, offset: u32) -> Option<&[u8]> {
        let off = usize::try_from(offset).ok()?;
        if off >= self.strings_size {
            return None;
        }
        let rest = self.bytes.get(self.strings.checked_add(off)?..)?;
        rest.get(..memchr::memchr(0, rest).unwrap_or(rest.len()))
    }

    /// A key for comparing with [`libcmp`], which stops at its NUL: the
    /// bytes from the offset on, so that no comparison scans the rest of
    /// a hostile file for a NUL first.
    fn key(&self, offset: u32) -> Option<&[u8]> {
        let off = usize::try_from(offset).ok()?;
        if off >= self.strings_size {
            return None;
        }
        self.bytes.get(self.strings.checked_add(off)?..)
    }

    /// The glibc-hwcaps subdirectory an entry is for, if it is such an entry.
    pub fn entry_hwcaps(&self, e: &Entry) -> Option<&[u8]> {
        let named = (e.hwcap >> 32) & !ISA_LEVEL_MASK == HWCAP_EXTENSION >> 32;
        if named && self.entry_size == NEW_ENTRY {
            self.hwcaps_name(e.hwcap & 0xffff_ffff)
        } else {
            None
        }
    }

    /// The name of hwcaps subdirectory `index` (low 32 bits of an
    /// extension entry's hwcap), offsets counted from the file start.
    fn hwcaps_name(&self, index: u64) -> Option<&[u8]> {
        let at = *self.hwcaps_names.get(usize::try_from(index).ok()?)?;
        let rest = self.bytes.get(usize::try_from(at).ok()?..)?;
        rest.get(..memchr::memchr(0, rest)?)
    }

    /// `glibc_hwcaps_priority`: 0 = not usable on this CPU, else the rank
    /// of the subdirectory in the CPU's search order (1 is best).
    fn hwcaps_priority(&self, index: u64, env: &Env<'_>) -> u32 {
        let Some(name) = self.hwcaps_name(index) else {
            return 0;
        };
        env.hwcaps_subdirs
            .iter()
            .position(|s| s.as_bytes() == name)
            .map_or(0, |p| u32::try_from(p).unwrap_or(u32::MAX - 1) + 1)
    }

    /// Looks `name` up as glibc's `search_cache` does; the path stored
    /// for the best usable entry.
    pub fn lookup(&self, name: &[u8], env: &Env<'_>) -> Option<&[u8]> {
        let nlibs = i64::from(self.nlibs);
        let (mut left, mut right) = (0i64, nlibs - 1);
        let key_at = |i: i64| -> Option<&[u8]> {
            let e = self.entry(usize::try_from(i).ok()?)?;
            self.key(e.key)
        };
        while left <= right {
            let mut middle = (left + right) / 2;
            // A bogus key ends the whole search (glibc returns NULL).
            let key = key_at(middle)?;
            match libcmp(name, key) {
                Ordering::Equal => {}
                Ordering::Less => {
                    left = middle + 1;
                    continue;
                }
                Ordering::Greater => {
                    right = middle - 1;
                    continue;
                }
            }
            // Back to the first entry of this name.
            left = middle;
            while middle > 0 {
                match key_at(middle - 1) {
                    Some(k) if libcmp(name, k) == Ordering::Equal => middle -= 1,
                    _ => break,
                }
            }
            return self.best_of(name, middle, left, right, env);
        }
        None
    }

    /// The entries named `name` from `first`: glibc's inner loop.
    fn best_of(
        &self,
        name: &[u8],
        first: i64,
        known: i64,
        right: i64,
        env: &Env<'_>,
    ) -> Option<&[u8]> {
        let mut best: Option<&[u8]> = None;
        let mut best_priority = 0u32;
        let mut middle = first;
        while middle <= right {
            let i = usize::try_from(middle).ok()?;
            let e = self.entry(i)?;
            middle += 1;
            if middle - 1 > known {
                match self.key(e.key) {
                    Some(k) if libcmp(name, k) == Ordering::Equal => {}
                    _ => break,
                }
            }
            if !env.accepted_flags.contains(&e.flags) {
                continue;
            }
            let Some(value) = self.string(e.value) else {
                continue;
            };
            let mut named = false;
            if self.entry_size == NEW_ENTRY {
                named = (e.hwcap >> 32) & !ISA_LEVEL_MASK == HWCAP_EXTENSION >> 32;
                if named {
                    // `dl_cache_hwcap_isa_level_compatible`.
                    let level = (e.hwcap >> 32) & ISA_LEVEL_MASK;
                    let bit = 1u64.checked_shl(u32::try_from(level).unwrap_or(64));
                    if bit.is_none_or(|b| u64::from(env.isa_1) & b != b) {
                        continue;
                    }
                }
                if !named && best.is_some() {
                    break;
                }
                if !named && e.hwcap != 0 {
                    if env.skip_legacy_hwcaps {
                        continue;
                    }
                    // `hwcap_exclude`: bits the CPU lacks, ignoring the
                    // platform field and TLS (bit 63).
                    let platform = 0b11u64 << 48;
                    let allowed = env.legacy_hwcap_bits | platform | (1 << 63);
                    if e.hwcap & !allowed != 0 {
                        continue;
                    }
                    // A platform-specific entry must match the CPU's platform.
                    if e.hwcap & platform != 0 && e.hwcap & platform != env.platform_bit {
                        continue;
                    }
                }
                if named {
                    let priority = self.hwcaps_priority(e.hwcap & 0xffff_ffff, env);
                    if priority == 0 || (best.is_some() && priority >= best_priority) {
                        continue;
                    }
                    best_priority = priority;
                }
            }
            best = Some(value);
            if !named && e.flags == env.default_flags {
                break;
            }
        }
        best
    }
}

/// glibc refuses a new-format cache whose endianness flag names the other
/// byte order (or says "invalid").
fn check_endian(bytes: &[u8], at: usize) -> Result<(), CacheError> {
    let flags = bytes.get(at.saturating_add(28)).copied().unwrap_or(0) & 3;
    let ours = if BIG { 3 } else { 2 };
    match flags {
        0 => Ok(()),
        f if f == ours => Ok(()),
        _ => Err(CacheError::WrongEndian),
    }
}

/// The hwcaps names of the extension directory of the new header at `at`,
/// as `cache_extension_load` accepts it; empty when it is missing or
/// malformed (glibc then treats every hwcaps entry as unusable).
fn extension_hwcaps(bytes: &[u8], at: usize) -> Vec<u32> {
    let size = bytes.len();
    let Some(ext) = u32_le(bytes, at.saturating_add(32), BIG).and_then(|o| usize::try_from(o).ok())
    else {
        return Vec::new();
    };
    if ext == 0 || ext % 4 != 0 || ext.checked_add(8).is_none_or(|e| e > size) {
        return Vec::new();
    }
    if u32_le(bytes, ext, BIG) != Some(EXTENSION_MAGIC) {
        return Vec::new();
    }
    let count = u32_le(bytes, ext.saturating_add(4), BIG).unwrap_or(0);
    let Some(sections_end) = usize::try_from(count)
        .ok()
        .and_then(|c| c.checked_mul(16))
        .and_then(|l| l.checked_add(ext + 8))
        .filter(|&e| e <= size)
    else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let mut at_section = ext + 8;
    while at_section < sections_end {
        let field = |k: usize| u32_le(bytes, at_section.saturating_add(4 * k), BIG).unwrap_or(0);
        let (tag, offset, len) = (field(0), field(2), field(3));
        let end = u64::from(offset) + u64::from(len);
        if end > size as u64 {
            // "Extension data extends beyond the end of the file": all unused.
            return Vec::new();
        }
        if tag == TAG_GLIBC_HWCAPS {
            // Kept only when not empty, 4-aligned and a multiple of 4.
            names.clear();
            if len != 0 && offset % 4 == 0 && len % 4 == 0 {
                let start = usize::try_from(offset).unwrap_or(usize::MAX);
                let words = usize::try_from(len)
                    .ok()
                    .and_then(|l| bytes.get(start..start.checked_add(l)?))
                    .unwrap_or_default();
                names = words
                    .chunks_exact(4)
                    .filter_map(|w| u32_le(w, 0, BIG))
                    .collect();
            }
        }
        at_section += 16;
    }
    names
}

/// `_dl_cache_libcmp`: byte order, except that runs of digits compare as
/// numbers (`libfoo.so.10` after `libfoo.so.9`). A digit sorts after any
/// other byte. Numbers wrap as glibc's `int` arithmetic would.
pub fn libcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0usize, 0usize);
    let at = |s: &[u8], k: usize| s.get(k).copied().unwrap_or(0);
    loop {
        let (x, y) = (at(a, i), at(b, j));
        if x == 0 {
            return 0i32.cmp(&i32::from(y));
        }
        if x.is_ascii_digit() {
            if !y.is_ascii_digit() {
                return Ordering::Greater;
            }
            let mut v1: i32 = 0;
            while at(a, i).is_ascii_digit() {
                v1 = v1.wrapping_mul(10).wrapping_add(i32::from(at(a, i) - b'0'));
                i += 1;
            }
            let mut v2: i32 = 0;
            while at(b, j).is_ascii_digit() {
                v2 = v2.wrapping_mul(10).wrapping_add(i32::from(at(b, j) - b'0'));
                j += 1;
            }
            if v1 != v2 {
                return v1.wrapping_sub(v2).cmp(&0);
            }
        } else if y.is_ascii_digit() {
            return Ordering::Less;
        } else if x != y {
            return i32::from(x).cmp(&i32::from(y));
        } else {
            i += 1;
            j += 1;
        }
    }
}

/// The flags glibc's loader for `e_machine` (and ELF class) accepts
/// (`sysdeps/unix/sysv/linux/*/dl-cache.h`), and its default id.
pub fn accepted_flags(e_machine: u16, is_64: bool) -> (&'static [i32], i32) {
    match (e_machine, is_64) {
        (62, true) => (&[0x0303], 0x0303),
        (62, false) => (&[0x0803], 0x0803),
        (183, true) => (&[0x0a03], 0x0a03),
        (21, true) => (&[0x0503], 0x0503),
        (22, true) => (&[0x0403], 0x0403),
        (40, false) => (&[0x0903, 0x0b03, 3], 0x0903),
        (243, true) => (&[0x1003, 0x0f03], 0x1003),
        (258, true) => (&[0x1203, 0x1103], 0x1203),
        (8, true) => (&[0x0703], 0x0703),
        (2, true) | (43, true) => (&[0x0103], 0x0103),
        _ => (&[1, 3], 3),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a new-format cache: entries (flags, key, value, hwcap) are
    /// given in the order to write; `names` are the hwcaps extension names.
    pub(crate) fn new_cache(entries: &[(i32, &str, &str, u64)], names: &[&str]) -> Vec<u8> {
        let mut strings: Vec<u8> = Vec::new();
        let strings_at = NEW_HEADER + entries.len() * NEW_ENTRY;
        let mut add = |s: &str| -> u32 {
            let off = (strings_at + strings.len()) as u32;
            strings.extend_from_slice(s.as_bytes());
            strings.push(0);
            off
        };
        let mut body = Vec::new();
        for &(flags, key, value, hwcap) in entries {
            body.extend_from_slice(&flags.to_le_bytes());
            body.extend_from_slice(&add(key).to_le_bytes());
            body.extend_from_slice(&add(value).to_le_bytes());
            body.extend_from_slice(&0u32.to_le_bytes());
            body.extend_from_slice(&hwcap.to_le_bytes());
        }
        let name_offs: Vec<u32> = names.iter().map(|n| add(n)).collect();
        let mut out = NEW_MAGIC.to_vec();
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        out.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        out.extend_from_slice(&[2, 0, 0, 0]);
        let ext_at_field = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&body);
        out.extend_from_slice(&strings);
        if !names.is_empty() {
            while !out.len().is_multiple_of(4) {
                out.push(0);
            }
            let ext = out.len() as u32;
            out[ext_at_field..ext_at_field + 4].copy_from_slice(&ext.to_le_bytes());
            let data_at = ext + 8 + 16;
            out.extend_from_slice(&EXTENSION_MAGIC.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            for v in [TAG_GLIBC_HWCAPS, 0, data_at, 4 * name_offs.len() as u32] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for o in name_offs {
                out.extend_from_slice(&o.to_le_bytes());
            }
        }
        out
    }

    fn env<'a>(isa_1: u32, subdirs: &'a [&'a str]) -> Env<'a> {
        Env {
            accepted_flags: &[0x303],
            default_flags: 0x303,
            isa_1,
            hwcaps_subdirs: subdirs,
            skip_legacy_hwcaps: false,
            legacy_hwcap_bits: 2,
            platform_bit: 0,
        }
    }

    #[test]
    fn libcmp_orders_digit_runs_as_numbers() {
        use Ordering::*;
        assert_eq!(libcmp(b"libc.so.6", b"libc.so.6"), Equal);
        assert_eq!(libcmp(b"libfoo.so.10", b"libfoo.so.9"), Greater);
        assert_eq!(libcmp(b"libfoo.so.9", b"libfoo.so.10"), Less);
        assert_eq!(libcmp(b"liba.so", b"libb.so"), Less);
        assert_eq!(
            libcmp(b"lib1", b"liba"),
            Greater,
            "a digit sorts after a letter"
        );
        assert_eq!(libcmp(b"libc.so", b"libc.so.6"), Less);
        assert_eq!(libcmp(b"libc.so.06", b"libc.so.6"), Equal);
        // Hostile digit runs wrap instead of overflowing.
        let long = "9".repeat(100);
        let _ = libcmp(long.as_bytes(), b"1");
    }

    /// Descending order, several names, and a name absent from the cache.
    #[test]
    fn lookup_finds_exact_keys_only() {
        let bytes = new_cache(
            &[
                (0x303, "libz.so.1", "/lib/libz.so.1", 0),
                (0x303, "libm.so.6", "/lib/libm.so.6", 0),
                (0x303, "libc.so.6", "/lib/libc.so.6", 0),
                (0x303, "libc.so", "/usr/lib/libc.so", 0),
                (0x303, "liba.so.1", "/lib/liba.so.1", 0),
            ],
            &[],
        );
        let c = Cache::parse(bytes).unwrap();
        assert_eq!(c.format, Format::New);
        let e = env(1, &[]);
        for (name, want) in [
            ("libc.so.6", Some(&b"/lib/libc.so.6"[..])),
            ("libc.so", Some(b"/usr/lib/libc.so")),
            ("libz.so.1", Some(b"/lib/libz.so.1")),
            ("liba.so.1", Some(b"/lib/liba.so.1")),
            ("libq.so.1", None),
            ("libc.so.7", None),
        ] {
            assert_eq!(c.lookup(name.as_bytes(), &e), want, "{name}");
        }
    }

    /// An entry of another architecture is passed over; glibc-hwcaps
    /// entries win by priority when the CPU has their level.
    #[test]
    fn flags_and_hwcaps_decide_between_entries() {
        let v3 = HWCAP_EXTENSION | (2u64 << 32); // index 0: x86-64-v3, level 2
        let v2 = HWCAP_EXTENSION | (1u64 << 32) | 1; // index 1: x86-64-v2, level 1
        let bytes = new_cache(
            &[
                (
                    0x303,
                    "libx.so.1",
                    "/lib/glibc-hwcaps/x86-64-v3/libx.so.1",
                    v3,
                ),
                (
                    0x303,
                    "libx.so.1",
                    "/lib/glibc-hwcaps/x86-64-v2/libx.so.1",
                    v2,
                ),
                (0x0a03, "libx.so.1", "/lib/aarch64/libx.so.1", 0),
                (0x303, "libx.so.1", "/lib/libx.so.1", 0),
            ],
            &["x86-64-v3", "x86-64-v2"],
        );
        let c = Cache::parse(bytes).unwrap();
        let get = |isa: u32, subdirs: &[&str]| c.lookup(b"libx.so.1", &env(isa, subdirs));
        assert_eq!(
            get(0b111, &["x86-64-v3", "x86-64-v2"]),
            Some(&b"/lib/glibc-hwcaps/x86-64-v3/libx.so.1"[..])
        );
        assert_eq!(
            get(0b11, &["x86-64-v2"]),
            Some(&b"/lib/glibc-hwcaps/x86-64-v2/libx.so.1"[..])
        );
        assert_eq!(get(0b1, &[]), Some(&b"/lib/libx.so.1"[..]));
        // A CPU of level v3 whose loader has no v3 subdirectory active.
        assert_eq!(
            get(0b111, &["x86-64-v2"]),
            Some(&b"/lib/glibc-hwcaps/x86-64-v2/libx.so.1"[..])
        );
    }

    /// Lying counts, offsets and extensions: never a panic, never a read
    /// outside the file.
    #[test]
    fn hostile_caches() {
        assert_eq!(Cache::parse(Vec::new()).unwrap_err(), CacheError::NoMagic);
        assert_eq!(
            Cache::parse(b"not a cache at all, but long enough to be one".to_vec()).unwrap_err(),
            CacheError::NoMagic
        );
        let mut b = new_cache(&[(0x303, "libc.so.6", "/lib/libc.so.6", 0)], &["x86-64-v3"]);
        let good = b.clone();
        b[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            Cache::parse(b).unwrap_err(),
            CacheError::TooManyEntries { .. }
        ));
        let mut b = good.clone();
        b[28] = 3;
        assert_eq!(Cache::parse(b).unwrap_err(), CacheError::WrongEndian);
        // A key offset past the end: the lookup finds nothing.
        let mut b = good.clone();
        b[52..56].copy_from_slice(&u32::MAX.to_le_bytes());
        let c = Cache::parse(b).unwrap();
        assert_eq!(c.lookup(b"libc.so.6", &env(1, &[])), None);
        // Every byte flipped in turn, and every truncation.
        for i in 0..good.len() {
            for v in [0u8, 0xff, 0x7f] {
                let mut b = good.clone();
                b[i] = v;
                if let Ok(c) = Cache::parse(b) {
                    let _ = c.lookup(b"libc.so.6", &env(0b1111, &["x86-64-v3"]));
                    for k in 0..c.len().min(4) {
                        let _ = c.entry(k).map(|e| (c.string(e.key), c.string(e.value)));
                    }
                }
            }
            if let Ok(c) = Cache::parse(good[..i].to_vec()) {
                let _ = c.lookup(b"libc.so.6", &env(1, &[]));
            }
        }
    }

    /// `(key, value, hwcaps subdirectory)` of every entry, in file order,
    /// as `ldconfig -p` prints them.
    fn listed(c: &Cache) -> Vec<(String, String, Option<String>)> {
        (0..c.len())
            .map(|i| {
                let e = c.entry(i).unwrap();
                let text = |b: Option<&[u8]>| String::from_utf8_lossy(b.unwrap()).into_owned();
                let hw = c
                    .entry_hwcaps(&e)
                    .map(|h| String::from_utf8_lossy(h).into_owned());
                (text(c.string(e.key)), text(c.string(e.value)), hw)
            })
            .collect()
    }

    /// The same from `ldconfig -p` (`\tKEY (FLAGS[, hwcap: "NAME"]) => VALUE`).
    fn ldconfig_p(args: &[&str]) -> Option<Vec<(String, String, Option<String>)>> {
        let out = std::process::Command::new("ldconfig")
            .arg("-p")
            .args(args)
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        Some(
            text.lines()
                .skip(1)
                .filter_map(|l| {
                    let (left, value) = l.trim_start().split_once(" => ")?;
                    let (key, desc) = left.split_once(" (")?;
                    let hw = desc
                        .split_once("hwcap: \"")
                        .and_then(|(_, h)| h.split_once('"'))
                        .map(|(h, _)| h.to_string());
                    Some((key.to_string(), value.to_string(), hw))
                })
                .collect(),
        )
    }

    /// The real `ldconfig` is the oracle: the host's cache, and caches it
    /// writes in each layout for a root with glibc-hwcaps subdirectories,
    /// read here entry for entry as `ldconfig -p` prints them; lookups find
    /// what glibc would open.
    #[test]
    fn ldconfig_is_the_oracle() {
        if let (Ok(bytes), Some(want)) = (std::fs::read("/etc/ld.so.cache"), ldconfig_p(&[])) {
            let c = Cache::parse(bytes).unwrap();
            assert_eq!(listed(&c), want);
            let e = Env {
                accepted_flags: accepted_flags(62, true).0,
                default_flags: 0x303,
                ..env(0b11, &["x86-64-v2"])
            };
            if cfg!(target_arch = "x86_64") {
                let libc = c.lookup(b"libc.so.6", &e).unwrap();
                assert!(libc.ends_with(b"/libc.so.6"), "{libc:?}");
            }
        }
        let Ok(libc) = std::fs::canonicalize("/lib/x86_64-linux-gnu/libc.so.6") else {
            return;
        };
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        for sub in ["", "glibc-hwcaps/x86-64-v2/", "glibc-hwcaps/x86-64-v3/"] {
            let dir = root.join(format!("opt/h/{sub}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::copy(&libc, dir.join("libc.so.6")).unwrap();
        }
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/ld.so.conf"), "/opt/h\n").unwrap();
        let r = root.to_str().unwrap();
        for format in ["new", "old", "compat"] {
            let ok = std::process::Command::new("ldconfig")
                .args(["-r", r, "-c", format])
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return;
            }
            let bytes = std::fs::read(root.join("etc/ld.so.cache")).unwrap();
            let c = Cache::parse(bytes).unwrap();
            let want = ldconfig_p(&["-r", r]).unwrap();
            assert_eq!(listed(&c), want, "{format}");
            assert!(
                format == "old" || want.iter().any(|(_, _, h)| h.is_some()),
                "{format}: ldconfig wrote no glibc-hwcaps entry"
            );
            let e = Env {
                accepted_flags: accepted_flags(62, true).0,
                default_flags: 0x303,
                ..env(0b111, &["x86-64-v3", "x86-64-v2"])
            };
            let hit = c.lookup(b"libc.so.6", &e).unwrap();
            // As the real loader shows (`ld.so --list` in a chroot): the old
            // layout has no hwcap field, so its first entry of the name
            // wins; in the compat layout glibc 2.36 reads the hwcaps names
            // from the file start while ldconfig wrote them from the new
            // header, so no name matches and the plain entry is taken.
            let expect: &[u8] = match format {
                "old" => b"/opt/h/glibc-hwcaps/x86-64-v2/libc.so.6",
                "compat" => b"/opt/h/libc.so.6",
                _ => b"/opt/h/glibc-hwcaps/x86-64-v3/libc.so.6",
            };
            assert_eq!(hit, expect, "{format}");
        }
    }

    /// An old-format cache, and the same entries in a compat file: glibc
    /// reads the new table of the compat file.
    #[test]
    fn old_and_compat_layouts() {
        let mut old = OLD_MAGIC.to_vec();
        old.push(0);
        old.extend_from_slice(&2u32.to_le_bytes());
        let names = b"libz.so.1\0/old/libz.so.1\0liba.so.1\0/old/liba.so.1\0";
        for (flags, key, value) in [(3i32, 0u32, 10u32), (3, 25, 35)] {
            old.extend_from_slice(&flags.to_le_bytes());
            old.extend_from_slice(&key.to_le_bytes());
            old.extend_from_slice(&value.to_le_bytes());
        }
        let mut plain = old.clone();
        plain.extend_from_slice(names);
        let c = Cache::parse(plain).unwrap();
        assert_eq!(c.format, Format::Old);
        let e = Env {
            accepted_flags: &[1, 3],
            default_flags: 3,
            ..env(1, &[])
        };
        assert_eq!(c.lookup(b"liba.so.1", &e), Some(&b"/old/liba.so.1"[..]));
        assert_eq!(c.lookup(b"libz.so.1", &e), Some(&b"/old/libz.so.1"[..]));

        let mut compat = old;
        while !compat.len().is_multiple_of(8) {
            compat.push(0);
        }
        compat.extend_from_slice(&new_cache(
            &[(0x303, "libz.so.1", "/new/libz.so.1", 0)],
            &[],
        ));
        let c = Cache::parse(compat).unwrap();
        assert_eq!(c.format, Format::Compat);
        // Its offsets count from the new header.
        assert_eq!(
            c.lookup(b"libz.so.1", &env(1, &[])),
            Some(&b"/new/libz.so.1"[..])
        );
        assert_eq!(c.lookup(b"liba.so.1", &env(1, &[])), None);

        // glibc does not check the new part's count in a compat file (the
        // real loader reads past the mapping): entries past the end of the
        // file do not exist here, and a search reaching one ends. (Those in
        // the file are read, as glibc reads them.)
        let at = c.entries - NEW_HEADER;
        let mut lying = c.bytes.clone();
        for count in [2u32, 1000, u32::MAX] {
            lying[at + 20..at + 24].copy_from_slice(&count.to_le_bytes());
            let l = Cache::parse(lying.clone()).unwrap();
            assert_eq!(l.format, Format::Compat);
            assert!(l.entry(lying.len() / 12).is_none());
            let _ = l.lookup(b"libz.so.1", &env(1, &[]));
            assert_eq!(l.lookup(b"liba.so.1", &env(1, &[])), None);
        }
    }
}
