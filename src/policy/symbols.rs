//! `symbols.required` and `symbols.forbidden`.
//!
//! A pattern is a name (exact, or a glob when it has `*?[{`), an optional
//! GNU version (`@VER`: a non-default definition or any versioned reference;
//! `@@VER`: the default definition, as `readelf` prints them), and optional
//! filters: table (`symtab|dynsym|pclntab|any`), type (`func|object`),
//! binding (`global|weak|local`) and `defined`.
//!
//! Every pattern of every ruleset is compiled into one [`SymbolMatcher`]
//! (exact names in a hash map, globs in one `GlobSet`, and the literal part
//! of each in one Aho-Corasick automaton), so a file's symbols are read in
//! one pass whatever the number of rules. Inspect hands it the file's
//! tables as it reads them ([`SymbolQuery`]): a large name table is
//! searched for the literals first, and only the names that hold one are
//! matched in full.

use std::collections::HashMap;
use std::fmt;

use globset::{Candidate, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Outcome, escape_bytes};
use crate::facts::{
    Narrowed, SymbolBinding, SymbolHit, SymbolKind, SymbolQuery, SymbolRef, SymbolTable,
};
use crate::pick;

/// Tables searched by a pattern without `table`.
const ALL_TABLES: [SymbolTable; 3] = [
    SymbolTable::Symtab,
    SymbolTable::Dynsym,
    SymbolTable::Pclntab,
];

/// How many matching symbols a finding names.
const EXAMPLES: usize = 5;

fn table_name(t: SymbolTable) -> &'static str {
    match t {
        SymbolTable::Symtab => "symtab",
        SymbolTable::Dynsym => "dynsym",
        SymbolTable::Pclntab => "pclntab",
    }
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

/// A glob over names that are not paths: `*` crosses `/` (Go symbols
/// contain package paths), backslash escapes on every platform.
pub(crate) fn name_glob(pattern: &str) -> Result<globset::Glob, String> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("bad glob `{pattern}`: {}", e.kind()))
}

#[derive(Debug, Clone)]
enum NameMatch {
    Exact(Vec<u8>),
    Glob(String),
}

#[derive(Debug, Clone)]
enum VersionMatch {
    Exact(Vec<u8>),
    Glob(GlobMatcher),
}

impl VersionMatch {
    fn matches(&self, v: &[u8]) -> bool {
        match self {
            VersionMatch::Exact(e) => e == v,
            VersionMatch::Glob(g) => g.is_match_candidate(&Candidate::from_bytes(v)),
        }
    }
}

/// One symbol pattern of `require_symbols` or `forbid_symbols`.
#[derive(Debug, Clone)]
pub struct SymbolPattern {
    /// As shown in findings.
    pub text: String,
    name: NameMatch,
    /// The version and whether it must be the default (`@@`).
    version: Option<(VersionMatch, bool)>,
    table: Option<SymbolTable>,
    kind: Option<SymbolKind>,
    binding: Option<SymbolBinding>,
    defined: Option<bool>,
}

/// The map form of a pattern.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SymbolSpec {
    name: String,
    #[serde(default)]
    table: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    binding: Option<String>,
    #[serde(default)]
    defined: Option<bool>,
}

impl SymbolPattern {
    /// Parses the string form: `name`, `name@VER`, `name@@VER`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, version) = match text.split_once('@') {
            None => (text, None),
            Some((name, rest)) => {
                let (default, ver) = match rest.strip_prefix('@') {
                    Some(v) => (true, v),
                    None => (false, rest),
                };
                if ver.is_empty() {
                    return Err(format!("symbol pattern `{text}`: empty version after `@`"));
                }
                let vm = if is_glob(ver) {
                    VersionMatch::Glob(name_glob(ver)?.compile_matcher())
                } else {
                    VersionMatch::Exact(ver.as_bytes().to_vec())
                };
                (name, Some((vm, default)))
            }
        };
        if name.is_empty() {
            return Err(format!("symbol pattern `{text}`: empty name"));
        }
        let name = if is_glob(name) {
            name_glob(name)?;
            NameMatch::Glob(name.to_owned())
        } else {
            NameMatch::Exact(name.as_bytes().to_vec())
        };
        Ok(SymbolPattern {
            text: text.to_owned(),
            name,
            version,
            table: None,
            kind: None,
            binding: None,
            defined: None,
        })
    }

    fn from_spec(spec: SymbolSpec) -> Result<Self, String> {
        let mut p = SymbolPattern::parse(&spec.name)?;
        let mut extra = Vec::new();
        if let Some(t) = spec.table.as_deref() {
            p.table = match t {
                "symtab" => Some(SymbolTable::Symtab),
                "dynsym" => Some(SymbolTable::Dynsym),
                "pclntab" => Some(SymbolTable::Pclntab),
                "any" => None,
                _ => {
                    return Err(format!(
                        "unknown symbol table `{t}`: expected symtab, dynsym, pclntab or any"
                    ));
                }
            };
            extra.push(format!("table {t}"));
        }
        if let Some(k) = spec.kind.as_deref() {
            p.kind = Some(match k {
                "func" => SymbolKind::Func,
                "object" => SymbolKind::Object,
                _ => {
                    return Err(format!(
                        "unknown symbol type `{k}`: expected func or object"
                    ));
                }
            });
            extra.push(format!("type {k}"));
        }
        if let Some(b) = spec.binding.as_deref() {
            p.binding = Some(match b {
                "global" => SymbolBinding::Global,
                "weak" => SymbolBinding::Weak,
                "local" => SymbolBinding::Local,
                _ => {
                    return Err(format!(
                        "unknown symbol binding `{b}`: expected global, weak or local"
                    ));
                }
            });
            extra.push(format!("binding {b}"));
        }
        if let Some(d) = spec.defined {
            p.defined = Some(d);
            extra.push(if d { "defined" } else { "undefined" }.to_owned());
        }
        if !extra.is_empty() {
            p.text = format!("{} ({})", spec.name, extra.join(", "));
        }
        Ok(p)
    }

    fn tables(&self) -> &[SymbolTable] {
        match &self.table {
            Some(t) => std::slice::from_ref(t),
            None => &ALL_TABLES,
        }
    }

    /// Everything but the name, which the matcher has already compared.
    fn accepts(&self, s: &SymbolRef<'_>) -> bool {
        if self.table.is_some_and(|t| t != s.table)
            || self.kind.is_some_and(|k| k != s.kind)
            || self.binding.is_some_and(|b| b != s.binding)
            || self.defined.is_some_and(|d| d != s.defined)
        {
            return false;
        }
        match &self.version {
            None => true,
            Some((vm, default)) => {
                let Some(v) = s.version else { return false };
                if !vm.matches(v) {
                    return false;
                }
                if *default {
                    // `sym@@V`: the default definition.
                    s.defined && !s.version_hidden
                } else {
                    // `sym@V`: a hidden (non-default) definition, or a reference.
                    !s.defined || s.version_hidden
                }
            }
        }
    }
}

impl<'de> Deserialize<'de> for SymbolPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SymbolPattern;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a symbol pattern: a string, or a map with name, table, type, binding, defined",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<SymbolPattern, E> {
                SymbolPattern::parse(s).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SymbolPattern, A::Error> {
                let spec = SymbolSpec::deserialize(de::value::MapAccessDeserializer::new(map))?;
                SymbolPattern::from_spec(spec).map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// What the one pass found for one pattern.
pub(crate) type Hit = SymbolHit;

/// All symbol patterns of a policy, compiled for one pass per file.
#[derive(Debug, Clone)]
pub struct SymbolMatcher {
    patterns: Vec<SymbolPattern>,
    exact: HashMap<Vec<u8>, Vec<usize>>,
    globs: GlobSet,
    /// GlobSet index → pattern index.
    glob_ids: Vec<usize>,
    /// A literal every name matching some pattern contains (the whole name,
    /// or the longest literal run of a glob), for the block search.
    literals: pick::Literals,
    /// Some glob has no literal part (`*`, `?*`): every name is a candidate.
    every_name: bool,
    /// Per pattern: its literal (`None`: it has none), for
    /// [`SymbolQuery::narrowed`].
    pattern_literals: Vec<Option<Vec<u8>>>,
    /// Per pattern: how it matches a name on its own (for tails).
    alone: Vec<Alone>,
    /// Globs simple enough to match without the glob set, by pattern index.
    simple: Vec<(usize, Shape)>,
}

/// A glob whose only wildcards are one `*` at either end: matched with a
/// byte search, much cheaper per name than the glob set's regex.
#[derive(Debug, Clone)]
enum Shape {
    /// The literal, and a finder of it (for tails).
    Prefix(Vec<u8>, memchr::memmem::Finder<'static>),
    Suffix(Vec<u8>),
    Contains(memchr::memmem::Finder<'static>),
}

impl Shape {
    fn of(glob: &str) -> Option<Shape> {
        let (lead, rest) = match glob.strip_prefix('*') {
            Some(r) => (true, r),
            None => (false, glob),
        };
        let (trail, lit) = match rest.strip_suffix('*') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if lit.is_empty() || lit.contains(['*', '?', '[', ']', '{', '}', '\\']) {
            return None;
        }
        let lit = lit.as_bytes().to_vec();
        Some(match (lead, trail) {
            (false, true) => {
                let f = memchr::memmem::Finder::new(&lit).into_owned();
                Shape::Prefix(lit, f)
            }
            (true, false) => Shape::Suffix(lit),
            (true, true) => Shape::Contains(memchr::memmem::Finder::new(&lit).into_owned()),
            (false, false) => return None,
        })
    }

    fn matches(&self, name: &[u8]) -> bool {
        match self {
            Shape::Prefix(l, _) => name.starts_with(l),
            Shape::Suffix(l) => name.ends_with(l),
            Shape::Contains(f) => f.find(name).is_some(),
        }
    }

    /// Whether a proper tail `name[j..]`, `j >= 1`, matches.
    fn tail_matches(&self, name: &[u8]) -> bool {
        match self {
            Shape::Prefix(_, f) => f.find(name.get(1..).unwrap_or_default()).is_some(),
            Shape::Suffix(l) => name.len() > l.len() && name.ends_with(l),
            Shape::Contains(f) => f.find(name.get(1..).unwrap_or_default()).is_some(),
        }
    }
}

/// Bytes a glob may be matched over in the tails of one name: a hostile
/// name of a few MiB would otherwise take hours (quadratic in its length).
const TAIL_WORK: u64 = 1 << 20;

/// One pattern's name test on its own.
#[derive(Debug, Clone)]
enum Alone {
    Exact(Vec<u8>),
    Simple(Shape),
    /// The glob, and a literal its matches contain.
    Glob(GlobMatcher, Option<Vec<u8>>),
}

/// The longest run of literal bytes a glob's matches must contain: taken
/// before the first `[` or `{`, whose contents are alternatives; `None`
/// when there is no such run (`*`, `?x`, `[ab]c`). A `/` next to `**` is
/// not kept: globset makes the one in a leading `**/` optional (`**/x`
/// matches `x`), so none is relied on.
fn glob_literal(glob: &str) -> Option<Vec<u8>> {
    let mut best: Vec<u8> = Vec::new();
    let mut run: Vec<u8> = Vec::new();
    let mut chars = glob.chars().peekable();
    let mut utf8 = [0u8; 4];
    let mut end_run = |run: &mut Vec<u8>| {
        if run.len() > best.len() {
            best = std::mem::take(run);
        }
        run.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                if run.last() == Some(&b'/') {
                    run.pop();
                }
                end_run(&mut run);
                while chars.next_if_eq(&'*').is_some() {}
                let _ = chars.next_if_eq(&'/');
            }
            '*' | '?' => end_run(&mut run),
            '[' | '{' => break,
            '\\' => match chars.next() {
                Some(e) => run.extend_from_slice(e.encode_utf8(&mut utf8).as_bytes()),
                None => break,
            },
            c => run.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes()),
        }
    }
    end_run(&mut run);
    (!best.is_empty()).then_some(best)
}

impl SymbolMatcher {
    /// Compiles patterns; hits come back in the same order.
    pub fn new(patterns: Vec<SymbolPattern>) -> Result<Self, String> {
        let mut exact: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        let mut builder = GlobSetBuilder::new();
        let mut glob_ids = Vec::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut every_name = false;
        let mut pattern_literals = Vec::new();
        let mut alone = Vec::new();
        let mut simple = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match &p.name {
                NameMatch::Exact(n) => {
                    exact.entry(n.clone()).or_default().push(i);
                    literals.push(n.clone());
                    pattern_literals.push(Some(n.clone()));
                    alone.push(Alone::Exact(n.clone()));
                }
                NameMatch::Glob(g) => {
                    let literal = glob_literal(g);
                    match &literal {
                        Some(l) => literals.push(l.clone()),
                        None => every_name = true,
                    }
                    pattern_literals.push(literal);
                    if let Some(shape) = Shape::of(g) {
                        simple.push((i, shape.clone()));
                        alone.push(Alone::Simple(shape));
                        continue;
                    }
                    let glob = name_glob(g)?;
                    alone.push(Alone::Glob(glob.compile_matcher(), glob_literal(g)));
                    builder.add(glob);
                    glob_ids.push(i);
                }
            }
        }
        let globs = builder
            .build()
            .map_err(|e| format!("cannot compile symbol globs: {e}"))?;
        literals.sort();
        literals.dedup();
        let literals = pick::searcher(&literals)
            .map_err(|e| format!("cannot compile symbol patterns: {e}"))?;
        Ok(SymbolMatcher {
            patterns,
            exact,
            globs,
            glob_ids,
            literals,
            every_name,
            pattern_literals,
            alone,
            simple,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `name` holds a literal of some pattern (or some pattern has none).
    fn may_match(&self, name: &[u8]) -> bool {
        self.every_name || self.literals.is_match(name)
    }
}

impl SymbolQuery for SymbolMatcher {
    fn len(&self) -> usize {
        self.patterns.len()
    }

    fn offer(&self, sym: &SymbolRef<'_>, hits: &mut [Hit]) {
        let mut ids = Vec::new();
        self.matching(sym, &mut ids);
        for id in ids {
            if let Some(hit) = hits.get_mut(id) {
                hit.count = hit.count.saturating_add(1);
                if hit.examples.len() < EXAMPLES {
                    hit.examples.push(describe(sym));
                }
            }
        }
    }

    fn matching(&self, sym: &SymbolRef<'_>, out: &mut Vec<usize>) {
        if !self.may_match(sym.name) {
            return;
        }
        let exact = self.exact.get(sym.name).map(Vec::as_slice).unwrap_or(&[]);
        let mut glob_buf = Vec::new();
        if !self.glob_ids.is_empty() {
            self.globs
                .matches_candidate_into(&Candidate::from_bytes(sym.name), &mut glob_buf);
        }
        let from_globs = glob_buf
            .iter()
            .filter_map(|&g| self.glob_ids.get(g).copied());
        let from_simple = self
            .simple
            .iter()
            .filter(|(_, shape)| shape.matches(sym.name))
            .map(|&(i, _)| i);
        let start = out.len();
        for id in exact.iter().copied().chain(from_simple).chain(from_globs) {
            if self.patterns.get(id).is_some_and(|p| p.accepts(sym)) {
                out.push(id);
            }
        }
        // In pattern order, whichever test matched.
        if let Some(new) = out.get_mut(start..) {
            new.sort_unstable();
        }
    }

    fn tail_matches(&self, sym: &SymbolRef<'_>, i: usize) -> bool {
        let (Some(p), Some(alone)) = (self.patterns.get(i), self.alone.get(i)) else {
            return false;
        };
        if !p.accepts(sym) {
            return false;
        }
        let name = sym.name;
        match alone {
            Alone::Exact(n) => name.len() > n.len() && name.ends_with(n),
            Alone::Simple(shape) => shape.tail_matches(name),
            Alone::Glob(g, literal) => {
                // A matching tail holds the literal, so it starts at or
                // before the literal's last occurrence.
                let last = match literal {
                    Some(l) => match memchr::memmem::rfind(name, l) {
                        Some(at) => at,
                        None => return false,
                    },
                    None => name.len(),
                };
                // Each tail costs a match over its length: past a budget,
                // "may match" (the caller then reads every record).
                if (last as u64).saturating_mul(name.len() as u64) > TAIL_WORK {
                    return true;
                }
                (1..=last).any(|j| {
                    name.get(j..)
                        .is_some_and(|t| g.is_match_candidate(&Candidate::from_bytes(t)))
                })
            }
        }
    }

    fn candidates(&self, block: &[u8], out: &mut Vec<(usize, usize)>) {
        if self.every_name {
            pick::every_string(block, out);
        } else {
            pick::strings_holding(&self.literals, block, out);
        }
    }

    fn narrowed(&self, open: &[bool]) -> Option<Narrowed<'_>> {
        let mut literals = Vec::new();
        for (l, _) in self
            .pattern_literals
            .iter()
            .zip(open)
            .filter(|&(_, &open)| open)
        {
            match l {
                Some(l) => literals.push(l.as_slice()),
                None => return Some(Box::new(pick::every_string)),
            }
        }
        if literals.is_empty() {
            return Some(Box::new(|_: &[u8], _: &mut Vec<(usize, usize)>| {}));
        }
        literals.sort_unstable();
        literals.dedup();
        let lits = pick::searcher(&literals).ok()?;
        Some(Box::new(
            move |block: &[u8], out: &mut Vec<(usize, usize)>| {
                pick::strings_holding(&lits, block, out)
            },
        ))
    }
}

fn describe(s: &SymbolRef<'_>) -> String {
    let mut out = escape_bytes(s.name);
    if let Some(v) = s.version {
        out.push_str(if s.defined && !s.version_hidden {
            "@@"
        } else {
            "@"
        });
        out.push_str(&escape_bytes(v));
    }
    out.push_str(" (");
    out.push_str(table_name(s.table));
    out.push(')');
    out
}

/// Which of the pattern's tables exist in the file, and which do not.
fn coverage(p: &SymbolPattern, tables: &[SymbolTable]) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut present = Vec::new();
    let mut absent = Vec::new();
    for t in p.tables() {
        if tables.contains(t) {
            present.push(table_name(*t));
        } else {
            absent.push(table_name(*t));
        }
    }
    (present, absent)
}

fn absent_note(absent: &[&str]) -> String {
    if absent.is_empty() {
        String::new()
    } else {
        format!(" ({} absent)", absent.join(", "))
    }
}

fn examples(hit: &Hit) -> String {
    let more = hit.count.saturating_sub(hit.examples.len() as u64);
    let mut s = hit.examples.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    // Names the pclntab search matched but did not look up as functions
    // (a verdict needs one): some may name functions that were only inlined.
    if hit.more_names > 0 {
        s.push_str(&format!(
            "{} {} more matching {} in the pclntab",
            if more > 0 { ", and" } else { " and" },
            hit.more_names,
            if hit.more_names == 1 { "name" } else { "names" }
        ));
    }
    s
}

const NOT_INDEXED: &str = "symbols were not searched for this file";

/// What a pattern search found, before a rule says whether that is good.
enum Search<'a> {
    /// Matches, with examples.
    Found(&'a Hit),
    /// No match in the tables named (`.dynsym, .symtab (… absent)`).
    Missing(String),
    /// Nothing to search: why.
    Unknown(String),
}

/// Classifies one pattern's hit; `verb` says what could not be done
/// ("look for", "rule out") when nothing can be searched.
fn search<'a>(
    p: &SymbolPattern,
    tables: Option<&[SymbolTable]>,
    hit: Option<&'a Hit>,
    path: &str,
    verb: &str,
) -> Search<'a> {
    let (Some(tables), Some(hit)) = (tables, hit) else {
        return Search::Unknown(format!("cannot {verb} {} in {path}: {NOT_INDEXED}", p.text));
    };
    if hit.count > 0 {
        return Search::Found(hit);
    }
    let (present, absent) = coverage(p, tables);
    if present.is_empty() {
        return Search::Unknown(format!(
            "cannot {verb} {} in {path}: no {} table",
            p.text,
            absent.join(" or ")
        ));
    }
    Search::Missing(format!("{}{}", present.join(", "), absent_note(&absent)))
}

pub(crate) fn check_required(
    p: &SymbolPattern,
    tables: Option<&[SymbolTable]>,
    hit: Option<&Hit>,
    path: &str,
) -> Outcome {
    match search(p, tables, hit, path, "look for") {
        Search::Found(hit) => Outcome::Pass(format!("found {}", examples(hit))),
        Search::Missing(tables) => Outcome::Fail(format!("{} not found in {tables}", p.text)),
        Search::Unknown(why) => Outcome::Unknown(why),
    }
}

pub(crate) fn check_forbidden(
    p: &SymbolPattern,
    tables: Option<&[SymbolTable]>,
    hit: Option<&Hit>,
    path: &str,
) -> Outcome {
    match search(p, tables, hit, path, "rule out") {
        Search::Found(hit) => Outcome::Fail(format!("forbidden symbol present: {}", examples(hit))),
        Search::Missing(tables) => Outcome::Pass(format!("no match in {tables}")),
        Search::Unknown(why) => Outcome::Unknown(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::SymbolIndex;
    use crate::policy::tests::{is_fail, is_pass, is_unknown};

    fn sym(
        name: &'static str,
        table: SymbolTable,
        defined: bool,
        version: Option<&'static str>,
        hidden: bool,
    ) -> SymbolRef<'static> {
        SymbolRef {
            name: name.as_bytes(),
            table,
            kind: SymbolKind::Func,
            binding: SymbolBinding::Global,
            defined,
            size: 0,
            version: version.map(str::as_bytes),
            version_hidden: hidden,
        }
    }

    pub(crate) fn index() -> SymbolIndex {
        let mut idx = SymbolIndex::default();
        for s in [
            sym("runtime.mallocgc", SymbolTable::Pclntab, true, None, false),
            sym(
                "memcpy",
                SymbolTable::Dynsym,
                false,
                Some("GLIBC_2.14"),
                false,
            ),
            sym(
                "demo_fn",
                SymbolTable::Dynsym,
                true,
                Some("LIBDEMO_2.0"),
                false,
            ),
            sym(
                "demo_fn",
                SymbolTable::Dynsym,
                true,
                Some("LIBDEMO_1.0"),
                true,
            ),
            sym(
                "crypto/internal/boring/sig.BoringCrypto.abi0",
                SymbolTable::Symtab,
                true,
                None,
                false,
            ),
            sym(
                "_goboringcrypto_SHA1",
                SymbolTable::Symtab,
                true,
                None,
                false,
            ),
        ] {
            assert!(idx.push(s));
        }
        idx.mark_present(SymbolTable::Pclntab);
        idx.mark_present(SymbolTable::Dynsym);
        idx.mark_present(SymbolTable::Symtab);
        idx
    }

    fn run(patterns: &[&str], idx: &SymbolIndex) -> Vec<Hit> {
        let ps: Vec<_> = patterns
            .iter()
            .map(|p| SymbolPattern::parse(p).unwrap())
            .collect();
        idx.search(&SymbolMatcher::new(ps).unwrap()).hits
    }

    #[test]
    fn exact_glob_and_versions() {
        let idx = index();
        let hits = run(
            &[
                "runtime.mallocgc",
                "memcpy@GLIBC_2.14",
                "memcpy@@GLIBC_2.14",
                "demo_fn@@LIBDEMO_2.0",
                "demo_fn@LIBDEMO_1.0",
                "demo_fn@LIBDEMO_2.0",
                "*boring*",
                "memcpy@GLIBC_*",
                "nosuch",
            ],
            &idx,
        );
        let counts: Vec<u64> = hits.iter().map(|h| h.count).collect();
        assert_eq!(counts, vec![1, 1, 0, 1, 1, 0, 2, 1, 0]);
        assert_eq!(hits[1].examples, vec!["memcpy@GLIBC_2.14 (dynsym)"]);
    }

    #[test]
    fn map_form_filters() {
        let idx = index();
        let yaml = r#"[{name: "demo_fn@@LIBDEMO_2.0", table: dynsym, type: func, binding: global, defined: true},
                      {name: runtime.mallocgc, table: symtab},
                      {name: runtime.mallocgc, table: pclntab, defined: true},
                      {name: memcpy, defined: false, type: object}]"#;
        let ps: Vec<SymbolPattern> = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(
            ps[0].text,
            "demo_fn@@LIBDEMO_2.0 (table dynsym, type func, binding global, defined)"
        );
        let hits = idx.search(&SymbolMatcher::new(ps).unwrap()).hits;
        let counts: Vec<u64> = hits.iter().map(|h| h.count).collect();
        assert_eq!(counts, vec![1, 0, 1, 0]);
    }

    #[test]
    fn map_form_rejects_unknown_keys_and_values() {
        let e = serde_saphyr::from_str::<Vec<SymbolPattern>>("[{name: x, tabel: dynsym}]");
        assert!(e.unwrap_err().to_string().contains("tabel"));
        let e = serde_saphyr::from_str::<Vec<SymbolPattern>>("[{name: x, table: elf}]");
        assert!(e.unwrap_err().to_string().contains("unknown symbol table"));
        assert!(SymbolPattern::parse("x@").is_err());
        assert!(SymbolPattern::parse("@@V").is_err());
        assert!(SymbolPattern::parse("a[").is_err());
    }

    #[test]
    fn required_and_forbidden_outcomes() {
        let idx = index();
        let req = SymbolPattern::parse("runtime.mallocgc").unwrap();
        let hit = Hit {
            count: 1,
            examples: vec!["runtime.mallocgc (pclntab)".into()],
            more_names: 0,
        };
        let tables = Some(idx.present.as_slice());
        assert!(is_pass(&check_required(&req, tables, Some(&hit), "f")));
        assert!(is_fail(&check_forbidden(&req, tables, Some(&hit), "f")));
        let none = Hit::default();
        assert!(is_fail(&check_required(&req, tables, Some(&none), "f")));
        assert!(is_pass(&check_forbidden(&req, tables, Some(&none), "f")));
        // No index at all: unknown both ways.
        assert!(is_unknown(&check_required(&req, None, None, "f")));
        assert!(is_unknown(&check_forbidden(&req, None, None, "f")));
        // No table present: unknown; one table present: decided.
        let empty = SymbolIndex::default();
        assert!(is_unknown(&check_forbidden(
            &req,
            Some(empty.present.as_slice()),
            Some(&none),
            "f"
        )));
        assert!(is_unknown(&check_required(
            &req,
            Some(empty.present.as_slice()),
            Some(&none),
            "f"
        )));
        let mut dyn_only = SymbolIndex::default();
        dyn_only.mark_present(SymbolTable::Dynsym);
        let o = check_forbidden(&req, Some(dyn_only.present.as_slice()), Some(&none), "f");
        assert!(is_pass(&o));
        assert!(format!("{o:?}").contains("symtab, pclntab absent"));
        // A table-restricted pattern whose table is absent is unknown.
        let mut p = SymbolPattern::parse("x").unwrap();
        p.table = Some(SymbolTable::Symtab);
        assert!(is_unknown(&check_required(
            &p,
            Some(dyn_only.present.as_slice()),
            Some(&none),
            "f"
        )));
    }

    /// The exact wording of every outcome, both rule directions.
    #[test]
    fn outcome_messages() {
        let p = SymbolPattern::parse("runtime.mallocgc").unwrap();
        let hit = Hit {
            count: 1,
            examples: vec!["runtime.mallocgc (pclntab)".into()],
            more_names: 0,
        };
        let none = Hit::default();
        let mut dyn_only = SymbolIndex::default();
        dyn_only.mark_present(SymbolTable::Dynsym);
        let empty = SymbolIndex::default();
        let both = |tables: Option<&[SymbolTable]>, hit: Option<&Hit>| {
            (
                check_required(&p, tables, hit, "bin/x"),
                check_forbidden(&p, tables, hit, "bin/x"),
            )
        };
        let s = |t: &str| t.to_owned();
        assert_eq!(
            both(Some(dyn_only.present.as_slice()), Some(&hit)),
            (
                Outcome::Pass(s("found runtime.mallocgc (pclntab)")),
                Outcome::Fail(s("forbidden symbol present: runtime.mallocgc (pclntab)"))
            )
        );
        // Matching names of the pclntab that were not looked up.
        let unlooked = Hit {
            more_names: 3,
            ..hit.clone()
        };
        assert_eq!(
            both(Some(dyn_only.present.as_slice()), Some(&unlooked)).1,
            Outcome::Fail(s(
                "forbidden symbol present: runtime.mallocgc (pclntab) and 3 more matching names in the pclntab"
            ))
        );
        let one = Hit {
            more_names: 1,
            ..hit.clone()
        };
        assert_eq!(
            both(Some(dyn_only.present.as_slice()), Some(&one)).0,
            Outcome::Pass(s(
                "found runtime.mallocgc (pclntab) and 1 more matching name in the pclntab"
            ))
        );
        assert_eq!(
            both(Some(dyn_only.present.as_slice()), Some(&none)),
            (
                Outcome::Fail(s(
                    "runtime.mallocgc not found in dynsym (symtab, pclntab absent)"
                )),
                Outcome::Pass(s("no match in dynsym (symtab, pclntab absent)"))
            )
        );
        assert_eq!(
            both(Some(empty.present.as_slice()), Some(&none)),
            (
                Outcome::Unknown(s(
                    "cannot look for runtime.mallocgc in bin/x: no symtab or dynsym or pclntab table"
                )),
                Outcome::Unknown(s(
                    "cannot rule out runtime.mallocgc in bin/x: no symtab or dynsym or pclntab table"
                ))
            )
        );
        assert_eq!(
            both(None, None),
            (
                Outcome::Unknown(s(
                    "cannot look for runtime.mallocgc in bin/x: symbols were not searched for this file"
                )),
                Outcome::Unknown(s(
                    "cannot rule out runtime.mallocgc in bin/x: symbols were not searched for this file"
                ))
            )
        );
    }

    #[test]
    fn many_matches_are_summarised() {
        let mut idx = SymbolIndex::default();
        idx.mark_present(SymbolTable::Symtab);
        for _ in 0..100 {
            idx.push(sym("boring_x", SymbolTable::Symtab, true, None, false));
        }
        let hits = run(&["boring_*"], &idx);
        assert_eq!(hits[0].count, 100);
        assert_eq!(hits[0].examples.len(), EXAMPLES);
        let p = SymbolPattern::parse("boring_*").unwrap();
        let o = check_forbidden(&p, Some(idx.present.as_slice()), hits.first(), "f");
        assert!(format!("{o:?}").contains("and 95 more"));
    }

    #[test]
    fn escaped_glob_characters_match_literally() {
        let mut idx = SymbolIndex::default();
        idx.mark_present(SymbolTable::Pclntab);
        idx.push(sym("main.F[...]", SymbolTable::Pclntab, true, None, false));
        idx.push(sym("main.F.", SymbolTable::Pclntab, true, None, false));
        let hits = run(&[r"main.F\[...\]", "main.F[...]"], &idx);
        assert_eq!(hits[0].examples, vec!["main.F[...] (pclntab)"]);
        // Unescaped, `[...]` is a class: it matches `main.F.`, not the generic name.
        assert_eq!(hits[1].examples, vec!["main.F. (pclntab)"]);
    }

    #[test]
    fn non_utf8_names_match_globs_and_print_escaped() {
        let mut idx = SymbolIndex::default();
        idx.mark_present(SymbolTable::Symtab);
        idx.push(SymbolRef {
            name: b"bad\xff\nname",
            ..sym("", SymbolTable::Symtab, true, None, false)
        });
        let hits = run(&["bad*"], &idx);
        assert_eq!(hits[0].count, 1);
        assert_eq!(hits[0].examples, vec!["bad\\xff\\x0aname (symtab)"]);
    }

    #[test]
    fn glob_literals_are_parts_every_match_contains() {
        let lit = |g: &str| glob_literal(g).map(|l| String::from_utf8(l).unwrap());
        assert_eq!(lit("*boring*").as_deref(), Some("boring"));
        assert_eq!(
            lit("crypto/internal/boring/*").as_deref(),
            Some("crypto/internal/boring/")
        );
        assert_eq!(lit("a*longer?b").as_deref(), Some("longer"));
        assert_eq!(lit(r"main.F\[...\]").as_deref(), Some("main.F[...]"));
        // Classes and alternatives end the search: their contents are optional.
        assert_eq!(lit("x_cgo_[a-z]*init").as_deref(), Some("x_cgo_"));
        assert_eq!(lit("{alpha,beta}").as_deref(), None);
        assert_eq!(lit("*"), None);
        assert_eq!(lit("?"), None);
        // globset's leading `**/` may match nothing at all: `**/main` matches `main`.
        assert_eq!(lit("**/main").as_deref(), Some("main"));
        assert_eq!(lit("**/**/os/exec.*").as_deref(), Some("os/exec."));
        assert_eq!(lit("vendor/**/x").as_deref(), Some("vendor"));
        assert_eq!(lit("a/**").as_deref(), Some("a"));
    }

    /// The strings a block search keeps: each holding a literal, whole,
    /// once; every string when a glob has no literal.
    #[test]
    fn block_candidates() {
        let m = |ps: &[&str]| {
            SymbolMatcher::new(
                ps.iter()
                    .map(|p| SymbolPattern::parse(p).unwrap())
                    .collect(),
            )
            .unwrap()
        };
        let block = b"runtime.main\0main.main\0x.boring.boring\0other\0tail";
        let strings = |q: &SymbolMatcher| {
            let mut out = Vec::new();
            q.candidates(block, &mut out);
            // Adjacent picks share a range: split it back into strings.
            out.iter()
                .flat_map(|&(s, e)| block[s..e].split(|&b| b == 0))
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect::<Vec<_>>()
        };
        let mut one = Vec::new();
        m(&["main.main", "*boring*", "*.main"]).candidates(block, &mut one);
        assert_eq!(one, [(0, 38)], "three adjacent strings, one range");
        assert_eq!(
            strings(&m(&["main.main", "*boring*", "*.main"])),
            ["runtime.main", "main.main", "x.boring.boring"]
        );
        assert_eq!(strings(&m(&["tai?"])), ["tail"]);
        assert_eq!(
            strings(&m(&["[mo]*"])),
            [
                "runtime.main",
                "main.main",
                "x.boring.boring",
                "other",
                "tail"
            ]
        );
        assert!(strings(&m(&["nosuch"])).is_empty());
    }

    /// Matching a glob over every tail of a long name is quadratic: past a
    /// budget the answer is "may match", which makes the caller read more
    /// instead of taking hours over a hostile name.
    #[test]
    fn long_tails_are_not_matched_one_by_one() {
        let q = SymbolMatcher::new(vec![SymbolPattern::parse("?*qz").unwrap()]).unwrap();
        let short = b"qzqzx";
        assert!(!q.tail_matches(&SymbolRef::pclntab_function(short), 0));
        let mut long = b"qz".repeat(32 << 10);
        long.push(b'x');
        assert!(q.tail_matches(&SymbolRef::pclntab_function(&long), 0));
    }

    /// The literal prefilter (block candidates, then the per-name check)
    /// never drops a name the glob itself matches; globs matched without
    /// the glob set (`x*`, `*x`, `*x*`) and tails agree with globset.
    #[test]
    fn literal_prefilter_never_drops_a_match() {
        let globs = [
            "**/main",
            "**/**/x.*",
            "a/**/b",
            "a/**",
            "**",
            "*a*",
            r"\*x",
            r"x\?",
            "[ab]c*",
            "{a,b}*main",
            "main.?ain",
            "é*",
            "*/*",
            "?",
            "*.main",
            "x/*",
            "/main",
            "main",
            "ma*",
            "*in",
            "*x.y*",
        ];
        let names: [&[u8]; 16] = [
            b"main",
            b"x/main",
            b"a/b",
            b"a/x/b",
            b"ab",
            b"*x",
            b"x?",
            b"ac",
            b"bmain",
            b"main.main",
            "éa".as_bytes(),
            b"a/",
            b"",
            b"/main",
            b"x.y",
            b"q/x.y",
        ];
        let mut block = Vec::new();
        for n in names {
            block.extend_from_slice(n);
            block.push(0);
        }
        for g in globs {
            let matcher = name_glob(g).unwrap().compile_matcher();
            let want = names
                .iter()
                .filter(|n| matcher.is_match_candidate(&Candidate::from_bytes(n)))
                .count();
            let q = SymbolMatcher::new(vec![SymbolPattern::parse(g).unwrap()]).unwrap();
            let mut picked = Vec::new();
            q.candidates(&block, &mut picked);
            let mut hits = vec![Hit::default()];
            for (s, e) in picked {
                // A picked range may hold several strings: offer each.
                for name in block[s..e].split(|&b| b == 0) {
                    q.offer(&SymbolRef::pclntab_function(name), &mut hits);
                }
            }
            assert_eq!(hits[0].count as usize, want, "{g}");
            // And a tail matches exactly when globset matches one.
            for n in names {
                let tail = (1..=n.len())
                    .any(|j| matcher.is_match_candidate(&Candidate::from_bytes(&n[j..])));
                let got = q.tail_matches(&SymbolRef::pclntab_function(n), 0);
                assert_eq!(
                    got,
                    tail,
                    "{g} on a tail of {:?}",
                    String::from_utf8_lossy(n)
                );
            }
        }
    }
}
