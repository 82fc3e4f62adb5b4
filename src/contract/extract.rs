//! One file → its contract ([`FileContract`]) and the Go module hash
//! tables plugin and shared-library checks compare ([`GoLink`]).
//!
//! The per-file facts come from `inspect` (the same report `inspect`
//! prints); this module adds what only a contract needs, from the same
//! bytes and the same ELF views: the exported dynamic symbols with their
//! versions, and Go's hash tables (`go:link.pkghashbytes.*` data, a
//! plugin's `pkghashes` and a `-linkshared` executable's `modulehashes`
//! through the relocations that bind them, the `.note.go.abihash` note).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use object::read::ReadRef;

use super::model::{
    ElfIdentity, Export, ExportFields, FileContract, GoContract, LibraryHash, Module,
    NeededVersions, PackageHash, Properties, Setting,
};
use crate::elf::{self, Binding, ByteOrder, Class, SymbolKind, SymbolTableKind, Visibility};
use crate::facts::Report;
use crate::go::Positional;
use crate::go::modulehash::{self, Words};
use crate::input::{self, escape_bytes, hex};
use crate::inspect::{self, FileError, Options};

/// `SHN_ABS`: where a version definition's marker symbol lives.
const SHN_ABS: u16 = 0xfff1;
/// `STT_COMMON`, `STT_GNU_IFUNC`, `STB_GNU_UNIQUE`.
const STT_COMMON: u8 = 5;
const STT_GNU_IFUNC: u8 = 10;
const STB_GNU_UNIQUE: u8 = 10;
/// Go's note name and ABI hash note type (cmd/link/internal/ld/elf.go).
const GO_NOTE: &[u8] = b"Go";
const NT_GO_ABIHASH: u32 = 2;

const PKGHASH: &str = "go:link.pkghash.";
const PKGHASHBYTES: &str = "go:link.pkghashbytes.";
const ABIHASH: &str = "go:link.abihash.";

/// What a plugin or shared-library check compares, beyond the contract.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoLink {
    /// `go:link.pkghashbytes.<pkg>` this file defines and exports: what a
    /// plugin's package hashes bind to when this file is its host.
    pub exported: BTreeMap<String, Vec<u8>>,
    /// This file's `moduledata.pkghashes` (a plugin): package and the hash
    /// it was linked with, in table order (the order `plugin.Open` checks).
    pub plugin_table: Vec<(String, Vec<u8>)>,
    /// This file's `moduledata.modulehashes` (linked with `-linkshared`):
    /// library and the ABI hash it was linked against, in table order.
    pub module_hashes: Vec<(String, Vec<u8>)>,
    /// This file's own ABI hash as a Go shared library: the name it is
    /// bound by and the note's bytes.
    pub abihash: Option<(String, Vec<u8>)>,
}

/// A file's report, contract and Go hash tables.
#[derive(Debug, Clone)]
pub struct Extracted {
    pub report: Report,
    pub contract: FileContract,
    pub link: GoLink,
    /// Structures the contract needs that could not be read (besides the
    /// report's own `errors`): the contract is incomplete.
    pub errors: Vec<String>,
    /// Whether the file links package `plugin` (asked of plugin hosts
    /// only: it reads the pclntab's name table); `None` when not asked or
    /// not knowable.
    pub links_plugin: Option<bool>,
    /// With [`Exports::Table`]: the exports, which `contract.symbols` then
    /// leaves out.
    pub table: Option<Arc<ExportTable>>,
}

/// How the exports are handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exports {
    /// As records, in `contract.symbols` (what a diff compares).
    Records,
    /// As an [`ExportTable`]: what a snapshot writes, without a record
    /// (and two strings) per export, most of a large library's snapshot
    /// time.
    Table,
}

/// A file's exports as positions in its symbol index, in the canonical
/// order of a contract's `symbols`, deduplicated.
#[derive(Debug, Clone)]
pub struct ExportTable {
    index: elf::SymbolIndex,
    order: Vec<u32>,
}

impl ExportTable {
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Calls `f` with each export of `range` (positions in the order), in
    /// order, as its record would read.
    pub fn each(&self, range: std::ops::Range<usize>, mut f: impl FnMut(ExportFields<'_>)) {
        for &i in self.order.get(range).unwrap_or_default() {
            if let Some(s) = self.index.get(i as usize) {
                let x = Found::of(&s);
                let kind = kind_name(x.kind);
                f(ExportFields {
                    name: &x.name,
                    version: x.version.as_deref(),
                    default: x.default,
                    kind: &kind,
                    binding: x.binding,
                    size: x.size,
                });
            }
        }
    }

    /// The exports as records (made on every thread, in place).
    fn records(&self) -> Vec<Export> {
        use rayon::prelude::*;
        let mut made: Vec<Option<Export>> = Vec::with_capacity(self.order.len());
        self.order
            .par_iter()
            .map_init(VersionCache::default, |versions, &i| {
                self.index
                    .get(i as usize)
                    .map(|s| Found::of(&s).export(versions))
            })
            .collect_into_vec(&mut made);
        // `filter_map` collects into the same allocation; `flatten` would
        // copy every record into a new one.
        #[allow(clippy::filter_map_identity)]
        made.into_iter().filter_map(|x| x).collect()
    }
}

/// Reads one opened file (see [`inspect::inspect_file`]), with its digest;
/// `host` also asks whether it links package `plugin`.
pub fn extract_file(
    display: &str,
    opened: input::Opened,
    host: bool,
    exports: Exports,
) -> Result<Extracted, FileError> {
    let size = opened.len;
    // Hashed beside the parse, through a second descriptor: the parse reads
    // at offsets, so the hash's moving offset does not concern it.
    let hashed = opened.file.try_clone().map_err(|e| input::InputError::Io {
        path: display.to_string(),
        op: "dup for sha256",
        source: e,
    })?;
    let (sha256, x) = rayon::join(
        || input::sha256(&hashed, display),
        || {
            input::read_with(opened, |data| {
                let mut x = extract_as(display, data, exports)?;
                if host && let Ok(view) = elf::open(data) {
                    x.links_plugin = links_package(&view, b"plugin");
                }
                Ok::<_, FileError>(x)
            })
        },
    );
    let sha256 = sha256?;
    let mut x = x?;
    x.report.size = size;
    x.report.sha256 = Some(sha256.clone());
    x.contract.sha256 = sha256;
    Ok(x)
}

/// A file already in memory (one inside an image), with its digest;
/// `host` as for [`extract_file`].
pub fn extract_bytes(display: &str, bytes: &[u8], host: bool) -> Result<Extracted, FileError> {
    use sha2::{Digest, Sha256};
    let mut x = extract(display, bytes)?;
    if host && let Ok(view) = elf::open(bytes) {
        x.links_plugin = links_package(&view, b"plugin");
    }
    let sha256 = hex(&Sha256::digest(bytes));
    x.report.size = bytes.len() as u64;
    x.report.sha256 = Some(sha256.clone());
    x.contract.sha256 = sha256;
    Ok(x)
}

/// The pure part, over any byte source. `path` becomes the contract's
/// path; callers replace it with the key they pair files by.
pub fn extract<'d, R: ReadRef<'d> + Positional>(
    path: &str,
    data: R,
) -> Result<Extracted, FileError> {
    extract_as(path, data, Exports::Records)
}

/// [`extract`], with the exports handed over as `exports` says.
pub fn extract_as<'d, R: ReadRef<'d> + Positional>(
    path: &str,
    data: R,
    exports: Exports,
) -> Result<Extracted, FileError> {
    let report = inspect::inspect_data(path, data, &Options::default())?;
    let view = elf::open(data).map_err(|source| FileError::Elf {
        path: path.to_string(),
        source,
    })?;
    let mut errors = Vec::new();
    let mut c = from_report(&report);
    let go_file = report.go.is_some();
    let dynsym = match view.dynsym_index() {
        Ok(i) => Some(i),
        Err(e) => {
            errors.push(format!("{path}: {e}"));
            None
        }
    };
    let version_markers: BTreeSet<Vec<u8>> = match view.versions() {
        Ok(Some(v)) => v.definitions.iter().map(|d| d.name.to_vec()).collect(),
        _ => BTreeSet::new(),
    };
    let surface = report.go.as_ref().map(|g| match g.buildmode.as_deref() {
        Some("plugin") => Surface::Plugin(g.path.clone().unwrap_or_default()),
        Some("c-shared" | "c-archive") => Surface::C,
        _ => Surface::None,
    });
    let mut link = GoLink::default();
    let mut order = Vec::new();
    if let Some(index) = &dynsym {
        for e in index.errors() {
            errors.push(format!("{path}: {e}"));
        }
        // Exports by position in the index, with the first bytes of their
        // names: sorted as that, not as records (see `canonical_order`).
        let mut found: Vec<(Key, u32)> = Vec::new();
        let positions =
            (0..index.len()).filter_map(|i| Some((u32::try_from(i).ok()?, index.get(i)?)));
        for (i, s) in positions {
            if s.table != SymbolTableKind::Dynsym
                || !s.defined
                || s.visibility == Visibility::Hidden
                || s.visibility == Visibility::Internal
                || binding_name(s.binding).is_none()
            {
                continue;
            }
            if s.st_shndx == SHN_ABS && s.value == 0 && version_markers.contains(s.name) {
                continue;
            }
            let name = text_cow(s.name);
            if go_file {
                if let Some(pkg) = name.strip_prefix(PKGHASHBYTES) {
                    match read_symbol(&view, s.value, s.size) {
                        Some(b) => {
                            link.exported.insert(pkg.to_string(), b.to_vec());
                        }
                        None => errors.push(format!(
                            "{path}: {name} at {:#x}: {} bytes not in the file",
                            s.value, s.size
                        )),
                    }
                    continue;
                }
                if is_cgo_glue(&name) {
                    c.cgo_glue.push(name.into_owned());
                    continue;
                }
                if !surface.as_ref().is_some_and(|sf| sf.exports(&name)) {
                    continue;
                }
            }
            found.push((prefix_key(&name), i));
        }
        order = canonical_order(index, found);
    }
    if go_file {
        go_tables(&view, dynsym.as_ref(), &mut link, &mut errors, path);
        if let Some(g) = c.go.as_mut() {
            let mut hashes: BTreeMap<&str, &[u8]> = link
                .exported
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_slice()))
                .collect();
            // A plugin's own table is what it was linked with.
            for (p, h) in &link.plugin_table {
                hashes.insert(p, h);
            }
            g.pkghashes = hashes
                .into_iter()
                .map(|(p, h)| PackageHash {
                    package: p.to_string(),
                    hash: hex(h),
                })
                .collect();
            g.abihash = link.abihash.as_ref().map(|(l, h)| LibraryHash {
                library: l.clone(),
                hash: hex(h),
            });
            g.linkshared = link
                .module_hashes
                .iter()
                .map(|(l, h)| LibraryHash {
                    library: l.clone(),
                    hash: hex(h),
                })
                .collect();
        }
    }
    canonicalize(&mut c);
    let table = dynsym.map(|index| ExportTable { index, order });
    let table = match (table, exports) {
        (Some(t), Exports::Records) => {
            // Made in the canonical order: not sorted again.
            c.symbols = t.records();
            None
        }
        (t, _) => t.filter(|t| !t.is_empty()).map(Arc::new),
    };
    Ok(Extracted {
        report,
        contract: c,
        link,
        errors,
        links_plugin: None,
        table,
    })
}

/// The most name-table bytes read to look for a package (a large Go
/// program's take about 10 MB).
const MAX_NAMES: u64 = 64 << 20;

/// Whether Go package `pkg` is linked: a function of it is named in the
/// pclntab's name table, called or only inlined (`plugin.Open` is inlined
/// into its caller in a host built without cgo). `None` without a Go 1.16+
/// pclntab to read.
pub fn links_package<'d, R: ReadRef<'d>>(view: &elf::ElfView<'d, R>, pkg: &[u8]) -> Option<bool> {
    use crate::go::pclntab;
    let (off, len) = inspect::pclntab_region(view)?;
    let head = view
        .data()
        .read_bytes_at(off, len.min(pclntab::MAX_HEADER_LEN as u64))
        .ok()?;
    let layout = pclntab::name_layout(head, len).ok()??;
    let (start, end) = layout.names;
    let size = end.checked_sub(start)?;
    if size > MAX_NAMES {
        return None;
    }
    let names = view
        .data()
        .read_bytes_at(off.checked_add(start)?, size)
        .ok()?;
    let mut needle = Vec::with_capacity(pkg.len().saturating_add(2));
    needle.push(0);
    needle.extend_from_slice(pkg);
    needle.push(b'.');
    Some(
        names.strip_prefix(&needle[1..]).is_some()
            || memchr::memmem::find(names, &needle).is_some(),
    )
}

/// A name from the file as text: printable ASCII as it is, borrowed
/// (nearly every symbol; checked a byte at a time), anything else as
/// [`input::escape_bytes`] writes it.
fn text_cow(b: &[u8]) -> Cow<'_, str> {
    if input::printable_ascii(b) {
        // Printable ASCII is UTF-8.
        if let Ok(s) = std::str::from_utf8(b) {
            return Cow::Borrowed(s);
        }
    }
    Cow::Owned(escape_bytes(b))
}

/// An export's fields as the contract words them, its text borrowed from
/// the symbol index: made again where needed (ties of the sort, the
/// exports kept) rather than stored for tens of thousands of symbols.
struct Found<'a> {
    name: Cow<'a, str>,
    version: Option<Cow<'a, str>>,
    default: bool,
    kind: SymbolKind,
    binding: &'static str,
    size: Option<u64>,
}

impl<'a> Found<'a> {
    fn of(s: &elf::Symbol<'a>) -> Self {
        let data = matches!(
            s.kind,
            SymbolKind::Object | SymbolKind::Tls | SymbolKind::Other(STT_COMMON)
        );
        Found {
            name: text_cow(s.name),
            version: s.version.map(|v| text_cow(v.name)),
            default: s.version.is_none_or(|v| !v.hidden),
            kind: s.kind,
            binding: binding_name(s.binding).unwrap_or_default(),
            size: data.then_some(s.size),
        }
    }

    /// The order of [`full_order`] over the exports these become.
    fn order(&self, o: &Self) -> std::cmp::Ordering {
        (&self.name, &self.version, self.default)
            .cmp(&(&o.name, &o.version, o.default))
            .then_with(|| kind_name(self.kind).cmp(&kind_name(o.kind)))
            .then_with(|| (self.binding, self.size).cmp(&(o.binding, o.size)))
    }

    fn export(&self, versions: &mut VersionCache) -> Export {
        Export {
            name: self.name.as_ref().to_owned(),
            version: self.version.as_deref().map(|v| versions.get(v)),
            default: self.default,
            kind: kind_name(self.kind),
            binding: self.binding.into(),
            size: self.size,
        }
    }
}

/// The versions last made, to share with the next exports of the same
/// version: a library names a few, and exports in name order mix them.
#[derive(Default)]
struct VersionCache {
    recent: Vec<Arc<str>>,
}

impl VersionCache {
    /// How many versions are kept (the oldest goes first).
    const SIZE: usize = 8;

    fn get(&mut self, v: &str) -> Arc<str> {
        if let Some(a) = self.recent.iter().find(|a| ***a == *v) {
            return a.clone();
        }
        if self.recent.len() >= Self::SIZE {
            self.recent.remove(0);
        }
        let a: Arc<str> = Arc::from(v);
        self.recent.push(a.clone());
        a
    }
}

/// The `binding` word of the bindings an interface has.
fn binding_name(b: Binding) -> Option<&'static str> {
    match b {
        Binding::Global => Some("global"),
        Binding::Weak => Some("weak"),
        Binding::Other(STB_GNU_UNIQUE) => Some("unique"),
        _ => None,
    }
}

/// The `type` word of a symbol kind.
fn kind_name(kind: SymbolKind) -> Cow<'static, str> {
    match kind {
        SymbolKind::Func => "func".into(),
        SymbolKind::Object => "object".into(),
        SymbolKind::Tls => "tls".into(),
        SymbolKind::NoType => "notype".into(),
        SymbolKind::Section => "section".into(),
        SymbolKind::File => "file".into(),
        SymbolKind::Other(STT_GNU_IFUNC) => "ifunc".into(),
        SymbolKind::Other(STT_COMMON) => "common".into(),
        SymbolKind::Other(t) => format!("type-{t}").into(),
    }
}

/// The first 16 bytes of a name as two integers (zero-padded): names in
/// this order are in byte order, and most comparisons of a library's
/// names, which share long prefixes (`_ZN…`, `lib_`), end here. Two
/// `u64`s rather than a `u128`, so that a key and a position take 24
/// bytes, not 32.
type Key = (u64, u64);

fn prefix_key(name: &str) -> Key {
    let mut k = [0u8; 16];
    for (d, s) in k.iter_mut().zip(name.bytes()) {
        *d = s;
    }
    let (hi, lo) = k.split_at(8);
    let word = |b: &[u8]| u64::from_be_bytes(b.try_into().unwrap_or_default());
    (word(hi), word(lo))
}

/// The exports at `found` (positions in `index`, keyed by [`prefix_key`]
/// of their names) in the canonical order of the contract's records
/// ([`full_order`]), deduplicated, as [`canonicalize`] leaves them. Only
/// equal keys compare the exports themselves.
fn canonical_order(index: &elf::SymbolIndex, mut found: Vec<(Key, u32)>) -> Vec<u32> {
    use rayon::prelude::*;
    let at = |i: u32| index.get(i as usize).map(|s| Found::of(&s));
    let order = |a: u32, b: u32| match (at(a), at(b)) {
        (Some(x), Some(y)) => x.order(&y),
        _ => std::cmp::Ordering::Equal,
    };
    found.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| order(a.1, b.1)));
    let mut keep: Vec<u32> = Vec::with_capacity(found.len());
    let mut last: Option<(Key, u32)> = None;
    for &(key, i) in &found {
        if last.is_some_and(|(k, l)| k == key && order(l, i).is_eq()) {
            continue;
        }
        keep.push(i);
        last = Some((key, i));
    }
    keep
}

/// Sorts exports by name, version, then the rest. A library has tens of
/// thousands, and their names share long prefixes (`_ZN…`, `lib_`): each
/// is keyed by its first 16 bytes as one integer, so most comparisons are
/// one integer comparison, and only equal prefixes compare the strings.
/// Equal exports are left once. Exports already in strictly increasing
/// order (every extracted contract's) cost one pass.
fn sort_exports(symbols: &mut Vec<Export>) {
    if symbols.is_sorted_by(|a, b| full_order(a, b).is_lt()) {
        return;
    }
    let prefix = |name: &str| {
        let mut k = [0u8; 16];
        for (d, s) in k.iter_mut().zip(name.bytes()) {
            *d = s;
        }
        u128::from_be_bytes(k)
    };
    let full = full_order;
    let mut order: Vec<(u128, usize)> = symbols
        .iter()
        .enumerate()
        .map(|(i, e)| (prefix(&e.name), i))
        .collect();
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| match (symbols.get(a.1), symbols.get(b.1)) {
                (Some(x), Some(y)) => full(x, y),
                _ => std::cmp::Ordering::Equal,
            })
    });
    let mut slots: Vec<Option<Export>> = std::mem::take(symbols).into_iter().map(Some).collect();
    *symbols = order
        .iter()
        .filter_map(|&(_, i)| slots.get_mut(i).and_then(Option::take))
        .collect();
    symbols.dedup();
}

/// The canonical order of exports: name, version, then the rest.
fn full_order(a: &Export, b: &Export) -> std::cmp::Ordering {
    (&a.name, &a.version, a.default, &a.kind, &a.binding, a.size)
        .cmp(&(&b.name, &b.version, b.default, &b.kind, &b.binding, b.size))
}

/// Sorts every set of a contract, so that equal contracts are equal bytes.
pub fn canonicalize(c: &mut FileContract) {
    sort_exports(&mut c.symbols);
    c.cgo_glue.sort();
    c.cgo_glue.dedup();
    c.needed_versions.sort_by(|a, b| a.file.cmp(&b.file));
    for nv in &mut c.needed_versions {
        nv.versions.sort();
        nv.versions.dedup();
        nv.weak.sort();
        nv.weak.dedup();
    }
    for list in [
        &mut c.properties.x86_feature_1_and,
        &mut c.properties.x86_isa_needed,
        &mut c.properties.aarch64_feature_1_and,
    ]
    .into_iter()
    .flatten()
    {
        list.sort();
        list.dedup();
    }
    if let Some(g) = c.go.as_mut() {
        g.deps
            .sort_by(|a, b| (&a.path, &a.version).cmp(&(&b.path, &b.version)));
        g.experiments.sort();
        g.experiments.dedup();
        g.pkghashes.sort_by(|a, b| a.package.cmp(&b.package));
        g.linkshared.sort_by(|a, b| a.library.cmp(&b.library));
    }
}

/// The contract fields the report already holds.
fn from_report(r: &Report) -> FileContract {
    let elf = r.elf.clone().unwrap_or_default();
    let p = &r.properties;
    FileContract {
        path: r.path.clone(),
        sha256: r.sha256.clone().unwrap_or_default(),
        elf: ElfIdentity {
            class: elf.class,
            endian: elf.endian,
            machine: elf.machine,
            elf_type: elf.elf_type,
        },
        soname: elf.soname,
        interpreter: elf.interpreter,
        needed: elf.needed,
        rpath: elf.rpath,
        runpath: elf.runpath,
        needed_versions: r
            .needed_versions
            .iter()
            .map(|n| NeededVersions {
                file: n.file.clone(),
                versions: n.versions.clone(),
                weak: n.weak.clone(),
            })
            .collect(),
        max_glibc: r.max_glibc.clone(),
        properties: Properties {
            x86_feature_1_and: p.x86_feature_1_and.clone(),
            x86_isa_needed: p.x86_isa_needed.clone(),
            aarch64_feature_1_and: p.aarch64_feature_1_and.clone(),
        },
        gnu_build_id: r.gnu_build_id.clone(),
        symbols: Vec::new(),
        cgo_glue: Vec::new(),
        go: r.go.as_ref().map(|g| GoContract {
            version: g.version.clone(),
            compiler: g.compiler.clone(),
            buildmode: g.buildmode.clone(),
            path: g.path.clone(),
            main: g.main.as_ref().map(module),
            deps: g.deps.iter().map(module).collect(),
            settings: g.settings.iter().map(setting).collect(),
            experiments: g.experiments.clone(),
            fips: g.fips,
            cgo: g.cgo,
            arch_level: g.arch_level.as_ref().map(setting),
            build_id: g.build_id.clone(),
            ..GoContract::default()
        }),
    }
}

fn module(m: &crate::facts::Module) -> Module {
    Module {
        path: m.path.clone(),
        version: m.version.clone(),
        sum: m.sum.clone(),
        replace: m.replace.as_ref().map(|r| Box::new(module(r))),
    }
}

fn setting(s: &crate::facts::Setting) -> Setting {
    Setting {
        key: s.key.clone(),
        value: s.value.clone(),
    }
}

/// cgo's glue, which every cgo build exports and no C consumer calls:
/// runtime/cgo's C part (`x_cgo_*`, `_cgo_*`, `crosscall*`, `fatalf`,
/// `threadentry`) and the per-package wrappers whose names carry a hash
/// of the package's files (`_cgoexp_<hash>_<Name>`, `_cgo_<hash>_Cfunc_*`).
pub fn is_cgo_glue(name: &str) -> bool {
    const PREFIXES: [&str; 5] = ["_cgo_", "_cgoexp_", "x_cgo_", "__cgo_", "crosscall"];
    const NAMES: [&str; 4] = [
        "fatalf",
        "threadentry",
        "x_crosscall2_ptr",
        "_cgo_topofstack",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || NAMES.contains(&name)
}

/// Which of a Go file's dynamic exports are its interface. A c-shared
/// library's are its plain C names (`//export` functions, and what the C
/// toolchain adds); a plugin's are the exported names of its main package
/// (`<pluginpath>.<Name>`, what `plugin.Lookup` finds). Other qualified
/// names (`runtime.mallocgc`, `type:*`, `go:*`) are exported only so that
/// a host and its plugins share one runtime (the package hashes stand for
/// them), and an executable's exports (BoringCrypto's C symbols, all of a
/// plugin host's Go symbols) are no interface anyone links against.
enum Surface {
    C,
    Plugin(String),
    None,
}

impl Surface {
    fn exports(&self, name: &str) -> bool {
        let plain = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        };
        match self {
            Surface::None => false,
            Surface::C => plain(name),
            Surface::Plugin(path) => {
                let Some((pkg, ident)) = name.rsplit_once('.') else {
                    return false;
                };
                let named = !path.is_empty() && path != "command-line-arguments" && pkg == path;
                let unnamed = pkg.starts_with("plugin/unnamed-") && !pkg.contains('.');
                (named || unnamed)
                    && plain(ident)
                    && ident.starts_with(|c: char| c.is_ascii_uppercase())
            }
        }
    }
}

/// The `size` bytes of a symbol's data, if the file holds them (and they
/// are few: a hash).
fn read_symbol<'d, R: ReadRef<'d>>(
    view: &elf::ElfView<'d, R>,
    value: u64,
    size: u64,
) -> Option<&'d [u8]> {
    if size == 0 || size > modulehash::MAX_HASH {
        return None;
    }
    let (offset, avail) = view.vaddr_to_offset(value)?;
    if size > avail {
        return None;
    }
    view.data().read_bytes_at(offset, size).ok()
}

/// The module hash tables and the ABI hash note.
fn go_tables<'d, R: ReadRef<'d>>(
    view: &elf::ElfView<'d, R>,
    dynsym: Option<&elf::SymbolIndex>,
    link: &mut GoLink,
    errors: &mut Vec<String>,
    path: &str,
) {
    let notes = view.notes();
    let abihash_note = notes.find(GO_NOTE, NT_GO_ABIHASH).next().map(|n| n.desc);
    let Some(index) = dynsym else {
        return;
    };
    // `.dynsym` index k is entry k - 1 of an index of that table alone.
    let sym = |k: u32| {
        usize::try_from(k)
            .ok()
            .and_then(|k| k.checked_sub(1))
            .and_then(|i| index.get(i))
            .filter(|s| s.table == SymbolTableKind::Dynsym)
    };
    if let Some(bytes) = abihash_note {
        let name = index
            .table(SymbolTableKind::Dynsym)
            .filter(|s| s.defined)
            .find_map(|s| {
                escape_bytes(s.name)
                    .strip_prefix(ABIHASH)
                    .map(str::to_string)
            });
        link.abihash = Some((name.unwrap_or_default(), bytes.to_vec()));
    }
    let mut relocs = view.symbol_relocations(&mut |k| {
        sym(k).is_some_and(|s| {
            s.name.starts_with(PKGHASH.as_bytes()) || s.name.starts_with(ABIHASH.as_bytes())
        })
    });
    for e in view.relocation_errors() {
        errors.push(format!("{path}: {e}"));
    }
    relocs.sort_by_key(|r| r.r_offset);
    let h = view.header();
    let words = Words {
        ptr_size: match h.class {
            Class::Elf32 => 4,
            Class::Elf64 => 8,
        },
        big_endian: h.byte_order == ByteOrder::Big,
    };
    for r in relocs {
        let Some(s) = sym(r.r_sym) else { continue };
        let name = escape_bytes(s.name);
        let (target, wanted, is_lib) = if let Some(p) = name.strip_prefix(PKGHASH) {
            (&mut link.plugin_table, p.to_string(), false)
        } else if let Some(l) = name.strip_prefix(ABIHASH) {
            // A library's own hash symbol is defined here, not bound.
            if s.defined {
                continue;
            }
            (&mut link.module_hashes, l.to_string(), true)
        } else {
            continue;
        };
        match modulehash::entry_at(view, words, r.r_offset) {
            Ok(e) if e.name == wanted.as_bytes() => target.push((wanted, e.linktime)),
            Ok(e) => errors.push(format!(
                "{path}: {} entry at {:#x} names {} but is bound to {name}",
                if is_lib { "modulehashes" } else { "pkghashes" },
                r.r_offset,
                escape_bytes(&e.name)
            )),
            Err(e) => errors.push(format!("{path}: {name}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keyed sort orders exactly as comparing whole exports does,
    /// names that share 16 bytes or more included.
    #[test]
    fn keyed_sort_is_the_full_order() {
        let names = [
            "b",
            "a",
            "abcdefghijklmnopq",
            "abcdefghijklmnop",
            "abcdefghijklmnoa",
            "",
            "zz",
            "abcdefghijklmnopqrstuvwxyz_2",
            "abcdefghijklmnopqrstuvwxyz_1",
            "a\u{e9}",
            "ab",
            "b",
        ];
        let mut v: Vec<Export> = Vec::new();
        for (i, n) in names.iter().enumerate() {
            for version in [None, Some("V2"), Some("V1")] {
                v.push(Export {
                    name: n.to_string(),
                    version: version.map(Arc::from),
                    default: i % 2 == 0,
                    kind: if i % 3 == 0 { "func" } else { "object" }.into(),
                    binding: "global".into(),
                    size: Some(i as u64),
                });
            }
        }
        let mut want = v.clone();
        want.sort_by(|a, b| {
            (&a.name, &a.version, a.default, &a.kind, &a.binding, a.size)
                .cmp(&(&b.name, &b.version, b.default, &b.kind, &b.binding, b.size))
        });
        want.dedup();
        v.reverse();
        sort_exports(&mut v);
        assert_eq!(v, want);
    }
}
