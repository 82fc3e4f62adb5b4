//! Find and decode the `.go.buildinfo` blob: the toolchain version and the
//! module-info string that the Go linker writes into every binary since 1.13.
//!
//! ```text
//! off  len  field                              (header, 32 bytes, 16-aligned)
//!   0   14  magic "\xff Go buildinf:"
//!  14    1  pointer size (4 or 8)
//!  15    1  flags: bit0 big-endian, bit1 (0x2) inline format
//!  16   16  pointer format (1.13-1.17): versPtr, then modPtr at 16+ptrsize,
//!           each the vaddr of a Go string header {data ptr, len} in the
//!           target's size and byte order; inline format (1.18+): zero
//!  32    -  inline format: uvarint len, version bytes, uvarint len, modinfo
//!           bytes (the modinfo framed by 16-byte sentinels); zero padding
//! ```
//!
//! Writer: `src/cmd/link/internal/ld/data.go, (*Link).buildinfo`. Reader:
//! `src/debug/buildinfo/buildinfo.go, readRawBuildInfo` (1.21: reads the
//! first 64 KiB of the data start; 1.22-1.23: the whole section; 1.24+:
//! searches in 1 MiB chunks; 1.27: no PT_LOAD fallback for ELF). Where to
//! look is the caller's choice; this module only scans the bytes it is
//! given. See `shared/reference/elf-go-formats.md` §1.
//!
//! Text is not converted lossily: a version that is not UTF-8 is an error
//! (it cannot be a Go version, and Go would report it verbatim), while the
//! modinfo is returned as bytes for `modinfo::parse` callers to check.

use serde::Serialize;
use thiserror::Error;

use super::AddressSpace;
use super::modinfo::strip_sentinels;

/// The 14-byte magic (`buildInfoMagic`); not 16 bytes.
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// The header is 32 bytes; a magic with less room after it does not count.
pub const HEADER_SIZE: usize = 32;
/// The linker aligns the blob to 16 (`buildInfoAlign`).
pub const ALIGN: usize = 16;
/// Longest version string accepted. The 1.27 linker writes
/// `buildcfg.Version` plus ` X:` and the experiments that differ from the
/// baseline: 20 experiments, all `no`-prefixed, come to about 300 bytes,
/// and devel or vendor stamps add under 100. 4 KiB is ten times that, so a
/// longer "version" is garbage, not a toolchain we fail to understand.
pub const MAX_VERSION_LEN: u64 = 4096;

const PTR_SIZE_OFFSET: usize = 14;
const FLAGS_OFFSET: usize = 15;
const VERS_PTR_OFFSET: usize = 16;
const FLAG_BIG_ENDIAN: u8 = 0x1;
const FLAG_INLINE: u8 = 0x2;
/// `binary.MaxVarintLen64`.
const MAX_VARINT_LEN: usize = 10;

/// Why a blob that starts with the magic could not be decoded. Offsets are
/// from the start of the blob (the magic); vaddrs are target addresses.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BuildInfoError {
    #[error(".go.buildinfo: blob does not start with the magic")]
    NoMagic,
    #[error(".go.buildinfo header: {len} bytes, need {HEADER_SIZE}")]
    TruncatedHeader { len: usize },
    #[error(".go.buildinfo header at offset 0xe: pointer size {value} is neither 4 nor 8")]
    BadPointerSize { value: u8 },
    #[error(
        ".go.buildinfo {what} length at offset {offset:#x}: uvarint runs past the end of the data"
    )]
    UnterminatedVarint { what: &'static str, offset: usize },
    #[error(
        ".go.buildinfo {what} length at offset {offset:#x}: uvarint longer than 10 bytes or over 64 bits"
    )]
    VarintOverflow { what: &'static str, offset: usize },
    #[error(
        ".go.buildinfo {what} at offset {offset:#x}: length {len} exceeds the {available} bytes left"
    )]
    StringPastEnd {
        what: &'static str,
        offset: usize,
        len: u64,
        available: usize,
    },
    #[error(".go.buildinfo version: length {len} exceeds the {MAX_VERSION_LEN}-byte limit")]
    VersionTooLong { len: u64 },
    #[error(".go.buildinfo version: empty (Go: not a Go executable)")]
    EmptyVersion,
    #[error(".go.buildinfo version: not UTF-8")]
    NonUtf8Version,
    #[error(".go.buildinfo: pointer format (Go 1.13-1.17) needs the image's address space")]
    NoAddressSpace,
    #[error(
        ".go.buildinfo {what} pointer at vaddr slot offset {offset:#x} is 0 and the blob's vaddr is unknown, so its relocation cannot be looked up"
    )]
    ZeroPointerWithoutVaddr { what: &'static str, offset: usize },
    #[error(
        ".go.buildinfo {what}: pointer slot at vaddr {slot:#x} is 0 and has no relative relocation"
    )]
    NullPointer { what: &'static str, slot: u64 },
    #[error(".go.buildinfo {what} at vaddr {vaddr:#x}: not mapped by a file-backed segment")]
    Unmapped { what: &'static str, vaddr: u64 },
    #[error(
        ".go.buildinfo {what} at vaddr {vaddr:#x}: needs {len} bytes, the segment has {available}"
    )]
    TruncatedAt {
        what: &'static str,
        vaddr: u64,
        len: u64,
        available: usize,
    },
    #[error(".go.buildinfo {what}: address overflow computing vaddr")]
    AddressOverflow { what: &'static str },
}

/// Which header format the blob uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Go 1.18+: strings follow the header (flag 0x2).
    Inline,
    /// Go 1.13-1.17: the header points at Go string headers.
    Pointer,
}

/// The two strings of the blob, as Go's `readRawBuildInfo` returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBuildInfo {
    /// `runtime.buildVersion`, non-empty (see `version::parse`).
    pub version: String,
    /// The modinfo text with its sentinels removed by Go's rule
    /// (`modinfo::strip_sentinels`), as bytes; `None` where Go reads ""
    /// (no module info: GOPATH builds, or an unframed string).
    pub modinfo: Option<Vec<u8>>,
    /// Length of the stored modinfo string before the sentinels were
    /// removed, so that "absent" (0) and "present but unframed" differ.
    pub modinfo_stored_len: usize,
    pub format: Format,
    /// Header byte 14. Go ignores it for the inline format; so do we.
    pub ptr_size: u8,
    /// Flag bit 0 (the target's byte order).
    pub big_endian: bool,
}

/// Offset of the first magic at a 16-aligned offset of `data` with at least
/// [`HEADER_SIZE`] bytes from it to the end. `data[0]` must sit at a
/// 16-aligned vaddr (a section start, which the linker aligns); otherwise use
/// [`find_magic_at`]. Touches one byte per 16 until a 0xff is met.
pub fn find_magic(data: &[u8]) -> Option<usize> {
    let candidates = data.len().checked_sub(HEADER_SIZE)? / ALIGN + 1;
    data.chunks_exact(ALIGN)
        .take(candidates)
        .position(|c| c.first() == Some(&0xff) && c.starts_with(MAGIC))
        .and_then(|i| i.checked_mul(ALIGN))
}

/// As [`find_magic`], with alignment taken from the vaddr of `data[0]`, as
/// Go's `searchMagic` rounds the start address up to 16.
pub fn find_magic_at(data: &[u8], data_vaddr: u64) -> Option<usize> {
    // ALIGN is 16, so both conversions are exact.
    let misalign = (data_vaddr % ALIGN as u64) as usize;
    let skip = (ALIGN - misalign) % ALIGN;
    let rest = data.get(skip..)?;
    find_magic(rest).map(|off| off + skip)
}

/// Scans `data` (a section or segment, `data_vaddr` its address if known)
/// and decodes the first blob. `Ok(None)`: no magic, not a Go binary (or
/// a pre-1.13 one). `Err`: a magic was found but the blob is corrupt.
pub fn find_and_decode(
    data: &[u8],
    data_vaddr: Option<u64>,
    mem: Option<&dyn AddressSpace>,
) -> Result<Option<RawBuildInfo>, BuildInfoError> {
    let off = match data_vaddr {
        Some(v) => find_magic_at(data, v),
        None => find_magic(data),
    };
    let Some(off) = off else {
        return Ok(None);
    };
    let blob = data.get(off..).unwrap_or_default();
    // `off` fits in u64 on every supported target; overflow means unknown.
    let blob_vaddr = data_vaddr.and_then(|v| v.checked_add(u64::try_from(off).ok()?));
    decode(blob, blob_vaddr, mem).map(Some)
}

/// Decodes a blob starting at the magic. `blob` should run to the end of
/// the file-backed data that maps it, as Go's `DataReader` reads to the end
/// of the segment. `blob_vaddr` and `mem` are needed only for the pointer
/// format; `blob_vaddr` only when a stored pointer is 0 (lld PIE), to find
/// the relocation that holds its value.
///
/// Stricter than Go in two places, both reported as corrupt: a modinfo
/// string that cannot be read (Go 1.21, and Go for the pointer format, read
/// it as "") and a version over [`MAX_VERSION_LEN`].
pub fn decode(
    blob: &[u8],
    blob_vaddr: Option<u64>,
    mem: Option<&dyn AddressSpace>,
) -> Result<RawBuildInfo, BuildInfoError> {
    let header = blob
        .get(..HEADER_SIZE)
        .ok_or(BuildInfoError::TruncatedHeader { len: blob.len() })?;
    if !header.starts_with(MAGIC) {
        return Err(BuildInfoError::NoMagic);
    }
    let ptr_size = header.get(PTR_SIZE_OFFSET).copied().unwrap_or(0);
    let flags = header.get(FLAGS_OFFSET).copied().unwrap_or(0);
    let big_endian = flags & FLAG_BIG_ENDIAN != 0;

    let (format, version, modinfo) = if flags & FLAG_INLINE != 0 {
        let (version, next) = inline_string(blob, HEADER_SIZE, "version", MAX_VERSION_LEN)?;
        let (modinfo, _) = inline_string(blob, next, "modinfo", u64::MAX)?;
        (Format::Inline, version, modinfo)
    } else {
        // Go: any other size means "not a Go executable".
        if ptr_size != 4 && ptr_size != 8 {
            return Err(BuildInfoError::BadPointerSize { value: ptr_size });
        }
        let mem = mem.ok_or(BuildInfoError::NoAddressSpace)?;
        let ptrs = Pointers {
            mem,
            size: ptr_size,
            big_endian,
        };
        let vers_slot = VERS_PTR_OFFSET;
        let mod_slot = VERS_PTR_OFFSET + usize::from(ptr_size);
        let version = ptrs.string(header, blob_vaddr, vers_slot, "version", MAX_VERSION_LEN)?;
        let modinfo = ptrs.string(header, blob_vaddr, mod_slot, "modinfo", u64::MAX)?;
        (Format::Pointer, version, modinfo)
    };

    if version.is_empty() {
        return Err(BuildInfoError::EmptyVersion);
    }
    let version =
        String::from_utf8(version.to_vec()).map_err(|_| BuildInfoError::NonUtf8Version)?;
    Ok(RawBuildInfo {
        version,
        modinfo: strip_sentinels(modinfo).map(<[u8]>::to_vec),
        modinfo_stored_len: modinfo.len(),
        format,
        ptr_size,
        big_endian,
    })
}

/// A uvarint length and that many bytes at `offset`; returns them and the
/// offset after them. The length is checked against the bytes present
/// before anything is copied.
fn inline_string<'a>(
    blob: &'a [u8],
    offset: usize,
    what: &'static str,
    max: u64,
) -> Result<(&'a [u8], usize), BuildInfoError> {
    let rest = blob.get(offset..).unwrap_or_default();
    let (len, n) = uvarint(rest).map_err(|overflow| {
        if overflow {
            BuildInfoError::VarintOverflow { what, offset }
        } else {
            BuildInfoError::UnterminatedVarint { what, offset }
        }
    })?;
    let data = rest.get(n..).unwrap_or_default();
    if len > max {
        return Err(BuildInfoError::VersionTooLong { len });
    }
    let bytes = usize::try_from(len)
        .ok()
        .and_then(|l| data.get(..l))
        .ok_or(BuildInfoError::StringPastEnd {
            what,
            offset: offset + n,
            len,
            available: data.len(),
        })?;
    Ok((bytes, offset + n + bytes.len()))
}

/// `encoding/binary.Uvarint`: the value and the bytes used. `Err(true)` for
/// overflow (a 10th byte above 1, or more than 10 bytes), `Err(false)` when
/// the data ends first.
fn uvarint(buf: &[u8]) -> Result<(u64, usize), bool> {
    let mut x: u64 = 0;
    for (i, &b) in buf.iter().take(MAX_VARINT_LEN).enumerate() {
        let shift = 7 * i as u32; // i < 10
        if b < 0x80 {
            if i == MAX_VARINT_LEN - 1 && b > 1 {
                return Err(true);
            }
            return Ok((x | u64::from(b) << shift, i + 1));
        }
        x |= u64::from(b & 0x7f) << shift;
    }
    Err(buf.len() >= MAX_VARINT_LEN)
}

/// Reads Go string headers through the address space (pointer format).
struct Pointers<'m> {
    mem: &'m dyn AddressSpace,
    size: u8,
    big_endian: bool,
}

impl<'m> Pointers<'m> {
    fn word(&self, b: &[u8]) -> u64 {
        let mut v: u64 = 0;
        for i in 0..usize::from(self.size) {
            let byte = if self.big_endian {
                b.get(i)
            } else {
                b.get(usize::from(self.size) - 1 - i)
            };
            v = (v << 8) | u64::from(byte.copied().unwrap_or(0));
        }
        v
    }

    /// A pointer that may be 0 with its value in a relative relocation.
    fn resolve(&self, stored: u64, slot: u64, what: &'static str) -> Result<u64, BuildInfoError> {
        if stored != 0 {
            return Ok(stored);
        }
        self.mem
            .relocation_addend(slot)
            .filter(|&a| a != 0)
            .ok_or(BuildInfoError::NullPointer { what, slot })
    }

    /// Exactly `len` bytes at `vaddr`, or an error naming why not.
    fn read(&self, vaddr: u64, len: u64, what: &'static str) -> Result<&'m [u8], BuildInfoError> {
        let got = self
            .mem
            .read(vaddr, len)
            .ok_or(BuildInfoError::Unmapped { what, vaddr })?;
        if u64::try_from(got.len()).ok() != Some(len) {
            return Err(BuildInfoError::TruncatedAt {
                what,
                vaddr,
                len,
                available: got.len(),
            });
        }
        Ok(got)
    }

    /// The string whose header's vaddr is stored at `slot_off` in the blob.
    fn string(
        &self,
        header: &[u8],
        blob_vaddr: Option<u64>,
        slot_off: usize,
        what: &'static str,
        max: u64,
    ) -> Result<&'m [u8], BuildInfoError> {
        let field = header.get(slot_off..).unwrap_or_default();
        let stored = self.word(field);
        let hdr_vaddr = if stored != 0 {
            stored
        } else {
            let base = blob_vaddr.ok_or(BuildInfoError::ZeroPointerWithoutVaddr {
                what,
                offset: slot_off,
            })?;
            let slot = u64::try_from(slot_off)
                .ok()
                .and_then(|o| base.checked_add(o))
                .ok_or(BuildInfoError::AddressOverflow { what })?;
            self.resolve(0, slot, what)?
        };
        let size = u64::from(self.size);
        let hdr = self.read(hdr_vaddr, 2 * size, what)?;
        let data_ptr = self.word(hdr);
        let len = self.word(hdr.get(usize::from(self.size)..).unwrap_or_default());
        if len > max {
            return Err(BuildInfoError::VersionTooLong { len });
        }
        if len == 0 {
            // An empty string (GOPATH modinfo) may have a null data pointer.
            return Ok(&[]);
        }
        // The header's first field is the data pointer, so its slot is the
        // header's own vaddr.
        let data_vaddr = self.resolve(data_ptr, hdr_vaddr, what)?;
        self.read(data_vaddr, len, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go::modinfo::{INFO_END, INFO_START};

    fn framed(text: &str) -> Vec<u8> {
        let mut v = INFO_START.to_vec();
        v.extend_from_slice(text.as_bytes());
        v.extend_from_slice(&INFO_END);
        v
    }

    fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// An inline (1.18+) blob as the linker lays it out, padded to 16.
    fn inline_blob(ptr_size: u8, flags: u8, version: &[u8], modinfo: &[u8]) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.push(ptr_size);
        b.push(flags);
        b.resize(HEADER_SIZE, 0);
        put_uvarint(&mut b, version.len() as u64);
        b.extend_from_slice(version);
        put_uvarint(&mut b, modinfo.len() as u64);
        b.extend_from_slice(modinfo);
        b.resize(b.len().div_ceil(16) * 16, 0);
        b
    }

    /// Segments of file bytes and relative relocations, like an ELF image.
    #[derive(Default)]
    struct FakeMem {
        segs: Vec<(u64, Vec<u8>)>,
        relocs: Vec<(u64, u64)>,
    }

    impl AddressSpace for FakeMem {
        fn read(&self, vaddr: u64, len: u64) -> Option<&[u8]> {
            self.segs.iter().find_map(|(start, data)| {
                let off = usize::try_from(vaddr.checked_sub(*start)?).ok()?;
                let rest = data.get(off..).filter(|r| !r.is_empty())?;
                let n = usize::try_from(len).map_or(rest.len(), |l| l.min(rest.len()));
                rest.get(..n)
            })
        }
        fn relocation_addend(&self, slot_vaddr: u64) -> Option<u64> {
            self.relocs
                .iter()
                .find(|(s, _)| *s == slot_vaddr)
                .map(|(_, a)| *a)
        }
    }

    fn ptr_bytes(v: u64, size: u8, big: bool) -> Vec<u8> {
        let full = if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        if big {
            full[8 - size as usize..].to_vec()
        } else {
            full[..size as usize].to_vec()
        }
    }

    const BLOB_VADDR: u64 = 0x4000;
    const HDRS_VADDR: u64 = 0x5000;
    const DATA_VADDR: u64 = 0x6000;

    /// A pointer-format (1.13-1.17) image: the blob, two string headers and
    /// the string bytes in three segments. `zero` leaves every pointer 0
    /// and records the values as relocations, as lld does for PIE.
    fn pointer_image(
        size: u8,
        big: bool,
        version: &str,
        modinfo: &[u8],
        zero: bool,
    ) -> (Vec<u8>, FakeMem) {
        let mut mem = FakeMem::default();
        let s = u64::from(size);
        let stored = |slot: u64, value: u64, relocs: &mut Vec<(u64, u64)>| {
            if zero {
                relocs.push((slot, value));
                ptr_bytes(0, size, big)
            } else {
                ptr_bytes(value, size, big)
            }
        };
        let mut blob = MAGIC.to_vec();
        blob.push(size);
        blob.push(u8::from(big));
        let mut relocs = Vec::new();
        blob.extend(stored(BLOB_VADDR + 16, HDRS_VADDR, &mut relocs));
        blob.extend(stored(BLOB_VADDR + 16 + s, HDRS_VADDR + 2 * s, &mut relocs));
        blob.resize(HEADER_SIZE, 0);

        let mut hdrs = Vec::new();
        hdrs.extend(stored(HDRS_VADDR, DATA_VADDR, &mut relocs));
        hdrs.extend(ptr_bytes(version.len() as u64, size, big));
        let mod_data = DATA_VADDR + 0x100;
        hdrs.extend(stored(HDRS_VADDR + 2 * s, mod_data, &mut relocs));
        hdrs.extend(ptr_bytes(modinfo.len() as u64, size, big));

        let mut data = version.as_bytes().to_vec();
        data.resize(0x100, 0);
        data.extend_from_slice(modinfo);

        mem.segs.push((BLOB_VADDR, blob.clone()));
        mem.segs.push((HDRS_VADDR, hdrs));
        mem.segs.push((DATA_VADDR, data));
        mem.relocs = relocs;
        (blob, mem)
    }

    #[test]
    fn finds_only_aligned_magic_with_room() {
        let mut data = vec![0u8; 256];
        data[8..22].copy_from_slice(MAGIC); // misaligned
        assert_eq!(find_magic(&data), None);
        data[96..110].copy_from_slice(MAGIC);
        assert_eq!(find_magic(&data), Some(96));
        data[48..62].copy_from_slice(MAGIC);
        assert_eq!(find_magic(&data), Some(48));

        // 31 bytes left: too few; 32: enough.
        let mut tail = vec![0u8; 64];
        tail[32..46].copy_from_slice(MAGIC);
        assert_eq!(find_magic(&tail[..63]), None);
        assert_eq!(find_magic(&tail), Some(32));
        assert_eq!(find_magic(&tail[..40]), None);
        assert_eq!(find_magic(&[]), None);
        assert_eq!(find_magic(&[0xff; 31]), None);
        // All 0xff: each candidate fails the full compare.
        assert_eq!(find_magic(&[0xff; 4096]), None);
    }

    #[test]
    fn find_magic_at_aligns_by_vaddr() {
        let mut data = vec![0u8; 128];
        data[8..22].copy_from_slice(MAGIC);
        // data[0] at vaddr ...8: offset 8 is vaddr-aligned.
        assert_eq!(find_magic_at(&data, 0x1008), Some(8));
        assert_eq!(find_magic_at(&data, 0x1000), None);
        assert_eq!(find_magic_at(&data[..4], 0x1008), None);
    }

    #[test]
    fn decodes_inline_le_and_be() {
        let text = "path\tx\nmod\tx\t(devel)\t\n";
        for (flags, big) in [(0x2, false), (0x3, true)] {
            let blob = inline_blob(8, flags, b"go1.27.3", &framed(text));
            let info = decode(&blob, None, None).unwrap();
            assert_eq!(info.version, "go1.27.3");
            assert_eq!(info.modinfo.as_deref(), Some(text.as_bytes()));
            assert_eq!(info.modinfo_stored_len, text.len() + 32);
            assert_eq!(info.format, Format::Inline);
            assert_eq!(info.big_endian, big);
            assert_eq!(info.ptr_size, 8);
        }
    }

    #[test]
    fn inline_modinfo_absent_or_unframed() {
        let info = decode(&inline_blob(4, 2, b"go1.21.0", b""), None, None).unwrap();
        assert_eq!((info.modinfo, info.modinfo_stored_len), (None, 0));
        let info = decode(&inline_blob(4, 2, b"go1.21.0", b"not framed"), None, None).unwrap();
        assert_eq!((info.modinfo, info.modinfo_stored_len), (None, 10));
    }

    #[test]
    fn inline_string_may_end_at_data_end() {
        // Go 1.22+ accepts it (1.21 required one more byte).
        let mut blob = inline_blob(8, 2, b"go1.22.1", b"");
        blob.truncate(HEADER_SIZE + 1 + 8 + 1);
        assert_eq!(decode(&blob, None, None).unwrap().version, "go1.22.1");
    }

    #[test]
    fn inline_errors() {
        assert_eq!(
            decode(&inline_blob(8, 2, b"", b""), None, None),
            Err(BuildInfoError::EmptyVersion)
        );
        assert_eq!(
            decode(&inline_blob(8, 2, b"go\xff", b""), None, None),
            Err(BuildInfoError::NonUtf8Version)
        );
        let long = vec![b'g'; MAX_VERSION_LEN as usize + 1];
        assert_eq!(
            decode(&inline_blob(8, 2, &long, b""), None, None),
            Err(BuildInfoError::VersionTooLong {
                len: MAX_VERSION_LEN + 1
            })
        );
        let mut no_magic = inline_blob(8, 2, b"go1.22.0", b"");
        no_magic[1] = b'x';
        assert_eq!(decode(&no_magic, None, None), Err(BuildInfoError::NoMagic));
        // Modinfo may contain arbitrary bytes; they are kept, not converted.
        let mut raw = INFO_START.to_vec();
        raw.extend_from_slice(b"\xff\xfe\n");
        raw.extend_from_slice(&INFO_END);
        let info = decode(&inline_blob(8, 2, b"go1.22.0", &raw), None, None).unwrap();
        assert_eq!(info.modinfo.as_deref(), Some(&b"\xff\xfe\n"[..]));
    }

    #[test]
    fn huge_varint_lengths_are_rejected_before_allocating() {
        for len in [u64::MAX, 1 << 40, 1 << 20] {
            let mut blob = inline_blob(8, 2, b"go1.22.0", b"");
            blob.truncate(HEADER_SIZE + 9);
            put_uvarint(&mut blob, len);
            blob.extend_from_slice(b"short");
            assert_eq!(
                decode(&blob, None, None),
                Err(BuildInfoError::StringPastEnd {
                    what: "modinfo",
                    offset: blob.len() - 5,
                    len,
                    available: 5
                })
            );
        }
        let mut blob = inline_blob(8, 2, b"", b"");
        blob.truncate(HEADER_SIZE);
        put_uvarint(&mut blob, 4097 + 100_000);
        assert!(matches!(
            decode(&blob, None, None),
            Err(BuildInfoError::VersionTooLong { .. })
        ));
    }

    #[test]
    fn varint_that_never_ends() {
        let mut blob = inline_blob(8, 2, b"", b"");
        blob.truncate(HEADER_SIZE);
        blob.extend_from_slice(&[0x80; 1 << 16]);
        assert_eq!(
            decode(&blob, None, None),
            Err(BuildInfoError::VarintOverflow {
                what: "version",
                offset: HEADER_SIZE
            })
        );
        blob.truncate(HEADER_SIZE + 5);
        assert_eq!(
            decode(&blob, None, None),
            Err(BuildInfoError::UnterminatedVarint {
                what: "version",
                offset: HEADER_SIZE
            })
        );
        // Ten bytes whose last exceeds 1 overflow 64 bits, like Go.
        let mut blob = inline_blob(8, 2, b"", b"");
        blob.truncate(HEADER_SIZE);
        blob.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]);
        assert!(matches!(
            decode(&blob, None, None),
            Err(BuildInfoError::VarintOverflow { .. })
        ));
        assert_eq!(
            uvarint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Ok((u64::MAX, 10))
        );
        assert_eq!(uvarint(&[0x94, 0x05]), Ok((660, 2)));
    }

    #[test]
    fn truncated_inline_blobs_never_panic() {
        let full = inline_blob(8, 3, b"go1.27.3", &framed("path\tx\n"));
        let tail = HEADER_SIZE + 1 + 8 + 1 + 39; // up to the end of modinfo
        for n in 0..full.len() {
            let r = decode(&full[..n], None, None);
            if n < HEADER_SIZE {
                assert_eq!(r, Err(BuildInfoError::TruncatedHeader { len: n }));
            } else if n < tail {
                assert!(r.is_err(), "prefix {n} decoded");
            } else {
                assert!(r.is_ok(), "prefix {n}: {r:?}");
            }
        }
    }

    #[test]
    fn decodes_pointer_format_all_sizes_and_orders() {
        let text = "path\tx\nmod\tx\t(devel)\t\n";
        for size in [4u8, 8] {
            for big in [false, true] {
                for zero in [false, true] {
                    let (blob, mem) = pointer_image(size, big, "go1.16.15", &framed(text), zero);
                    let info = decode(&blob, Some(BLOB_VADDR), Some(&mem))
                        .unwrap_or_else(|e| panic!("{size} {big} {zero}: {e}"));
                    assert_eq!(info.version, "go1.16.15");
                    assert_eq!(info.modinfo.as_deref(), Some(text.as_bytes()));
                    assert_eq!(info.format, Format::Pointer);
                    assert_eq!((info.ptr_size, info.big_endian), (size, big));
                }
            }
        }
    }

    #[test]
    fn pointer_format_errors() {
        let (blob, mem) = pointer_image(8, false, "go1.17", b"", false);
        assert_eq!(
            decode(&blob, None, None),
            Err(BuildInfoError::NoAddressSpace)
        );
        // GOPATH build: empty modinfo is fine without reading its pointer.
        let info = decode(&blob, None, Some(&mem)).unwrap();
        assert_eq!((info.version.as_str(), info.modinfo), ("go1.17", None));

        let mut bad = blob.clone();
        bad[PTR_SIZE_OFFSET] = 16;
        assert_eq!(
            decode(&bad, None, Some(&mem)),
            Err(BuildInfoError::BadPointerSize { value: 16 })
        );

        // Zero pointers need the blob vaddr and a relocation.
        let (blob, mem) = pointer_image(4, true, "go1.15", b"", true);
        assert_eq!(
            decode(&blob, None, Some(&mem)),
            Err(BuildInfoError::ZeroPointerWithoutVaddr {
                what: "version",
                offset: 16
            })
        );
        let mut no_relocs = FakeMem {
            segs: mem.segs.clone(),
            relocs: vec![],
        };
        assert_eq!(
            decode(&blob, Some(BLOB_VADDR), Some(&no_relocs)),
            Err(BuildInfoError::NullPointer {
                what: "version",
                slot: BLOB_VADDR + 16
            })
        );
        // Header resolved, data pointer 0 without relocation.
        no_relocs.relocs = vec![(BLOB_VADDR + 16, HDRS_VADDR)];
        assert_eq!(
            decode(&blob, Some(BLOB_VADDR), Some(&no_relocs)),
            Err(BuildInfoError::NullPointer {
                what: "version",
                slot: HDRS_VADDR
            })
        );

        // Header pointer to nowhere; string running past its segment.
        let (mut blob, mut mem) = pointer_image(8, false, "go1.17", b"", false);
        blob[16..24].copy_from_slice(&0x9000u64.to_le_bytes());
        assert_eq!(
            decode(&blob, None, Some(&mem)),
            Err(BuildInfoError::Unmapped {
                what: "version",
                vaddr: 0x9000
            })
        );
        blob[16..24].copy_from_slice(&HDRS_VADDR.to_le_bytes());
        mem.segs[1].1[8..16].copy_from_slice(&0x200u64.to_le_bytes());
        assert!(matches!(
            decode(&blob, None, Some(&mem)),
            Err(BuildInfoError::TruncatedAt {
                what: "version",
                len: 0x200,
                ..
            })
        ));
        mem.segs[1].1[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(
            decode(&blob, None, Some(&mem)),
            Err(BuildInfoError::VersionTooLong { len: u64::MAX })
        );
    }

    #[test]
    fn truncated_pointer_images_never_panic() {
        let (blob, mem) = pointer_image(8, true, "go1.16", &framed("path\tx\n"), true);
        for n in 0..blob.len() {
            assert!(decode(&blob[..n], Some(BLOB_VADDR), Some(&mem)).is_err());
        }
        for seg in 0..mem.segs.len() {
            for n in 0..mem.segs[seg].1.len() {
                let mut m = FakeMem {
                    segs: mem.segs.clone(),
                    relocs: mem.relocs.clone(),
                };
                m.segs[seg].1.truncate(n);
                let r = decode(&blob, Some(BLOB_VADDR), Some(&m));
                // The blob's own segment is not read back (the blob is
                // passed in); every byte of the other two is needed.
                assert_eq!(r.is_err(), seg > 0, "seg {seg} len {n}: {r:?}");
            }
        }
    }

    #[test]
    fn find_and_decode_separates_missing_from_corrupt() {
        assert_eq!(find_and_decode(&[0u8; 4096], Some(0x1000), None), Ok(None));
        let mut data = vec![0u8; 64];
        data.extend(inline_blob(8, 2, b"go1.27.3", &framed("path\tx\n")));
        let info = find_and_decode(&data, Some(0x1000), None).unwrap().unwrap();
        assert_eq!(info.version, "go1.27.3");
        let mut corrupt = vec![0u8; 64];
        corrupt.extend(inline_blob(8, 2, b"", b""));
        assert_eq!(
            find_and_decode(&corrupt, None, None),
            Err(BuildInfoError::EmptyVersion)
        );
        // The blob vaddr passed on is data vaddr + offset.
        let (blob, mem) = pointer_image(8, false, "go1.16", b"", true);
        let mut data = vec![0u8; 32];
        data.extend_from_slice(&blob);
        let info = find_and_decode(&data, Some(BLOB_VADDR - 32), Some(&mem)).unwrap();
        assert_eq!(info.unwrap().version, "go1.16");
    }
}
