//! Symbol patterns answered while a file is read (streamed name table,
//! literal search) against the plain reader that walks every function of
//! the whole pclntab: on every real Go fixture they must agree exactly.

mod common;

use elfgate::facts::{SymbolHit, SymbolSearch};
use elfgate::go::pclntab;
use elfgate::inspect::{Options, inspect_data};
use elfgate::policy::{SymbolMatcher, SymbolPattern};

/// The file range of the fixture's `.gopclntab` (by goblin).
fn pclntab_range(bytes: &[u8]) -> Option<(usize, usize)> {
    let elf = goblin::elf::Elf::parse(bytes).ok()?;
    let sh = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".gopclntab"))?;
    Some((sh.sh_offset as usize, sh.sh_size as usize))
}

/// Every function name of the fixture's `.gopclntab`, by the whole-table reader.
fn all_functions(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (start, len) = pclntab_range(bytes)?;
    let table = &bytes[start..start + len];
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

/// Which function names a pattern should match.
type Want<'a> = Box<dyn Fn(&[u8]) -> bool + 'a>;

/// One pattern's hit against the functions the whole-table reader
/// matches: found exactly when some function matches; what is counted
/// and shown is a function that matches; the names not looked up cover
/// the rest (every matching function is named by a matching string).
fn agrees(file: &str, i: usize, hit: &SymbolHit, funcs: &[Vec<u8>], want: &dyn Fn(&[u8]) -> bool) {
    let matching: Vec<&Vec<u8>> = funcs.iter().filter(|f| want(f)).collect();
    assert_eq!(hit.count > 0, !matching.is_empty(), "{file} #{i}: {hit:?}");
    assert!(hit.count as usize <= matching.len(), "{file} #{i}: {hit:?}");
    for e in &hit.examples {
        let name = e.strip_suffix(" (pclntab)").unwrap();
        assert!(
            matching.iter().any(|f| f.as_slice() == name.as_bytes()),
            "{file} #{i}: example {e} is not a matching function"
        );
    }
    let mut distinct = matching.clone();
    distinct.sort();
    distinct.dedup();
    assert!(
        distinct.len() as u64 <= hit.count + hit.more_names,
        "{file} #{i}: {} distinct functions, {hit:?}",
        distinct.len()
    );
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
        let race = memchr::memmem::Finder::new(b"race");
        let mut wants: Vec<Want> = sample
            .iter()
            .map(|w| Box::new(move |f: &[u8]| f == w.as_slice()) as Want)
            .collect();
        wants.push(Box::new(|s| s.starts_with(b"runtime.")));
        wants.push(Box::new(move |s| race.find(s).is_some()));
        wants.push(Box::new(|_| true));
        wants.push(Box::new(|s| s == b"main.main"));
        assert_eq!(wants.len(), n + 4);
        for (i, want) in wants.iter().enumerate() {
            agrees(&name, i, &got.hits[i], &funcs, want.as_ref());
        }
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

/// Names in the name table that no function has (callees that were only
/// inlined) are not found: the lookups cannot tell, so every function
/// record is read, and the counts are then exact.
#[test]
fn inlined_only_names_are_not_found() {
    let bytes = std::fs::read(common::root().join("testdata/bin/go127-exe")).unwrap();
    let (start, len) = pclntab_range(&bytes).unwrap();
    let table = &bytes[start..][..len];
    let layout = pclntab::name_layout(table, table.len() as u64)
        .unwrap()
        .unwrap();
    let names = &table[layout.names.0 as usize..layout.names.1 as usize];
    let funcs = all_functions(&bytes).unwrap();
    let inlined: Vec<&[u8]> = names
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty() && !funcs.iter().any(|f| f == n))
        .take(3)
        .collect();
    assert_eq!(inlined.len(), 3, "the fixture has inlined-only names");
    let mut patterns: Vec<SymbolPattern> = inlined
        .iter()
        .map(|n| pclntab_only(&literal(std::str::from_utf8(n).unwrap())))
        .collect();
    patterns.push(pclntab_only("main.main"));
    let got = search(&bytes, patterns);
    let counts: Vec<u64> = got.hits.iter().map(|h| h.count).collect();
    assert_eq!(counts, [0, 0, 0, 1], "{inlined:?}");
}

/// A function named by the tail of a string (Go's linker never does this,
/// other writers may): a pattern that only the tail matches must still be
/// found, so such a pattern is never decided from whole strings alone.
#[test]
fn functions_named_by_a_tail_are_found() {
    let mut bytes = std::fs::read(common::root().join("testdata/bin/go127-exe")).unwrap();
    let (start, len) = pclntab_range(&bytes).unwrap();
    let table = &bytes[start..][..len];
    // Go 1.20 header words: nfunc, nfiles, textStart, funcnameOffset,
    // cuOffset, filetabOffset, pctabOffset, pclnOffset.
    let word = |i: usize| u64::from_le_bytes(table[8 + 8 * i..][..8].try_into().unwrap()) as usize;
    let (nfunc, names, pcln) = (word(0), word(3), word(7));
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let main = memchr::memmem::find(&table[names..], b"\0main.main\0").unwrap() as u32 + 1;
    // functab entry k is { entryOff u32, funcOff u32 }; the `_func` at
    // pclnOffset + funcOff begins { entryOff u32, nameOff i32 }.
    let name_off_at = (0..nfunc)
        .map(|k| pcln + u32_at(table, pcln + 8 * k + 4) as usize + 4)
        .find(|&at| u32_at(table, at) == main)
        .unwrap();
    // main.main is now named "main", the tail of its string.
    let at = start + name_off_at;
    bytes[at..at + 4].copy_from_slice(&(main + 5).to_le_bytes());
    // One pattern per search: a pattern that needs every record read would
    // make the others exact too.
    let counts: Vec<u64> = ["main", "mai?", "main.mai*", "main.main", "*ain"]
        .iter()
        .map(|p| search(&bytes, vec![pclntab_only(p)]).hits[0].count)
        .collect();
    assert_eq!(counts[..4], [1, 1, 0, 0]);
    assert!(counts[4] >= 1);
    // As the whole-table reader says.
    let funcs = all_functions(&bytes).unwrap();
    assert!(funcs.iter().any(|f| f == b"main"));
    assert!(!funcs.iter().any(|f| f == b"main.main"));
}

/// The main thread joins rayon's pool for a symbol search of one file
/// (`elfgate::pool`): with one worker, two, or one per CPU, the run ends
/// and says the same.
#[test]
fn one_file_search_with_any_number_of_workers() {
    use std::process::{Command, Stdio};
    let fixture = common::root().join("testdata/bin/go127-static");
    let args = [
        "check",
        "--require-symbol",
        "main.main",
        "--require-symbol",
        "runtime.mallocgc",
        "--forbid-symbol",
        "*boring*",
        "--forbid-symbol",
        "_cgo_*",
    ];
    let run = |workers: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_elfgate"));
        cmd.args(args)
            .arg(&fixture)
            .env_remove("ELFGATE_FORMAT")
            .env_remove("RAYON_NUM_THREADS")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(n) = workers {
            cmd.env("RAYON_NUM_THREADS", n);
        }
        let mut child = cmd.spawn().unwrap();
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > std::time::Duration::from_secs(60) {
                let _ = child.kill();
                panic!("check with RAYON_NUM_THREADS={workers:?} did not end");
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let default = run(None);
    assert_eq!(default.0, Some(0), "{}", default.1);
    assert!(default.1.contains("found main.main"), "{}", default.1);
    for n in ["1", "2", "7"] {
        assert_eq!(run(Some(n)), default, "RAYON_NUM_THREADS={n}");
    }
}
