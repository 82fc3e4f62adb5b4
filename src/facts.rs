//! The report: one serializable record of facts per file, and nothing else.
//!
//! Field names are a contract (scripts key on them): they are snake_case and
//! never renamed. `docs/facts.md` describes every field. Logic lives in
//! `inspect` (which fills this in) and `policy` (which reads it).

use serde::Serialize;

pub use crate::elf::Properties;
pub use crate::go::modinfo::{Module, Setting};

/// Version of the JSON document layout; bumped on any incompatible change.
pub const SCHEMA: &str = "elfgate.inspect/v1";

/// `{"schema": ..., "files": [...]}`, the one document `inspect --format json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub schema: String,
    /// The image the files came from (`--image`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageFacts>,
    pub files: Vec<Report>,
}

/// The image a run read (`--image`): which one, and how it was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImageFacts {
    /// The reference as given, e.g. `oci:/images/app:v1`.
    pub reference: String,
    /// The manifest's digest (for a legacy docker-archive, the config's).
    pub digest: String,
    /// `os/arch[/variant]` of the image, from its config.
    pub platform: String,
    /// How many layers it has.
    pub layers: usize,
    /// Entries skipped while applying the layers, each naming the entry
    /// and why (`../` names, writes through symlinks out of the image...).
    pub warnings: Vec<String>,
}

/// The layer whose entry supplied a file's bytes (for a hard link, the
/// layer of the link entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerRef {
    /// From 1 (the lowest layer) to the number of layers.
    pub index: usize,
    /// The layer's uncompressed digest, as in the config's `rootfs.diff_ids`.
    pub diff_id: String,
}

/// Everything elfgate established about one file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The path as the user named it (inside `--root` when one is given).
    pub path: String,
    /// Hex SHA-256 of the whole file; `null` unless a digest was asked for
    /// (`inspect --digest`, or a `sha256` rule in `check`): hashing reads every byte.
    pub sha256: Option<String>,
    pub size: u64,
    /// `null` only when the file could not be parsed as ELF at all.
    pub elf: Option<ElfFacts>,
    /// `null` when nothing in the file says it was built by a Go toolchain.
    pub go: Option<GoFacts>,
    /// Hex of the GNU build-id note's descriptor.
    pub gnu_build_id: Option<String>,
    pub properties: Properties,
    pub symbols: SymbolCounts,
    /// Per needed file (`vn_file`), the version names it is required at.
    pub needed_versions: Vec<NeededVersions>,
    /// Highest `GLIBC_x.y[.z]` required from glibc-family libraries, if any.
    pub max_glibc: Option<String>,
    /// Structures that could not be read; any entry makes `inspect` exit 3.
    pub errors: Vec<String>,
    /// Oddities that were tolerated (a misaligned note, an unknown property).
    pub warnings: Vec<String>,
    /// With `--image`: the layer that supplied the file; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
    /// The answers to the symbol patterns of `check`; never serialized.
    #[serde(skip)]
    pub symbol_search: Option<SymbolSearch>,
    /// What the dynamic loader of the root would do with this file: absent
    /// unless asked for (`inspect --load`, `check --loadable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadFacts>,
}

/// The load closure of one file, simulated in the root (see `docs/load.md`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadFacts {
    /// `glibc`, `musl`, `static` (no loader needed) or `unknown`.
    pub loader: String,
    /// `null` for a file that needs no interpreter.
    pub interpreter: Option<LoadInterpreter>,
    /// Every object loaded besides the file itself, breadth-first, each once.
    pub objects: Vec<LoadObject>,
    /// What would stop the program from starting, each tied to a rule.
    pub problems: Vec<LoadProblem>,
    /// The CPU the node checks and search paths assumed, e.g. `x86-64-v3 (host)`.
    pub cpu: String,
    /// The glibc release of the root's loader, when it is glibc and says so.
    pub glibc: Option<String>,
    /// What the loader would print without failing (`no version information
    /// available`), and what elfgate assumed.
    pub warnings: Vec<String>,
    /// Checks that could not be made: their rules are unknown (fail closed).
    pub unchecked: Vec<LoadUnchecked>,
}

/// `PT_INTERP` and where it leads in the root.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadInterpreter {
    /// As the file names it.
    pub path: String,
    /// The file it resolves to inside the root; `null` when it is missing.
    pub found: Option<String>,
}

/// One loaded object.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadObject {
    /// The `DT_NEEDED` name it was first asked for by.
    pub needed: String,
    /// The path the loader opens (as `ldd` prints it, not normalised);
    /// `null` when it was not found.
    pub path: Option<String>,
    /// How it was found: `rpath`, `ld_library_path`, `runpath`, `cache`,
    /// `default`, `direct` (a name with `/`) or `loaded` (already in the
    /// process: the interpreter, or musl's own libc); `null` when not found.
    pub via: Option<String>,
    /// The objects that need it (their paths; the file's own path for it).
    pub needed_by: Vec<String>,
}

/// One reason the program would not start.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadProblem {
    /// `interpreter_missing`, `interpreter_invalid`, `interpreter_not_executable`,
    /// `library_missing`, `library_invalid`, `version_missing`,
    /// `symbol_undefined`, `isa_unsupported`, `goamd64_unsupported`, `machine_mismatch`.
    pub kind: String,
    /// The rule that fails on it: `load.interpreter`, `load.library`,
    /// `load.version`, `load.symbol` or `node.cpu`.
    pub rule: String,
    /// The object concerned (a path).
    pub object: String,
    /// What is missing or wrong: a library name, a version, a symbol, a level.
    pub subject: String,
    /// What the real loader (or kernel, or Go runtime) would print.
    pub message: String,
}

/// A check the simulation could not make.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadUnchecked {
    /// The rule left unknown.
    pub rule: String,
    pub reason: String,
}

/// ELF header and dynamic-linking facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ElfFacts {
    /// `ELF32` or `ELF64`.
    pub class: String,
    /// `little` or `big`.
    pub endian: String,
    /// Machine name, e.g. `x86_64`, `aarch64`, `ppc64`.
    pub machine: String,
    /// Raw `e_machine`.
    pub machine_code: u16,
    /// The GOARCH this machine, class and byte order correspond to.
    pub goarch: Option<String>,
    /// `EXEC`, `DYN`, `REL`, `CORE` or `0x....`.
    #[serde(rename = "type")]
    pub elf_type: String,
    /// Position-independent executable (DYN with an interpreter, or DF_1_PIE).
    pub pie: bool,
    /// `static` (no interpreter, nothing needed), `static-pie` (DYN that
    /// relocates itself) or `dynamic`. A shared library that needs nothing
    /// is `static` too: it loads into any process without further libraries.
    pub linking: String,
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    pub soname: Option<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    /// Whether a section header table was present.
    pub section_headers: bool,
}

/// Where the Go version came from; `exact` tells a gate whether to trust it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionSource {
    /// `.go.buildinfo` (exact).
    Buildinfo,
    /// The `runtime.buildVersion` string (exact).
    Symbol,
    /// The DWARF producer of a Go compile unit (exact).
    Dwarf,
    /// gccgo: the GCC release in the DWARF producer mapped to the Go release
    /// its libgo implements (inferred).
    GccgoRelease,
    /// `.gopclntab` magic: a range of releases only (inferred).
    Pclntab,
    /// A Go version string found in read-only data (inferred).
    StringScan,
}

impl VersionSource {
    /// Whether a version from this source is exact (as opposed to inferred).
    pub fn is_exact(self) -> bool {
        matches!(self, Self::Buildinfo | Self::Symbol | Self::Dwarf)
    }
}

/// Go toolchain facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GoFacts {
    /// The version string as the toolchain wrote it, e.g. `go1.20.5 X:boringcrypto`.
    pub version: Option<String>,
    /// Its semantic version, ordered the way Go orders versions
    /// (`go1.21` → `1.21.0-0`, `go1.21rc2` → `1.21.0-rc.2`).
    pub semver: Option<String>,
    /// True when `version` came from build info, a symbol or DWARF.
    pub exact: bool,
    /// A release range when only a range is known, e.g. `>=1.20`.
    pub range: Option<String>,
    pub version_source: Option<VersionSource>,
    /// `gc` or `gccgo`.
    pub compiler: Option<String>,
    /// Main package path (`path` line of the module info).
    pub path: Option<String>,
    pub main: Option<Module>,
    pub deps: Vec<Module>,
    /// Build settings in the order written.
    pub settings: Vec<Setting>,
    /// Experiments from `GOEXPERIMENT` and from the version suffix, lowercased, deduplicated.
    pub experiments: Vec<String>,
    /// FIPS 140 mode: `GOFIPS140` set, `fips140=on` in DefaultGODEBUG, or
    /// BoringCrypto actually linked. `null` when that cannot be established.
    pub fips: Option<bool>,
    /// Which evidence made `fips` true.
    pub fips_evidence: Vec<String>,
    /// cgo actually used (runtime/cgo linked), not just `CGO_ENABLED=1`.
    pub cgo: Option<bool>,
    /// `-buildmode` setting, or what the file shape implies when absent.
    pub buildmode: Option<String>,
    /// The per-architecture level setting, e.g. `{key: GOAMD64, value: v3}`.
    pub arch_level: Option<Setting>,
    /// The Go build ID from `.note.go.buildid` (or gccgo's GNU note).
    pub build_id: Option<String>,
    /// `inline` (Go 1.18+) or `pointer` (1.13–1.17); `null` without build info.
    pub buildinfo_format: Option<String>,
}

/// Symbol counts; the symbols themselves are indexed on demand for rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SymbolCounts {
    pub symtab: u64,
    pub dynsym: u64,
    /// Functions named by `.gopclntab` (present even in stripped Go binaries).
    pub pclntab: u64,
}

/// The versions required from one needed file, e.g. `libc.so.6`: `GLIBC_2.34`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NeededVersions {
    pub file: String,
    pub versions: Vec<String>,
    /// Versions marked weak (`VER_FLG_WEAK`): a missing one does not stop loading.
    pub weak: Vec<String>,
}

/// Which symbol table a symbol came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolTable {
    Symtab,
    Dynsym,
    /// A function named by `.gopclntab`: always a defined Go function.
    Pclntab,
}

/// `STT_*`, folded to what rules distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolKind {
    Func,
    Object,
    Tls,
    Section,
    File,
    Notype,
    Other,
}

/// `STB_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolBinding {
    Local,
    Global,
    Weak,
    Other,
}

/// One symbol as rules see it, borrowed from a [`SymbolIndex`].
#[derive(Debug, Clone, Copy)]
pub struct SymbolRef<'a> {
    /// Raw name bytes: symbol names need not be UTF-8.
    pub name: &'a [u8],
    pub table: SymbolTable,
    pub kind: SymbolKind,
    pub binding: SymbolBinding,
    /// Defined in this file (`st_shndx != SHN_UNDEF`).
    pub defined: bool,
    pub size: u64,
    /// GNU symbol version name (`GLIBC_2.14`), if the symbol has one beyond local/global.
    pub version: Option<&'a [u8]>,
    /// The versym hidden bit: `sym@V` rather than the default `sym@@V`.
    pub version_hidden: bool,
}

impl<'a> SymbolRef<'a> {
    /// A function the pclntab names: always a defined global function, of
    /// no known size or version.
    pub fn pclntab_function(name: &'a [u8]) -> Self {
        SymbolRef {
            name,
            table: SymbolTable::Pclntab,
            kind: SymbolKind::Func,
            binding: SymbolBinding::Global,
            defined: true,
            size: 0,
            version: None,
            version_hidden: false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    name: (u32, u32),
    version: Option<(u32, u32)>,
    table: SymbolTable,
    kind: SymbolKind,
    binding: SymbolBinding,
    defined: bool,
    version_hidden: bool,
    size: u64,
}

/// Symbols pushed by hand (tests, tools): names and versions in one arena.
/// A file's own tables are never copied into one of these; inspect offers
/// them to a [`SymbolQuery`] as it reads them.
#[derive(Debug, Clone, Default)]
pub struct SymbolIndex {
    arena: Vec<u8>,
    entries: Vec<Entry>,
    /// Which tables are present (an absent table is unknown, not empty).
    pub present: Vec<SymbolTable>,
}

impl SymbolIndex {
    /// Appends one symbol; names and versions are copied into the arena.
    /// Returns false (and stores nothing) once the arena would pass 4 GiB.
    pub fn push(&mut self, sym: SymbolRef<'_>) -> bool {
        let Some(name) = self.intern(sym.name) else {
            return false;
        };
        let version = match sym.version {
            Some(v) => match self.intern(v) {
                Some(r) => Some(r),
                None => return false,
            },
            None => None,
        };
        self.entries.push(Entry {
            name,
            version,
            table: sym.table,
            kind: sym.kind,
            binding: sym.binding,
            defined: sym.defined,
            version_hidden: sym.version_hidden,
            size: sym.size,
        });
        true
    }

    fn intern(&mut self, bytes: &[u8]) -> Option<(u32, u32)> {
        let start = u32::try_from(self.arena.len()).ok()?;
        let len = u32::try_from(bytes.len()).ok()?;
        start.checked_add(len)?;
        self.arena.extend_from_slice(bytes);
        Some((start, len))
    }

    fn slice(&self, (start, len): (u32, u32)) -> &[u8] {
        // Ranges were produced by `intern` over this arena, which only grows.
        let start = start as usize;
        self.arena
            .get(start..start + len as usize)
            .unwrap_or_default()
    }

    /// Marks a table as present even if it holds no symbols.
    pub fn mark_present(&mut self, table: SymbolTable) {
        if !self.present.contains(&table) {
            self.present.push(table);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every symbol, in the order pushed.
    pub fn iter(&self) -> impl Iterator<Item = SymbolRef<'_>> {
        self.entries.iter().map(|e| SymbolRef {
            name: self.slice(e.name),
            table: e.table,
            kind: e.kind,
            binding: e.binding,
            defined: e.defined,
            size: e.size,
            version: e.version.map(|v| self.slice(v)),
            version_hidden: e.version_hidden,
        })
    }

    /// Answers `query` over these symbols, as inspect does over a file's.
    pub fn search(&self, query: &dyn SymbolQuery) -> SymbolSearch {
        let mut hits = vec![SymbolHit::default(); query.len()];
        for sym in self.iter() {
            query.offer(&sym, &mut hits);
        }
        SymbolSearch {
            hits,
            present: self.present.clone(),
        }
    }
}

/// What one symbol pattern matched in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolHit {
    /// Matching symbols found (a lower bound when `more_names` is not 0).
    pub count: u64,
    /// The first few matching symbols, as `name@VER (table)`.
    pub examples: Vec<String>,
    /// Further names in the pclntab's name table that match but were not
    /// looked up as functions: once a pattern is decided, the rest of the
    /// table's function records are not read to count them.
    pub more_names: u64,
}

/// Symbol patterns, asked of a file while it is open: the tables are read
/// once, whatever the number of patterns, and never copied whole. The
/// policy layer implements it; inspect offers what it reads.
pub trait SymbolQuery: Sync + std::fmt::Debug {
    /// How many patterns: the length of [`SymbolSearch::hits`].
    fn len(&self) -> usize;

    /// Whether there are no patterns.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts `sym` for every pattern it matches.
    fn offer(&self, sym: &SymbolRef<'_>, hits: &mut [SymbolHit]);

    /// Appends the index of every pattern `sym` matches, without counting:
    /// the pclntab's names are matched first and looked up as functions
    /// afterwards.
    fn matching(&self, sym: &SymbolRef<'_>, out: &mut Vec<usize>);

    /// Whether pattern `i` matches a proper tail of `sym.name` (down to
    /// the empty one): a function may be named by a string's tail, so a
    /// string whose tail matches keeps a pattern undecided. True also when
    /// that would cost too much to tell (the caller then reads more).
    fn tail_matches(&self, sym: &SymbolRef<'_>, i: usize) -> bool;

    /// Appends the `(start, end)` of every NUL-separated string of `block`
    /// that may match a pattern (`end` at its NUL or the block end): each
    /// string that holds a pattern's literal part, or all of them when a
    /// pattern has none. Only these are then [`offer`](Self::offer)ed.
    fn candidates(&self, block: &[u8], out: &mut Vec<(usize, usize)>);

    /// [`candidates`](Self::candidates) for only the patterns `open[i]`
    /// says are still looked for: a pattern already found needs no more
    /// names. `None` when it cannot narrow (then `candidates` is used).
    fn narrowed(&self, open: &[bool]) -> Option<Narrowed<'_>> {
        let _ = open;
        None
    }
}

/// A narrower [`SymbolQuery::candidates`].
pub type Narrowed<'q> = Box<dyn Fn(&[u8], &mut Vec<(usize, usize)>) + Sync + 'q>;

/// The answers to a [`SymbolQuery`] for one file.
#[derive(Debug, Clone, Default)]
pub struct SymbolSearch {
    /// One per pattern, in the query's order.
    pub hits: Vec<SymbolHit>,
    /// Which tables the file has (an absent table is unknown, not empty).
    pub present: Vec<SymbolTable>,
}

/// The rules' view of a symbol the ELF layer read.
pub fn from_elf(s: crate::elf::Symbol<'_>) -> SymbolRef<'_> {
    use crate::elf::{Binding, SymbolKind as K, SymbolTableKind};
    SymbolRef {
        name: s.name,
        table: match s.table {
            SymbolTableKind::Symtab => SymbolTable::Symtab,
            SymbolTableKind::Dynsym => SymbolTable::Dynsym,
        },
        kind: match s.kind {
            K::Func => SymbolKind::Func,
            K::Object => SymbolKind::Object,
            K::Tls => SymbolKind::Tls,
            K::Section => SymbolKind::Section,
            K::File => SymbolKind::File,
            K::NoType => SymbolKind::Notype,
            K::Other(_) => SymbolKind::Other,
        },
        binding: match s.binding {
            Binding::Local => SymbolBinding::Local,
            Binding::Global => SymbolBinding::Global,
            Binding::Weak => SymbolBinding::Weak,
            Binding::Other(_) => SymbolBinding::Other,
        },
        defined: s.defined,
        size: s.size,
        version: s.version.map(|v| v.name),
        version_hidden: s.version.is_some_and(|v| v.hidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trips_names_and_versions() {
        let mut idx = SymbolIndex::default();
        for (name, ver) in [(&b"memcpy"[..], Some(&b"GLIBC_2.14"[..])), (b"main", None)] {
            assert!(idx.push(SymbolRef {
                name,
                table: SymbolTable::Dynsym,
                kind: SymbolKind::Func,
                binding: SymbolBinding::Global,
                defined: ver.is_none(),
                size: 0,
                version: ver,
                version_hidden: false,
            }));
        }
        let got: Vec<_> = idx.iter().map(|s| (s.name, s.version, s.defined)).collect();
        assert_eq!(
            got,
            vec![
                (&b"memcpy"[..], Some(&b"GLIBC_2.14"[..]), false),
                (&b"main"[..], None, true)
            ]
        );
    }
}
