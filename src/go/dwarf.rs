//! Go compile-unit producers from DWARF: the toolchain version and the
//! non-default compiler flags, which survive when `.go.buildinfo` does not.
//!
//! Primary sources: the writer `cmd/link/internal/ld/dwarf.go` (producer
//! `"Go cmd/compile " + buildcfg.Version`, then `"; " + flags` when the
//! compiler recorded any) and `cmd/compile/internal/dwarfgen/dwarf.go,
//! RecordFlags` (space-separated `-flag` / `-flag=value`, then ` regabi`).
//! gccgo writes `GNU Go <gcc version> <gcc flags>`. See
//! `shared/reference/elf-go-formats.md` §6.
//!
//! ```text
//! .debug_info unit: header (v2-v5), then the root DIE:
//!   DW_TAG_compile_unit
//!     DW_AT_language  DW_LANG_Go (0x16)       data1/2/...
//!     DW_AT_producer  "Go cmd/compile go1.27.3; -race regabi"
//!                     string | strp | line_strp | strx (+ DW_AT_str_offsets_base)
//!   children ...   (never read here)
//! ```
//!
//! Flags are per package (`-gcflags=pkg=-N` touches one unit), so several
//! distinct producers can come from one binary.

use std::borrow::Cow;
use std::sync::Arc;

use gimli::{AttributeValue, SectionId};

/// Longest producer we accept. A gc producer is under 200 bytes; gccgo's
/// lists the gcc flags and stays well under 4 KiB. Anything larger is
/// corruption, and would otherwise be copied into the report.
const MAX_PRODUCER_LEN: usize = 64 * 1024;

/// One distinct `DW_AT_producer` of a Go compile unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Producer {
    /// The attribute as written.
    pub raw: String,
    /// gc only: the compiler's `buildcfg.Version`, e.g. `go1.27.3`, or
    /// `devel go1.24-abcdef Tue ...` for a development toolchain.
    pub go_version: Option<String>,
    /// gc: the words after `"; "` (`-race`, `-N`, `-l`, `regabi`, ...).
    /// gccgo: the words after the gcc version (`-O2`, `-g`, ...).
    pub flags: Vec<String>,
    /// gccgo only: the gcc version, e.g. `12.2.0`.
    pub gccgo_version: Option<String>,
}

/// Splits a producer string; strings of other compilers give only `raw`.
pub fn parse_producer(raw: &str) -> Producer {
    let mut producer = Producer {
        raw: raw.to_owned(),
        go_version: None,
        flags: Vec::new(),
        gccgo_version: None,
    };
    if let Some(rest) = raw.strip_prefix("Go cmd/compile ") {
        let (version, flags) = rest.split_once("; ").unwrap_or((rest, ""));
        let version = version.trim();
        producer.go_version = (!version.is_empty()).then(|| version.to_owned());
        producer.flags = flags.split_whitespace().map(str::to_owned).collect();
    } else if let Some(rest) = raw.strip_prefix("GNU Go ") {
        let mut words = rest.split_whitespace();
        producer.gccgo_version = words.next().map(str::to_owned);
        producer.flags = words.map(str::to_owned).collect();
    }
    producer
}

/// Why the producers could not be read. Offsets are into `.debug_info`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DwarfError {
    #[error("DWARF unit header at .debug_info {offset:#x}: {cause}")]
    UnitHeader { offset: u64, cause: gimli::Error },
    #[error("DWARF unit at .debug_info {offset:#x}: {what}: {cause}")]
    Unit {
        offset: u64,
        what: &'static str,
        cause: gimli::Error,
    },
    #[error("DWARF unit at .debug_info {offset:#x}: DW_AT_producer is not UTF-8")]
    ProducerNotUtf8 { offset: u64 },
    #[error(
        "DWARF unit at .debug_info {offset:#x}: DW_AT_producer is {len} bytes, more than {MAX_PRODUCER_LEN}"
    )]
    ProducerTooLong { offset: u64, len: u64 },
    #[error("DWARF section {section} at {offset:#x}: could not be read")]
    Unreadable { section: &'static str, offset: u64 },
}

/// The DWARF sections the producer search reads, a range at a time: a
/// root DIE is a few dozen bytes at the start of its unit, and its
/// producer a short string, so megabytes of `.debug_info` and `.debug_str`
/// need never be held for them.
pub trait Sections {
    /// The length of section `id`; 0 when it is absent.
    fn len(&self, id: SectionId) -> u64;
    /// `len` bytes of section `id` from `offset`, fewer only where the
    /// section ends (none from its end on); `None` when they could not be
    /// read.
    fn read(&self, id: SectionId, offset: u64, len: u64) -> Option<Cow<'_, [u8]>>;
}

/// Sections already in memory (decompressed, or read whole).
struct InMemory<'a> {
    info: Cow<'a, [u8]>,
    abbrev: Cow<'a, [u8]>,
    str: Cow<'a, [u8]>,
    line_str: Cow<'a, [u8]>,
    str_offsets: Cow<'a, [u8]>,
}

impl InMemory<'_> {
    fn get(&self, id: SectionId) -> &[u8] {
        match id {
            SectionId::DebugInfo => &self.info,
            SectionId::DebugAbbrev => &self.abbrev,
            SectionId::DebugStr => &self.str,
            SectionId::DebugLineStr => &self.line_str,
            SectionId::DebugStrOffsets => &self.str_offsets,
            _ => &[],
        }
    }
}

impl Sections for InMemory<'_> {
    fn len(&self, id: SectionId) -> u64 {
        self.get(id).len() as u64
    }

    fn read(&self, id: SectionId, offset: u64, len: u64) -> Option<Cow<'_, [u8]>> {
        let bytes = self.get(id);
        let start = usize::try_from(offset).ok()?.min(bytes.len());
        let rest = bytes.get(start..)?;
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(rest.len());
        rest.get(..len).map(Cow::Borrowed)
    }
}

/// [`producers`] over raw section bytes (already decompressed by the
/// caller). Only `.debug_abbrev`, `.debug_info`, `.debug_line_str`,
/// `.debug_str` and `.debug_str_offsets` are requested from `load`, in that
/// order (gimli's); `None` means the section is absent.
pub fn producers_from_sections<'a>(
    load: impl Fn(SectionId) -> Option<Cow<'a, [u8]>>,
    big_endian: bool,
    limit: usize,
) -> Result<Vec<Producer>, DwarfError> {
    let get = |id| load(id).unwrap_or(Cow::Borrowed(&[][..]));
    let abbrev = get(SectionId::DebugAbbrev);
    let info = get(SectionId::DebugInfo);
    let line_str = get(SectionId::DebugLineStr);
    let str = get(SectionId::DebugStr);
    let str_offsets = get(SectionId::DebugStrOffsets);
    let sections = InMemory {
        info,
        abbrev,
        str,
        line_str,
        str_offsets,
    };
    producers(&sections, big_endian, limit)
}

/// Bytes first read of a unit, an abbreviation table or a string: root
/// DIEs, their tables and producers are far smaller. What does not fit is
/// read again twice as large (a unit, a table) or read on (a string).
const FIRST_READ: u64 = 4096;

/// Bytes read at a time past the first while looking for a string's end.
const STRING_READ: u64 = 64 * 1024;

/// The distinct producers of Go compile units, in unit order.
///
/// A unit counts as Go when its root DIE has `DW_LANG_Go` or a producer
/// starting `Go cmd/compile` or `GNU Go`; a Go unit without a producer
/// (Go before 1.10) contributes nothing. Only the root DIE of each unit is
/// decoded, and at most `limit` units are visited. A unit whose header or
/// root DIE cannot be decoded is an error, except that a non-Go unit whose
/// producer string cannot be resolved is skipped (it could not have been Go
/// by its producer, and its language said otherwise).
///
/// Each unit is read from its start only as far as its root DIE needs (see
/// [`FIRST_READ`]), each string only to its end: the results, errors
/// included, are those of reading the sections whole with gimli's `Dwarf`.
pub fn producers(
    src: &dyn Sections,
    big_endian: bool,
    limit: usize,
) -> Result<Vec<Producer>, DwarfError> {
    Search::new(src, big_endian, FIRST_READ).producers(limit)
}

/// One producer search: where the sections are, how they are read, and
/// the abbreviation tables decoded so far (units often share one).
struct Search<'s> {
    src: &'s dyn Sections,
    endian: gimli::RunTimeEndian,
    first_read: u64,
    abbrevs: Vec<(u64, Arc<gimli::Abbreviations>)>,
}

/// What stopped a unit: an error to report, or a prefix read too short.
enum UnitFailure {
    Error(DwarfError),
    Truncated,
}

impl From<DwarfError> for UnitFailure {
    fn from(e: DwarfError) -> Self {
        UnitFailure::Error(e)
    }
}

/// Abbreviation tables kept per search: a unit's table is found by its
/// offset; real files share one table or have one per unit.
const MAX_CACHED_ABBREVS: usize = 16;

fn eof() -> gimli::Error {
    gimli::Error::UnexpectedEof(gimli::ReaderOffsetId(0))
}

fn is_eof(e: &gimli::Error) -> bool {
    matches!(e, gimli::Error::UnexpectedEof(_))
}

impl<'s> Search<'s> {
    fn new(src: &'s dyn Sections, big_endian: bool, first_read: u64) -> Self {
        Search {
            src,
            endian: if big_endian {
                gimli::RunTimeEndian::Big
            } else {
                gimli::RunTimeEndian::Little
            },
            // An initial length (12 bytes at most) always fits.
            first_read: first_read.max(16),
            abbrevs: Vec::new(),
        }
    }

    fn read(&self, id: SectionId, offset: u64, len: u64) -> Result<Cow<'s, [u8]>, DwarfError> {
        self.src
            .read(id, offset, len)
            .ok_or(DwarfError::Unreadable {
                section: id.name(),
                offset,
            })
    }

    fn producers(&mut self, limit: usize) -> Result<Vec<Producer>, DwarfError> {
        let mut found: Vec<Producer> = Vec::new();
        let info_len = self.src.len(SectionId::DebugInfo);
        let mut offset = 0u64;
        for _ in 0..limit {
            if offset >= info_len {
                break;
            }
            let (raw, next) = self.unit(offset, info_len - offset)?;
            if let Some(raw) = raw {
                // Distinct producers are few (one per flag set); a linear
                // search keeps the order without hashing.
                if !found.iter().any(|p| p.raw == raw) {
                    found.push(parse_producer(&raw));
                }
            }
            offset = next;
        }
        Ok(found)
    }

    /// The Go producer of the unit at `offset` (`rest` bytes before the
    /// section ends), and where the next unit starts. The unit is read from
    /// its start, [`Search::first_read`] bytes, then twice as many until
    /// its root DIE is whole in them.
    fn unit(&mut self, offset: u64, rest: u64) -> Result<(Option<String>, u64), DwarfError> {
        let mut want = self.first_read.min(rest);
        loop {
            let bytes = self.read(SectionId::DebugInfo, offset, want)?;
            let (bytes, total, truncated) = self.prefix(bytes, rest);
            match self.go_producer(&bytes, offset, truncated) {
                Ok(raw) => {
                    // A unit decoded, so its length was read: the next one
                    // starts after it.
                    let next = offset.saturating_add(total.unwrap_or(rest));
                    return Ok((raw, next));
                }
                Err(UnitFailure::Error(e)) => return Err(e),
                // Only a rewritten prefix, shorter than its unit, is
                // truncated: `want` is below `rest`.
                Err(UnitFailure::Truncated) => want = want.saturating_mul(2).min(rest),
            }
        }
    }

    /// The bytes of a unit to decode, from the first `bytes` read of it;
    /// the unit's length with its initial length field; whether the unit
    /// is truncated. When the unit is not whole in `bytes` (but is in the
    /// section), a copy with its initial length rewritten to what was read
    /// is decoded instead: what gimli decodes from there is what it would
    /// decode from the whole unit, and running out means reading more.
    fn prefix<'b>(&self, bytes: Cow<'b, [u8]>, rest: u64) -> (Cow<'b, [u8]>, Option<u64>, bool) {
        // Too short, or a reserved value: gimli says which.
        let Some((unit_length, field)) = initial_length(&bytes, self.endian) else {
            return (bytes, None, false);
        };
        let read = bytes.len() as u64;
        let total = unit_length.checked_add(field);
        let Some(total) = total.filter(|&t| t > read && t <= rest && read < rest) else {
            // Whole in `bytes`, or running past the section (gimli fails
            // to take it from either).
            return (bytes, total, false);
        };
        let big = self.endian == gimli::RunTimeEndian::Big;
        let shown = read - field;
        let mut owned = bytes.into_owned();
        let (at, value): (usize, Vec<u8>) = match (field, u32::try_from(shown)) {
            (4, Ok(v)) => (
                0,
                if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                }
                .to_vec(),
            ),
            (4, Err(_)) => return (Cow::Owned(owned), Some(total), false),
            _ => (
                4,
                if big {
                    shown.to_be_bytes()
                } else {
                    shown.to_le_bytes()
                }
                .to_vec(),
            ),
        };
        match owned.get_mut(at..at + value.len()) {
            Some(slot) => {
                slot.copy_from_slice(&value);
                (Cow::Owned(owned), Some(total), true)
            }
            None => (Cow::Owned(owned), Some(total), false),
        }
    }

    /// The producer of the unit at the start of `bytes` if the unit is Go.
    fn go_producer(
        &mut self,
        bytes: &[u8],
        offset: u64,
        truncated: bool,
    ) -> Result<Option<String>, UnitFailure> {
        let unit_error = |what, cause| DwarfError::Unit {
            offset,
            what,
            cause,
        };
        let info = gimli::DebugInfo::new(bytes, self.endian);
        let header = match info.units().next() {
            Ok(Some(header)) => header,
            Ok(None) => return Ok(None),
            Err(e) if truncated && is_eof(&e) => {
                return Err(UnitFailure::Truncated);
            }
            Err(cause) => return Err(DwarfError::UnitHeader { offset, cause }.into()),
        };
        let abbrevs = self
            .abbreviations(header.debug_abbrev_offset().0 as u64)
            .map_err(|e| match e {
                Ok(cause) => unit_error("abbreviations", cause),
                Err(e) => e,
            })?;
        let mut cursor = header.entries(&abbrevs);
        let root = match cursor.next_dfs() {
            Ok(Some(root)) => root,
            // The input ran out: the rest of the unit may hold the DIE.
            Ok(None) if truncated => return Err(UnitFailure::Truncated),
            Ok(None) => return Ok(None),
            Err(e) if truncated && is_eof(&e) => {
                return Err(UnitFailure::Truncated);
            }
            Err(cause) => return Err(unit_error("root DIE", cause).into()),
        };

        let mut language = None;
        let mut producer = None;
        let mut str_offsets_base = None;
        for attr in root.attrs() {
            match (attr.name(), attr.value()) {
                (gimli::DW_AT_language, AttributeValue::Language(lang)) => language = Some(lang),
                (gimli::DW_AT_producer, value) => producer = Some(value),
                (gimli::DW_AT_str_offsets_base, AttributeValue::DebugStrOffsetsBase(base)) => {
                    str_offsets_base = Some(base)
                }
                _ => {}
            }
        }
        let go_by_language = language == Some(gimli::DW_LANG_Go);
        let Some(value) = producer else {
            return Ok(None);
        };
        let text = match self.producer_string(&header, str_offsets_base, value) {
            Ok(text) => text,
            Err(Err(e)) => return Err(e.into()),
            Err(Ok(_)) if !go_by_language => return Ok(None),
            Err(Ok(cause)) => return Err(unit_error("DW_AT_producer", cause).into()),
        };
        let go_by_producer =
            text.head.starts_with(b"Go cmd/compile") || text.head.starts_with(b"GNU Go");
        if !go_by_language && !go_by_producer {
            return Ok(None);
        }
        if text.len > MAX_PRODUCER_LEN as u64 {
            return Err(DwarfError::ProducerTooLong {
                offset,
                len: text.len,
            }
            .into());
        }
        match std::str::from_utf8(&text.head) {
            Ok(s) => Ok(Some(s.to_owned())),
            Err(_) => Err(DwarfError::ProducerNotUtf8 { offset }.into()),
        }
    }

    /// The abbreviation table at `offset` of `.debug_abbrev`, read from
    /// there until it ends. `Err(Ok(_))` is gimli's error decoding it.
    fn abbreviations(
        &mut self,
        offset: u64,
    ) -> Result<Arc<gimli::Abbreviations>, Result<gimli::Error, DwarfError>> {
        if let Some((_, a)) = self.abbrevs.iter().find(|(at, _)| *at == offset) {
            return Ok(a.clone());
        }
        let len = self.src.len(SectionId::DebugAbbrev);
        let rest = len.checked_sub(offset).ok_or(Ok(eof()))?;
        let mut want = self.first_read.min(rest);
        let table = loop {
            let bytes = self
                .read(SectionId::DebugAbbrev, offset, want)
                .map_err(Err)?;
            // gimli ends a table at the end of its input as at a null
            // code: only a table whose null code was read, or the rest of
            // the section, is decoded.
            if want < rest && abbrev_table_len(&bytes).is_none() {
                want = want.saturating_mul(2).min(rest);
                continue;
            }
            match gimli::DebugAbbrev::new(&bytes, self.endian)
                .abbreviations(gimli::DebugAbbrevOffset(0))
            {
                Ok(table) => break Arc::new(table),
                Err(e) => return Err(Ok(e)),
            }
        };
        if self.abbrevs.len() == MAX_CACHED_ABBREVS {
            self.abbrevs.remove(0);
        }
        self.abbrevs.push((offset, table.clone()));
        Ok(table)
    }

    /// Resolves a string-class attribute of the unit's root DIE. Like
    /// `gimli::Dwarf::attr_string`, but without building a whole `Unit`
    /// (which would also parse the line-program header), and reading a
    /// string only to its end. `Err(Ok(_))` is gimli's error, as
    /// `attr_string` would give it.
    fn producer_string(
        &self,
        header: &gimli::UnitHeader<gimli::EndianSlice<'_, gimli::RunTimeEndian>>,
        str_offsets_base: Option<gimli::DebugStrOffsetsBase<usize>>,
        value: AttributeValue<gimli::EndianSlice<'_, gimli::RunTimeEndian>>,
    ) -> Result<Text, Result<gimli::Error, DwarfError>> {
        match value {
            AttributeValue::String(string) => {
                let head = string.slice();
                Ok(Text {
                    head: head.to_vec(),
                    len: head.len() as u64,
                })
            }
            AttributeValue::DebugStrRef(offset) => {
                self.string(SectionId::DebugStr, offset.0 as u64)
            }
            AttributeValue::DebugLineStrRef(offset) => {
                self.string(SectionId::DebugLineStr, offset.0 as u64)
            }
            AttributeValue::DebugStrOffsetsIndex(index) => {
                let base = str_offsets_base.unwrap_or_else(|| {
                    gimli::DebugStrOffsetsBase::default_for_encoding_and_file(
                        header.encoding(),
                        gimli::DwarfFileType::Main,
                    )
                });
                let offset = self.str_offset(header.format(), base.0 as u64, index.0 as u64)?;
                self.string(SectionId::DebugStr, offset)
            }
            _ => Err(Ok(gimli::Error::ExpectedStringAttributeValue)),
        }
    }

    /// Entry `index` of the `.debug_str_offsets` array at `base`, checked
    /// in gimli's order (`DebugStrOffsets::get_str_offset`).
    fn str_offset(
        &self,
        format: gimli::Format,
        base: u64,
        index: u64,
    ) -> Result<u64, Result<gimli::Error, DwarfError>> {
        let len = self.src.len(SectionId::DebugStrOffsets);
        let after_base = len.checked_sub(base).ok_or(Ok(eof()))?;
        let skip = index
            .checked_mul(u64::from(format.word_size()))
            .ok_or(Ok(gimli::Error::UnsupportedOffset))?;
        if skip > after_base {
            return Err(Ok(eof()));
        }
        let at = base + skip;
        let bytes = self
            .read(
                SectionId::DebugStrOffsets,
                at,
                u64::from(format.word_size()),
            )
            .map_err(Err)?;
        gimli::DebugStrOffsets::from(gimli::EndianSlice::new(&bytes, self.endian))
            .get_str_offset(
                format,
                gimli::DebugStrOffsetsBase(0),
                gimli::DebugStrOffsetsIndex(0),
            )
            .map(|o| o.0 as u64)
            .map_err(Ok)
    }

    /// The NUL-terminated string at `offset` of section `id`, as gimli's
    /// `get_str` finds it (running out is its error), keeping only the
    /// bytes a producer may have.
    fn string(&self, id: SectionId, offset: u64) -> Result<Text, Result<gimli::Error, DwarfError>> {
        let len = self.src.len(id);
        if offset > len {
            return Err(Ok(eof()));
        }
        let mut head = Vec::new();
        let mut at = offset;
        let mut step = self.first_read;
        while at < len {
            let bytes = self.read(id, at, step.min(len - at)).map_err(Err)?;
            if bytes.is_empty() {
                break;
            }
            let end = memchr::memchr(0, &bytes);
            let keep = (MAX_PRODUCER_LEN + 1).saturating_sub(head.len());
            let part = bytes.get(..end.unwrap_or(bytes.len())).unwrap_or(&[]);
            head.extend_from_slice(part.get(..keep.min(part.len())).unwrap_or(&[]));
            if let Some(end) = end {
                return Ok(Text {
                    head,
                    len: at - offset + end as u64,
                });
            }
            at += bytes.len() as u64;
            step = STRING_READ;
        }
        Err(Ok(eof()))
    }
}

/// A producer string: its first bytes (all of it when it is no longer
/// than [`MAX_PRODUCER_LEN`]), and its length.
struct Text {
    head: Vec<u8>,
    len: u64,
}

/// Where the abbreviation table at the start of `bytes` ends (just past
/// its null code), if it ends in them. This follows the lengths of gimli's
/// grammar (`Abbreviation::parse`: code, tag, children byte, then name and
/// form pairs up to `0, 0`, with a signed constant after
/// `DW_FORM_implicit_const`) but checks nothing: where gimli would reject
/// an entry, it does so on the same bytes in `bytes` as in the section.
fn abbrev_table_len(bytes: &[u8]) -> Option<usize> {
    /// The value (wrapping; gimli rejects what does not fit) and length
    /// of the LEB128 number at `at`.
    fn leb(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
        let mut value = 0u64;
        for (i, &b) in bytes.get(at..)?.iter().enumerate() {
            if let Some(bits) = u32::try_from(7 * i).ok().filter(|&s| s < 64) {
                value |= u64::from(b & 0x7f) << bits;
            }
            if b & 0x80 == 0 {
                return Some((value, at.checked_add(i)?.checked_add(1)?));
            }
        }
        None
    }
    const DW_FORM_IMPLICIT_CONST: u64 = 0x21;
    let mut at = 0usize;
    loop {
        let (code, next) = leb(bytes, at)?;
        if code == 0 {
            return Some(next);
        }
        let (_tag, next) = leb(bytes, next)?;
        // The children byte.
        bytes.get(next)?;
        at = next + 1;
        loop {
            let (name, next) = leb(bytes, at)?;
            let (form, next) = leb(bytes, next)?;
            at = next;
            if name == 0 && form == 0 {
                break;
            }
            if form == DW_FORM_IMPLICIT_CONST {
                at = leb(bytes, at)?.1;
            }
        }
    }
}

/// A unit's initial length and the size of its length field (4, or 12
/// for 64-bit DWARF), if `bytes` holds it and it is not a reserved value.
fn initial_length(bytes: &[u8], endian: gimli::RunTimeEndian) -> Option<(u64, u64)> {
    let big = endian == gimli::RunTimeEndian::Big;
    let word: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    let v = if big {
        u32::from_be_bytes(word)
    } else {
        u32::from_le_bytes(word)
    };
    if v < 0xffff_fff0 {
        return Some((u64::from(v), 4));
    }
    if v != 0xffff_ffff {
        return None;
    }
    let long: [u8; 8] = bytes.get(4..12)?.try_into().ok()?;
    let v = if big {
        u64::from_be_bytes(long)
    } else {
        u64::from_le_bytes(long)
    };
    Some((v, 12))
}
#[cfg(test)]
mod tests {
    use super::*;

    const DW_TAG_COMPILE_UNIT: u8 = 0x11;
    const DW_AT_PRODUCER: u8 = 0x25;
    const DW_AT_LANGUAGE: u8 = 0x13;
    const DW_AT_STR_OFFSETS_BASE: u8 = 0x72;
    const DW_FORM_STRING: u8 = 0x08;
    const DW_FORM_STRP: u8 = 0x0e;
    const DW_FORM_LINE_STRP: u8 = 0x1f;
    const DW_FORM_STRX1: u8 = 0x25;
    const DW_FORM_DATA1: u8 = 0x0b;
    const DW_FORM_SEC_OFFSET: u8 = 0x17;
    const LANG_GO: u8 = 0x16;
    const LANG_C99: u8 = 0x0c;

    /// How a test unit stores its producer.
    #[derive(Clone, Copy)]
    enum Form {
        Inline,
        Strp,
        LineStrp,
        Strx,
    }

    /// Abbreviation codes: one per (form, has language) pair, plus
    /// language-only.
    fn code(form: Option<Form>, lang: bool) -> u8 {
        match (form, lang) {
            (None, _) => 9,
            (Some(f), l) => 1 + 2 * f as u8 + u8::from(l),
        }
    }

    /// Hand-assembled `.debug_*` sections: one abbreviation table shared by
    /// all units, each unit holding only a childless root DIE.
    struct Sections {
        big: bool,
        info: Vec<u8>,
        abbrev: Vec<u8>,
        str: Vec<u8>,
        line_str: Vec<u8>,
        str_offsets: Vec<u8>,
    }

    impl Sections {
        fn new(big: bool) -> Self {
            let mut abbrev = Vec::new();
            for form in [Form::Inline, Form::Strp, Form::LineStrp, Form::Strx] {
                let form_byte = match form {
                    Form::Inline => DW_FORM_STRING,
                    Form::Strp => DW_FORM_STRP,
                    Form::LineStrp => DW_FORM_LINE_STRP,
                    Form::Strx => DW_FORM_STRX1,
                };
                for lang in [false, true] {
                    abbrev.extend([code(Some(form), lang), DW_TAG_COMPILE_UNIT, 0]);
                    abbrev.extend([DW_AT_PRODUCER, form_byte]);
                    if lang {
                        abbrev.extend([DW_AT_LANGUAGE, DW_FORM_DATA1]);
                    }
                    if let Form::Strx = form {
                        abbrev.extend([DW_AT_STR_OFFSETS_BASE, DW_FORM_SEC_OFFSET]);
                    }
                    abbrev.extend([0, 0]);
                }
            }
            abbrev.extend([code(None, true), DW_TAG_COMPILE_UNIT, 0]);
            abbrev.extend([DW_AT_LANGUAGE, DW_FORM_DATA1, 0, 0]);
            abbrev.push(0);
            Sections {
                big,
                info: Vec::new(),
                abbrev,
                str: Vec::new(),
                line_str: Vec::new(),
                str_offsets: Vec::new(),
            }
        }

        fn u16(&self, v: u16) -> [u8; 2] {
            if self.big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }

        fn u32(&self, v: u32) -> [u8; 4] {
            if self.big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }

        /// Adds a DWARF 5 compile unit (DWARF 4 for `Inline`/`Strp` when
        /// `v4`), with an optional language and producer.
        fn unit(&mut self, producer: Option<(&[u8], Form)>, lang: Option<u8>, v4: bool) {
            let mut die = vec![code(producer.map(|p| p.1), lang.is_some())];
            // DW_AT_str_offsets_base: just past this unit's contribution header.
            let mut strx_base = None;
            if let Some((text, form)) = producer {
                match form {
                    Form::Inline => {
                        die.extend_from_slice(text);
                        die.push(0);
                    }
                    Form::Strp => {
                        die.extend(self.u32(self.str.len() as u32));
                        self.str.extend_from_slice(text);
                        self.str.push(0);
                    }
                    Form::LineStrp => {
                        die.extend(self.u32(self.line_str.len() as u32));
                        self.line_str.extend_from_slice(text);
                        self.line_str.push(0);
                    }
                    Form::Strx => {
                        // A .debug_str_offsets contribution of one entry,
                        // after its 8-byte header.
                        let header = self.str_offsets.len() as u32;
                        let mut contribution = Vec::new();
                        contribution.extend(self.u32(8));
                        contribution.extend(self.u16(5));
                        contribution.extend(self.u16(0));
                        contribution.extend(self.u32(self.str.len() as u32));
                        self.str_offsets.extend(contribution);
                        self.str.extend_from_slice(text);
                        self.str.push(0);
                        die.push(0); // index 0
                        strx_base = Some(header + 8);
                    }
                }
            }
            if let Some(lang) = lang {
                die.push(lang);
            }
            if let Some(base) = strx_base {
                die.extend(self.u32(base));
            }
            let mut body = Vec::new();
            if v4 {
                body.extend(self.u16(4));
                body.extend(self.u32(0)); // abbrev offset
                body.push(8); // address size
            } else {
                body.extend(self.u16(5));
                body.push(1); // DW_UT_compile
                body.push(8);
                body.extend(self.u32(0));
            }
            body.extend(die);
            self.info.extend(self.u32(body.len() as u32));
            self.info.extend(body);
        }

        fn producers(&self, limit: usize) -> Result<Vec<Producer>, DwarfError> {
            producers_from_sections(
                |id| {
                    let data = match id {
                        SectionId::DebugInfo => &self.info,
                        SectionId::DebugAbbrev => &self.abbrev,
                        SectionId::DebugStr => &self.str,
                        SectionId::DebugLineStr => &self.line_str,
                        SectionId::DebugStrOffsets => &self.str_offsets,
                        other => panic!("{other:?} was not needed"),
                    };
                    Some(Cow::Borrowed(&data[..]))
                },
                self.big,
                limit,
            )
        }
    }

    fn raws(found: &[Producer]) -> Vec<&str> {
        found.iter().map(|p| p.raw.as_str()).collect()
    }

    #[test]
    fn parses_gc_producers() {
        let p = parse_producer("Go cmd/compile go1.27.3; -race regabi");
        assert_eq!(p.go_version.as_deref(), Some("go1.27.3"));
        assert_eq!(p.flags, ["-race", "regabi"]);
        assert_eq!(p.gccgo_version, None);
        assert_eq!(p.raw, "Go cmd/compile go1.27.3; -race regabi");

        let p = parse_producer("Go cmd/compile go1.19.8");
        assert_eq!(p.go_version.as_deref(), Some("go1.19.8"));
        assert!(p.flags.is_empty());

        let p = parse_producer("Go cmd/compile devel go1.24-abcdef Tue Jan 7 2025; -N -l regabi");
        assert_eq!(
            p.go_version.as_deref(),
            Some("devel go1.24-abcdef Tue Jan 7 2025")
        );
        assert_eq!(p.flags, ["-N", "-l", "regabi"]);

        let p = parse_producer("Go cmd/compile ; regabi");
        assert_eq!(p.go_version, None);
        assert_eq!(p.flags, ["regabi"]);
    }

    #[test]
    fn parses_gccgo_and_foreign_producers() {
        let p = parse_producer("GNU Go 12.2.0 -mtune=generic -march=x86-64 -g -O2");
        assert_eq!(p.gccgo_version.as_deref(), Some("12.2.0"));
        assert_eq!(p.flags, ["-mtune=generic", "-march=x86-64", "-g", "-O2"]);
        assert_eq!(p.go_version, None);

        let p = parse_producer("GNU C17 12.2.0 -mtune=generic -O2");
        assert_eq!((p.go_version, p.gccgo_version), (None, None));
        assert!(p.flags.is_empty());
    }

    #[test]
    fn finds_go_units_in_every_string_form_and_byte_order() {
        for big in [false, true] {
            let mut s = Sections::new(big);
            s.unit(
                Some((b"GNU C17 12.2.0 -O2", Form::Strp)),
                Some(LANG_C99),
                true,
            );
            s.unit(
                Some((b"Go cmd/compile go1.27.3; regabi", Form::Inline)),
                Some(LANG_GO),
                false,
            );
            s.unit(
                Some((b"Go cmd/compile go1.27.3; regabi", Form::Strp)),
                Some(LANG_GO),
                true,
            );
            s.unit(
                Some((b"Go cmd/compile go1.27.3; -N -l regabi", Form::LineStrp)),
                Some(LANG_GO),
                false,
            );
            s.unit(
                Some((b"Go cmd/compile go1.27.3; -race regabi", Form::Strx)),
                Some(LANG_GO),
                false,
            );
            // No language attribute: recognised by the producer alone.
            s.unit(Some((b"GNU Go 12.2.0 -O2", Form::Strx)), None, false);
            // Go by language, whatever the producer says.
            s.unit(Some((b"custom", Form::Inline)), Some(LANG_GO), false);
            // Go without a producer, as before Go 1.10: nothing to report.
            s.unit(None, Some(LANG_GO), true);
            s.unit(
                Some((b"Go cmd/compile go1.27.3; regabi", Form::Inline)),
                None,
                true,
            );

            let found = s.producers(100).unwrap();
            assert_eq!(
                raws(&found),
                [
                    "Go cmd/compile go1.27.3; regabi",
                    "Go cmd/compile go1.27.3; -N -l regabi",
                    "Go cmd/compile go1.27.3; -race regabi",
                    "GNU Go 12.2.0 -O2",
                    "custom",
                ],
                "big endian: {big}"
            );
            assert_eq!(found[2].flags, ["-race", "regabi"]);
            assert_eq!(found[3].gccgo_version.as_deref(), Some("12.2.0"));

            // The limit counts units, Go or not.
            assert_eq!(
                raws(&s.producers(2).unwrap()),
                ["Go cmd/compile go1.27.3; regabi"]
            );
            assert!(s.producers(1).unwrap().is_empty());
            assert!(s.producers(0).unwrap().is_empty());
        }
    }

    #[test]
    fn missing_sections_give_nothing() {
        let found = producers_from_sections(|_| None, false, 10).unwrap();
        assert!(found.is_empty());
    }

    #[test]
    fn non_utf8_and_overlong_go_producers_are_errors() {
        let mut s = Sections::new(false);
        s.unit(
            Some((b"Go cmd/compile go1.2\xff", Form::Inline)),
            Some(LANG_GO),
            false,
        );
        assert_eq!(
            s.producers(10).unwrap_err(),
            DwarfError::ProducerNotUtf8 { offset: 0 }
        );

        let mut s = Sections::new(false);
        s.unit(
            Some((b"C compiler \xff", Form::Inline)),
            Some(LANG_C99),
            false,
        );
        let mut long = b"Go cmd/compile go1.27.3; ".to_vec();
        long.resize(MAX_PRODUCER_LEN + 1, b'x');
        let second = s.info.len() as u64;
        s.unit(Some((&long, Form::Strp)), Some(LANG_GO), true);
        assert_eq!(
            s.producers(10).unwrap_err(),
            DwarfError::ProducerTooLong {
                offset: second,
                len: long.len() as u64
            }
        );
    }

    #[test]
    fn unresolvable_strings_fail_only_for_go_units() {
        let mut s = Sections::new(false);
        s.unit(Some((b"GNU C17", Form::Strp)), Some(LANG_C99), true);
        s.unit(
            Some((b"Go cmd/compile go1.27.3", Form::Strp)),
            Some(LANG_GO),
            true,
        );
        s.str.clear();
        let err = s.producers(10).unwrap_err();
        assert!(
            matches!(err, DwarfError::Unit { what: "DW_AT_producer", offset, .. } if offset > 0),
            "{err}"
        );
        let mut c_only = Sections::new(false);
        c_only.unit(Some((b"GNU C17", Form::Strp)), Some(LANG_C99), true);
        c_only.str.clear();
        assert!(c_only.producers(10).unwrap().is_empty());
    }

    #[test]
    fn truncation_and_garbage_never_panic() {
        let mut s = Sections::new(true);
        s.unit(
            Some((b"Go cmd/compile go1.27.3; regabi", Form::Strx)),
            Some(LANG_GO),
            false,
        );
        s.unit(
            Some((b"Go cmd/compile go1.27.3", Form::Inline)),
            Some(LANG_GO),
            true,
        );
        let full = s.info.clone();
        let mut errors = 0;
        for len in 0..full.len() {
            s.info = full[..len].to_vec();
            match s.producers(10) {
                Ok(found) => assert!(found.len() <= 1, "len {len}"),
                Err(DwarfError::UnitHeader { .. } | DwarfError::Unit { .. }) => errors += 1,
                Err(other) => panic!("len {len}: {other}"),
            }
        }
        assert!(errors > 0);
        let abbrev = s.abbrev.clone();
        s.info = full;
        for len in 0..abbrev.len() {
            s.abbrev = abbrev[..len].to_vec();
            let _ = s.producers(10);
        }
        s.abbrev = vec![0xff; 64];
        assert!(s.producers(10).is_err());
    }

    // The search as it was before sections were read a range at a time:
    // gimli's `Dwarf` over whole sections. Kept as the oracle the ranged
    // search must agree with, errors included (compared as text: gimli's
    // end-of-input errors carry a position of the reader).
    use gimli::{Reader, ReaderOffset};

    /// The distinct producers of Go compile units, in unit order.
    ///
    /// A unit counts as Go when its root DIE has `DW_LANG_Go` or a producer
    /// starting `Go cmd/compile` or `GNU Go`; a Go unit without a producer
    /// (Go before 1.10) contributes nothing. Only the root DIE of each unit is
    /// decoded, and at most `limit` units are visited. A unit whose header or
    /// root DIE cannot be decoded is an error, except that a non-Go unit whose
    /// producer string cannot be resolved is skipped (it could not have been Go
    /// by its producer, and its language said otherwise).
    fn reference_producers<R: Reader>(
        dwarf: &gimli::Dwarf<R>,
        limit: usize,
    ) -> Result<Vec<Producer>, DwarfError> {
        let mut found: Vec<Producer> = Vec::new();
        let mut units = dwarf.units();
        // Where the next header starts, for errors: gimli reports none.
        let mut next = 0u64;
        for _ in 0..limit {
            let header = match units.next() {
                Ok(Some(header)) => header,
                Ok(None) => break,
                Err(cause) => {
                    return Err(DwarfError::UnitHeader {
                        offset: next,
                        cause,
                    });
                }
            };
            let offset = header.offset().0.into_u64();
            next = offset.saturating_add(header.length_including_self().into_u64());
            if let Some(raw) = reference_go_producer(dwarf, &header, offset)? {
                // Distinct producers are few (one per flag set); a linear
                // search keeps the order without hashing.
                if !found.iter().any(|p| p.raw == raw) {
                    found.push(parse_producer(&raw));
                }
            }
        }
        Ok(found)
    }

    /// [`producers`] over raw section bytes (already decompressed by the
    /// caller). Only `.debug_info`, `.debug_abbrev`, `.debug_str`,
    /// `.debug_line_str` and `.debug_str_offsets` are requested from `load`;
    /// `None` means the section is absent.
    fn reference_from_sections<'a>(
        load: impl Fn(SectionId) -> Option<Cow<'a, [u8]>>,
        big_endian: bool,
        limit: usize,
    ) -> Result<Vec<Producer>, DwarfError> {
        const NEEDED: [SectionId; 5] = [
            SectionId::DebugInfo,
            SectionId::DebugAbbrev,
            SectionId::DebugStr,
            SectionId::DebugLineStr,
            SectionId::DebugStrOffsets,
        ];
        let empty = || Cow::Borrowed(&[][..]);
        let loaded = gimli::DwarfSections::load(|id| {
            let data = if NEEDED.contains(&id) {
                load(id).unwrap_or_else(empty)
            } else {
                empty()
            };
            Ok::<_, std::convert::Infallible>(data)
        });
        let sections = match loaded {
            Ok(sections) => sections,
            Err(never) => match never {},
        };
        let endian = if big_endian {
            gimli::RunTimeEndian::Big
        } else {
            gimli::RunTimeEndian::Little
        };
        let dwarf = sections.borrow(|section| gimli::EndianSlice::new(section, endian));
        reference_producers(&dwarf, limit)
    }

    /// The producer of the unit at `offset` if the unit is Go.
    fn reference_go_producer<R: Reader>(
        dwarf: &gimli::Dwarf<R>,
        header: &gimli::UnitHeader<R>,
        offset: u64,
    ) -> Result<Option<String>, DwarfError> {
        let unit_error = |what, cause| DwarfError::Unit {
            offset,
            what,
            cause,
        };
        let abbrevs = dwarf
            .abbreviations(header)
            .map_err(|e| unit_error("abbreviations", e))?;
        let mut cursor = header.entries(&abbrevs);
        let Some(root) = cursor.next_dfs().map_err(|e| unit_error("root DIE", e))? else {
            return Ok(None);
        };

        let mut language = None;
        let mut producer = None;
        let mut str_offsets_base = None;
        for attr in root.attrs() {
            match (attr.name(), attr.value()) {
                (gimli::DW_AT_language, AttributeValue::Language(lang)) => language = Some(lang),
                (gimli::DW_AT_producer, value) => producer = Some(value),
                (gimli::DW_AT_str_offsets_base, AttributeValue::DebugStrOffsetsBase(base)) => {
                    str_offsets_base = Some(base)
                }
                _ => {}
            }
        }
        let go_by_language = language == Some(gimli::DW_LANG_Go);
        let Some(value) = producer else {
            return Ok(None);
        };
        let string = match reference_producer_string(dwarf, header, str_offsets_base, value) {
            Ok(string) => string,
            Err(_) if !go_by_language => return Ok(None),
            Err(cause) => return Err(unit_error("DW_AT_producer", cause)),
        };
        let bytes = string
            .to_slice()
            .map_err(|e| unit_error("DW_AT_producer", e))?;
        let go_by_producer = bytes.starts_with(b"Go cmd/compile") || bytes.starts_with(b"GNU Go");
        if !go_by_language && !go_by_producer {
            return Ok(None);
        }
        if bytes.len() > MAX_PRODUCER_LEN {
            return Err(DwarfError::ProducerTooLong {
                offset,
                len: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            });
        }
        match std::str::from_utf8(&bytes) {
            Ok(text) => Ok(Some(text.to_owned())),
            Err(_) => Err(DwarfError::ProducerNotUtf8 { offset }),
        }
    }

    /// Resolves a string-class attribute of the unit's root DIE. Like
    /// `gimli::Dwarf::attr_string`, but without building a whole `Unit`
    /// (which would also parse the line-program header).
    fn reference_producer_string<R: Reader>(
        dwarf: &gimli::Dwarf<R>,
        header: &gimli::UnitHeader<R>,
        str_offsets_base: Option<gimli::DebugStrOffsetsBase<R::Offset>>,
        value: AttributeValue<R>,
    ) -> gimli::Result<R> {
        match value {
            AttributeValue::String(string) => Ok(string),
            AttributeValue::DebugStrRef(offset) => dwarf.debug_str.get_str(offset),
            AttributeValue::DebugLineStrRef(offset) => dwarf.debug_line_str.get_str(offset),
            AttributeValue::DebugStrOffsetsIndex(index) => {
                let base = str_offsets_base.unwrap_or_else(|| {
                    gimli::DebugStrOffsetsBase::default_for_encoding_and_file(
                        header.encoding(),
                        dwarf.file_type,
                    )
                });
                let offset =
                    dwarf
                        .debug_str_offsets
                        .get_str_offset(header.format(), base, index)?;
                dwarf.debug_str.get_str(offset)
            }
            _ => Err(gimli::Error::ExpectedStringAttributeValue),
        }
    }

    /// Compares the ranged search, with first reads of several sizes,
    /// with the oracle.
    fn agree(s: &Sections, limit: usize) {
        let get = |id| -> Option<Cow<'_, [u8]>> {
            let data = match id {
                SectionId::DebugInfo => &s.info,
                SectionId::DebugAbbrev => &s.abbrev,
                SectionId::DebugStr => &s.str,
                SectionId::DebugLineStr => &s.line_str,
                SectionId::DebugStrOffsets => &s.str_offsets,
                _ => return None,
            };
            Some(Cow::Borrowed(&data[..]))
        };
        let text = |r: Result<Vec<Producer>, DwarfError>| match r {
            Ok(found) => Ok(found),
            Err(e) => Err(e.to_string()),
        };
        let want = text(reference_from_sections(get, s.big, limit));
        let mem = InMemory {
            info: Cow::Borrowed(&s.info),
            abbrev: Cow::Borrowed(&s.abbrev),
            str: Cow::Borrowed(&s.str),
            line_str: Cow::Borrowed(&s.line_str),
            str_offsets: Cow::Borrowed(&s.str_offsets),
        };
        for first in [16, 17, 24, 40] {
            let got = text(Search::new(&mem, s.big, first).producers(limit));
            assert_eq!(got, want, "first read {first}");
        }
    }

    /// Units larger than the first read, producers in every form and
    /// damage of every kind give what whole sections give.
    #[test]
    fn ranged_reads_agree_with_whole_sections() {
        for big in [false, true] {
            let mut s = Sections::new(big);
            let long = [b"Go cmd/compile go1.27.3; ".to_vec(), vec![b'x'; 40]].concat();
            s.unit(
                Some((b"GNU C17 12.2.0 -O2", Form::Strp)),
                Some(LANG_C99),
                true,
            );
            s.unit(Some((&long, Form::Inline)), Some(LANG_GO), false);
            s.unit(Some((&long, Form::Strp)), Some(LANG_GO), true);
            s.unit(Some((&long, Form::LineStrp)), Some(LANG_GO), false);
            s.unit(Some((&long, Form::Strx)), Some(LANG_GO), false);
            s.unit(Some((b"GNU Go 12.2.0 -O2", Form::Strx)), None, false);
            s.unit(None, Some(LANG_GO), true);
            for limit in [0, 1, 3, 100] {
                agree(&s, limit);
            }
            // Every truncation and a sweep of byte flips of each section.
            let whole = [
                s.info.clone(),
                s.abbrev.clone(),
                s.str.clone(),
                s.line_str.clone(),
                s.str_offsets.clone(),
            ];
            for (which, original) in whole.into_iter().enumerate() {
                let set = |s: &mut Sections, v: Vec<u8>| match which {
                    0 => s.info = v,
                    1 => s.abbrev = v,
                    2 => s.str = v,
                    3 => s.line_str = v,
                    _ => s.str_offsets = v,
                };
                for len in 0..original.len() {
                    set(&mut s, original[..len].to_vec());
                    agree(&s, 100);
                }
                for at in 0..original.len() {
                    for value in [0x00, 0x80, 0xff] {
                        let mut v = original.clone();
                        v[at] = value;
                        set(&mut s, v);
                        agree(&s, 100);
                    }
                }
                set(&mut s, original);
            }
        }
    }

    /// A unit longer than its section, and 64-bit DWARF, as gimli reads them.
    #[test]
    fn unit_lengths_agree_with_whole_sections() {
        let mut s = Sections::new(false);
        s.unit(
            Some((b"Go cmd/compile go1.27.3", Form::Inline)),
            Some(LANG_GO),
            false,
        );
        let unit = s.info.clone();
        // 64-bit DWARF: 0xffffffff, an 8-byte length, and an 8-byte
        // abbreviation offset in the DWARF 5 header.
        let die = &unit[4 + 8..];
        let mut body = vec![5, 0, 1, 8];
        body.extend(0u64.to_le_bytes());
        body.extend(die);
        s.info = vec![0xff; 4];
        s.info.extend((body.len() as u64).to_le_bytes());
        s.info.extend(&body);
        assert_eq!(raws(&s.producers(10).unwrap()), ["Go cmd/compile go1.27.3"]);
        agree(&s, 10);
        // Lengths past the section, and reserved values.
        for length in [u32::MAX - 1, u32::MAX - 15, 1 << 20, 0] {
            let mut info = unit.clone();
            info[..4].copy_from_slice(&length.to_le_bytes());
            s.info = info;
            agree(&s, 10);
        }
    }
}
