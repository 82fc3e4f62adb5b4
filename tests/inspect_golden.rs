//! `elfgate inspect` against the goldens recorded from real tools beside
//! each fixture: `go version -m` (Go part, byte for byte) and `readelf`
//! (needed libraries, soname, build IDs, properties, symbol versions).

mod common;

use common::{elfgate, fixtures, noshdr_bytes, root, stdout};
use serde_json::Value;

fn golden(name: &str, ext: &str) -> Option<String> {
    std::fs::read_to_string(root().join(format!("testdata/golden/{name}.{ext}"))).ok()
}

/// The Go part of `inspect` text: the first line and the tab-indented lines
/// that `go version -m` would print (before elfgate's own `\telf\t` line).
fn go_part(text: &str) -> String {
    let mut out = String::new();
    for l in text.lines() {
        if l.starts_with("\telf\t") {
            break;
        }
        out.push_str(l);
        out.push('\n');
    }
    out
}

fn json_report(path: &str) -> Value {
    let o = elfgate(&["inspect", "--format", "json", path]);
    assert!(o.status.success(), "{path}: {}", common::stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "elfgate.inspect/v1");
    v["files"][0].clone()
}

#[test]
fn go_part_matches_go_version_m_for_every_go_fixture() {
    let mut compared = 0;
    for (name, ..) in fixtures() {
        let Some(g) = golden(&name, "go-version-m") else {
            continue;
        };
        // go version -m fails on files without build info; those are
        // covered by the fallback tests below.
        if g.contains("[exit status") {
            continue;
        }
        let path = format!("bin/{name}");
        let o = elfgate(&["inspect", &path]);
        assert!(o.status.success(), "{name}: {}", common::stderr(&o));
        assert_eq!(
            go_part(&stdout(&o)),
            g,
            "{name}: Go part differs from go version -m"
        );
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} goldens compared");
}

#[test]
fn elfgate_reads_what_go_127_refuses_without_section_headers() {
    // Go 1.27 gives up without section headers; Go 1.25 read the segment.
    let g125 = golden("go127-noshdr", "go-version-m-1.25").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::write(bin.join("go127-noshdr"), noshdr_bytes()).unwrap();
    let o = common::elfgate_in(dir.path(), &["inspect", "bin/go127-noshdr"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let text = stdout(&o);
    assert_eq!(go_part(&text), g125);
    assert!(text.contains("no section headers"), "{text}");
    // The pclntab is found in the read-only segment, so names still resolve.
    assert!(text.contains("pclntab=1480"), "{text}");
    let o = common::elfgate_in(
        dir.path(),
        &[
            "check",
            "--require-symbol",
            "runtime.mallocgc",
            "bin/go127-noshdr",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn readelf_facts_agree() {
    let mut compared = 0;
    for (name, _, _, kind) in fixtures() {
        if kind == "derived" || name.ends_with(".txt") || name.contains("misc") {
            continue;
        }
        let path = format!("bin/{name}");
        let r = json_report(&path);
        if let Some(d) = golden(&name, "readelf-d") {
            for l in d.lines() {
                if let Some(lib) = l.split("Shared library: [").nth(1) {
                    let lib = lib.trim_end_matches(']');
                    assert!(
                        r["elf"]["needed"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|n| n == lib),
                        "{name}: needed {lib} missing"
                    );
                }
                if let Some(so) = l.split("Library soname: [").nth(1) {
                    assert_eq!(r["elf"]["soname"], so.trim_end_matches(']'), "{name}");
                }
            }
        }
        if let Some(n) = golden(&name, "readelf-n") {
            for l in n.lines() {
                if let Some(id) = l.split("Build ID: ").nth(1) {
                    // readelf prints the GNU build-id in hex (gccgo's ASCII one too).
                    assert_eq!(r["gnu_build_id"], id.trim(), "{name}");
                }
                if l.contains("x86 feature: IBT, SHSTK") {
                    assert_eq!(
                        r["properties"]["x86_feature_1_and"],
                        serde_json::json!(["ibt", "shstk"]),
                        "{name}"
                    );
                }
                if l.contains("AArch64 feature: BTI, PAC") {
                    assert_eq!(
                        r["properties"]["aarch64_feature_1_and"],
                        serde_json::json!(["bti", "pac"]),
                        "{name}"
                    );
                }
                if let Some(isa) = l.split("x86 ISA needed: ").nth(1) {
                    let want: Vec<String> = isa
                        .split(", ")
                        .map(|s| s.trim().trim_start_matches("x86-64-").to_lowercase())
                        .collect();
                    let got: Vec<String> = r["properties"]["x86_isa_needed"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_string())
                        .collect();
                    assert_eq!(got, want, "{name}");
                }
            }
        }
        if let Some(v) = golden(&name, "readelf-V") {
            // "  0x0010:   Name: GLIBC_2.34  Flags: none  Version: 4" under "File: libc.so.6".
            let mut file = String::new();
            for l in v.lines() {
                if let Some(f) = l.split("File: ").nth(1) {
                    file = f.split_whitespace().next().unwrap().to_string();
                }
                if let (Some(n), true) = (
                    l.split("Name: ").nth(1),
                    l.contains("Flags:") && !file.is_empty(),
                ) {
                    let ver = n.split_whitespace().next().unwrap();
                    let entry = r["needed_versions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|e| e["file"] == file.as_str())
                        .unwrap_or_else(|| panic!("{name}: no needed_versions for {file}"));
                    assert!(
                        entry["versions"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|x| x == ver),
                        "{name}: {file} {ver} missing"
                    );
                }
                if l.starts_with("Version definition") || l.starts_with("Version symbols") {
                    file.clear();
                }
            }
        }
        compared += 1;
    }
    assert!(compared >= 20, "only {compared} fixtures compared");
}

#[test]
fn go_facts_of_special_fixtures() {
    let r = json_report("bin/go125-boring-cgo");
    assert_eq!(r["go"]["version"], "go1.25.5 X:boringcrypto");
    assert_eq!(r["go"]["fips"], true, "BoringCrypto is linked");
    assert_eq!(r["go"]["cgo"], true);
    assert_eq!(r["go"]["experiments"], serde_json::json!(["boringcrypto"]));

    // The suffix alone is not FIPS: CGO_ENABLED=0 links no BoringCrypto.
    let r = json_report("bin/go127-static");
    assert_eq!(r["go"]["version"], "go1.27.3-X:boringcrypto");
    assert_eq!(r["go"]["fips"], false);
    assert_eq!(r["go"]["cgo"], false);

    let r = json_report("bin/go127-pie");
    assert_eq!(r["go"]["fips"], true, "GOFIPS140=latest");
    assert_eq!(r["elf"]["pie"], true);

    let r = json_report("bin/go127-amd64v3");
    assert_eq!(
        r["go"]["arch_level"],
        serde_json::json!({"key": "GOAMD64", "value": "v3"})
    );
    assert!(
        r["symbols"]["pclntab"].as_u64().unwrap() > 500,
        "stripped, yet pclntab names functions"
    );
    assert_eq!(r["symbols"]["symtab"], 0);

    let r = json_report("bin/go127-cgo");
    assert_eq!(r["go"]["cgo"], true);
    assert_eq!(r["max_glibc"], "2.34");

    let r = json_report("bin/go127-vcs-replace");
    let dep = &r["go"]["deps"][0];
    assert_eq!(dep["replace"]["path"], "../greet");

    let r = json_report("bin/go127-linux-ppc64");
    assert_eq!(r["elf"]["endian"], "big");
    assert_eq!(r["elf"]["goarch"], "ppc64");
    let r = json_report("bin/go127-linux-mips");
    assert_eq!(r["elf"]["class"], "ELF32");
    assert_eq!(r["elf"]["goarch"], "mips");
}

#[test]
fn gccgo_without_build_info_reports_an_inferred_version() {
    for name in ["gccgo12-hello", "go119-gccgo"] {
        let r = json_report(&format!("bin/{name}"));
        assert_eq!(r["go"]["compiler"], "gccgo", "{name}");
        assert_eq!(r["go"]["exact"], false, "{name}");
        assert_eq!(r["go"]["version_source"], "gccgo_release", "{name}");
    }
    // The go command's gccgo build keeps module info between sentinels.
    let r = json_report("bin/go119-gccgo");
    assert_eq!(r["go"]["path"], "example.com/hello");
}

#[test]
fn a_named_text_file_is_an_error_and_walking_skips_it() {
    let o = elfgate(&["inspect", "bin/notelf.txt"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        common::stderr(&o).contains("bin/notelf.txt: not an ELF file"),
        "{}",
        common::stderr(&o)
    );
    let o = elfgate(&["inspect", "-v", "--format", "json", "bin/misc"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert!(common::stderr(&o).contains("skipped (not ELF)"));
}

#[test]
fn json_has_every_documented_field() {
    let r = json_report("bin/go127-exe");
    for f in [
        "path",
        "sha256",
        "size",
        "elf",
        "go",
        "gnu_build_id",
        "properties",
        "symbols",
        "needed_versions",
        "errors",
        "warnings",
    ] {
        assert!(r.get(f).is_some(), "missing {f}");
    }
    for f in [
        "class",
        "endian",
        "machine",
        "goarch",
        "type",
        "interpreter",
        "needed",
        "soname",
        "rpath",
        "runpath",
    ] {
        assert!(r["elf"].get(f).is_some(), "missing elf.{f}");
    }
    for f in [
        "version",
        "semver",
        "exact",
        "range",
        "version_source",
        "compiler",
        "path",
        "main",
        "deps",
        "settings",
        "experiments",
        "fips",
        "cgo",
        "build_id",
    ] {
        assert!(r["go"].get(f).is_some(), "missing go.{f}");
    }
    for f in ["symtab", "dynsym", "pclntab"] {
        assert!(r["symbols"].get(f).is_some(), "missing symbols.{f}");
    }
}

#[test]
fn digest_matches_sha256_of_the_file() {
    use sha2::Digest;
    let o = elfgate(&["inspect", "--digest", "--format", "json", "bin/libcet.so"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let bytes = std::fs::read(root().join("testdata/bin/libcet.so")).unwrap();
    let want: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v["files"][0]["sha256"], want);
}
