//! `inspect --load` and `check --loadable` over small real roots: programs
//! and libraries built here with gcc and musl-gcc, the host's glibc and
//! musl loaders copied in. Each case was checked against the real loader
//! in a chroot when it was written (`docs/load.md` lists what is
//! simulated); the expectations here are the loader's verdicts and paths.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::sh;

use serde_json::Value;

mod common;

/// A scratch directory with a root in it.
struct Root {
    _dir: tempfile::TempDir,
    root: PathBuf,
    src: PathBuf,
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// A root with the host's glibc loader and C library where Debian keeps them.
fn glibc_root() -> Root {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let src = dir.path().join("src");
    for d in ["lib64", "lib/x86_64-linux-gnu", "app", "etc", "opt"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::create_dir_all(&src).unwrap();
    let ld = std::fs::canonicalize("/lib64/ld-linux-x86-64.so.2").unwrap();
    std::fs::copy(&ld, root.join("lib64/ld-linux-x86-64.so.2")).unwrap();
    let libc = std::fs::canonicalize("/lib/x86_64-linux-gnu/libc.so.6").unwrap();
    std::fs::copy(&libc, root.join("lib/x86_64-linux-gnu/libc.so.6")).unwrap();
    Root {
        _dir: dir,
        root,
        src,
    }
}

impl Root {
    fn at(&self, p: &str) -> PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }

    fn write_src(&self, name: &str, text: &str) -> PathBuf {
        let p = self.src.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Builds with `cc` (gcc or musl-gcc) into `out` (a path in the root,
    /// or in the scratch directory when it starts with `src/`).
    fn cc(&self, cc: &str, out: &str, source: &str, code: &str, args: &[&str]) -> PathBuf {
        let src = self.write_src(source, code);
        let out = if let Some(rest) = out.strip_prefix("src/") {
            self.src.join(rest)
        } else {
            self.at(out)
        };
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        sh(Command::new(cc).arg("-o").arg(&out).arg(&src).args(args));
        out
    }

    /// `inspect --load --format json` of one program: its `load` object.
    fn load(&self, target: &str, extra: &[&str]) -> Value {
        let mut args = vec!["inspect", "--load", "--format", "json", "--root"];
        let root = self.root.to_str().unwrap();
        args.push(root);
        args.extend_from_slice(extra);
        args.push(target);
        let o = common::elfgate(&args);
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&o)));
        v["files"][0]["load"].clone()
    }

    /// `check --loadable` exit status and text report.
    fn check(&self, target: &str, extra: &[&str]) -> (i32, String) {
        let root = self.root.to_str().unwrap();
        let mut args = vec!["check", "--loadable", "--root", root];
        args.extend_from_slice(extra);
        args.push(target);
        let o = common::elfgate(&args);
        (o.status.code().unwrap_or(-1), common::stdout(&o))
    }
}

/// The `path` each `needed` name was found at (`None`: not found).
fn objects(load: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    load["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["needed"].as_str().unwrap().to_string(),
                o["path"].as_str().map(str::to_string),
                o["via"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn found(load: &Value, needed: &str) -> Option<(String, String)> {
    objects(load)
        .into_iter()
        .find(|(n, _, _)| n == needed)
        .and_then(|(_, p, v)| Some((p?, v?)))
}

/// `(kind, subject, message)` of every problem.
fn problems(load: &Value) -> Vec<(String, String, String)> {
    load["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_string(),
                p["subject"].as_str().unwrap().to_string(),
                p["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn kinds(load: &Value) -> Vec<String> {
    problems(load).into_iter().map(|(k, _, _)| k).collect()
}

const LIB: &str = "#include <stdio.h>\nvoid foo(void){ puts(\"foo\"); }\n";
const MAIN: &str = "void foo(void);\nint main(void){ foo(); return 0; }\n";

/// A library `libfoo.so.1` (soname) built into `out`, and its scratch copy
/// to link against.
fn libfoo(r: &Root, out: &str) -> PathBuf {
    r.cc(
        "gcc",
        "src/libfoo.so.1",
        "foo.c",
        LIB,
        &["-shared", "-fPIC", "-Wl,-soname,libfoo.so.1"],
    );
    let dst = r.at(out);
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    std::fs::copy(r.src.join("libfoo.so.1"), &dst).unwrap();
    dst
}

/// A program `main` needing libfoo.so.1, with extra link flags.
fn main_needing_foo(r: &Root, out: &str, flags: &[&str]) {
    let lib = r.src.join("libfoo.so.1");
    if !lib.exists() {
        r.cc(
            "gcc",
            "src/libfoo.so.1",
            "foo.c",
            LIB,
            &["-shared", "-fPIC", "-Wl,-soname,libfoo.so.1"],
        );
    }
    let mut args = vec![lib.to_str().unwrap().to_string()];
    args.extend(flags.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    r.cc("gcc", out, "main.c", MAIN, &args);
}

#[test]
fn a_missing_library_is_named_as_glibc_names_it() {
    let r = glibc_root();
    main_needing_foo(&r, "app/main", &[]);
    let load = r.load("/app/main", &[]);
    assert_eq!(load["loader"], "glibc");
    assert_eq!(load["interpreter"]["path"], "/lib64/ld-linux-x86-64.so.2");
    assert_eq!(load["interpreter"]["found"], "/lib64/ld-linux-x86-64.so.2");
    assert_eq!(
        problems(&load),
        [(
            "library_missing".to_string(),
            "libfoo.so.1".to_string(),
            "/app/main: error while loading shared libraries: libfoo.so.1: cannot open shared \
             object file: No such file or directory"
                .to_string()
        )]
    );
    assert_eq!(
        found(&load, "libc.so.6"),
        Some(("/lib/x86_64-linux-gnu/libc.so.6".into(), "default".into()))
    );
    // libc needs the interpreter, which is already loaded.
    assert_eq!(
        found(&load, "ld-linux-x86-64.so.2"),
        Some(("/lib64/ld-linux-x86-64.so.2".into(), "loaded".into()))
    );
    let (code, text) = r.check("/app/main", &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("load.library"), "{text}");

    // Present in a default directory: it loads.
    libfoo(&r, "lib/x86_64-linux-gnu/libfoo.so.1");
    let load = r.load("/app/main", &[]);
    assert!(kinds(&load).is_empty(), "{load}");
    assert_eq!(r.check("/app/main", &[]).0, 0);
}

/// A version script: the image's library is older than the one linked
/// against; then a library without any version information.
#[test]
fn versions_as_glibc_checks_them() {
    let r = glibc_root();
    let v2 = r.write_src(
        "v2.map",
        "LIBDEMO_1.0 { global: foo; local: *; };\nLIBDEMO_2.0 { global: bar; } LIBDEMO_1.0;\n",
    );
    let v1 = r.write_src("v1.map", "LIBDEMO_1.0 { global: foo; local: *; };\n");
    let both = "void foo(void){}\nvoid bar(void){}\n";
    let new = r.cc(
        "gcc",
        "src/libdemo.so.1",
        "demo.c",
        both,
        &[
            "-shared",
            "-fPIC",
            "-Wl,-soname,libdemo.so.1",
            &format!("-Wl,--version-script={}", v2.display()),
        ],
    );
    r.cc(
        "gcc",
        "lib/x86_64-linux-gnu/libdemo.so.1",
        "old.c",
        "void foo(void){}\n",
        &[
            "-shared",
            "-fPIC",
            "-Wl,-soname,libdemo.so.1",
            &format!("-Wl,--version-script={}", v1.display()),
        ],
    );
    r.cc(
        "gcc",
        "app/main",
        "main.c",
        "void foo(void); void bar(void);\nint main(void){ foo(); bar(); return 0; }\n",
        &[new.to_str().unwrap()],
    );
    let load = r.load("/app/main", &[]);
    let p = problems(&load);
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(p[0].0, "version_missing");
    assert_eq!(p[0].1, "LIBDEMO_2.0");
    assert_eq!(
        p[0].2,
        "/app/main: /lib/x86_64-linux-gnu/libdemo.so.1: version `LIBDEMO_2.0' not found \
         (required by /app/main)"
    );
    assert_eq!(p[1].0, "symbol_undefined");
    assert_eq!(p[1].1, "bar@LIBDEMO_2.0");
    assert!(
        p[1].2
            .contains("undefined symbol: bar, version LIBDEMO_2.0"),
        "{p:?}"
    );
    let (code, text) = r.check("/app/main", &[]);
    assert_eq!(code, 1);
    assert!(
        text.contains("load.version") && text.contains("load.symbol"),
        "{text}"
    );

    // The same library with no version information at all (no DT_VERSYM:
    // it references nothing versioned): glibc warns, then its check_match
    // asserts on the first reference that names this file's version.
    r.cc(
        "gcc",
        "lib/x86_64-linux-gnu/libdemo.so.1",
        "plain.c",
        both,
        &["-shared", "-fPIC", "-Wl,-soname,libdemo.so.1"],
    );
    let load = r.load("/app/main", &[]);
    let p = problems(&load);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p.iter()
            .all(|(k, _, m)| k == "symbol_undefined" && m.contains("check_match: Assertion")),
        "{p:?}"
    );
    assert_eq!(r.check("/app/main", &[]).0, 1);

    // Without version definitions but with a versym table (it calls into
    // libc, which is versioned): glibc warns, and binds.
    r.cc(
        "gcc",
        "lib/x86_64-linux-gnu/libdemo.so.1",
        "plain.c",
        "#include <stdlib.h>\nvoid foo(void){ abort(); }\nvoid bar(void){ abort(); }\n",
        &["-shared", "-fPIC", "-Wl,-soname,libdemo.so.1"],
    );
    let load = r.load("/app/main", &[]);
    assert!(kinds(&load).is_empty(), "{load}");
    assert_eq!(
        load["warnings"][0],
        "/app/main: /lib/x86_64-linux-gnu/libdemo.so.1: no version information available \
         (required by /app/main)"
    );
    assert_eq!(r.check("/app/main", &[]).0, 0);
}

/// A strong undefined symbol fails with and without `-z now`; the message
/// says which.
#[test]
fn undefined_symbols_fail_lazy_and_now() {
    let r = glibc_root();
    let lib = r.cc(
        "gcc",
        "src/libx.so",
        "x.c",
        "void x1(void){}\nvoid x2(void){}\n",
        &["-shared", "-fPIC", "-Wl,-soname,libx.so"],
    );
    let code = "void x1(void); void x2(void);\nint main(void){ x1(); x2(); return 0; }\n";
    r.cc(
        "gcc",
        "app/lazy",
        "m.c",
        code,
        &[lib.to_str().unwrap(), "-Wl,-z,lazy"],
    );
    r.cc(
        "gcc",
        "app/now",
        "m.c",
        code,
        &[lib.to_str().unwrap(), "-Wl,-z,now"],
    );
    r.cc(
        "gcc",
        "lib/x86_64-linux-gnu/libx.so",
        "x1.c",
        "void x1(void){}\n",
        &["-shared", "-fPIC", "-Wl,-soname,libx.so"],
    );
    for (prog, words) in [("/app/lazy", "lazy binding"), ("/app/now", "BIND_NOW")] {
        let load = r.load(prog, &[]);
        let p = problems(&load);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0, "symbol_undefined");
        assert_eq!(p[0].1, "x2");
        assert!(
            p[0].2.starts_with(&format!(
                "{prog}: symbol lookup error: {prog}: undefined symbol: x2"
            )),
            "{}",
            p[0].2
        );
        assert!(p[0].2.contains(words), "{}", p[0].2);
        assert_eq!(r.check(prog, &[]).0, 1);
    }
}

/// A library's reference may be defined by the program (`-rdynamic`) or by
/// a library it does not need itself: the global scope serves it. Without
/// that definition it is undefined in the library.
#[test]
fn library_references_bind_in_the_global_scope() {
    let r = glibc_root();
    let dir = r.at("opt/s");
    r.cc(
        "gcc",
        "opt/s/liba.so",
        "sa.c",
        "void from_main(void); void from_sibling(void);\nvoid a(void){ from_main(); from_sibling(); }\n",
        &["-shared", "-fPIC", "-Wl,-soname,liba.so"],
    );
    r.cc(
        "gcc",
        "opt/s/libb.so",
        "sb.c",
        "void from_sibling(void){}\n",
        &["-shared", "-fPIC", "-Wl,-soname,libb.so"],
    );
    r.cc(
        "gcc",
        "app/m",
        "sm.c",
        "void a(void); void from_main(void){}\nint main(void){ a(); return 0; }\n",
        &[
            &format!("-L{}", dir.display()),
            "-Wl,--no-as-needed",
            "-la",
            "-lb",
            "-Wl,-rpath,/opt/s",
            "-rdynamic",
        ],
    );
    let load = r.load("/app/m", &[]);
    assert!(kinds(&load).is_empty(), "{load}");
    r.cc(
        "gcc",
        "opt/s/libb.so",
        "sb2.c",
        "void b_other(void){}\n",
        &["-shared", "-fPIC", "-Wl,-soname,libb.so"],
    );
    let p = problems(&r.load("/app/m", &[]));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        (p[0].0.as_str(), p[0].1.as_str()),
        ("symbol_undefined", "from_sibling")
    );
    assert!(
        p[0].2.starts_with(
            "/app/m: symbol lookup error: /opt/s/liba.so: undefined symbol: from_sibling"
        ),
        "{p:?}"
    );
}

/// `$ORIGIN` is the resolved directory of the program, and the unresolved
/// directory a library was opened under.
#[test]
fn origin_follows_the_program_and_not_the_library() {
    let r = glibc_root();
    libfoo(&r, "opt/demo/lib/libfoo.so.1");
    main_needing_foo(
        &r,
        "opt/demo/bin/main",
        &["-Wl,-rpath,$ORIGIN/../lib", "-Wl,--enable-new-dtags"],
    );
    std::fs::create_dir_all(r.at("usr/bin")).unwrap();
    symlink("/opt/demo/bin/main", r.at("usr/bin/main")).unwrap();
    let load = r.load("/usr/bin/main", &[]);
    assert!(kinds(&load).is_empty(), "{load}");
    assert_eq!(
        found(&load, "libfoo.so.1"),
        Some(("/opt/demo/bin/../lib/libfoo.so.1".into(), "runpath".into()))
    );

    // libbar (real file in /opt/y) is reached through a link in /opt/x/lib
    // and finds libfoo.so.1 next to the link, by its own $ORIGIN.
    let bar = r.cc(
        "gcc",
        "opt/y/libbar.so",
        "bar.c",
        "void foo(void);\nvoid bar(void){ foo(); }\n",
        &[
            "-shared",
            "-fPIC",
            "-Wl,-soname,libbar.so",
            r.src.join("libfoo.so.1").to_str().unwrap(),
            "-Wl,-rpath,$ORIGIN",
            "-Wl,--enable-new-dtags",
        ],
    );
    std::fs::create_dir_all(r.at("opt/x/lib")).unwrap();
    symlink("/opt/y/libbar.so", r.at("opt/x/lib/libbar.so")).unwrap();
    libfoo(&r, "opt/x/lib/libfoo.so.1");
    r.cc(
        "gcc",
        "app/usebar",
        "ub.c",
        "void bar(void);\nint main(void){ bar(); return 0; }\n",
        &[
            bar.to_str().unwrap(),
            &format!("-Wl,-rpath-link,{}", r.src.display()),
            "-Wl,-rpath,/opt/x/lib",
            "-Wl,--disable-new-dtags",
        ],
    );
    let load = r.load("/app/usebar", &[]);
    assert!(kinds(&load).is_empty(), "{load}");
    assert_eq!(
        found(&load, "libbar.so"),
        Some(("/opt/x/lib/libbar.so".into(), "rpath".into()))
    );
    assert_eq!(
        found(&load, "libfoo.so.1"),
        Some(("/opt/x/lib/libfoo.so.1".into(), "runpath".into()))
    );
    std::fs::remove_file(r.at("opt/x/lib/libfoo.so.1")).unwrap();
    assert_eq!(kinds(&r.load("/app/usebar", &[])), ["library_missing"]);
}

/// `DT_RPATH` of the program serves its libraries too; `DT_RUNPATH` does
/// not. `LD_LIBRARY_PATH` comes after RPATH and before RUNPATH.
#[test]
fn rpath_is_inherited_runpath_is_not() {
    let r = glibc_root();
    // Linked by their plain names, as libtool would.
    let dir = r.at("opt/r");
    r.cc(
        "gcc",
        "opt/r/libb.so",
        "b.c",
        "void b(void){}\n",
        &["-shared", "-fPIC", "-Wl,-soname,libb.so"],
    );
    r.cc(
        "gcc",
        "opt/r/liba.so",
        "a.c",
        "void b(void);\nvoid a(void){ b(); }\n",
        &[
            "-shared",
            "-fPIC",
            "-Wl,-soname,liba.so",
            &format!("-L{}", dir.display()),
            "-lb",
        ],
    );
    let link = |out: &str, dtags: &str| {
        r.cc(
            "gcc",
            out,
            "ma.c",
            "void a(void);\nint main(void){ a(); return 0; }\n",
            &[
                &format!("-L{}", dir.display()),
                "-la",
                &format!("-Wl,-rpath-link,{}", dir.display()),
                "-Wl,-rpath,/opt/r",
                dtags,
            ],
        );
    };
    link("app/rp", "-Wl,--disable-new-dtags");
    link("app/rn", "-Wl,--enable-new-dtags");
    let rp = r.load("/app/rp", &[]);
    assert!(kinds(&rp).is_empty(), "{rp}");
    assert_eq!(
        found(&rp, "libb.so"),
        Some(("/opt/r/libb.so".into(), "rpath".into()))
    );
    let rn = r.load("/app/rn", &[]);
    assert_eq!(kinds(&rn), ["library_missing"]);

    std::fs::create_dir_all(r.at("opt/l")).unwrap();
    std::fs::copy(r.at("opt/r/libb.so"), r.at("opt/l/libb.so")).unwrap();
    let rp = r.load("/app/rp", &["--library-path", "/opt/l"]);
    assert_eq!(
        found(&rp, "libb.so"),
        Some(("/opt/r/libb.so".into(), "rpath".into()))
    );
    let rn = r.load("/app/rn", &["--library-path", "/opt/l"]);
    assert!(kinds(&rn).is_empty(), "{rn}");
    assert_eq!(
        found(&rn, "libb.so"),
        Some(("/opt/l/libb.so".into(), "ld_library_path".into()))
    );
    assert_eq!(r.check("/app/rn", &["--library-path", "/opt/l"]).0, 0);
    assert_eq!(r.check("/app/rn", &[]).0, 1);
}

/// The image's `/etc/ld.so.cache`, written by the real `ldconfig` in each
/// of its layouts: a library only the cache knows, a stale entry, none.
#[test]
fn the_images_ld_so_cache_in_every_layout() {
    if !have("ldconfig") && !Path::new("/sbin/ldconfig").exists() {
        return;
    }
    let r = glibc_root();
    libfoo(&r, "usr/local/lib/libfoo.so.1");
    main_needing_foo(&r, "app/main", &[]);
    std::fs::write(r.at("etc/ld.so.conf"), "/usr/local/lib\n").unwrap();
    // Not yet in a cache: not found.
    assert_eq!(kinds(&r.load("/app/main", &[])), ["library_missing"]);
    let root = r.root.to_str().unwrap();
    for format in ["new", "old", "compat"] {
        sh(Command::new("ldconfig").args(["-r", root, "-c", format]));
        let load = r.load("/app/main", &[]);
        assert!(kinds(&load).is_empty(), "{format}: {load}");
        assert_eq!(
            found(&load, "libfoo.so.1"),
            Some(("/usr/local/lib/libfoo.so.1".into(), "cache".into())),
            "{format}"
        );
    }
    // Stale: the cached file was replaced by something that is not ELF.
    std::fs::write(
        r.at("usr/local/lib/libfoo.so.1"),
        "this is not an ELF file, but it is long enough to hold a header.......",
    )
    .unwrap();
    let p = problems(&r.load("/app/main", &[]));
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0].2,
        "/app/main: error while loading shared libraries: /usr/local/lib/libfoo.so.1: invalid ELF header"
    );
    // Stale: gone.
    std::fs::remove_file(r.at("usr/local/lib/libfoo.so.1")).unwrap();
    assert_eq!(kinds(&r.load("/app/main", &[])), ["library_missing"]);
}

/// Candidates earlier in the search: another class and another machine are
/// passed over; a file that is not ELF stops the search.
#[test]
fn wrong_class_machine_and_non_elf_candidates() {
    let r = glibc_root();
    let fixtures = common::root().join("testdata/bin");
    for d in ["opt/p1", "opt/p2", "opt/p3"] {
        std::fs::create_dir_all(r.at(d)).unwrap();
    }
    // ELF32 (i386) and AArch64 files named like the library.
    std::fs::copy(fixtures.join("go127-linux-386"), r.at("opt/p1/libfoo.so.1")).unwrap();
    std::fs::copy(fixtures.join("libbti-arm64.so"), r.at("opt/p2/libfoo.so.1")).unwrap();
    libfoo(&r, "opt/p3/libfoo.so.1");
    main_needing_foo(
        &r,
        "app/main",
        &[
            "-Wl,-rpath,/opt/p1:/opt/p2:/opt/p3",
            "-Wl,--disable-new-dtags",
        ],
    );
    let load = r.load("/app/main", &[]);
    assert!(kinds(&load).is_empty(), "{load}");
    assert_eq!(
        found(&load, "libfoo.so.1"),
        Some(("/opt/p3/libfoo.so.1".into(), "rpath".into()))
    );
    std::fs::remove_file(r.at("opt/p3/libfoo.so.1")).unwrap();
    let p = problems(&r.load("/app/main", &[]));
    assert_eq!(
        p[0].2,
        "/app/main: error while loading shared libraries: libfoo.so.1: wrong ELF class: ELFCLASS32"
    );
    assert_eq!(p[0].0, "library_invalid");
    libfoo(&r, "opt/p3/libfoo.so.1");
    std::fs::write(
        r.at("opt/p2/libfoo.so.1"),
        "not ELF at all, but as long as an ELF header would be, and more......",
    )
    .unwrap();
    let p = problems(&r.load("/app/main", &[]));
    assert_eq!(
        p[0].2,
        "/app/main: error while loading shared libraries: /opt/p2/libfoo.so.1: invalid ELF header"
    );
    std::fs::write(r.at("opt/p2/libfoo.so.1"), b"\x7fELF\x02\x01").unwrap();
    let p = problems(&r.load("/app/main", &[]));
    assert!(
        p[0].2.ends_with("/opt/p2/libfoo.so.1: file too short"),
        "{p:?}"
    );
    std::fs::remove_file(r.at("opt/p2/libfoo.so.1")).unwrap();
    std::fs::create_dir(r.at("opt/p2/libfoo.so.1")).unwrap();
    let p = problems(&r.load("/app/main", &[]));
    assert!(
        p[0].2
            .ends_with("/opt/p2/libfoo.so.1: cannot read file data: Error 21"),
        "{p:?}"
    );
}

/// glibc-hwcaps and legacy subdirectories (glibc 2.36 tries both), and
/// `$LIB` and `$PLATFORM`, for a named CPU (a generic x86-64-v3).
#[test]
fn hwcaps_legacy_subdirectories_and_dsts() {
    let r = glibc_root();
    let l = "lib/x86_64-linux-gnu";
    libfoo(&r, &format!("{l}/glibc-hwcaps/x86-64-v4/libfoo.so.1"));
    libfoo(&r, &format!("{l}/x86_64/libfoo.so.1"));
    libfoo(&r, &format!("{l}/libfoo.so.1"));
    main_needing_foo(&r, "app/main", &[]);
    let v3 = ["--cpu", "x86-64-v3"];
    let at = |args: &[&str]| found(&r.load("/app/main", args), "libfoo.so.1").unwrap().0;
    let legacy = std::fs::read("/lib64/ld-linux-x86-64.so.2")
        .map(|b| memchr::memmem::find(&b, b"release version 2.3").is_some())
        .unwrap_or(false);
    if legacy {
        assert_eq!(at(&v3), format!("/{l}/x86_64/libfoo.so.1"));
    }
    assert_eq!(
        at(&["--cpu", "x86-64-v4"]),
        format!("/{l}/glibc-hwcaps/x86-64-v4/libfoo.so.1")
    );
    libfoo(&r, &format!("{l}/glibc-hwcaps/x86-64-v3/libfoo.so.1"));
    assert_eq!(at(&v3), format!("/{l}/glibc-hwcaps/x86-64-v3/libfoo.so.1"));
    assert_eq!(at(&["--cpu", "x86-64"]), format!("/{l}/x86_64/libfoo.so.1"));

    // $PLATFORM (x86_64 for a CPU of no particular vendor) and $LIB.
    libfoo(&r, "opt/x86_64/libfoo.so.1");
    main_needing_foo(&r, "app/plat", &["-Wl,-rpath,/opt/$PLATFORM"]);
    assert_eq!(
        found(&r.load("/app/plat", &v3), "libfoo.so.1"),
        Some(("/opt/x86_64/libfoo.so.1".into(), "runpath".into()))
    );
    libfoo(&r, "opt/lib/x86_64-linux-gnu/libfoo.so.1");
    main_needing_foo(&r, "app/lib", &["-Wl,-rpath,/opt/${LIB}"]);
    assert_eq!(
        found(&r.load("/app/lib", &v3), "libfoo.so.1"),
        Some((
            "/opt/lib/x86_64-linux-gnu/libfoo.so.1".into(),
            "runpath".into()
        ))
    );
}

/// What the kernel checks of `PT_INTERP`.
#[test]
fn interpreter_failures_are_named() {
    let r = glibc_root();
    r.cc(
        "gcc",
        "app/hello",
        "h.c",
        "int main(void){ return 0; }\n",
        &[],
    );
    let ld = r.at("lib64/ld-linux-x86-64.so.2");
    let good = std::fs::read(&ld).unwrap();
    let first = |load: &Value| problems(load).into_iter().next().unwrap();

    std::fs::set_permissions(&ld, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (kind, _, msg) = first(&r.load("/app/hello", &[]));
    assert_eq!(kind, "interpreter_not_executable");
    assert!(
        msg.starts_with("exec /app/hello: Permission denied"),
        "{msg}"
    );
    std::fs::set_permissions(&ld, std::fs::Permissions::from_mode(0o755)).unwrap();

    std::fs::write(&ld, &good[..40]).unwrap();
    let (kind, _, msg) = first(&r.load("/app/hello", &[]));
    assert_eq!(kind, "interpreter_invalid");
    assert!(
        msg.starts_with("exec /app/hello: Input/output error"),
        "{msg}"
    );

    std::fs::write(
        &ld,
        "#!/bin/sh\necho this interpreter is a script, not an ELF file, and longer than a header\n",
    )
    .unwrap();
    let (kind, _, msg) = first(&r.load("/app/hello", &[]));
    assert_eq!(kind, "interpreter_invalid");
    assert!(
        msg.starts_with("exec /app/hello: Accessing a corrupted shared library"),
        "{msg}"
    );

    std::fs::remove_file(&ld).unwrap();
    let load = r.load("/app/hello", &[]);
    let (kind, subject, msg) = first(&load);
    assert_eq!(kind, "interpreter_missing");
    assert_eq!(subject, "/lib64/ld-linux-x86-64.so.2");
    assert!(
        msg.starts_with("exec /app/hello: No such file or directory"),
        "{msg}"
    );
    assert!(load["interpreter"]["found"].is_null());
    let (code, text) = r.check("/app/hello", &[]);
    assert_eq!(code, 1);
    assert!(text.contains("load.interpreter"), "{text}");
}

/// musl: its path file, its own libc, `Exec format error` for a 32-bit
/// library found first, and every error reported.
#[test]
fn musl_roots() {
    if !have("musl-gcc") || !Path::new("/lib/ld-musl-x86_64.so.1").exists() {
        return;
    }
    let r = glibc_root();
    std::fs::create_dir_all(r.at("lib")).unwrap();
    std::fs::copy("/lib/ld-musl-x86_64.so.1", r.at("lib/ld-musl-x86_64.so.1")).unwrap();
    let lib = r.cc(
        "musl-gcc",
        "usr/lib/libfoo.so",
        "foo.c",
        LIB,
        &["-shared", "-fPIC", "-Wl,-soname,libfoo.so"],
    );
    r.cc(
        "musl-gcc",
        "app/main",
        "main.c",
        MAIN,
        &[lib.to_str().unwrap()],
    );
    let load = r.load("/app/main", &[]);
    assert_eq!(load["loader"], "musl");
    assert!(kinds(&load).is_empty(), "{load}");
    assert_eq!(
        found(&load, "libfoo.so"),
        Some(("/usr/lib/libfoo.so".into(), "default".into()))
    );
    assert_eq!(
        found(&load, "libc.so"),
        Some(("/lib/ld-musl-x86_64.so.1".into(), "loaded".into()))
    );
    // The path file replaces the default path.
    std::fs::write(r.at("etc/ld-musl-x86_64.path"), "/opt/m\n").unwrap();
    let load = r.load("/app/main", &[]);
    assert_eq!(
        problems(&load)[0].2,
        "Error loading shared library libfoo.so: No such file or directory (needed by /app/main)"
    );
    // musl goes on to relocate, and says so.
    assert_eq!(
        problems(&load)[1].2,
        "Error relocating /app/main: foo: symbol not found"
    );
    std::fs::create_dir_all(r.at("opt/m")).unwrap();
    std::fs::copy(
        common::root().join("testdata/bin/go127-linux-386"),
        r.at("opt/m/libfoo.so"),
    )
    .unwrap();
    std::fs::write(r.at("etc/ld-musl-x86_64.path"), "/opt/m:/usr/lib\n").unwrap();
    assert_eq!(
        problems(&r.load("/app/main", &[]))[0].2,
        "Error loading shared library libfoo.so: Exec format error (needed by /app/main)"
    );
    // A symlink loop ends musl's search, in musl's words whichever C
    // library elfgate is built with (glibc says "Too many levels of
    // symbolic links").
    std::fs::remove_file(r.at("opt/m/libfoo.so")).unwrap();
    std::os::unix::fs::symlink("libfoo.so", r.at("opt/m/libfoo.so")).unwrap();
    assert_eq!(
        problems(&r.load("/app/main", &[]))[0].2,
        "Error loading shared library libfoo.so: Symbolic link loop (needed by /app/main)"
    );
    std::fs::remove_file(r.at("opt/m/libfoo.so")).unwrap();
    assert!(kinds(&r.load("/app/main", &[])).is_empty());
    assert_eq!(r.check("/app/main", &[]).0, 0);

    // A glibc program in a root with only musl: no interpreter.
    std::fs::remove_file(r.at("lib64/ld-linux-x86-64.so.2")).unwrap();
    r.cc(
        "gcc",
        "app/glibc",
        "h.c",
        "int main(void){ return 0; }\n",
        &[],
    );
    let load = r.load("/app/glibc", &[]);
    assert_eq!(load["loader"], "glibc");
    assert_eq!(kinds(&load), ["interpreter_missing"]);
}

/// The node: GOAMD64, an object's ISA level, another machine; a static
/// program needs no loader.
#[test]
fn node_cpu_checks() {
    let r = glibc_root();
    let fixtures = common::root().join("testdata/bin");
    for f in ["go127-amd64v3", "go127-linux-arm64", "go127-static"] {
        std::fs::copy(fixtures.join(f), r.at(&format!("app/{f}"))).unwrap();
    }
    let v2 = ["--cpu", "x86-64-v2"];
    let load = r.load("/app/go127-amd64v3", &v2);
    assert_eq!(load["loader"], "static");
    assert_eq!(kinds(&load), ["goamd64_unsupported"]);
    assert!(
        problems(&load)[0].2.starts_with(
            "This program can only be run on AMD64 processors with v3 microarchitecture support."
        ),
        "{load}"
    );
    assert!(kinds(&r.load("/app/go127-amd64v3", &["--cpu", "x86-64-v3"])).is_empty());
    assert_eq!(
        kinds(&r.load("/app/go127-linux-arm64", &v2)),
        ["machine_mismatch"]
    );
    let load = r.load("/app/go127-static", &v2);
    assert_eq!(load["loader"], "static");
    assert!(load["interpreter"].is_null() && kinds(&load).is_empty());
    let (code, text) = r.check("/app/go127-static", &v2);
    assert_eq!(code, 0, "{text}");

    // A library that needs x86-64-v3 (GNU_PROPERTY_X86_ISA_1_NEEDED).
    std::fs::copy(
        fixtures.join("libisa3.so"),
        r.at("lib/x86_64-linux-gnu/libisa3.so"),
    )
    .unwrap();
    r.cc(
        "gcc",
        "app/useisa",
        "u.c",
        "int main(void){ return 0; }\n",
        &[
            "-Wl,--no-as-needed",
            fixtures.join("libisa3.so").to_str().unwrap(),
        ],
    );
    let load = r.load("/app/useisa", &v2);
    assert_eq!(kinds(&load), ["isa_unsupported"], "{load}");
    assert!(
        problems(&load)[0]
            .2
            .starts_with("/lib/x86_64-linux-gnu/libisa3.so: CPU ISA level is lower than required"),
        "{load}"
    );
    assert!(kinds(&r.load("/app/useisa", &["--cpu", "x86-64-v3"])).is_empty());
}

/// A policy turns the rules on, with the node's CPU and the container's
/// LD_LIBRARY_PATH; the machine-readable reports carry the rule ids.
#[test]
fn policy_keys_and_reports() {
    let r = glibc_root();
    libfoo(&r, "opt/l/libfoo.so.1");
    main_needing_foo(&r, "app/main", &[]);
    let policy = r.src.join("policy.yaml");
    let write = |text: &str| std::fs::write(&policy, text).unwrap();
    let root = r.root.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "--policy",
            policy.to_str().unwrap(),
            "--root",
            root,
        ];
        args.extend_from_slice(extra);
        args.push("/app/main");
        common::elfgate(&args)
    };
    write("version: 1\nrulesets:\n  - name: start\n    loadable: true\n    cpu: x86-64-v2\n");
    let o = run(&["--format", "sarif"]);
    assert_eq!(o.status.code(), Some(1));
    let sarif = common::stdout(&o);
    assert!(sarif.contains("\"ruleId\": \"load.library\""), "{sarif}");
    write(
        "version: 1\nrulesets:\n  - name: start\n    loadable: true\n    cpu: x86-64-v2\n    library_path: /opt/l\n",
    );
    let o = run(&["--format", "junit"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
    assert!(common::stdout(&o).contains("load.symbol"));
    // One run simulates one node: a flag that disagrees is refused.
    let o = run(&["--cpu", "x86-64-v4"]);
    assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    // The termination message names the failing rule.
    write("version: 1\nrulesets:\n  - name: start\n    loadable: true\n");
    let log = r.src.join("termination-log");
    let o = run(&["--termination-log", log.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("FAIL /app/main: load.library"), "{text}");
    assert!(text.contains("cannot open shared object file"), "{text}");
}
