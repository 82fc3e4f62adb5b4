//! The load simulation inside `--image` against the same commands with
//! `--root` over the image unpacked by `umoci unpack` (the oracle; the
//! simulation under `--root` is itself judged by the real loader in
//! `load_oracle.rs`): `check --loadable` verdicts (files, rules, statuses,
//! exit) and `inspect --load` facts compared whole, image-only fields
//! taken out.
//!
//! The image, built with gcc, `ldconfig -r` and umoci, has three layers:
//! 1. a glibc base: the host's `ld.so` and `libc.so.6` where Debian keeps
//!    them (`/lib`, `/lib64` and `/bin` links into `/usr`), a library found
//!    only through the image's own `/etc/ld.so.cache`;
//! 2. programs and their libraries: one found through `RUNPATH`
//!    `$ORIGIN/../lib` (through a soname symlink, and the program also
//!    through a symlink), one needing a version of it, one needing a
//!    library that is nowhere, one needing a library only the config's
//!    `LD_LIBRARY_PATH` finds, one needing a library by a name that is not a
//!    shared object's, which needs another (the image's reader learns it
//!    only once it has read the first: a second round), one needing a
//!    library the next layer deletes;
//! 3. the versioned library replaced by an older build (the version the
//!    program needs is gone) and a library deleted (whiteout).
//!
//! Layer 2 also holds a musl program whose library only musl's path file
//! (`/etc/ld-musl-x86_64.path`, layer 1) finds.
//!
//! The config sets `LD_LIBRARY_PATH=/opt/envlib` in `Env` and the
//! entrypoint `/app/bin/server`.

mod common;
mod imagekit;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::sh;
use std::sync::OnceLock;

use imagekit::*;
use serde_json::Value;

struct Fixture {
    _dir: tempfile::TempDir,
    /// `oci:DIR:v1`.
    reference: String,
    /// `umoci unpack` of it.
    rootfs: PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(build)
}

/// Compiles `code` with gcc into `out`.
fn cc(src: &Path, out: &Path, name: &str, code: &str, args: &[&str]) {
    let c = src.join(name);
    std::fs::write(&c, code).unwrap();
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    sh(Command::new("gcc").arg("-o").arg(out).arg(&c).args(args));
}

/// A shared library `soname` defining `fns` (each returning 1), with an
/// optional version script, built into `out`.
fn lib(src: &Path, out: &Path, soname: &str, fns: &[&str], script: Option<&str>) {
    let code: String = fns
        .iter()
        .map(|f| format!("int {f}(void) {{ return 1; }}\n"))
        .collect();
    let mut args = vec![
        "-shared".to_string(),
        "-fPIC".to_string(),
        format!("-Wl,-soname,{soname}"),
    ];
    if let Some(s) = script {
        let p = src.join(format!("{soname}.map"));
        std::fs::write(&p, s).unwrap();
        args.push(format!("-Wl,--version-script={}", p.display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cc(src, out, &format!("{soname}.c"), &code, &args);
}

/// A program calling `fns`, linked against `libs` with `flags`.
fn program(src: &Path, out: &Path, fns: &[&str], libs: &[&Path], flags: &[&str]) {
    let mut code: String = fns.iter().map(|f| format!("int {f}(void);\n")).collect();
    code.push_str("int main(void) { int n = 0;\n");
    for f in fns {
        code.push_str(&format!("  n += {f}();\n"));
    }
    code.push_str("  return n == 0; }\n");
    let mut args: Vec<&str> = libs.iter().map(|l| l.to_str().unwrap()).collect();
    args.extend_from_slice(flags);
    let name = format!("{}.c", out.file_name().unwrap().to_str().unwrap());
    cc(src, out, &name, &code, &args);
}

const FOO_V1: &str = "FOO_1.0 { global: foo; local: *; };\n";
const FOO_V2: &str = "FOO_1.0 { global: foo; local: *; };\nFOO_2.0 { global: foo2; } FOO_1.0;\n";
const RUNPATH_LIB: &str = "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib";

fn build() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = d.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let lay = d.join("lay");
    let lay = lay.to_str().unwrap();
    let image = format!("{lay}:v1");
    run("umoci", &["init", "--layout", lay]);
    run("umoci", &["new", "--image", &image]);

    // Layer 1: the glibc base, with its own ld.so.cache.
    let b = d.join("b1");
    unpack(&image, &b);
    let r = b.join("rootfs");
    let multiarch = r.join("usr/lib/x86_64-linux-gnu");
    std::fs::create_dir_all(&multiarch).unwrap();
    std::fs::create_dir_all(r.join("usr/lib64")).unwrap();
    std::fs::create_dir_all(r.join("usr/bin")).unwrap();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    for name in ["ld-linux-x86-64.so.2", "libc.so.6"] {
        let host = std::fs::canonicalize(Path::new("/lib/x86_64-linux-gnu").join(name)).unwrap();
        std::fs::copy(host, multiarch.join(name)).unwrap();
    }
    std::os::unix::fs::symlink(
        "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        r.join("usr/lib64/ld-linux-x86-64.so.2"),
    )
    .unwrap();
    for (link, to) in [
        ("lib", "usr/lib"),
        ("lib64", "usr/lib64"),
        ("bin", "usr/bin"),
    ] {
        std::os::unix::fs::symlink(to, r.join(link)).unwrap();
    }
    lib(
        &src,
        &r.join("opt/cachelib/libcached.so.1"),
        "libcached.so.1",
        &["cached"],
        None,
    );
    std::fs::write(r.join("etc/ld.so.conf"), "/opt/cachelib\n").unwrap();
    // musl's loader beside glibc's, with its path file.
    std::fs::copy(
        "/lib/ld-musl-x86_64.so.1",
        r.join("usr/lib/ld-musl-x86_64.so.1"),
    )
    .unwrap();
    std::fs::write(r.join("etc/ld-musl-x86_64.path"), "/opt/mlib\n").unwrap();
    run("ldconfig", &["-r", r.to_str().unwrap()]);
    assert!(r.join("etc/ld.so.cache").exists());
    repack(&image, &b);

    // Layer 2: programs and libraries.
    let b = d.join("b2");
    unpack(&image, &b);
    let r = b.join("rootfs");
    let foo_v2 = src.join("libfoo-v2/libfoo.so.1");
    std::fs::create_dir_all(foo_v2.parent().unwrap()).unwrap();
    lib(&src, &foo_v2, "libfoo.so.1", &["foo", "foo2"], Some(FOO_V2));
    std::fs::create_dir_all(r.join("app/lib")).unwrap();
    std::fs::copy(&foo_v2, r.join("app/lib/libfoo.so.1.0")).unwrap();
    std::os::unix::fs::symlink("libfoo.so.1.0", r.join("app/lib/libfoo.so.1")).unwrap();
    program(
        &src,
        &r.join("app/bin/server"),
        &["foo", "cached"],
        &[&foo_v2, &r.join("opt/cachelib/libcached.so.1")],
        &[RUNPATH_LIB],
    );
    std::os::unix::fs::symlink("bin/server", r.join("app/server-link")).unwrap();
    program(
        &src,
        &r.join("app/bin/needs-new"),
        &["foo2"],
        &[&foo_v2],
        &[RUNPATH_LIB],
    );
    let gone = src.join("libgone.so.1");
    lib(&src, &gone, "libgone.so.1", &["gone"], None);
    program(&src, &r.join("app/bin/missing"), &["gone"], &[&gone], &[]);
    lib(
        &src,
        &r.join("opt/envlib/libenv.so.1"),
        "libenv.so.1",
        &["env_only"],
        None,
    );
    program(
        &src,
        &r.join("app/bin/envlib"),
        &["env_only"],
        &[&r.join("opt/envlib/libenv.so.1")],
        &[],
    );
    // Linked as a `.so` (gcc takes `.mod` for Modula-2 source), shipped
    // under its soname.
    // It needs a library of its own, which the image's reader learns only
    // when it reads it (`plug.mod` is not a shared object's name).
    let inner = r.join("app/mods/libinner.so.1");
    lib(&src, &inner, "libinner.so.1", &["inner"], None);
    let plug = src.join("libplug-link.so");
    let plug_c = src.join("plug.c");
    std::fs::write(
        &plug_c,
        "int inner(void);\nint plug(void) { return inner(); }\n",
    )
    .unwrap();
    sh(Command::new("gcc")
        .args(["-shared", "-fPIC", "-Wl,-soname,plug.mod", "-o"])
        .arg(&plug)
        .arg(&plug_c)
        .arg(&inner)
        .arg("-Wl,--enable-new-dtags,-rpath,$ORIGIN"));
    std::fs::create_dir_all(r.join("app/mods")).unwrap();
    std::fs::copy(&plug, r.join("app/mods/plug.mod")).unwrap();
    program(
        &src,
        &r.join("app/bin/modular"),
        &["plug"],
        &[&plug],
        &[
            "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../mods",
            &format!("-Wl,-rpath-link,{}", inner.parent().unwrap().display()),
        ],
    );
    lib(
        &src,
        &r.join("app/lib/libdropped.so.1"),
        "libdropped.so.1",
        &["dropped"],
        None,
    );
    program(
        &src,
        &r.join("app/bin/dropped"),
        &["dropped"],
        &[&r.join("app/lib/libdropped.so.1")],
        &[RUNPATH_LIB],
    );
    // A musl program whose library only musl's path file finds.
    let mlib = r.join("opt/mlib/libm1.so");
    std::fs::create_dir_all(mlib.parent().unwrap()).unwrap();
    sh(Command::new("musl-gcc")
        .args(["-shared", "-fPIC", "-Wl,-soname,libm1.so", "-o"])
        .arg(&mlib)
        .arg(src.join("libenv.so.1.c")));
    let mprog = src.join("mprog.c");
    std::fs::write(
        &mprog,
        "int env_only(void);\nint main(void) { return env_only() != 1; }\n",
    )
    .unwrap();
    sh(Command::new("musl-gcc")
        .arg("-o")
        .arg(r.join("app/bin/mprog"))
        .arg(&mprog)
        .arg(&mlib));
    repack(&image, &b);

    // Layer 3: the library downgraded, another deleted.
    let b = d.join("b3");
    unpack(&image, &b);
    let r = b.join("rootfs");
    std::fs::remove_file(r.join("app/lib/libfoo.so.1.0")).unwrap();
    lib(
        &src,
        &r.join("app/lib/libfoo.so.1.0"),
        "libfoo.so.1",
        &["foo"],
        Some(FOO_V1),
    );
    std::fs::remove_file(r.join("app/lib/libdropped.so.1")).unwrap();
    repack(&image, &b);

    run(
        "umoci",
        &[
            "config",
            "--image",
            &image,
            "--config.env",
            "LD_LIBRARY_PATH=/opt/envlib",
            "--config.entrypoint",
            "/app/bin/server",
        ],
    );
    let unpacked = d.join("unpacked");
    unpack(&image, &unpacked);
    Fixture {
        reference: format!("oci:{image}"),
        rootfs: unpacked.join("rootfs"),
        _dir: dir,
    }
}

/// Runs elfgate: exit code and stdout as JSON.
fn json_run(args: &[&str]) -> (i32, Value) {
    let o = common::elfgate(args);
    let err = common::stderr(&o);
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}\n{err}", common::stdout(&o)));
    (o.status.code().unwrap_or(-1), v)
}

/// `cmd` over the image and over the unpacked root (with `root_extra`
/// added there: what the image's config supplies), compared whole; returns
/// the image's exit code and document.
fn both(cmd: &[&str], image_extra: &[&str], root_extra: &[&str], targets: &[&str]) -> (i32, Value) {
    let f = fixture();
    let mut a: Vec<&str> = cmd.to_vec();
    a.extend_from_slice(&["--image", &f.reference]);
    a.extend_from_slice(image_extra);
    a.extend_from_slice(targets);
    let (code, image) = json_run(&a);
    let mut b: Vec<&str> = cmd.to_vec();
    b.extend_from_slice(&["--root", f.rootfs.to_str().unwrap()]);
    b.extend_from_slice(image_extra);
    b.extend_from_slice(root_extra);
    b.extend_from_slice(targets);
    let (root_code, root) = json_run(&b);
    assert_eq!(
        without_image(image.clone()),
        root,
        "{a:?} against {b:?}: the documents differ"
    );
    assert_eq!(code, root_code, "{a:?} against {b:?}: exit codes");
    (code, image)
}

const CHECK: &[&str] = &["check", "--loadable", "--format", "json"];
const INSPECT: &[&str] = &["inspect", "--load", "--format", "json"];
/// What the image's config says, for the unpacked root.
const CONFIG_ENV: &[&str] = &["--library-path", "/opt/envlib"];

fn file<'v>(doc: &'v Value, path: &str) -> &'v Value {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no {path} in {doc:#}"))
}

/// `rule "status"` of each finding of a verdict that did not pass.
fn failed(doc: &Value, path: &str) -> Vec<String> {
    let mut out: Vec<String> = file(doc, path)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "pass")
        .map(|f| format!("{} {}", f["rule_id"].as_str().unwrap(), f["status"]))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `needed => path (via)` of a load object.
fn objects(load: &Value) -> Vec<String> {
    load["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| format!("{} => {} ({})", o["needed"], o["path"], o["via"]))
        .collect()
}

#[test]
fn check_loadable_in_an_image_is_check_loadable_on_it_unpacked() {
    let (code, doc) = both(CHECK, &[], CONFIG_ENV, &["/app"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(failed(&doc, "/app/bin/server"), Vec::<String>::new());
    assert_eq!(failed(&doc, "/app/server-link"), Vec::<String>::new());
    assert_eq!(failed(&doc, "/app/bin/envlib"), Vec::<String>::new());
    assert_eq!(failed(&doc, "/app/bin/modular"), Vec::<String>::new());
    assert_eq!(failed(&doc, "/app/bin/mprog"), Vec::<String>::new());
    assert_eq!(
        failed(&doc, "/app/bin/needs-new"),
        ["load.symbol \"fail\"", "load.version \"fail\""]
    );
    assert!(failed(&doc, "/app/bin/missing").contains(&"load.library \"fail\"".to_string()));
    assert!(failed(&doc, "/app/bin/dropped").contains(&"load.library \"fail\"".to_string()));
    assert!(doc["image"]["digest"].is_string());
}

#[test]
fn inspect_load_in_an_image_is_inspect_load_on_it_unpacked() {
    let (code, doc) = both(INSPECT, &[], CONFIG_ENV, &["/app", "/usr/lib"]);
    assert_eq!(code, 0);
    let server = &file(&doc, "/app/server-link")["load"];
    assert_eq!(server["loader"], "glibc");
    assert_eq!(
        objects(server),
        [
            "\"libfoo.so.1\" => \"/app/bin/../lib/libfoo.so.1\" (\"runpath\")",
            "\"libcached.so.1\" => \"/opt/cachelib/libcached.so.1\" (\"cache\")",
            "\"libc.so.6\" => \"/lib/x86_64-linux-gnu/libc.so.6\" (\"cache\")",
            "\"ld-linux-x86-64.so.2\" => \"/lib64/ld-linux-x86-64.so.2\" (\"loaded\")",
        ]
    );
    let env = &file(&doc, "/app/bin/envlib")["load"];
    assert!(
        objects(env).contains(
            &"\"libenv.so.1\" => \"/opt/envlib/libenv.so.1\" (\"ld_library_path\")".to_string()
        ),
        "{env:#}"
    );
    let modular = &file(&doc, "/app/bin/modular")["load"];
    let o = objects(modular);
    assert!(
        o.contains(&"\"plug.mod\" => \"/app/bin/../mods/plug.mod\" (\"runpath\")".to_string())
            && o.contains(
                &"\"libinner.so.1\" => \"/app/bin/../mods/libinner.so.1\" (\"runpath\")"
                    .to_string()
            ),
        "{modular:#}"
    );
    let musl = &file(&doc, "/app/bin/mprog")["load"];
    assert_eq!(musl["loader"], "musl");
    assert!(
        objects(musl).contains(&"\"libm1.so\" => \"/opt/mlib/libm1.so\" (\"default\")".to_string()),
        "{musl:#}"
    );
    // A library checked on its own is loaded by the image's loader.
    let libc = &file(&doc, "/usr/lib/x86_64-linux-gnu/libc.so.6")["load"];
    assert_eq!(libc["loader"], "glibc");
}

/// `--library-path` wins over the config's `Env`; without the config's
/// value, the library only it finds is missing.
#[test]
fn the_flag_wins_over_the_image_config() {
    let (code, doc) = both(
        CHECK,
        &["--library-path", "/nowhere"],
        &[],
        &["/app/bin/envlib"],
    );
    assert_eq!(code, 1);
    assert!(failed(&doc, "/app/bin/envlib").contains(&"load.library \"fail\"".to_string()));
}

/// With no target, the image's program is checked, with its environment.
#[test]
fn the_entrypoint_is_checked_loadable() {
    let f = fixture();
    let (code, doc) = json_run(&[
        "check",
        "--loadable",
        "--format",
        "json",
        "--image",
        &f.reference,
    ]);
    let (root_code, root) = json_run(&[
        "check",
        "--loadable",
        "--format",
        "json",
        "--root",
        f.rootfs.to_str().unwrap(),
        "--library-path",
        "/opt/envlib",
        "/app/bin/server",
    ]);
    assert_eq!(without_image(doc), root);
    assert_eq!((code, root_code), (0, 0));
}

/// Every ELF file of the image, programs and libraries, the loader's own
/// too, on the node's CPU and on a named one.
#[test]
fn the_whole_image_agrees() {
    let (_, doc) = both(INSPECT, &[], CONFIG_ENV, &["/"]);
    assert!(doc["files"].as_array().unwrap().len() >= 10, "{doc:#}");
    both(CHECK, &["--cpu", "x86-64-v2"], CONFIG_ENV, &["/"]);
}
