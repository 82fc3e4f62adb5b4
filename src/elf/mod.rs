//! Thin views over `object::read::elf`: header facts, dynamic section,
//! notes, GNU properties, symbols and GNU symbol versions.
//!
//! [`open`] reads the ELF header, the program headers and the section
//! headers (with their names) and nothing else. Every other part is read
//! when asked, each region once, as one `read_bytes_at` call: through a file
//! reader (`input::FileBytes`) a call can be a system call and an
//! allocation, so parsers work on the returned slices and never go back to
//! the reader per entry or per string.
//!
//! Layout (gABI, "ELF Header", "Program Header", "Section Header"):
//!
//! ```text
//! 0            e_ident[16] e_type e_machine ... e_phoff e_shoff ... e_shstrndx
//! e_phoff      Elf{32,64}_Phdr[e_phnum]   (PN_XNUM: count in section 0 sh_info)
//! e_shoff      Elf{32,64}_Shdr[e_shnum]   (0: count in section 0 sh_size); may be absent
//! ```
//!
//! A file may come without section headers (`e_shoff == 0`, `sstrip`): the
//! loader only needs program headers, so the dynamic section, notes, dynamic
//! symbols, versions and relocations are all reachable through `PT_*`
//! segments and `DT_*` addresses, mapped to file offsets through `PT_LOAD`.

mod dynamic;
mod header;
mod memory;
mod notes;
mod properties;
mod relocs;
mod sections;
mod symbols;
mod versions;

use std::cell::OnceCell;
use std::marker::PhantomData;

use object::Endianness;
use object::elf;
use object::read::ReadRef;
use object::read::elf::{FileHeader, ProgramHeader, SectionHeader};

pub use dynamic::{Dynamic, DynamicAddresses};
pub use header::{ByteOrder, Class, FileType, Header, Linkage};
pub use memory::{BuildinfoLocation, LocationSource};
pub use notes::{Note, NoteSource, Notes};
pub use properties::{Properties, parse_properties};
pub use relocs::SymbolRelocation;
pub use sections::{DecompressBudget, MAX_DECOMPRESSED_SIZE, SectionSource};
pub use symbols::{
    Binding, DynSym, DynSyms, Symbol, SymbolCounts, SymbolIndex, SymbolKind, SymbolTableKind,
    SymbolVersion, Visibility, raw_dynsyms,
};
pub use versions::{
    GlibcVersion, NeededVersion, VersionDefinition, VersionRef, VersionRequirement, Versions,
    is_glibc_family,
};

/// Why an ELF structure could not be read: which structure, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    /// The bytes do not begin with a supported ELF identification.
    #[error("not an ELF file: {reason}")]
    NotElf {
        /// What was wrong with `e_ident`.
        reason: String,
    },
    /// A structure at a known file offset is malformed.
    #[error("{structure} at {offset:#x}: {reason}")]
    At {
        /// The structure being read, e.g. "section header 12".
        structure: String,
        /// Its file offset.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A structure without a single file offset is malformed, e.g. a
    /// `DT_*` address that no `PT_LOAD` segment maps.
    #[error("{structure}: {reason}")]
    Invalid {
        /// The structure being read.
        structure: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ElfError {
    pub(crate) fn at(structure: impl Into<String>, offset: u64, reason: impl Into<String>) -> Self {
        ElfError::At {
            structure: structure.into(),
            offset,
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(structure: impl Into<String>, reason: impl Into<String>) -> Self {
        ElfError::Invalid {
            structure: structure.into(),
            reason: reason.into(),
        }
    }
}

/// Problems kept per structure and severity: enough to explain a problem,
/// bounded so that a hostile table with a million bad entries costs no memory.
///
/// Each view keeps two lists. `errors` are damage: bytes a header promises
/// are not there or cannot be what the header says (past the end of the
/// file, an unterminated string table, a count the table cannot hold), so
/// facts read from the file may be missing or wrong. `warnings` are
/// oddities that real toolchains produce and that were read correctly anyway
/// (a note alignment of 16, an unknown GNU property, a count field that
/// disagrees with a sound chain).
pub(crate) const MAX_WARNINGS: usize = 16;

/// Appends to a bounded list of warnings or errors (see [`MAX_WARNINGS`]).
pub(crate) fn push_warning(list: &mut Vec<ElfError>, problem: ElfError) {
    if list.len() < MAX_WARNINGS {
        list.push(problem);
    }
}

/// The same bound for errors; a separate name so each call site says which.
pub(crate) fn push_error(list: &mut Vec<ElfError>, problem: ElfError) {
    push_warning(list, problem)
}

/// One program header, widened to 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Position in the program header table.
    pub index: usize,
    pub p_type: u32,
    pub p_flags: u32,
    pub p_offset: u64,
    pub p_vaddr: u64,
    pub p_paddr: u64,
    pub p_filesz: u64,
    pub p_memsz: u64,
    pub p_align: u64,
}

impl Segment {
    /// File offset and number of file-backed bytes at `vaddr`, if this
    /// segment maps it within `p_filesz`.
    pub fn file_offset(&self, vaddr: u64) -> Option<(u64, u64)> {
        let delta = vaddr.checked_sub(self.p_vaddr)?;
        if delta >= self.p_filesz {
            return None;
        }
        let offset = self.p_offset.checked_add(delta)?;
        Some((offset, self.p_filesz - delta))
    }
}

/// One section header, widened to 64 bits, with its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section<'data> {
    /// Index in the section header table (0 is the null section).
    pub index: usize,
    /// Name from the section header string table; empty if unreadable.
    pub name: &'data [u8],
    pub sh_type: u32,
    pub sh_flags: u64,
    pub sh_addr: u64,
    pub sh_offset: u64,
    pub sh_size: u64,
    pub sh_link: u32,
    pub sh_info: u32,
    pub sh_addralign: u64,
    pub sh_entsize: u64,
}

impl Section<'_> {
    /// `(sh_offset, sh_size)`, or `None` for `SHT_NOBITS`, which has no file bytes.
    pub fn file_range(&self) -> Option<(u64, u64)> {
        if self.sh_type == elf::SHT_NOBITS.0 {
            None
        } else {
            Some((self.sh_offset, self.sh_size))
        }
    }

    /// "section header 12 (.dynsym)", for error messages.
    pub(crate) fn describe(&self) -> String {
        format!(
            "section header {} ({})",
            self.index,
            String::from_utf8_lossy(self.name)
        )
    }
}

/// An opened ELF file: header, program headers and section headers, with
/// the other parts read on demand through `R`.
///
/// `R` is `&[u8]` (tests, fuzzers, mapped files) or
/// `&input::FileBytes` (bounded positional reads).
pub struct ElfView<'data, R: ReadRef<'data>> {
    data: R,
    header: Header,
    endian: Endianness,
    segments: Vec<Segment>,
    sections: Vec<Section<'data>>,
    /// File length, when the reader knows it: every header-promised range
    /// is checked against it once, at open.
    file_len: Option<u64>,
    errors: Vec<ElfError>,
    warnings: Vec<ElfError>,
    dynamic: OnceCell<Result<Option<Dynamic<'data>>, ElfError>>,
    relocations: OnceCell<memory::Relocations<'data>>,
    _data: PhantomData<&'data [u8]>,
}

impl<'data, R: ReadRef<'data>> std::fmt::Debug for ElfView<'data, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElfView")
            .field("header", &self.header)
            .field("segments", &self.segments.len())
            .field("sections", &self.sections.len())
            .field("errors", &self.errors)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// Open an ELF file of either class and either byte order.
///
/// Fails if the ELF header or the program header table cannot be read. A
/// section header table that cannot be read is not fatal (the loader does not
/// need it): the view then has no sections and says why in
/// [`ElfView::errors`], with every other range the headers promise that the
/// file does not hold (segments and sections past its end).
pub fn open<'data, R: ReadRef<'data>>(data: R) -> Result<ElfView<'data, R>, ElfError> {
    let ident = data.read_bytes_at(0, 16).map_err(|()| ElfError::NotElf {
        reason: "shorter than the 16-byte e_ident".into(),
    })?;
    if ident.get(..4) != Some(&elf::ELFMAG[..]) {
        return Err(ElfError::NotElf {
            reason: "no \\x7fELF magic".into(),
        });
    }
    match ident.get(4).copied() {
        Some(1) => ElfView::parse::<elf::FileHeader32<Endianness>>(data),
        Some(2) => ElfView::parse::<elf::FileHeader64<Endianness>>(data),
        other => Err(ElfError::at(
            "e_ident",
            4,
            format!(
                "EI_CLASS {} is neither ELFCLASS32 nor ELFCLASS64",
                other.unwrap_or(0)
            ),
        )),
    }
}

impl<'data, R: ReadRef<'data>> ElfView<'data, R> {
    fn parse<Elf: FileHeader<Endian = Endianness>>(data: R) -> Result<Self, ElfError> {
        let raw = Elf::parse(data).map_err(|e| ElfError::at("ELF header", 0, e.to_string()))?;
        let endian = raw
            .endian()
            .map_err(|e| ElfError::at("ELF header", 5, e.to_string()))?;
        let ident = raw.e_ident();
        let header = Header {
            class: if raw.is_type_64() {
                Class::Elf64
            } else {
                Class::Elf32
            },
            byte_order: if endian == Endianness::Big {
                ByteOrder::Big
            } else {
                ByteOrder::Little
            },
            os_abi: ident.os_abi.0,
            abi_version: ident.abi_version,
            e_type: raw.e_type(endian).0,
            e_machine: raw.e_machine(endian).0,
            e_flags: raw.e_flags(endian).0,
            e_entry: raw.e_entry(endian).into(),
            e_phoff: raw.e_phoff(endian).into(),
            e_shoff: raw.e_shoff(endian).into(),
        };
        let program_headers = raw
            .program_headers(endian, data)
            .map_err(|e| ElfError::at("program header table", header.e_phoff, e.to_string()))?;
        let segments: Vec<Segment> = program_headers
            .iter()
            .enumerate()
            .map(|(index, p)| Segment {
                index,
                p_type: p.p_type(endian).0,
                p_flags: p.p_flags(endian).0,
                p_offset: p.p_offset(endian).into(),
                p_vaddr: p.p_vaddr(endian).into(),
                p_paddr: p.p_paddr(endian).into(),
                p_filesz: p.p_filesz(endian).into(),
                p_memsz: p.p_memsz(endian).into(),
                p_align: p.p_align(endian).into(),
            })
            .collect();

        let file_len = data.len().ok();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let sections = match raw.section_headers(endian, data) {
            Ok(headers) => {
                let table = SectionTable {
                    e_shoff: header.e_shoff,
                    len: (headers.len() as u64)
                        .saturating_mul(size_of::<Elf::SectionHeader>() as u64),
                };
                match table.overlap(raw, endian, header.e_phoff) {
                    // The headers are other structures' bytes: every field
                    // read from them would be garbage.
                    Some(what) => {
                        errors.push(ElfError::at(
                            "section header table",
                            header.e_shoff,
                            format!("overlaps the {what}; section headers ignored"),
                        ));
                        Vec::new()
                    }
                    None => Self::named_sections::<Elf>(
                        raw,
                        endian,
                        data,
                        headers,
                        &mut errors,
                        &mut warnings,
                    ),
                }
            }
            Err(e) => {
                errors.push(ElfError::at(
                    "section header table",
                    header.e_shoff,
                    section_table_reason::<Elf, R>(raw, endian, data, file_len, &e),
                ));
                Vec::new()
            }
        };
        if let Some(file_len) = file_len {
            check_ranges(&segments, &sections, file_len, &mut errors);
        }
        Ok(ElfView {
            data,
            header,
            endian,
            segments,
            sections,
            file_len,
            errors,
            warnings,
            dynamic: OnceCell::new(),
            relocations: OnceCell::new(),
            _data: PhantomData,
        })
    }

    /// Widen the section headers and name them from one read of `.shstrtab`.
    fn named_sections<Elf: FileHeader<Endian = Endianness>>(
        raw: &Elf,
        endian: Endianness,
        data: R,
        headers: &'data [Elf::SectionHeader],
        errors: &mut Vec<ElfError>,
        warnings: &mut Vec<ElfError>,
    ) -> Vec<Section<'data>> {
        let names: (&'data [u8], u64) = if headers.is_empty() {
            (&[], 0)
        } else if raw.e_shstrndx(endian) == elf::SHN_UNDEF {
            // The gABI's way to say "no section names"; legal, if rare.
            warnings.push(ElfError::invalid(
                "e_shstrndx",
                "SHN_UNDEF: the sections have no names",
            ));
            (&[], 0)
        } else {
            Self::section_names::<Elf>(raw, endian, data, headers).unwrap_or_else(|e| {
                errors.push(e);
                (&[], 0)
            })
        };
        let (names, names_offset) = names;
        let strings = object::read::StringTable::new(names, 0, names.len() as u64);
        let mut bad_names = 0usize;
        let sections = headers
            .iter()
            .enumerate()
            .map(|(index, s)| {
                let sh_name = s.sh_name(endian);
                let name = if names.is_empty() {
                    &[][..]
                } else {
                    strings.get(sh_name).unwrap_or_else(|()| {
                        bad_names += 1;
                        &[]
                    })
                };
                Section {
                    index,
                    name,
                    sh_type: s.sh_type(endian).0,
                    sh_flags: s.sh_flags(endian).0,
                    sh_addr: s.sh_addr(endian).into(),
                    sh_offset: s.sh_offset(endian).into(),
                    sh_size: s.sh_size(endian).into(),
                    sh_link: s.sh_link(endian),
                    sh_info: s.sh_info(endian),
                    sh_addralign: s.sh_addralign(endian).into(),
                    sh_entsize: s.sh_entsize(endian).into(),
                }
            })
            .collect();
        if bad_names > 0 {
            errors.push(ElfError::at(
                "section names",
                names_offset,
                format!(
                    "{bad_names} sh_name offsets past the end of the string table \
                     or without a terminating NUL"
                ),
            ));
        }
        sections
    }

    /// The section name string table (`e_shstrndx`), read once.
    fn section_names<Elf: FileHeader<Endian = Endianness>>(
        raw: &Elf,
        endian: Endianness,
        data: R,
        headers: &'data [Elf::SectionHeader],
    ) -> Result<(&'data [u8], u64), ElfError> {
        let index = raw
            .shstrndx(endian, data)
            .map_err(|e| ElfError::invalid("e_shstrndx", e.to_string()))?;
        let strtab = usize::try_from(index)
            .ok()
            .and_then(|i| headers.get(i))
            .ok_or_else(|| {
                ElfError::invalid("e_shstrndx", format!("{index} is not a section index"))
            })?;
        let what = || format!("section name string table (section {index})");
        let (offset, size) = strtab
            .file_range(endian)
            .ok_or_else(|| ElfError::invalid(what(), "SHT_NOBITS has no bytes"))?;
        read_section_range(data, what, offset, size).map(|names| (names, offset))
    }

    /// The reader this view was opened on.
    pub fn data(&self) -> R {
        self.data
    }

    /// The ELF header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The byte order as `object`'s runtime endianness.
    pub fn endian(&self) -> Endianness {
        self.endian
    }

    /// All program headers, in table order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// All section headers, in table order (index 0 is the null section).
    /// Empty when the file has none.
    pub fn sections(&self) -> &[Section<'data>] {
        &self.sections
    }

    /// Damage met while opening that did not stop it: an unreadable
    /// section header table or section name string table, segments or
    /// sections that run past the end of the file.
    pub fn errors(&self) -> &[ElfError] {
        &self.errors
    }

    /// Oddities met while opening that were read anyway (`e_shstrndx` of
    /// `SHN_UNDEF`: sections without names).
    pub fn warnings(&self) -> &[ElfError] {
        &self.warnings
    }

    /// Whether `offset..offset + size` lies inside the file (true when the
    /// reader cannot tell the file length: the read will tell then).
    pub(crate) fn in_file(&self, offset: u64, size: u64) -> bool {
        match (self.file_len, offset.checked_add(size)) {
            (Some(len), Some(end)) => end <= len,
            (None, Some(_)) => true,
            (_, None) => false,
        }
    }

    /// The first section with this exact name.
    pub fn section_by_name(&self, name: &[u8]) -> Option<&Section<'data>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Whether a section with this exact name exists.
    pub fn has_section(&self, name: &[u8]) -> bool {
        self.section_by_name(name).is_some()
    }

    /// The first section of this type.
    pub(crate) fn section_by_type(&self, sh_type: u32) -> Option<&Section<'data>> {
        self.sections.iter().find(|s| s.sh_type == sh_type)
    }

    /// The first program header of this type.
    pub(crate) fn segment_by_type(&self, p_type: u32) -> Option<&Segment> {
        self.segments.iter().find(|s| s.p_type == p_type)
    }

    /// Read a file range once, naming the structure in the error.
    pub(crate) fn read_range(
        &self,
        structure: impl FnOnce() -> String,
        offset: u64,
        size: u64,
    ) -> Result<&'data [u8], ElfError> {
        self.data.read_bytes_at(offset, size).map_err(|()| {
            ElfError::at(
                structure(),
                offset,
                format!("{size} bytes past end of file"),
            )
        })
    }

    /// The bytes of a section (raw, not decompressed); empty for `SHT_NOBITS`.
    pub fn section_bytes(&self, section: &Section<'data>) -> Result<&'data [u8], ElfError> {
        match section.file_range() {
            None => Ok(&[]),
            Some((offset, size)) => {
                read_section_range(self.data, || section.describe(), offset, size)
            }
        }
    }

    /// File offset and file-backed length at `vaddr`, through the first
    /// `PT_LOAD` that maps it within `p_filesz` (as Go's `elfExe.DataReader`
    /// does, though Go accepts any segment type).
    pub fn vaddr_to_offset(&self, vaddr: u64) -> Option<(u64, u64)> {
        self.segments
            .iter()
            .filter(|s| s.p_type == elf::PT_LOAD.0)
            .find_map(|s| s.file_offset(vaddr))
    }

    /// File-backed bytes at `vaddr`: exactly `len` of them, or an error
    /// naming `structure` if no `PT_LOAD` maps that many.
    pub(crate) fn read_vaddr_exact(
        &self,
        structure: impl Fn() -> String,
        vaddr: u64,
        len: u64,
    ) -> Result<&'data [u8], ElfError> {
        let (offset, avail) = self.vaddr_to_offset(vaddr).ok_or_else(|| {
            ElfError::invalid(
                structure(),
                format!("address {vaddr:#x} is not in any PT_LOAD"),
            )
        })?;
        if len > avail {
            return Err(ElfError::at(
                structure(),
                offset,
                format!("{len} bytes at {vaddr:#x} run past the end of its PT_LOAD (p_filesz)"),
            ));
        }
        self.read_range(structure, offset, len)
    }

    /// A window of the file from `vaddr` to the end of the `PT_LOAD` that
    /// maps it, for tables whose size only their contents tell.
    pub(crate) fn vaddr_window(&self, vaddr: u64) -> Option<Window<'data, R>> {
        let (start, len) = self.vaddr_to_offset(vaddr)?;
        Some(Window::File {
            data: self.data,
            start,
            len,
        })
    }

    pub(crate) fn is_mips64el(&self) -> bool {
        self.header.class == Class::Elf64
            && self.header.byte_order == ByteOrder::Little
            && self.header.e_machine == elf::EM_MIPS.0
    }
}

/// Where the section header table lies, to tell it from other structures.
struct SectionTable {
    e_shoff: u64,
    len: u64,
}

impl SectionTable {
    /// The structure the table overlaps, if any: the ELF header or the
    /// program header table. No linker writes either; a table that does
    /// is read from another structure's bytes.
    fn overlap<Elf: FileHeader<Endian = Endianness>>(
        &self,
        raw: &Elf,
        endian: Endianness,
        e_phoff: u64,
    ) -> Option<&'static str> {
        let overlaps = |start: u64, len: u64| {
            len > 0
                && self.len > 0
                && self.e_shoff < start.saturating_add(len)
                && start < self.e_shoff.saturating_add(self.len)
        };
        if overlaps(0, u64::from(raw.e_ehsize(endian))) {
            return Some("ELF header");
        }
        let phdrs =
            u64::from(raw.e_phnum(endian)).saturating_mul(u64::from(raw.e_phentsize(endian)));
        if e_phoff != 0 && overlaps(e_phoff, phdrs) {
            return Some("program header table");
        }
        None
    }
}

/// Why the section header table could not be read, in our words when the
/// reason is that it runs past the end of the file.
fn section_table_reason<'data, Elf: FileHeader<Endian = Endianness>, R: ReadRef<'data>>(
    raw: &Elf,
    endian: Endianness,
    data: R,
    file_len: Option<u64>,
    e: &object::read::Error,
) -> String {
    let e_shoff: u64 = raw.e_shoff(endian).into();
    let entsize = u64::from(raw.e_shentsize(endian));
    let past = |end: Option<u64>| match (end, file_len) {
        (None, _) => true,
        (Some(end), Some(len)) => end > len,
        (Some(_), None) => false,
    };
    match raw.shnum(endian, data) {
        Ok(n) => {
            let end = u64::from(n)
                .checked_mul(entsize)
                .and_then(|size| e_shoff.checked_add(size));
            if past(end) {
                format!("{n} entries of {entsize} bytes run past the end of the file")
            } else {
                e.to_string()
            }
        }
        // With e_shnum 0 the count is in section 0, which must be readable.
        Err(_) if past(e_shoff.checked_add(entsize)) => {
            "section 0 (which holds the count when e_shnum is 0) is past the end of the file"
                .to_string()
        }
        Err(_) => e.to_string(),
    }
}

/// Every segment's and section's file bytes must lie in the file: a range
/// past the end means the file was cut short or its headers lie, and
/// whatever would be read there is missing from the facts.
fn check_ranges(
    segments: &[Segment],
    sections: &[Section<'_>],
    file_len: u64,
    errors: &mut Vec<ElfError>,
) {
    let past = |offset: u64, size: u64| offset.checked_add(size).is_none_or(|end| end > file_len);
    for s in segments {
        if s.p_type != elf::PT_NULL.0 && s.p_filesz > 0 && past(s.p_offset, s.p_filesz) {
            push_error(
                errors,
                ElfError::at(
                    format!(
                        "program header {} ({})",
                        s.index,
                        segment_type_name(s.p_type)
                    ),
                    s.p_offset,
                    format!("p_offset+p_filesz ({} bytes) past end of file", s.p_filesz),
                ),
            );
        }
    }
    for s in sections {
        if s.sh_type == elf::SHT_NULL.0 || s.sh_size == 0 {
            continue;
        }
        if let Some((offset, size)) = s.file_range()
            && past(offset, size)
        {
            // The same words as `read_section_range`, so that a later read
            // of this section repeats this error rather than adding one.
            push_error(
                errors,
                ElfError::at(s.describe(), offset, "sh_offset+sh_size past end of file"),
            );
        }
    }
}

/// `PT_LOAD`, `PT_DYNAMIC`, ... for messages.
fn segment_type_name(p_type: u32) -> String {
    let name = match p_type {
        1 => "PT_LOAD",
        2 => "PT_DYNAMIC",
        3 => "PT_INTERP",
        4 => "PT_NOTE",
        6 => "PT_PHDR",
        7 => "PT_TLS",
        0x6474_e550 => "PT_GNU_EH_FRAME",
        0x6474_e551 => "PT_GNU_STACK",
        0x6474_e552 => "PT_GNU_RELRO",
        0x6474_e553 => "PT_GNU_PROPERTY",
        other => return format!("p_type {other:#x}"),
    };
    name.to_string()
}

/// The file bytes a section header names, read once; `structure` names
/// the section in the error.
fn read_section_range<'data, R: ReadRef<'data>>(
    data: R,
    structure: impl FnOnce() -> String,
    offset: u64,
    size: u64,
) -> Result<&'data [u8], ElfError> {
    data.read_bytes_at(offset, size)
        .map_err(|()| ElfError::at(structure(), offset, "sh_offset+sh_size past end of file"))
}

/// The bytes of one table: a slice read at once (a section, whose size is
/// known), or a window of the file read entry by entry (a table reached only
/// through a `DT_*` address, whose size its own entries tell).
#[derive(Clone, Copy)]
pub(crate) enum Window<'data, R> {
    Slice(&'data [u8]),
    File { data: R, start: u64, len: u64 },
}

impl<'data, R: ReadRef<'data>> Window<'data, R> {
    /// The NUL-terminated string at `offset` (without its NUL), or `None`
    /// past the end or without a terminator. Through a file window each
    /// string is read alone, so a large string table is never read whole.
    pub(crate) fn string_at(&self, offset: u64) -> Option<&'data [u8]> {
        match *self {
            Window::Slice(bytes) => {
                let rest = bytes.get(usize::try_from(offset).ok()?..)?;
                rest.get(..memchr::memchr(0, rest)?)
            }
            Window::File { data, start, len } => {
                if offset >= len {
                    return None;
                }
                let from = start.checked_add(offset)?;
                let to = start.checked_add(len)?;
                data.read_bytes_at_until(from..to, 0).ok()
            }
        }
    }

    /// `len` bytes at `offset` within the window, or `None` past its end.
    pub(crate) fn get(&self, offset: u64, len: u64) -> Option<&'data [u8]> {
        match *self {
            Window::Slice(bytes) => {
                let start = usize::try_from(offset).ok()?;
                let len = usize::try_from(len).ok()?;
                bytes.get(start..)?.get(..len)
            }
            Window::File {
                data,
                start,
                len: window,
            } => {
                if offset.checked_add(len)? > window {
                    return None;
                }
                data.read_bytes_at(start.checked_add(offset)?, len).ok()
            }
        }
    }

    /// Window length in bytes.
    pub(crate) fn len(&self) -> u64 {
        match *self {
            Window::Slice(bytes) => bytes.len() as u64,
            Window::File { len, .. } => len,
        }
    }

    /// File offset of the window start, for error messages (`base` for a slice).
    pub(crate) fn file_offset(&self, base: u64) -> u64 {
        match *self {
            Window::Slice(_) => base,
            Window::File { start, .. } => start,
        }
    }
}

/// Fixed-width reads from untrusted bytes: `None` past the end.
pub(crate) fn u16_at(bytes: &[u8], offset: usize, endian: Endianness) -> Option<u16> {
    use object::Endian;
    let b = bytes.get(offset..offset.checked_add(2)?)?;
    Some(endian.read_u16(b.try_into().ok()?))
}

pub(crate) fn u32_at(bytes: &[u8], offset: usize, endian: Endianness) -> Option<u32> {
    use object::Endian;
    let b = bytes.get(offset..offset.checked_add(4)?)?;
    Some(endian.read_u32(b.try_into().ok()?))
}

pub(crate) fn u64_at(bytes: &[u8], offset: usize, endian: Endianness) -> Option<u64> {
    use object::Endian;
    let b = bytes.get(offset..offset.checked_add(8)?)?;
    Some(endian.read_u64(b.try_into().ok()?))
}

/// `len` bytes at `start` of untrusted `bytes` (a size field read from
/// them), or `None` past the end.
pub(crate) fn slice_at(bytes: &[u8], start: usize, len: u32) -> Option<&[u8]> {
    let len = usize::try_from(len).ok()?;
    bytes.get(start..start.checked_add(len)?)
}

/// Round `value` up to a multiple of `align` (a power of two), or `None` on overflow.
pub(crate) fn align_up(value: usize, align: usize) -> Option<usize> {
    let mask = align.checked_sub(1)?;
    Some(value.checked_add(mask)? & !mask)
}

/// A string table slice with an index of where its names end, so that
/// every lookup costs `O(log n)` whatever the offsets: a plain scan to the
/// next NUL per lookup would let a million entries pointing into one long
/// NUL-free run cost a million scans of it.
///
/// Only the first NUL of each run of NULs is recorded (a name starting on
/// a NUL is empty without a lookup), so the index holds at most one `u32`
/// per two table bytes, and one per name in real tables.
pub(crate) struct StrTable<'data> {
    bytes: &'data [u8],
    ends: Vec<u32>,
}

impl<'data> StrTable<'data> {
    pub(crate) fn new(bytes: &'data [u8]) -> Self {
        let mut ends = Vec::new();
        let mut prev_nul = true;
        for (i, &b) in bytes.iter().enumerate() {
            if b == 0 && !prev_nul {
                match u32::try_from(i) {
                    Ok(i) => ends.push(i),
                    // Names past 4 GiB stay unreadable.
                    Err(_) => break,
                }
            }
            prev_nul = b == 0;
        }
        StrTable { bytes, ends }
    }

    /// `(start, len)` of the NUL-terminated name at `offset`, or `None` if
    /// `offset` is past the table or the name has no terminating NUL.
    pub(crate) fn range(&self, offset: u64) -> Option<(u32, u32)> {
        let start = u32::try_from(offset).ok()?;
        if *self.bytes.get(usize::try_from(start).ok()?)? == 0 {
            return Some((start, 0));
        }
        let k = self.ends.partition_point(|&p| p < start);
        let end = *self.ends.get(k)?;
        Some((start, end.checked_sub(start)?))
    }
}

#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
mod tests {
    use super::testutil::{BASE, Builder};
    use super::*;
    use crate::go::AddressSpace;

    #[test]
    fn string_table_lookups() {
        let bytes = b"\0abc\0\0\0de\0tail";
        let t = StrTable::new(bytes);
        let get = |o: u64| {
            t.range(o)
                .map(|(s, l)| &bytes[s as usize..(s + l) as usize])
        };
        assert_eq!(get(0), Some(&b""[..]));
        assert_eq!(get(1), Some(&b"abc"[..]));
        assert_eq!(get(2), Some(&b"bc"[..]));
        assert_eq!(get(4), Some(&b""[..]));
        assert_eq!(get(6), Some(&b""[..]));
        assert_eq!(get(7), Some(&b"de"[..]));
        assert_eq!(get(10), None, "no terminating NUL");
        assert_eq!(get(14), None);
        assert_eq!(get(u64::MAX), None);
        assert_eq!(t.ends, vec![4, 9]);
        // One long NUL-free run looked up at every offset: linear, not quadratic.
        let long = vec![b'x'; 1 << 20];
        let t = StrTable::new(&long);
        assert!((0..long.len() as u64).all(|o| t.range(o).is_none()));
    }

    #[test]
    fn slice_at_stays_inside() {
        let b = b"0123456789";
        assert_eq!(slice_at(b, 2, 3), Some(&b"234"[..]));
        assert_eq!(slice_at(b, 10, 0), Some(&b""[..]));
        assert_eq!(slice_at(b, 8, 3), None);
        assert_eq!(slice_at(b, usize::MAX, 1), None);
    }

    /// An unreadable section name table is a warning naming why; an
    /// unreadable section is an error naming the section.
    #[test]
    fn section_name_table_and_section_bytes_errors() {
        let mut b = Builder::new(true, false, 62, 2);
        b.section_at(".data", 1, 3, 1 << 30, 16, 0, 0, 8, 0);
        b.section_at(".bss", 8, 3, 0x400, 16, 0, 0, 8, 0);
        let good = b.build();
        let texts = |list: &[ElfError]| list.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let data_past =
            "section header 1 (.data) at 0x40000000: sh_offset+sh_size past end of file";
        // Errors other than the .data one, which every variant has.
        let with_shstrndx = |index: u16| {
            let mut bytes = good.clone();
            bytes[0x3e..0x40].copy_from_slice(&index.to_le_bytes());
            let view = open(&bytes[..]).unwrap();
            let errors = texts(view.errors());
            (errors, texts(view.warnings()))
        };
        let view = open(&good[..]).unwrap();
        assert!(view.warnings().is_empty(), "{:?}", view.warnings());
        assert_eq!(texts(view.errors()), [data_past]);
        let data = view.section_by_name(b".data").unwrap();
        assert_eq!(view.section_bytes(data).unwrap_err().to_string(), data_past);
        let no_names = "section header 1 () at 0x40000000: sh_offset+sh_size past end of file";
        assert_eq!(
            with_shstrndx(9),
            (
                vec![
                    "e_shstrndx: 9 is not a section index".to_string(),
                    no_names.into()
                ],
                vec![]
            )
        );
        assert_eq!(
            with_shstrndx(1).0,
            [
                "section name string table (section 1) at 0x40000000: \
                 sh_offset+sh_size past end of file",
                no_names
            ]
        );
        assert_eq!(
            with_shstrndx(2).0,
            [
                "section name string table (section 2): SHT_NOBITS has no bytes",
                no_names
            ]
        );
        // SHN_UNDEF is the gABI's "no names": a warning, not damage.
        assert_eq!(
            with_shstrndx(0),
            (
                vec![no_names.to_string()],
                vec!["e_shstrndx: SHN_UNDEF: the sections have no names".to_string()]
            )
        );
    }

    /// A section name table whose last name has no NUL: those names are
    /// lost, which is an error naming the table and its offset.
    #[test]
    fn unterminated_section_names_are_an_error() {
        let mut b = Builder::new(true, false, 62, 2);
        b.section_at(".data", 1, 3, 0x400, 0, 0, 0, 8, 0);
        let mut bytes = b.build();
        let view = open(&bytes[..]).unwrap();
        assert!(view.errors().is_empty(), "{:?}", view.errors());
        let names = view.section_by_name(b".shstrtab").unwrap();
        let (offset, size) = names.file_range().unwrap();
        let last = usize::try_from(offset + size - 1).unwrap();
        assert_eq!(bytes[last], 0);
        bytes[last] = b'A';
        let view = open(&bytes[..]).unwrap();
        let errors: Vec<String> = view.errors().iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errors,
            [format!(
                "section names at {offset:#x}: 1 sh_name offsets past the end of the string \
                 table or without a terminating NUL"
            )]
        );
    }

    /// A section header table on top of the program headers is garbage:
    /// an error, and no sections are made of it.
    #[test]
    fn section_headers_overlapping_other_headers() {
        let mut b = Builder::new(true, false, 62, 2);
        b.section_at(".data", 1, 3, 0x400, 0, 0, 0, 8, 0);
        let good = b.build();
        for (e_shoff, what) in [(0x40u64, "program header table"), (0x20, "ELF header")] {
            let mut bytes = good.clone();
            bytes[0x28..0x30].copy_from_slice(&e_shoff.to_le_bytes());
            let view = open(&bytes[..]).unwrap();
            assert!(view.sections().is_empty());
            let errors: Vec<String> = view.errors().iter().map(|e| e.to_string()).collect();
            assert_eq!(
                errors,
                [format!(
                    "section header table at {e_shoff:#x}: overlaps the {what}; section headers ignored"
                )]
            );
        }
    }

    /// A segment whose file bytes run past the end is damage even when no
    /// reader needs it; one without file bytes (`.bss`) is not.
    #[test]
    fn segments_past_the_end_of_the_file() {
        let mut b = Builder::new(true, false, 62, 2);
        b.segment_raw(1, 6, 0x400, BASE + 0x400, 0, 0x10_0000, 0x1000);
        let good = b.build();
        assert!(open(&good[..]).unwrap().errors().is_empty());
        let mut b = Builder::new(true, false, 62, 2);
        b.segment_raw(1, 6, 0x400, BASE + 0x400, 1 << 40, 1 << 40, 0x1000);
        b.segment(4, 4, 1 << 20, 16, 4);
        let bytes = b.build();
        let errors: Vec<String> = open(&bytes[..])
            .unwrap()
            .errors()
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            errors,
            [
                "program header 1 (PT_LOAD) at 0x400: p_offset+p_filesz (1099511627776 bytes) \
                 past end of file",
                "program header 2 (PT_NOTE) at 0x100000: p_offset+p_filesz (16 bytes) \
                 past end of file"
            ]
        );
    }

    /// Every entry point over one view; results are ignored, panics are not.
    fn exercise(bytes: &[u8]) {
        let Ok(view) = open(bytes) else { return };
        let _ = view.errors();
        let _ = view.symbol_table_errors();
        let _ = view.interpreter();
        let _ = view.dynamic();
        let _ = view.is_pie();
        let _ = view.linkage();
        let notes = view.notes();
        let _ = notes.properties();
        let _ = notes.gccgo_build_id();
        let _ = view.symbol_counts();
        if let Ok(Some(d)) = view.dynsyms() {
            let _ = d.iter().count();
        }
        if let Ok(index) = view.symbol_index() {
            let _ = index.lookup(b"malloc").count();
            let _ = index.with_prefix(b"m").count();
            for s in index.iter() {
                let _ = s.version;
            }
        }
        if let Ok(Some(v)) = view.versions() {
            let _ = v.max_glibc();
        }
        let mut budget = DecompressBudget::new(1 << 20, 2 << 20);
        for s in view.sections() {
            let _ = view.section_data(s);
            let _ = view.section_data_within(s, &mut budget);
        }
        let _ = view.go_buildinfo_location();
        let _ = view.read(BASE + 0x400, 64);
        let _ = view.relocation_addend(BASE + 0x400);
    }

    /// Random byte flips and every truncation of a file that has all the
    /// structures: no panic, no hang, no huge allocation.
    #[test]
    fn hostile_bytes_never_panic() {
        for (is_64, big) in [(true, false), (false, true)] {
            for with_sections in [true, false] {
                let mut bytes = versions::tests::versioned(is_64, big, with_sections);
                // Add notes so the note and property walkers see mutations too.
                let b = Builder::new(is_64, big, 62, 3);
                let mut props = Vec::new();
                b.enc.u32(&mut props, 0xc000_0002);
                b.enc.u32(&mut props, 4);
                b.enc.u32(&mut props, 3);
                b.enc.u32(&mut props, 0);
                let note = b.enc.note(b"GNU", 5, &props, 8);
                bytes.extend_from_slice(&note);
                let len = bytes.len();
                exercise(&bytes);
                for cut in (0..len).step_by(7) {
                    exercise(&bytes[..cut]);
                }
                let mut state = 0x9e37_79b9_7f4a_7c15u64;
                let mut next = move || {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state
                };
                for _ in 0..3000 {
                    let mut m = bytes.clone();
                    for _ in 0..(next() % 8 + 1) {
                        let at = (next() % len as u64) as usize;
                        m[at] = match next() % 3 {
                            0 => 0xff,
                            1 => 0,
                            _ => next() as u8,
                        };
                    }
                    exercise(&m);
                }
            }
        }
    }
}
