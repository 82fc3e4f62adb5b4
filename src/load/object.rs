//! One ELF file as the loaders see it, read once through the ELF views
//! (`crate::elf`) and kept, owned, for every program of the run that loads
//! it: its header, dynamic section, versions, exported definitions and
//! undefined references, and the x86 ISA level it needs.
//!
//! Also [`verify_glibc`]: glibc's `open_verify`, the checks a candidate
//! file must pass before glibc's search takes it, on the file's first bytes.

use object::Endianness;
use object::read::ReadRef;

use super::gnuhash::{GnuHash, gnu_hash};
use crate::elf;

/// `STT_COMMON`, `STT_GNU_IFUNC`, `STB_GNU_UNIQUE`, `SHN_ABS`.
const STT_COMMON: u8 = 5;
const STT_GNU_IFUNC: u8 = 10;
const STB_GNU_UNIQUE: u8 = 10;
const SHN_ABS: u16 = 0xfff1;
/// `DF_1_NODEFLIB`, `DF_1_NOW`, `DF_BIND_NOW`.
const DF_1_NODEFLIB: u64 = 0x800;
const DF_1_NOW: u64 = 0x1;
const DF_BIND_NOW: u64 = 0x8;

/// The first bytes of a file, enough for every header check a loader makes.
pub const HEAD: usize = 64;

/// A symbol version as a loader matches it: name and ELF hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub name: Box<[u8]>,
    pub hash: u32,
}

/// A version this file needs from another (`Vernaux` of a `Verneed`).
#[derive(Debug, Clone)]
pub struct Needed {
    pub name: Box<[u8]>,
    pub hash: u32,
    pub weak: bool,
}

/// A hash of a symbol name, eight bytes at a time: definitions are kept
/// sorted by it, so a lookup compares integers, not names, until the name
/// itself matches. Every definition of every library is hashed once per
/// run, so this is on the hot path.
pub fn name_hash(name: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let mut h = mix(0x9e37_79b9_7f4a_7c15, name.len() as u64);
    let mut chunks = name.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = mix(h, u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        if let Some(d) = w.get_mut(..rest.len()) {
            d.copy_from_slice(rest);
        }
        h = mix(h, u64::from_le_bytes(w));
    }
    // The table probes with the low bits: fold the high ones in.
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 32)
}

/// How a definition may bind (the symbol's type and binding, folded).
#[derive(Debug, Clone, Copy)]
pub struct Def {
    /// Its index in the symbol table (what a hash table's chain names).
    sym: u32,
    /// `st_name`: a NUL-terminated name in the string table (checked when
    /// read); its length is looked up only when the index is built.
    st_name: u32,
    /// The raw versym value; `None` when the file has no versym table.
    pub versym: Option<u16>,
    /// glibc accepts it (`check_match`: a value, an allowed type).
    pub glibc: bool,
    /// musl accepts it (no IFUNC; hidden versions skipped).
    pub musl: bool,
}

/// A strong undefined dynamic symbol.
#[derive(Debug, Clone)]
pub struct Ref {
    name: (u32, u32),
    /// [`gnu_hash`] of the name.
    pub hash: u32,
    /// The version required (`l_versions[ndx]` with a hash), as its index
    /// in [`Object::version`]: `None` for an unversioned reference.
    pub version: Option<u16>,
    /// `vna_other`'s hidden bit (glibc then refuses an unversioned definer).
    pub hidden: bool,
    /// For a version another file defines: that file's position in
    /// [`Object::verneeds`] (`r_found_version.filename`).
    pub file: Option<u16>,
}

/// Exported definitions and the references; names are ranges of the
/// file's dynamic string table, kept as read. Definitions are looked up as
/// the loaders look them up, through the file's own `DT_GNU_HASH` table,
/// so only the names asked for are hashed. Without a usable one they are
/// indexed by name hash the first time one is looked up (their names are
/// read then, not before).
#[derive(Debug, Default)]
pub struct Symbols {
    strings: crate::input::SharedBytes,
    /// Made when the file is read, or at the first lookup (see [`Deferred`]).
    table: std::sync::OnceLock<DefTable>,
    deferred: Option<Deferred>,
    gnu: Option<GnuHash>,
    index: std::sync::OnceLock<DefIndex>,
    pub refs: Vec<Ref>,
}

/// The definitions, and where each symbol's is.
#[derive(Debug, Default)]
struct DefTable {
    /// In symbol table order.
    defs: Vec<Def>,
    /// With a GNU hash table: per symbol index, its position in `defs` + 1
    /// (0: not a definition), so a chain's hit is found without a search.
    def_at: Box<[u32]>,
}

/// A program's symbol table and versym table as read, from which its
/// definitions are made if something looks one up: libraries seldom bind
/// to a program, and some programs export tens of thousands of symbols.
#[derive(Debug)]
struct Deferred {
    syms: crate::input::SharedBytes,
    versym: Option<crate::input::SharedBytes>,
    class: elf::Class,
    endian: Endianness,
    /// The string table's last NUL (a name starting after it is unreadable).
    last_nul: Option<usize>,
}

/// When a file's definitions are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defs {
    /// When it is read (a library: programs look its symbols up).
    Now,
    /// At the first lookup (a program).
    WhenAsked,
}

/// `(hash, definition)` sorted by hash (then table order), and an
/// open-addressing table of the first position of each hash.
#[derive(Debug, Default)]
struct DefIndex {
    sorted: Vec<(u64, u32)>,
    /// Positions in `sorted` + 1 (0: empty); a power of two long, at least
    /// twice the number of definitions.
    slots: Vec<u32>,
}

impl Symbols {
    fn text(&self, (start, len): (u32, u32)) -> &[u8] {
        let (start, len) = (start as usize, len as usize);
        self.strings
            .get(start..start.saturating_add(len))
            .unwrap_or_default()
    }

    /// A reference's name.
    pub fn name<'s>(&'s self, r: &Ref) -> &'s [u8] {
        self.text(r.name)
    }

    /// Whether the NUL-terminated name at `st_name` is `name` (which holds
    /// no NUL).
    fn is_named(&self, st_name: u32, name: &[u8]) -> bool {
        let Ok(start) = usize::try_from(st_name) else {
            return false;
        };
        let Some(end) = start.checked_add(name.len()) else {
            return false;
        };
        self.strings.get(start..end) == Some(name) && self.strings.get(end) == Some(&0)
    }

    fn build(&self) -> DefIndex {
        // Name ends by `memchr` while the bytes scanned stay within a
        // budget (real tables: about their size); past it, through an index
        // of the table's NULs, so that a hostile table whose many symbols
        // point into one long name costs no more than its size.
        let mut budget = (self.strings.len() as u64)
            .saturating_mul(4)
            .saturating_add(1 << 20);
        let mut ends: Option<crate::elf::StrTable<'_>> = None;
        let mut name_of = |st_name: u32| -> &[u8] {
            let start = st_name as usize;
            let rest = self.strings.get(start..).unwrap_or_default();
            if ends.is_none() {
                let window = rest.get(..rest.len().min(4096)).unwrap_or(rest);
                if let Some(len) = memchr::memchr(0, window)
                    && let Some(left) = budget.checked_sub(len as u64)
                {
                    budget = left;
                    return rest.get(..len).unwrap_or_default();
                }
            }
            let table = ends.get_or_insert_with(|| crate::elf::StrTable::new(&self.strings[..]));
            match table.range(u64::from(st_name)) {
                Some((_, len)) => rest.get(..len as usize).unwrap_or_default(),
                None => &[],
            }
        };
        let mut sorted: Vec<(u64, u32)> = self
            .table()
            .defs
            .iter()
            .enumerate()
            .filter_map(|(k, d)| Some((name_hash(name_of(d.st_name)), u32::try_from(k).ok()?)))
            .collect();
        sorted.sort_unstable();
        let want = sorted.len().saturating_mul(2).max(1).next_power_of_two();
        let mut slots = vec![0u32; want];
        let mask = want - 1;
        let mut prev: Option<u64> = None;
        for (k, &(hash, _)) in sorted.iter().enumerate() {
            if prev == Some(hash) {
                continue;
            }
            prev = Some(hash);
            let Ok(v) = u32::try_from(k + 1) else { break };
            let mut at = (hash as usize) & mask;
            while slots.get(at).is_some_and(|&s| s != 0) {
                at = (at + 1) & mask;
            }
            if let Some(s) = slots.get_mut(at) {
                *s = v;
            }
        }
        DefIndex { sorted, slots }
    }

    /// The definitions named `name` (whose [`gnu_hash`] is `hash`): those
    /// the file's GNU hash table reaches, in chain order, or without a
    /// usable table every one, in table order.
    pub fn find<'s>(&'s self, name: &'s [u8], hash: u32) -> impl Iterator<Item = &'s Def> + 's {
        let hashed = self.gnu.as_ref().map(|g| {
            let table = self.table();
            g.candidates(hash)
                .filter_map(|sym| {
                    let k = table
                        .def_at
                        .get(usize::try_from(sym).ok()?)?
                        .checked_sub(1)?;
                    table.defs.get(usize::try_from(k).ok()?)
                })
                .filter(move |d| self.is_named(d.st_name, name))
        });
        let indexed = match self.gnu {
            Some(_) => None,
            None => Some(self.find_indexed(name, name_hash(name))),
        };
        hashed
            .into_iter()
            .flatten()
            .chain(indexed.into_iter().flatten())
    }

    /// [`Symbols::find`] through the index of every definition's name.
    fn find_indexed<'s>(&'s self, name: &'s [u8], hash: u64) -> impl Iterator<Item = &'s Def> + 's {
        let ix = self.index.get_or_init(|| self.build());
        let defs = &self.table().defs;
        let mask = ix.slots.len().saturating_sub(1);
        let mut at = (hash as usize) & mask;
        let mut from = ix.sorted.len();
        // Bounded: the table is at least twice as long as the definitions.
        for _ in 0..ix.slots.len() {
            let Some(&slot) = ix.slots.get(at) else { break };
            let Some(k) = usize::try_from(slot).ok().and_then(|s| s.checked_sub(1)) else {
                break;
            };
            if ix.sorted.get(k).is_some_and(|&(h, _)| h == hash) {
                from = k;
                break;
            }
            at = (at + 1) & mask;
        }
        ix.sorted
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(move |&&(h, _)| h == hash)
            .filter_map(move |&(_, k)| defs.get(k as usize))
            .filter(move |d| self.is_named(d.st_name, name))
    }

    /// Whether definitions are looked up through the file's GNU hash table.
    pub fn has_gnu_hash(&self) -> bool {
        self.gnu.is_some()
    }

    /// Number of definitions.
    pub fn defs(&self) -> usize {
        self.table().defs.len()
    }

    fn table(&self) -> &DefTable {
        self.table.get_or_init(|| match &self.deferred {
            Some(d) => d.table(self.gnu.is_some()),
            None => DefTable::default(),
        })
    }
}

impl Deferred {
    fn table(&self, gnu: bool) -> DefTable {
        let versym = |i: usize| {
            let v = self.versym.as_ref()?;
            elf::u16_at(v, i.checked_mul(2)?, self.endian)
        };
        let mut defs = Vec::new();
        let mut nsyms = 1usize;
        for s in elf::raw_dynsyms(&self.syms, self.class, self.endian) {
            nsyms = s.index.saturating_add(1);
            if self.last_nul.is_none_or(|l| s.st_name as usize > l) {
                continue;
            }
            if let Some(d) = def_of(&s, versym(s.index)) {
                defs.push(d);
            }
        }
        DefTable::of(defs, nsyms, gnu)
    }
}

impl DefTable {
    /// `defs` of a table of `nsyms` entries; `gnu`: with a GNU hash table.
    fn of(defs: Vec<Def>, nsyms: usize, gnu: bool) -> DefTable {
        let mut def_at = Vec::new();
        if gnu {
            def_at = vec![0u32; nsyms];
            for (k, d) in defs.iter().enumerate() {
                let (Some(slot), Ok(v)) = (def_at.get_mut(d.sym as usize), u32::try_from(k + 1))
                else {
                    continue;
                };
                *slot = v;
            }
        }
        DefTable {
            defs,
            def_at: def_at.into_boxed_slice(),
        }
    }
}

/// The definition a defined symbol makes, if a lookup may bind to it (a
/// global, weak or unique one); `versym`: its raw versym value.
fn def_of(s: &elf::DynSym, versym: Option<u16>) -> Option<Def> {
    let binding = s.st_info >> 4;
    let kind = s.st_info & 0xf;
    if s.st_shndx == 0 || !(binding == 1 || binding == 2 || binding == STB_GNU_UNIQUE) {
        return None;
    }
    let has_value = s.st_value != 0 || s.st_shndx == SHN_ABS || kind == 6;
    let base_type = matches!(kind, 0 | 1 | 2 | 6) || kind == STT_COMMON;
    let hidden = versym.is_some_and(|v| v & 0x8000 != 0);
    Some(Def {
        sym: u32::try_from(s.index).ok()?,
        st_name: s.st_name,
        versym,
        glibc: has_value && (base_type || kind == STT_GNU_IFUNC),
        musl: has_value && base_type && !hidden,
    })
}

/// An ELF file, read for loading.
#[derive(Debug, Default)]
pub struct Object {
    pub is_64: bool,
    pub big_endian: bool,
    pub e_type: u16,
    pub e_machine: u16,
    /// `PT_INTERP`.
    pub interp: Option<Box<[u8]>>,
    pub has_dynamic: bool,
    pub soname: Option<Box<[u8]>>,
    pub needed: Vec<Box<[u8]>>,
    /// Each `DT_RPATH` / `DT_RUNPATH` string whole, in order.
    pub rpath: Vec<Box<[u8]>>,
    pub runpath: Vec<Box<[u8]>>,
    /// `DF_1_NODEFLIB`: no cache hit in a system directory, no default directories.
    pub nodeflib: bool,
    /// `DT_BIND_NOW`, `DF_BIND_NOW` or `DF_1_NOW`.
    pub bind_now: bool,
    /// `DT_VERDEF` is present (a provider without it satisfies any version).
    pub has_verdef: bool,
    /// Relocation records (`DT_RELA`, `DT_REL`, `DT_JMPREL` with a size):
    /// a loader that does not check the machine fails on them.
    pub has_relocs: bool,
    /// `vd_hash`, name of each non-base `Verdef`.
    pub verdefs: Vec<Version>,
    /// Per needed file (`vn_file`), the versions required.
    pub verneeds: Vec<(Box<[u8]>, Vec<Needed>)>,
    /// `l_versions`: version index → version, for versym values; sorted
    /// by index (see [`Object::version`]).
    pub versions: Vec<(u16, Version)>,
    /// Version index → position in `verneeds` of the file that defines it,
    /// sorted by index.
    pub version_files: Vec<(u16, u16)>,
    /// A `DT_VERSYM` table with entries: without one, glibc takes every
    /// definition as unversioned (and asserts when a reference names this
    /// file as its version's definer).
    pub has_versym: bool,
    pub symbols: Symbols,
    /// `GNU_PROPERTY_X86_ISA_1_NEEDED` bits.
    pub isa_needed: Option<u32>,
    /// Structures that could not be read: what the simulation decides
    /// from this file cannot be trusted (rules treat it as unknown).
    pub damage: Vec<String>,
    /// Whether the symbol tables could be read whole.
    pub symbols_known: bool,
}

/// Sorts `(index, value)` pairs by index, keeping the last value given for
/// an index (as inserting them in turn into a map would).
fn last_per_index<T>(mut v: Vec<(u16, T)>) -> Vec<(u16, T)> {
    // Stable: equal indexes stay in the order given.
    v.sort_by_key(|(k, _)| *k);
    let mut out: Vec<(u16, T)> = Vec::new();
    for (k, x) in v {
        match out.last_mut() {
            Some(last) if last.0 == k => last.1 = x,
            _ => out.push((k, x)),
        }
    }
    out
}

impl Object {
    /// The version of index `ndx` (`l_versions[ndx]`).
    pub fn version(&self, ndx: u16) -> Option<&Version> {
        let k = self.versions.binary_search_by_key(&ndx, |(k, _)| *k).ok()?;
        self.versions.get(k).map(|(_, v)| v)
    }

    /// The version a reference requires.
    pub fn ref_version(&self, r: &Ref) -> Option<&Version> {
        r.version.and_then(|n| self.version(n))
    }

    fn version_file(&self, ndx: u16) -> Option<u16> {
        let k = self
            .version_files
            .binary_search_by_key(&ndx, |(k, _)| *k)
            .ok()?;
        self.version_files.get(k).map(|(_, f)| *f)
    }

    /// Reads an object from any byte source.
    pub fn read<'d, R: ReadRef<'d> + crate::input::Keep>(data: R) -> Result<Object, String> {
        Object::read_as(data, Defs::Now)
    }

    /// [`Object::read`], its definitions made `when`.
    pub fn read_as<'d, R: ReadRef<'d> + crate::input::Keep>(
        data: R,
        when: Defs,
    ) -> Result<Object, String> {
        let view = elf::open(data).map_err(|e| e.to_string())?;
        let h = view.header();
        let mut o = Object {
            is_64: h.class == elf::Class::Elf64,
            big_endian: h.byte_order == elf::ByteOrder::Big,
            e_type: h.e_type,
            e_machine: h.e_machine,
            ..Object::default()
        };
        o.damage.extend(view.errors().iter().map(|e| e.to_string()));
        match view.interpreter() {
            Ok(i) => o.interp = i.map(Box::from),
            Err(e) => o.damage.push(e.to_string()),
        }
        let mut gnu_hash_at = None;
        match view.dynamic() {
            Ok(Some(d)) => {
                o.has_dynamic = true;
                gnu_hash_at = d.addresses.dt_gnu_hash;
                o.soname = d.soname.map(Box::from);
                o.needed = d.needed.iter().map(|n| Box::from(*n)).collect();
                o.rpath = d.rpath_entries.iter().map(|n| Box::from(*n)).collect();
                o.runpath = d.runpath_entries.iter().map(|n| Box::from(*n)).collect();
                let flags_1 = d.flags_1.unwrap_or(0);
                o.nodeflib = flags_1 & DF_1_NODEFLIB != 0;
                o.bind_now = d.bind_now
                    || flags_1 & DF_1_NOW != 0
                    || d.flags.unwrap_or(0) & DF_BIND_NOW != 0;
                o.has_verdef = d.addresses.dt_verdef.is_some();
                let a = &d.addresses;
                o.has_relocs = [a.dt_relasz, a.dt_relsz, a.dt_pltrelsz]
                    .iter()
                    .any(|s| s.is_some_and(|n| n > 0));
                o.damage.extend(d.errors.iter().map(|e| e.to_string()));
            }
            Ok(None) => {}
            Err(e) => o.damage.push(e.to_string()),
        }
        if let Some(p) = view.notes().properties() {
            o.isa_needed = p.x86_isa_needed.as_ref().map(|names| isa_bits(names));
        }
        let versions = match view.versions() {
            Ok(v) => v,
            Err(e) => {
                o.damage.push(e.to_string());
                None
            }
        };
        if let Some(v) = &versions {
            o.damage.extend(v.errors.iter().map(|e| e.to_string()));
            for d in &v.definitions {
                let version = Version {
                    name: Box::from(d.name),
                    hash: d.hash,
                };
                // The base version (the file's own name) is not matched
                // against (`_dl_check_map_versions`).
                if d.flags & 1 == 0 {
                    o.versions.push((d.index & 0x7fff, version.clone()));
                }
                o.verdefs.push(version);
            }
            for r in &v.requirements {
                let mut needs = Vec::new();
                let at = u16::try_from(o.verneeds.len()).ok();
                for n in &r.versions {
                    if let Some(at) = at {
                        o.version_files.push((n.index & 0x7fff, at));
                    }
                    o.versions.push((
                        n.index & 0x7fff,
                        Version {
                            name: Box::from(n.name),
                            hash: n.hash,
                        },
                    ));
                    needs.push(Needed {
                        name: Box::from(n.name),
                        hash: n.hash,
                        weak: n.is_weak(),
                    });
                }
                o.verneeds.push((Box::from(r.file), needs));
            }
        }
        o.versions = last_per_index(std::mem::take(&mut o.versions));
        o.version_files = last_per_index(std::mem::take(&mut o.version_files));
        o.read_symbols(&data, &view, versions.as_ref(), gnu_hash_at, when);
        Ok(o)
    }

    fn read_symbols<'d, R: ReadRef<'d>>(
        &mut self,
        data: &impl crate::input::Keep,
        view: &elf::ElfView<'d, R>,
        versions: Option<&elf::Versions<'d>>,
        gnu_hash_at: Option<u64>,
        when: Defs,
    ) {
        let table = match view.dynsyms() {
            Ok(Some(t)) => t,
            Ok(None) => {
                self.symbols_known = true;
                return;
            }
            Err(e) => {
                self.damage.push(e.to_string());
                return;
            }
        };
        self.symbols_known = true;
        let has_versym = versions.is_some_and(|v| v.versym_count() > 0);
        self.has_versym = has_versym;
        let mut syms = Symbols {
            // The file's string table, kept as it was read.
            strings: data.keep_bytes(table.strings()),
            ..Symbols::default()
        };
        let now = when == Defs::Now;
        // At most one per entry; grown by doubling instead, each growth
        // copied the definitions made so far into fresh pages.
        let mut defs = Vec::with_capacity(if now { table.count() } else { 0 });
        let strings = table.strings();
        // A name is readable when a NUL ends it inside the table: when it
        // starts at or before the table's last NUL. Only references need
        // their names now; definitions' are read when first looked up.
        let last_nul = memchr::memrchr(0, strings);
        let mut bad_names = 0usize;
        // Entries, the null symbol included.
        let mut nsyms = 1usize;
        for s in table.raw_iter() {
            nsyms = s.index.saturating_add(1);
            let start = s.st_name as usize;
            if last_nul.is_none_or(|l| start > l) {
                bad_names += 1;
                continue;
            }
            if s.st_shndx != 0 {
                // An unnamed definition is kept (its name is not read here:
                // a cache miss per symbol in a large table); no lookup names it.
                if now {
                    let versym = versions
                        .filter(|_| has_versym)
                        .and_then(|v| v.versym(s.index));
                    defs.extend(def_of(&s, versym));
                }
                continue;
            }
            let binding = s.st_info >> 4;
            // Weak references may stay unresolved; local ones are not looked
            // up; nor is an unnamed one.
            if !(binding == 1 || binding == STB_GNU_UNIQUE) || strings.get(start) == Some(&0) {
                continue;
            }
            let Some(name) = table.name_range(s.st_name) else {
                bad_names += 1;
                continue;
            };
            let versym = versions
                .filter(|_| has_versym)
                .and_then(|v| v.versym(s.index));
            let ndx = versym.map(|v| v & 0x7fff);
            let version = ndx.filter(|&n| self.version(n).is_some());
            let file = ndx.and_then(|n| self.version_file(n));
            syms.refs.push(Ref {
                name,
                hash: gnu_hash(syms.text(name)),
                version,
                hidden: versym.is_some_and(|v| v & 0x8000 != 0),
                file,
            });
        }
        syms.gnu = gnu_hash_at.and_then(|at| GnuHash::read(view, at, nsyms));
        if now {
            let _ = syms
                .table
                .set(DefTable::of(defs, nsyms, syms.gnu.is_some()));
        } else {
            syms.deferred = Some(Deferred {
                syms: data.keep_bytes(table.bytes()),
                versym: versions
                    .filter(|_| has_versym)
                    .map(|v| data.keep_bytes(v.versym_bytes())),
                class: table.class(),
                endian: table.endian(),
                last_nul,
            });
        }
        if bad_names > 0 {
            self.symbols_known = false;
            self.damage.push(format!(
                "dynamic symbol table: {bad_names} symbols have st_name past the end of the \
                 string table"
            ));
        }
        self.symbols = syms;
    }
}

/// `GNU_PROPERTY_X86_ISA_1_NEEDED` bits from the names the property view gives.
fn isa_bits(names: &[String]) -> u32 {
    names
        .iter()
        .map(|n| match n.as_str() {
            "baseline" => 1,
            "v2" => 2,
            "v3" => 4,
            "v4" => 8,
            other => other
                .strip_prefix("bit")
                .and_then(|b| b.parse::<u32>().ok())
                .and_then(|b| 1u32.checked_shl(b))
                .unwrap_or(0),
        })
        .fold(0, |a, b| a | b)
}

/// What glibc's `open_verify` makes of a candidate file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Usable.
    Ok,
    /// Another ELF class: skipped, remembered ("wrong ELF class").
    OtherClass,
    /// Another machine: skipped silently.
    OtherMachine,
    /// Fatal: the search stops and the program does not start.
    Fatal(String),
}

/// glibc's checks on a candidate's first bytes (`elf/dl-load.c`
/// `open_verify`), for a loader of this class, byte order and machine.
/// `head` holds the file's first bytes (up to [`HEAD`]), `len` its length.
pub fn verify_glibc(head: &[u8], len: u64, is_64: bool, big: bool, machine: u16) -> Verdict {
    let ehdr = if is_64 { 64 } else { 52 };
    if len < ehdr || (head.len() as u64) < ehdr {
        return Verdict::Fatal("file too short".into());
    }
    let b = |i: usize| head.get(i).copied().unwrap_or(0);
    if head.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Verdict::Fatal("invalid ELF header".into());
    }
    let class = if is_64 { 2 } else { 1 };
    let data = if big { 2 } else { 1 };
    let osabi = b(7);
    let abiversion = b(8);
    let ident_ok = b(4) == class
        && b(5) == data
        && b(6) == 1
        && (osabi == 0 || osabi == 3)
        && (abiversion == 0 || (osabi == 3 && abiversion < 4))
        && (9..16).all(|i| b(i) == 0);
    if !ident_ok {
        let msg = if b(4) != class {
            return Verdict::OtherClass;
        } else if b(5) != data {
            if big {
                "ELF file data encoding not big-endian"
            } else {
                "ELF file data encoding not little-endian"
            }
        } else if b(6) != 1 {
            "ELF file version ident does not match current one"
        } else if osabi != 0 && osabi != 3 {
            "ELF file OS ABI invalid"
        } else if !(abiversion == 0 || (osabi == 3 && abiversion < 4)) {
            "ELF file ABI version invalid"
        } else {
            "nonzero padding in e_ident"
        };
        return Verdict::Fatal(msg.into());
    }
    let u16_at = |i: usize| {
        let (x, y) = (u16::from(b(i)), u16::from(b(i + 1)));
        if big { (x << 8) | y } else { (y << 8) | x }
    };
    let u32_at = |i: usize| {
        let (lo, hi) = (u32::from(u16_at(i)), u32::from(u16_at(i + 2)));
        if big {
            (lo << 16) | hi
        } else {
            (hi << 16) | lo
        }
    };
    if u32_at(20) != 1 {
        return Verdict::Fatal("ELF file version does not match current one".into());
    }
    if u16_at(18) != machine {
        return Verdict::OtherMachine;
    }
    let e_type = u16_at(16);
    if e_type != 2 && e_type != 3 {
        return Verdict::Fatal("only ET_DYN and ET_EXEC can be loaded".into());
    }
    let phentsize = u16_at(if is_64 { 54 } else { 42 });
    if phentsize != if is_64 { 56 } else { 32 } {
        return Verdict::Fatal("ELF file's phentsize not the expected size".into());
    }
    Verdict::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(st_name: u32) -> Def {
        Def {
            sym: 0,
            st_name,
            versym: None,
            glibc: true,
            musl: true,
        }
    }

    /// Definitions' names are read from the string table at lookup time:
    /// a name is matched whole, up to its NUL, not as a prefix or suffix.
    #[test]
    fn definitions_match_whole_names() {
        let syms = Symbols {
            strings: crate::input::SharedBytes::copy_of(b"\0foobar\0foo\0bar\0"),
            table: std::sync::OnceLock::from(DefTable {
                defs: vec![def(1), def(8), def(4), def(12), def(1)],
                def_at: Box::default(),
            }),
            ..Symbols::default()
        };
        let count = |n: &[u8]| syms.find(n, gnu_hash(n)).count();
        assert_eq!(count(b"foobar"), 2);
        assert_eq!(count(b"foo"), 1);
        assert_eq!(count(b"bar"), 2, "\"bar\" is also the tail of \"foobar\"");
        assert_eq!(count(b"fo"), 0);
        assert_eq!(count(b"foobarx"), 0);
    }

    /// A program's definitions made at the first lookup are those made
    /// when it is read, and lookups find the same ones: over every ELF
    /// fixture and a few system libraries (GNU hash and not, 32-bit too).
    #[test]
    fn deferred_definitions_are_the_definitions() {
        let mut files: Vec<std::path::PathBuf> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/bin"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file())
                .collect();
        files.extend(
            [
                "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib/x86_64-linux-gnu/libm.so.6",
                "/bin/sh",
            ]
            .iter()
            .map(std::path::PathBuf::from)
            .filter(|p| p.exists()),
        );
        let mut compared = 0;
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            let (Ok(now), Ok(later)) = (
                Object::read_as(&bytes[..], Defs::Now),
                Object::read_as(&bytes[..], Defs::WhenAsked),
            ) else {
                continue;
            };
            assert!(
                later.symbols.table.get().is_none(),
                "{f:?}: made before asked"
            );
            let (a, b) = (&now.symbols, &later.symbols);
            assert_eq!(a.refs.len(), b.refs.len(), "{f:?}");
            assert_eq!(a.defs(), b.defs(), "{f:?}");
            let key = |d: &Def| (d.sym, d.st_name, d.versym, d.glibc, d.musl);
            let (ta, tb) = (a.table(), b.table());
            assert!(ta.defs.iter().map(key).eq(tb.defs.iter().map(key)), "{f:?}");
            assert_eq!(ta.def_at, tb.def_at, "{f:?}");
            for d in &ta.defs {
                let name = a.strings.get(d.st_name as usize..).unwrap_or_default();
                let name = &name[..memchr::memchr(0, name).unwrap_or(0)];
                let h = gnu_hash(name);
                assert!(
                    a.find(name, h).map(key).eq(b.find(name, h).map(key)),
                    "{f:?}"
                );
            }
            compared += 1;
        }
        assert!(compared >= 5, "only {compared} files compared");
    }

    /// As a map would keep them: the last value given for an index.
    #[test]
    fn versions_keep_the_last_per_index() {
        let v = last_per_index(vec![(3, 'a'), (2, 'b'), (3, 'c'), (2, 'd'), (1, 'e')]);
        assert_eq!(v, [(1, 'e'), (2, 'd'), (3, 'c')]);
    }

    #[test]
    fn name_hash_sees_every_byte() {
        let names: [&[u8]; 6] = [b"", b"a", b"b", b"abcdefgh", b"abcdefgi", b"abcdefgh\x01"];
        for (i, a) in names.iter().enumerate() {
            for b in names.iter().skip(i + 1) {
                assert_ne!(name_hash(a), name_hash(b), "{a:?} {b:?}");
            }
        }
    }

    fn header(is_64: bool, big: bool, machine: u16, e_type: u16) -> Vec<u8> {
        crate::elf::testutil::Builder::new(is_64, big, machine, e_type).build()
    }

    #[test]
    fn glibc_accepts_and_refuses_like_open_verify() {
        let good = header(true, false, 62, 3);
        let len = good.len() as u64;
        let check = |h: &[u8]| verify_glibc(h, h.len() as u64, true, false, 62);
        assert_eq!(check(&good), Verdict::Ok);
        assert_eq!(
            verify_glibc(&good, len, true, false, 183),
            Verdict::OtherMachine
        );
        let i386 = header(false, false, 3, 3);
        assert_eq!(check(&i386), Verdict::OtherClass);
        assert_eq!(
            check(b"#!/bin/sh\nexec something else entirely, long enough to be a header\n"),
            Verdict::Fatal("invalid ELF header".into())
        );
        assert_eq!(check(&good[..40]), Verdict::Fatal("file too short".into()));
        let mut m = good.clone();
        m[5] = 2;
        assert_eq!(
            check(&m),
            Verdict::Fatal("ELF file data encoding not little-endian".into())
        );
        let mut m = good.clone();
        m[7] = 9;
        assert_eq!(check(&m), Verdict::Fatal("ELF file OS ABI invalid".into()));
        let mut m = good.clone();
        m[7] = 3;
        m[8] = 1;
        assert_eq!(check(&m), Verdict::Ok, "GNU OS ABI, ABI version 1");
        m[7] = 0;
        assert_eq!(
            check(&m),
            Verdict::Fatal("ELF file ABI version invalid".into())
        );
        let mut m = good.clone();
        m[12] = 1;
        assert_eq!(
            check(&m),
            Verdict::Fatal("nonzero padding in e_ident".into())
        );
        let rel = header(true, false, 62, 1);
        assert_eq!(
            check(&rel),
            Verdict::Fatal("only ET_DYN and ET_EXEC can be loaded".into())
        );
    }
}
