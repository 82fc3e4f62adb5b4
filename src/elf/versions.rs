//! GNU symbol versioning: `.gnu.version` (versym), `.gnu.version_d`
//! (verdef) and `.gnu.version_r` (verneed).
//!
//! Layout (`shared/reference/elf-go-formats.md` §9; glibc `elf.h`; same on
//! ELF32 and ELF64; all offsets relative to the entry that holds them):
//!
//! ```text
//! versym   u16[dynsym count]   0 local, 1 global, ≥2 a vd_ndx/vna_other; 0x8000 = hidden
//! Verdef   vd_version u16 | vd_flags u16 | vd_ndx u16 | vd_cnt u16 | vd_hash u32 | vd_aux u32 | vd_next u32
//! Verdaux  vda_name u32 | vda_next u32
//! Verneed  vn_version u16 | vn_cnt u16 | vn_file u32 | vn_aux u32 | vn_next u32
//! Vernaux  vna_hash u32 | vna_flags u16 | vna_other u16 | vna_name u32 | vna_next u32
//! ```
//!
//! Tables come from the `SHT_GNU_*` sections (strings in `sh_link`), or,
//! without those, from `DT_VERSYM`/`DT_VERDEF`/`DT_VERNEED` (strings in
//! `DT_STRTAB`); `object` reads them only through sections. Chains are
//! followed the way glibc's loader does (`_dl_check_map_versions`): until
//! `vn_next`/`vna_next` is 0, ignoring `vn_cnt`/`DT_VERNEEDNUM`. Offsets only
//! move forward and each step is bounded by the table size, so no chain can
//! loop.
//!
//! A record past the table or a name outside the string table is an error:
//! the requirement it holds is lost. A count (`sh_info`, `DT_VER*NUM`,
//! `vn_cnt`) that disagrees with a sound chain is only a warning, because
//! the loader never reads it and old linkers and post-link tools have left
//! such files; a count the table could not hold even with every record
//! packed is an error, since the header then lies about the table itself.

use std::collections::HashMap;
use std::fmt;

use object::Endianness;
use object::read::ReadRef;
use serde::Serialize;

use super::{ElfError, ElfView, Window, push_error, push_warning, u16_at, u32_at};

const SHT_GNU_VERDEF: u32 = 0x6fff_fffd;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
const SHT_GNU_VERSYM: u32 = 0x6fff_ffff;
const VER_FLG_WEAK: u16 = 0x2;
/// binutils `VERSYM_HIDDEN`; not in glibc `elf.h`.
pub(crate) const VERSYM_HIDDEN: u16 = 0x8000;

/// A version this file defines (`Verdef`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionDefinition<'data> {
    /// `vd_ndx`: the versym value that selects it.
    pub index: u16,
    /// `vd_flags`: `VER_FLG_BASE` (1) marks the file's own name.
    pub flags: u16,
    /// The first `Verdaux` name.
    pub name: &'data [u8],
    /// The other `Verdaux` names (the versions this one inherits from).
    pub parents: Vec<&'data [u8]>,
    /// `vd_hash`: glibc matches a needed version by this hash, then the name.
    pub hash: u32,
}

/// The versions this file needs from one other file (`Verneed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRequirement<'data> {
    /// `vn_file`, e.g. `libc.so.6`.
    pub file: &'data [u8],
    /// The `Vernaux` entries, in order.
    pub versions: Vec<NeededVersion<'data>>,
}

/// One needed version (`Vernaux`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeededVersion<'data> {
    /// `vna_name`, e.g. `GLIBC_2.34`.
    pub name: &'data [u8],
    /// `vna_other`: the versym value that selects it.
    pub index: u16,
    /// `vna_flags`.
    pub flags: u16,
    /// `vna_hash`.
    pub hash: u32,
}

impl NeededVersion<'_> {
    /// `VER_FLG_WEAK`: the loader only warns if the version is missing.
    pub fn is_weak(&self) -> bool {
        self.flags & VER_FLG_WEAK != 0
    }
}

/// What a versym value points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRef<'data> {
    pub name: &'data [u8],
    /// The file a needed version comes from; `None` for a definition.
    pub file: Option<&'data [u8]>,
    /// A version this file defines (`Verdef`) rather than needs.
    pub defined_here: bool,
}

/// A glibc version from a `GLIBC_a.b[.c]` name; ordered numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GlibcVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.patch != 0 {
            write!(f, ".{}", self.patch)?;
        }
        Ok(())
    }
}

impl Serialize for GlibcVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl GlibcVersion {
    /// Parse a version name. `GLIBC_PRIVATE` and other non-numeric names
    /// give `None`; `GLIBC_ABI_DT_RELR` means 2.36, the release that
    /// defines it.
    pub fn from_version_name(name: &[u8]) -> Option<Self> {
        if name == b"GLIBC_ABI_DT_RELR" {
            return Some(GlibcVersion {
                major: 2,
                minor: 36,
                patch: 0,
            });
        }
        let rest = std::str::from_utf8(name.strip_prefix(b"GLIBC_")?).ok()?;
        let mut parts = rest.split('.');
        let num = |p: Option<&str>| -> Option<u32> {
            let p = p?;
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let major = num(parts.next())?;
        let minor = num(parts.next())?;
        let patch = match parts.next() {
            None => 0,
            p => num(p)?,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(GlibcVersion {
            major,
            minor,
            patch,
        })
    }
}

/// Whether `vn_file` is a glibc library (its versions are glibc releases).
pub fn is_glibc_family(file: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"libc.so.",
        b"libm.so.",
        b"libpthread.so.",
        b"libdl.so.",
        b"librt.so.",
        b"libresolv.so.",
        b"libutil.so.",
        b"libanl.so.",
        b"libmvec.so.",
        b"libnsl.so.",
        b"libBrokenLocale.so.",
        b"libthread_db.so.",
        b"libc_malloc_debug.so.",
        b"libnss_",
        b"ld-linux",
        b"ld64.so.",
        b"ld.so.",
    ];
    PREFIXES.iter().any(|p| file.starts_with(p))
}

/// The three version tables of a file.
#[derive(Debug, Clone)]
pub struct Versions<'data> {
    versym: &'data [u8],
    endian: Endianness,
    /// `Verdef` entries, in order.
    pub definitions: Vec<VersionDefinition<'data>>,
    /// `Verneed` entries, in order: per needed file, the versions it must provide.
    pub requirements: Vec<VersionRequirement<'data>>,
    /// Entries that could not be read (the others still were), and counts
    /// the tables cannot hold.
    pub errors: Vec<ElfError>,
    /// Oddities read anyway: a count that disagrees with its chain, a
    /// versym table that nothing sizes.
    pub warnings: Vec<ElfError>,
    by_index: HashMap<u16, VersionRef<'data>>,
}

impl<'data> Versions<'data> {
    /// Per needed file, the version names required, in order.
    pub fn needed_versions(&self) -> &[VersionRequirement<'data>] {
        &self.requirements
    }

    /// Number of versym entries (one per dynamic symbol, including entry 0).
    pub fn versym_count(&self) -> usize {
        self.versym.len() / 2
    }

    /// The versym table as read (a `u16` per dynamic symbol).
    pub fn versym_bytes(&self) -> &'data [u8] {
        self.versym
    }

    /// The raw versym value of dynamic symbol `index`.
    pub fn versym(&self, index: usize) -> Option<u16> {
        u16_at(self.versym, index.checked_mul(2)?, self.endian)
    }

    /// What a versym value selects, hidden bit ignored; `None` for 0
    /// (local), 1 (global) and unknown indexes.
    pub fn resolve(&self, versym: u16) -> Option<VersionRef<'data>> {
        let index = versym & !VERSYM_HIDDEN;
        if index < 2 {
            return None;
        }
        self.by_index.get(&index).copied()
    }

    fn max_glibc_where(&self, weak: bool) -> Option<GlibcVersion> {
        self.requirements
            .iter()
            .filter(|r| is_glibc_family(r.file))
            .flat_map(|r| r.versions.iter())
            .filter(|v| v.is_weak() == weak)
            .filter_map(|v| GlibcVersion::from_version_name(v.name))
            .max()
    }

    /// The highest glibc release the non-weak version requirements on
    /// glibc libraries name: the oldest glibc this file can load with.
    pub fn max_glibc(&self) -> Option<GlibcVersion> {
        self.max_glibc_where(false)
    }

    /// The same over `VER_FLG_WEAK` requirements only, reported apart
    /// because a missing weak version is only a loader warning.
    pub fn max_glibc_weak(&self) -> Option<GlibcVersion> {
        self.max_glibc_where(true)
    }
}

impl<'data, R: ReadRef<'data>> ElfView<'data, R> {
    /// The symbol version tables; `Ok(None)` when the file has none of them.
    pub fn versions(&self) -> Result<Option<Versions<'data>>, ElfError> {
        let verdef_sec = self.section_by_type(SHT_GNU_VERDEF);
        let verneed_sec = self.section_by_type(SHT_GNU_VERNEED);
        let versym_sec = self.section_by_type(SHT_GNU_VERSYM);
        let addrs = self.dynamic()?.map(|d| d.addresses).unwrap_or_default();
        let use_dt_def = verdef_sec.is_none() && addrs.dt_verdef.is_some();
        let use_dt_need = verneed_sec.is_none() && addrs.dt_verneed.is_some();
        let use_dt_sym = versym_sec.is_none() && addrs.dt_versym.is_some();
        if verdef_sec.is_none()
            && verneed_sec.is_none()
            && versym_sec.is_none()
            && !use_dt_def
            && !use_dt_need
            && !use_dt_sym
        {
            return Ok(None);
        }
        let mut p = Problems::default();
        let data = self.data;
        let dt_strings = if use_dt_def || use_dt_need {
            self.dynamic_strtab_range(&addrs, &mut p.errors, &mut p.warnings)?
                .map(|(start, len)| Window::File { data, start, len })
        } else {
            None
        };

        // One table: its window, expected count, strings and file offset for messages.
        let table = |sec: Option<&super::Section<'data>>,
                     dt: Option<u64>,
                     dt_num: Option<u64>,
                     what: &str|
         -> Result<Option<Table<'data, R>>, ElfError> {
            if let Some(sec) = sec {
                let bytes = self.section_bytes(sec)?;
                let link = usize::try_from(sec.sh_link).ok();
                let strings = match link.and_then(|l| self.sections.get(l)) {
                    // Names are read one by one: only the file's bounds are
                    // checked here, not the whole table read.
                    Some(s) => {
                        let (start, len) = s.file_range().unwrap_or((s.sh_offset, 0));
                        let in_file = start
                            .checked_add(len)
                            .zip(data.len().ok())
                            .is_some_and(|(end, file_len)| end <= file_len);
                        if !in_file {
                            return Err(ElfError::at(
                                s.describe(),
                                start,
                                "sh_offset+sh_size past end of file",
                            ));
                        }
                        Window::File { data, start, len }
                    }
                    None => {
                        return Err(ElfError::invalid(
                            sec.describe(),
                            format!("sh_link {} is not a section", sec.sh_link),
                        ));
                    }
                };
                return Ok(Some(Table {
                    window: Window::Slice(bytes),
                    count: Some(u64::from(sec.sh_info)),
                    strings,
                    base: sec.sh_offset,
                }));
            }
            let Some(vaddr) = dt else { return Ok(None) };
            let window = self.vaddr_window(vaddr).ok_or_else(|| {
                ElfError::invalid(what, format!("address {vaddr:#x} is not in any PT_LOAD"))
            })?;
            let strings = dt_strings
                .ok_or_else(|| ElfError::invalid(what, "no readable DT_STRTAB for its names"))?;
            Ok(Some(Table {
                window,
                count: dt_num,
                strings,
                base: window.file_offset(0),
            }))
        };

        let mut definitions = Vec::new();
        if let Some(t) = table(verdef_sec, addrs.dt_verdef, addrs.dt_verdefnum, "DT_VERDEF")? {
            definitions = walk_verdef(&t, self.endian, &mut p);
        }
        let mut requirements = Vec::new();
        if let Some(t) = table(
            verneed_sec,
            addrs.dt_verneed,
            addrs.dt_verneednum,
            "DT_VERNEED",
        )? {
            requirements = walk_verneed(&t, self.endian, &mut p);
        }

        let versym: &'data [u8] = match versym_sec {
            Some(sec) => self.section_bytes(sec)?,
            None => match addrs.dt_versym {
                Some(vaddr) => match self.dynamic_symbol_count()? {
                    Some(count) => {
                        let len = count.checked_mul(2).ok_or_else(|| {
                            ElfError::invalid("DT_VERSYM", "symbol count overflows")
                        })?;
                        self.read_vaddr_exact(|| "DT_VERSYM".into(), vaddr, len)?
                    }
                    None => {
                        push_warning(
                            &mut p.warnings,
                            ElfError::invalid(
                                "DT_VERSYM",
                                "no DT_HASH/DT_GNU_HASH to size it; symbol versions unknown",
                            ),
                        );
                        &[]
                    }
                },
                None => &[],
            },
        };

        let mut by_index = HashMap::new();
        for d in &definitions {
            by_index.entry(d.index).or_insert(VersionRef {
                name: d.name,
                file: None,
                defined_here: true,
            });
        }
        for r in &requirements {
            for v in &r.versions {
                by_index
                    .entry(v.index & !VERSYM_HIDDEN)
                    .or_insert(VersionRef {
                        name: v.name,
                        file: Some(r.file),
                        defined_here: false,
                    });
            }
        }
        Ok(Some(Versions {
            versym,
            endian: self.endian,
            definitions,
            requirements,
            errors: p.errors,
            warnings: p.warnings,
            by_index,
        }))
    }
}

/// One version table: where its entries are, how many it claims
/// (`sh_info` or `DT_VER*NUM`), its string table, and its file offset.
#[derive(Clone, Copy)]
struct Table<'data, R> {
    window: Window<'data, R>,
    count: Option<u64>,
    strings: Window<'data, R>,
    base: u64,
}

/// What one table walk found wrong, by severity.
#[derive(Default)]
struct Problems {
    errors: Vec<ElfError>,
    warnings: Vec<ElfError>,
}

/// Name at `offset` in `strings`, or an empty name and an error: past the
/// table, or without a NUL before its end.
fn name<'data, R: ReadRef<'data>>(
    strings: &Window<'data, R>,
    offset: u32,
    what: impl FnOnce() -> (String, u64),
    p: &mut Problems,
) -> &'data [u8] {
    strings.string_at(u64::from(offset)).unwrap_or_else(|| {
        let (structure, at) = what();
        push_error(
            &mut p.errors,
            ElfError::at(
                structure,
                at,
                format!("name offset {offset:#x} is not in the string table"),
            ),
        );
        &[]
    })
}

/// Most entries one version table walk visits: versym values are 15 bits,
/// so a real table never has more.
const MAX_VERSION_ENTRIES: u64 = 1 << 16;

/// Steps left for one table walk.
struct Budget {
    left: u64,
    limit: u64,
    exhausted: bool,
}

impl Budget {
    fn new(max_steps: u64) -> Self {
        let limit = max_steps.min(MAX_VERSION_ENTRIES);
        Budget {
            left: limit,
            limit,
            exhausted: false,
        }
    }

    fn take(&mut self) -> bool {
        match self.left.checked_sub(1) {
            Some(left) => {
                self.left = left;
                true
            }
            None => {
                self.exhausted = true;
                false
            }
        }
    }

    fn report(&self, what: &str, base: u64, p: &mut Problems) {
        if self.exhausted {
            push_error(
                &mut p.errors,
                ElfError::at(
                    what,
                    base,
                    format!(
                        "walk stopped after {} entries (chains overlap or run on)",
                        self.limit
                    ),
                ),
            );
        }
    }
}

/// Checks a count field against the chain walked: `record_size` bytes per
/// record it counts, in a table of `table_len` bytes.
fn check_count(
    what: &str,
    base: u64,
    expected: Option<u64>,
    found: u64,
    (record_size, table_len): (u64, u64),
    p: &mut Problems,
) {
    let Some(expected) = expected else { return };
    if expected
        .checked_mul(record_size)
        .is_none_or(|need| need > table_len)
    {
        push_error(
            &mut p.errors,
            ElfError::at(
                what,
                base,
                format!(
                    "count says {expected} entries of {record_size} bytes, more than the \
                     {table_len}-byte table holds (the chain has {found})"
                ),
            ),
        );
    } else if expected != found {
        // The loader follows the chain and never reads the count.
        push_warning(
            &mut p.warnings,
            ElfError::at(
                what,
                base,
                format!("count says {expected} entries, the chain has {found}"),
            ),
        );
    }
}

/// How one of the two chained tables is laid out. Both are lists linked by
/// `v*_next`, each entry heading a list of aux records linked by `v*a_next`;
/// every offset is relative to the record that holds it.
struct Chain {
    /// `verneed`/`verdef`, and its aux record `vernaux`/`verdaux`.
    entry: &'static str,
    aux: &'static str,
    /// Names the table's own entry count in a mismatch warning.
    count: &'static str,
    entry_size: u64,
    aux_size: u64,
    /// Offsets of `v*_cnt` (u16), `v*_aux` and `v*_next` (u32) in an entry,
    /// and of `v*a_next` (u32) in an aux record.
    cnt_at: usize,
    aux_at: usize,
    next_at: usize,
    aux_next_at: usize,
    /// glibc follows `vna_next` only, so `vn_cnt` is just checked against
    /// the chain (a warning naming this field, or an error if the table
    /// cannot hold that many); without it, `vd_cnt` caps the aux walk.
    checked_cnt: Option<&'static str>,
}

static VERNEED: Chain = Chain {
    entry: "verneed",
    aux: "vernaux",
    count: "verneed count (sh_info/DT_VERNEEDNUM)",
    entry_size: 16,
    aux_size: 16,
    cnt_at: 2,
    aux_at: 8,
    next_at: 12,
    aux_next_at: 12,
    checked_cnt: Some("vn_cnt"),
};

static VERDEF: Chain = Chain {
    entry: "verdef",
    aux: "verdaux",
    count: "verdef count (sh_info/DT_VERDEFNUM)",
    entry_size: 20,
    aux_size: 8,
    cnt_at: 6,
    aux_at: 12,
    next_at: 16,
    aux_next_at: 4,
    checked_cnt: None,
};

/// Where a record is, for messages: `verneed entry 3`, `verneed entry 3 vernaux 1`.
#[derive(Clone, Copy)]
struct Place {
    chain: &'static Chain,
    entry: u64,
    aux: Option<u64>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} entry {}", self.chain.entry, self.entry)?;
        if let Some(j) = self.aux {
            write!(f, " {} {j}", self.chain.aux)?;
        }
        Ok(())
    }
}

/// One entry or aux record met on a walk: its bytes (at least the record
/// size), its file offset and its place.
#[derive(Clone, Copy)]
struct Record<'data> {
    bytes: &'data [u8],
    at: u64,
    place: Place,
    endian: Endianness,
}

impl Record<'_> {
    fn u16(&self, offset: usize) -> u16 {
        u16_at(self.bytes, offset, self.endian).unwrap_or(0)
    }

    fn u32(&self, offset: usize) -> u32 {
        u32_at(self.bytes, offset, self.endian).unwrap_or(0)
    }
}

/// Walks one chained table: `read_entry` decodes an entry's own fields,
/// `read_aux` each of its aux records, `finish` joins them. Problems come
/// in the order the records are met.
fn walk_chain<'data, R: ReadRef<'data>, E, A, T>(
    table: &Table<'data, R>,
    chain: &'static Chain,
    endian: Endianness,
    p: &mut Problems,
    mut read_entry: impl FnMut(Record<'data>, &mut Problems) -> E,
    mut read_aux: impl FnMut(Record<'data>, &mut Problems) -> A,
    finish: impl Fn(E, Vec<A>) -> T,
) -> Vec<T> {
    let Table {
        window,
        count,
        base,
        ..
    } = *table;
    let mut out = Vec::new();
    let mut off = 0u64;
    // Each record takes at least `step` bytes and offsets only grow: at most
    // len/step steps per chain. Chains may share records, so all of them
    // together get at most twice that (failed reads count too), and never
    // more than `MAX_VERSION_ENTRIES`.
    let step = chain.entry_size.min(chain.aux_size);
    let max_steps = window.len() / step + 1;
    let mut budget = Budget::new(max_steps.saturating_mul(2));
    for i in 0..max_steps {
        if !budget.take() {
            break;
        }
        let at = base.saturating_add(off);
        let place = Place {
            chain,
            entry: i,
            aux: None,
        };
        let Some(bytes) = window.get(off, chain.entry_size) else {
            push_error(
                &mut p.errors,
                ElfError::at(place.to_string(), at, "runs past the end of the table"),
            );
            break;
        };
        let entry = Record {
            bytes,
            at,
            place,
            endian,
        };
        let (cnt, v_aux, v_next) = (
            entry.u16(chain.cnt_at),
            entry.u32(chain.aux_at),
            entry.u32(chain.next_at),
        );
        let head = read_entry(entry, p);
        let aux_steps = match chain.checked_cnt {
            Some(_) => max_steps,
            None => u64::from(cnt).min(max_steps),
        };
        let mut auxes = Vec::new();
        let mut aoff = off.checked_add(u64::from(v_aux));
        for j in 0..aux_steps {
            let Some(a) = aoff else { break };
            if !budget.take() {
                break;
            }
            let aat = base.saturating_add(a);
            let place = Place {
                aux: Some(j),
                ..place
            };
            let Some(bytes) = window.get(a, chain.aux_size) else {
                push_error(
                    &mut p.errors,
                    ElfError::at(place.to_string(), aat, "runs past the end of the table"),
                );
                break;
            };
            let aux = Record {
                bytes,
                at: aat,
                place,
                endian,
            };
            let next = aux.u32(chain.aux_next_at);
            auxes.push(read_aux(aux, p));
            if next == 0 {
                break;
            }
            aoff = a.checked_add(u64::from(next));
        }
        if let Some(field) = chain.checked_cnt {
            check_count(
                &format!("{place} {field}"),
                at,
                Some(u64::from(cnt)),
                auxes.len() as u64,
                (chain.aux_size, window.len()),
                p,
            );
        }
        out.push(finish(head, auxes));
        if v_next == 0 {
            break;
        }
        match off.checked_add(u64::from(v_next)) {
            Some(next) => off = next,
            None => break,
        }
    }
    budget.report(&format!("{} table", chain.entry), base, p);
    check_count(
        chain.count,
        base,
        count,
        out.len() as u64,
        (chain.entry_size, window.len()),
        p,
    );
    out
}

fn walk_verneed<'data, R: ReadRef<'data>>(
    table: &Table<'data, R>,
    endian: Endianness,
    p: &mut Problems,
) -> Vec<VersionRequirement<'data>> {
    let strings = &table.strings;
    walk_chain(
        table,
        &VERNEED,
        endian,
        p,
        |entry, p| {
            let vn_file = entry.u32(4);
            let what = || (format!("{} vn_file", entry.place), entry.at);
            name(strings, vn_file, what, p)
        },
        |aux, p| NeededVersion {
            name: name(strings, aux.u32(8), || (aux.place.to_string(), aux.at), p),
            index: aux.u16(6),
            flags: aux.u16(4),
            hash: aux.u32(0),
        },
        |file, versions| VersionRequirement { file, versions },
    )
}

fn walk_verdef<'data, R: ReadRef<'data>>(
    table: &Table<'data, R>,
    endian: Endianness,
    p: &mut Problems,
) -> Vec<VersionDefinition<'data>> {
    let strings = &table.strings;
    walk_chain(
        table,
        &VERDEF,
        endian,
        p,
        |entry, _| (entry.u16(2), entry.u16(4), entry.u32(8)),
        |aux, p| {
            let vda_name = aux.u32(0);
            name(strings, vda_name, || (aux.place.to_string(), aux.at), p)
        },
        |(flags, index, hash), names| {
            let mut names = names.into_iter();
            VersionDefinition {
                index,
                flags,
                name: names.next().unwrap_or(&[]),
                parents: names.collect(),
                hash,
            }
        },
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testutil::{BASE, Builder, Strtab};
    use super::*;
    use crate::elf::open;

    fn v(major: u32, minor: u32, patch: u32) -> GlibcVersion {
        GlibcVersion {
            major,
            minor,
            patch,
        }
    }

    #[test]
    fn glibc_names() {
        assert_eq!(
            GlibcVersion::from_version_name(b"GLIBC_2.2.5"),
            Some(v(2, 2, 5))
        );
        assert_eq!(
            GlibcVersion::from_version_name(b"GLIBC_2.34"),
            Some(v(2, 34, 0))
        );
        assert_eq!(
            GlibcVersion::from_version_name(b"GLIBC_ABI_DT_RELR"),
            Some(v(2, 36, 0))
        );
        assert_eq!(GlibcVersion::from_version_name(b"GLIBC_PRIVATE"), None);
        assert_eq!(GlibcVersion::from_version_name(b"GLIBC_2"), None);
        assert_eq!(GlibcVersion::from_version_name(b"GLIBC_2.3.4.5"), None);
        assert_eq!(GlibcVersion::from_version_name(b"GLIBC_2.+3"), None);
        assert_eq!(GlibcVersion::from_version_name(b"GCC_3.0"), None);
        assert!(v(2, 2, 5) < v(2, 3, 0) && v(2, 3, 0) < v(2, 34, 0));
        assert_eq!(v(2, 2, 5).to_string(), "2.2.5");
        assert_eq!(serde_json::to_string(&v(2, 34, 0)).unwrap(), "\"2.34\"");
    }

    /// A verneed table for libc (two versions, one weak) and libgcc,
    /// plus a verdef; built as sections or reachable only via DT_*.
    pub(crate) fn versioned(is_64: bool, big: bool, with_sections: bool) -> Vec<u8> {
        let mut b = Builder::new(is_64, big, 62, 3);
        let e = b.enc;
        let mut s = Strtab::new();
        let libc = s.add("libc.so.6");
        let gcc = s.add("libgcc_s.so.1");
        let g225 = s.add("GLIBC_2.2.5");
        let g234 = s.add("GLIBC_2.34");
        let g236 = s.add("GLIBC_2.36");
        let gcc3 = s.add("GCC_3.0");
        let priv_ = s.add("GLIBC_PRIVATE");
        let me = s.add("libme.so");
        let v1 = s.add("ME_1.0");
        let sym_names = [s.add("malloc"), s.add("memcpy"), s.add("me_func")];
        let str_off = b.blob(&s.bytes, 1);

        let mut need = Vec::new();
        need.extend(e.verneed(4, libc, 16, 80));
        need.extend(e.vernaux(0, 0, 2, g225, 16));
        need.extend(e.vernaux(0, 0, 3, g234, 16));
        need.extend(e.vernaux(0, 2, 4, g236, 16));
        need.extend(e.vernaux(0, 0, 5, priv_, 0));
        need.extend(e.verneed(1, gcc, 16, 0));
        need.extend(e.vernaux(0, 0, 6, gcc3, 0));
        let need_off = b.blob(&need, 4);

        let mut def = Vec::new();
        def.extend(e.verdef(1, 1, 1, 20, 28));
        def.extend(e.verdaux(me, 0));
        def.extend(e.verdef(0, 7, 1, 20, 0));
        def.extend(e.verdaux(v1, 0));
        let def_off = b.blob(&def, 4);

        // dynsym: null + 3 symbols; versym parallel.
        let mut syms = Vec::new();
        syms.extend(e.sym(0, 0, 0, 0, 0, 0));
        for (name, bind, shndx) in [
            (sym_names[0], 1u8, 0u16),
            (sym_names[1], 2, 0),
            (sym_names[2], 1, 5),
        ] {
            syms.extend(e.sym(name, 0x1000, 8, (bind << 4) | 2, 0, shndx));
        }
        let sym_off = b.blob(&syms, 8);
        let mut versym = Vec::new();
        for x in [0u16, 2, 0x8003, 7] {
            e.u16(&mut versym, x);
        }
        let versym_off = b.blob(&versym, 2);
        // DT_HASH: nbucket=1, nchain=4, bucket, chains.
        let mut hash = Vec::new();
        for x in [1u32, 4, 0, 0, 0, 0, 0] {
            e.u32(&mut hash, x);
        }
        let hash_off = b.blob(&hash, 4);

        let dynamic = e.dynamic(&[
            (5, BASE + str_off),
            (10, s.bytes.len() as u64),
            (6, BASE + sym_off),
            (4, BASE + hash_off),
            (0x6fff_fffe, BASE + need_off),
            (0x6fff_ffff, 2),
            (0x6fff_fffc, BASE + def_off),
            (0x6fff_fffd, 2),
            (0x6fff_fff0, BASE + versym_off),
        ]);
        let dyn_off = b.blob(&dynamic, 8);
        b.segment(2, 6, dyn_off, dynamic.len() as u64, 8);
        if with_sections {
            let dynstr = b.section_at(".dynstr", 3, 2, str_off, s.bytes.len() as u64, 0, 0, 1, 0);
            let entsize = if is_64 { 24 } else { 16 };
            b.section_at(
                ".dynsym",
                11,
                2,
                sym_off,
                syms.len() as u64,
                dynstr,
                1,
                8,
                entsize,
            );
            b.section_at(".gnu.version", SHT_GNU_VERSYM, 2, versym_off, 8, 2, 0, 2, 2);
            b.section_at(
                ".gnu.version_r",
                SHT_GNU_VERNEED,
                2,
                need_off,
                need.len() as u64,
                dynstr,
                2,
                4,
                0,
            );
            b.section_at(
                ".gnu.version_d",
                SHT_GNU_VERDEF,
                2,
                def_off,
                def.len() as u64,
                dynstr,
                2,
                4,
                0,
            );
        }
        b.build()
    }

    #[test]
    fn sections_and_dynamic_agree() {
        for (is_64, big) in [(true, false), (true, true), (false, false), (false, true)] {
            for with_sections in [true, false] {
                let bytes = versioned(is_64, big, with_sections);
                let view = open(&bytes[..]).unwrap();
                assert_eq!(view.sections().is_empty(), !with_sections);
                let vs = view.versions().unwrap().expect("versions");
                assert!(vs.warnings.is_empty(), "{:?}", vs.warnings);
                assert!(vs.errors.is_empty(), "{:?}", vs.errors);
                let needed = vs.needed_versions();
                assert_eq!(needed.len(), 2);
                assert_eq!(needed[0].file, b"libc.so.6");
                let names: Vec<&[u8]> = needed[0].versions.iter().map(|v| v.name).collect();
                assert_eq!(
                    names,
                    vec![
                        &b"GLIBC_2.2.5"[..],
                        b"GLIBC_2.34",
                        b"GLIBC_2.36",
                        b"GLIBC_PRIVATE"
                    ]
                );
                assert!(needed[0].versions[2].is_weak());
                assert_eq!(needed[1].file, b"libgcc_s.so.1");
                assert_eq!(vs.max_glibc(), Some(v(2, 34, 0)));
                assert_eq!(vs.max_glibc_weak(), Some(v(2, 36, 0)));
                assert_eq!(vs.definitions.len(), 2);
                assert_eq!(vs.definitions[1].name, b"ME_1.0");
                assert_eq!(vs.versym_count(), 4);
                assert_eq!(vs.versym(2), Some(0x8003));
                let r = vs.resolve(0x8003).unwrap();
                assert_eq!(
                    (r.name, r.file, r.defined_here),
                    (&b"GLIBC_2.34"[..], Some(&b"libc.so.6"[..]), false)
                );
                assert!(vs.resolve(7).unwrap().defined_here);
                assert_eq!(vs.resolve(1), None);
                assert_eq!(vs.resolve(99), None);
            }
        }
    }

    /// A file whose only version table is `need`, as `.gnu.version_r` with
    /// `sh_info` `count`, its names (`strings`) in a `.dynstr`.
    fn verneed_only(mut b: Builder, strings: &[u8], need: &[u8], count: u32) -> Vec<u8> {
        let str_off = b.blob(strings, 1);
        let need_off = b.blob(need, 4);
        let str_len = strings.len() as u64;
        let dynstr = b.section_at(".dynstr", 3, 2, str_off, str_len, 0, 0, 1, 0);
        let size = need.len() as u64;
        b.section_at(
            ".gnu.version_r",
            SHT_GNU_VERNEED,
            2,
            need_off,
            size,
            dynstr,
            count,
            4,
            0,
        );
        b.build()
    }

    /// Versions of a file needing GLIBC_2.17 from libc.so.6, with the
    /// entry's `vn_cnt` and the table's entry count as given.
    fn one_glibc_need(vn_cnt: u16, count: u32) -> Versions<'static> {
        let b = Builder::new(true, false, 62, 3);
        let e = b.enc;
        let mut s = Strtab::new();
        let libc = s.add("libc.so.6");
        let g = s.add("GLIBC_2.17");
        let mut need = Vec::new();
        need.extend(e.verneed(vn_cnt, libc, 16, 0));
        need.extend(e.vernaux(0, 0, 2, g, 0));
        let bytes: &'static [u8] = Vec::leak(verneed_only(b, &s.bytes, &need, count));
        open(bytes).unwrap().versions().unwrap().unwrap()
    }

    /// vn_next 0 ends the chain even when the count says more; vna_next 0
    /// ends the aux chain even when vn_cnt says 65535. Both warn, neither loops.
    #[test]
    fn lying_counts_and_self_links() {
        let vs = one_glibc_need(65535, 1000);
        assert_eq!(vs.requirements.len(), 1);
        assert_eq!(vs.requirements[0].versions.len(), 1);
        assert_eq!(vs.max_glibc(), Some(v(2, 17, 0)));
        // Counts no 32-byte table can hold: the header lies, an error.
        assert!(vs.warnings.is_empty(), "{:?}", vs.warnings);
        let text: Vec<String> = vs.errors.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            text,
            [
                "verneed entry 0 vn_cnt at 0x418: count says 65535 entries of 16 bytes, \
                 more than the 32-byte table holds (the chain has 1)",
                "verneed count (sh_info/DT_VERNEEDNUM) at 0x418: count says 1000 entries \
                 of 16 bytes, more than the 32-byte table holds (the chain has 1)"
            ]
        );
    }

    /// Counts that disagree with a sound chain but that the table could
    /// hold: the loader never reads them, so they are warnings.
    #[test]
    fn counts_that_fit_but_disagree_are_warnings() {
        let vs = one_glibc_need(2, 2);
        assert_eq!(vs.max_glibc(), Some(v(2, 17, 0)));
        assert!(vs.errors.is_empty(), "{:?}", vs.errors);
        let text: Vec<String> = vs.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            text,
            [
                "verneed entry 0 vn_cnt at 0x418: count says 2 entries, the chain has 1",
                "verneed count (sh_info/DT_VERNEEDNUM) at 0x418: count says 2 entries, \
                 the chain has 1"
            ]
        );
    }

    /// vn_next that runs past the table, a name offset past the strings,
    /// and an aux offset past the table: errors, entries before kept.
    #[test]
    fn broken_chains() {
        let b = Builder::new(false, true, 3, 3);
        let e = b.enc;
        let mut s = Strtab::new();
        let libc = s.add("libc.so.6");
        let g = s.add("GLIBC_2.0");
        let mut need = Vec::new();
        need.extend(e.verneed(1, libc, 16, 32));
        need.extend(e.vernaux(0, 0, 2, g, 0));
        need.extend(e.verneed(1, 9999, 0x7fff_ffff, 0x100));
        let bytes = verneed_only(b, &s.bytes, &need, 2);
        let vs = open(&bytes[..]).unwrap().versions().unwrap().unwrap();
        assert_eq!(vs.requirements.len(), 2);
        assert_eq!(vs.requirements[1].file, b"");
        assert_eq!(vs.max_glibc(), Some(v(2, 0, 0)));
        let text: Vec<String> = vs.errors.iter().map(|w| w.to_string()).collect();
        assert!(
            text[0].starts_with("verneed entry 1 vn_file at"),
            "{text:?}"
        );
        assert!(
            text[1].contains("vernaux 0 at") && text[1].contains("past the end"),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with("verneed entry 2 at")),
            "{text:?}"
        );
    }

    /// Every verneed entry points at the same long vernaux chain: the walk
    /// stops at its budget instead of visiting entries² times.
    #[test]
    fn shared_chains_are_bounded() {
        let b = Builder::new(true, false, 62, 3);
        let e = b.enc;
        let mut s = Strtab::new();
        let libc = s.add("libc.so.6");
        let g = s.add("GLIBC_2.17");
        let n = 2000u32;
        let mut need = Vec::new();
        for i in 0..n {
            // Entry i is at 16*i; its aux chain starts at 16*n.
            need.extend(e.verneed(1, libc, 16 * (n - i), if i + 1 < n { 16 } else { 0 }));
        }
        for i in 0..n {
            need.extend(e.vernaux(0, 0, 2, g, if i + 1 < n { 16 } else { 0 }));
        }
        let bytes = verneed_only(b, &s.bytes, &need, n);
        let vs = open(&bytes[..]).unwrap().versions().unwrap().unwrap();
        let visited: usize = vs.requirements.len()
            + vs.requirements
                .iter()
                .map(|r| r.versions.len())
                .sum::<usize>();
        assert!(visited <= 4 * n as usize + 2, "{visited}");
        assert!(
            vs.errors
                .iter()
                .any(|w| w.to_string().contains("walk stopped after"))
        );
    }

    #[test]
    fn none_without_tables() {
        let bytes = Builder::new(true, false, 62, 2).build();
        assert!(open(&bytes[..]).unwrap().versions().unwrap().is_none());
    }
}
