//! `.symtab` and `.dynsym` as one compact, owned, name-sorted index.
//!
//! Layout (gABI "Symbol Table"):
//!
//! ```text
//! Elf32_Sym  st_name u32 | st_value u32 | st_size u32 | st_info u8 | st_other u8 | st_shndx u16
//! Elf64_Sym  st_name u32 | st_info u8 | st_other u8 | st_shndx u16 | st_value u64 | st_size u64
//! st_info = bind << 4 | type;  st_other & 3 = visibility
//! ```
//!
//! Each table and its string table are read once. Names are not copied per
//! symbol: both string tables are copied once into one arena and each symbol
//! keeps a range into it, so a hostile table whose million symbols share one
//! long name costs the table's size, not a million copies. Name ends are
//! found by scanning to the NUL while the bytes scanned stay near the
//! table's size, then from a sorted list of NUL positions, so finding them
//! is `O(log n)` per symbol whatever the names are ([`NameEnds`]).
//!
//! Without section headers, `.dynsym` is found through `DT_SYMTAB`; its
//! length is not recorded anywhere, so it is taken from `DT_HASH` (`nchain`)
//! or by walking `DT_GNU_HASH` to the end of the chain of the highest
//! bucket (glibc `elf/dl-lookup.c`; the walk is bounded by the `PT_LOAD`).

use std::collections::HashMap;

use object::Endianness;
use object::elf;
use object::read::ReadRef;
use object::read::elf::{FileHeader, Sym};
use serde::Serialize;

use super::versions::VERSYM_HIDDEN;
use super::{
    Class, ElfError, ElfView, Section, StrTable, Versions, push_error, push_warning, u32_at, u64_at,
};

const SHT_SYMTAB: u32 = 2;
const SHT_DYNSYM: u32 = 11;
const EM_S390: u16 = 22;
const EM_ALPHA: u16 = 0x9026;

/// Which table a symbol comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolTableKind {
    Symtab,
    Dynsym,
}

/// `ELF_ST_BIND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    Local,
    Global,
    Weak,
    /// `STB_GNU_UNIQUE` and processor/OS values, kept raw.
    Other(u8),
}

/// `ELF_ST_TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolKind {
    NoType,
    Object,
    Func,
    Section,
    File,
    Tls,
    /// `STT_COMMON`, `STT_GNU_IFUNC` and others, kept raw.
    Other(u8),
}

/// `ELF_ST_VISIBILITY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Default,
    Internal,
    Hidden,
    Protected,
}

/// Symbol counts per table, from the table sizes alone (no names read).
/// Entry 0 (the null symbol) is not counted. `None`: no such table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SymbolCounts {
    pub symtab: Option<u64>,
    pub dynsym: Option<u64>,
}

/// A symbol's GNU version (dynamic symbols only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolVersion<'a> {
    pub name: &'a [u8],
    /// versym bit 0x8000: `sym@V` rather than the default `sym@@V`.
    pub hidden: bool,
    /// Defined by this file (`Verdef`) rather than needed from `file`.
    pub defined_here: bool,
    /// The library a needed version comes from.
    pub file: Option<&'a [u8]>,
}

impl Symbol<'_> {
    /// The name as binutils prints it: `name@@V` for the default version
    /// this file defines, `name@V` for a hidden or needed version, and
    /// `name` without a version.
    pub fn versioned_name(&self) -> Vec<u8> {
        let mut out = self.name.to_vec();
        if let Some(v) = self.version {
            out.extend_from_slice(if v.defined_here && !v.hidden {
                b"@@"
            } else {
                b"@"
            });
            out.extend_from_slice(v.name);
        }
        out
    }
}

/// One symbol, borrowed from a [`SymbolIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol<'a> {
    pub name: &'a [u8],
    pub value: u64,
    pub size: u64,
    pub binding: Binding,
    pub kind: SymbolKind,
    pub visibility: Visibility,
    /// `st_shndx != SHN_UNDEF`.
    pub defined: bool,
    pub st_shndx: u16,
    pub table: SymbolTableKind,
    pub version: Option<SymbolVersion<'a>>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    name: (u32, u32),
    value: u64,
    size: u64,
    info: u8,
    other: u8,
    shndx: u16,
    table: SymbolTableKind,
    /// Position + 1 in `versions`; 0 for none.
    version: u16,
    hidden: bool,
}

impl Entry {
    /// The fixed fields of a raw symbol, with the name and version the
    /// caller resolved.
    fn of<Elf: FileHeader<Endian = Endianness>>(
        sym: &Elf::Sym,
        endian: Endianness,
        table: SymbolTableKind,
        name: (u32, u32),
        version: u16,
        hidden: bool,
    ) -> Self {
        Entry {
            name,
            value: sym.st_value(endian).into(),
            size: sym.st_size(endian).into(),
            info: sym.st_info().0,
            other: sym.st_other().0,
            shndx: sym.st_shndx(endian).0,
            table,
            version,
            hidden,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct VersionEntry {
    name: (u32, u32),
    file: Option<(u32, u32)>,
    defined_here: bool,
}

/// Both symbol tables, owned: one names arena and fixed-size entries.
/// Entry 0 of each table is left out.
#[derive(Debug, Clone, Default)]
pub struct SymbolIndex {
    arena: Vec<u8>,
    entries: Vec<Entry>,
    versions: Vec<VersionEntry>,
    /// Entry indices sorted by name, built on the first lookup: a pass
    /// over every symbol (rules) does not need it.
    /// (`OnceLock`, so that threads can share an index.)
    by_name: std::sync::OnceLock<Vec<u32>>,
    counts: SymbolCounts,
    errors: Vec<ElfError>,
    warnings: Vec<ElfError>,
}

impl SymbolIndex {
    fn bytes(&self, (start, len): (u32, u32)) -> &[u8] {
        let start = start as usize;
        self.arena
            .get(start..start.saturating_add(len as usize))
            .unwrap_or(&[])
    }

    fn symbol(&self, e: &Entry) -> Symbol<'_> {
        let version = usize::from(e.version)
            .checked_sub(1)
            .and_then(|i| self.versions.get(i))
            .map(|v| SymbolVersion {
                name: self.bytes(v.name),
                hidden: e.hidden,
                defined_here: v.defined_here,
                file: v.file.map(|f| self.bytes(f)),
            });
        decode(self.bytes(e.name), e, version)
    }

    /// Number of symbols in the index (both tables, null entries excluded).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Symbol `i`: `.symtab` first, then `.dynsym`, each in table order.
    pub fn get(&self, i: usize) -> Option<Symbol<'_>> {
        self.entries.get(i).map(|e| self.symbol(e))
    }

    /// All symbols in table order (`.symtab`, then `.dynsym`).
    pub fn iter(&self) -> impl Iterator<Item = Symbol<'_>> + '_ {
        self.entries.iter().map(|e| self.symbol(e))
    }

    /// The symbols of one table, in table order.
    pub fn table(&self, kind: SymbolTableKind) -> impl Iterator<Item = Symbol<'_>> + '_ {
        self.entries
            .iter()
            .filter(move |e| e.table == kind)
            .map(|e| self.symbol(e))
    }

    fn sorted_range(&self, lo: impl Fn(&[u8]) -> bool, hi: impl Fn(&[u8]) -> bool) -> &[u32] {
        let name = |&i: &u32| {
            self.entries
                .get(i as usize)
                .map_or(&[][..], |e| self.bytes(e.name))
        };
        let by_name = self.by_name.get_or_init(|| self.sorted_by_name());
        let start = by_name.partition_point(|i| lo(name(i)));
        let end = by_name.partition_point(|i| hi(name(i)));
        by_name.get(start..end.max(start)).unwrap_or(&[])
    }

    fn sorted_by_name(&self) -> Vec<u32> {
        let mut by_name: Vec<u32> = (0..self.entries.len())
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        by_name.sort_by(|&a, &b| {
            let name = |i: u32| {
                self.entries
                    .get(i as usize)
                    .map_or(&[][..], |e| self.bytes(e.name))
            };
            name(a).cmp(name(b)).then(a.cmp(&b))
        });
        by_name
    }

    /// Symbols with exactly this name (both tables), in table order.
    pub fn lookup<'s>(&'s self, name: &'s [u8]) -> impl Iterator<Item = Symbol<'s>> + 's {
        self.sorted_range(|n| n < name, |n| n <= name)
            .iter()
            .filter_map(|&i| self.get(i as usize))
    }

    /// Symbols whose name starts with `prefix`, in name order.
    pub fn with_prefix<'s>(&'s self, prefix: &'s [u8]) -> impl Iterator<Item = Symbol<'s>> + 's {
        self.sorted_range(|n| n < prefix, |n| n < prefix || n.starts_with(prefix))
            .iter()
            .filter_map(|&i| self.get(i as usize))
    }

    /// Table sizes, as [`ElfView::symbol_counts`] gives them.
    pub fn counts(&self) -> SymbolCounts {
        self.counts
    }

    /// Tables, symbol names or versions that could not be read (bounded
    /// list): the index is missing symbols or has them without a name, so
    /// "no such symbol" cannot be trusted.
    pub fn errors(&self) -> &[ElfError] {
        &self.errors
    }

    /// Oddities the version tables had that were read anyway (bounded list).
    pub fn warnings(&self) -> &[ElfError] {
        &self.warnings
    }
}

/// The rules' view of an entry: everything but the name and version,
/// which the caller found.
fn decode<'a>(name: &'a [u8], e: &Entry, version: Option<SymbolVersion<'a>>) -> Symbol<'a> {
    Symbol {
        name,
        value: e.value,
        size: e.size,
        binding: match e.info >> 4 {
            0 => Binding::Local,
            1 => Binding::Global,
            2 => Binding::Weak,
            b => Binding::Other(b),
        },
        kind: match e.info & 0xf {
            0 => SymbolKind::NoType,
            1 => SymbolKind::Object,
            2 => SymbolKind::Func,
            3 => SymbolKind::Section,
            4 => SymbolKind::File,
            6 => SymbolKind::Tls,
            t => SymbolKind::Other(t),
        },
        visibility: match e.other & 3 {
            0 => Visibility::Default,
            1 => Visibility::Internal,
            2 => Visibility::Hidden,
            _ => Visibility::Protected,
        },
        defined: e.shndx != elf::SHN_UNDEF.0,
        st_shndx: e.shndx,
        table: e.table,
        version,
    }
}

/// One symbol table found in the file, before decoding.
struct RawTable<'data> {
    kind: SymbolTableKind,
    what: String,
    offset: u64,
    syms: &'data [u8],
    strings: &'data [u8],
}

impl<'data, R: ReadRef<'data>> ElfView<'data, R> {
    fn sym_size(&self) -> u64 {
        match self.header.class {
            Class::Elf32 => 16,
            Class::Elf64 => 24,
        }
    }

    /// Number of `.dynsym` entries (including entry 0) according to
    /// `DT_HASH` or `DT_GNU_HASH`; `None` without either.
    pub(crate) fn dynamic_symbol_count(&self) -> Result<Option<u64>, ElfError> {
        let Some(d) = self.dynamic()? else {
            return Ok(None);
        };
        let a = d.addresses;
        if let Some(hash) = a.dt_hash {
            // s390x and Alpha use 64-bit hash table words.
            let wide = self.header.class == Class::Elf64
                && matches!(self.header.e_machine, EM_S390 | EM_ALPHA);
            let header =
                self.read_vaddr_exact(|| "DT_HASH".into(), hash, if wide { 16 } else { 8 })?;
            let nchain = if wide {
                u64_at(header, 8, self.endian)
            } else {
                u32_at(header, 4, self.endian).map(u64::from)
            };
            return Ok(nchain);
        }
        match a.dt_gnu_hash {
            Some(vaddr) => self.gnu_hash_count(vaddr).map(Some),
            None => Ok(None),
        }
    }

    /// Symbol count from a GNU hash table: one past the last symbol of the
    /// chain that starts at the highest bucket.
    ///
    /// ```text
    /// nbuckets u32 | symoffset u32 | bloom_size u32 | bloom_shift u32
    /// bloom[bloom_size] (address-sized) | buckets u32[nbuckets] | chain u32[] (bit 0 ends a chain)
    /// ```
    fn gnu_hash_count(&self, vaddr: u64) -> Result<u64, ElfError> {
        let what = || "DT_GNU_HASH".to_string();
        let header = self.read_vaddr_exact(what, vaddr, 16)?;
        let e = self.endian;
        let field = |i: usize| u32_at(header, i * 4, e).map(u64::from).unwrap_or(0);
        let (nbuckets, symoffset, bloom_size) = (field(0), field(1), field(2));
        let word = match self.header.class {
            Class::Elf32 => 4,
            Class::Elf64 => 8,
        };
        let overflow = || ElfError::invalid("DT_GNU_HASH", "table size overflows");
        let buckets_vaddr = bloom_size
            .checked_mul(word)
            .and_then(|b| vaddr.checked_add(16)?.checked_add(b))
            .ok_or_else(overflow)?;
        let buckets_len = nbuckets.checked_mul(4).ok_or_else(overflow)?;
        let buckets = self.read_vaddr_exact(what, buckets_vaddr, buckets_len)?;
        let max = buckets
            .chunks_exact(4)
            .filter_map(|b| u32_at(b, 0, e))
            .max()
            .map_or(0, u64::from);
        if max < symoffset {
            return Ok(symoffset);
        }
        let chain_vaddr = (max - symoffset)
            .checked_mul(4)
            .and_then(|c| buckets_vaddr.checked_add(buckets_len)?.checked_add(c))
            .ok_or_else(overflow)?;
        let window = self
            .vaddr_window(chain_vaddr)
            .ok_or_else(|| ElfError::invalid("DT_GNU_HASH", "chain is not in any PT_LOAD"))?;
        // Real chains are short; a hostile one is cut at 1 Mi entries.
        const CHUNK: u64 = 4096;
        const MAX_CHAIN_BYTES: u64 = 4 << 20;
        let mut off = 0u64;
        while off < window.len().min(MAX_CHAIN_BYTES) {
            let n = CHUNK.min(window.len() - off) / 4 * 4;
            let Some(bytes) = window.get(off, n).filter(|_| n > 0) else {
                break;
            };
            for (k, w) in bytes.chunks_exact(4).enumerate() {
                if u32_at(w, 0, e).is_some_and(|v| v & 1 != 0) {
                    return (off / 4 + k as u64)
                        .checked_add(max)
                        .and_then(|c| c.checked_add(1))
                        .ok_or_else(overflow);
                }
            }
            off += n;
        }
        Err(ElfError::at(
            "DT_GNU_HASH",
            window.file_offset(0),
            "the last chain does not end within its PT_LOAD or 1 Mi entries",
        ))
    }

    /// Symbol counts per table from section sizes (`sh_size / entsize`), or
    /// for `.dynsym` without sections from the hash table.
    pub fn symbol_counts(&self) -> Result<SymbolCounts, ElfError> {
        let size = self.sym_size();
        let count = |t: u32| {
            self.section_by_type(t)
                .map(|s| (s.sh_size / size).saturating_sub(1))
        };
        let dynsym = match count(SHT_DYNSYM) {
            Some(n) => Some(n),
            None if self.sections.is_empty() => {
                self.dynamic_symbol_count()?.map(|n| n.saturating_sub(1))
            }
            None => None,
        };
        Ok(SymbolCounts {
            symtab: count(SHT_SYMTAB),
            dynsym,
        })
    }

    fn raw_table(
        &self,
        sh_type: u32,
        kind: SymbolTableKind,
    ) -> Result<Option<RawTable<'data>>, ElfError> {
        let Some(sec) = self.section_by_type(sh_type) else {
            return Ok(None);
        };
        let syms = self.section_bytes(sec)?;
        let strings = match usize::try_from(sec.sh_link)
            .ok()
            .and_then(|l| self.sections.get(l))
        {
            Some(s) => self.section_bytes(s)?,
            None => {
                return Err(ElfError::invalid(
                    sec.describe(),
                    format!("sh_link {} is not a section", sec.sh_link),
                ));
            }
        };
        Ok(Some(RawTable {
            kind,
            what: sec.describe(),
            offset: sec.sh_offset,
            syms,
            strings,
        }))
    }

    /// `.dynsym` through `DT_SYMTAB`, for files without section headers.
    fn raw_dynamic_table(
        &self,
        errors: &mut Vec<ElfError>,
        warnings: &mut Vec<ElfError>,
    ) -> Result<Option<RawTable<'data>>, ElfError> {
        let Some(d) = self.dynamic()? else {
            return Ok(None);
        };
        let Some(symtab) = d.addresses.dt_symtab else {
            return Ok(None);
        };
        let Some(count) = self.dynamic_symbol_count()? else {
            return Err(ElfError::invalid(
                "DT_SYMTAB",
                "no DT_HASH or DT_GNU_HASH to tell its size",
            ));
        };
        let len = count
            .checked_mul(self.sym_size())
            .ok_or_else(|| ElfError::invalid("DT_SYMTAB", "symbol count overflows"))?;
        let syms =
            self.read_vaddr_exact(|| "dynamic symbol table (DT_SYMTAB)".into(), symtab, len)?;
        let strings = self
            .dynamic_strings(&d.addresses, errors, warnings)?
            .unwrap_or(&[]);
        Ok(Some(RawTable {
            kind: SymbolTableKind::Dynsym,
            what: "dynamic symbol table (DT_SYMTAB)".into(),
            offset: self.vaddr_to_offset(symtab).map_or(0, |(o, _)| o),
            syms,
            strings,
        }))
    }

    /// What can be checked about `.symtab` and `.dynsym` without reading
    /// them: each links to a section, does not overlap its string table,
    /// and that table ends with a NUL (the gABI requires it; without one
    /// the last name has no end). One byte is read per string table. That
    /// every range lies in the file is checked when the file is opened
    /// ([`ElfView::errors`]).
    pub fn symbol_table_errors(&self) -> Vec<ElfError> {
        let mut errors = Vec::new();
        for sec in self
            .sections
            .iter()
            .filter(|s| s.sh_type == SHT_SYMTAB || s.sh_type == SHT_DYNSYM)
        {
            let Some(strings) = usize::try_from(sec.sh_link)
                .ok()
                .filter(|&l| l != 0)
                .and_then(|l| self.sections.get(l))
            else {
                push_error(
                    &mut errors,
                    ElfError::at(
                        sec.describe(),
                        sec.sh_offset,
                        format!("sh_link {} is not a string table section", sec.sh_link),
                    ),
                );
                continue;
            };
            let (Some((sym_off, sym_len)), Some((str_off, str_len))) =
                (sec.file_range(), strings.file_range())
            else {
                continue;
            };
            if sym_len > 0
                && str_len > 0
                && sym_off < str_off.saturating_add(str_len)
                && str_off < sym_off.saturating_add(sym_len)
            {
                push_error(
                    &mut errors,
                    ElfError::at(
                        sec.describe(),
                        sym_off,
                        format!(
                            "overlaps its string table, {} at {str_off:#x}",
                            strings.describe()
                        ),
                    ),
                );
                continue;
            }
            let last = str_off
                .checked_add(str_len)
                .and_then(|end| end.checked_sub(1))
                .filter(|_| str_len > 0 && self.in_file(str_off, str_len));
            if let Some(last) = last
                && self.data.read_bytes_at(last, 1).ok() != Some(&[0][..])
            {
                push_error(
                    &mut errors,
                    ElfError::at(
                        strings.describe(),
                        str_off,
                        "string table does not end with a NUL: its last name is unterminated",
                    ),
                );
            }
        }
        errors
    }

    /// Offers the `.symtab` symbols whose names lie in the strings `pick`
    /// keeps, without reading either table whole: the string table is
    /// streamed through `pick` once and only the strings kept are copied
    /// out, then the entries are streamed and only symbols named inside a
    /// kept string are decoded (a large Go binary has tens of thousands;
    /// rules name a few). Each goes through a block-sized buffer: a table
    /// read whole costs a page fault per 4 KiB of fresh memory, which on the
    /// `go` command's 1.3 MB of tables took longer than the search. Both
    /// ranges are checked against the file first, in the order a whole read
    /// met them, so that a table past the end gives the same error and no
    /// symbols. `.symtab` has no GNU versions. Returns what could not be
    /// read, as [`SymbolIndex::errors`] would.
    pub fn search_symtab(
        &self,
        pick: crate::pick::Pick<'_>,
        f: &mut dyn FnMut(Symbol<'_>),
    ) -> Vec<ElfError>
    where
        R: crate::readat::Positional,
    {
        let past_end = |s: &Section<'_>| {
            ElfError::at(
                s.describe(),
                s.sh_offset,
                "sh_offset+sh_size past end of file",
            )
        };
        let in_file = |s: &Section<'_>| s.file_range().is_none_or(|(o, n)| self.in_file(o, n));
        let Some(sec) = self.section_by_type(SHT_SYMTAB) else {
            return Vec::new();
        };
        if !in_file(sec) {
            return vec![past_end(sec)];
        }
        let Some(strtab) = usize::try_from(sec.sh_link)
            .ok()
            .and_then(|l| self.sections.get(l))
        else {
            return vec![ElfError::invalid(
                sec.describe(),
                format!("sh_link {} is not a section", sec.sh_link),
            )];
        };
        if !in_file(strtab) {
            return vec![past_end(strtab)];
        }
        let src = self.data.positional();
        let (str_off, str_len) = strtab.file_range().unwrap_or((0, 0));
        let mut kept = crate::pick::Candidates::default();
        let mut ranges = Vec::new();
        let streamed =
            crate::pick::string_blocks(src, str_off, str_len, (0, str_len), &mut |at, block| {
                ranges.clear();
                pick(block, &mut ranges);
                kept.keep(at, block, &ranges);
                false
            });
        // A name must end at a NUL inside the table.
        let last_nul = match streamed {
            Ok(()) => str_len.checked_sub(1),
            Err(crate::pick::TableError::Unterminated(at)) => at.checked_sub(1),
            Err(crate::pick::TableError::PastEnd(_)) => return vec![past_end(strtab)],
        };
        let table = SymbolStream {
            kind: SymbolTableKind::Symtab,
            range: sec.file_range().unwrap_or((0, 0)),
            strings_len: str_len,
            last_nul,
        };
        let e = self.endian;
        let counted = match self.header.class {
            Class::Elf32 => table.search::<elf::FileHeader32<Endianness>>(src, e, &kept, f),
            Class::Elf64 => table.search::<elf::FileHeader64<Endianness>>(src, e, &kept, f),
        };
        let Some((bad, dropped)) = counted else {
            return vec![past_end(sec)];
        };
        [
            (bad, "symbols have st_name past the end of the string table"),
            (
                dropped,
                "symbol names left out: names overlap far more than a linker writes",
            ),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| ElfError::at(sec.describe(), sec.sh_offset, format!("{n} {what}")))
        .collect()
    }

    /// Build the symbol index over `.symtab` and `.dynsym` (with GNU
    /// versions for the latter). Costs one read per table and string
    /// table, and memory about the size of the tables; call once per file.
    pub fn symbol_index(&self) -> Result<SymbolIndex, ElfError> {
        self.index_tables(true)
    }

    /// [`ElfView::symbol_index`] of `.dynsym` alone (with its counts of
    /// both tables), for callers that stream `.symtab` with
    /// [`ElfView::search_symtab`].
    pub fn dynsym_index(&self) -> Result<SymbolIndex, ElfError> {
        self.index_tables(false)
    }

    fn index_tables(&self, with_symtab: bool) -> Result<SymbolIndex, ElfError> {
        let mut index = SymbolIndex {
            counts: self.symbol_counts()?,
            ..SymbolIndex::default()
        };
        // A table that cannot be read is left out with an error: the
        // other table (and the versions) may still be fine.
        let mut tables = Vec::new();
        let mut keep = |t: Result<Option<RawTable<'data>>, ElfError>, w: &mut Vec<ElfError>| match t
        {
            Ok(t) => tables.extend(t),
            Err(e) => push_error(w, e),
        };
        if with_symtab {
            keep(
                self.raw_table(SHT_SYMTAB, SymbolTableKind::Symtab),
                &mut index.errors,
            );
        }
        match self.raw_table(SHT_DYNSYM, SymbolTableKind::Dynsym) {
            Ok(None) if self.sections.is_empty() => {
                let t = self.raw_dynamic_table(&mut index.errors, &mut index.warnings);
                keep(t, &mut index.errors)
            }
            t => keep(t, &mut index.errors),
        }
        let versions = self.versions().unwrap_or_else(|e| {
            push_error(&mut index.errors, e);
            None
        });
        for table in &tables {
            let (e, v) = (self.endian, versions.as_ref());
            match self.header.class {
                Class::Elf32 => {
                    add_table::<elf::FileHeader32<Endianness>>(&mut index, table, e, v)?
                }
                Class::Elf64 => {
                    add_table::<elf::FileHeader64<Endianness>>(&mut index, table, e, v)?
                }
            }
        }
        if let Some(v) = &versions {
            for e in &v.errors {
                push_error(&mut index.errors, e.clone());
            }
            for w in &v.warnings {
                push_warning(&mut index.warnings, w.clone());
            }
        }
        Ok(index)
    }
}

/// Copy `bytes` into the arena; returns its start.
fn arena_push(arena: &mut Vec<u8>, bytes: &[u8], what: &str) -> Result<u32, ElfError> {
    let start = u32::try_from(arena.len()).ok();
    let end = arena
        .len()
        .checked_add(bytes.len())
        .and_then(|e| u32::try_from(e).ok());
    match (start, end) {
        (Some(start), Some(_)) => {
            arena.extend_from_slice(bytes);
            Ok(start)
        }
        _ => Err(ElfError::invalid(what, "string tables larger than 4 GiB")),
    }
}

fn add_table<Elf: FileHeader<Endian = Endianness>>(
    index: &mut SymbolIndex,
    table: &RawTable<'_>,
    endian: Endianness,
    versions: Option<&Versions<'_>>,
) -> Result<(), ElfError> {
    // Room for the names, the version names read below and the entries,
    // all bounded by the bytes the tables were read into: without it each
    // of a large table's vectors would be copied as it doubled.
    index
        .arena
        .reserve(table.strings.len().saturating_add(4096));
    index
        .entries
        .reserve(table.syms.len() / size_of::<Elf::Sym>());
    let base = arena_push(&mut index.arena, table.strings, &table.what)?;
    let strings = NameEnds::new(table.strings);
    let name_range = |st_name: u32| -> Option<(u32, u32)> {
        let (start, len) = strings.range(st_name)?;
        Some((base.checked_add(start)?, len))
    };
    let count = table.syms.len() / size_of::<Elf::Sym>();
    let syms: &[Elf::Sym] = object::pod::slice_from_bytes(table.syms, count)
        .map(|(s, _)| s)
        .unwrap_or(&[]);
    // Names may overlap (linkers merge common suffixes), but their total
    // length stays near the table size in real files. A hostile table can
    // make a million symbols point into one megabyte-long name; capping
    // the total keeps sorting and lookups linear in the input.
    let mut name_budget = (table.strings.len() as u64)
        .saturating_mul(4)
        .saturating_add(1 << 20);
    let mut dropped_names = 0u64;
    let versions = versions.filter(|_| table.kind == SymbolTableKind::Dynsym);
    // Version index → position + 1 in `index.versions`, filled on first use.
    let mut version_slots: HashMap<u16, u16> = HashMap::new();
    // The last slot seen per `ndx % 8` (`ndx` 0: none), asked before the
    // map: a library defines and needs a few versions, met again and again.
    let mut recent = [(0u16, 0u16); 8];
    let mut bad_names = 0u64;
    let mut bad_versions = 0u64;
    for (i, sym) in syms.iter().enumerate().skip(1) {
        let mut name = name_range(sym.st_name(endian)).unwrap_or_else(|| {
            bad_names += 1;
            (0, 0)
        });
        match name_budget.checked_sub(u64::from(name.1)) {
            Some(left) => name_budget = left,
            None => {
                dropped_names += 1;
                name = (0, 0);
            }
        }
        let mut version = 0u16;
        let mut hidden = false;
        if let Some(vs) = versions
            && let Some(raw) = vs.versym(i)
        {
            hidden = raw & VERSYM_HIDDEN != 0;
            let ndx = raw & !VERSYM_HIDDEN;
            if ndx >= 2 {
                let way = usize::from(ndx & 7);
                let seen = recent
                    .get(way)
                    .filter(|&&(n, _)| n == ndx)
                    .map(|&(_, slot)| slot)
                    .or_else(|| version_slots.get(&ndx).copied());
                version = match seen {
                    Some(slot) => slot,
                    None => match vs.resolve(ndx) {
                        Some(r) => {
                            let name = arena_push(&mut index.arena, r.name, "version names")?;
                            let file = match r.file {
                                Some(f) => Some((
                                    arena_push(&mut index.arena, f, "version names")?,
                                    len32(f),
                                )),
                                None => None,
                            };
                            index.versions.push(VersionEntry {
                                name: (name, len32(r.name)),
                                file,
                                defined_here: r.defined_here,
                            });
                            let slot = u16::try_from(index.versions.len()).unwrap_or(0);
                            version_slots.insert(ndx, slot);
                            slot
                        }
                        None => {
                            bad_versions += 1;
                            0
                        }
                    },
                };
                if version != 0
                    && let Some(r) = recent.get_mut(way)
                {
                    *r = (ndx, version);
                }
            }
        }
        index.entries.push(Entry::of::<Elf>(
            sym, endian, table.kind, name, version, hidden,
        ));
    }
    for (count, what) in [
        (
            bad_names,
            "symbols have st_name past the end of the string table",
        ),
        (
            dropped_names,
            "symbol names left empty: names overlap far more than a linker writes",
        ),
        (
            bad_versions,
            "symbols have a versym index no verdef/verneed defines",
        ),
    ] {
        if count > 0 {
            push_error(
                &mut index.errors,
                ElfError::at(table.what.clone(), table.offset, format!("{count} {what}")),
            );
        }
    }
    Ok(())
}

/// A symbol table streamed by [`ElfView::search_symtab`]: where its
/// entries lie, and what is known of its string table.
struct SymbolStream {
    kind: SymbolTableKind,
    /// File offset and size of the entries.
    range: (u64, u64),
    strings_len: u64,
    /// The string table's last NUL: a name starting past it has no end.
    last_nul: Option<u64>,
}

/// Entries read per block: 48 KiB of 64-bit entries, 32 KiB of 32-bit ones.
const SYMS_PER_BLOCK: usize = 2048;

impl SymbolStream {
    /// Offers the symbols named inside a string of `kept` (kept in one
    /// stream of the string table, so in its order), in the order of the
    /// entries. Returns how many symbols have a name past the string
    /// table, and how many were left out because names overlap far more
    /// than a linker writes (a million symbols inside one megabyte-long
    /// name would otherwise cost a million megabyte-long matches); `None`
    /// when the entries could not be read.
    fn search<Elf: FileHeader<Endian = Endianness>>(
        &self,
        src: &(dyn crate::readat::ReadAt + Sync + '_),
        endian: Endianness,
        kept: &crate::pick::Candidates,
        f: &mut dyn FnMut(Symbol<'_>),
    ) -> Option<(u64, u64)> {
        let mut budget = self.strings_len.saturating_mul(4).saturating_add(1 << 20);
        let (mut bad, mut dropped) = (0u64, 0u64);
        let size = size_of::<Elf::Sym>();
        let count = self.range.1 / size as u64;
        let hot = Buckets::of(kept, self.strings_len);
        // object's ELF structs are byte arrays: any buffer is aligned for them.
        let mut block = vec![0u8; SYMS_PER_BLOCK * size];
        let mut index = 0u64;
        while index < count {
            let n =
                usize::try_from(count - index).map_or(SYMS_PER_BLOCK, |r| r.min(SYMS_PER_BLOCK));
            let buf = block.get_mut(..n * size)?;
            let at = self.range.0.checked_add(index * size as u64)?;
            if !src.read_exact_at(at, buf) {
                return None;
            }
            let (syms, _) = object::pod::slice_from_bytes::<Elf::Sym>(buf, n).ok()?;
            // Entry 0 is the null symbol.
            let skip = usize::from(index == 0);
            index += n as u64;
            for sym in syms.iter().skip(skip) {
                let at = u64::from(sym.st_name(endian));
                if self.last_nul.is_none_or(|l| at > l) {
                    bad += 1;
                    continue;
                }
                if !hot.holds(at) {
                    continue;
                }
                let Some(name) = kept.name_from(at) else {
                    continue;
                };
                match budget.checked_sub(name.len() as u64) {
                    Some(left) => budget = left,
                    None => {
                        dropped += 1;
                        continue;
                    }
                }
                let entry = Entry::of::<Elf>(sym, endian, self.kind, (0, 0), 0, false);
                f(decode(name, &entry, None));
            }
        }
        Some((bad, dropped))
    }
}

/// Which stretches of a string table hold a kept string: one bit per
/// bucket of bytes, so that the many symbols named elsewhere are passed
/// over without a search of the kept strings. At most 2^20 bits.
struct Buckets {
    shift: u32,
    bits: Vec<u64>,
}

impl Buckets {
    fn of(kept: &crate::pick::Candidates, len: u64) -> Self {
        let mut shift = 6;
        while (len >> shift) > 1 << 20 {
            shift += 1;
        }
        let n = usize::try_from((len >> shift) / 64 + 1).unwrap_or(0);
        let mut bits = vec![0u64; n];
        for (start, len) in kept.ranges() {
            // A range's last NUL names the empty string too.
            let end = start.saturating_add(len as u64);
            for b in (start >> shift)..=(end >> shift) {
                if let Some(w) = usize::try_from(b / 64).ok().and_then(|i| bits.get_mut(i)) {
                    *w |= 1 << (b % 64);
                }
            }
        }
        Buckets { shift, bits }
    }

    fn holds(&self, at: u64) -> bool {
        let b = at >> self.shift;
        usize::try_from(b / 64)
            .ok()
            .and_then(|i| self.bits.get(i))
            .is_some_and(|w| w & (1 << (b % 64)) != 0)
    }
}

/// Where the names of a string table end: found with `memchr` while the
/// bytes scanned stay within a budget (real tables: about their size);
/// past it, through an index of the table's NULs ([`StrTable`]), so that
/// a hostile table whose million symbols point into one long run costs no
/// more than its size. Gives what [`StrTable::range`] gives.
struct NameEnds<'data> {
    strings: &'data [u8],
    budget: std::cell::Cell<u64>,
    index: std::cell::OnceCell<StrTable<'data>>,
}

impl<'data> NameEnds<'data> {
    fn new(strings: &'data [u8]) -> Self {
        NameEnds {
            strings,
            budget: std::cell::Cell::new(
                (strings.len() as u64)
                    .saturating_mul(4)
                    .saturating_add(1 << 20),
            ),
            index: std::cell::OnceCell::new(),
        }
    }

    /// `(start, len)` of the name at `st_name`, as [`StrTable::range`] gives it.
    fn range(&self, st_name: u32) -> Option<(u32, u32)> {
        if let Some(index) = self.index.get() {
            return index.range(u64::from(st_name));
        }
        let rest = self.strings.get(usize::try_from(st_name).ok()?..)?;
        let window = rest.get(..rest.len().min(4096)).unwrap_or(rest);
        match memchr::memchr(0, window) {
            Some(len) => {
                let left = self.budget.get().checked_sub(len as u64);
                if let Some(left) = left {
                    self.budget.set(left);
                    return Some((st_name, u32::try_from(len).ok()?));
                }
            }
            // No NUL in the first 4 KiB: the index decides.
            None => self.budget.set(0),
        }
        self.index
            .get_or_init(|| StrTable::new(self.strings))
            .range(u64::from(st_name))
    }
}

/// The dynamic symbol table and its string table, read once and not
/// indexed: for a caller that keeps a few fields of some symbols (the load
/// simulation reads every library's exports once per run).
pub struct DynSyms<'data> {
    syms: &'data [u8],
    strings: &'data [u8],
    names: NameEnds<'data>,
    class: Class,
    endian: Endianness,
}

/// One dynamic symbol's raw fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynSym {
    /// Position in the table (0 is the null symbol, not yielded).
    pub index: usize,
    /// The raw `st_name` offset into [`DynSyms::strings`].
    pub st_name: u32,
    /// `(start, len)` of the name in [`DynSyms::strings`]; `None` when
    /// `st_name` is past the table or unterminated, and from
    /// [`DynSyms::raw_iter`], which does not look names up.
    pub name: Option<(u32, u32)>,
    pub st_value: u64,
    pub st_info: u8,
    pub st_other: u8,
    pub st_shndx: u16,
}

impl<'data> DynSyms<'data> {
    /// `(start, len)` of the name at `st_name`, as [`StrTable::range`] gives it.
    pub fn name_range(&self, st_name: u32) -> Option<(u32, u32)> {
        self.names.range(st_name)
    }

    /// Entries in the table, the null symbol included.
    pub fn count(&self) -> usize {
        self.syms.len()
            / match self.class {
                Class::Elf32 => 16,
                Class::Elf64 => 24,
            }
    }

    /// The string table the names are ranges of.
    pub fn strings(&self) -> &'data [u8] {
        self.strings
    }

    /// Every symbol after the null one, in table order.
    pub fn iter(&self) -> impl Iterator<Item = DynSym> + '_ {
        self.raw_iter().map(|mut s| {
            s.name = self.name_range(s.st_name);
            s
        })
    }

    /// As [`DynSyms::iter`] without looking names up (`name` is `None`):
    /// for a reader that needs the names of a few symbols only, found with
    /// [`DynSyms::name_range`].
    pub fn raw_iter(&self) -> impl Iterator<Item = DynSym> + '_ {
        raw_dynsyms(self.syms, self.class, self.endian)
    }

    /// The table's bytes as read.
    pub fn bytes(&self) -> &'data [u8] {
        self.syms
    }

    pub fn class(&self) -> Class {
        self.class
    }

    pub fn endian(&self) -> Endianness {
        self.endian
    }
}

/// The raw fields of every symbol of a dynamic symbol table's bytes after
/// the null one, in table order, names not looked up (see
/// [`DynSyms::raw_iter`]).
pub fn raw_dynsyms(syms: &[u8], class: Class, e: Endianness) -> impl Iterator<Item = DynSym> + '_ {
    let size = match class {
        Class::Elf32 => 16,
        Class::Elf64 => 24,
    };
    syms.chunks_exact(size)
        .enumerate()
        .skip(1)
        .map(move |(index, raw)| {
            let (name, value, info, other, shndx) = match class {
                Class::Elf32 => (
                    u32_at(raw, 0, e).unwrap_or(0),
                    u64::from(u32_at(raw, 4, e).unwrap_or(0)),
                    raw.get(12).copied().unwrap_or(0),
                    raw.get(13).copied().unwrap_or(0),
                    super::u16_at(raw, 14, e).unwrap_or(0),
                ),
                Class::Elf64 => (
                    u32_at(raw, 0, e).unwrap_or(0),
                    u64_at(raw, 8, e).unwrap_or(0),
                    raw.get(4).copied().unwrap_or(0),
                    raw.get(5).copied().unwrap_or(0),
                    super::u16_at(raw, 6, e).unwrap_or(0),
                ),
            };
            DynSym {
                index,
                st_name: name,
                name: None,
                st_value: value,
                st_info: info,
                st_other: other,
                st_shndx: shndx,
            }
        })
}

impl<'data, R: ReadRef<'data>> ElfView<'data, R> {
    /// `.dynsym` (through `DT_SYMTAB` without section headers) and its
    /// strings, unindexed; `Ok(None)` without one.
    pub fn dynsyms(&self) -> Result<Option<DynSyms<'data>>, ElfError> {
        let table = match self.raw_table(SHT_DYNSYM, SymbolTableKind::Dynsym)? {
            Some(t) => Some(t),
            None if self.sections.is_empty() => {
                let (mut errors, mut warnings) = (Vec::new(), Vec::new());
                let t = self.raw_dynamic_table(&mut errors, &mut warnings)?;
                if let Some(e) = errors.into_iter().next() {
                    return Err(e);
                }
                t
            }
            None => None,
        };
        Ok(table.map(|t| DynSyms {
            syms: t.syms,
            strings: t.strings,
            names: NameEnds::new(t.strings),
            class: self.header.class,
            endian: self.endian,
        }))
    }
}

/// Length of a string known to be inside an arena that fits in u32.
fn len32(bytes: &[u8]) -> u32 {
    u32::try_from(bytes.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{BASE, Builder, Strtab};
    use super::super::versions::tests::versioned;
    use super::*;
    use crate::elf::open;

    /// The unindexed view gives the index's dynamic symbols, field for
    /// field, with and without section headers.
    #[test]
    fn dynsyms_match_the_index() {
        for (is_64, big) in [(true, false), (false, true)] {
            for with_sections in [true, false] {
                let bytes = versioned(is_64, big, with_sections);
                let view = open(&bytes[..]).unwrap();
                let index = view.dynsym_index().unwrap();
                let table = view.dynsyms().unwrap().expect(".dynsym");
                let strings = table.strings();
                let got: Vec<(Vec<u8>, u64, u16)> = table
                    .iter()
                    .map(|s| {
                        let (start, len) = s.name.unwrap();
                        let name = &strings[start as usize..(start + len) as usize];
                        (name.to_vec(), s.st_value, s.st_shndx)
                    })
                    .collect();
                let want: Vec<(Vec<u8>, u64, u16)> = index
                    .table(SymbolTableKind::Dynsym)
                    .map(|s| (s.name.to_vec(), s.value, s.st_shndx))
                    .collect();
                assert!(!want.is_empty());
                assert_eq!(
                    got, want,
                    "is_64={is_64} big={big} sections={with_sections}"
                );
            }
        }
    }

    #[test]
    fn dynsym_with_versions_sections_and_dynamic() {
        for (is_64, big) in [(true, false), (true, true), (false, false), (false, true)] {
            for with_sections in [true, false] {
                let bytes = versioned(is_64, big, with_sections);
                let view = open(&bytes[..]).unwrap();
                let counts = view.symbol_counts().unwrap();
                assert_eq!(
                    counts,
                    SymbolCounts {
                        symtab: None,
                        dynsym: Some(3)
                    }
                );
                let index = view.symbol_index().unwrap();
                assert!(index.warnings().is_empty(), "{:?}", index.warnings());
                let names: Vec<&[u8]> = index.iter().map(|s| s.name).collect();
                assert_eq!(names, vec![&b"malloc"[..], b"memcpy", b"me_func"]);
                let malloc = index.lookup(b"malloc").next().unwrap();
                assert_eq!(malloc.binding, Binding::Global);
                assert_eq!(malloc.kind, SymbolKind::Func);
                assert!(!malloc.defined);
                assert_eq!(malloc.table, SymbolTableKind::Dynsym);
                let v = malloc.version.unwrap();
                assert_eq!(
                    (v.name, v.hidden, v.defined_here),
                    (&b"GLIBC_2.2.5"[..], false, false)
                );
                assert_eq!(v.file, Some(&b"libc.so.6"[..]));
                let memcpy = index.lookup(b"memcpy").next().unwrap();
                assert_eq!(memcpy.binding, Binding::Weak);
                let v = memcpy.version.unwrap();
                assert_eq!((v.name, v.hidden), (&b"GLIBC_2.34"[..], true));
                let me = index.lookup(b"me_func").next().unwrap();
                assert!(me.defined);
                assert!(me.version.unwrap().defined_here);
                assert_eq!(me.versioned_name(), b"me_func@@ME_1.0");
                assert_eq!(memcpy.versioned_name(), b"memcpy@GLIBC_2.34");
                assert_eq!(malloc.versioned_name(), b"malloc@GLIBC_2.2.5");
                let prefixed: Vec<&[u8]> = index.with_prefix(b"m").map(|s| s.name).collect();
                assert_eq!(prefixed, vec![&b"malloc"[..], b"me_func", b"memcpy"]);
                assert_eq!(index.with_prefix(b"me").count(), 2);
                assert_eq!(index.lookup(b"free").count(), 0);
            }
        }
    }

    /// A GNU hash table sizes `.dynsym` when there are no section headers.
    #[test]
    fn gnu_hash_count() {
        for is_64 in [true, false] {
            let mut b = Builder::new(is_64, false, 183, 3);
            let e = b.enc;
            // symoffset 2 (a is unhashed), 2 buckets -> symbols 2 and 4;
            // chain: [2]=even, [3]=end, [4]=even, [5]=end.
            let mut h = Vec::new();
            for x in [2u32, 2, 1, 6] {
                e.u32(&mut h, x);
            }
            e.word(&mut h, u64::MAX >> if is_64 { 0 } else { 32 });
            for x in [2u32, 4, 10, 21, 40, 61] {
                e.u32(&mut h, x);
            }
            b.hashed_dynsyms(&["a", "b", "c", "d", "e"], &h);
            let bytes = b.build();
            let view = open(&bytes[..]).unwrap();
            assert_eq!(view.symbol_counts().unwrap().dynsym, Some(5));
            let index = view.symbol_index().unwrap();
            let got: Vec<&[u8]> = index.iter().map(|s| s.name).collect();
            assert_eq!(got, vec![&b"a"[..], b"b", b"c", b"d", b"e"]);
        }
    }

    /// An unreadable `.symtab` leaves `.dynsym` indexed, with an error.
    #[test]
    fn one_bad_table_keeps_the_other() {
        let mut b = Builder::new(true, false, 62, 3);
        let e = b.enc;
        let mut s = Strtab::new();
        let puts = s.add("puts");
        let str_off = b.blob(&s.bytes, 1);
        let mut syms = e.sym(0, 0, 0, 0, 0, 0);
        syms.extend(e.sym(puts, 0, 0, 0x12, 0, 0));
        let sym_off = b.blob(&syms, 8);
        let dynstr = b.section_at(".dynstr", 3, 2, str_off, s.bytes.len() as u64, 0, 0, 1, 0);
        b.section_at(".dynsym", 11, 2, sym_off, 48, dynstr, 1, 8, 24);
        b.section_at(".symtab", 2, 0, 1 << 30, 48, dynstr, 1, 8, 24);
        let bytes = b.build();
        let index = open(&bytes[..]).unwrap().symbol_index().unwrap();
        let names: Vec<&[u8]> = index.iter().map(|s| s.name).collect();
        assert_eq!(names, vec![&b"puts"[..]]);
        assert!(index.warnings().is_empty());
        assert_eq!(index.errors().len(), 1);
        assert!(
            index.errors()[0]
                .to_string()
                .contains("(.symtab) at 0x40000000")
        );
        assert_eq!(
            index.counts(),
            SymbolCounts {
                symtab: Some(1),
                dynsym: Some(1)
            }
        );
    }

    /// A chain that never ends is an error, not a hang or a huge read.
    #[test]
    fn gnu_hash_without_end() {
        let mut b = Builder::new(true, false, 62, 3);
        let e = b.enc;
        // The hash table is last in the file, so its chain runs to the end.
        let hash_off = 0x1000u64;
        let dynamic = e.dynamic(&[(6, BASE), (0x6fff_fef5, BASE + hash_off)]);
        let dyn_off = b.blob(&dynamic, 8);
        b.segment(2, 6, dyn_off, dynamic.len() as u64, 8);
        let mut h = Vec::new();
        for x in [1u32, 0, 0, 6] {
            e.u32(&mut h, x);
        }
        e.u32(&mut h, 1);
        h.extend(std::iter::repeat_n(0u8, 4000));
        assert_eq!(b.blob(&h, 0x1000), hash_off);
        let bytes = b.build();
        let err = open(&bytes[..]).unwrap().symbol_index().unwrap_err();
        assert!(err.to_string().contains("does not end"), "{err}");
    }

    /// A file whose only symbol table is `syms`, as `.symtab` with its
    /// names (`strings`) in a `.strtab`; alignment and entsize follow the class.
    fn symtab_only(mut b: Builder, strings: &[u8], syms: &[u8]) -> Vec<u8> {
        let (align, entsize) = if b.enc.is_64 { (8, 24) } else { (4, 16) };
        let str_off = b.blob(strings, 1);
        let sym_off = b.blob(syms, align);
        let str_len = strings.len() as u64;
        let strtab = b.section_at(".strtab", 3, 0, str_off, str_len, 0, 0, 1, 0);
        let size = syms.len() as u64;
        b.section_at(
            ".symtab",
            2,
            0,
            sym_off,
            size,
            strtab,
            1,
            align as u64,
            entsize,
        );
        b.build()
    }

    /// `.symtab` with a shared long name, a bad name offset and entsize
    /// from the class; names come from one arena.
    #[test]
    fn symtab_names_and_bad_offsets() {
        let b = Builder::new(false, true, 40, 2);
        let e = b.enc;
        let mut s = Strtab::new();
        let main = s.add("main.main");
        let runtime = s.add("runtime.buildVersion");
        let mut syms = e.sym(0, 0, 0, 0, 0, 0);
        syms.extend(e.sym(main, 0x1000, 64, 0x12, 0, 1));
        syms.extend(e.sym(runtime, 0x2000, 8, 0x11, 2, 2));
        syms.extend(e.sym(0xffff, 0, 0, 0x04, 0, 0xfff1));
        for _ in 0..100 {
            syms.extend(e.sym(runtime + 8, 0, 0, 0x10, 0, 0));
        }
        let bytes = symtab_only(b, &s.bytes, &syms);
        let view = open(&bytes[..]).unwrap();
        assert_eq!(view.symbol_counts().unwrap().symtab, Some(103));
        let index = view.symbol_index().unwrap();
        assert_eq!(index.len(), 103);
        let bv = index.lookup(b"runtime.buildVersion").next().unwrap();
        assert_eq!(
            (bv.value, bv.size, bv.kind),
            (0x2000, 8, SymbolKind::Object)
        );
        assert_eq!(bv.visibility, Visibility::Hidden);
        assert_eq!(bv.table, SymbolTableKind::Symtab);
        assert!(bv.version.is_none());
        assert_eq!(index.lookup(b"buildVersion").count(), 100);
        let file = index.get(2).unwrap();
        assert_eq!(
            (file.name, file.kind, file.defined),
            (&b""[..], SymbolKind::File, true)
        );
        assert_eq!(index.errors().len(), 1);
        assert!(
            index.errors()[0]
                .to_string()
                .contains("1 symbols have st_name past")
        );
        assert!(index.arena.len() < 64);
    }

    /// The streamed search offers what the index holds: tables larger
    /// than a block of either, entries in no name order, a name shared as
    /// another's tail, and names in the unterminated end of the string
    /// table, for each class and byte order.
    #[test]
    fn symtab_search_streams_like_the_index() {
        for (is_64, big) in [(true, false), (false, true), (true, true), (false, false)] {
            let b = Builder::new(is_64, big, 62, 2);
            let e = b.enc;
            let mut s = Strtab::new();
            let offs: Vec<u32> = (0..6000)
                .map(|i| s.add(&format!("example.com/pkg{}.Func{i}", i % 97)))
                .collect();
            let tail = s.bytes.len() as u32;
            s.bytes.extend_from_slice(b"dangling7");
            let mut syms = e.sym(0, 0, 0, 0, 0, 0);
            for (i, &o) in offs.iter().enumerate().rev() {
                syms.extend(e.sym(o, i as u64, 1, 0x12, 0, 1));
            }
            // "Func17" and "7", tails of "example.com/pkg17.Func17".
            syms.extend(e.sym(offs[17] + 18, 1, 0, 0x11, 0, 1));
            syms.extend(e.sym(offs[17] + 23, 2, 0, 0x11, 0, 1));
            syms.extend(e.sym(tail + 1, 3, 0, 0x11, 0, 1));
            assert!(s.bytes.len() > 2 * (64 << 10) && syms.len() > 2048 * 16);
            let bytes = symtab_only(b, &s.bytes, &syms);
            let view = open(&bytes[..]).unwrap();

            let pick_7 = |block: &[u8], out: &mut Vec<(usize, usize)>| {
                crate::pick::strings_holding_any(&[b"7"], block, out);
            };
            let mut found = Vec::new();
            let errors = view.search_symtab(&pick_7, &mut |s| {
                found.push((s.name.to_vec(), s.value, s.kind == SymbolKind::Object));
            });
            let index = view.symbol_index().unwrap();
            let mut want: Vec<_> = index
                .iter()
                .filter(|s| s.name.contains(&b'7'))
                .map(|s| (s.name.to_vec(), s.value, s.kind == SymbolKind::Object))
                .collect();
            found.retain(|(n, _, _)| n.contains(&b'7'));
            found.sort();
            want.sort();
            assert!(want.len() > 1000, "{}", want.len());
            assert!(want.contains(&(b"7".to_vec(), 2, true)));
            assert_eq!(found, want, "is_64 {is_64} big {big}");
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(
                errors[0]
                    .to_string()
                    .contains("1 symbols have st_name past the end")
            );
        }
    }

    /// A `.symtab` that runs past the end of the file offers nothing and
    /// says so, as reading it whole did.
    #[test]
    fn symtab_past_the_end_offers_nothing() {
        let b = Builder::new(true, false, 62, 2);
        let e = b.enc;
        let mut s = Strtab::new();
        let main = s.add("main.main");
        let mut syms = e.sym(0, 0, 0, 0, 0, 0);
        for _ in 0..5000 {
            syms.extend(e.sym(main, 0x1000, 8, 0x12, 0, 1));
        }
        let mut bytes = symtab_only(b, &s.bytes, &syms);
        let elf = goblin::elf::Elf::parse(&bytes).unwrap();
        let (i, sh) = elf
            .section_headers
            .iter()
            .enumerate()
            .find(|(_, sh)| sh.sh_type == 2)
            .unwrap();
        let at = elf.header.e_shoff as usize + i * 64 + 32;
        let size = sh.sh_size + bytes.len() as u64;
        bytes[at..at + 8].copy_from_slice(&size.to_le_bytes());
        let view = open(&bytes[..]).unwrap();
        let mut found = 0;
        let errors = view.search_symtab(&crate::pick::every_string, &mut |_| found += 1);
        assert_eq!(found, 0);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .to_string()
                .contains("sh_offset+sh_size past end of file"),
            "{errors:?}"
        );
    }

    /// 20 000 symbols pointing at successive suffixes of one 200 KB name:
    /// names beyond the budget are dropped with an error, so the sort
    /// stays fast.
    /// A `.symtab` of 20 000 symbols pointing at successive suffixes of
    /// one 200 KB name, then `tail` in the string table and one symbol per
    /// offset of `more` (relative to the tail's start). Returns the file,
    /// the string table's length and where the tail starts.
    fn overlapping_names(tail: &[u8], more: &[u32]) -> (Vec<u8>, usize, usize) {
        let b = Builder::new(true, false, 62, 2);
        let e = b.enc;
        let mut strings = vec![0u8];
        strings.extend(std::iter::repeat_n(b'x', 200_000));
        strings.push(0);
        let at = strings.len();
        strings.extend_from_slice(tail);
        let mut syms = e.sym(0, 0, 0, 0, 0, 0);
        for i in 0..20_000u32 {
            syms.extend(e.sym(1 + i, 0, 0, 0x12, 0, 1));
        }
        for &m in more {
            syms.extend(e.sym((at as u32).saturating_add(m), 0, 0, 0x12, 0, 1));
        }
        (symtab_only(b, &strings, &syms), strings.len(), at)
    }

    #[test]
    fn overlapping_long_names_are_bounded() {
        let (bytes, strings_len, _) = overlapping_names(b"", &[]);
        let index = open(&bytes[..]).unwrap().symbol_index().unwrap();
        assert_eq!(index.len(), 20_000);
        let total: usize = index.iter().map(|s| s.name.len()).sum();
        assert!(total <= 4 * strings_len + (1 << 20), "{total}");
        assert!(
            index
                .errors()
                .iter()
                .any(|w| w.to_string().contains("names left empty"))
        );
    }

    /// The streamed search keeps the same bound, and finds only symbols
    /// named inside a picked string.
    #[test]
    fn symtab_search_picks_and_bounds() {
        let (bytes, strings_len, _) = overlapping_names(b"main.main\0other\0", &[0, 10, 1 << 30]);
        let view = open(&bytes[..]).unwrap();

        let mut names = Vec::new();
        let pick_main = |block: &[u8], out: &mut Vec<(usize, usize)>| {
            if let Some(at) = memchr::memmem::find(block, b"main.main") {
                out.push((at, at + 9));
            }
        };
        let errors = view.search_symtab(&pick_main, &mut |s| names.push(s.name.to_vec()));
        assert_eq!(names, [b"main.main".to_vec()]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .to_string()
                .contains("1 symbols have st_name past the end")
        );

        let mut total = 0usize;
        let pick_all = |block: &[u8], out: &mut Vec<(usize, usize)>| {
            let mut s = 0;
            for e in memchr::memchr_iter(0, block) {
                out.push((s, e));
                s = e + 1;
            }
        };
        let errors = view.search_symtab(&pick_all, &mut |s| total += s.name.len());
        assert!(total <= 4 * strings_len + (1 << 20), "{total}");
        assert!(
            errors
                .iter()
                .any(|w| w.to_string().contains("names overlap")),
            "{errors:?}"
        );
    }
}
