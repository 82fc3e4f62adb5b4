//! Go facts: build info first, then the fallbacks in order of trust
//! (`runtime.buildVersion`, DWARF producer, gccgo module info, pclntab magic,
//! a version string in read-only data), then what the settings imply.
//!
//! The fallbacks run only when something already says "Go" (a pclntab, a Go
//! build-id note, gccgo's export data), so a C library costs nothing here.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::ControlFlow;

use gimli::SectionId;
use object::read::ReadRef;

use super::{Options, text};
use crate::elf::{
    self, DecompressBudget, ElfView, Notes, SectionSource, SymbolIndex as ElfSymbols,
};
use crate::facts::{
    GoFacts, Report, Setting, SymbolHit, SymbolQuery, SymbolRef, SymbolSearch, SymbolTable,
    VersionSource, from_elf,
};
use crate::go::pclnstream::{self, NameOffsets};
use crate::go::{
    AddressSpace, Positional, buildinfo, dwarf, modinfo, pclntab, scan, version, window,
};
use crate::pick;

/// Go ≥ 1.24 scans for the build-info magic in chunks of this size; the
/// 16-byte-aligned, 32-byte header cannot straddle two chunks that start at
/// aligned offsets, so reading the blob again from the magic is enough.
const SEARCH_CHUNK: u64 = 1 << 20;

/// The blob after the magic: version and module info. Real module info is
/// tens of KiB at most; 16 MiB bounds what a lying length can make us read.
const MAX_BLOB: u64 = 16 << 20;

/// Read-only data is scanned in windows of this many bytes through one
/// buffer (`.rodata` of a large Go binary is tens of MiB).
const SCAN_STEP: usize = 256 << 10;

/// Read-only segments searched for a pclntab when section headers are gone.
const MAX_PCLNTAB_SEGMENTS: usize = 8;

/// Units of DWARF examined for a producer: the first Go unit is enough,
/// and external links put C units before it.
const MAX_DWARF_UNITS: usize = 64;

/// Decompressed DWARF the producer search may hold for one file: each of
/// the five sections it reads (`.debug_info`, `.debug_abbrev`, `.debug_str`,
/// `.debug_line_str`, `.debug_str_offsets`) up to 64 MiB, 256 MiB in all.
/// The largest Go binaries' `.debug_info` is tens of MiB; without a sum, a
/// 1 MB file of small zstd frames that each claim 256 MiB costs gigabytes,
/// and `check` reads files in parallel.
const MAX_DWARF_SECTION: u64 = 64 << 20;
const MAX_DWARF_TOTAL: u64 = 256 << 20;

/// Settings that name the per-architecture level, as `cfg.GetArchEnv`.
const ARCH_LEVEL_KEYS: [&str; 9] = [
    "GOAMD64",
    "GOARM",
    "GOARM64",
    "GO386",
    "GOMIPS",
    "GOMIPS64",
    "GOPPC64",
    "GORISCV64",
    "GOWASM",
];

/// Names whose presence means runtime/cgo was linked (reference §7):
/// `crosscall2` is runtime/cgo assembly, so the pclntab names it too;
/// `x_cgo_init` is its C part, in symtab only.
const CGO_SYMBOLS: [&[u8]; 2] = [b"crosscall2", b"x_cgo_init"];

/// Prefixes whose presence means BoringCrypto was linked (reference §7).
const BORING_PREFIXES: [&[u8]; 2] = [
    b"crypto/internal/boring/sig.BoringCrypto",
    b"_goboringcrypto_",
];

/// Where the pclntab is in the file (offset, length), wherever the linker
/// put it (reference §6). Without section headers the read-only segments
/// are searched for a valid header, so such binaries keep their names.
pub fn pclntab_region<'d, R: ReadRef<'d>>(view: &ElfView<'d, R>) -> Option<(u64, u64)> {
    for name in [&b".gopclntab"[..], b".data.rel.ro.gopclntab"] {
        if let Some(s) = view.section_by_name(name) {
            return s.file_range();
        }
    }
    if !view.sections().is_empty() {
        return None;
    }
    let loads = view
        .segments()
        .iter()
        .filter(|s| s.p_type == object::elf::PT_LOAD.0 && s.p_flags & object::elf::PF_W.0 == 0);
    // Read-only data first, then text (older layouts kept rodata there).
    let (ro, rx): (Vec<&elf::Segment>, Vec<&elf::Segment>) =
        loads.partition(|s| s.p_flags & object::elf::PF_X.0 == 0);
    // Real files have two or three such segments. A hostile one may have
    // thousands that each span the file, and every read stays cached: both
    // the number searched and the bytes read are bounded.
    let mut budget = view.data().len().unwrap_or(0);
    for seg in ro.into_iter().chain(rx).take(MAX_PCLNTAB_SEGMENTS) {
        if seg.p_filesz > budget {
            break;
        }
        budget -= seg.p_filesz;
        let Ok(bytes) = view.data().read_bytes_at(seg.p_offset, seg.p_filesz) else {
            continue;
        };
        if let Some((at, _)) = pclntab::find(bytes) {
            let at = at as u64;
            return Some((seg.p_offset + at, seg.p_filesz - at));
        }
    }
    None
}

struct Ctx<'a, 'd, R: ReadRef<'d> + Positional> {
    view: &'a ElfView<'d, R>,
    symbols: OnceCell<Option<ElfSymbols>>,
    /// The pclntab's file range and what its header says.
    pcln_region: Option<((u64, u64), pclntab::Peek)>,
    /// Where a Go 1.16+ table keeps its names, for searches that stream
    /// them instead of reading the whole table.
    names: Option<pclntab::NameLayout>,
    /// Every function's name offset, read once when names are searched.
    name_offsets: OnceCell<Option<NameOffsets>>,
    /// The whole table, read only when names cannot be streamed (Go 1.2
    /// layout, records out of order): it is often the largest part of a
    /// Go binary.
    pcln: OnceCell<Option<pclntab::PclnTab<'d>>>,
    /// Damage met by the lazy reads above, for the report's `errors`: a
    /// table that fails when names are read must not read as "no such
    /// name".
    errors: RefCell<Vec<String>>,
    warnings: RefCell<Vec<String>>,
    /// The pclntab turned out damaged: its names cannot rule anything out.
    pcln_failed: Cell<bool>,
}

impl<'d, R: ReadRef<'d> + Positional> Ctx<'_, 'd, R> {
    /// Records damage once: lazy reads of one table (the cgo evidence,
    /// then the symbol rules) may meet the same damage again.
    fn error(&self, e: String) {
        let mut errors = self.errors.borrow_mut();
        if !errors.contains(&e) {
            errors.push(e);
        }
    }

    /// An error of the pclntab, located by its file offset.
    fn pcln_error(&self, e: &pclntab::PclnError) {
        self.pcln_failed.set(true);
        let off = self.pcln_region.map_or(0, |((off, _), _)| off);
        self.error(format!(".gopclntab at {off:#x}: {e}"));
    }

    fn pcln(&self) -> Option<&pclntab::PclnTab<'d>> {
        self.pcln
            .get_or_init(|| {
                let ((off, len), _) = self.pcln_region?;
                let Ok(bytes) = self.view.data().read_bytes_at(off, len) else {
                    self.error(format!(
                        ".gopclntab at {off:#x}: {len} bytes past the end of the file"
                    ));
                    return None;
                };
                pclntab::parse_header(bytes)
                    .map_err(|e| self.pcln_error(&e))
                    .ok()
            })
            .as_ref()
    }

    /// Calls `f` with every function name of the pclntab that lies in a
    /// string `pick` keeps from a block of names, until `f` returns true
    /// (the return value). Go 1.16+ tables are streamed: the name table
    /// through `pick`, and, on another thread at the same time, every
    /// function's name offset. Other tables are read whole and every name
    /// is offered. A damaged table is an error in the report.
    fn pcln_names(&self, pick: crate::pick::Pick<'_>, f: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        if let (Some(layout), Some(((off, _), _))) = (self.names, self.pcln_region) {
            let data = self.view.data();
            let src = data.positional();
            let found = match self.name_offsets.get() {
                // Damage, already reported.
                Some(None) => return false,
                // Records out of order: read the whole table below.
                Some(Some(NameOffsets::Unordered)) => None,
                Some(Some(NameOffsets::Sorted(_))) => {
                    Some(pclnstream::candidates(src, off, &layout, pick))
                }
                None => {
                    let mut offsets = None;
                    let found = rayon::in_place_scope(|s| {
                        s.spawn(|_| offsets = Some(pclnstream::name_offsets(src, off, &layout)));
                        pclnstream::candidates(src, off, &layout, pick)
                    });
                    let offsets = offsets.and_then(|o| o.map_err(|e| self.pcln_error(&e)).ok());
                    let _ = self.name_offsets.set(offsets);
                    Some(found)
                }
            };
            match (self.name_offsets.get(), found) {
                (Some(Some(NameOffsets::Sorted(offsets))), Some(found)) => {
                    let found = match found {
                        Ok(found) => found,
                        Err(e) => {
                            self.pcln_error(&e);
                            return false;
                        }
                    };
                    return self.each_function(&found, offsets, &layout, f);
                }
                (Some(Some(NameOffsets::Unordered)), _) => {}
                _ => return false,
            }
        }
        let Some(p) = self.pcln() else { return false };
        for name in p.funcs() {
            match name {
                Ok(n) => {
                    if f(n) {
                        return true;
                    }
                }
                Err(e) => {
                    self.pcln_error(&e);
                    return false;
                }
            }
        }
        false
    }

    /// Decides the patterns not yet found elsewhere from the picked names
    /// of the pclntab at `off`, reading as few function records as that
    /// takes. A pattern is found when one of its names is a function's
    /// name: one the stream found (`known`, per pattern), else a few are
    /// looked up ([`pclnstream::FuncLookup`]), then records
    /// are read in order until every pattern has one. It is absent when no
    /// picked string, nor any tail of one, matches it: every function is
    /// named by a string of the table or a tail of one. `None` when that
    /// takes every record (a pattern whose names were all only inlined, or
    /// whose tails match); the caller then offers every function.
    fn decide<'c>(
        &self,
        query: &dyn SymbolQuery,
        found: &'c pclnstream::Candidates,
        known: &[Option<u32>],
        hits: &[SymbolHit],
        layout: &pclntab::NameLayout,
        off: u64,
    ) -> Option<Decided<'c>> {
        if layout.nfunc > 0 && layout.names.1 <= layout.names.0 {
            return None;
        }
        let open: Vec<bool> = hits.iter().map(|h| h.count == 0).collect();
        let mut names: Vec<Vec<(u32, &[u8])>> = vec![Vec::new(); hits.len()];
        let mut ids = Vec::new();
        for (at, s) in found.strings() {
            ids.clear();
            query.matching(&SymbolRef::pclntab_function(s), &mut ids);
            for &i in &ids {
                if open.get(i) == Some(&true)
                    && let Some(n) = names.get_mut(i)
                {
                    n.push((u32::try_from(at).ok()?, s));
                }
            }
        }
        // Absent patterns, unless a function may be named by a tail.
        let mut tail_bytes = 0u64;
        for (i, n) in names.iter().enumerate() {
            if open.get(i) == Some(&true) && n.is_empty() {
                for (_, s) in found.strings() {
                    tail_bytes = tail_bytes.saturating_add(s.len() as u64 + 1);
                    if tail_bytes > TAIL_BYTES
                        || query.tail_matches(&SymbolRef::pclntab_function(s), i)
                    {
                        return None;
                    }
                }
            }
        }
        let data = self.view.data();
        let src = data.positional();
        let mut lookup = pclnstream::FuncLookup::new(src, off, layout, LOOKUP_WINDOWS);
        let mut functions: HashMap<u32, &[u8]> = HashMap::new();
        // Name offsets looked up: whether a function was found there.
        let mut looked: HashMap<u32, bool> = known.iter().flatten().map(|&at| (at, true)).collect();
        let mut waiting: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            if let Some(&(at, s)) = n.iter().find(|(at, _)| looked.get(at) == Some(&true)) {
                functions.insert(at, s);
                continue;
            }
            let (mut yes, mut tries) = (0, 0);
            for &(at, s) in n {
                if yes == CONFIRM || tries == TRIES {
                    break;
                }
                match looked.entry(at) {
                    Entry::Occupied(e) => yes += usize::from(*e.get()),
                    Entry::Vacant(e) => {
                        tries += 1;
                        if *e.insert(lookup.names_function(at)) {
                            functions.insert(at, s);
                            yes += 1;
                        }
                    }
                }
            }
            if yes == 0 {
                for &(at, _) in n {
                    waiting.entry(at).or_default().push(i);
                }
            }
        }
        // Patterns none of whose lookups found a function: read records in
        // order until each has one.
        let mut undecided: Vec<usize> = waiting.values().flatten().copied().collect();
        undecided.sort_unstable();
        undecided.dedup();
        if !undecided.is_empty() {
            let by_off: HashMap<u32, &[u8]> = names.iter().flatten().copied().collect();
            let mut left = undecided.len();
            let mut done = vec![false; hits.len()];
            let walk = pclnstream::name_offsets_until(src, off, layout, &mut |name_off| {
                if let Some(ids) = waiting.get(&name_off) {
                    if let Some(&s) = by_off.get(&name_off) {
                        functions.insert(name_off, s);
                    }
                    for &i in ids {
                        if let Some(d) = done.get_mut(i)
                            && !*d
                        {
                            *d = true;
                            left -= 1;
                        }
                    }
                }
                left == 0
            });
            match walk {
                Ok(pclnstream::Walk::Stopped) => {}
                // Every record was read: keep them for the caller's full search.
                Ok(pclnstream::Walk::Read(all)) => {
                    let _ = self.name_offsets.set(Some(all));
                    return None;
                }
                Err(e) => {
                    self.pcln_error(&e);
                    let _ = self.name_offsets.set(None);
                    return None;
                }
            }
        }
        let more_names = names
            .iter()
            .enumerate()
            .filter(|(i, _)| open.get(*i) == Some(&true))
            .map(|(i, n)| {
                let confirmed = n
                    .iter()
                    .filter(|(at, _)| functions.contains_key(at))
                    .count();
                (i, (n.len() - confirmed) as u64)
            })
            .collect();
        // In table order, so that examples are too.
        let mut functions: Vec<(u32, &[u8])> = functions.into_iter().collect();
        functions.sort_unstable_by_key(|&(at, _)| at);
        Some(Decided {
            functions: functions.into_iter().map(|(_, s)| s).collect(),
            more_names,
        })
    }

    /// Calls `f` with each function named among `found` until it returns
    /// true (the result); damage (names overlapping past the budget) is an
    /// error of the table.
    fn each_function(
        &self,
        found: &pclnstream::Candidates,
        offsets: &[u32],
        layout: &pclntab::NameLayout,
        f: &mut dyn FnMut(&[u8]) -> bool,
    ) -> bool {
        // As many name bytes as `PclnTab::funcs` allows: four times the
        // table; real tables stay far below.
        let budget = layout.table_len.saturating_mul(4).saturating_add(1 << 20);
        found
            .try_each_function(offsets, budget, f)
            .unwrap_or_else(|pick::OverBudget| {
                self.pcln_error(&pclntab::PclnError::NameOverlapBudget { budget });
                false
            })
    }

    /// The ELF symbol index, built at most once and only when a fact needs
    /// it; what it could not read goes to the report.
    fn symbols(&self) -> Option<&ElfSymbols> {
        self.symbols
            .get_or_init(|| match self.view.symbol_index() {
                Ok(index) => {
                    let mut errors = self.errors.borrow_mut();
                    errors.extend(index.errors().iter().map(ToString::to_string));
                    let mut warnings = self.warnings.borrow_mut();
                    warnings.extend(index.warnings().iter().map(ToString::to_string));
                    Some(index)
                }
                Err(e) => {
                    self.error(e.to_string());
                    None
                }
            })
            .as_ref()
    }

    /// Whether any symbol table or the pclntab could be searched at all.
    fn searchable(&self) -> bool {
        self.pcln_region.is_some() || self.symbols().is_some_and(|s| !s.is_empty())
    }

    /// Whether a function or symbol has one of `names`. A Go binary's
    /// pclntab names every Go and assembly function, so when it is present
    /// it decides alone and the (larger) symbol tables are not read for
    /// this. One pass over the table for all the names.
    fn has_symbol(&self, names: &[&[u8]]) -> bool {
        if self.pcln_region.is_some() {
            return self.pcln_names(
                &|block, out| pick::strings_holding_any(names, block, out),
                &mut |n| names.contains(&n),
            );
        }
        self.symbols()
            .is_some_and(|s| names.iter().any(|n| s.lookup(n).next().is_some()))
    }

    /// Whether a function or symbol starts with one of `prefixes`.
    fn has_prefix(&self, prefixes: &[&[u8]]) -> bool {
        if self.pcln_region.is_some() {
            return self.pcln_names(
                &|block, out| pick::strings_holding_any(prefixes, block, out),
                &mut |n| prefixes.iter().any(|p| n.starts_with(p)),
            );
        }
        self.symbols()
            .is_some_and(|s| prefixes.iter().any(|p| s.with_prefix(p).next().is_some()))
    }

    /// Where the name table of a Go 1.16+ pclntab can be streamed from:
    /// not when a read so far found its records out of order (the whole
    /// table is read instead) or damaged.
    fn stream_target(&self) -> Option<(&pclntab::NameLayout, u64)> {
        let streamable = !matches!(
            self.name_offsets.get(),
            Some(Some(NameOffsets::Unordered) | None)
        );
        match (self.names.as_ref(), self.pcln_region, streamable) {
            (Some(layout), Some(((off, _), _)), true) => Some((layout, off)),
            _ => None,
        }
    }

    /// Answers a symbol query from the pclntab, once the symbol tables
    /// gave `hits` and `present`: from the name table streamed (`names`,
    /// from `stream`) when it still can be, else by reading the table.
    fn search_pcln(
        &self,
        query: &dyn SymbolQuery,
        (mut hits, mut present): (Vec<SymbolHit>, Vec<SymbolTable>),
        stream: Option<(&pclntab::NameLayout, u64)>,
        names: Option<Streamed>,
    ) -> SymbolSearch {
        // A read of the facts may have found the records out of order or
        // damaged since the stream started: then its result is not used.
        let (stream, names) = match self.stream_target() {
            Some(_) => (stream, names),
            None => (None, None),
        };
        // Once every pattern is found in a symbol table, the pclntab
        // cannot change a verdict; damage met in its name table is still
        // reported.
        if self.pcln_region.is_some() && hits.iter().all(|h| h.count > 0) {
            if let Some(Streamed { names: Err(e), .. }) = &names {
                self.pcln_error(e);
            }
            return SymbolSearch { hits, present };
        }
        if self.pcln_region.is_some() {
            match (stream, names) {
                (Some((layout, off)), Some(streamed)) => {
                    self.search_pcln_names(query, &mut hits, layout, off, streamed);
                }
                _ => {
                    let pick =
                        |block: &[u8], out: &mut Vec<(usize, usize)>| query.candidates(block, out);
                    self.pcln_names(&pick, &mut |name| {
                        query.offer(&SymbolRef::pclntab_function(name), &mut hits);
                        false
                    });
                }
            }
            // A damaged table is not searched, so "no match" there would
            // mean nothing: the rule is unknown unless another table decides.
            if !self.pcln_failed.get() {
                present.push(SymbolTable::Pclntab);
            }
        }
        SymbolSearch { hits, present }
    }

    /// Offers `.dynsym` and `.symtab` symbols to `query`, from the symbol
    /// index when a fact already built it; otherwise `.dynsym` is indexed
    /// alone (it has versions to resolve) and `.symtab`, often the larger,
    /// is streamed through the query.
    fn search_symbol_tables(
        &self,
        query: &dyn SymbolQuery,
        hits: &mut [SymbolHit],
        present: &mut Vec<SymbolTable>,
    ) {
        let mut offer_all = |index: &ElfSymbols, hits: &mut [SymbolHit]| {
            let counts = index.counts();
            if counts.symtab.is_some() {
                present.push(SymbolTable::Symtab);
            }
            if counts.dynsym.is_some() {
                present.push(SymbolTable::Dynsym);
            }
            for sym in index.iter() {
                query.offer(&from_elf(sym), hits);
            }
        };
        if let Some(Some(index)) = self.symbols.get() {
            offer_all(index, hits);
            return;
        }
        match self.view.dynsym_index() {
            Ok(index) => {
                index
                    .errors()
                    .iter()
                    .for_each(|e| self.error(e.to_string()));
                self.warnings
                    .borrow_mut()
                    .extend(index.warnings().iter().map(ToString::to_string));
                offer_all(&index, hits);
            }
            Err(e) => self.error(e.to_string()),
        }
        let errors = self
            .view
            .search_symtab(&|block, out| query.candidates(block, out), &mut |sym| {
                query.offer(&from_elf(sym), hits)
            });
        errors.iter().for_each(|e| self.error(e.to_string()));
    }

    /// Offers the functions of a Go 1.16+ pclntab at `off` whose names
    /// the query picked (`found`) to `query`: decided from those names and
    /// a few function records when that can be done ([`Ctx::decide`]),
    /// otherwise by reading every function record.
    fn search_pcln_names(
        &self,
        query: &dyn SymbolQuery,
        hits: &mut [SymbolHit],
        layout: &pclntab::NameLayout,
        off: u64,
        streamed: Streamed,
    ) {
        let found = match streamed.names {
            Ok(found) => found,
            Err(e) => return self.pcln_error(&e),
        };
        let data = self.view.data();
        let src = data.positional();
        if let Some(d) = self.decide(query, &found, &streamed.functions, hits, layout, off) {
            for name in d.functions {
                query.offer(&SymbolRef::pclntab_function(name), hits);
            }
            for (i, n) in d.more_names {
                if let Some(h) = hits.get_mut(i) {
                    h.more_names = h.more_names.saturating_add(n);
                }
            }
            return;
        }
        let offsets = self.name_offsets.get_or_init(|| {
            pclnstream::name_offsets(src, off, layout)
                .map_err(|e| self.pcln_error(&e))
                .ok()
        });
        let mut offer = |name: &[u8]| {
            query.offer(&SymbolRef::pclntab_function(name), hits);
            false
        };
        match offsets {
            Some(NameOffsets::Sorted(offsets)) => {
                self.each_function(&found, offsets, layout, &mut offer);
            }
            Some(NameOffsets::Unordered) => {
                let pick =
                    |block: &[u8], out: &mut Vec<(usize, usize)>| query.candidates(block, out);
                self.pcln_names(&pick, &mut offer);
            }
            None => {}
        }
    }
}

/// Windows of function records read in all by the lookups of one file
/// (two reads each) before the records are read in order instead.
const LOOKUP_WINDOWS: u32 = 256;
/// Lookups made while the name table streams (see [`stream_names`]), in
/// all and per name: a name that is only an inlined callee costs this much.
const EARLY_LOOKUPS: u32 = 64;
const EARLY_WINDOWS: u32 = 8;
/// Names of one pattern looked up after each round of the stream.
const ROUND_TRIES: usize = 4;

/// Which patterns are found, shared by the stream of the name table and
/// the thread that reads the symbol tables; stops the stream once every
/// pattern is found. Patterns are only ever found here, never decided
/// absent, so a stopped stream changes no verdict.
struct EarlyStop {
    found: Vec<std::sync::atomic::AtomicBool>,
    left: std::sync::atomic::AtomicUsize,
    stop: pclnstream::Stop,
}

impl EarlyStop {
    fn new(patterns: usize) -> Self {
        use std::sync::atomic::{AtomicBool, AtomicUsize};
        EarlyStop {
            found: (0..patterns).map(|_| AtomicBool::new(false)).collect(),
            left: AtomicUsize::new(patterns),
            stop: pclnstream::Stop::default(),
        }
    }

    /// Marks pattern `i` found; stops the stream when it was the last.
    fn found(&self, i: usize) {
        use std::sync::atomic::Ordering;
        if let Some(f) = self.found.get(i)
            && !f.swap(true, Ordering::AcqRel)
            && self.left.fetch_sub(1, Ordering::AcqRel) == 1
        {
            self.stop.set();
        }
    }

    /// The patterns a symbol table matched.
    fn found_elsewhere(&self, hits: &[SymbolHit]) {
        for (i, h) in hits.iter().enumerate() {
            if h.count > 0 {
                self.found(i);
            }
        }
    }
}

/// The name table as streamed for a query, and per pattern the name
/// offset of a function the stream found for it.
struct Streamed {
    names: Result<pclnstream::Candidates, pclntab::PclnError>,
    functions: Vec<Option<u32>>,
}

/// Streams the name table of the pclntab at `off` through `query`, in the
/// rounds of [`pclnstream::rounds`] (the first 64th, the last, then
/// the middle in growing rounds).
/// After each round, a few names it picked for each pattern not found yet
/// are looked up as functions; a pattern found leaves the search, so later
/// rounds look only for the rest. Typically that is the forbidden patterns
/// that match nothing, whose literals alone are then searched for: on a
/// 74 MB table, one literal's search took a third of the time of the eight
/// literals of the ten `make bench` rules. Once every
/// pattern is found, here or in a symbol table (`early`), the rest of the
/// table is not read. Rounds end at fixed places and lookups go in a fixed
/// order, so which names are counted does not depend on threads' timing,
/// except when a symbol table's match stops the stream.
fn stream_names(
    query: &dyn SymbolQuery,
    src: &(dyn crate::go::ReadAt + Sync + '_),
    layout: &pclntab::NameLayout,
    off: u64,
    early: &EarlyStop,
) -> Streamed {
    let mut functions: Vec<Option<u32>> = vec![None; query.len()];
    // Each round's strings by where the round starts: the rounds are not
    // read in table order, and the strings are given back in it.
    let mut read: Vec<(u64, pclnstream::Candidates)> = Vec::new();
    let mut narrow: Option<crate::facts::Narrowed<'_>> = None;
    let mut lookups = EARLY_LOOKUPS;
    // Name offsets looked up already.
    let mut looked = std::collections::HashSet::new();
    let mut ids = Vec::new();
    for range in pclnstream::rounds(layout) {
        let pick = |block: &[u8], out: &mut Vec<(usize, usize)>| match &narrow {
            Some(narrow) => narrow(block, out),
            None => query.candidates(block, out),
        };
        let round = pclnstream::candidates_until(src, off, layout, &pick, range, &early.stop);
        let round = match round {
            Ok(round) => round,
            Err(e) => {
                return Streamed {
                    names: Err(e),
                    functions,
                };
            }
        };
        let stopped = early.stop.is_set();
        let mut found_here = false;
        if !stopped && lookups > 0 && functions.iter().any(Option::is_none) {
            // How many of the round's strings each open pattern matches,
            // then which to try: up to `ROUND_TRIES` per pattern, spread
            // over them (names only inlined come in runs, a package's small
            // helpers, and a run would take every try). Two passes, so
            // that memory stays per pattern however many strings match.
            let mut counts = vec![0usize; functions.len()];
            for (_, name) in round.strings() {
                ids.clear();
                query.matching(&SymbolRef::pclntab_function(name), &mut ids);
                for &i in ids.iter().filter(|&&i| functions.get(i) == Some(&None)) {
                    if let Some(c) = counts.get_mut(i) {
                        *c += 1;
                    }
                }
            }
            let mut seen = vec![0usize; functions.len()];
            let mut chosen: Vec<(usize, usize, u64, &[u8])> = Vec::new();
            for (at, name) in round.strings() {
                ids.clear();
                query.matching(&SymbolRef::pclntab_function(name), &mut ids);
                for &i in ids.iter().filter(|&&i| functions.get(i) == Some(&None)) {
                    let (Some(&count), Some(k)) = (counts.get(i), seen.get_mut(i)) else {
                        continue;
                    };
                    let tries = count.min(ROUND_TRIES);
                    if (0..tries).any(|t| t * count / tries == *k) {
                        chosen.push((i, *k, at, name));
                    }
                    *k += 1;
                }
            }
            chosen.sort_unstable_by_key(|&(i, k, _, _)| (i, k));
            for (i, _, at, name) in chosen {
                if functions.get(i) != Some(&None) {
                    continue;
                }
                if lookups == 0 {
                    break;
                }
                let Ok(at) = u32::try_from(at) else { continue };
                if !looked.insert(at) {
                    continue;
                }
                lookups -= 1;
                if pclnstream::FuncLookup::new(src, off, layout, EARLY_WINDOWS).names_function(at) {
                    ids.clear();
                    query.matching(&SymbolRef::pclntab_function(name), &mut ids);
                    for &j in &ids {
                        if let Some(f @ None) = functions.get_mut(j) {
                            *f = Some(at);
                            early.found(j);
                        }
                    }
                    found_here = true;
                }
            }
        }
        read.push((range.0, round));
        if early.stop.is_set() {
            // Stopped by these lookups, past the end check of the round.
            if !stopped && let Err(e) = pclnstream::check_end(src, off, layout) {
                return Streamed {
                    names: Err(e),
                    functions,
                };
            }
            break;
        }
        if found_here {
            let open: Vec<bool> = functions.iter().map(Option::is_none).collect();
            narrow = query.narrowed(&open);
        }
    }
    read.sort_unstable_by_key(|&(from, _)| from);
    let mut all = pclnstream::Candidates::default();
    read.into_iter().for_each(|(_, round)| all.append(round));
    Streamed {
        names: Ok(all),
        functions,
    }
}

/// Functions looked up per pattern: one decides it (the rest are counted
/// as matching names); and how many lookups may fail (names only inlined)
/// before the records are read in order.
const CONFIRM: usize = 1;
const TRIES: usize = 2;
/// Name bytes whose tails may be matched against undecided patterns.
const TAIL_BYTES: u64 = 4 << 20;

/// What [`Ctx::decide`] found: functions to offer, and per pattern how
/// many matching names were not looked up as functions.
struct Decided<'c> {
    functions: Vec<&'c [u8]>,
    more_names: Vec<(usize, u64)>,
}

/// Fills `r.go` (and `r.symbol_search` when asked).
pub fn collect<'d, R: ReadRef<'d> + Positional>(
    view: &ElfView<'d, R>,
    notes: &Notes<'d>,
    r: &mut Report,
    opts: &Options,
) {
    // The header is read alone and checked against the table's length, so
    // that lying offsets or counts are found without reading the table.
    let mut names = None;
    let pcln_region = pclntab_region(view).and_then(|(off, len)| {
        let file_len = view.data().len().ok();
        let head = view
            .data()
            .read_bytes_at(off, len.min(pclntab::MAX_HEADER_LEN as u64))
            .map_err(|()| format!(".gopclntab at {off:#x}: past the end of the file"))
            .and_then(|h| {
                let p = pclntab::check_header(h, len)
                    .map_err(|e| format!(".gopclntab at {off:#x}: {e}"))?;
                // `check_header` passed, so this does too.
                names = pclntab::name_layout(h, len).ok().flatten();
                Ok(p)
            })
            .and_then(|p| match (off.checked_add(len), file_len) {
                (Some(end), Some(file_len)) if end <= file_len => Ok(p),
                (_, None) => Ok(p),
                _ => Err(format!(
                    ".gopclntab at {off:#x}: {len} bytes run past the end of the file"
                )),
            });
        match head {
            Ok(p) => Some(((off, len), p)),
            Err(e) => {
                r.errors.push(e);
                None
            }
        }
    });
    let ctx = Ctx {
        view,
        symbols: OnceCell::new(),
        pcln_region,
        names,
        name_offsets: OnceCell::new(),
        pcln: OnceCell::new(),
        errors: RefCell::new(Vec::new()),
        warnings: RefCell::new(Vec::new()),
        pcln_failed: Cell::new(false),
    };
    // A symbol search streams the name table on other threads from here
    // on, while this one reads the facts and the symbol tables: the table
    // is tens of MiB in a large Go binary, and it must nearly always be
    // read whole (a forbidden pattern is absent only once every name has
    // been seen).
    let query = opts.symbols;
    let stream = query.and_then(|_| ctx.stream_target());
    let early = EarlyStop::new(query.map_or(0, |q| q.len()));
    let mut names = None;
    let data = view.data();
    if stream.is_some() {
        crate::pool::join_main();
    }
    let tables = rayon::in_place_scope(|s| {
        if let (Some(query), Some((layout, off))) = (query, stream) {
            let src = data.positional();
            let names = &mut names;
            let early = &early;
            s.spawn(move |_| *names = Some(stream_names(query, src, layout, off, early)));
        }
        go_facts(&ctx, notes, r);
        query.map(|q| {
            let mut hits = vec![SymbolHit::default(); q.len()];
            let mut present = Vec::new();
            ctx.search_symbol_tables(q, &mut hits, &mut present);
            early.found_elsewhere(&hits);
            (hits, present)
        })
    });
    if let (Some(q), Some(tables)) = (query, tables) {
        r.symbol_search = Some(ctx.search_pcln(q, tables, stream, names));
    }
    r.errors.extend(ctx.errors.take());
    r.warnings.extend(ctx.warnings.take());
}

/// The Go facts of `r.go`, read through `ctx`.
fn go_facts<'d, R: ReadRef<'d> + Positional>(
    ctx: &Ctx<'_, 'd, R>,
    notes: &Notes<'d>,
    r: &mut Report,
) {
    let view = ctx.view;
    let mut go = GoFacts::default();
    let mut is_go = false;
    if let Some(id) = notes.go_build_id() {
        go.build_id = Some(text(trim_nul(id)));
        is_go = true;
    }
    if let Some((_, p)) = ctx.pcln_region {
        r.symbols.pclntab = p.nfunc;
        is_go = true;
    }
    let gccgo = view.has_section(b".go_export")
        || r.elf
            .as_ref()
            .is_some_and(|e| e.needed.iter().any(|n| n.starts_with("libgo.so")));
    if gccgo {
        is_go = true;
        go.compiler = Some("gccgo".into());
        if go.build_id.is_none() {
            go.build_id = notes.gccgo_build_id().map(str::to_string);
        }
    }

    let mut suffix_experiments = Vec::new();
    match read_buildinfo(view) {
        Ok(Some(raw)) => {
            is_go = true;
            go.buildinfo_format = Some(
                match raw.format {
                    buildinfo::Format::Inline => "inline",
                    buildinfo::Format::Pointer => "pointer",
                }
                .into(),
            );
            suffix_experiments = set_version(&mut go, &raw.version, VersionSource::Buildinfo);
            if let Some(mi) = &raw.modinfo {
                apply_modinfo(&mut go, mi, &mut r.errors);
            }
        }
        Ok(None) => {}
        Err(e) => r.errors.push(format!(".go.buildinfo: {e}")),
    }

    if is_go && go.version.is_none() {
        suffix_experiments = fallback_version(ctx, &mut go, r);
    }
    if !is_go {
        return;
    }
    if go.path.is_none()
        && let Some(mi) = rodata_modinfo(view)
    {
        apply_modinfo(&mut go, &mi, &mut r.errors);
    }
    if let Some((_, p)) = ctx.pcln_region
        && (go.version.is_none() || !go.exact)
    {
        go.range
            .get_or_insert_with(|| p.layout.version_range().to_string());
    }
    derive(ctx, &mut go, suffix_experiments, r);
    r.go = Some(go);
}

/// Finds and decodes `.go.buildinfo`: the section, else (as Go ≤ 1.26 does)
/// the first writable, non-executable PT_LOAD, searched in 1 MiB chunks.
fn read_buildinfo<'d, R: ReadRef<'d>>(
    view: &ElfView<'d, R>,
) -> Result<Option<buildinfo::RawBuildInfo>, String> {
    let Some(loc) = view.go_buildinfo_location() else {
        return Ok(None);
    };
    // The segment fallback is for files whose section headers are gone. With
    // a section table and no `.go.buildinfo`, there is no build info, and
    // scanning every C library's data segment would cost megabytes of reads.
    if loc.source == elf::LocationSource::Segment && !view.sections().is_empty() {
        return Ok(None);
    }
    // In a `.go.buildinfo` section a bad blob is corruption. In the segment
    // fallback the magic may be any data that happens to match (libgo holds
    // the magic as a constant): Go calls that "not a Go executable", so a
    // bad match is passed over and the search goes on.
    let strict = loc.source == elf::LocationSource::Section;
    // A `.go.buildinfo` without file bytes (`SHT_NOBITS`, as in a separate
    // debug file) holds nothing to read; one with fewer bytes than the
    // header was cut.
    if strict && loc.filesz < buildinfo::HEADER_SIZE as u64 {
        let nobits = view
            .section_by_name(b".go.buildinfo")
            .is_some_and(|s| s.file_range().is_none());
        if nobits {
            return Ok(None);
        }
        return Err(format!(
            "section at {:#x}: {} bytes, shorter than the {}-byte header",
            loc.offset,
            loc.filesz,
            buildinfo::HEADER_SIZE
        ));
    }
    let data = view.data();
    let mut at = 0u64;
    while at < loc.filesz {
        let len = (loc.filesz - at).min(SEARCH_CHUNK);
        let offset = loc.offset.saturating_add(at);
        let chunk = data.read_bytes_at(offset, len).map_err(|()| {
            format!("region at {offset:#x} (+{len:#x}) is past the end of the file")
        })?;
        let vaddr = loc.vaddr.wrapping_add(at);
        let mut from = 0usize;
        while let Some(rel) = chunk
            .get(from..)
            .and_then(|c| buildinfo::find_magic_at(c, vaddr.wrapping_add(from as u64)))
        {
            let found = (from + rel) as u64;
            let blob_off = offset + found;
            let blob_len = (loc.filesz - at - found).min(MAX_BLOB);
            let blob = data
                .read_bytes_at(blob_off, blob_len)
                .map_err(|()| format!("blob at {blob_off:#x} is past the end of the file"))?;
            let mem: &dyn AddressSpace = view;
            match buildinfo::decode(blob, Some(vaddr.wrapping_add(found)), Some(mem)) {
                Ok(raw) => return Ok(Some(raw)),
                Err(e) if strict => return Err(format!("at {blob_off:#x}: {e}")),
                // Magic matches are 16-byte aligned: the next one is past this.
                Err(_) => from = from + rel + buildinfo::ALIGN,
            }
        }
        at += len;
    }
    if strict {
        // Go's linker starts the section with the header; without one the
        // section holds something else.
        return Err(format!(
            "section at {:#x}: no build info header (\"\\xff Go buildinf:\" at a \
             16-byte boundary) in its {} bytes",
            loc.offset, loc.filesz
        ));
    }
    Ok(None)
}

/// Records a version and returns the experiments its suffix names.
fn set_version(go: &mut GoFacts, raw: &str, source: VersionSource) -> Vec<String> {
    let v = version::parse(raw);
    go.version = Some(raw.to_string());
    go.semver = v.semver.as_ref().map(|s| s.to_string());
    go.version_source = Some(source);
    go.exact = source.is_exact();
    if v.gccgo {
        go.compiler = Some("gccgo".into());
    }
    v.experiments
}

fn apply_modinfo(go: &mut GoFacts, bytes: &[u8], errors: &mut Vec<String>) {
    let parsed = std::str::from_utf8(bytes)
        .map_err(|e| format!("module info is not UTF-8: {e}"))
        .and_then(|s| modinfo::parse(s).map_err(|e| format!("module info: {e}")));
    match parsed {
        Ok(mi) => {
            go.path = Some(mi.path).filter(|p| !p.is_empty());
            go.main = mi.main;
            go.deps = mi.deps;
            go.settings = mi.settings;
        }
        Err(e) => errors.push(e),
    }
}

/// The fallbacks, in order of trust; returns suffix experiments if a
/// version string was found.
fn fallback_version<'d, R: ReadRef<'d> + Positional>(
    ctx: &Ctx<'_, 'd, R>,
    go: &mut GoFacts,
    r: &mut Report,
) -> Vec<String> {
    // gccgo's runtime.buildVersion lives in .bss (set at run time), so only
    // a gc binary's symbol is worth indexing the symbol table for.
    if go.compiler.as_deref() != Some("gccgo")
        && let Some(v) = build_version_symbol(ctx)
    {
        return set_version(go, &v, VersionSource::Symbol);
    }
    match dwarf_producers(ctx.view) {
        Ok(producers) => {
            if let Some(v) = producers.iter().find_map(|p| p.go_version.clone()) {
                return set_version(go, &v, VersionSource::Dwarf);
            }
            if let Some(g) = producers.iter().find_map(|p| p.gccgo_version.clone()) {
                go.compiler = Some("gccgo".into());
                if let Some(v) = gccgo_go_release(&g) {
                    set_version(go, v, VersionSource::GccgoRelease);
                    r.warnings.push(format!(
                        "Go version inferred from the gccgo release {g} (libgo of GCC {g} implements {v})"
                    ));
                    return Vec::new();
                }
            }
        }
        Err(DwarfFailure::Section(e)) => r.errors.push(format!("DWARF: {e}")),
        Err(DwarfFailure::Parse(e)) => r.warnings.push(format!("DWARF: {e}")),
    }
    if let Some((_, p)) = &ctx.pcln_region {
        let range = p.layout.version_range();
        if let Some(v) = rodata_version(ctx.view, range) {
            let exps = set_version(go, &v, VersionSource::StringScan);
            go.range = Some(range.to_string());
            return exps;
        }
        go.version_source = Some(VersionSource::Pclntab);
        go.range = Some(range.to_string());
    }
    Vec::new()
}

/// `runtime.buildVersion` is a Go string header `{ptr, len}` in .data.
fn build_version_symbol<'d, R: ReadRef<'d> + Positional>(ctx: &Ctx<'_, 'd, R>) -> Option<String> {
    let sym = ctx.symbols()?.lookup(b"runtime.buildVersion").next()?;
    let ptr_size: u64 = match ctx.view.header().class {
        elf::Class::Elf32 => 4,
        elf::Class::Elf64 => 8,
    };
    let big = ctx.view.header().byte_order == elf::ByteOrder::Big;
    let hdr = ctx.view.read(sym.value, 2 * ptr_size)?;
    let word = |b: &[u8]| -> Option<u64> {
        Some(match (ptr_size, big) {
            (4, false) => u64::from(u32::from_le_bytes(b.get(..4)?.try_into().ok()?)),
            (4, true) => u64::from(u32::from_be_bytes(b.get(..4)?.try_into().ok()?)),
            (_, false) => u64::from_le_bytes(b.get(..8)?.try_into().ok()?),
            (_, true) => u64::from_be_bytes(b.get(..8)?.try_into().ok()?),
        })
    };
    let mut ptr = word(hdr)?;
    let len = word(hdr.get(ptr_size as usize..)?)?;
    if ptr == 0 {
        ptr = ctx.view.relocation_addend(sym.value)?;
    }
    if len == 0 || len > buildinfo::MAX_VERSION_LEN {
        return None;
    }
    let bytes = ctx.view.read(ptr, len)?;
    if bytes.len() as u64 != len {
        return None;
    }
    std::str::from_utf8(bytes).ok().map(str::to_string)
}

/// Why the DWARF producers could not be had: the sections could not be
/// read or decompressed (damage, an error), or DWARF did not parse (a
/// warning: new forms and vendor extensions appear with new compilers,
/// and DWARF is only a fallback here).
enum DwarfFailure {
    Section(String),
    Parse(String),
}

fn dwarf_producers<'d, R: ReadRef<'d> + Positional>(
    view: &ElfView<'d, R>,
) -> Result<Vec<dwarf::Producer>, DwarfFailure> {
    if !view.has_section(b".debug_info") && !view.has_section(b".zdebug_info") {
        return Ok(Vec::new());
    }
    let big = view.header().byte_order == elf::ByteOrder::Big;
    let mut budget = DecompressBudget::new(MAX_DWARF_SECTION, MAX_DWARF_TOTAL);
    // In gimli's order of loading, so that the first damaged section is
    // the one reported and the budget is spent in the same order.
    let mut sections = Vec::new();
    for id in [
        SectionId::DebugAbbrev,
        SectionId::DebugInfo,
        SectionId::DebugLineStr,
        SectionId::DebugStr,
        SectionId::DebugStrOffsets,
    ] {
        match view.debug_section_source(id.name().as_bytes(), &mut budget) {
            Ok(Some(source)) => sections.push((id, source)),
            Ok(None) => {}
            Err(e) => return Err(DwarfFailure::Section(e.to_string())),
        }
    }
    let data = view.data();
    let src = DwarfSections {
        file: data.positional(),
        sections,
    };
    dwarf::producers(&src, big, MAX_DWARF_UNITS).map_err(|e| match e {
        dwarf::DwarfError::Unreadable { .. } => DwarfFailure::Section(e.to_string()),
        e => DwarfFailure::Parse(e.to_string()),
    })
}

/// The debug sections of a file for [`dwarf::producers`]: decompressed
/// ones from memory, stored ones read a range at a time.
struct DwarfSections<'a, 'd> {
    file: &'a (dyn crate::go::ReadAt + Sync + 'a),
    sections: Vec<(SectionId, SectionSource<'d>)>,
}

impl dwarf::Sections for DwarfSections<'_, '_> {
    fn len(&self, id: SectionId) -> u64 {
        match self.sections.iter().find(|(i, _)| *i == id) {
            Some((_, SectionSource::Bytes(b))) => b.len() as u64,
            Some((_, SectionSource::File { size, .. })) => *size,
            None => 0,
        }
    }

    fn read(&self, id: SectionId, offset: u64, len: u64) -> Option<Cow<'_, [u8]>> {
        let (_, source) = self.sections.iter().find(|(i, _)| *i == id)?;
        match source {
            SectionSource::Bytes(bytes) => {
                let rest = bytes.get(usize::try_from(offset).ok()?.min(bytes.len())..)?;
                let len = usize::try_from(len).unwrap_or(usize::MAX).min(rest.len());
                rest.get(..len).map(Cow::Borrowed)
            }
            SectionSource::File { offset: base, size } => {
                // Inside the section, which is inside the file.
                let len = len.min(size.saturating_sub(offset));
                let mut buf = Vec::new();
                buf.try_reserve_exact(usize::try_from(len).ok()?).ok()?;
                buf.resize(usize::try_from(len).ok()?, 0);
                self.file
                    .read_exact_at(base.checked_add(offset)?, &mut buf)
                    .then_some(Cow::Owned(buf))
            }
        }
    }
}

/// The Go release each GCC's libgo implements (GCC release notes). Only
/// releases whose libgo version is documented are listed; later ones are
/// left unknown rather than guessed.
fn gccgo_go_release(gcc: &str) -> Option<&'static str> {
    let major: u32 = gcc.split('.').next()?.parse().ok()?;
    Some(match major {
        7 => "go1.8.3",
        8 => "go1.10",
        9 => "go1.12.2",
        10 => "go1.14.6",
        11 => "go1.16.3",
        12 => "go1.18",
        _ => return None,
    })
}

/// Offers `.rodata` to `visit` window by window (see [`window`]), through
/// one buffer of about [`SCAN_STEP`] bytes: in a Go binary it is megabytes.
/// False when the file has no `.rodata` whose bytes are all in the file, or
/// they could not be read; `SHT_NOBITS` is an empty range.
fn scan_rodata<'d, R: ReadRef<'d> + Positional>(
    view: &ElfView<'d, R>,
    steps: window::Steps,
    visit: &mut dyn FnMut(window::Window<'_>) -> ControlFlow<()>,
) -> bool {
    let Some(s) = view.section_by_name(b".rodata") else {
        return false;
    };
    let Some((off, size)) = s.file_range() else {
        return true;
    };
    let data = view.data();
    let in_file = off
        .checked_add(size)
        .zip(data.len().ok())
        .is_some_and(|(end, len)| end <= len);
    in_file && window::scan(data.positional(), off, size, steps, visit).is_ok()
}

/// gccgo's sentinel-framed module info in `.rodata`
/// ([`scan::ModinfoSearch`]), read once found.
fn rodata_modinfo<'d, R: ReadRef<'d> + Positional>(view: &ElfView<'d, R>) -> Option<Vec<u8>> {
    let mut search = scan::ModinfoSearch::default();
    let mut found = None;
    let read = scan_rodata(
        view,
        scan::ModinfoSearch::steps(SCAN_STEP),
        &mut |w| match search.feed(w) {
            Some(text) => {
                found = Some(text);
                ControlFlow::Break(())
            }
            None => ControlFlow::Continue(()),
        },
    );
    let text = found.filter(|_| read)?;
    let (off, _) = view.section_by_name(b".rodata")?.file_range()?;
    // At most `scan::MAX_MODINFO_LEN` bytes.
    let mut bytes = vec![0; usize::try_from(text.end.checked_sub(text.start)?).ok()?];
    let at = off.checked_add(text.start)?;
    view.data()
        .positional()
        .read_exact_at(at, &mut bytes)
        .then_some(bytes)
}

/// A Go version string in `.rodata` ([`scan::VersionSearch`]).
fn rodata_version<'d, R: ReadRef<'d> + Positional>(
    view: &ElfView<'d, R>,
    range: pclntab::VersionRange,
) -> Option<String> {
    let mut search = scan::VersionSearch::new(Some(range));
    let read = scan_rodata(view, scan::VersionSearch::steps(SCAN_STEP), &mut |w| {
        search.feed(w);
        ControlFlow::Continue(())
    });
    if read { search.finish() } else { None }
}

fn trim_nul(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
    b.get(..end).unwrap_or(b)
}

fn setting<'g>(go: &'g GoFacts, key: &str) -> Option<&'g str> {
    go.settings
        .iter()
        .rev()
        .find(|s| s.key == key)
        .map(|s| s.value.as_str())
}

/// What the settings and the file's contents imply: experiments, compiler,
/// build mode, architecture level, cgo and FIPS.
fn derive<'d, R: ReadRef<'d> + Positional>(
    ctx: &Ctx<'_, 'd, R>,
    go: &mut GoFacts,
    suffix_experiments: Vec<String>,
    r: &Report,
) {
    let mut exps: Vec<String> = Vec::new();
    let from_env = setting(go, "GOEXPERIMENT").unwrap_or("");
    for e in from_env
        .split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .chain(suffix_experiments)
    {
        if !e.is_empty() && !exps.contains(&e) {
            exps.push(e);
        }
    }
    go.experiments = exps;

    if let Some(c) = setting(go, "-compiler") {
        go.compiler = Some(c.to_string());
    }
    go.compiler.get_or_insert_with(|| "gc".into());

    go.buildmode = setting(go, "-buildmode").map(str::to_string).or_else(|| {
        let elf = r.elf.as_ref()?;
        match (elf.elf_type.as_str(), elf.pie) {
            ("EXEC", _) => Some("exe".into()),
            ("DYN", true) => Some("pie".into()),
            _ => None,
        }
    });
    go.arch_level = ARCH_LEVEL_KEYS.iter().find_map(|k| {
        setting(go, k).map(|v| Setting {
            key: (*k).to_string(),
            value: v.to_string(),
        })
    });

    let have_buildinfo = go.version_source == Some(VersionSource::Buildinfo);
    go.cgo = match setting(go, "CGO_ENABLED") {
        Some("0") => Some(false),
        // gccgo links C through libgo, not runtime/cgo: nothing here tells.
        _ if go.compiler.as_deref() == Some("gccgo") => None,
        _ if ctx.has_symbol(&CGO_SYMBOLS) => Some(true),
        _ if ctx.searchable() => Some(false),
        _ => None,
    };

    let mut evidence = Vec::new();
    if let Some(v) = setting(go, "GOFIPS140").filter(|v| *v != "off") {
        evidence.push(format!("GOFIPS140={v}"));
    }
    if let Some(d) = setting(go, "DefaultGODEBUG")
        && d.split(',')
            .any(|kv| kv == "fips140=on" || kv == "fips140=only")
    {
        evidence.push("DefaultGODEBUG fips140=on".to_string());
    }
    let boring = go
        .experiments
        .iter()
        .any(|e| e == "boringcrypto" || e == "boring");
    if boring && ctx.has_prefix(&BORING_PREFIXES) {
        evidence.push("BoringCrypto linked".to_string());
    }
    go.fips = if !evidence.is_empty() {
        Some(true)
    } else if have_buildinfo && (!boring || ctx.searchable()) {
        Some(false)
    } else {
        None
    };
    go.fips_evidence = evidence;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Go 1.20 pclntab (little-endian, 8-byte fields) whose functions
    /// are named by `names`, one each, in order.
    fn pclntab(names: &[&str]) -> Vec<u8> {
        let mut blob = Vec::new();
        let mut offs = Vec::new();
        for n in names {
            offs.push(blob.len() as u32);
            blob.extend_from_slice(n.as_bytes());
            blob.push(0);
        }
        let n = names.len();
        let header = 8 + 8 * 8;
        let cu = header + blob.len();
        let (filetab, pctab) = (cu + 4, cu + 12);
        let pcln = pctab + 4;
        let mut b = Vec::new();
        b.extend_from_slice(&0xffff_fff1u32.to_le_bytes());
        b.extend_from_slice(&[0, 0, 1, 8]);
        for w in [n, 1, 0x1000, header, cu, filetab, pctab, pcln] {
            b.extend_from_slice(&(w as u64).to_le_bytes());
        }
        b.extend_from_slice(&blob);
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(b"main.go\0");
        b.extend_from_slice(&[0; 4]);
        let funcs = (2 * n + 1) * 4;
        for i in 0..n {
            b.extend_from_slice(&(0x10 * i as u32).to_le_bytes());
            b.extend_from_slice(&((funcs + i * 40) as u32).to_le_bytes());
        }
        b.extend_from_slice(&(0x10 * n as u32).to_le_bytes());
        for (i, off) in offs.iter().enumerate() {
            b.extend_from_slice(&(0x10 * i as u32).to_le_bytes());
            b.extend_from_slice(&off.to_le_bytes());
            b.extend_from_slice(&[0; 32]);
        }
        b
    }

    fn matcher(patterns: &[&str]) -> crate::policy::SymbolMatcher {
        let p = patterns
            .iter()
            .map(|p| crate::policy::SymbolPattern::parse(p).unwrap())
            .collect();
        crate::policy::SymbolMatcher::new(p).unwrap()
    }

    /// The stream looks up the names each round picked: a pattern found
    /// leaves the search, and once every pattern is found (here or in a
    /// symbol table) the stream stops.
    #[test]
    fn the_stream_finds_functions_and_stops() {
        let table = pclntab(&["main.main", "runtime.x", "main.y"]);
        let layout = pclntab::name_layout(&table, table.len() as u64)
            .unwrap()
            .unwrap();
        let src: &[u8] = &table;
        let stream = |patterns: &[&str], elsewhere: &[usize]| {
            let q = matcher(patterns);
            let early = EarlyStop::new(patterns.len());
            elsewhere.iter().for_each(|&i| early.found(i));
            let s = stream_names(&q, &src, &layout, 0, &early);
            let names: Vec<String> = s
                .names
                .unwrap()
                .strings()
                .map(|(_, n)| String::from_utf8(n.to_vec()).unwrap())
                .collect();
            (s.functions, names, early.stop.is_set())
        };
        let (functions, names, stopped) = stream(&["main.*", "_cgo_*"], &[]);
        assert_eq!(functions, [Some(0), None]);
        assert_eq!(names, ["main.main", "main.y"]);
        assert!(!stopped);

        let (functions, _, stopped) = stream(&["main.*", "runtime.*"], &[]);
        assert_eq!(functions, [Some(0), Some(10)]);
        assert!(stopped);

        // A pattern found in a symbol table needs no name.
        let (functions, _, stopped) = stream(&["main.*", "_cgo_*"], &[1]);
        assert_eq!(functions, [Some(0), None]);
        assert!(stopped);
    }

    /// In a table of several rounds, a pattern found in the first is not
    /// searched for in the others, so its names there are not picked;
    /// a pattern still looked for is searched in every round. The same
    /// table streamed again picks the same names.
    #[test]
    fn found_patterns_leave_the_search() {
        let names: Vec<String> = (0..400_000)
            .map(|i| match i % 1000 {
                7 => format!("pkg.found{i}"),
                _ => format!("pkg.f{i}"),
            })
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let table = pclntab(&refs);
        let layout = pclntab::name_layout(&table, table.len() as u64)
            .unwrap()
            .unwrap();
        let rounds = pclnstream::rounds(&layout);
        assert!(rounds.len() > 1, "{rounds:?}");
        let src: &[u8] = &table;
        let q = matcher(&["*found*", "*f399999"]);
        let stream = || {
            let early = EarlyStop::new(2);
            let s = stream_names(&q, &src, &layout, 0, &early);
            // Both found, the second in the table's tail, the second round.
            assert!(early.stop.is_set());
            let names: Vec<(u64, Vec<u8>)> = s
                .names
                .unwrap()
                .strings()
                .map(|(at, n)| (at, n.to_vec()))
                .collect();
            (s.functions, names)
        };
        let (functions, picked) = stream();
        assert_eq!(functions[0], Some(u32::try_from(picked[0].0).unwrap()));
        assert_eq!(
            functions[1],
            Some(u32::try_from(picked.last().unwrap().0).unwrap())
        );
        let first_round = rounds[0].1;
        let found = |n: &[u8]| memchr::memmem::find(n, b"found").is_some();
        // Every `found` name of the first round, none after it.
        let found_names: Vec<u64> = picked
            .iter()
            .filter(|(_, n)| found(n))
            .map(|(a, _)| *a)
            .collect();
        assert!(found_names.len() > 1);
        assert!(found_names.iter().all(|&a| a < first_round));
        // The last name, in the last round.
        let others: Vec<&[u8]> = picked
            .iter()
            .filter(|(_, n)| !found(n))
            .map(|(_, n)| &n[..])
            .collect();
        assert_eq!(others, [b"pkg.f399999"]);
        assert_eq!(stream(), (functions.clone(), picked));

        // Found in the head and the tail: the middle is never read.
        struct Counted<'a>(&'a [u8], std::sync::atomic::AtomicU64);
        impl crate::go::ReadAt for Counted<'_> {
            fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> bool {
                let n = buf.len() as u64;
                self.1.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                self.0.read_exact_at(offset, buf)
            }
        }
        let counted = Counted(&table, Default::default());
        let early = EarlyStop::new(2);
        let s = stream_names(&q, &counted, &layout, 0, &early);
        assert_eq!(s.functions, functions);
        let read = counted.1.into_inner();
        let names_len = layout.names.1 - layout.names.0;
        assert!(
            read < names_len * 2 / 3,
            "{read} of {names_len} bytes read, rounds {rounds:?}"
        );
    }

    #[test]
    fn gccgo_release_map_is_conservative() {
        assert_eq!(gccgo_go_release("12.2.0"), Some("go1.18"));
        assert_eq!(gccgo_go_release("14.1.0"), None);
        assert_eq!(gccgo_go_release("x"), None);
    }

    #[test]
    fn nul_padding_is_trimmed() {
        assert_eq!(trim_nul(b"abc\0\0"), b"abc");
        assert_eq!(trim_nul(b"\0"), b"");
    }

    #[test]
    fn modules_keep_replacements() {
        let mut go = GoFacts::default();
        let mut errs = Vec::new();
        apply_modinfo(
            &mut go,
            b"path\texample.com/x\nmod\texample.com/x\t(devel)\t\ndep\texample.com/d\tv1.0.0\n=>\t../d\t(devel)\t\n\nbuild\tCGO_ENABLED=0\n",
            &mut errs,
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(go.deps.len(), 1);
        assert_eq!(
            go.deps[0].replace.as_deref().map(|m| m.path.as_str()),
            Some("../d")
        );
        assert_eq!(setting(&go, "CGO_ENABLED"), Some("0"));
    }
}
