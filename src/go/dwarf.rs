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

use gimli::{AttributeValue, Reader, ReaderOffset, SectionId};

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
}

/// The distinct producers of Go compile units, in unit order.
///
/// A unit counts as Go when its root DIE has `DW_LANG_Go` or a producer
/// starting `Go cmd/compile` or `GNU Go`; a Go unit without a producer
/// (Go before 1.10) contributes nothing. Only the root DIE of each unit is
/// decoded, and at most `limit` units are visited. A unit whose header or
/// root DIE cannot be decoded is an error, except that a non-Go unit whose
/// producer string cannot be resolved is skipped (it could not have been Go
/// by its producer, and its language said otherwise).
pub fn producers<R: Reader>(
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
        if let Some(raw) = go_producer(dwarf, &header, offset)? {
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
pub fn producers_from_sections<'a>(
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
    producers(&dwarf, limit)
}

/// The producer of the unit at `offset` if the unit is Go.
fn go_producer<R: Reader>(
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
    let string = match producer_string(dwarf, header, str_offsets_base, value) {
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
fn producer_string<R: Reader>(
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
            let offset = dwarf
                .debug_str_offsets
                .get_str_offset(header.format(), base, index)?;
            dwarf.debug_str.get_str(offset)
        }
        _ => Err(gimli::Error::ExpectedStringAttributeValue),
    }
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
}
