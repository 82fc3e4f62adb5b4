//! ELF notes from `SHT_NOTE` sections and `PT_NOTE` segments, de-duplicated.
//!
//! Layout (gABI "Note Section"; `shared/reference/elf-go-formats.md` §5):
//!
//! ```text
//! n_namesz u32 | n_descsz u32 | n_type u32 | name[namesz] pad | desc[descsz] pad
//! ```
//!
//! Padding is to 4 bytes, or 8 when the section/segment alignment is 8
//! (binutils treats alignments below 4 as 4; others are invalid). Both
//! sources are read because each can miss notes: Go ≥ 1.24's linker writes a
//! single `PT_NOTE` covering only `.note.go.buildid`, so the GNU build-id is
//! reachable only through sections, and files without section headers have
//! only `PT_NOTE`. A note seen through both is kept once (by file offset),
//! with the section it came from.
//!
//! A bad note (sizes past the end) ends its region with an error; other
//! regions are still read. gccgo's GNU build-id note has an 83-byte desc
//! without trailing padding at the end of its section; that is accepted
//! silently, and an alignment other than 4 or 8 (read as 4, as binutils
//! does) is only a warning: both come from real toolchains and parse.

use std::collections::HashSet;

use object::Endianness;
use object::elf;
use object::read::ReadRef;

use super::{
    Class, ElfError, ElfView, Properties, align_up, parse_properties, push_error, push_warning,
    slice_at, u32_at,
};

/// Upper bound on notes kept from one file.
const MAX_NOTES: usize = 4096;
/// Upper bounds on the work of one scan: note headers visited (kept or
/// already seen), regions read, and bytes read. Many overlapping headers
/// over one large region must not make the scan quadratic, and through
/// `input::FileBytes` every distinct region read stays in memory. Real files have
/// a handful of note sections of a few hundred bytes.
const MAX_VISITS: usize = 1 << 16;
const MAX_REGIONS: usize = 256;
const MAX_REGION_BYTES: u64 = 64 << 20;

/// Where a note was found first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteSource<'data> {
    /// An `SHT_NOTE` section, by name.
    Section(&'data [u8]),
    /// A `PT_NOTE` program header, by index.
    Segment(usize),
}

/// One note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note<'data> {
    /// The name with all trailing NULs removed (`Go\0\0` → `Go`).
    pub name: &'data [u8],
    pub n_type: u32,
    pub desc: &'data [u8],
    /// File offset of the note header.
    pub offset: u64,
    pub source: NoteSource<'data>,
}

/// All notes of a file, with the problems met reading them.
#[derive(Debug, Clone)]
pub struct Notes<'data> {
    pub notes: Vec<Note<'data>>,
    /// Regions or notes that could not be read (past the end of the file or
    /// of their region): notes may be missing.
    pub errors: Vec<ElfError>,
    /// Oddities read anyway (an alignment other than 4 or 8, two property notes).
    pub warnings: Vec<ElfError>,
    class: Class,
    endian: Endianness,
    e_machine: u16,
}

/// Go's note name and build-id type (`cmd/link/internal/ld/elf.go`).
const GO_NAME: &[u8] = b"Go";
const NT_GO_BUILD_ID: u32 = 4;

impl<'data> Notes<'data> {
    /// Notes with this name (trailing NULs stripped) and type.
    pub fn find(&self, name: &[u8], n_type: u32) -> impl Iterator<Item = &Note<'data>> {
        let name = name.to_vec();
        self.notes
            .iter()
            .filter(move |n| n.name == name.as_slice() && n.n_type == n_type)
    }

    /// The Go build ID (`Go`, type 4): the ASCII
    /// `actionID/…/contentID` string written by `cmd/go`.
    pub fn go_build_id(&self) -> Option<&'data [u8]> {
        self.find(GO_NAME, NT_GO_BUILD_ID).next().map(|n| n.desc)
    }

    /// The GNU build ID (`GNU`, type 3) descriptor bytes.
    pub fn gnu_build_id(&self) -> Option<&'data [u8]> {
        self.find(elf::ELF_NOTE_GNU, elf::NT_GNU_BUILD_ID.0)
            .next()
            .map(|n| n.desc)
    }

    /// The GNU build ID as lowercase hex.
    pub fn gnu_build_id_hex(&self) -> Option<String> {
        self.gnu_build_id().map(|d| {
            use std::fmt::Write;
            d.iter().fold(String::new(), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })
        })
    }

    /// The Go build ID gccgo stores as ASCII inside the GNU build-id note
    /// (`cmd/go/internal/work/gccgo.go`): base64url parts joined by '/'.
    pub fn gccgo_build_id(&self) -> Option<&'data str> {
        let desc = self.gnu_build_id()?;
        let ascii = desc.len() > 20
            && desc.contains(&b'/')
            && desc
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/'));
        if ascii {
            std::str::from_utf8(desc).ok()
        } else {
            None
        }
    }

    /// `NT_GNU_PROPERTY_TYPE_0` notes (`GNU`, type 5).
    pub fn gnu_property_notes(&self) -> impl Iterator<Item = &Note<'data>> {
        self.find(elf::ELF_NOTE_GNU, elf::NT_GNU_PROPERTY_TYPE_0.0)
    }

    /// The decoded GNU property note; `None` without one. A linked file
    /// has one merged note; if there are more, only the first is decoded
    /// and the decoder's warnings say so.
    pub fn properties(&self) -> Option<Properties> {
        let mut notes = self.gnu_property_notes();
        let first = notes.next()?;
        let mut props = parse_properties(first.desc, self.class, self.endian, self.e_machine);
        if notes.next().is_some() {
            props.warnings.push(ElfError::at(
                "GNU property note",
                first.offset,
                "more than one NT_GNU_PROPERTY_TYPE_0 note; decoded the first",
            ));
        }
        Some(props)
    }
}

impl<'data, R: ReadRef<'data>> ElfView<'data, R> {
    /// All notes, from `SHT_NOTE` sections first, then `PT_NOTE` segments.
    /// Never fails: unreadable regions and bad notes become errors.
    pub fn notes(&self) -> Notes<'data> {
        let mut out = Notes {
            notes: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            class: self.header.class,
            endian: self.endian,
            e_machine: self.header.e_machine,
        };
        let mut seen_regions = HashSet::new();
        let mut seen_notes = HashSet::new();
        let sections = self
            .sections
            .iter()
            .filter(|s| s.sh_type == elf::SHT_NOTE.0)
            .map(|s| {
                (
                    s.describe(),
                    s.sh_offset,
                    s.sh_size,
                    s.sh_addralign,
                    NoteSource::Section(s.name),
                )
            });
        let segments = self
            .segments
            .iter()
            .filter(|s| s.p_type == elf::PT_NOTE.0)
            .map(|s| {
                (
                    format!("PT_NOTE (program header {})", s.index),
                    s.p_offset,
                    s.p_filesz,
                    s.p_align,
                    NoteSource::Segment(s.index),
                )
            });
        let mut visits = 0usize;
        let mut bytes_read = 0u64;
        for (what, offset, size, align, source) in sections.chain(segments) {
            if !seen_regions.insert((offset, size)) {
                continue;
            }
            if seen_regions.len() > MAX_REGIONS || bytes_read > MAX_REGION_BYTES {
                push_error(
                    &mut out.errors,
                    ElfError::at(
                        what,
                        offset,
                        format!(
                            "note scan stopped: more than {MAX_REGIONS} regions or {MAX_REGION_BYTES} bytes"
                        ),
                    ),
                );
                break;
            }
            let bytes = match self.data.read_bytes_at(offset, size) {
                Ok(b) => {
                    bytes_read = bytes_read.saturating_add(size);
                    b
                }
                Err(()) => {
                    push_error(
                        &mut out.errors,
                        ElfError::at(what, offset, "offset+size past end of file"),
                    );
                    continue;
                }
            };
            let align = match align {
                0..=4 => 4,
                8 => 8,
                other => {
                    push_warning(
                        &mut out.warnings,
                        ElfError::at(
                            what.clone(),
                            offset,
                            format!("alignment {other} is neither 4 nor 8; reading with 4"),
                        ),
                    );
                    4
                }
            };
            parse_region(
                bytes,
                offset,
                align,
                self.endian,
                source,
                &what,
                &mut seen_notes,
                &mut visits,
                &mut out,
            );
            if out.notes.len() >= MAX_NOTES || visits >= MAX_VISITS {
                push_error(
                    &mut out.errors,
                    ElfError::invalid(
                        "notes",
                        format!(
                            "note scan stopped after {MAX_NOTES} notes or {MAX_VISITS} note headers"
                        ),
                    ),
                );
                break;
            }
        }
        out
    }
}

/// Walk one region. Each step advances at least 12 bytes, so the loop ends.
#[allow(clippy::too_many_arguments)]
fn parse_region<'data>(
    bytes: &'data [u8],
    base: u64,
    align: usize,
    endian: Endianness,
    source: NoteSource<'data>,
    what: &str,
    seen: &mut HashSet<u64>,
    visits: &mut usize,
    out: &mut Notes<'data>,
) {
    let mut pos = 0usize;
    while out.notes.len() < MAX_NOTES && *visits < MAX_VISITS {
        *visits += 1;
        let rest = bytes.get(pos..).unwrap_or(&[]);
        if rest.is_empty() || (rest.len() < 12 && rest.iter().all(|&b| b == 0)) {
            return;
        }
        let note_offset = base.saturating_add(pos as u64);
        let bad = |reason: &str| ElfError::at(format!("note in {what}"), note_offset, reason);
        // `pos` is within `bytes`, so these sums stay far below usize::MAX.
        let (Some(namesz), Some(descsz), Some(n_type)) = (
            u32_at(bytes, pos, endian),
            u32_at(bytes, pos.saturating_add(4), endian),
            u32_at(bytes, pos.saturating_add(8), endian),
        ) else {
            push_error(
                &mut out.errors,
                bad("fewer than 12 bytes left for a note header"),
            );
            return;
        };
        let name_start = pos.saturating_add(12);
        let Some(name) = slice_at(bytes, name_start, namesz) else {
            push_error(&mut out.errors, bad("n_namesz runs past the end"));
            return;
        };
        let Some(desc_start) = align_up(name_start.saturating_add(name.len()), align) else {
            return;
        };
        let Some(desc) = slice_at(bytes, desc_start, descsz) else {
            push_error(&mut out.errors, bad("n_descsz runs past the end"));
            return;
        };
        let mut name = name;
        while let [rest @ .., 0] = name {
            name = rest;
        }
        if seen.insert(note_offset) {
            out.notes.push(Note {
                name,
                n_type,
                desc,
                offset: note_offset,
                source,
            });
        }
        match align_up(desc_start.saturating_add(desc.len()), align) {
            Some(next) if next > pos => pos = next,
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::Builder;
    use super::*;
    use crate::elf::open;

    const GO_ID: &[u8] =
        b"abcdefghijklmnopqrst/abcdefghijklmnopqrst/abcdefghijklmnopqrst/abcdefghijklmnopqrst";

    /// Go ≥ 1.24 layout: PT_NOTE covers only the Go note; the GNU build-id
    /// is found through its section; the Go note is reported once.
    #[test]
    fn sections_and_segments_deduplicated() {
        let mut b = Builder::new(true, false, 62, 2);
        let go = b.enc.note(b"Go\0", 4, GO_ID, 4);
        let gnu = b.enc.note(b"GNU", 3, &[0xde, 0xad, 0xbe, 0xef], 4);
        let go_off = b.blob(&go, 4);
        let gnu_off = b.blob(&gnu, 4);
        b.section_at(
            ".note.go.buildid",
            7,
            2,
            go_off,
            go.len() as u64,
            0,
            0,
            4,
            0,
        );
        b.section_at(
            ".note.gnu.build-id",
            7,
            2,
            gnu_off,
            gnu.len() as u64,
            0,
            0,
            4,
            0,
        );
        b.segment(4, 4, go_off, go.len() as u64, 4);
        let bytes = b.build();
        let notes = open(&bytes[..]).unwrap().notes();
        assert_eq!(notes.notes.len(), 2, "{:?}", notes.notes);
        assert!(notes.warnings.is_empty() && notes.errors.is_empty());
        assert_eq!(notes.go_build_id(), Some(GO_ID));
        assert_eq!(notes.gnu_build_id_hex().as_deref(), Some("deadbeef"));
        assert_eq!(
            notes.notes[0].source,
            NoteSource::Section(b".note.go.buildid")
        );
        assert_eq!(notes.gccgo_build_id(), None);
    }

    /// Without section headers, notes come from PT_NOTE, on every class and
    /// byte order; 8-byte alignment for the property note.
    #[test]
    fn segments_only() {
        for (is_64, big) in [(true, false), (true, true), (false, false), (false, true)] {
            let mut b = Builder::new(is_64, big, 62, 2);
            let gnu = b.enc.note(b"GNU", 3, &[1, 2, 3, 4, 5], 4);
            let gnu_off = b.blob(&gnu, 4);
            b.segment(4, 4, gnu_off, gnu.len() as u64, 4);
            let bytes = b.build();
            let notes = open(&bytes[..]).unwrap().notes();
            assert_eq!(notes.gnu_build_id(), Some(&[1, 2, 3, 4, 5][..]));
            assert_eq!(notes.notes[0].source, NoteSource::Segment(1));
        }
    }

    /// gccgo: the ASCII Go build ID in the GNU note, unpadded at the end.
    #[test]
    fn gccgo_unpadded() {
        let mut b = Builder::new(true, false, 62, 2);
        let mut gnu = b.enc.note(b"GNU", 3, GO_ID, 4);
        gnu.truncate(12 + 4 + GO_ID.len());
        assert_eq!(gnu.len(), 99);
        let off = b.blob(&gnu, 4);
        b.section_at(".note.gnu.build-id", 7, 2, off, 99, 0, 0, 4, 0);
        let bytes = b.build();
        let notes = open(&bytes[..]).unwrap().notes();
        assert!(notes.warnings.is_empty(), "{:?}", notes.warnings);
        assert!(notes.errors.is_empty(), "{:?}", notes.errors);
        assert_eq!(notes.gccgo_build_id(), std::str::from_utf8(GO_ID).ok());
    }

    /// A bad note ends its region with an error; other regions still count.
    /// An odd alignment is a warning only.
    #[test]
    fn bad_note_keeps_going() {
        let mut b = Builder::new(true, true, 62, 2);
        let mut bad = Vec::new();
        b.enc.u32(&mut bad, 4);
        b.enc.u32(&mut bad, 0xffff_fff0);
        b.enc.u32(&mut bad, 3);
        bad.extend_from_slice(b"GNU\0");
        let bad_off = b.blob(&bad, 4);
        let good = b.enc.note(b"Go\0", 4, GO_ID, 4);
        let good_off = b.blob(&good, 4);
        b.section_at(".note.bad", 7, 2, bad_off, bad.len() as u64, 0, 0, 4, 0);
        b.section_at(".note.odd", 7, 2, good_off, good.len() as u64, 0, 0, 16, 0);
        b.section_at(".note.huge", 7, 2, good_off, 1 << 40, 0, 0, 4, 0);
        let bytes = b.build();
        let view = open(&bytes[..]).unwrap();
        let notes = view.notes();
        assert_eq!(notes.go_build_id(), Some(GO_ID));
        assert_eq!(notes.errors.len(), 2, "{:?}", notes.errors);
        assert!(
            notes.errors[0].to_string().contains(
                "note in section header 1 (.note.bad) at 0x400: n_descsz runs past the end"
            ),
            "{}",
            notes.errors[0]
        );
        assert!(notes.errors[1].to_string().contains("past end of file"));
        assert_eq!(notes.warnings.len(), 1, "{:?}", notes.warnings);
        assert!(notes.warnings[0].to_string().contains("alignment 16"));
        // The open-time check names the section past the end too.
        assert!(
            view.errors()
                .iter()
                .any(|e| e.to_string().contains("(.note.huge)")),
            "{:?}",
            view.errors()
        );
    }

    /// Many section headers over one large region of notes: the scan stops
    /// at its bounds with an error instead of going quadratic.
    #[test]
    fn overlapping_regions_are_bounded() {
        let mut b = Builder::new(true, false, 62, 2);
        let region = vec![0u8; 12 * 20_000];
        let off = b.blob(&region, 4);
        for k in 0..200u64 {
            b.section_at(
                ".note",
                7,
                2,
                off + 12 * k,
                region.len() as u64 - 12 * k,
                0,
                0,
                4,
                0,
            );
        }
        let bytes = b.build();
        let notes = open(&bytes[..]).unwrap().notes();
        assert_eq!(notes.notes.len(), 4096);
        assert!(
            notes
                .errors
                .iter()
                .any(|w| w.to_string().contains("note scan stopped"))
        );
    }

    /// A zero-sized note header cannot make the walk stand still.
    #[test]
    fn empty_notes_terminate() {
        let mut b = Builder::new(true, false, 62, 2);
        let mut region = vec![0u8; 12 * 100];
        region.extend_from_slice(&[1]);
        let off = b.blob(&region, 4);
        b.segment(4, 4, off, region.len() as u64, 4);
        let bytes = b.build();
        let notes = open(&bytes[..]).unwrap().notes();
        assert_eq!(notes.notes.len(), 100);
        assert_eq!(
            notes.errors.len(),
            1,
            "a stray non-zero byte: {:?}",
            notes.errors
        );
    }
}
