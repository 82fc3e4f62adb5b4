//! Contracts of Go builds, on the committed pairs in `testdata/bin/contract`
//! (built by `make testdata` with the real toolchains):
//!
//! - `elfgate diff` on pairs of Go binaries and c-shared libraries;
//! - `check --plugin-host` against the committed host program opening the
//!   committed plugins for real (the host is the oracle: it calls
//!   `plugin.Open`), and `-linkshared` executables started against the
//!   committed Go shared library;
//! - `check --baseline` in every report format, with and without `--root`;
//! - snapshot stability, `diff X X` for every fixture, hostile snapshots,
//!   accept files.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{elfgate, elfgate_in, fixtures, root, stderr, stdout};
use serde_json::Value;

fn bin(name: &str) -> String {
    format!("bin/contract/{name}")
}

fn abs(rel: &str) -> PathBuf {
    root().join("testdata").join(rel)
}

fn diff_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["diff", "--format", "json"];
    all.extend_from_slice(args);
    let o = elfgate(&all);
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    (o.status.code().unwrap(), v)
}

fn changes(v: &Value) -> Vec<(String, String, String)> {
    v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["class"].as_str().unwrap().to_string(),
                c["kind"].as_str().unwrap().to_string(),
                c["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn judged(v: &Value) -> Vec<(String, String)> {
    changes(v)
        .into_iter()
        .filter(|(class, ..)| class != "info")
        .map(|(_, k, s)| (k, s))
        .collect()
}

fn has(v: &Value, kind: &str, subject: &str) -> bool {
    changes(v).iter().any(|(_, k, s)| k == kind && s == subject)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, s)| (k.to_string(), s.to_string()))
        .collect()
}

#[test]
fn go_binary_pairs() {
    let lib = "example.com/lib";
    for (old, new, want, code) in [
        (
            bin("mod-lib120"),
            bin("mod-lib130"),
            pairs(&[("go.module_upgraded", lib)]),
            0,
        ),
        (
            bin("mod-lib130"),
            bin("mod-lib120"),
            pairs(&[("go.module_downgraded", lib)]),
            1,
        ),
        (bin("mod-lib120"), bin("mod-replaced"), pairs(&[]), 0),
        (
            bin("mod-lib120"),
            bin("mod-v2"),
            pairs(&[
                ("go.major_versions", lib),
                ("go.module_added", "example.com/lib/v2"),
            ]),
            1,
        ),
        (
            "bin/go123-exe".into(),
            "bin/go125-exe".into(),
            pairs(&[("go.version_raised", "go")]),
            0,
        ),
        (
            "bin/go125-exe".into(),
            "bin/go123-exe".into(),
            pairs(&[("go.version_lowered", "go")]),
            1,
        ),
        (
            bin("cgo-off"),
            bin("cgo-on"),
            pairs(&[
                ("interpreter.changed", "PT_INTERP"),
                ("needed.added", "libc.so.6"),
                ("glibc.raised", "GLIBC"),
            ]),
            1,
        ),
        (
            bin("cshared-v1.so"),
            bin("cshared-nosub.so"),
            pairs(&[("symbol.removed", "Sub")]),
            1,
        ),
        (
            bin("cshared-v1.so"),
            bin("cshared-edited.so"),
            pairs(&[]),
            0,
        ),
        (
            bin("plugin-same.so"),
            bin("plugin-changed.so"),
            pairs(&[
                ("go.pkghash_changed", "example.com/plugins/plug"),
                ("go.pkghash_changed", "example.com/plugins/shared"),
            ]),
            1,
        ),
        (
            bin("linkshared"),
            bin("linkshared-other"),
            pairs(&[("go.abihash_changed", "libruntime.so")]),
            1,
        ),
    ] {
        let (got_code, v) = diff_json(&[&old, &new]);
        assert_eq!(judged(&v), want, "{old} -> {new}: {v:#}");
        assert_eq!(got_code, code, "{old} -> {new}");
    }
    // Info changes that tell the story.
    let (_, v) = diff_json(&[&bin("mod-lib120"), &bin("mod-replaced")]);
    assert!(has(&v, "go.module_replaced", "example.com/lib"), "{v:#}");
    let (_, v) = diff_json(&[&bin("cgo-off"), &bin("cgo-on")]);
    assert!(has(&v, "go.cgo_changed", "cgo"), "{v:#}");
    let (_, v) = diff_json(&[&bin("cshared-v1.so"), &bin("cshared-edited.so")]);
    assert!(
        changes(&v)
            .iter()
            .any(|(_, k, s)| k == "cgo_glue.changed" && s.starts_with("_cgoexp_")),
        "{v:#}"
    );
    // BoringCrypto dropped: FIPS lost (breaking), the experiment (info).
    let (code, v) = diff_json(&["bin/go125-boring-cgo", &bin("boring-off-go125")]);
    assert_eq!(code, 1);
    assert!(has(&v, "go.fips_lost", "fips"), "{v:#}");
    assert!(has(&v, "go.experiment_changed", "boringcrypto"), "{v:#}");
    assert!(
        judged(&v)
            .iter()
            .all(|(k, _)| k == "go.fips_lost" || k.starts_with("needed.") || k == "glibc.lowered"),
        "{v:#}"
    );
}

#[test]
fn fail_on_and_accept() {
    let up = [bin("mod-lib120"), bin("mod-lib130")];
    let o = elfgate(&["diff", "--fail-on", "compatible", &up[0], &up[1]]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = elfgate(&["diff", "--fail-on", "breaking", &up[0], &up[1]]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = elfgate(&["diff", "--fail-on", "info", &up[0], &up[0]]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    let dir = tempfile::tempdir().unwrap();
    let accept = dir.path().join("accept.yaml");
    std::fs::write(
        &accept,
        "version: 1\naccept:\n  - kind: go.module_downgraded\n    subject: \"example.com/*\"\n    \
         reason: pinned until the upstream fix\n  - kind: symbol.removed\n    reason: unused\n",
    )
    .unwrap();
    let a = accept.to_str().unwrap();
    let o = elfgate(&["diff", "--format", "json", "--accept", a, &up[1], &up[0]]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["accepted"][0]["kind"], "go.module_downgraded");
    assert_eq!(v["accepted"][0]["reason"], "pinned until the upstream fix");
    assert_eq!(v["summary"]["accepted"], 1);
    assert!(
        stderr(&o).contains("accept.yaml:6: this accept entry matched no change"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        &accept,
        "version: 1\naccept:\n  - kind: go.module_downgrade\n    reason: x\n",
    )
    .unwrap();
    let o = elfgate(&["diff", "--accept", a, &up[1], &up[0]]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("accept.yaml:3:") && stderr(&o).contains("unknown change kind"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn markdown_and_text() {
    let o = elfgate(&[
        "diff",
        "--format",
        "markdown",
        &bin("cshared-v1.so"),
        &bin("cshared-nosub.so"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let md = stdout(&o);
    assert!(md.starts_with("### elfgate diff: fails\n"), "{md}");
    assert!(
        md.contains("| `symbol.removed` | `cshared-nosub.so` | `Sub` |"),
        "{md}"
    );
    assert!(md.contains("<details><summary>"), "{md}");
    let o = elfgate(&["diff", &bin("cshared-v1.so"), &bin("cshared-nosub.so")]);
    let t = stdout(&o);
    assert!(
        t.lines().any(|l| l
            == "BREAKING   cshared-nosub.so: symbol.removed Sub: Sub (func) is no longer exported"),
        "{t}"
    );
    assert!(t.ends_with("accepted\n"));
}

fn run(dir: &Path, cmd: &str, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(cmd);
    c.args(args).current_dir(dir);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output()
        .unwrap_or_else(|e| panic!("{cmd} could not run ({e}): install it (.ci/run does)"))
}

/// A C program linked against the c-shared library calls both exports:
/// it runs against the build with glue renamed (which abidiff calls
/// incompatible) and fails against the one without Sub.
#[test]
fn c_shared_consumer_and_abidiff() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("main.c"),
        "#include <stdio.h>\nint Add(int, int);\nint Sub(int, int);\n\
         int main(void) { printf(\"%d %d\\n\", Add(2, 3), Sub(2, 3)); return 0; }\n",
    )
    .unwrap();
    std::fs::create_dir(dir.join("old")).unwrap();
    std::fs::copy(abs(&bin("cshared-v1.so")), dir.join("old/libcs.so")).unwrap();
    let o = run(
        dir,
        "gcc",
        &["-o", "consumer", "main.c", "-Lold", "-l:libcs.so"],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (variant, loads, abidiff_incompatible, elfgate_code) in [
        ("cshared-v1.so", true, false, 0),
        ("cshared-edited.so", true, true, 0),
        ("cshared-nosub.so", false, true, 1),
    ] {
        let lib = dir.join(format!("lib-{variant}"));
        std::fs::create_dir(&lib).unwrap();
        std::fs::copy(abs(&bin(variant)), lib.join("libcs.so")).unwrap();
        let out = run(
            dir,
            dir.join("consumer").to_str().unwrap(),
            &[],
            &[("LD_LIBRARY_PATH", &lib)],
        );
        assert_eq!(out.status.success(), loads, "{variant}: {out:?}");
        if loads {
            assert_eq!(String::from_utf8_lossy(&out.stdout), "5 -1\n");
        }
        let a = run(
            dir,
            "abidiff",
            &[
                abs(&bin("cshared-v1.so")).to_str().unwrap(),
                abs(&bin(variant)).to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(
            a.status.code().unwrap() & 8 != 0,
            abidiff_incompatible,
            "{variant}: abidiff {:?}",
            a.status
        );
        let (code, _) = diff_json(&[&bin("cshared-v1.so"), &bin(variant)]);
        assert_eq!(code, elfgate_code, "{variant}");
        // Where they disagree (renamed glue), the loader sides with elfgate.
        assert_eq!(code == 1, !loads, "{variant}");
    }
}

/// What the host said: loaded, a plugin.Open error, or a fatal error.
#[derive(Debug, PartialEq)]
enum Opened {
    Loaded,
    Error(String),
    Fatal(String),
}

fn open_for_real(host: &str, plugin: &str) -> Opened {
    let o = Command::new(abs(&bin(host)))
        .arg(abs(plugin))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    if o.status.success() || out.contains("lookup error:") {
        return Opened::Loaded;
    }
    if let Some(e) = out.lines().find_map(|l| l.strip_prefix("open error: ")) {
        return Opened::Error(e.to_string());
    }
    match err.lines().find_map(|l| l.strip_prefix("fatal error: ")) {
        Some(f) => Opened::Fatal(f.to_string()),
        None => panic!("{host} {plugin}: {:?}\n{out}\n{err}", o.status),
    }
}

fn plugin_check(host: &str, plugin: &str) -> (i32, String) {
    let o = elfgate(&[
        "check",
        "--format",
        "json",
        "--plugin-host",
        &bin(host),
        plugin,
    ]);
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    let f = v["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "go.plugin")
        .cloned()
        .unwrap();
    (
        o.status.code().unwrap(),
        f["message"].as_str().unwrap().to_string(),
    )
}

#[test]
fn plugins_open_as_go_opens_them() {
    let cases = [
        ("plugin-host", bin("plugin-same.so")),
        ("plugin-host", bin("plugin-changed.so")),
        ("plugin-host", bin("plugin-trimpath.so")),
        ("plugin-host", bin("plugin-go125.so")),
        ("plugin-host", "bin/go127-plugin.so".to_string()),
        ("plugin-host-nocgo", bin("plugin-same.so")),
        ("plugin-host-nocgo", bin("plugin-go125.so")),
        ("plugin-host-go123", bin("plugin-go125.so")),
        ("plugin-host-go123", bin("plugin-same.so")),
    ];
    let mut seen = Vec::new();
    for (host, plugin) in &cases {
        let real = open_for_real(host, plugin);
        let (code, message) = plugin_check(host, plugin);
        match &real {
            Opened::Loaded => assert_eq!(code, 0, "{host} {plugin}: {message}"),
            Opened::Error(e) => {
                assert_eq!(code, 1, "{host} {plugin}: {message}");
                if let Some(pkg) = e.split("different version of package ").nth(1) {
                    // The package Go names is the one elfgate names first.
                    let named = message
                        .split("different version of package ")
                        .nth(1)
                        .and_then(|m| m.split(' ').next())
                        .unwrap_or_default();
                    assert_eq!(named, pkg, "{host} {plugin}: {message}");
                } else {
                    assert!(
                        message.contains(e.as_str()),
                        "{host} {plugin}: {e} / {message}"
                    );
                }
            }
            Opened::Fatal(f) => {
                assert_eq!(code, 1, "{host} {plugin}: {message}");
                assert!(message.contains(&format!("fatal error: {f}")), "{message}");
            }
        }
        seen.push(std::mem::discriminant(&real));
    }
    // Every outcome happened at least once.
    for o in [
        Opened::Loaded,
        Opened::Error(String::new()),
        Opened::Fatal(String::new()),
    ] {
        assert!(seen.contains(&std::mem::discriminant(&o)));
    }
    // A program that does not link package plugin cannot open plugins.
    let o = elfgate(&[
        "check",
        "--plugin-host",
        "bin/go127-exe",
        &bin("plugin-same.so"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("does not link package plugin"),
        "{}",
        stdout(&o)
    );
    // The -trimpath plugin: every package differs; Go names the first in
    // the plugin's table, elfgate lists the others.
    let (_, m) = plugin_check("plugin-host", &bin("plugin-trimpath.so"));
    assert!(m.contains("other packages whose hashes differ: "), "{m}");
    assert!(m.contains("runtime"), "{m}");
}

#[test]
fn linkshared_starts_as_the_loader_starts_it() {
    let dir = abs("bin/contract");
    for exe in ["linkshared", "linkshared-other"] {
        let o = Command::new(dir.join(exe))
            .env("LD_LIBRARY_PATH", &dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        let (code, message) = plugin_check(exe, &bin("libruntime.so"));
        if o.status.success() {
            assert_eq!(code, 0, "{exe}: {message}");
        } else {
            assert!(err.contains("abi mismatch detected between the executable and libruntime.so"));
            assert_eq!(code, 1, "{exe}: {message}");
            assert!(
                message.contains("abi mismatch detected between the executable and libruntime.so"),
                "{message}"
            );
        }
    }
    // One of each.
    assert_eq!(plugin_check("linkshared", &bin("libruntime.so")).0, 0);
    assert_eq!(plugin_check("linkshared-other", &bin("libruntime.so")).0, 1);
}

/// A tree of two files: a c-shared library and a Go program.
fn tree(dir: &Path, lib: &str, app: &str) {
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::copy(abs(&bin(lib)), dir.join("lib/libcs.so")).unwrap();
    std::fs::copy(abs(&bin(app)), dir.join("bin/app")).unwrap();
}

#[test]
fn check_baseline_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new, base) = (
        tmp.path().join("old"),
        tmp.path().join("new"),
        tmp.path().join("base.json"),
    );
    tree(&old, "cshared-v1.so", "mod-lib130");
    tree(&new, "cshared-nosub.so", "mod-lib120");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let o = elfgate(&["snapshot", "--output", &s(&base), &s(&old)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // Against itself: passes.
    let o = elfgate(&["check", "--baseline", &s(&base), &s(&old)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    for format in ["text", "json", "sarif", "junit"] {
        let o = elfgate(&[
            "check",
            "--format",
            format,
            "--baseline",
            &s(&base),
            &s(&new),
        ]);
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stdout(&o));
        let out = stdout(&o);
        assert!(out.contains("contract.baseline"), "{format}: {out}");
        match format {
            "text" => {
                assert!(out.contains("symbol.removed Sub"), "{out}");
                assert!(
                    out.contains("go.module_downgraded example.com/lib"),
                    "{out}"
                );
            }
            "json" => {
                let v: Value = serde_json::from_str(&out).unwrap();
                let failed: Vec<&Value> = v["files"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|f| f["findings"].as_array().unwrap())
                    .filter(|f| f["rule_id"] == "contract.baseline" && f["status"] == "fail")
                    .collect();
                assert_eq!(failed.len(), 2, "{v:#}");
            }
            "sarif" => {
                let v: Value = serde_json::from_str(&out).unwrap();
                let rules = &v["runs"][0]["tool"]["driver"]["rules"];
                assert!(
                    rules
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| r["id"] == "contract.baseline")
                );
                assert!(
                    v["runs"][0]["results"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| r["ruleId"] == "contract.baseline")
                );
            }
            _ => assert!(out.contains("<failure"), "{out}"),
        }
    }

    // The same under --root, with the paths inside it.
    let o = elfgate(&["check", "--root", &s(&new), "--baseline", &s(&base), "/"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("FAIL /lib/libcs.so: contract.baseline"),
        "{}",
        stdout(&o)
    );

    // A file of the baseline missing from the tree: file.removed.
    std::fs::remove_file(new.join("bin/app")).unwrap();
    let o = elfgate(&["check", "--baseline", &s(&base), &s(&new)]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("file.removed: bin/app is in baseline"),
        "{out}"
    );

    // A policy's baseline is relative to the policy file. Only the
    // library is checked: paired with the baseline's lib/libcs.so by its
    // name (no other baseline file ends so), and the rest of the baseline
    // is not expected of a file target.
    std::fs::write(
        tmp.path().join("policy.yaml"),
        "version: 1\nrulesets:\n  - name: libs\n    paths: [\"**/lib/*.so\"]\n    baseline: base.json\n",
    )
    .unwrap();
    let o = elfgate(&[
        "check",
        "--policy",
        &s(&tmp.path().join("policy.yaml")),
        &s(&new.join("lib/libcs.so")),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("[libs] base.json: 1 breaking changes"),
        "{}",
        stdout(&o)
    );

    // A baseline that is not a snapshot stops check: exit 2.
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"schema\": \"elfgate.contract/v1\", \"files\": 3}").unwrap();
    let o = elfgate(&["check", "--baseline", &s(&bad), &s(&old)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.json:1:"), "{}", stderr(&o));
}

/// The ELF fixtures of fixtures.tsv (committed files only).
fn elf_fixtures() -> Vec<String> {
    fixtures()
        .into_iter()
        .filter(|(name, _, _, kind)| kind != "derived" && kind != "text" && !name.ends_with(".txt"))
        .map(|(name, ..)| format!("bin/{name}"))
        .filter(|p| abs(p).is_file())
        .collect()
}

#[test]
fn diff_of_a_fixture_with_itself_is_empty() {
    let all = elf_fixtures();
    assert!(all.len() >= 45, "{}", all.len());
    for f in &all {
        let (code, v) = diff_json(&[f, f]);
        assert_eq!(code, 0, "{f}");
        assert_eq!(v["changes"], Value::Array(vec![]), "{f}: {v:#}");
    }
    // The whole tree against its snapshot, and the snapshot against itself.
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("s.json");
    let o = elfgate(&["snapshot", "--output", snap.to_str().unwrap(), "bin"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for (a, b) in [
        (snap.to_str().unwrap(), "bin"),
        (snap.to_str().unwrap(), snap.to_str().unwrap()),
    ] {
        let (code, v) = diff_json(&[a, b]);
        assert_eq!(code, 0);
        assert_eq!(v["changes"], Value::Array(vec![]), "{v:#}");
    }
}

#[test]
fn snapshots_are_byte_identical_however_taken() {
    let snap = |dir: &Path, args: &[&str]| {
        let mut all = vec!["snapshot"];
        all.extend_from_slice(args);
        let o = elfgate_in(dir, &all);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        o.stdout
    };
    let td = root().join("testdata");
    let a = snap(&td, &["bin"]);
    let b = snap(&td.join("bin"), &["."]);
    assert_eq!(a, b, "from another directory");
    let c = snap(&td, &[td.join("bin").to_str().unwrap()]);
    assert_eq!(a, c, "by an absolute path");
    // Another copy of the tree, elsewhere; and files named in two orders.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("elsewhere/bin");
    std::fs::create_dir_all(&copy).unwrap();
    for f in elf_fixtures() {
        let rel = f.strip_prefix("bin/").unwrap();
        let to = copy.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(abs(&f), &to).unwrap();
    }
    let d = snap(tmp.path(), &["--root", copy.to_str().unwrap(), "/"]);
    assert_eq!(a, d, "a copy under --root");
    let names = [
        bin("mod-lib120"),
        bin("plugin-host"),
        "bin/libcet.so".into(),
    ];
    let mut rev = names.clone();
    rev.reverse();
    let e = snap(&td, &names.iter().map(String::as_str).collect::<Vec<_>>());
    let f = snap(&td, &rev.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(e, f, "target order");
    let v: Value = serde_json::from_slice(&e).unwrap();
    assert_eq!(v["schema"], "elfgate.contract/v1");
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["libcet.so", "mod-lib120", "plugin-host"]);
    // No host path or time leaks into the document.
    let text = String::from_utf8(a).unwrap();
    assert!(!text.contains(td.to_str().unwrap()));
    assert!(!text.contains(tmp.path().to_str().unwrap()));
}

#[test]
fn snapshot_records_go_hashes_and_glue() {
    let o = elfgate(&[
        "snapshot",
        &bin("plugin-same.so"),
        &bin("plugin-host"),
        &bin("libruntime.so"),
        &bin("linkshared"),
        &bin("cshared-v1.so"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let file = |p: &str| {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == p)
            .unwrap()
            .clone()
    };
    let plugin = file("plugin-same.so");
    assert_eq!(
        plugin["symbols"][0]["name"],
        "example.com/plugins/plug.Hello"
    );
    let host = file("plugin-host");
    let hash = |f: &Value, pkg: &str| {
        f["go"]["pkghashes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["package"] == pkg)
            .map(|h| h["hash"].as_str().unwrap().to_string())
    };
    assert!(
        hash(&host, "plugin").is_some(),
        "the host links package plugin"
    );
    assert_eq!(
        hash(&host, "example.com/plugins/shared"),
        hash(&plugin, "example.com/plugins/shared")
    );
    assert_eq!(
        host["symbols"],
        Value::Array(vec![]),
        "an executable's exports are no interface"
    );
    let lib = file("libruntime.so");
    let exe = file("linkshared");
    assert_eq!(lib["go"]["abihash"]["library"], "libruntime.so");
    assert_eq!(exe["go"]["linkshared"][0]["library"], "libruntime.so");
    assert_eq!(
        exe["go"]["linkshared"][0]["hash"],
        lib["go"]["abihash"]["hash"]
    );
    let cs = file("cshared-v1.so");
    let names: Vec<&str> = cs["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Add", "Sub"]);
    assert!(
        cs["cgo_glue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "crosscall2")
    );
}

#[test]
fn hostile_snapshots_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let huge_wrong = {
        let mut b = br#"{"schema": "elfgate.contract/v1", "files": ["#.to_vec();
        for i in 0..200_000 {
            if i > 0 {
                b.push(b',');
            }
            b.extend_from_slice(b"12345");
        }
        b.extend_from_slice(b"]}");
        b
    };
    let deep = format!(
        r#"{{"schema": "elfgate.contract/v1", "files": [{{"path": "a", "go": {}}}]}}"#,
        "[".repeat(50_000)
    );
    for (name, body, needle) in [
        ("huge.json", huge_wrong, "huge.json:1:"),
        ("deep.json", deep.into_bytes(), "deep.json:1:"),
        (
            "types.json",
            br#"{"schema": "elfgate.contract/v1", "files": [{"path": "a", "sha256": 5}]}"#.to_vec(),
            "invalid type",
        ),
        (
            "schema.json",
            br#"{"schema": "elfgate.inspect/v1", "files": []}"#.to_vec(),
            "schema is",
        ),
        (
            "garbage.json",
            b"\x00\x01\x02".to_vec(),
            "neither a directory",
        ),
        (
            "truncated.json",
            br#"{"schema": "elfgate.con"#.to_vec(),
            "truncated.json:1:",
        ),
    ] {
        let p = write(name, &body);
        let o = common::elfgate_within(&["diff", &p, &p], std::time::Duration::from_secs(30));
        assert_eq!(o.status.code(), Some(3), "{name}: {}", o.stderr);
        assert!(o.stderr.contains(needle), "{name}: {}", o.stderr);
        assert!(!o.stderr.contains("panicked"), "{name}: {}", o.stderr);
    }
}

#[test]
fn snapshot_refuses_what_it_cannot_name_or_read() {
    let tmp = tempfile::tempdir().unwrap();
    for d in ["a", "b", "empty"] {
        std::fs::create_dir(tmp.path().join(d)).unwrap();
    }
    for d in ["a", "b"] {
        std::fs::copy(abs("bin/libcet.so"), tmp.path().join(d).join("lib.so")).unwrap();
    }
    let p = |s: &str| tmp.path().join(s).to_str().unwrap().to_string();
    // Two files would both be `lib.so`.
    let o = elfgate(&["snapshot", &p("a/lib.so"), &p("b/lib.so")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("would both be recorded as lib.so"),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
    // From their common directory they are a/lib.so and b/lib.so.
    let o = elfgate(&["snapshot", &p("")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"path\": \"a/lib.so\""));
    // Nothing to snapshot, or a file that is not ELF: exit 3, nothing written.
    let o = elfgate(&["snapshot", &p("empty")]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("no ELF file found"), "{}", stderr(&o));
    let out = tmp.path().join("out.json");
    let o = elfgate(&[
        "snapshot",
        "--output",
        out.to_str().unwrap(),
        &p("a/lib.so"),
        "bin/notelf.txt",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("not an ELF file"), "{}", stderr(&o));
    assert!(!out.exists(), "an incomplete snapshot was written");
}
