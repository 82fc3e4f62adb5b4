//! The load simulation against hostile roots: symlink loops where
//! libraries are searched, links that climb out of the root, an
//! `ld.so.cache` whose counts and offsets lie, ten thousand directories in
//! `LD_LIBRARY_PATH`, a library directory of 100,000 files. Every run has
//! a deadline; nothing may escape the root, panic or hang.

use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

mod common;

const DEADLINE: Duration = Duration::from_secs(120);

struct Root {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Root {
    fn at(&self, p: &str) -> PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }

    fn load(&self, target: &str, extra: &[&str]) -> Value {
        let mut args: Vec<String> = ["inspect", "--load", "--format", "json", "--root"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.push(self.root.to_str().unwrap().to_string());
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(target.to_string());
        let o = common::elfgate_within(&args, DEADLINE);
        use std::os::unix::process::ExitStatusExt;
        assert!(o.status.signal().is_none(), "killed: {}", o.stderr);
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
        let v: Value =
            serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", o.stderr));
        v["files"][0]["load"].clone()
    }
}

/// A glibc root holding `/app/main`, which needs `libfoo.so.1` (not yet
/// anywhere), and a copy of that library in the scratch directory.
fn root() -> (Root, PathBuf) {
    // On tmpfs when there is one: 100,000 files are created quickly there.
    let dir = match std::fs::metadata("/dev/shm") {
        Ok(m) if m.is_dir() => tempfile::tempdir_in("/dev/shm").unwrap(),
        _ => tempfile::tempdir().unwrap(),
    };
    let root = dir.path().join("root");
    for d in ["lib64", "lib/x86_64-linux-gnu", "app", "etc", "usr/lib"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let ld = std::fs::canonicalize("/lib64/ld-linux-x86-64.so.2").unwrap();
    std::fs::copy(ld, root.join("lib64/ld-linux-x86-64.so.2")).unwrap();
    let libc = std::fs::canonicalize("/lib/x86_64-linux-gnu/libc.so.6").unwrap();
    std::fs::copy(libc, root.join("lib/x86_64-linux-gnu/libc.so.6")).unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("foo.c"), "void foo(void){}\n").unwrap();
    std::fs::write(
        src.join("main.c"),
        "void foo(void);\nint main(void){ foo(); return 0; }\n",
    )
    .unwrap();
    let lib = src.join("libfoo.so.1");
    let ok = |c: &mut Command| assert!(c.status().unwrap().success(), "{c:?}");
    ok(Command::new("gcc")
        .args(["-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", "-o"])
        .arg(&lib)
        .arg(src.join("foo.c")));
    ok(Command::new("gcc")
        .arg("-o")
        .arg(root.join("app/main"))
        .arg(src.join("main.c"))
        .arg(&lib));
    (Root { dir, root }, lib)
}

fn kinds(load: &Value) -> Vec<String> {
    load["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap().to_string())
        .collect()
}

fn path_of(load: &Value, needed: &str) -> Option<String> {
    load["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["needed"] == needed)
        .and_then(|o| o["path"].as_str().map(str::to_string))
}

/// A symlink loop where the library is searched ends glibc's list there
/// (`ELOOP`: `Error 40`, as the real loader prints); a directory loop on
/// the way is refused the same way.
#[test]
fn symlink_loops_in_library_directories() {
    let (r, lib) = root();
    let d = r.at("lib/x86_64-linux-gnu");
    symlink("loop2", d.join("libfoo.so.1")).unwrap();
    symlink("libfoo.so.1", d.join("loop2")).unwrap();
    // Found in a later default directory, but glibc never gets there.
    std::fs::copy(&lib, r.at("usr/lib/libfoo.so.1")).unwrap();
    let load = r.load("/app/main", &[]);
    assert_eq!(kinds(&load), ["library_missing"]);
    assert!(
        load["problems"][0]["message"]
            .as_str()
            .unwrap()
            .ends_with("libfoo.so.1: cannot open shared object file: Error 40"),
        "{load}"
    );
    // Directory loops in LD_LIBRARY_PATH.
    std::fs::remove_file(d.join("libfoo.so.1")).unwrap();
    symlink("/loopdir/x", r.at("loopdir")).unwrap();
    symlink(".", r.at("dot")).unwrap();
    let load = r.load(
        "/app/main",
        &["--library-path", "/loopdir:/dot/dot/dot/dot/usr/lib"],
    );
    assert!(kinds(&load).is_empty(), "{load}");
}

/// Links that climb out of the root, absolute or by `..`, lead inside it.
#[test]
fn library_links_cannot_leave_the_root() {
    let (r, lib) = root();
    let outside = r.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::copy(&lib, outside.join("libfoo.so.1")).unwrap();
    let d = r.at("lib/x86_64-linux-gnu");
    symlink(outside.join("libfoo.so.1"), d.join("libfoo.so.1")).unwrap();
    assert_eq!(kinds(&r.load("/app/main", &[])), ["library_missing"]);
    std::fs::remove_file(d.join("libfoo.so.1")).unwrap();
    symlink(
        "../../../../../../../outside/libfoo.so.1",
        d.join("libfoo.so.1"),
    )
    .unwrap();
    assert_eq!(kinds(&r.load("/app/main", &[])), ["library_missing"]);
    // A search directory named by an absolute host path is inside the root too.
    let load = r.load("/app/main", &["--library-path", outside.to_str().unwrap()]);
    assert_eq!(kinds(&load), ["library_missing"]);
    // And an interpreter link that climbs out is missing.
    std::fs::remove_file(r.at("lib64/ld-linux-x86-64.so.2")).unwrap();
    let host_ld = std::fs::canonicalize("/lib64/ld-linux-x86-64.so.2").unwrap();
    let climb = format!(
        "{}{}",
        "../".repeat(20),
        host_ld.to_str().unwrap().trim_start_matches('/')
    );
    symlink(&climb, r.at("lib64/ld-linux-x86-64.so.2")).unwrap();
    assert_eq!(kinds(&r.load("/app/main", &[])), ["interpreter_missing"]);
}

/// An `/etc/ld.so.cache` with lying counts and offsets: glibc ignores it or
/// finds nothing in it, and so does the simulation; never a crash.
#[test]
fn a_lying_ld_so_cache() {
    let (r, lib) = root();
    std::fs::create_dir_all(r.at("opt/c")).unwrap();
    std::fs::copy(&lib, r.at("opt/c/libfoo.so.1")).unwrap();
    let mut cache = b"glibc-ld.so.cache1.1".to_vec();
    cache.extend_from_slice(&1u32.to_le_bytes()); // nlibs
    cache.extend_from_slice(&64u32.to_le_bytes()); // len_strings
    cache.extend_from_slice(&[2, 0, 0, 0]); // little-endian
    cache.extend_from_slice(&0u32.to_le_bytes()); // no extension
    cache.extend_from_slice(&[0; 12]);
    let strings_at = 48 + 24u32;
    for v in [0x303u32, strings_at, strings_at + 12, 0] {
        cache.extend_from_slice(&v.to_le_bytes());
    }
    cache.extend_from_slice(&0u64.to_le_bytes());
    cache.extend_from_slice(b"libfoo.so.1\0/opt/c/libfoo.so.1\0");
    std::fs::write(r.at("etc/ld.so.cache"), &cache).unwrap();
    let load = r.load("/app/main", &[]);
    assert_eq!(
        path_of(&load, "libfoo.so.1").as_deref(),
        Some("/opt/c/libfoo.so.1")
    );

    // Each lie, and whether glibc still finds the library through the
    // cache (`elf/dl-cache.c`): counts the file cannot hold and the other
    // byte order make it ignore the cache; a bogus key ends the search;
    // a bogus value skips the entry; a second "entry" made of the string
    // table sorts after the real one; a bad extension only costs hwcaps.
    let lies: Vec<(usize, Vec<u8>, bool)> = vec![
        (20, u32::MAX.to_le_bytes().to_vec(), false),
        (20, 2u32.to_le_bytes().to_vec(), true),
        (52, u32::MAX.to_le_bytes().to_vec(), false),
        (56, 0x7fff_fff0u32.to_le_bytes().to_vec(), false),
        (32, 0x7fff_fffcu32.to_le_bytes().to_vec(), true),
        (28, vec![3], false),
    ];
    for (at, bytes, found) in lies {
        let mut c = cache.clone();
        c[at..at + bytes.len()].copy_from_slice(&bytes);
        std::fs::write(r.at("etc/ld.so.cache"), &c).unwrap();
        let load = r.load("/app/main", &[]);
        if found {
            assert!(kinds(&load).is_empty(), "lie at {at}: {load}");
        } else {
            assert_eq!(kinds(&load), ["library_missing"], "lie at {at}: {load}");
        }
    }
    // Truncated anywhere.
    for cut in [0, 10, 30, 47, 60, 80] {
        std::fs::write(r.at("etc/ld.so.cache"), &cache[..cut]).unwrap();
        assert_eq!(
            kinds(&r.load("/app/main", &[])),
            ["library_missing"],
            "cut at {cut}"
        );
    }
}

/// Ten thousand directories in `LD_LIBRARY_PATH` (none there) before the
/// one that holds the library; glibc searches each (in every hwcaps and
/// legacy subdirectory): bounded work, no hang.
#[test]
fn ten_thousand_library_path_entries() {
    let (r, lib) = root();
    std::fs::create_dir_all(r.at("opt/here")).unwrap();
    std::fs::copy(&lib, r.at("opt/here/libfoo.so.1")).unwrap();
    // Short names: one argument may hold at most 128 KiB.
    let mut list: Vec<String> = (0..10_000).map(|i| format!("/n/{i}")).collect();
    list.push("/opt/here".into());
    let joined = list.join(":");
    let load = r.load("/app/main", &["--library-path", &joined]);
    assert!(kinds(&load).is_empty(), "{load}");
    assert_eq!(
        path_of(&load, "libfoo.so.1").as_deref(),
        Some("/opt/here/libfoo.so.1")
    );
}

/// A library directory of 100,000 files: lookups open names, they never
/// list directories.
#[test]
fn a_directory_of_100k_files() {
    let (r, lib) = root();
    let d = r.at("lib/x86_64-linux-gnu");
    for i in 0..100_000 {
        std::fs::File::create(d.join(format!("f{i:06}"))).unwrap();
    }
    std::fs::copy(&lib, d.join("libfoo.so.1")).unwrap();
    let load = r.load("/app/main", &[]);
    assert!(kinds(&load).is_empty(), "{load}");
    assert_eq!(
        path_of(&load, "libfoo.so.1").as_deref(),
        Some("/lib/x86_64-linux-gnu/libfoo.so.1")
    );
}
