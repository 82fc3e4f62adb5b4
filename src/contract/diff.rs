//! Two contracts → classified changes. Pure: no I/O, no rendering.
//!
//! Files pair by path ([`diff_sets`]) or are compared as given
//! ([`diff_files`]). Every change has a [`Kind`] (and through it a
//! [`Class`]), the path of the file, a subject (a symbol, a module, a
//! package, a library), the old and new values, and a sentence. Changes
//! come out sorted by path, kind (registry order) and subject.
//!
//! Symbols follow the dynamic linker (glibc `elf/dl-lookup.c`
//! `check_match`), not names alone: `foo@V` is still there when its
//! default moved to a new version (`foo@V` + `foo@@W`: an addition); an
//! unversioned `foo` is still there when NEW defines `foo@@V`, which an
//! unversioned reference binds to.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::kinds::{Class, Kind};
use super::model::{Export, FileContract, GoContract, Module};
use crate::elf::is_glibc_family;

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: Kind,
    pub class: Class,
    pub path: String,
    pub subject: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub message: String,
}

struct Out<'p> {
    path: &'p str,
    changes: Vec<Change>,
}

impl Out<'_> {
    fn push(
        &mut self,
        kind: Kind,
        subject: impl Into<String>,
        old: Option<String>,
        new: Option<String>,
        message: String,
    ) {
        self.changes.push(Change {
            kind,
            class: kind.class(),
            path: self.path.to_string(),
            subject: subject.into(),
            old,
            new,
            message,
        });
    }
}

/// Sorts changes: by path, kind (registry order), subject.
pub fn sort(changes: &mut [Change]) {
    changes.sort_by(|a, b| {
        (&a.path, a.kind, &a.subject, &a.old, &a.new)
            .cmp(&(&b.path, b.kind, &b.subject, &b.old, &b.new))
    });
}

/// Two sets of files paired by path: files only in OLD are removed, only in
/// NEW added, the others compared.
pub fn diff_sets(old: &[FileContract], new: &[FileContract]) -> Vec<Change> {
    let olds: BTreeMap<&str, &FileContract> = old.iter().map(|f| (f.path.as_str(), f)).collect();
    let news: BTreeMap<&str, &FileContract> = new.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut changes = Vec::new();
    for (path, o) in &olds {
        match news.get(path) {
            Some(n) => changes.extend(diff_files(path, o, n)),
            None => changes.push(Change {
                kind: Kind::FileRemoved,
                class: Kind::FileRemoved.class(),
                path: path.to_string(),
                subject: path.to_string(),
                old: Some(o.sha256.clone()),
                new: None,
                message: format!("{path} is in OLD but not in NEW"),
            }),
        }
    }
    for (path, n) in &news {
        if !olds.contains_key(path) {
            changes.push(Change {
                kind: Kind::FileAdded,
                class: Kind::FileAdded.class(),
                path: path.to_string(),
                subject: path.to_string(),
                old: None,
                new: Some(n.sha256.clone()),
                message: format!("{path} is new"),
            });
        }
    }
    sort(&mut changes);
    changes
}

/// Two files compared whatever their names; changes name `path`.
pub fn diff_files(path: &str, old: &FileContract, new: &FileContract) -> Vec<Change> {
    let mut out = Out {
        path,
        changes: Vec::new(),
    };
    if old.sha256 != new.sha256 {
        out.push(
            Kind::FileChanged,
            "sha256",
            Some(old.sha256.clone()),
            Some(new.sha256.clone()),
            "the file's bytes changed".into(),
        );
    }
    elf_changes(&mut out, old, new);
    symbol_changes(&mut out, old, new);
    glue_changes(&mut out, old, new);
    if old.gnu_build_id != new.gnu_build_id {
        out.push(
            Kind::BuildIdChanged,
            "gnu",
            old.gnu_build_id.clone(),
            new.gnu_build_id.clone(),
            "the GNU build ID changed".into(),
        );
    }
    match (&old.go, &new.go) {
        (Some(o), Some(n)) => go_changes(&mut out, o, n),
        (None, None) => {}
        (o, n) => out.push(
            Kind::GoSettingChanged,
            "go",
            o.as_ref().map(|_| "Go".to_string()),
            n.as_ref().map(|_| "Go".to_string()),
            match n {
                Some(_) => "NEW is built by a Go toolchain, OLD was not".into(),
                None => "OLD was built by a Go toolchain, NEW is not".into(),
            },
        ),
    }
    let mut changes = out.changes;
    sort(&mut changes);
    changes
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().unwrap_or("none").to_string()
}

fn elf_changes(out: &mut Out<'_>, old: &FileContract, new: &FileContract) {
    let (o, n) = (&old.elf, &new.elf);
    for (subject, a, b) in [
        ("machine", &o.machine, &n.machine),
        ("class", &o.class, &n.class),
        ("endian", &o.endian, &n.endian),
    ] {
        if a != b {
            out.push(
                Kind::ElfMachineChanged,
                subject,
                Some(a.clone()),
                Some(b.clone()),
                format!("ELF {subject} changed from {a} to {b}"),
            );
        }
    }
    if o.elf_type != n.elf_type {
        out.push(
            Kind::ElfTypeChanged,
            "type",
            Some(o.elf_type.clone()),
            Some(n.elf_type.clone()),
            format!("ELF type changed from {} to {}", o.elf_type, n.elf_type),
        );
    }
    match (&old.soname, &new.soname) {
        (Some(a), b) if Some(a) != b.as_ref() => out.push(
            Kind::SonameChanged,
            "DT_SONAME",
            Some(a.clone()),
            b.clone(),
            format!(
                "DT_SONAME changed from {a} to {}: consumers linked against OLD look for {a}",
                opt(b)
            ),
        ),
        (None, Some(b)) => out.push(
            Kind::SonameAdded,
            "DT_SONAME",
            None,
            Some(b.clone()),
            format!("DT_SONAME {b} added"),
        ),
        _ => {}
    }
    if let Some(b) = &new.interpreter
        && old.interpreter.as_ref() != Some(b)
    {
        out.push(
            Kind::InterpreterChanged,
            "PT_INTERP",
            old.interpreter.clone(),
            Some(b.clone()),
            format!(
                "the program interpreter changed from {} to {b}",
                opt(&old.interpreter)
            ),
        );
    }
    let old_needed: BTreeSet<&str> = old.needed.iter().map(String::as_str).collect();
    let new_needed: BTreeSet<&str> = new.needed.iter().map(String::as_str).collect();
    for lib in new_needed.difference(&old_needed) {
        out.push(
            Kind::NeededAdded,
            *lib,
            None,
            Some(lib.to_string()),
            format!("NEW needs {lib}, which OLD did not"),
        );
    }
    for lib in old_needed.difference(&new_needed) {
        out.push(
            Kind::NeededRemoved,
            *lib,
            Some(lib.to_string()),
            None,
            format!("NEW no longer needs {lib}"),
        );
    }
    for (subject, a, b) in [
        ("rpath", &old.rpath, &new.rpath),
        ("runpath", &old.runpath, &new.runpath),
    ] {
        if a != b {
            let join = |v: &Vec<String>| (!v.is_empty()).then(|| v.join(":"));
            out.push(
                Kind::RpathChanged,
                subject,
                join(a),
                join(b),
                format!(
                    "DT_{} changed from {} to {}",
                    subject.to_uppercase(),
                    join(a).unwrap_or_else(|| "none".into()),
                    join(b).unwrap_or_else(|| "none".into())
                ),
            );
        }
    }
    version_need_changes(out, old, &old_needed, new);
    glibc_changes(out, old, new);
    isa_changes(out, old, new);
    property_changes(out, old, new);
}

fn version_need_changes(
    out: &mut Out<'_>,
    old: &FileContract,
    old_needed: &BTreeSet<&str>,
    new: &FileContract,
) {
    let strong = |c: &FileContract| -> BTreeMap<String, BTreeSet<String>> {
        c.needed_versions
            .iter()
            .map(|nv| {
                let weak: BTreeSet<&String> = nv.weak.iter().collect();
                (
                    nv.file.clone(),
                    nv.versions
                        .iter()
                        .filter(|v| !weak.contains(v))
                        .cloned()
                        .collect(),
                )
            })
            .collect()
    };
    let (o, n) = (strong(old), strong(new));
    let empty = BTreeSet::new();
    for (file, versions) in &n {
        // A newly needed file is one change (needed.added), not one per version.
        if !old_needed.contains(file.as_str()) && !o.contains_key(file) {
            continue;
        }
        // glibc's versions only add up to glibc.raised: any glibc that has
        // the highest one has every lower one.
        if is_glibc_family(file.as_bytes()) {
            continue;
        }
        for v in versions.difference(o.get(file).unwrap_or(&empty)) {
            out.push(
                Kind::NeededVersionAdded,
                format!("{file}:{v}"),
                None,
                Some(v.clone()),
                format!("NEW requires version {v} of {file}; an older {file} without it fails to load NEW"),
            );
        }
    }
    for (file, versions) in &o {
        for v in versions.difference(n.get(file).unwrap_or(&empty)) {
            out.push(
                Kind::NeededVersionRemoved,
                format!("{file}:{v}"),
                Some(v.clone()),
                None,
                format!("NEW no longer requires version {v} of {file}"),
            );
        }
    }
}

/// `x.y[.z]` as numbers, for ordering glibc versions.
fn glibc_key(s: &str) -> Option<Vec<u64>> {
    s.split('.').map(|p| p.parse().ok()).collect()
}

fn glibc_changes(out: &mut Out<'_>, old: &FileContract, new: &FileContract) {
    if old.max_glibc == new.max_glibc {
        return;
    }
    let key = |v: &Option<String>| v.as_deref().and_then(glibc_key).unwrap_or_default();
    let (o, n) = (key(&old.max_glibc), key(&new.max_glibc));
    let (kind, verb) = match n.cmp(&o) {
        Ordering::Greater => (Kind::GlibcRaised, "rose"),
        Ordering::Less => (Kind::GlibcLowered, "fell"),
        Ordering::Equal => return,
    };
    out.push(
        kind,
        "GLIBC",
        old.max_glibc.clone(),
        new.max_glibc.clone(),
        format!(
            "the highest glibc version required {verb} from {} to {}",
            opt(&old.max_glibc),
            opt(&new.max_glibc)
        ),
    );
}

/// The x86-64 ISA level a file needs: the highest of the GNU property and
/// Go's GOAMD64 (1 = baseline). `None` for other machines.
fn isa_level(c: &FileContract) -> Option<u8> {
    if c.elf.machine != "x86_64" {
        return None;
    }
    let from_note = c
        .properties
        .x86_isa_needed
        .iter()
        .flatten()
        .filter_map(|l| match l.as_str() {
            "baseline" => Some(1),
            "v2" => Some(2),
            "v3" => Some(3),
            "v4" => Some(4),
            _ => None,
        })
        .max();
    let from_go =
        c.go.as_ref()
            .and_then(|g| g.arch_level.as_ref())
            .filter(|s| s.key == "GOAMD64")
            .and_then(|s| s.value.strip_prefix('v')?.parse::<u8>().ok());
    Some(from_note.into_iter().chain(from_go).max().unwrap_or(1))
}

fn isa_name(level: u8) -> String {
    match level {
        1 => "x86-64-baseline".into(),
        l => format!("x86-64-v{l}"),
    }
}

fn isa_changes(out: &mut Out<'_>, old: &FileContract, new: &FileContract) {
    let (Some(o), Some(n)) = (isa_level(old), isa_level(new)) else {
        return;
    };
    let kind = match n.cmp(&o) {
        Ordering::Greater => Kind::IsaRaised,
        Ordering::Less => Kind::IsaLowered,
        Ordering::Equal => return,
    };
    out.push(
        kind,
        "x86-64",
        Some(isa_name(o)),
        Some(isa_name(n)),
        format!(
            "the x86-64 ISA level needed changed from {} to {}",
            isa_name(o),
            isa_name(n)
        ),
    );
}

fn property_changes(out: &mut Out<'_>, old: &FileContract, new: &FileContract) {
    let (o, n) = (&old.properties, &new.properties);
    for (a, b) in [
        (&o.x86_feature_1_and, &n.x86_feature_1_and),
        (&o.aarch64_feature_1_and, &n.aarch64_feature_1_and),
    ] {
        let set = |v: &Option<Vec<String>>| -> BTreeSet<String> {
            v.iter()
                .flatten()
                .filter(|f| !f.starts_with("bit"))
                .cloned()
                .collect()
        };
        let (a, b) = (set(a), set(b));
        for f in a.difference(&b) {
            out.push(
                Kind::PropertyLost,
                f.clone(),
                Some(f.clone()),
                None,
                format!("NEW is no longer marked {f} (.note.gnu.property)"),
            );
        }
        for f in b.difference(&a) {
            out.push(
                Kind::PropertyGained,
                f.clone(),
                None,
                Some(f.clone()),
                format!("NEW is marked {f} (.note.gnu.property)"),
            );
        }
    }
}

/// Types that a consumer uses the same way: code, data, thread-local.
fn use_class(kind: &str) -> &str {
    match kind {
        "func" | "ifunc" | "notype" => "code",
        "object" | "common" => "data",
        other => other,
    }
}

fn describe(e: &Export) -> String {
    format!("{} ({})", e.id(), e.kind)
}

/// Exports sorted by `(name, version)`, one per key (a key repeated, only
/// in a hand-made snapshot, keeps its last export, on both sides alike).
/// Contracts are canonical (sorted) already, so the sort only checks that.
fn exports(c: &FileContract) -> Vec<&Export> {
    let mut v: Vec<&Export> = c.symbols.iter().collect();
    v.sort_by(|a, b| key(a).cmp(&key(b)));
    let mut out: Vec<&Export> = Vec::new();
    for e in v {
        match out.last_mut() {
            Some(last) if key(last) == key(e) => *last = e,
            _ => out.push(e),
        }
    }
    out
}

fn key(e: &Export) -> (&str, Option<&str>) {
    (e.name.as_str(), e.version.as_deref())
}

/// Indices of the exports of one name in a sorted list.
fn named_range(v: &[&Export], name: &str) -> std::ops::Range<usize> {
    let start = v.partition_point(|e| e.name.as_str() < name);
    let end = start.saturating_add(
        v.get(start..)
            .map_or(0, |r| r.partition_point(|e| e.name == name)),
    );
    start..end
}

/// Both lists walked once, in key order (a merge): linear in the number of
/// exports; a name is looked up (binary search) only for what is missing.
fn symbol_changes(out: &mut Out<'_>, old: &FileContract, new: &FileContract) {
    let (o, n) = (exports(old), exports(new));
    // NEW exports an old unversioned reference now binds to (a default version).
    let mut satisfied = vec![false; n.len()];
    let (mut i, mut j) = (0usize, 0usize);
    while i < o.len() || j < n.len() {
        let order = match (o.get(i), n.get(j)) {
            (Some(a), Some(b)) => key(a).cmp(&key(b)),
            (Some(_), None) => Ordering::Less,
            (None, _) => Ordering::Greater,
        };
        match order {
            Ordering::Equal => {
                if let (Some(e), Some(m)) = (o.get(i), n.get(j)) {
                    compare_export(out, e, m);
                }
                i += 1;
                j += 1;
            }
            Ordering::Less => {
                if let Some(e) = o.get(i) {
                    missing_export(out, e, &n, &mut satisfied);
                }
                i += 1;
            }
            Ordering::Greater => {
                if let Some(m) = n.get(j) {
                    // An old unversioned name sorts before its versions, so
                    // `satisfied` is settled by the time they are reached.
                    let bound = satisfied.get(j).copied().unwrap_or(false);
                    out.push(
                        Kind::SymbolAdded,
                        m.id(),
                        None,
                        Some(describe(m)),
                        if bound {
                            format!(
                                "{} is new (unversioned references to {} bind to it)",
                                describe(m),
                                m.name
                            )
                        } else {
                            format!("{} is new", describe(m))
                        },
                    );
                }
                j += 1;
            }
        }
    }
}

/// An OLD export whose key NEW lacks: still bound (an unversioned name
/// with a default version in NEW), a version removed, or removed.
fn missing_export(out: &mut Out<'_>, e: &Export, n: &[&Export], satisfied: &mut [bool]) {
    let range = named_range(n, &e.name);
    if e.version.is_none() {
        // What an unversioned reference binds to in NEW: the default
        // definition of the name.
        let default = range
            .clone()
            .find(|&k| n.get(k).is_some_and(|m| m.version.is_none() || m.default));
        if let Some(k) = default {
            if let Some(flag) = satisfied.get_mut(k) {
                *flag = true;
            }
            if let Some(m) = n.get(k) {
                compare_export(out, e, m);
            }
            return;
        }
    }
    let others: Vec<String> = range.filter_map(|k| n.get(k)).map(|m| m.id()).collect();
    if others.is_empty() {
        out.push(
            Kind::SymbolRemoved,
            e.id(),
            Some(describe(e)),
            None,
            format!("{} is no longer exported", describe(e)),
        );
    } else {
        out.push(
            Kind::SymbolVersionRemoved,
            e.id(),
            Some(e.id()),
            Some(others.join(", ")),
            format!(
                "{} is gone ({} remains): consumers linked against it fail to load",
                e.id(),
                others.join(", ")
            ),
        );
    }
}

/// One export in both: its type, then its size.
fn compare_export(out: &mut Out<'_>, e: &Export, m: &Export) {
    if use_class(&e.kind) != use_class(&m.kind) {
        out.push(
            Kind::SymbolTypeChanged,
            e.id(),
            Some(e.kind.to_string()),
            Some(m.kind.to_string()),
            format!(
                "{} changed from {} to {}: consumers use it as {}",
                e.id(),
                e.kind,
                m.kind,
                e.kind
            ),
        );
    } else if let (Some(a), Some(b)) = (e.size, m.size)
        && a != b
    {
        out.push(
            Kind::SymbolSizeChanged,
            e.id(),
            Some(a.to_string()),
            Some(b.to_string()),
            format!(
                "{} changed size from {a} to {b} bytes: executables with a copy relocation of \
                 it keep {a} (the loader warns: Symbol `{}' has different size in shared \
                 object)",
                e.id(),
                e.name
            ),
        );
    }
}

fn glue_changes(out: &mut Out<'_>, old: &FileContract, new: &FileContract) {
    let o: BTreeSet<&String> = old.cgo_glue.iter().collect();
    let n: BTreeSet<&String> = new.cgo_glue.iter().collect();
    for g in o.difference(&n) {
        out.push(
            Kind::CgoGlueChanged,
            g.as_str(),
            Some(g.to_string()),
            None,
            format!("cgo glue {g} is gone"),
        );
    }
    for g in n.difference(&o) {
        out.push(
            Kind::CgoGlueChanged,
            g.as_str(),
            None,
            Some(g.to_string()),
            format!("cgo glue {g} is new"),
        );
    }
}

/// A Go module version as semver (`v1.2.3` → `1.2.3`); `None` for
/// `(devel)` and other non-semver strings.
fn module_semver(v: &str) -> Option<semver::Version> {
    semver::Version::parse(v.strip_prefix('v')?).ok()
}

/// `(base path, major)`: `x/v2` → `(x, 2)`, `gopkg.in/x.v3` → `(gopkg.in/x, 3)`.
pub fn major_of(path: &str) -> (&str, u64) {
    if let Some((base, last)) = path.rsplit_once('/')
        && let Some(n) = last.strip_prefix('v')
        && let Ok(n) = n.parse::<u64>()
        && n >= 2
        && !n.to_string().starts_with('0')
        && n.to_string() == last[1..]
    {
        return (base, n);
    }
    if path.starts_with("gopkg.in/")
        && let Some((base, n)) = path.rsplit_once(".v")
        && let Ok(n) = n.parse::<u64>()
    {
        return (base, n);
    }
    (path, 1)
}

fn replace_text(m: &Module) -> Option<String> {
    m.replace.as_ref().map(|r| {
        if r.version.is_empty() {
            r.path.clone()
        } else {
            format!("{} {}", r.path, r.version)
        }
    })
}

fn go_changes(out: &mut Out<'_>, o: &GoContract, n: &GoContract) {
    if o.version != n.version {
        let sem = |v: &Option<String>| {
            v.as_deref()
                .and_then(|v| crate::go::version::parse(v).semver)
        };
        let kind = match (sem(&o.version), sem(&n.version)) {
            (Some(a), Some(b)) => match b.cmp_precedence(&a) {
                Ordering::Greater => Some(Kind::GoVersionRaised),
                Ordering::Less => Some(Kind::GoVersionLowered),
                // Only a suffix (X:...) differs: experiments say what.
                Ordering::Equal => None,
            },
            _ => Some(Kind::GoVersionLowered),
        };
        if let Some(kind) = kind {
            let unordered = sem(&o.version).is_none() || sem(&n.version).is_none();
            out.push(
                kind,
                "go",
                o.version.clone(),
                n.version.clone(),
                if unordered {
                    format!(
                        "the Go version changed from {} to {}, which cannot be ordered: treated as lowered",
                        opt(&o.version),
                        opt(&n.version)
                    )
                } else {
                    format!(
                        "built by {} instead of {}",
                        opt(&n.version),
                        opt(&o.version)
                    )
                },
            );
        }
    }
    if o.build_id != n.build_id {
        out.push(
            Kind::BuildIdChanged,
            "go",
            o.build_id.clone(),
            n.build_id.clone(),
            "the Go build ID changed".into(),
        );
    }
    module_changes(out, o, n);
    let settings = |g: &GoContract| -> BTreeMap<String, String> {
        g.settings
            .iter()
            .map(|s| (s.key.clone(), s.value.clone()))
            .collect()
    };
    let (so, sn) = (settings(o), settings(n));
    let keys: BTreeSet<&String> = so.keys().chain(sn.keys()).collect();
    for k in keys {
        let (a, b) = (so.get(k), sn.get(k));
        if a != b {
            out.push(
                Kind::GoSettingChanged,
                k.as_str(),
                a.cloned(),
                b.cloned(),
                format!(
                    "build setting {k} changed from {} to {}",
                    a.map_or("unset", String::as_str),
                    b.map_or("unset", String::as_str)
                ),
            );
        }
    }
    let (eo, en): (BTreeSet<&String>, BTreeSet<&String>) = (
        o.experiments.iter().collect(),
        n.experiments.iter().collect(),
    );
    for e in eo.difference(&en) {
        out.push(
            Kind::GoExperimentChanged,
            e.as_str(),
            Some("on".into()),
            Some("off".into()),
            format!("GOEXPERIMENT {e} is off in NEW"),
        );
    }
    for e in en.difference(&eo) {
        out.push(
            Kind::GoExperimentChanged,
            e.as_str(),
            Some("off".into()),
            Some("on".into()),
            format!("GOEXPERIMENT {e} is on in NEW"),
        );
    }
    let flag = |b: Option<bool>| {
        b.map_or("unknown", |b| if b { "true" } else { "false" })
            .to_string()
    };
    if o.fips == Some(true) && n.fips != Some(true) {
        out.push(
            Kind::GoFipsLost,
            "fips",
            Some(flag(o.fips)),
            Some(flag(n.fips)),
            "FIPS 140 mode was on in OLD and is not in NEW".into(),
        );
    } else if o.fips != Some(true) && n.fips == Some(true) {
        out.push(
            Kind::GoFipsGained,
            "fips",
            Some(flag(o.fips)),
            Some(flag(n.fips)),
            "FIPS 140 mode is on in NEW".into(),
        );
    }
    if o.cgo != n.cgo {
        out.push(
            Kind::GoCgoChanged,
            "cgo",
            Some(flag(o.cgo)),
            Some(flag(n.cgo)),
            format!("cgo use changed from {} to {}", flag(o.cgo), flag(n.cgo)),
        );
    }
    let hashes = |g: &GoContract| -> BTreeMap<String, String> {
        g.pkghashes
            .iter()
            .map(|p| (p.package.clone(), p.hash.clone()))
            .collect()
    };
    let (ho, hn) = (hashes(o), hashes(n));
    for (pkg, a) in &ho {
        if let Some(b) = hn.get(pkg)
            && a != b
        {
            out.push(
                Kind::GoPkghashChanged,
                pkg.as_str(),
                Some(a.clone()),
                Some(b.clone()),
                format!(
                    "the hash of package {pkg} changed: plugin.Open fails with \"plugin was built \
                     with a different version of package {pkg}\" across the two builds"
                ),
            );
        }
    }
    if let (Some(a), Some(b)) = (&o.abihash, &n.abihash)
        && a.hash != b.hash
    {
        out.push(
            Kind::GoAbihashChanged,
            b.library.as_str(),
            Some(a.hash.clone()),
            Some(b.hash.clone()),
            format!(
                "the ABI hash of Go shared library {} changed: executables linked against OLD die \
                 with \"abi mismatch\"",
                b.library
            ),
        );
    }
    let libs = |g: &GoContract| -> BTreeMap<String, String> {
        g.linkshared
            .iter()
            .map(|l| (l.library.clone(), l.hash.clone()))
            .collect()
    };
    let (lo, ln) = (libs(o), libs(n));
    for (lib, a) in &lo {
        if let Some(b) = ln.get(lib)
            && a != b
        {
            out.push(
                Kind::GoAbihashChanged,
                lib.as_str(),
                Some(a.clone()),
                Some(b.clone()),
                format!(
                    "NEW was linked against another build of {lib}: with the {lib} OLD used it \
                     dies with \"abi mismatch\""
                ),
            );
        }
    }
}

fn module_changes(out: &mut Out<'_>, o: &GoContract, n: &GoContract) {
    let deps = |g: &GoContract| -> BTreeMap<String, Module> {
        g.deps.iter().map(|m| (m.path.clone(), m.clone())).collect()
    };
    let (dold, dnew) = (deps(o), deps(n));
    for (path, a) in &dold {
        let Some(b) = dnew.get(path) else {
            out.push(
                Kind::GoModuleRemoved,
                path.as_str(),
                Some(a.version.clone()),
                None,
                format!("module {path} {} is no longer linked", a.version),
            );
            continue;
        };
        if a.version != b.version {
            let kind = match (module_semver(&a.version), module_semver(&b.version)) {
                (Some(x), Some(y)) => match y.cmp_precedence(&x) {
                    Ordering::Greater => Some(Kind::GoModuleUpgraded),
                    Ordering::Less => Some(Kind::GoModuleDowngraded),
                    Ordering::Equal => None,
                },
                _ => Some(Kind::GoModuleChanged),
            };
            if let Some(kind) = kind {
                let verb = match kind {
                    Kind::GoModuleUpgraded => "upgraded",
                    Kind::GoModuleDowngraded => "downgraded",
                    _ => "changed (versions that cannot be ordered)",
                };
                out.push(
                    kind,
                    path.as_str(),
                    Some(a.version.clone()),
                    Some(b.version.clone()),
                    format!("module {path} {verb} from {} to {}", a.version, b.version),
                );
            }
        }
        let (ra, rb) = (replace_text(a), replace_text(b));
        if ra != rb {
            out.push(
                Kind::GoModuleReplaced,
                path.as_str(),
                ra.clone(),
                rb.clone(),
                format!(
                    "module {path}'s replacement changed from {} to {}",
                    ra.unwrap_or_else(|| "none".into()),
                    rb.unwrap_or_else(|| "none".into())
                ),
            );
        }
    }
    for (path, b) in &dnew {
        if dold.contains_key(path) {
            continue;
        }
        out.push(
            Kind::GoModuleAdded,
            path.as_str(),
            None,
            Some(b.version.clone()),
            format!("module {path} {} is newly linked", b.version),
        );
        if let Some(r) = replace_text(b) {
            out.push(
                Kind::GoModuleReplaced,
                path.as_str(),
                None,
                Some(r.clone()),
                format!("module {path} is replaced by {r}"),
            );
        }
    }
    let majors = |g: &GoContract| -> BTreeMap<String, BTreeSet<u64>> {
        let mut m: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
        for path in g
            .deps
            .iter()
            .map(|d| d.path.as_str())
            .chain(g.main.as_ref().map(|m| m.path.as_str()))
        {
            let (base, major) = major_of(path);
            m.entry(base.to_string()).or_default().insert(major);
        }
        m
    };
    let (mo, mn) = (majors(o), majors(n));
    for (base, set) in &mn {
        if set.len() < 2 || mo.get(base) == Some(set) {
            continue;
        }
        let list = |s: &BTreeSet<u64>| {
            s.iter()
                .map(|m| format!("v{m}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(
            Kind::GoMajorVersions,
            base.as_str(),
            mo.get(base).map(list),
            Some(list(set)),
            format!("NEW links major versions {} of {base} together", list(set)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::model::{ElfIdentity, NeededVersions, Setting};

    /// name, version, default, type, size
    type Sym<'a> = (&'a str, Option<&'a str>, bool, &'a str, Option<u64>);

    fn lib(symbols: &[Sym<'_>]) -> FileContract {
        FileContract {
            path: "libx.so.1".into(),
            sha256: "aa".into(),
            elf: ElfIdentity {
                class: "ELF64".into(),
                endian: "little".into(),
                machine: "x86_64".into(),
                elf_type: "DYN".into(),
            },
            soname: Some("libx.so.1".into()),
            needed: vec!["libc.so.6".into()],
            symbols: symbols
                .iter()
                .map(|(name, version, default, kind, size)| Export {
                    name: name.to_string(),
                    version: version.map(std::sync::Arc::from),
                    default: *default,
                    kind: kind.to_string().into(),
                    binding: "global".into(),
                    size: *size,
                })
                .collect(),
            ..FileContract::default()
        }
    }

    fn kinds(changes: &[Change]) -> Vec<(&'static str, &str)> {
        changes
            .iter()
            .map(|c| (c.kind.as_str(), c.subject.as_str()))
            .collect()
    }

    const V1: &[Sym<'static>] = &[
        ("foo", Some("X_1"), true, "func", None),
        ("bar", Some("X_1"), true, "func", None),
        ("obj", Some("X_1"), true, "object", Some(16)),
    ];

    #[test]
    fn same_is_empty() {
        assert!(diff_files("l", &lib(V1), &lib(V1)).is_empty());
        assert!(diff_sets(&[lib(V1)], &[lib(V1)]).is_empty());
    }

    #[test]
    fn symbols_follow_the_loader() {
        let d = |new: &[Sym<'_>]| diff_files("l", &lib(V1), &lib(new));
        // Default moved: foo@X_1 stays (hidden), foo@@X_2 is new.
        let moved = d(&[
            ("foo", Some("X_1"), false, "func", None),
            ("foo", Some("X_2"), true, "func", None),
            ("bar", Some("X_1"), true, "func", None),
            ("obj", Some("X_1"), true, "object", Some(16)),
        ]);
        assert_eq!(kinds(&moved), [("symbol.added", "foo@@X_2")]);
        // Version removed: only foo@@X_2 remains.
        let v = d(&[
            ("foo", Some("X_2"), true, "func", None),
            ("bar", Some("X_1"), true, "func", None),
            ("obj", Some("X_1"), true, "object", Some(16)),
        ]);
        assert_eq!(
            kinds(&v),
            [
                ("symbol.version_removed", "foo@@X_1"),
                ("symbol.added", "foo@@X_2")
            ]
        );
        let r = d(&[
            ("foo", Some("X_1"), true, "func", None),
            ("obj", Some("X_1"), true, "object", Some(32)),
            ("bar", Some("X_1"), true, "object", Some(4)),
        ]);
        assert_eq!(
            kinds(&r),
            [
                ("symbol.size_changed", "obj@@X_1"),
                ("symbol.type_changed", "bar@@X_1")
            ]
        );
        // Unversioned OLD, default-versioned NEW: no removal.
        let old = lib(&[("u", None, true, "func", None)]);
        let new = lib(&[("u", Some("X_1"), true, "ifunc", None)]);
        assert_eq!(
            kinds(&diff_files("l", &old, &new)),
            [("symbol.added", "u@@X_1")]
        );
        // Versioned OLD, unversioned NEW: a version removed.
        assert_eq!(
            kinds(&diff_files("l", &new, &old)),
            [("symbol.version_removed", "u@@X_1"), ("symbol.added", "u")]
        );
    }

    #[test]
    fn environment_changes() {
        let old = lib(V1);
        let mut new = lib(V1);
        new.soname = Some("libx.so.2".into());
        new.needed.push("libdep.so".into());
        new.needed_versions = vec![
            NeededVersions {
                file: "libc.so.6".into(),
                versions: vec!["GLIBC_2.36".into()],
                weak: vec![],
            },
            NeededVersions {
                file: "libdep.so".into(),
                versions: vec!["DEP_2".into()],
                weak: vec![],
            },
        ];
        new.max_glibc = Some("2.36".into());
        new.properties.x86_isa_needed = Some(vec!["v3".into()]);
        let mut old = old;
        old.max_glibc = Some("2.34".into());
        old.properties.x86_feature_1_and = Some(vec!["ibt".into(), "shstk".into()]);
        new.properties.x86_feature_1_and = Some(vec!["shstk".into()]);
        let d = diff_files("l", &old, &new);
        let got = kinds(&d);
        assert_eq!(
            got,
            [
                ("soname.changed", "DT_SONAME"),
                ("needed.added", "libdep.so"),
                ("glibc.raised", "GLIBC"),
                ("isa.raised", "x86-64"),
                ("property.lost", "ibt"),
            ]
        );
        // The other way: compatible and nothing else.
        let back = diff_files("l", &new, &old);
        assert!(
            back.iter()
                .all(|c| c.class != Class::Breaking || c.kind == Kind::SonameChanged),
            "{back:?}"
        );
    }

    #[test]
    fn go_modules() {
        let m = |path: &str, v: &str| Module {
            path: path.into(),
            version: v.into(),
            ..Module::default()
        };
        let with = |deps: Vec<Module>| FileContract {
            go: Some(GoContract {
                version: Some("go1.27.3".into()),
                deps,
                settings: vec![Setting {
                    key: "CGO_ENABLED".into(),
                    value: "1".into(),
                }],
                ..GoContract::default()
            }),
            ..lib(&[])
        };
        let base = with(vec![
            m("example.com/lib", "v1.2.0"),
            m("example.com/old", "v0.1.0"),
        ]);
        let mut replaced = m("example.com/lib", "v1.2.0");
        replaced.replace = Some(Box::new(m("../fork", "")));
        let new = with(vec![
            m("example.com/lib", "v1.3.0"),
            m("example.com/lib/v2", "v2.0.0"),
            m("example.com/dev", "(devel)"),
        ]);
        assert_eq!(
            kinds(&diff_files("a", &base, &new)),
            [
                ("go.major_versions", "example.com/lib"),
                ("go.module_upgraded", "example.com/lib"),
                ("go.module_added", "example.com/dev"),
                ("go.module_added", "example.com/lib/v2"),
                ("go.module_removed", "example.com/old"),
            ]
        );
        assert_eq!(
            kinds(&diff_files("a", &new, &base))[..2],
            [
                ("go.module_downgraded", "example.com/lib"),
                ("go.module_added", "example.com/old")
            ]
        );
        let r = with(vec![replaced, m("example.com/old", "(devel)")]);
        assert_eq!(
            kinds(&diff_files("a", &base, &r)),
            [
                ("go.module_changed", "example.com/old"),
                ("go.module_replaced", "example.com/lib"),
            ]
        );
    }

    #[test]
    fn majors() {
        assert_eq!(major_of("example.com/x/v2"), ("example.com/x", 2));
        assert_eq!(major_of("example.com/x/v1"), ("example.com/x/v1", 1));
        assert_eq!(major_of("example.com/x/v02"), ("example.com/x/v02", 1));
        assert_eq!(major_of("gopkg.in/yaml.v3"), ("gopkg.in/yaml", 3));
        assert_eq!(major_of("example.com/x"), ("example.com/x", 1));
    }
}
