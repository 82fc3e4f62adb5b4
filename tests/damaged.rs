//! Real fixtures, damaged in the test: cut short at each structure, sizes
//! and offsets that point past the end, counts that would need gigabytes,
//! overlapping structures, a varint that never ends, string tables without
//! a terminator, an empty file and a text file named like a library.
//!
//! Every damaged file must be reported by `elfgate inspect` as an error that
//! names the file and the structure (with its offset or the reason), with
//! exit status 3; `elfgate check --min-version go1.21.0` must not pass it;
//! and neither may panic (status 101), die by a signal, or hang.
//!
//! Offsets come from goblin (the independent oracle), not from elfgate. The
//! fixtures used are ELF64 little-endian x86-64, which the patch helpers
//! assume and [`Fixture::load`] checks.
//!
//! A test marked `#[ignore = "finding: ..."]` would describe damage that
//! elfgate does not report yet (`cargo test --test damaged -- --ignored`
//! runs such tests); there are none at present.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

mod common;

use common::{Outcome, elfgate_within};
use elfgate::inspect::{Options, inspect_data};
use elfgate::policy::{SymbolMatcher, SymbolPattern};

const FIXTURES: [&str; 4] = [
    "go127-exe",
    "go127-cgo",
    "libversioned.so",
    "go125-boring-cgo",
];
/// Fixtures built by Go (they have `.go.buildinfo` and `.gopclntab`).
const GO_FIXTURES: [&str; 3] = ["go127-exe", "go127-cgo", "go125-boring-cgo"];
/// Fixtures with a `PT_DYNAMIC` and GNU version requirements.
const DYNAMIC_FIXTURES: [&str; 2] = ["go127-cgo", "go125-boring-cgo"];

/// A run of the binary that takes longer than this is a hang.
const TIMEOUT: Duration = Duration::from_secs(60);

// Field offsets in Elf64_Ehdr, Elf64_Phdr and Elf64_Shdr (gABI).
const E_SHOFF: usize = 40;
const E_PHNUM: usize = 56;
const E_SHNUM: usize = 60;
const P_OFFSET: usize = 8;
const P_FILESZ: usize = 32;
const SH_OFFSET: usize = 24;
const SH_SIZE: usize = 32;
const SH_INFO: usize = 44;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const DT_STRSZ: u64 = 10;

// ---------------------------------------------------------------------------
// Fixtures and their layout, read with goblin.

#[derive(Debug, Clone)]
struct Sec {
    name: String,
    /// File offset of this section's header.
    header: usize,
    offset: usize,
    size: usize,
}

#[derive(Debug, Clone)]
struct Seg {
    index: usize,
    header: usize,
    p_type: u32,
    offset: usize,
}

struct Fixture {
    name: &'static str,
    bytes: Vec<u8>,
    e_phoff: usize,
    e_phnum: usize,
    e_shoff: usize,
    sections: Vec<Sec>,
    segments: Vec<Seg>,
    /// `(d_tag, file offset of the entry)` of each dynamic entry.
    dynamic: Vec<(u64, usize)>,
}

fn usize_of(v: u64) -> usize {
    usize::try_from(v).expect("fixture offsets fit in usize")
}

impl Fixture {
    fn load(name: &'static str) -> Fixture {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/bin")
            .join(name);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let elf = goblin::elf::Elf::parse(&bytes).expect("fixtures are valid ELF");
        assert!(
            elf.is_64 && elf.little_endian,
            "{name}: the patch helpers assume ELF64 little-endian"
        );
        let h = &elf.header;
        let e_shoff = usize_of(h.e_shoff);
        let sections = elf
            .section_headers
            .iter()
            .enumerate()
            .map(|(i, s)| Sec {
                name: elf.shdr_strtab.get_at(s.sh_name).unwrap_or("").to_string(),
                header: e_shoff + i * usize::from(h.e_shentsize),
                offset: usize_of(s.sh_offset),
                size: usize_of(s.sh_size),
            })
            .collect();
        let e_phoff = usize_of(h.e_phoff);
        let segments: Vec<Seg> = elf
            .program_headers
            .iter()
            .enumerate()
            .map(|(index, p)| Seg {
                index,
                header: e_phoff + index * usize::from(h.e_phentsize),
                p_type: p.p_type,
                offset: usize_of(p.p_offset),
            })
            .collect();
        let dyn_base = segments
            .iter()
            .find(|s| s.p_type == PT_DYNAMIC)
            .map(|s| s.offset);
        let dynamic = match (&elf.dynamic, dyn_base) {
            (Some(d), Some(base)) => d
                .dyns
                .iter()
                .enumerate()
                .map(|(i, e)| (e.d_tag, base + i * 16))
                .collect(),
            _ => Vec::new(),
        };
        Fixture {
            name,
            e_phoff,
            e_phnum: usize::from(h.e_phnum),
            e_shoff,
            sections,
            segments,
            dynamic,
            bytes,
        }
    }

    fn section(&self, name: &str) -> Option<&Sec> {
        self.sections.iter().find(|s| s.name == name)
    }

    fn sec(&self, name: &str) -> &Sec {
        self.section(name)
            .unwrap_or_else(|| panic!("{}: no section {name}", self.name))
    }

    fn segment(&self, p_type: u32) -> Option<&Seg> {
        self.segments.iter().find(|s| s.p_type == p_type)
    }

    fn last_load(&self) -> &Seg {
        self.segments
            .iter()
            .rfind(|s| s.p_type == PT_LOAD)
            .expect("fixtures have a PT_LOAD")
    }

    /// A copy to damage.
    fn copy(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// Where the program header table ends.
    fn phdrs_end(&self) -> usize {
        self.e_phoff + self.e_phnum * 56
    }
}

fn put_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

// ---------------------------------------------------------------------------
// Running the binary.

/// Runs elfgate with a deadline; a run past [`TIMEOUT`] is killed and fails
/// the test as a hang.
fn elfgate<S: AsRef<OsStr>>(args: &[S]) -> Outcome {
    elfgate_within(args, TIMEOUT)
}

/// Neither a panic nor a signal.
fn assert_no_crash(what: &str, o: &Outcome) {
    use std::os::unix::process::ExitStatusExt;
    assert!(
        o.status.signal().is_none(),
        "{what}: killed by signal {:?}\n{}",
        o.status.signal(),
        o.stderr
    );
    assert_ne!(o.status.code(), Some(101), "{what}: panicked\n{}", o.stderr);
    assert!(
        !o.stderr.contains("panicked at"),
        "{what}: panicked\n{}",
        o.stderr
    );
}

/// What a damaged file's error must say, besides naming the file.
enum Expect<'a> {
    /// Every one of these substrings, on one line.
    All(&'a [&'a str]),
    /// A located read error: an offset and "past ... end".
    Located,
}

fn line_matches(line: &str, expect: &Expect<'_>) -> bool {
    match expect {
        Expect::All(parts) => parts.iter().all(|p| line.contains(p)),
        Expect::Located => line.contains(" at 0x") && line.contains("past") && line.contains("end"),
    }
}

/// Writes `bytes` to `dir/name` and checks that elfgate rejects it as
/// described above. Also runs the in-process reader with a symbol query
/// (the CLI's `inspect` has none) so that its paths are exercised.
fn assert_rejected(dir: &Path, name: &str, bytes: &[u8], expect: Expect<'_>) {
    let query = SymbolMatcher::new(
        ["main.main", "*boring*", "*"]
            .iter()
            .map(|p| SymbolPattern::parse(p).expect("valid pattern"))
            .collect(),
    )
    .expect("valid patterns");
    let opts = Options {
        digest: false,
        symbols: Some(&query),
    };
    let _ = inspect_data(name, bytes, &opts);

    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write damaged file");
    let shown = path.to_str().expect("UTF-8 temp path");

    let o = elfgate(&["inspect", shown]);
    assert_no_crash(&format!("inspect {name}"), &o);
    let prefix = format!("elfgate: {shown}: ");
    let found = o
        .stderr
        .lines()
        .any(|l| l.starts_with(&prefix) && line_matches(l, &expect));
    assert!(
        found,
        "inspect {name}: no error line naming the file and the damage\nstatus {:?}\nstderr:\n{}\nstdout:\n{}",
        o.status.code(),
        o.stderr,
        o.stdout
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "inspect {name}: exit status\n{}",
        o.stderr
    );

    let c = elfgate(&["check", "--min-version", "go1.21.0", shown]);
    assert_no_crash(&format!("check {name}"), &c);
    assert_ne!(
        c.status.code(),
        Some(0),
        "check {name}: a damaged file passed\n{}",
        c.stdout
    );
}

/// `check` with `args` over a damaged file: it must not pass, whether the
/// pristine file fails these rules or (a symbol it lacks) passes them.
fn assert_check_not_passed(dir: &Path, name: &str, bytes: &[u8], args: &[&str]) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write damaged file");
    let mut argv: Vec<&OsStr> = vec![OsStr::new("check")];
    argv.extend(args.iter().map(OsStr::new));
    argv.push(path.as_os_str());
    let c = elfgate(&argv);
    assert_no_crash(&format!("check {name}"), &c);
    assert_ne!(
        c.status.code(),
        Some(0),
        "check {args:?} passed a damaged file\n{}",
        c.stdout
    );
}

/// A rule forbidding a symbol the pristine file has.
fn assert_forbid_symbol_fails(dir: &Path, name: &str, bytes: &[u8], symbol: &str) {
    assert_check_not_passed(dir, name, bytes, &["--forbid-symbol", symbol]);
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

// ---------------------------------------------------------------------------
// The pristine fixtures are accepted: every damage below is what fails.

#[test]
fn pristine_fixtures_pass() {
    let dir = tempdir();
    for name in FIXTURES {
        let fx = Fixture::load(name);
        let path = dir.path().join(name);
        std::fs::write(&path, &fx.bytes).unwrap();
        let o = elfgate(&[OsStr::new("inspect"), path.as_os_str()]);
        assert_no_crash(name, &o);
        assert_eq!(o.status.code(), Some(0), "{name}\n{}", o.stderr);
        assert_eq!(o.stderr, "", "{name}");
    }
}

// ---------------------------------------------------------------------------
// Empty files and files that are not ELF.

#[test]
fn zero_length_file() {
    let dir = tempdir();
    assert_rejected(
        dir.path(),
        "empty",
        &[],
        Expect::All(&["not an ELF file (the file is empty)"]),
    );
}

#[test]
fn text_file_named_like_a_library() {
    let dir = tempdir();
    let text = b"INPUT(-lfoo)\n/* a GNU ld script, not ELF */\n";
    assert_rejected(
        dir.path(),
        "lib.so",
        text,
        Expect::All(&["not an ELF file (it starts with \"INPU\")"]),
    );
}

/// Found while walking a directory, a file that is not ELF is passed over
/// (like `go version DIR`); with nothing else there, `check` has nothing
/// to check and must not pass.
#[test]
fn text_library_in_a_walked_directory_is_skipped_not_passed() {
    let dir = tempdir();
    let lib = dir.path().join("usr/lib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(lib.join("lib.so"), b"INPUT(-lfoo)\n").unwrap();
    std::fs::write(lib.join("empty.so"), b"").unwrap();
    let shown = dir.path().to_str().unwrap();

    let o = elfgate(&["inspect", "-v", shown]);
    assert_no_crash("inspect dir", &o);
    assert_eq!(o.status.code(), Some(0), "{}", o.stderr);
    assert!(
        o.stderr.contains("usr/lib/lib.so: skipped (not ELF)"),
        "{}",
        o.stderr
    );

    let c = elfgate(&["check", "--min-version", "go1.21.0", shown]);
    assert_no_crash("check dir", &c);
    assert_eq!(c.status.code(), Some(3), "{}\n{}", c.stdout, c.stderr);
    assert!(c.stderr.contains("no ELF file found"), "{}", c.stderr);
}

// ---------------------------------------------------------------------------
// Truncation.

/// The structures a cut can fall in, as `(label, start, len)`.
fn structures(fx: &Fixture) -> Vec<(String, usize, usize)> {
    let mut out = vec![
        ("ELF header".to_string(), 0, 64),
        (
            "program headers".to_string(),
            fx.e_phoff,
            fx.phdrs_end() - fx.e_phoff,
        ),
    ];
    for name in [
        ".note.go.buildid",
        ".note.gnu.build-id",
        ".note.gnu.property",
        ".go.buildinfo",
        ".gopclntab",
        ".dynstr",
        ".gnu.version_r",
        ".gnu.version_d",
        ".dynamic",
    ] {
        if let Some(s) = fx.section(name) {
            out.push((name.to_string(), s.offset, s.size));
        }
    }
    out
}

/// Cuts at the start of each structure and inside it (for `.go.buildinfo`
/// and the pclntab, inside their headers), as `(label, cut)`.
fn structure_cuts(fx: &Fixture) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (label, start, len) in structures(fx) {
        let inside = match label.as_str() {
            ".go.buildinfo" => start + 20, // in the 32-byte header
            ".gopclntab" => start + 30,    // in the 64-byte header
            _ => start + (len / 2).max(1), // mid-structure
        };
        out.push((label.clone(), start));
        out.push((label, inside));
    }
    out
}

/// Whether a cut keeps the whole section header table but loses part of
/// the section name table: every section is then nameless.
fn loses_only_section_names(fx: &Fixture, cut: usize) -> bool {
    let names = fx.sec(".shstrtab");
    fx.e_shoff + fx.sections.len() * 64 <= cut && cut < names.offset + names.size
}

/// Cut before the end of the loaded data, so a `PT_LOAD` or `PT_DYNAMIC`
/// read must fail with its offset. (Cuts that keep the section headers but
/// lose their names are in `truncated_where_section_names_are_lost`.)
#[test]
fn truncated_at_each_structure() {
    let dir = tempdir();
    for name in FIXTURES {
        let fx = Fixture::load(name);
        for (label, cut) in structure_cuts(&fx) {
            if loses_only_section_names(&fx, cut) {
                continue;
            }
            let expect = if cut == 0 {
                Expect::All(&["not an ELF file (the file is empty)"])
            } else if cut < 16 {
                Expect::All(&["not an ELF file (shorter than the 16-byte e_ident)"])
            } else if cut < 64 {
                Expect::All(&["ELF header at 0x0"])
            } else if cut < fx.phdrs_end() {
                Expect::All(&["program header table at 0x40"])
            } else {
                Expect::Located
            };
            let file = format!("{name}.cut-{}-{cut:#x}", label.trim_start_matches('.'));
            assert_rejected(dir.path(), &file, &fx.bytes[..cut], expect);
        }
    }
}

/// `go127-exe` keeps its section headers near the start and their names
/// at the end. Cut anywhere in between, every section is nameless: no
/// `.go.buildinfo`, `.gopclntab` or `.symtab` is found and the file reads
/// as "not a Go binary". The lost name table and every `PT_LOAD` that runs
/// past the end must be errors, so that `check --forbid-symbol main.main`
/// does not pass a 4 KB stub.
#[test]
fn truncated_where_section_names_are_lost() {
    let dir = tempdir();
    let mut tried = 0;
    for name in FIXTURES {
        let fx = Fixture::load(name);
        for (label, cut) in structure_cuts(&fx) {
            if !loses_only_section_names(&fx, cut) {
                continue;
            }
            tried += 1;
            let file = format!("{name}.cut-{}-{cut:#x}", label.trim_start_matches('.'));
            if GO_FIXTURES.contains(&name) {
                assert_forbid_symbol_fails(
                    dir.path(),
                    &format!("{file}-c"),
                    &fx.bytes[..cut],
                    "main.main",
                );
            }
            assert_rejected(dir.path(), &file, &fx.bytes[..cut], Expect::Located);
        }
    }
    assert!(tried > 0, "no fixture has this layout");
}

/// Where the section header table or its names are the last thing in the
/// file, a cut there loses only them. A file without section headers
/// (`sstrip`) says so with `e_shoff` 0; one whose `e_shoff`/`e_shnum`
/// promise a table that is not there is damaged, not stripped, and must be
/// an error, or section-only facts (`.gopclntab`, `.symtab`) silently
/// disappear and `check` passes it.
#[test]
fn truncated_in_trailing_section_headers_or_names() {
    let dir = tempdir();
    for name in FIXTURES {
        let fx = Fixture::load(name);
        let shstrtab = fx.sec(".shstrtab");
        let mut cuts = vec![shstrtab.offset + shstrtab.size / 2];
        if fx.e_shoff > shstrtab.offset {
            cuts.push(fx.e_shoff + 64 * 3 + 7);
        }
        for cut in cuts {
            let file = format!("{name}.cut-tail-{cut:#x}");
            assert_rejected(
                dir.path(),
                &file,
                &fx.bytes[..cut],
                Expect::All(&["section", " at 0x", "past"]),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Counts that would need gigabytes.

#[test]
fn program_header_count_past_the_file() {
    let dir = tempdir();
    for name in FIXTURES {
        let fx = Fixture::load(name);
        // 65534 entries of 56 bytes: 3.5 MiB, more than the file has.
        let mut b = fx.copy();
        put_u16(&mut b, E_PHNUM, 0xfffe);
        assert_rejected(
            dir.path(),
            &format!("{name}.phnum-fffe"),
            &b,
            Expect::All(&["program header table at 0x40"]),
        );
        // PN_XNUM: the count is section 0's sh_info, here 2^32-1 entries
        // (224 GiB).
        let mut b = fx.copy();
        put_u16(&mut b, E_PHNUM, 0xffff);
        put_u32(&mut b, fx.sections[0].header + SH_INFO, u32::MAX);
        assert_rejected(
            dir.path(),
            &format!("{name}.phnum-xnum"),
            &b,
            Expect::All(&["program header table at 0x40"]),
        );
    }
}

#[test]
fn section_header_count_past_the_file() {
    let dir = tempdir();
    for name in FIXTURES {
        let fx = Fixture::load(name);
        let mut b = fx.copy();
        put_u16(&mut b, E_SHNUM, 0xffff);
        assert_rejected(
            dir.path(),
            &format!("{name}.shnum-ffff"),
            &b,
            Expect::All(&["section header table at 0x"]),
        );
        // Extended numbering: e_shnum 0, the count in section 0's sh_size
        // (2^40 entries of 64 bytes).
        let mut b = fx.copy();
        put_u16(&mut b, E_SHNUM, 0);
        put_u64(&mut b, fx.sections[0].header + SH_SIZE, 1 << 40);
        assert_rejected(
            dir.path(),
            &format!("{name}.shnum-extended"),
            &b,
            Expect::All(&["section header table at 0x"]),
        );
    }
}

#[test]
fn dynamic_segment_sizes_past_the_file() {
    let dir = tempdir();
    for name in ["go127-cgo", "libversioned.so", "go125-boring-cgo"] {
        let fx = Fixture::load(name);
        let seg = fx.segment(PT_DYNAMIC).expect("PT_DYNAMIC");
        let i = seg.index;
        // 2^40 bytes of dynamic entries: 64 Gi entries.
        let mut b = fx.copy();
        put_u64(&mut b, seg.header + P_FILESZ, 1 << 40);
        let want = format!(
            "PT_DYNAMIC (program header {i}) at {:#x}: 1099511627776 bytes past end of file",
            seg.offset
        );
        assert_rejected(
            dir.path(),
            &format!("{name}.dynamic-filesz"),
            &b,
            Expect::All(&[&want]),
        );
        let mut b = fx.copy();
        let past = fx.bytes.len() + 8;
        put_u64(&mut b, seg.header + P_OFFSET, past as u64);
        let want = format!("PT_DYNAMIC (program header {i}) at {past:#x}");
        assert_rejected(
            dir.path(),
            &format!("{name}.dynamic-offset"),
            &b,
            Expect::All(&[&want, "past end of file"]),
        );
    }
}

/// `DT_STRSZ` of 1 TiB in a file without section headers (as `sstrip`
/// leaves it): the dynamic string table is then read through `DT_STRTAB`.
#[test]
fn dynamic_string_table_size_past_the_file() {
    let dir = tempdir();
    for name in ["go127-cgo", "libversioned.so", "go125-boring-cgo"] {
        let fx = Fixture::load(name);
        let mut b = fx.copy();
        put_u64(&mut b, E_SHOFF, 0);
        put_u16(&mut b, E_SHNUM, 0);
        let (_, at) = fx
            .dynamic
            .iter()
            .find(|(tag, _)| *tag == DT_STRSZ)
            .expect("DT_STRSZ");
        put_u64(&mut b, at + 8, 1 << 40);
        assert_rejected(
            dir.path(),
            &format!("{name}.dt-strsz"),
            &b,
            Expect::All(&["DT_STR"]),
        );
    }
}

/// `nfunc` of 2^63-1. Inspect reads the header alone and checks it
/// against the section's length (`pclntab::check_header`), so the count
/// that cannot fit is an error without the table being read; a rule
/// forbidding a Go function must not pass the file.
#[test]
fn pclntab_function_count_past_the_table() {
    let dir = tempdir();
    for name in GO_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".gopclntab");
        let mut b = fx.copy();
        // Go 1.20 header: magic, pad, minLC, ptrSize, then nfunc (uintptr).
        put_u64(&mut b, s.offset + 8, (1 << 63) - 1);
        assert_forbid_symbol_fails(dir.path(), &format!("{name}.nfunc-c"), &b, "main.main");
        assert_rejected(
            dir.path(),
            &format!("{name}.nfunc"),
            &b,
            Expect::All(&[
                ".gopclntab",
                "9223372036854775807 functions (+1 end entry) of 8 bytes do not fit",
            ]),
        );
    }
}

/// A `Verneed` count (`sh_info`) of 2^32-1 (64 GiB of entries) and a
/// `vn_cnt` of 65535: the walk is bounded, and a count the table cannot
/// hold is an error. (A count that fits but disagrees with a sound chain is
/// only a warning: the loader never reads it.)
#[test]
fn verneed_counts_past_the_table() {
    let dir = tempdir();
    for name in DYNAMIC_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".gnu.version_r");
        let mut b = fx.copy();
        put_u32(&mut b, s.header + SH_INFO, u32::MAX);
        assert_rejected(
            dir.path(),
            &format!("{name}.verneed-count"),
            &b,
            Expect::All(&["verneed count", "4294967295"]),
        );
        let mut b = fx.copy();
        put_u16(&mut b, s.offset + 2, u16::MAX);
        assert_rejected(
            dir.path(),
            &format!("{name}.vn_cnt"),
            &b,
            Expect::All(&["verneed entry 0 vn_cnt", "65535"]),
        );
    }
}

// ---------------------------------------------------------------------------
// Sections and segments pointing past the end.

#[test]
fn buildinfo_section_past_the_file() {
    let dir = tempdir();
    for name in GO_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".go.buildinfo");
        let past = fx.bytes.len() + 100;
        let mut b = fx.copy();
        put_u64(&mut b, s.header + SH_OFFSET, past as u64);
        let want = format!(
            ".go.buildinfo: region at {past:#x} (+{:#x}) is past the end of the file",
            s.size
        );
        assert_rejected(
            dir.path(),
            &format!("{name}.buildinfo-offset"),
            &b,
            Expect::All(&[&want]),
        );
        let mut b = fx.copy();
        put_u64(&mut b, s.header + SH_SIZE, 1 << 40);
        let want = format!(".go.buildinfo: region at {:#x}", s.offset);
        assert_rejected(
            dir.path(),
            &format!("{name}.buildinfo-size"),
            &b,
            Expect::All(&[&want, "past the end of the file"]),
        );
    }
}

#[test]
fn pclntab_section_offset_past_the_file() {
    let dir = tempdir();
    for name in GO_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".gopclntab");
        let past = fx.bytes.len() + 100;
        let mut b = fx.copy();
        put_u64(&mut b, s.header + SH_OFFSET, past as u64);
        let want = format!(".gopclntab at {past:#x}: past the end of the file");
        assert_rejected(
            dir.path(),
            &format!("{name}.pcln-offset"),
            &b,
            Expect::All(&[&want]),
        );
        assert_forbid_symbol_fails(
            dir.path(),
            &format!("{name}.pcln-offset-c"),
            &b,
            "main.main",
        );
    }
}

/// A `.gopclntab` whose header is in the file but whose `sh_size` (1 TiB)
/// runs past the end: the header alone is fine, but the range is checked
/// against the file when the file is opened and again when the header is
/// read, so inspect fails and a rule forbidding a Go function cannot pass.
#[test]
fn pclntab_section_size_past_the_file() {
    let dir = tempdir();
    for name in GO_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".gopclntab");
        let mut b = fx.copy();
        put_u64(&mut b, s.header + SH_SIZE, 1 << 40);
        assert_forbid_symbol_fails(dir.path(), &format!("{name}.pcln-size-c"), &b, "main.main");
        assert_rejected(
            dir.path(),
            &format!("{name}.pcln-size"),
            &b,
            Expect::All(&[".gopclntab", "past"]),
        );
    }
}

#[test]
fn pclntab_section_shorter_than_its_header() {
    let dir = tempdir();
    for name in GO_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".gopclntab");
        let mut b = fx.copy();
        put_u64(&mut b, s.header + SH_SIZE, 20);
        let want = format!(
            ".gopclntab at {:#x}: pclntab header at 0x0: 20 bytes, need 72",
            s.offset
        );
        assert_rejected(
            dir.path(),
            &format!("{name}.pcln-short"),
            &b,
            Expect::All(&[&want]),
        );
    }
}

/// `funcnameOffset` moved to the table's last byte: every name lookup
/// would fail. The header check sees the offsets out of the order the
/// linker writes them; and when names are read, a failing table is an
/// error in the report, never a shorter list of names that lets a
/// forbidden Go function pass.
#[test]
fn pclntab_names_past_the_table() {
    let dir = tempdir();
    for name in GO_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".gopclntab");
        let mut b = fx.copy();
        // Go 1.20 header word 4 (after magic..ptrSize, nfunc, nfiles,
        // textStart): funcnametabOffset, here the table's last byte.
        put_u64(&mut b, s.offset + 32, (s.size - 1) as u64);
        assert_forbid_symbol_fails(dir.path(), &format!("{name}.pcln-names-c"), &b, "main.main");
        assert_rejected(
            dir.path(),
            &format!("{name}.pcln-names"),
            &b,
            Expect::All(&[".gopclntab", "name"]),
        );
    }
}

/// One function's `nameOff` pointing past the table, the header intact:
/// the header check passes, and only reading the names finds it. Reading
/// them (for the cgo evidence in `inspect` when `CGO_ENABLED` is not 0,
/// for symbol rules in `check`) must make it an error naming the function,
/// not a list of names that stops early.
#[test]
fn pclntab_one_function_name_past_the_table() {
    let dir = tempdir();
    for name in ["go127-exe", "go127-static"] {
        let fx = Fixture::load(name);
        let s = fx.sec(".gopclntab");
        let word = |i: usize| {
            let at = s.offset + 8 + 8 * i;
            u64::from_le_bytes(fx.bytes[at..at + 8].try_into().unwrap())
        };
        // Go 1.20 header words: nfunc, nfiles, textStart, funcnameOffset,
        // cuOffset, filetabOffset, pctabOffset, pclnOffset.
        let nfunc = usize::try_from(word(0)).unwrap();
        let pcln = usize::try_from(word(7)).unwrap();
        // functab entry k is { entryOff u32, funcOff u32 }; the `_func` at
        // pclnOffset + funcOff begins { entryOff u32, nameOff i32 }.
        let k = nfunc / 2;
        let funcoff_at = s.offset + pcln + 8 * k + 4;
        let funcoff = u32::from_le_bytes(fx.bytes[funcoff_at..funcoff_at + 4].try_into().unwrap());
        let name_off_at = s.offset + pcln + usize::try_from(funcoff).unwrap() + 4;
        let mut b = fx.copy();
        put_u32(&mut b, name_off_at, 0x7fff_fff0);
        let want = format!("pclntab function {k}: name at");
        assert_forbid_symbol_fails(dir.path(), &format!("{name}.pcln-name-c"), &b, "main.main");
        // Absent from the names read before the bad record and from the
        // rest: only the error keeps this from passing.
        assert_check_not_passed(
            dir.path(),
            &format!("{name}.pcln-name-absent"),
            &b,
            &["--forbid-symbol", "main.not_there"],
        );
        if name == "go127-exe" {
            assert_rejected(
                dir.path(),
                &format!("{name}.pcln-name"),
                &b,
                Expect::All(&[".gopclntab at 0x", &want, "past the table end"]),
            );
        }
    }
}

/// The name table's last byte overwritten: its last name runs into the
/// next table. Reading names (cgo evidence, symbol rules) must make it an
/// error, reported once, not a name cut short.
#[test]
fn pclntab_name_table_without_final_nul() {
    let dir = tempdir();
    for name in ["go127-exe", "go127-static"] {
        let fx = Fixture::load(name);
        let s = fx.sec(".gopclntab");
        // Go 1.20 header word 4: cuOffset, where the name table ends.
        let at = s.offset + 8 + 8 * 4;
        let cu = u64::from_le_bytes(fx.bytes[at..at + 8].try_into().unwrap());
        let mut b = fx.copy();
        b[s.offset + usize::try_from(cu).unwrap() - 1] = b'x';
        assert_forbid_symbol_fails(
            dir.path(),
            &format!("{name}.pcln-unterm-c"),
            &b,
            "main.main",
        );
        assert_rejected(
            dir.path(),
            &format!("{name}.pcln-unterm"),
            &b,
            Expect::All(&[".gopclntab at 0x", "runs to the table end without a NUL"]),
        );
    }
}

/// `.dynsym` whose bytes are not in the file: an error at open (the
/// section's range) and when symbols are indexed, so a forbidden dynamic
/// symbol cannot pass because the table was left out.
#[test]
fn dynsym_section_past_the_file() {
    let dir = tempdir();
    for name in DYNAMIC_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".dynsym");
        let mut b = fx.copy();
        put_u64(&mut b, s.header + SH_OFFSET, (fx.bytes.len() + 10) as u64);
        assert_forbid_symbol_fails(
            dir.path(),
            &format!("{name}.dynsym-offset-c"),
            &b,
            "pthread_create",
        );
        assert_rejected(
            dir.path(),
            &format!("{name}.dynsym-offset"),
            &b,
            Expect::All(&[".dynsym", "past"]),
        );
    }
}

/// The last `PT_LOAD` (the data segment) claiming 1 TiB, or starting past
/// the end of the file.
#[test]
fn load_segment_past_the_file() {
    let dir = tempdir();
    for name in FIXTURES {
        let fx = Fixture::load(name);
        let seg = fx.last_load();
        let want = format!("program header {}", seg.index);
        let mut b = fx.copy();
        put_u64(&mut b, seg.header + P_FILESZ, 1 << 40);
        assert_rejected(
            dir.path(),
            &format!("{name}.load-filesz"),
            &b,
            Expect::All(&[&want, "past"]),
        );
        let mut b = fx.copy();
        put_u64(
            &mut b,
            seg.header + P_OFFSET,
            (fx.bytes.len() + 4096) as u64,
        );
        assert_rejected(
            dir.path(),
            &format!("{name}.load-offset"),
            &b,
            Expect::All(&[&want, "past"]),
        );
    }
}

/// Notes whose `n_descsz` runs past their section: the build IDs are lost,
/// which is an error.
#[test]
fn note_size_past_the_section() {
    let dir = tempdir();
    for name in FIXTURES {
        let fx = Fixture::load(name);
        for note in [
            ".note.go.buildid",
            ".note.gnu.build-id",
            ".note.gnu.property",
        ] {
            let Some(s) = fx.section(note) else { continue };
            let mut b = fx.copy();
            put_u32(&mut b, s.offset + 4, 0xffff_fff0);
            assert_rejected(
                dir.path(),
                &format!("{name}.{}-descsz", note.trim_start_matches('.')),
                &b,
                Expect::All(&[note, "n_descsz runs past the end"]),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Build info: a header cut short, varints that do not end.

#[test]
fn buildinfo_varint_too_long() {
    let dir = tempdir();
    for name in GO_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".go.buildinfo");
        let mut b = fx.copy();
        b[s.offset + 32..s.offset + 32 + 64].fill(0x80);
        let want = format!(".go.buildinfo: at {:#x}", s.offset);
        assert_rejected(
            dir.path(),
            &format!("{name}.varint-long"),
            &b,
            Expect::All(&[
                &want,
                "version length at offset 0x20: uvarint longer than 10 bytes",
            ]),
        );
    }
}

/// The section ends inside the varint: every byte has the continuation bit.
#[test]
fn buildinfo_varint_never_ends() {
    let dir = tempdir();
    for name in GO_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".go.buildinfo");
        let mut b = fx.copy();
        b[s.offset + 32..s.offset + 36].fill(0x80);
        put_u64(&mut b, s.header + SH_SIZE, 36);
        assert_rejected(
            dir.path(),
            &format!("{name}.varint-open"),
            &b,
            Expect::All(&["version length at offset 0x20: uvarint runs past the end of the data"]),
        );
    }
}

/// A `.go.buildinfo` section shorter than the 32-byte header: the magic
/// search needs 32 bytes and would find nothing, reading the file as if it
/// had no build info; it must be an error instead.
#[test]
fn buildinfo_section_shorter_than_its_header() {
    let dir = tempdir();
    for name in GO_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".go.buildinfo");
        let mut b = fx.copy();
        put_u64(&mut b, s.header + SH_SIZE, 16);
        assert_rejected(
            dir.path(),
            &format!("{name}.buildinfo-short"),
            &b,
            Expect::All(&[".go.buildinfo", "32"]),
        );
    }
}

// ---------------------------------------------------------------------------
// Overlapping structures.

#[test]
fn pclntab_overlapping_text() {
    let dir = tempdir();
    for name in GO_FIXTURES {
        let fx = Fixture::load(name);
        let text = fx.sec(".text");
        let mut b = fx.copy();
        put_u64(
            &mut b,
            fx.sec(".gopclntab").header + SH_OFFSET,
            text.offset as u64,
        );
        let want = format!(
            ".gopclntab at {:#x}: pclntab header at 0x0: magic",
            text.offset
        );
        assert_rejected(
            dir.path(),
            &format!("{name}.pcln-on-text"),
            &b,
            Expect::All(&[&want, "is not a Go 1.2+ pclntab magic"]),
        );
    }
}

/// `.dynsym` moved onto `.dynstr`: the "symbols" are string bytes. The
/// overlap is an error; a rule that forbids a symbol the file has must not
/// pass.
#[test]
fn dynsym_overlapping_dynstr() {
    let dir = tempdir();
    for name in DYNAMIC_FIXTURES {
        let fx = Fixture::load(name);
        let mut b = fx.copy();
        put_u64(
            &mut b,
            fx.sec(".dynsym").header + SH_OFFSET,
            fx.sec(".dynstr").offset as u64,
        );
        assert_forbid_symbol_fails(
            dir.path(),
            &format!("{name}.dynsym-on-dynstr"),
            &b,
            "pthread_create",
        );
    }
}

/// The section header table moved onto the program header table: every
/// section would be garbage, so the overlap is an error.
#[test]
fn section_headers_overlapping_program_headers() {
    let dir = tempdir();
    for name in FIXTURES {
        let fx = Fixture::load(name);
        let mut b = fx.copy();
        put_u64(&mut b, E_SHOFF, fx.e_phoff as u64);
        assert_rejected(
            dir.path(),
            &format!("{name}.shdrs-on-phdrs"),
            &b,
            Expect::All(&["section"]),
        );
    }
}

// ---------------------------------------------------------------------------
// String tables without a terminator.

/// `.shstrtab` whose last byte is not NUL: the last section name has no
/// end, an error naming the section names and their string table.
#[test]
fn section_names_without_terminator() {
    let dir = tempdir();
    for name in FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".shstrtab");
        let mut b = fx.copy();
        b[s.offset + s.size - 1] = b'A';
        assert_rejected(
            dir.path(),
            &format!("{name}.shstrtab-open"),
            &b,
            Expect::All(&["section names", "string table"]),
        );
    }
}

/// `.dynstr` cut (through `sh_size` and `DT_STRSZ`) in the middle of
/// `GLIBC_2.34`, the highest glibc version the file needs, so that name
/// has no terminator. The requirement would be listed with an empty name
/// and the file said to need glibc 2.32; the failed name lookup must be an
/// error, so that `--max-glibc 2.33` cannot pass it.
#[test]
fn dynamic_strings_without_terminator() {
    let dir = tempdir();
    for name in DYNAMIC_FIXTURES {
        let fx = Fixture::load(name);
        let s = fx.sec(".dynstr");
        let strings = &fx.bytes[s.offset..s.offset + s.size];
        let at = strings
            .windows(10)
            .position(|w| w == b"GLIBC_2.34")
            .expect("a GLIBC_2.34 version name");
        let cut = (at + 8) as u64;
        let mut b = fx.copy();
        put_u64(&mut b, s.header + SH_SIZE, cut);
        if let Some((_, entry)) = fx.dynamic.iter().find(|(tag, _)| *tag == DT_STRSZ) {
            put_u64(&mut b, entry + 8, cut);
        }
        assert_check_not_passed(
            dir.path(),
            &format!("{name}.dynstr-open-c"),
            &b,
            &["--max-glibc", "2.33"],
        );
        assert_rejected(
            dir.path(),
            &format!("{name}.dynstr-open"),
            &b,
            Expect::All(&["verneed", "not in the string table"]),
        );
    }
}

// ---------------------------------------------------------------------------
// Decompression.

/// A zstd frame that decompresses to `size` zero bytes: RLE blocks of
/// 128 KiB (4 bytes each) with a 1 MiB window, so any decoder accepts it.
fn zstd_zeros(size: u64) -> Vec<u8> {
    const BLOCK: u64 = 128 << 10;
    let mut f = 0xFD2F_B528u32.to_le_bytes().to_vec();
    // Frame_Header_Descriptor: 8-byte content size, not single-segment;
    // Window_Descriptor: 2^(10+10) bytes.
    f.extend_from_slice(&[0xC0, 10 << 3]);
    f.extend_from_slice(&size.to_le_bytes());
    let blocks = size / BLOCK;
    for k in 0..blocks {
        let last = u32::from(k + 1 == blocks);
        let header = ((BLOCK as u32) << 3) | (1 << 1) | last; // Block_Type 1: RLE
        f.extend_from_slice(&header.to_le_bytes()[..3]);
        f.push(0);
    }
    f
}

/// A Go binary whose build info and `runtime.buildVersion` are gone (so
/// the DWARF producer is consulted) and whose `.debug_info`,
/// `.debug_abbrev` and `.debug_str` are 8 KiB zstd frames of 256 MiB each:
/// a 1.3 MB file. Each section is under `MAX_DECOMPRESSED_SIZE`, but held
/// at once they would cost ~800 MiB (`check` reads files in parallel). The
/// DWARF reader has a per-file budget (64 MiB a section, 256 MiB in all),
/// so this file is an error naming the section, in little memory.
#[test]
fn compressed_debug_sections_are_bounded_per_file() {
    let dir = tempdir();
    let fx = Fixture::load("go121-exe");
    let mut b = fx.copy();
    let bi = fx.sec(".go.buildinfo").offset;
    b[bi..bi + 16].fill(0);
    let strtab = fx.sec(".strtab");
    let strings = &fx.bytes[strtab.offset..strtab.offset + strtab.size];
    let at = strings
        .windows(21)
        .position(|w| w == b"runtime.buildVersion\0")
        .expect("runtime.buildVersion");
    b[strtab.offset + at + 19] = b'X';
    let names = fx.sec(".shstrtab");
    let strings = &fx.bytes[names.offset..names.offset + names.size];
    let at = strings
        .windows(11)
        .position(|w| w == b".debug_loc\0")
        .expect(".debug_loc");
    b[names.offset + at..names.offset + at + 10].copy_from_slice(b".debug_str");
    let frame = zstd_zeros(256 << 20);
    for name in [".debug_info", ".debug_abbrev", ".debug_loc"] {
        let sec = fx.sec(name);
        let offset = b.len();
        // Elf64_Chdr: ELFCOMPRESS_ZSTD, reserved, ch_size, ch_addralign.
        b.extend_from_slice(&2u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&(256u64 << 20).to_le_bytes());
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&frame);
        put_u64(&mut b, sec.header + SH_OFFSET, offset as u64);
        put_u64(&mut b, sec.header + SH_SIZE, (24 + frame.len()) as u64);
    }
    let path = dir.path().join("go121-exe.zstd-dwarf");
    std::fs::write(&path, &b).unwrap();
    let o = elfgate(&[OsStr::new("inspect"), path.as_os_str()]);
    assert_no_crash("inspect", &o);
    assert_eq!(o.status.code(), Some(3), "{}", o.stderr);
    assert!(
        o.stderr.lines().any(|l| l.contains("DWARF: section header")
            && l.contains("(.debug_")
            && l.contains("decompressed size 268435456 exceeds the 67108864-byte limit")),
        "{}",
        o.stderr
    );
    // SAFETY: getrusage only writes the struct it is given.
    let max_rss_kib = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut u), 0);
        u.ru_maxrss
    };
    assert!(
        max_rss_kib < 256 * 1024,
        "a {} byte file made elfgate use {max_rss_kib} KiB",
        b.len()
    );
}

// ---------------------------------------------------------------------------
// Regressions (inputs built in code; see docs/fuzzing.md).

/// Each GNU property entry with a wrong size adds an error; the ELF views
/// keep at most 16 per structure and severity, so a descriptor of many bad
/// entries must not grow the list with its size.
#[test]
fn property_warnings_are_bounded() {
    use elfgate::elf::{Class, parse_properties};
    // GNU_PROPERTY_X86_FEATURE_1_AND with pr_datasz 0 (needs 4): 8 bytes each.
    let mut desc = Vec::new();
    for _ in 0..10_000 {
        desc.extend_from_slice(&0xc000_0002u32.to_le_bytes());
        desc.extend_from_slice(&0u32.to_le_bytes());
    }
    let p = parse_properties(&desc, Class::Elf64, object::Endianness::Little, 62);
    assert!(!p.errors.is_empty(), "a wrong size is an error");
    assert!(p.errors.len() <= 16, "{} errors", p.errors.len());
    assert!(p.warnings.len() <= 16, "{} warnings", p.warnings.len());
}
