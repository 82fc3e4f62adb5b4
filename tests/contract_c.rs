//! `elfgate diff` on pairs of C libraries built here with gcc and version
//! scripts. Two real programs judge each verdict:
//!
//! - the dynamic loader: a consumer linked against OLD runs against NEW
//!   (installed under its SONAME, with `LD_LIBRARY_PATH` and
//!   `LD_BIND_NOW=1`); a breaking change must make it fail or make the
//!   loader warn, a compatible one must not;
//! - `abidiff` (ELF symbols only): its incompatible bit must agree with
//!   elfgate's breaking class, except where `docs/contract.md` says why
//!   not (`abidiff` sees no size change without debug info, no needed
//!   library or version).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::elfgate;
use serde_json::Value;

fn run(dir: &Path, cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} could not run ({e}): install it (.ci/run does)"))
}

fn gcc(dir: &Path, args: &[&str]) {
    let o = run(dir, "gcc", args);
    assert!(
        o.status.success(),
        "gcc {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

const BASE_C: &str = r#"
#include <unistd.h>
int dep_one(void);
static int libc_zero(void) { return getpid() > 0 ? 0 : 1; }
int obj[4] = {1, 2, 3, 4};
int foo(void) { return dep_one() + libc_zero(); }
int bar(void) { return 3; }
"#;
const FOO: &str = "int foo(void) { return dep_one() + libc_zero(); }";
const BAR: &str = "int bar(void) { return 3; }";
const BASE_MAP: &str = "LIBX_1.0 { global: foo; bar; obj; local: *; };\n";

/// One variant: C source, version script, SONAME, extra gcc arguments.
struct Variant {
    name: &'static str,
    c: String,
    map: String,
    soname: &'static str,
    extra: &'static [&'static str],
}

fn variants() -> Vec<Variant> {
    let base = |name, c: &str, map: &str| Variant {
        name,
        c: c.to_string(),
        map: map.to_string(),
        soname: "libx.so.1",
        extra: &[],
    };
    vec![
        base(
            "removed",
            &BASE_C.replace(BAR, ""),
            "LIBX_1.0 { global: foo; obj; local: *; };\n",
        ),
        base(
            "added",
            &format!("{BASE_C}int baz(void) {{ return 5; }}\n"),
            "LIBX_1.0 { global: foo; bar; obj; baz; local: *; };\n",
        ),
        base(
            "moved_default",
            &BASE_C.replace(
                FOO,
                "int foo_v1(void) { return dep_one() + libc_zero(); }\n\
                 int foo_v2(void) { return 7; }\n\
                 __asm__(\".symver foo_v1,foo@LIBX_1.0\");\n\
                 __asm__(\".symver foo_v2,foo@@LIBX_2.0\");",
            ),
            "LIBX_1.0 { global: foo; bar; obj; local: *; };\nLIBX_2.0 { global: foo; } LIBX_1.0;\n",
        ),
        base(
            "size_changed",
            &BASE_C.replace("obj[4] = {1, 2, 3, 4}", "obj[8] = {1, 2, 3, 4}"),
            BASE_MAP,
        ),
        base("func_to_object", &BASE_C.replace(BAR, "int bar = 2;"), BASE_MAP),
        Variant {
            soname: "libx.so.2",
            ..base("new_soname", BASE_C, BASE_MAP)
        },
        base(
            "arc4random",
            &BASE_C.replace(
                FOO,
                "#include <stdlib.h>\nint foo(void) { return dep_one() + libc_zero() + (int)(arc4random() & 0); }",
            ),
            BASE_MAP,
        ),
        base(
            "version_removed",
            BASE_C,
            "LIBX_2.0 { global: foo; bar; obj; local: *; };\n",
        ),
        base(
            "needed_version",
            &BASE_C.replace(
                FOO,
                "int dep_two(void);\nint foo(void) { return dep_one() + libc_zero() + dep_two() - 2; }",
            ),
            BASE_MAP,
        ),
        Variant {
            extra: &["-L.", "-lextra"],
            ..base(
                "needed_added",
                &BASE_C.replace(
                    FOO,
                    "int extra(void);\nint foo(void) { return dep_one() + libc_zero() + extra() - 3; }",
                ),
                BASE_MAP,
            )
        },
    ]
}

const CONSUMER: &str = r#"
#include <stdio.h>
extern int obj[4];
int foo(void);
int bar(void);
int main(void) { printf("%d %d %d\n", foo(), bar(), obj[3]); return 0; }
"#;

struct Lab {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

/// Builds libdep (DEP_1, and a DEP_2 build), libextra, the base library,
/// every variant and the consumer linked against the base.
fn lab() -> Lab {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let w = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    w("dep1.c", "int dep_one(void) { return 1; }\n");
    w("dep1.map", "DEP_1 { global: dep_one; local: *; };\n");
    w(
        "dep2.c",
        "int dep_one(void) { return 1; }\nint dep_two(void) { return 2; }\n",
    );
    w(
        "dep2.map",
        "DEP_1 { global: dep_one; local: *; };\nDEP_2 { global: dep_two; } DEP_1;\n",
    );
    w("extra.c", "int extra(void) { return 3; }\n");
    for d in ["dep1", "dep2"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
        gcc(
            &dir,
            &[
                "-shared",
                "-fPIC",
                "-O2",
                &format!("-Wl,--version-script={d}.map"),
                "-Wl,-soname,libdep.so",
                "-o",
                &format!("{d}/libdep.so"),
                &format!("{d}.c"),
            ],
        );
    }
    gcc(
        &dir,
        &["-shared", "-fPIC", "-O2", "-o", "libextra.so", "extra.c"],
    );
    let build = |name: &str, c: &str, map: &str, soname: &str, dep: &str, extra: &[&str]| {
        w(&format!("{name}.c"), c);
        w(&format!("{name}.map"), map);
        let mut args = vec![
            "-shared".to_string(),
            "-fPIC".into(),
            "-O2".into(),
            format!("-Wl,--version-script={name}.map"),
            format!("-Wl,-soname,{soname}"),
            "-o".into(),
            format!("{name}.so"),
            format!("{name}.c"),
            format!("-L{dep}"),
            "-ldep".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        gcc(&dir, &refs);
    };
    build("base", BASE_C, BASE_MAP, "libx.so.1", "dep1", &[]);
    for v in variants() {
        let dep = if v.name == "needed_version" {
            "dep2"
        } else {
            "dep1"
        };
        build(v.name, &v.c, &v.map, v.soname, dep, v.extra);
    }
    std::fs::create_dir_all(dir.join("old")).unwrap();
    std::fs::copy(dir.join("base.so"), dir.join("old/libx.so.1")).unwrap();
    w("consumer.c", CONSUMER);
    gcc(
        &dir,
        &[
            "-o",
            "consumer",
            "consumer.c",
            "-Lold",
            "-l:libx.so.1",
            "-Ldep1",
            "-ldep",
        ],
    );
    Lab { _tmp: tmp, dir }
}

/// Runs the consumer against a variant installed under its SONAME, beside
/// the DEP_1 libdep (the older copy every node has) and without libextra.
fn consume(lab: &Lab, v: &Variant) -> Output {
    let lib = lab.dir.join(format!("lib-{}", v.name));
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::copy(lab.dir.join(format!("{}.so", v.name)), lib.join(v.soname)).unwrap();
    std::fs::copy(lab.dir.join("dep1/libdep.so"), lib.join("libdep.so")).unwrap();
    Command::new(lab.dir.join("consumer"))
        .env("LD_LIBRARY_PATH", &lib)
        .env("LD_BIND_NOW", "1")
        .output()
        .unwrap()
}

fn diff_json(old: &Path, new: &Path) -> (i32, Value) {
    let o = elfgate(&[
        "diff",
        "--format",
        "json",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&o)));
    (o.status.code().unwrap(), v)
}

/// `(kind, subject)` of the changes that are not info.
fn judged(v: &Value) -> Vec<(String, String)> {
    v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["class"] != "info")
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn expected(name: &str) -> Vec<(&'static str, &'static str)> {
    match name {
        "removed" => vec![("symbol.removed", "bar@@LIBX_1.0")],
        "added" => vec![("symbol.added", "baz@@LIBX_1.0")],
        "moved_default" => vec![("symbol.added", "foo@@LIBX_2.0")],
        "size_changed" => vec![("symbol.size_changed", "obj@@LIBX_1.0")],
        "func_to_object" => vec![("symbol.type_changed", "bar@@LIBX_1.0")],
        "new_soname" => vec![("soname.changed", "DT_SONAME")],
        "arc4random" => vec![("glibc.raised", "GLIBC")],
        "version_removed" => vec![
            ("symbol.version_removed", "bar@@LIBX_1.0"),
            ("symbol.version_removed", "foo@@LIBX_1.0"),
            ("symbol.version_removed", "obj@@LIBX_1.0"),
            ("symbol.added", "bar@@LIBX_2.0"),
            ("symbol.added", "foo@@LIBX_2.0"),
            ("symbol.added", "obj@@LIBX_2.0"),
        ],
        "needed_version" => vec![("needed.version_added", "libdep.so:DEP_2")],
        "needed_added" => vec![("needed.added", "libextra.so")],
        other => panic!("no expectation for {other}"),
    }
}

/// Where `abidiff` (ELF symbols only) is documented not to agree: it does
/// not compare object sizes without debug info, nor DT_NEEDED and version
/// needs (docs/contract.md, "Against abidiff").
fn abidiff_blind_to(name: &str) -> bool {
    matches!(
        name,
        "size_changed" | "arc4random" | "needed_version" | "needed_added"
    )
}

#[test]
fn c_library_pairs_agree_with_the_loader_and_abidiff() {
    let lab = lab();
    let base = lab.dir.join("base.so");
    // The consumer runs against its own library.
    let own = consume(
        &lab,
        &Variant {
            name: "base",
            c: String::new(),
            map: String::new(),
            soname: "libx.so.1",
            extra: &[],
        },
    );
    assert!(own.status.success(), "{own:?}");
    assert!(own.stderr.is_empty(), "{own:?}");
    for v in variants() {
        let new = lab.dir.join(format!("{}.so", v.name));
        let (code, json) = diff_json(&base, &new);
        let got = judged(&json);
        let want: Vec<(String, String)> = expected(v.name)
            .into_iter()
            .map(|(k, s)| (k.to_string(), s.to_string()))
            .collect();
        assert_eq!(got, want, "{}: {json:#}", v.name);
        let breaking = json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["class"] == "breaking");
        assert_eq!(code, i32::from(breaking), "{}: exit status", v.name);

        // The loader: a breaking change fails the consumer or makes the
        // loader warn; anything else runs it cleanly.
        let out = consume(&lab, &v);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let broke = !out.status.success() || stderr.contains("has different size");
        if v.name == "arc4random" {
            // This machine's glibc has 2.36, so the loader cannot show the
            // break; the requirement itself is read by readelf.
            let r = run(&lab.dir, "readelf", &["-V", new.to_str().unwrap()]);
            assert!(String::from_utf8_lossy(&r.stdout).contains("GLIBC_2.36"));
            assert!(out.status.success(), "{stderr}");
        } else {
            assert_eq!(
                broke,
                breaking,
                "{}: the consumer {} ({:?}, {stderr})",
                v.name,
                if broke { "broke" } else { "ran" },
                out.status
            );
        }

        // abidiff: bit 8 is "incompatible".
        let a = run(
            &lab.dir,
            "abidiff",
            &[base.to_str().unwrap(), new.to_str().unwrap()],
        );
        let incompatible = a.status.code().unwrap() & 8 != 0;
        if abidiff_blind_to(v.name) {
            assert!(
                !incompatible && breaking,
                "{}: documented as elfgate-only, abidiff said {:?}",
                v.name,
                a.status
            );
        } else {
            assert_eq!(
                incompatible,
                breaking,
                "{}: abidiff {:?}: {}",
                v.name,
                a.status,
                String::from_utf8_lossy(&a.stdout)
            );
        }
    }
}

/// The moved default version: abidiff reports nothing at all (exit 0),
/// elfgate one addition; old consumers still bind to foo@LIBX_1.0.
#[test]
fn moved_default_version_is_an_addition() {
    let lab = lab();
    let a = run(
        &lab.dir,
        "abidiff",
        &[
            lab.dir.join("base.so").to_str().unwrap(),
            lab.dir.join("moved_default.so").to_str().unwrap(),
        ],
    );
    assert_eq!(a.status.code(), Some(0));
    let v = variants()
        .into_iter()
        .find(|v| v.name == "moved_default")
        .unwrap();
    let out = consume(&lab, &v);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1 3 4\n");
}

/// Trees: each variant as lib/libx.so.1 in its own tree, paired by path
/// with the base tree; a snapshot of the base tree gives the same diff.
#[test]
fn trees_and_snapshots_pair_by_path() {
    let lab = lab();
    let tree = |name: &str| {
        let t = lab.dir.join(format!("tree-{name}"));
        std::fs::create_dir_all(t.join("lib")).unwrap();
        std::fs::copy(lab.dir.join(format!("{name}.so")), t.join("lib/libx.so.1")).unwrap();
        t
    };
    let old = tree("base");
    let new = tree("removed");
    std::fs::copy(lab.dir.join("libextra.so"), new.join("lib/libextra.so")).unwrap();
    let snap = lab.dir.join("base.json");
    let o = elfgate(&[
        "snapshot",
        "--output",
        snap.to_str().unwrap(),
        old.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    for from in [&old, &snap] {
        let (code, v) = diff_json(from, &new);
        assert_eq!(code, 1);
        assert_eq!(
            judged(&v),
            [
                ("file.added".to_string(), "lib/libextra.so".to_string()),
                ("symbol.removed".to_string(), "bar@@LIBX_1.0".to_string())
            ],
            "{v:#}"
        );
        assert!(
            v["changes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["path"] == "lib/libx.so.1" || c["path"] == "lib/libextra.so")
        );
    }
    // NEW without the library: removed.
    std::fs::remove_file(new.join("lib/libx.so.1")).unwrap();
    let (code, v) = diff_json(&snap, &new);
    assert_eq!(code, 1);
    assert_eq!(judged(&v)[1].0, "file.removed", "{v:#}");
}
