//! Section contents for the DWARF reader, decompressed when compressed.
//!
//! Layouts (gABI "Section Compression"; GNU `.zdebug_*`):
//!
//! ```text
//! SHF_COMPRESSED  Elf32_Chdr ch_type u32 | ch_size u32 | ch_addralign u32            | data
//!                 Elf64_Chdr ch_type u32 | ch_reserved u32 | ch_size u64 | ch_addralign u64 | data
//!                 ch_type 1 = ELFCOMPRESS_ZLIB (what Go's linker writes), 2 = ZSTD
//! .zdebug_*       "ZLIB" | size u64 big-endian | zlib data
//! ```

use std::borrow::Cow;

use object::Endianness;
use object::elf;
use object::read::elf::{CompressionHeader, FileHeader};
use object::read::{CompressedData, CompressionFormat, ReadRef};

use super::{Class, ElfError, ElfView, Section, read_section_range};

/// Largest decompressed section accepted: 256 MiB. The size comes from the
/// compression header, so without a cap one small hostile section could ask
/// for any amount of memory. Real DWARF sections of large Go binaries are
/// tens of MiB.
pub const MAX_DECOMPRESSED_SIZE: u64 = 256 << 20;

/// Decompressed bytes a reader may still ask for: at most `per_section`
/// for one section, and `left` in all. Compressed sections are where a
/// small file asks for much memory (a 8 KiB zstd frame can claim 256 MiB),
/// so a reader that decompresses several sections of one file bounds
/// their sum, not just each one. Sections stored uncompressed cost what
/// the file itself holds and are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecompressBudget {
    per_section: u64,
    total: u64,
    left: u64,
}

impl DecompressBudget {
    /// `per_section` bytes for one section, `total` for all of them.
    pub fn new(per_section: u64, total: u64) -> Self {
        DecompressBudget {
            per_section,
            total,
            left: total,
        }
    }

    /// Bytes still available.
    pub fn left(&self) -> u64 {
        self.left
    }

    /// Takes `size` bytes for `section`, or says why not.
    fn take(&mut self, size: u64) -> Result<(), String> {
        if size > self.per_section {
            return Err(format!(
                "decompressed size {size} exceeds the {}-byte limit",
                self.per_section
            ));
        }
        match self.left.checked_sub(size) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(format!(
                "decompressed size {size} exceeds the {} bytes left of the {}-byte limit \
                 for all decompressed sections of the file",
                self.left, self.total
            )),
        }
    }
}

/// Where a section's contents are (see [`ElfView::section_source_within`]).
#[derive(Debug, Clone)]
pub enum SectionSource<'data> {
    /// In memory: decompressed, or empty (`SHT_NOBITS`).
    Bytes(Cow<'data, [u8]>),
    /// Stored as is at `offset` of the file, `size` bytes, all in the file.
    File { offset: u64, size: u64 },
}

fn chdr<Elf: FileHeader<Endian = Endianness>>(
    bytes: &[u8],
    endian: Endianness,
) -> Option<(u32, u64, usize)> {
    let (h, _) = object::pod::from_bytes::<Elf::CompressionHeader>(bytes).ok()?;
    Some((
        h.ch_type(endian).0,
        h.ch_size(endian).into(),
        size_of::<Elf::CompressionHeader>(),
    ))
}

impl<'data, R: ReadRef<'data>> ElfView<'data, R> {
    /// The contents of a section: as stored, or decompressed for
    /// `SHF_COMPRESSED` (zlib, zstd) and GNU `.zdebug_*` sections, up to
    /// [`MAX_DECOMPRESSED_SIZE`]. Empty for `SHT_NOBITS`.
    pub fn section_data(&self, section: &Section<'data>) -> Result<Cow<'data, [u8]>, ElfError> {
        let mut budget = DecompressBudget::new(MAX_DECOMPRESSED_SIZE, u64::MAX);
        self.section_data_within(section, &mut budget)
    }

    /// [`ElfView::section_data`], decompressing only within `budget`; the
    /// bytes decompressed are taken from it. A section over budget is an
    /// error naming it, found from its header before anything is inflated.
    pub fn section_data_within(
        &self,
        section: &Section<'data>,
        budget: &mut DecompressBudget,
    ) -> Result<Cow<'data, [u8]>, ElfError> {
        match self.section_source_within(section, budget)? {
            SectionSource::Bytes(bytes) => Ok(bytes),
            SectionSource::File { offset, size } => {
                read_section_range(self.data, || section.describe(), offset, size)
                    .map(Cow::Borrowed)
            }
        }
    }

    /// Where the contents of a section are: decompressed into memory as
    /// [`ElfView::section_data_within`] does, or, for a section stored as
    /// is, its range of the file, checked to be inside the file but not
    /// read: a reader that needs a few hundred bytes of a large section
    /// reads only those.
    pub fn section_source_within(
        &self,
        section: &Section<'data>,
        budget: &mut DecompressBudget,
    ) -> Result<SectionSource<'data>, ElfError> {
        let stored =
            section.sh_flags & elf::SHF_COMPRESSED.0 == 0 && !section.name.starts_with(b".zdebug_");
        if stored {
            return match section.file_range() {
                None => Ok(SectionSource::Bytes(Cow::Borrowed(&[]))),
                Some((offset, size)) => {
                    // As `read_section_range` would find it, without reading.
                    let in_file = match size {
                        0 => self.data.read_bytes_at(offset, 0).is_ok(),
                        _ => offset
                            .checked_add(size)
                            .zip(self.data.len().ok())
                            .is_some_and(|(end, len)| end <= len),
                    };
                    if in_file {
                        Ok(SectionSource::File { offset, size })
                    } else {
                        Err(ElfError::at(
                            section.describe(),
                            offset,
                            "sh_offset+sh_size past end of file",
                        ))
                    }
                }
            };
        }
        self.decompressed_within(section, budget)
            .map(SectionSource::Bytes)
    }

    /// A compressed section's contents, or a `.zdebug_*` section's bytes
    /// as stored when they are not compressed after all.
    fn decompressed_within(
        &self,
        section: &Section<'data>,
        budget: &mut DecompressBudget,
    ) -> Result<Cow<'data, [u8]>, ElfError> {
        let bytes = self.section_bytes(section)?;
        let what = || section.describe();
        let (format, size, data) = if section.sh_flags & elf::SHF_COMPRESSED.0 != 0 {
            let header = match self.header.class {
                Class::Elf32 => chdr::<elf::FileHeader32<Endianness>>(bytes, self.endian),
                Class::Elf64 => chdr::<elf::FileHeader64<Endianness>>(bytes, self.endian),
            };
            let (ch_type, size, header_len) = header.ok_or_else(|| {
                ElfError::at(
                    what(),
                    section.sh_offset,
                    "too short for its compression header",
                )
            })?;
            let format = match ch_type {
                1 => CompressionFormat::Zlib,
                2 => CompressionFormat::Zstandard,
                other => {
                    return Err(ElfError::at(
                        what(),
                        section.sh_offset,
                        format!("unknown ch_type {other}"),
                    ));
                }
            };
            (format, size, bytes.get(header_len..).unwrap_or(&[]))
        } else if section.name.starts_with(b".zdebug_") && bytes.starts_with(b"ZLIB") {
            let size = bytes
                .get(4..12)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| {
                    ElfError::at(what(), section.sh_offset, "too short for its ZLIB header")
                })?;
            (
                CompressionFormat::Zlib,
                size,
                bytes.get(12..).unwrap_or(&[]),
            )
        } else {
            return Ok(Cow::Borrowed(bytes));
        };
        budget
            .take(size)
            .map_err(|reason| ElfError::at(what(), section.sh_offset, reason))?;
        CompressedData {
            format,
            data,
            uncompressed_size: size,
        }
        .decompress()
        .map_err(|e| ElfError::at(what(), section.sh_offset, e.to_string()))
    }

    /// A debug section by its `.debug_*` name, also found as `.zdebug_*`,
    /// decompressed; `Ok(None)` if absent.
    pub fn debug_section(&self, name: &[u8]) -> Result<Option<Cow<'data, [u8]>>, ElfError> {
        let mut budget = DecompressBudget::new(MAX_DECOMPRESSED_SIZE, u64::MAX);
        self.debug_section_within(name, &mut budget)
    }

    /// [`ElfView::debug_section_within`], as a [`SectionSource`]: a
    /// section stored as is is not read.
    pub fn debug_section_source(
        &self,
        name: &[u8],
        budget: &mut DecompressBudget,
    ) -> Result<Option<SectionSource<'data>>, ElfError> {
        let section = match self.section_by_name(name) {
            Some(s) => Some(s),
            None => name.strip_prefix(b".debug_").and_then(|rest| {
                let mut z = b".zdebug_".to_vec();
                z.extend_from_slice(rest);
                self.section_by_name(&z)
            }),
        };
        section
            .map(|s| self.section_source_within(s, budget))
            .transpose()
    }

    /// [`ElfView::debug_section`] within a decompression budget shared by
    /// the sections of one file.
    pub fn debug_section_within(
        &self,
        name: &[u8],
        budget: &mut DecompressBudget,
    ) -> Result<Option<Cow<'data, [u8]>>, ElfError> {
        if let Some(s) = self.section_by_name(name) {
            return self.section_data_within(s, budget).map(Some);
        }
        let Some(rest) = name.strip_prefix(b".debug_") else {
            return Ok(None);
        };
        let mut z = b".zdebug_".to_vec();
        z.extend_from_slice(rest);
        match self.section_by_name(&z) {
            Some(s) => self.section_data_within(s, budget).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::Builder;
    use super::*;
    use crate::elf::open;

    /// A zlib stream (RFC 1950) holding one stored deflate block (RFC 1951 §3.2.4).
    fn zlib(data: &[u8]) -> Vec<u8> {
        let len = u16::try_from(data.len()).unwrap();
        let mut out = vec![0x78, 0x01, 0x01];
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(data);
        let (mut a, mut b) = (1u32, 0u32);
        for &x in data {
            a = (a + u32::from(x)) % 65521;
            b = (b + a) % 65521;
        }
        out.extend_from_slice(&((b << 16) | a).to_be_bytes());
        out
    }

    fn compressed(is_64: bool, big: bool, ch_size: u64, payload: &[u8]) -> Vec<u8> {
        let mut b = Builder::new(is_64, big, 62, 2);
        let e = b.enc;
        let mut sec = Vec::new();
        e.u32(&mut sec, 1);
        if is_64 {
            e.u32(&mut sec, 0);
            e.u64(&mut sec, ch_size);
            e.u64(&mut sec, 1);
        } else {
            e.u32(&mut sec, ch_size as u32);
            e.u32(&mut sec, 1);
        }
        sec.extend_from_slice(payload);
        let off = b.blob(&sec, 8);
        b.section_at(".debug_info", 1, 0x800, off, sec.len() as u64, 0, 0, 1, 0);
        let plain = b.blob(b"plain", 1);
        b.section_at(".debug_str", 1, 0, plain, 5, 0, 0, 1, 0);
        let mut gnu = b"ZLIB".to_vec();
        gnu.extend_from_slice(&5u64.to_be_bytes());
        gnu.extend_from_slice(&zlib(b"zdbg!"));
        let g = b.blob(&gnu, 1);
        b.section_at(".zdebug_line", 1, 0, g, gnu.len() as u64, 0, 0, 1, 0);
        b.build()
    }

    #[test]
    fn zlib_sections() {
        let text = b"Go cmd/compile go1.27.3; regabi".repeat(10);
        for (is_64, big) in [(true, false), (false, true)] {
            let bytes = compressed(is_64, big, text.len() as u64, &zlib(&text));
            let view = open(&bytes[..]).unwrap();
            let info = view.debug_section(b".debug_info").unwrap().unwrap();
            assert_eq!(&info[..], &text[..]);
            let plain = view.debug_section(b".debug_str").unwrap().unwrap();
            assert!(matches!(plain, Cow::Borrowed(b"plain")));
            let line = view.debug_section(b".debug_line").unwrap().unwrap();
            assert_eq!(&line[..], b"zdbg!");
            assert_eq!(view.debug_section(b".debug_abbrev").unwrap(), None);
        }
    }

    #[test]
    fn size_cap_and_lies() {
        let text = b"x".repeat(100);
        let bytes = compressed(true, false, MAX_DECOMPRESSED_SIZE + 1, &zlib(&text));
        let err = open(&bytes[..])
            .unwrap()
            .debug_section(b".debug_info")
            .unwrap_err();
        assert!(
            err.to_string().contains("exceeds the 268435456-byte limit"),
            "{err}"
        );
        // ch_size smaller than the data: never more than ch_size bytes.
        let bytes = compressed(true, false, 10, &zlib(&text));
        let out = open(&bytes[..]).unwrap().debug_section(b".debug_info");
        assert!(out.is_err() || out.unwrap().unwrap().len() == 10);
        // A budget shared by sections: each under the per-section limit,
        // the second over what the first left.
        let bytes = compressed(true, false, text.len() as u64, &zlib(&text));
        let view = open(&bytes[..]).unwrap();
        let mut budget = DecompressBudget::new(100, 104);
        let info = view.debug_section_within(b".debug_info", &mut budget);
        assert_eq!(info.unwrap().unwrap().len(), 100);
        assert_eq!(budget.left(), 4);
        let err = view
            .debug_section_within(b".debug_line", &mut budget)
            .unwrap_err();
        assert!(
            err.to_string().contains(".zdebug_line")
                && err
                    .to_string()
                    .contains("exceeds the 4 bytes left of the 104-byte limit"),
            "{err}"
        );
        let mut small = DecompressBudget::new(99, 1000);
        let err = view
            .debug_section_within(b".debug_info", &mut small)
            .unwrap_err();
        assert!(
            err.to_string().contains("exceeds the 99-byte limit"),
            "{err}"
        );
        assert_eq!(small.left(), 1000, "nothing taken on failure");
        // Garbage payload.
        let bytes = compressed(true, false, 10, b"not zlib");
        assert!(
            open(&bytes[..])
                .unwrap()
                .debug_section(b".debug_info")
                .is_err()
        );
    }
}
