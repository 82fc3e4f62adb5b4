//! `elfgate check` scenarios over the committed fixtures: every rule family
//! passing and failing, exit statuses, messages, `--root`, Kubernetes files.

mod common;

use std::os::unix::fs::symlink;
use std::process::Command;

use common::{elfgate, root, stderr, stdout};

fn check(args: &[&str]) -> (i32, String) {
    let mut a = vec!["check"];
    a.extend_from_slice(args);
    let o = elfgate(&a);
    (o.status.code().unwrap_or(-1), stdout(&o) + &stderr(&o))
}

#[test]
fn too_old_go_fails_and_new_enough_passes() {
    let (code, out) = check(&["--min-version", "go1.21.0", "bin/go119-exe"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("go1.19.8") && out.contains("FAIL"), "{out}");
    let (code, out) = check(&[
        "--go-version",
        ">=1.21.0, <1.28",
        "bin/go127-exe",
        "bin/go121-exe",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, _) = check(&["--go-version", "<1.27", "bin/go127-exe"]);
    assert_eq!(code, 1);
}

#[test]
fn boringcrypto_suffix_versions_and_fips() {
    // ` X:boringcrypto` (<= 1.25 form) still orders as go1.25.5.
    let (code, out) = check(&[
        "--min-version",
        "go1.25.0",
        "--require-experiment",
        "boringcrypto",
        "--require-fips",
        "bin/go125-boring-cgo",
    ]);
    assert_eq!(code, 0, "{out}");
    // A suffix without BoringCrypto linked (CGO_ENABLED=0) is not FIPS.
    let (code, out) = check(&["--require-fips", "bin/go127-static"]);
    assert_eq!(code, 1, "{out}");
    let (code, out) = check(&["--forbid-experiment", "boringcrypto", "bin/go127-static"]);
    assert_eq!(code, 1, "{out}");
    let (code, out) = check(&["--require-fips", "bin/go127-pie"]);
    assert_eq!(code, 0, "GOFIPS140=latest: {out}");
}

#[test]
fn required_symbol_found_only_in_pclntab() {
    let (code, out) = check(&["--require-symbol", "runtime.mallocgc", "bin/go127-amd64v3"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("pclntab"), "{out}");
    let (code, out) = check(&[
        "--require-symbol",
        "runtime.noSuchFunction",
        "bin/go127-amd64v3",
    ]);
    assert_eq!(code, 1, "{out}");
    let (code, out) = check(&[
        "--forbid-symbol",
        "crypto/internal/boring/*",
        "bin/go125-boring-cgo",
    ]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn versioned_symbols() {
    let (code, out) = check(&[
        "--require-symbol",
        "demo_fn@@LIBDEMO_2.0",
        "--require-symbol",
        "demo_fn@LIBDEMO_1.0",
        "bin/libversioned.so",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(&[
        "--require-symbol",
        "demo_fn@@LIBDEMO_1.0",
        "bin/libversioned.so",
    ]);
    assert_eq!(code, 1, "{out}");
    let (code, out) = check(&["--max-glibc", "2.31", "bin/go127-cgo"]);
    assert_eq!(code, 1, "needs GLIBC_2.34: {out}");
    let (code, out) = check(&["--max-glibc", "2.36", "bin/go127-cgo"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn abi_properties_and_isa_level() {
    let (code, out) = check(&["--require-property", "ibt,shstk", "bin/libcet.so"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(&["--require-property", "ibt", "bin/libisa3.so"]);
    assert_eq!(code, 1, "IBT missing: {out}");
    let (code, out) = check(&["--require-property", "bti,pac", "bin/libbti-arm64.so"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(&["--max-isa", "x86-64-v2", "bin/go127-amd64v3"]);
    assert_eq!(code, 1, "GOAMD64=v3 over a v2 limit: {out}");
    assert!(out.contains("v3"), "{out}");
    let (code, out) = check(&["--max-isa", "x86-64-v2", "bin/libisa3.so"]);
    assert_eq!(code, 1, "ISA_1_NEEDED v3: {out}");
    let (code, out) = check(&["--max-isa", "x86-64-v2", "bin/go127-exe"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn architecture_and_settings() {
    let (code, out) = check(&[
        "--arch",
        "arm64,riscv64",
        "bin/go127-linux-arm64",
        "bin/go127-linux-riscv64",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(&["--arch", "amd64", "bin/go127-linux-s390x"]);
    assert_eq!(code, 1, "{out}");
    let (code, out) = check(&[
        "--require-setting",
        "CGO_ENABLED=0",
        "--require-setting",
        "-trimpath=true",
        "bin/go127-static",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(&[
        "--forbid-setting",
        "vcs.modified=false",
        "bin/go127-vcs-replace",
    ]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn unknown_facts_fail_closed_unless_allowed() {
    let (code, out) = check(&["--min-version", "go1.18.0", "bin/libcet.so"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot determine the Go version"), "{out}");
    let (code, out) = check(&[
        "--min-version",
        "go1.18.0",
        "--allow-unknown",
        "go.version",
        "bin/libcet.so",
    ]);
    assert_eq!(code, 0, "{out}");
    // gccgo: only inferred from the GCC release; not trusted by default.
    let (code, out) = check(&["--min-version", "go1.18.0", "bin/gccgo12-hello"]);
    assert_eq!(code, 1, "{out}");
    let (code, out) = check(&[
        "--min-version",
        "go1.18.0",
        "--trust-inferred-version",
        "bin/gccgo12-hello",
    ]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn policy_with_unknown_key_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("policy.yaml");
    std::fs::write(
        &p,
        "version: 1\nrulesets:\n  - name: x\n    min_version: go1.21.0\n    requre_symbols: [a]\n",
    )
    .unwrap();
    let (code, out) = check(&["--policy", p.to_str().unwrap(), "bin/go127-exe"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("requre_symbols") && out.contains("policy.yaml:5:"),
        "{out}"
    );
}

#[test]
fn policy_rulesets_apply_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("policy.yaml");
    std::fs::write(
        &p,
        "version: 1\nrulesets:\n  - name: go\n    paths: [\"bin/go12*\"]\n    min_version: go1.21.0\n  - name: libs\n    paths: [\"bin/lib*.so\"]\n    require_properties: [ibt]\n",
    )
    .unwrap();
    let (code, out) = check(&[
        "--policy",
        p.to_str().unwrap(),
        "bin/go121-exe",
        "bin/libcet.so",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(&[
        "--policy",
        p.to_str().unwrap(),
        "bin/go119-exe",
        "bin/libisa3.so",
    ]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn a_text_file_target_is_unreadable() {
    let (code, out) = check(&["--min-version", "go1.21.0", "bin/notelf.txt"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("not an ELF file"), "{out}");
}

#[test]
fn root_confines_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("image");
    std::fs::create_dir_all(img.join("app")).unwrap();
    std::fs::create_dir_all(img.join("usr/bin")).unwrap();
    std::fs::copy(
        root().join("testdata/bin/go127-exe"),
        img.join("usr/bin/server"),
    )
    .unwrap();
    // Absolute: resolves inside the root, not on the host.
    symlink("/usr/bin/server", img.join("app/server")).unwrap();
    // Climbs out with ..: clamped at the root.
    symlink("../../../../../../usr/bin/server", img.join("app/up")).unwrap();
    // Dangling inside the root (exists on the host, not in the image).
    symlink("/bin/sh", img.join("app/sh")).unwrap();
    let r = img.to_str().unwrap();
    let (code, out) = check(&[
        "--root",
        r,
        "--min-version",
        "go1.21.0",
        "/app/server",
        "/app/up",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(&["--root", r, "--min-version", "go1.21.0", "/app/sh"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("/app/sh") && out.contains("no such file"),
        "{out}"
    );
}

#[test]
fn kubernetes_files_and_env() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("termination-log");
    let ok = dir.path().join("ok");
    let o = Command::new(env!("CARGO_BIN_EXE_elfgate"))
        .current_dir(root().join("testdata"))
        .env("ELFGATE_MIN_VERSION", "go1.21.0")
        .env("ELFGATE_REQUIRE_SYMBOL", "runtime.mallocgc\nmain.main")
        .env("ELFGATE_TARGETS", "bin/go127-exe bin/go121-exe")
        .env("ELFGATE_TERMINATION_LOG", &log)
        .env("ELFGATE_SUCCESS_FILE", &ok)
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(ok.exists());
    // A failure removes a stale success file and names the failure first.
    let o = Command::new(env!("CARGO_BIN_EXE_elfgate"))
        .current_dir(root().join("testdata"))
        .args(["check", "--min-version", "go1.21.0", "--termination-log"])
        .arg(&log)
        .arg("--success-file")
        .arg(&ok)
        .args(["bin/go127-exe", "bin/go119-exe"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(!ok.exists());
    let msg = std::fs::read_to_string(&log).unwrap();
    assert!(msg.len() <= 4096);
    assert!(msg.contains("go119-exe"), "{msg}");
}

#[test]
fn output_file_keeps_a_summary_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let (code, text) = check(&[
        "--min-version",
        "go1.21.0",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
        "bin/go127-exe",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("report in"), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(v.get("files").is_some(), "{v}");
}

#[test]
fn no_rules_is_a_usage_error() {
    let (code, out) = check(&["bin/go127-exe"]);
    assert_eq!(code, 2, "{out}");
    let (code, out) = check(&["--min-version", "go1.21.0"]);
    assert_eq!(code, 2, "{out}");
}

#[test]
fn glob_targets_expand_and_an_empty_match_is_an_error() {
    let (code, out) = check(&["--min-version", "go1.21.0", "bin/go12[1-7]-exe"]);
    assert_eq!(code, 0, "{out}");
    for f in ["go121-exe", "go123-exe", "go125-exe", "go127-exe"] {
        assert!(out.contains(&format!("PASS bin/{f}:")), "{f}: {out}");
    }
    assert!(!out.contains("go119-exe"), "{out}");
    let (code, out) = check(&["--min-version", "go1.21.0", "bin/nothing-*"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("matched no file"), "{out}");
}

#[test]
fn an_empty_image_fails_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("app/start.sh"), "#!/bin/sh\n").unwrap();
    let r = dir.path().to_str().unwrap();
    let (code, out) = check(&["--root", r, "--min-version", "go1.21.0", "/app"]);
    assert_eq!(code, 3, "{out}");
    let (code, out) = check(&[
        "--root",
        r,
        "--min-version",
        "go1.21.0",
        "--format",
        "json",
        "/app",
    ]);
    assert_eq!(code, 3);
    let json = &out[..out.rfind('}').unwrap() + 1];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["exit_code"], 3);
}

/// Review findings: each of these once let `check` exit 0.
#[test]
fn fail_open_regressions() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    std::fs::create_dir_all(img.join("app")).unwrap();
    std::fs::create_dir_all(img.join("empty")).unwrap();
    std::fs::copy(
        root().join("testdata/bin/go127-exe"),
        img.join("app/server"),
    )
    .unwrap();
    let r = img.to_str().unwrap();
    let policy = dir.path().join("p.yaml");
    std::fs::write(
        &policy,
        "version: 1\nrulesets:\n  - name: strict\n    paths: [\"/app/**\"]\n    arch: [arm64]\n  - name: all\n    arch: [amd64]\n",
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    // Path-scoped rulesets apply however the target is spelled under --root.
    for t in ["/app", "app", "//app", "/app/../app", "app/*"] {
        let (code, out) = check(&["--root", r, "--policy", p, t]);
        assert_eq!(code, 1, "{t}: {out}");
        assert!(out.contains("/app/server"), "{t}: {out}");
    }
    // An empty value drops nothing silently; stray whitespace is trimmed.
    let (code, out) = check(&["--arch", "amd64", "--sha256", "", "bin/go127-exe"]);
    assert_eq!(code, 2, "{out}");
    let (code, out) = check(&["--forbid-setting", "CGO_ENABLED=1\r", "bin/go127-cgo"]);
    assert_eq!(code, 1, "{out}");
    // A target that holds no ELF fails even beside one that does.
    let (code, out) = check(&["--root", r, "--arch", "amd64", "/app", "/empty"]);
    assert_eq!(code, 3, "{out}");
    // A stale success file does not survive a usage error.
    let ok = dir.path().join("ok");
    std::fs::write(&ok, "PASS\n").unwrap();
    let (code, _) = check(&[
        "--policy",
        "/nonexistent",
        "--success-file",
        ok.to_str().unwrap(),
        "bin/go127-exe",
    ]);
    assert_eq!(code, 2);
    assert!(!ok.exists());
    // A truncated file with the ELF magic is damage, not a file to skip.
    std::fs::write(img.join("app/stub"), b"\x7fELF\x02\x01").unwrap();
    let (code, out) = check(&["--root", r, "--arch", "amd64", "/app"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("/app/stub"), "{out}");
}

#[test]
fn walked_symlinks_with_odd_names_resolve() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("testdata/bin/go127-exe"),
        dir.path().join("server"),
    )
    .unwrap();
    symlink("server", dir.path().join("lnk\\x")).unwrap();
    let d = dir.path().to_str().unwrap();
    let o = elfgate(&["inspect", "-v", d]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("dangling"), "{}", stderr(&o));
    let (code, out) = check(&["--root", d, "--arch", "amd64", "/"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("lnk"), "{out}");
}
