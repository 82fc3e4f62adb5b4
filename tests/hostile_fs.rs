//! The binary under `--root` against a hostile file system: symlink loops,
//! symlinks that try to leave the root, FIFOs, sockets and device nodes,
//! unreadable files, very deep trees, and a file that shrinks while it is
//! read. Every run has a deadline (a FIFO must never block the gate), and
//! no run may panic or die by a signal.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

mod common;

use common::Outcome;

const TIMEOUT: Duration = Duration::from_secs(60);

/// Runs elfgate with a deadline; a run past it is killed and fails the test.
fn elfgate<S: AsRef<OsStr>>(args: &[S]) -> Outcome {
    elfgate_within(args, TIMEOUT)
}

fn elfgate_within<S: AsRef<OsStr>>(args: &[S], timeout: Duration) -> Outcome {
    let o = common::elfgate_within(args, timeout);
    assert_no_crash(&o);
    o
}

fn assert_no_crash(o: &Outcome) {
    use std::os::unix::process::ExitStatusExt;
    assert!(
        o.status.signal().is_none(),
        "killed by signal {:?}\n{}",
        o.status.signal(),
        o.stderr
    );
    assert_ne!(o.status.code(), Some(101), "panicked\n{}", o.stderr);
    assert!(!o.stderr.contains("panicked at"), "panicked\n{}", o.stderr);
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/bin")
        .join(name)
}

fn cstring(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("no NUL in test paths")
}

fn mkfifo(p: &Path) {
    let c = cstring(p);
    // SAFETY: `c` is a valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", p.display());
}

/// A character device (1, 3: /dev/null), if this process may create one.
fn mknod_null(p: &Path) -> bool {
    let c = cstring(p);
    // SAFETY: `c` is a valid NUL-terminated path.
    let rc = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o644, libc::makedev(1, 3)) };
    rc == 0
}

/// A root with an `/app` directory.
fn image() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().expect("tempdir");
    let root = d.path().join("root");
    std::fs::create_dir_all(root.join("app")).unwrap();
    (d, root)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 test path")
}

// ---------------------------------------------------------------------------
// Symlink loops.

#[test]
fn symlink_loops_are_errors_not_hangs() {
    let (_d, root) = image();
    let app = root.join("app");
    symlink("/app/b", app.join("a")).unwrap();
    symlink("b2", app.join("b")).unwrap();
    symlink("../app/a", app.join("b2")).unwrap();
    symlink("self", app.join("self")).unwrap();
    // A directory loop: walking must not follow it.
    symlink("/app", app.join("up")).unwrap();
    symlink(".", app.join("dot")).unwrap();

    for target in ["/app/a", "/app/self"] {
        let o = elfgate(&["inspect", "--root", s(&root), target]);
        assert_eq!(o.status.code(), Some(3), "{}", o.stderr);
        assert!(
            o.stderr.contains(&format!(
                "elfgate: {target}: too many levels of symbolic links"
            )),
            "{}",
            o.stderr
        );
        let c = elfgate(&[
            "check",
            "--min-version",
            "go1.21.0",
            "--root",
            s(&root),
            target,
        ]);
        assert_eq!(c.status.code(), Some(3), "{}", c.stdout);
    }

    // A loop through a directory component.
    let o = elfgate(&["inspect", "--root", s(&root), "/app/up/up/dot/up/a"]);
    assert_eq!(o.status.code(), Some(3), "{}", o.stderr);
    assert!(
        o.stderr.contains("too many levels of symbolic links"),
        "{}",
        o.stderr
    );

    // Walking the directory meets the loops: each is reported, none is
    // followed forever, directory symlinks are not entered.
    let o = elfgate(&["inspect", "-v", "--root", s(&root), "/app"]);
    assert_eq!(o.status.code(), Some(3), "{}", o.stderr);
    for name in ["/app/a", "/app/b", "/app/b2", "/app/self"] {
        assert!(
            o.stderr.contains(&format!(
                "elfgate: {name}: too many levels of symbolic links"
            )),
            "{name}\n{}",
            o.stderr
        );
    }
    assert!(
        o.stderr.contains("/app/up: skipped (directory)"),
        "{}",
        o.stderr
    );

    // Without --root the kernel resolves the loop: ELOOP, reported the same way.
    symlink("loop2", app.join("loop1")).unwrap();
    symlink("loop1", app.join("loop2")).unwrap();
    let o = elfgate(&["inspect", s(&app.join("loop1"))]);
    assert_eq!(o.status.code(), Some(3), "{}", o.stderr);
    assert!(
        o.stderr.contains("too many levels of symbolic links"),
        "{}",
        o.stderr
    );
}

// ---------------------------------------------------------------------------
// Symlinks that would leave the root.

/// A valid ELF outside the root, and links to it from inside: by absolute
/// path, by enough `..` to climb out, and through a directory link. Each
/// must resolve inside the root, where there is nothing (a dangling-link
/// error naming the in-root path) or a different file (whose facts are
/// reported). The outside file's facts never appear.
#[test]
fn symlinks_cannot_leave_the_root() {
    let (d, root) = image();
    let outside = d.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let victim = outside.join("victim");
    // go127-exe: its module path appears in the facts if it is ever read.
    std::fs::copy(fixture("go127-exe"), &victim).unwrap();
    let victim_abs = std::fs::canonicalize(&victim).unwrap();
    let marker = "example.com/hello";

    let app = root.join("app");
    symlink(&victim_abs, app.join("abs")).unwrap();
    symlink(
        "../../../../../../../../../../outside/victim",
        app.join("dotdot"),
    )
    .unwrap();
    let depth = root.components().count();
    let climb = "../".repeat(depth + 3);
    symlink(format!("{climb}{}", s(&victim_abs)), app.join("climb")).unwrap();
    symlink("/..", app.join("parent")).unwrap();

    for (target, in_root) in [
        ("/app/abs", s(&victim_abs).to_string()),
        ("/app/dotdot", "/outside/victim".to_string()),
        ("/app/climb", s(&victim_abs).to_string()),
        ("/app/parent/outside/victim", "/outside/victim".to_string()),
    ] {
        let o = elfgate(&["inspect", "--format", "json", "--root", s(&root), target]);
        assert_eq!(o.status.code(), Some(3), "{target}\n{}", o.stderr);
        assert!(
            o.stderr.contains(&format!(
                "elfgate: {target}: no such file or directory (resolved inside the root to {in_root}"
            )) || o.stderr.contains(&format!("elfgate: {target}: no such file or directory")),
            "{target}\n{}",
            o.stderr
        );
        assert!(
            !o.stdout.contains(marker),
            "{target} read the outside file\n{}",
            o.stdout
        );

        let c = elfgate(&[
            "check",
            "--min-version",
            "go1.21.0",
            "--root",
            s(&root),
            target,
        ]);
        assert_eq!(c.status.code(), Some(3), "{target}\n{}", c.stdout);
        assert!(!c.stdout.contains("go1.27.3"), "{target}\n{}", c.stdout);
    }

    // Where the in-root resolution exists, it is what is read: a C library
    // stands at the in-root path of the victim.
    let shadow = root.join(victim_abs.strip_prefix("/").unwrap());
    std::fs::create_dir_all(shadow.parent().unwrap()).unwrap();
    std::fs::copy(fixture("libversioned.so"), &shadow).unwrap();
    std::fs::create_dir_all(root.join("outside")).unwrap();
    std::fs::copy(fixture("libversioned.so"), root.join("outside/victim")).unwrap();
    for target in [
        "/app/abs",
        "/app/dotdot",
        "/app/climb",
        "/app/parent/outside/victim",
    ] {
        let o = elfgate(&["inspect", "--root", s(&root), target]);
        assert_eq!(o.status.code(), Some(0), "{target}\n{}", o.stderr);
        assert!(
            o.stdout.contains("soname\tlibversioned.so"),
            "{target}\n{}",
            o.stdout
        );
        assert!(!o.stdout.contains(marker), "{target}\n{}", o.stdout);
    }

    // Walking the whole root never reaches the victim either.
    std::fs::remove_file(&shadow).unwrap();
    let o = elfgate(&["inspect", "-v", "--root", s(&root), "/"]);
    assert!(!o.stdout.contains(marker), "{}", o.stdout);
    assert!(
        o.stderr.contains("/app/abs: skipped (dangling symlink)"),
        "{}",
        o.stderr
    );
}

// ---------------------------------------------------------------------------
// FIFOs, sockets and device nodes.

/// Special files are passed over while walking, refused when named, and
/// never opened: a FIFO with no writer would block an `open` for reading.
#[test]
fn special_files_are_skipped_without_opening() {
    let (_d, root) = image();
    let app = root.join("app");
    std::fs::copy(fixture("libversioned.so"), app.join("lib.so")).unwrap();
    mkfifo(&app.join("fifo"));
    symlink("fifo", app.join("fifo-link")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(app.join("socket")).unwrap();
    let have_dev = mknod_null(&app.join("null"));

    let short = Duration::from_secs(20);
    let o = elfgate_within(&["inspect", "-v", "--root", s(&root), "/app"], short);
    assert_eq!(o.status.code(), Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("/app/lib.so"), "{}", o.stdout);
    for (name, kind) in [
        ("/app/fifo", "FIFO"),
        ("/app/fifo-link", "FIFO"),
        ("/app/socket", "socket"),
    ] {
        assert!(
            o.stderr.contains(&format!("{name}: skipped ({kind})")),
            "{name}\n{}",
            o.stderr
        );
    }
    if have_dev {
        assert!(
            o.stderr.contains("/app/null: skipped (character device)"),
            "{}",
            o.stderr
        );
    }

    let mut named = vec![
        ("/app/fifo", "FIFO"),
        ("/app/fifo-link", "FIFO"),
        ("/app/socket", "socket"),
    ];
    if have_dev {
        named.push(("/app/null", "character device"));
    }
    for (name, kind) in named {
        let o = elfgate_within(&["inspect", "--root", s(&root), name], short);
        assert_eq!(o.status.code(), Some(3), "{name}\n{}", o.stderr);
        assert!(
            o.stderr
                .contains(&format!("elfgate: {name}: not a regular file ({kind})")),
            "{name}\n{}",
            o.stderr
        );
        let c = elfgate_within(
            &[
                "check",
                "--min-version",
                "go1.21.0",
                "--root",
                s(&root),
                name,
            ],
            short,
        );
        assert_eq!(c.status.code(), Some(3), "{name}\n{}", c.stdout);
    }

    // Without --root too.
    let o = elfgate_within(&["inspect", s(&app.join("fifo"))], short);
    assert_eq!(o.status.code(), Some(3), "{}", o.stderr);
    assert!(
        o.stderr.contains("not a regular file (FIFO)"),
        "{}",
        o.stderr
    );
    // The real /dev/null, named.
    let o = elfgate_within(&["inspect", "/dev/null"], short);
    assert_eq!(o.status.code(), Some(3), "{}", o.stderr);
    assert!(
        o.stderr.contains("not a regular file (character device)"),
        "{}",
        o.stderr
    );
}

// ---------------------------------------------------------------------------
// Unreadable files.

/// A file with mode 000. Root (and any process with CAP_DAC_OVERRIDE, as
/// in most containers) reads it anyway: then elfgate must read it like any
/// file. Otherwise the open fails, and that is a located error, exit 3.
#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let (_d, root) = image();
    let app = root.join("app");
    let f = app.join("server");
    std::fs::copy(fixture("go127-exe"), &f).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    let sub = app.join("locked");
    std::fs::create_dir(&sub).unwrap();
    std::fs::copy(fixture("libversioned.so"), sub.join("lib.so")).unwrap();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o000)).unwrap();

    let permissions_apply = std::fs::File::open(&f).is_err();
    let o = elfgate(&["inspect", "--root", s(&root), "/app/server"]);
    let w = elfgate(&["inspect", "--root", s(&root), "/app"]);
    if permissions_apply {
        assert_eq!(o.status.code(), Some(3), "{}", o.stderr);
        assert!(
            o.stderr
                .contains("elfgate: /app/server: open: Permission denied"),
            "{}",
            o.stderr
        );
        assert_eq!(w.status.code(), Some(3), "{}", w.stderr);
        assert!(
            w.stderr
                .contains("/app/locked: read directory: Permission denied"),
            "{}",
            w.stderr
        );
    } else {
        // Running with CAP_DAC_OVERRIDE (root): mode bits do not apply.
        assert_eq!(o.status.code(), Some(0), "{}", o.stderr);
        assert!(o.stdout.contains("go1.27.3"), "{}", o.stdout);
        assert_eq!(w.status.code(), Some(0), "{}", w.stderr);
        assert!(w.stdout.contains("/app/locked/lib.so"), "{}", w.stdout);
    }
    // Let the temp dir be removed by an unprivileged user too.
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
}

// ---------------------------------------------------------------------------
// Deep trees.

/// 2000 nested directories (within PATH_MAX) with a library at the bottom
/// and a symlink loop on the way: the walk is iterative, so no stack
/// overflow, and the library is found.
#[test]
fn very_deep_tree() {
    let (_d, root) = image();
    let mut deep = root.join("app");
    for _ in 0..2000 {
        deep.push("d");
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::copy(fixture("libversioned.so"), deep.join("lib.so")).unwrap();
    let mut mid = root.join("app");
    for _ in 0..1000 {
        mid.push("d");
    }
    symlink("loop", mid.join("loop")).unwrap();

    let o = elfgate(&["inspect", "--format", "json", "--root", s(&root), "/app"]);
    let shown = format!("/app{}/lib.so", "/d".repeat(2000));
    assert!(o.stdout.contains(&shown), "{}", &o.stderr);
    assert_eq!(
        o.status.code(),
        Some(3),
        "the loop is an error\n{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("too many levels of symbolic links"),
        "{}",
        o.stderr
    );

    let c = elfgate(&["check", "--max-glibc", "2.40", "--root", s(&root), &shown]);
    assert_eq!(c.status.code(), Some(0), "{}\n{}", c.stdout, c.stderr);
}

/// Deeper than PATH_MAX (4096 bytes): built with `mkdirat` relative to a
/// directory descriptor, since no path names the bottom. Walking it must
/// end with an error for what cannot be named, not a crash or a hang.
#[test]
fn tree_deeper_than_path_max() {
    let (_d, root) = image();
    let app = root.join("app");
    let name = CString::new("dddddddddddddddddddddddddddddddddddddddddddddddd").unwrap();
    let c = cstring(&app);
    // SAFETY: plain POSIX calls on valid NUL-terminated strings; every
    // descriptor opened here is closed before the next one replaces it.
    unsafe {
        let mut fd = libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
        assert!(fd >= 0);
        for _ in 0..200 {
            assert_eq!(libc::mkdirat(fd, name.as_ptr(), 0o755), 0);
            let next = libc::openat(fd, name.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
            assert!(next >= 0);
            libc::close(fd);
            fd = next;
        }
        libc::close(fd);
    }
    let o = elfgate(&["inspect", "--root", s(&root), "/app"]);
    assert_eq!(o.status.code(), Some(3), "{}", o.stderr);
    assert!(o.stderr.contains("File name too long"), "{}", o.stderr);
}

// ---------------------------------------------------------------------------
// A file that changes while it is read.

/// A copy of a fixture is cut short and restored in a loop while elfgate
/// reads it again and again (with and without a whole-file digest). Reads
/// go through positional reads, not a memory map, so a shrinking file can
/// only give read errors: every run ends with 0 or 3, never SIGBUS.
#[test]
fn file_shrinking_while_read() {
    use std::os::unix::fs::FileExt;
    let (_d, root) = image();
    let path = root.join("app/server");
    let original = std::fs::read(fixture("go125-boring-cgo")).unwrap();
    std::fs::write(&path, &original).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let mutator = {
        let stop = Arc::clone(&stop);
        let path = path.clone();
        let original = original.clone();
        std::thread::spawn(move || {
            let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            let cuts = [0, 16, 64, 4096, original.len() / 3, original.len() / 2];
            let mut i = 0usize;
            let mut rounds = 0u64;
            while !stop.load(Ordering::Relaxed) {
                f.set_len(cuts[i % cuts.len()] as u64).unwrap();
                std::thread::sleep(Duration::from_micros(300));
                f.write_all_at(&original, 0).unwrap();
                // Whole for a varying while, so that some runs see it whole.
                std::thread::sleep(Duration::from_millis((i % 7) as u64 * 4));
                i += 1;
                rounds += 1;
            }
            rounds
        })
    };

    let digest = {
        use sha2::Digest;
        let h = sha2::Sha256::digest(&original);
        h.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let mut codes = std::collections::BTreeMap::new();
    for i in 0..60 {
        let o = match i % 3 {
            0 => elfgate(&["inspect", "--root", s(&root), "/app/server"]),
            1 => elfgate(&["inspect", "--digest", "--root", s(&root), "/app/server"]),
            _ => elfgate(&[
                "check",
                "--sha256",
                &digest,
                "--min-version",
                "go1.21.0",
                "--root",
                s(&root),
                "/app/server",
            ]),
        };
        let code = o.status.code();
        assert!(
            matches!(code, Some(0) | Some(1) | Some(3)),
            "run {i}: status {code:?}\n{}",
            o.stderr
        );
        if i % 3 != 2 {
            assert_ne!(code, Some(1), "inspect has no rules to fail\n{}", o.stderr);
        }
        *codes.entry((i % 3, code)).or_insert(0u32) += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let rounds = mutator.join().unwrap();
    assert!(rounds > 0, "the file was never changed");
    eprintln!("(mode, exit status) while shrinking: {codes:?} over {rounds} truncations");
}
