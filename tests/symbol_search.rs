//! Symbol patterns answered while a file is read (streamed name table,
//! literal search) against the plain reader that walks every function of
//! the whole pclntab: on every real Go fixture they must agree exactly.

mod common;

use elfgate::facts::SymbolSearch;
use elfgate::go::pclntab;
use elfgate::inspect::{Options, inspect_data};
use elfgate::policy::{SymbolMatcher, SymbolPattern};

/// Every function name of the fixture's `.gopclntab`, by the whole-table reader.
fn all_functions(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let elf = goblin::elf::Elf::parse(bytes).ok()?;
    let sh = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".gopclntab"))?;
    let start = sh.sh_offset as usize;
    let table = &bytes[start..start + sh.sh_size as usize];
    let tab = pclntab::parse_header(table).unwrap();
    Some(tab.funcs().map(|n| n.unwrap().to_vec()).collect())
}

/// `name` as a pattern that matches only itself (`runtime.(*p).init`
/// would otherwise be a glob).
fn literal(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if "*?[]{}\\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn pclntab_only(name: &str) -> SymbolPattern {
    let yaml = format!("{{name: {name:?}, table: pclntab}}");
    serde_saphyr::from_str(&yaml).unwrap()
}

fn search(bytes: &[u8], patterns: Vec<SymbolPattern>) -> SymbolSearch {
    let query = SymbolMatcher::new(patterns).unwrap();
    let opts = Options {
        digest: false,
        symbols: Some(&query),
    };
    let r = inspect_data("fixture", bytes, &opts).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    r.symbol_search.unwrap()
}

#[test]
fn streamed_search_agrees_with_the_whole_table() {
    let mut checked = 0;
    for (name, ..) in common::fixtures() {
        // Rows for files derived in tests (no section headers) have no file.
        let Ok(bytes) = std::fs::read(common::root().join("testdata/bin").join(&name)) else {
            continue;
        };
        let Some(funcs) = all_functions(&bytes) else {
            continue;
        };
        // A sample of exact names (every 37th function), one glob per
        // shape: prefix, inner literal, no literal at all.
        let sample: Vec<&Vec<u8>> = funcs.iter().step_by(37).collect();
        let mut patterns: Vec<SymbolPattern> = sample
            .iter()
            .map(|n| pclntab_only(&literal(std::str::from_utf8(n).unwrap())))
            .collect();
        for g in ["runtime.*", "*race*", "*", "main.?ain"] {
            patterns.push(pclntab_only(g));
        }
        let got = search(&bytes, patterns);
        let n = sample.len();
        for (i, want) in sample.iter().enumerate() {
            let count = funcs.iter().filter(|f| f == want).count() as u64;
            assert_eq!(
                got.hits[i].count,
                count,
                "{name}: {:?}",
                String::from_utf8_lossy(want)
            );
        }
        let count = |f: &dyn Fn(&[u8]) -> bool| funcs.iter().filter(|n| f(n)).count() as u64;
        let race = memchr::memmem::Finder::new(b"race");
        assert_eq!(
            got.hits[n].count,
            count(&|s| s.starts_with(b"runtime.")),
            "{name}"
        );
        assert_eq!(
            got.hits[n + 1].count,
            count(&|s| race.find(s).is_some()),
            "{name}"
        );
        assert_eq!(got.hits[n + 2].count, funcs.len() as u64, "{name}");
        assert_eq!(
            got.hits[n + 3].count,
            count(&|s| s == b"main.main"),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} fixtures with a pclntab");
}

/// Names that are not functions (absent, or a prefix of a real one) are not found.
#[test]
fn near_misses_are_not_found() {
    let bytes = std::fs::read(common::root().join("testdata/bin/go127-exe")).unwrap();
    let got = search(
        &bytes,
        [
            "runtime.mallocg",
            "untime.mallocgc",
            "runtime.mallocgc",
            "nosuch.*",
        ]
        .iter()
        .map(|p| pclntab_only(p))
        .collect(),
    );
    let counts: Vec<u64> = got.hits.iter().map(|h| h.count).collect();
    assert_eq!(counts, [0, 0, 1, 0]);
}
