//! The real dynamic loader is the oracle of `inspect --load` and
//! `check --loadable`.
//!
//! Each case builds a small image root in a temporary directory from
//! programs and libraries compiled at test time (gcc, musl-gcc, gcc -m32,
//! aarch64-linux-gnu-gcc), with the host's glibc loader and C library or
//! musl's loader copied in, and runs the program for real: in a private
//! mount namespace with `/proc` mounted inside the root (glibc takes the
//! executable's `$ORIGIN` from `/proc/self/exe`; a pod always has it),
//! chrooted into the root. The program's `main` walks `dl_iterate_phdr` and
//! prints the name under which the loader mapped each object, so the loader
//! itself says which files it opened; its exit status and stderr say whether
//! and why it refused to start. A second run with `LD_DEBUG=libs` (glibc
//! only) says through which search path each library was found.
//!
//! Then elfgate is run on the same root and must agree: the same files in
//! `load.objects[].path` (the name the loader opened, not normalised), the
//! same `via` as `LD_DEBUG` reports, problems empty exactly when the real
//! run starts and finishes, a problem of the matching kind naming the same
//! library, version or symbol for every failure the loader printed, every
//! warning it printed among `load.warnings`, and `check --loadable`
//! exiting 0 or 1 accordingly with the matching rules.
//! No expected answer is written down here: what the loader did is the
//! answer. docs/load-oracle.md lists the cases and what each proves.
//!
//! The real run needs root (namespaces, chroot, mount). Not root: every case
//! prints SKIP and passes. Root but a missing toolchain or a kernel that
//! refuses the namespace: every case fails, so CI (which runs as root)
//! cannot pass without the oracle. `ELFGATE_ORACLE_ONLY=1` runs only the
//! real side and prints what the loader did (for docs and for debugging).

use std::collections::BTreeSet;
use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

mod common;

const TIMEOUT: Duration = Duration::from_secs(60);

// --- the programs and libraries, compiled once per test run -------------------

/// The test program: prints every object the loader mapped (but the
/// executable and the vDSO, which are no files the loader searched for),
/// flushes, then calls the functions it was linked against, so a lazily
/// bound missing symbol kills it after the list is out.
const PROG_C: &str = r#"#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <sys/auxv.h>

%DECLS%

static int report(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    unsigned long phdr = (unsigned long)info->dlpi_phdr;
    unsigned long vdso = getauxval(AT_SYSINFO_EHDR);
    if (phdr == getauxval(AT_PHDR))
        return 0;
    if (vdso != 0 && phdr == vdso + ((const ElfW(Ehdr) *)vdso)->e_phoff)
        return 0;
    printf("LOADED %s\n", info->dlpi_name);
    return 0;
}

int main(void)
{
    dl_iterate_phdr(report, NULL);
    fflush(stdout);
    %CALLS%
    puts("DONE");
    return 0;
}
"#;

/// One compiler run: `cc ARGS -o OUT OUT.c LINK...`.
struct Job {
    out: String,
    cc: &'static str,
    src: String,
    args: Vec<String>,
    link: Vec<String>,
    /// A version script written beside the source, passed with
    /// `-Wl,--version-script`.
    version_script: Option<&'static str>,
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// A shared library `out` with SONAME `soname` defining `int f(void)` for
/// each name in `defs` (callers replace `src` for other bodies).
fn lib(cc: &'static str, out: &str, soname: &str, defs: &[&str], extra: &[&str]) -> Job {
    let src: String = defs
        .iter()
        .map(|f| format!("int {f}(void) {{ return 1; }}\n"))
        .collect();
    Job {
        out: out.into(),
        cc,
        src,
        args: [
            s(&["-shared", "-fPIC"]),
            vec![format!("-Wl,-soname,{soname}")],
        ]
        .concat(),
        link: s(extra),
        version_script: None,
    }
}

/// A test program calling each function of `calls` after the object list.
fn prog(cc: &'static str, out: &str, calls: &[&str], link: &[&str]) -> Job {
    let decls: String = calls.iter().map(|f| format!("int {f}(void);\n")).collect();
    let body: String = calls.iter().map(|f| format!("{f}();\n    ")).collect();
    Job {
        out: out.into(),
        cc,
        src: PROG_C.replace("%DECLS%", &decls).replace("%CALLS%", &body),
        args: Vec::new(),
        link: s(link),
        version_script: None,
    }
}

const GCC: &str = "gcc";
const MUSL: &str = "musl-gcc";
const ARM64: &str = "aarch64-linux-gnu-gcc";

/// The build in three stages: libraries that need only libc, libraries
/// linked against those, then programs.
fn jobs() -> Vec<Vec<Job>> {
    let runpath = |p: &str| format!("-Wl,--enable-new-dtags,-rpath,{p}");
    let rpath = |p: &str| format!("-Wl,--disable-new-dtags,-rpath,{p}");
    let mut v_old = lib(GCC, "libv-old.so.1", "libv.so.1", &["v_fn"], &[]);
    v_old.version_script = Some("V_1.0 { global: v_fn; local: *; };\n");
    let mut v_new = lib(GCC, "libv-new.so.1", "libv.so.1", &["v_fn", "v2_fn"], &[]);
    v_new.version_script =
        Some("V_1.0 { global: v_fn; local: *; };\nV_2.0 { global: v2_fn; } V_1.0;\n");
    let mut u_ver = lib(GCC, "libu-ver.so.1", "libu.so.1", &["u_fn"], &[]);
    u_ver.version_script = Some("U_1.0 { global: u_fn; local: *; };\n");

    // A C library as old as glibc 2.32: the version nodes up to GLIBC_2.32
    // that Go's cgo runtime needs, no GLIBC_2.34. Only its versions matter:
    // the loader checks them before it binds a symbol.
    let mut libc_232 = lib(
        GCC,
        "libc-2.32-versions.so.6",
        "libc.so.6",
        &["v_2_2_5", "v_2_3_2", "v_2_32"],
        &[],
    );
    libc_232.args.push("-nostdlib".into());
    libc_232.version_script = Some(
        "GLIBC_2.2.5 { global: v_2_2_5; local: *; };\n\
         GLIBC_2.3.2 { global: v_2_3_2; } GLIBC_2.2.5;\n\
         GLIBC_2.32 { global: v_2_32; } GLIBC_2.3.2;\n",
    );

    let leaves = vec![
        libc_232,
        lib(GCC, "liba.so.1", "liba.so.1", &["a_fn"], &[]),
        lib(GCC, "libb.so.1", "libb.so.1", &["b_fn"], &[]),
        lib(GCC, "libdep.so.1", "libdep.so.1", &["dep_fn"], &[]),
        lib(GCC, "libx.so.1", "libx.so.1", &["x_fn"], &[]),
        v_old,
        v_new,
        u_ver,
        lib(GCC, "libu-plain.so.1", "libu.so.1", &["u_fn"], &[]),
        {
            // Unversioned too, but it calls into libc, so it has a version
            // table (DT_VERSYM) for those references, as most libraries do.
            let mut j = lib(GCC, "libu-plain-libc.so.1", "libu.so.1", &[], &[]);
            j.src = "#include <unistd.h>\nint u_fn(void) { return getpid() > 0; }\n".into();
            j
        },
        lib(GCC, "libs-full.so.1", "libs.so.1", &["s_fn", "s_gone"], &[]),
        lib(GCC, "libs-short.so.1", "libs.so.1", &["s_fn"], &[]),
        lib(GCC, "libabs.so", "/opt/abs/libabs.so", &["abs_fn"], &[]),
        lib(
            GCC,
            "liba-v4.so.1",
            "liba.so.1",
            &["a_fn"],
            &["-Wl,-z,x86-64-v4"],
        ),
        {
            // 32-bit without libc or crt files: gcc-multilib conflicts with
            // Debian's cross compilers, and the loader rejects the class
            // before it looks further.
            let mut j = lib(GCC, "liba-m32.so.1", "liba.so.1", &["a_fn"], &[]);
            j.args.extend(s(&["-m32", "-nostdlib"]));
            j
        },
        lib(ARM64, "liba-arm64.so.1", "liba.so.1", &["a_fn"], &[]),
        lib(MUSL, "m-liba.so", "liba.so", &["a_fn"], &[]),
        lib(MUSL, "m-libb.so", "libb.so", &["b_fn"], &[]),
        lib(MUSL, "m-libs-full.so", "libs.so", &["s_fn", "s_gone"], &[]),
        lib(MUSL, "m-libs-short.so", "libs.so", &["s_fn"], &[]),
    ];

    let calls_b = |cc, out: &str, soname: &str, needed: &str, extra: &[String]| {
        let mut j = lib(cc, out, soname, &[], &[]);
        j.src = "int b_fn(void);\nint a_fn(void) { return b_fn(); }\n".into();
        j.link = [s(&["-L.", &format!("-l:{needed}")]), extra.to_vec()].concat();
        j
    };
    let mut a_dep = lib(GCC, "liba-dep.so.1", "liba.so.1", &[], &[]);
    a_dep.src = "int dep_fn(void);\nint a_fn(void) { return dep_fn(); }\n".into();
    a_dep.link = vec![
        "-L.".into(),
        "-l:libdep.so.1".into(),
        runpath("$ORIGIN/../deps"),
    ];
    let mut y = lib(GCC, "liby.so.1", "liby.so.1", &[], &[]);
    y.src = "int x_fn(void);\nint y_fn(void) { return x_fn(); }\n".into();
    y.link = vec!["-L.".into(), "-l:libx.so.1".into(), runpath("/opt/b")];
    let linked = vec![
        calls_b(GCC, "liba-b.so.1", "liba.so.1", "libb.so.1", &[]),
        calls_b(
            GCC,
            "liba-b-runpath.so.1",
            "liba.so.1",
            "libb.so.1",
            &[runpath("/opt/9")],
        ),
        a_dep,
        y,
        calls_b(MUSL, "m-liba-b.so", "liba.so", "m-libb.so", &[]),
    ];

    let dirs = "/opt/1:/opt/2:/opt/3";
    let with = |mut j: Job, extra: &[String]| {
        j.link.extend_from_slice(extra);
        j
    };
    let ga = || prog(GCC, "", &["a_fn"], &["-L.", "-l:liba.so.1"]);
    let ma = || prog(MUSL, "", &["a_fn"], &["-L.", "-l:m-liba.so"]);
    let named = |mut j: Job, out: &str| {
        j.out = out.into();
        j
    };
    let progs = vec![
        prog(GCC, "prog-libc", &[], &[]),
        named(ga(), "prog-a"),
        named(with(ga(), &[runpath(dirs)]), "prog-a-runpath"),
        named(with(ga(), &[rpath(dirs)]), "prog-a-rpath"),
        named(with(ga(), &[runpath("$ORIGIN/../lib")]), "prog-a-origin"),
        named(with(ga(), &[runpath("/opt/$LIB")]), "prog-a-lib"),
        named(with(ga(), &[rpath("/opt/${PLATFORM}")]), "prog-a-platform"),
        named(
            with(ga(), &[runpath("/opt/1"), "-Wl,-z,nodefaultlib".into()]),
            "prog-a-nodeflib",
        ),
        prog(
            GCC,
            "prog-ab",
            &["a_fn", "b_fn"],
            &["-L.", "-l:liba.so.1", "-l:libb.so.1"],
        ),
        prog(GCC, "prog-v", &["v2_fn"], &["-L.", "-l:libv-new.so.1"]),
        prog(
            GCC,
            "prog-s-now",
            &["s_fn", "s_gone"],
            &["-L.", "-l:libs-full.so.1", "-Wl,-z,now"],
        ),
        prog(
            GCC,
            "prog-s-lazy",
            &["s_fn", "s_gone"],
            &["-L.", "-l:libs-full.so.1", "-Wl,-z,lazy"],
        ),
        prog(GCC, "prog-u", &["u_fn"], &["-L.", "-l:libu-ver.so.1"]),
        prog(GCC, "prog-abs", &["abs_fn"], &["libabs.so"]),
        prog(
            GCC,
            "prog-xy",
            &["x_fn", "y_fn"],
            &["-L.", "-l:libx.so.1", "-l:liby.so.1", &runpath("/opt/a")],
        ),
        prog(MUSL, "m-prog-libc", &[], &[]),
        named(ma(), "m-prog-a"),
        named(with(ma(), &[rpath(dirs)]), "m-prog-a-rpath"),
        named(with(ma(), &[runpath(dirs)]), "m-prog-a-runpath"),
        named(
            with(ma(), &[runpath("${ORIGIN}/../lib")]),
            "m-prog-a-origin",
        ),
        prog(
            MUSL,
            "m-prog-ab",
            &["a_fn", "b_fn"],
            &["-L.", "-l:m-liba.so", "-l:m-libb.so"],
        ),
        prog(
            MUSL,
            "m-prog-s",
            &["s_fn", "s_gone"],
            &["-L.", "-l:m-libs-full.so"],
        ),
    ];
    vec![leaves, linked, progs]
}

struct Build {
    dir: PathBuf,
}

impl Build {
    fn artifact(&self, name: &str) -> PathBuf {
        let p = self.dir.join(name);
        assert!(p.is_file(), "{} was not built", p.display());
        p
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn run_job(dir: &Path, j: &Job) -> Result<(), String> {
    let src = dir.join(format!("{}.c", j.out));
    fs::write(&src, &j.src).map_err(|e| format!("write {}: {e}", src.display()))?;
    let mut cmd = Command::new(j.cc);
    cmd.current_dir(dir).args(&j.args);
    if let Some(script) = j.version_script {
        let p = dir.join(format!("{}.map", j.out));
        fs::write(&p, script).map_err(|e| format!("write {}: {e}", p.display()))?;
        cmd.arg(format!("-Wl,--version-script,{}", p.display()));
    }
    cmd.arg("-o").arg(&j.out).arg(&src).args(&j.link);
    let out = cmd.output().map_err(|e| {
        let pkg = match j.cc {
            MUSL => "musl-tools",
            ARM64 => "gcc-aarch64-linux-gnu",
            _ => "gcc",
        };
        format!("cannot run {} (Debian package {pkg}): {e}", j.cc)
    })?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// Compiles every job once per test binary run, each stage in parallel,
/// into `CARGO_TARGET_TMPDIR/load-oracle`.
fn build_all() -> Result<Build, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("load-oracle");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    for stage in jobs() {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let errors = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|sc| {
            for _ in 0..threads {
                sc.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(j) = stage.get(i) else { break };
                        if let Err(e) = run_job(&dir, j) {
                            errors.lock().unwrap().push(e);
                        }
                    }
                });
            }
        });
        let errors = errors.into_inner().unwrap();
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
    }
    Ok(Build { dir })
}

/// Runs a static program in an otherwise empty root once: a kernel or
/// container that refuses the namespace, the mount or the chroot fails here.
fn probe() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    for d in ["proc", "app"] {
        fs::create_dir_all(dir.path().join(d)).map_err(|e| format!("mkdir: {e}"))?;
    }
    let prog = dir.path().join("app/prog");
    fs::copy(common::root().join("testdata/bin/go127-static"), &prog)
        .map_err(|e| format!("copy the static fixture: {e}"))?;
    let r = run_real(dir.path(), "/app/prog", None, false);
    if r.exec_errno.is_some() || r.code != Some(0) {
        return Err(format!(
            "the real loader cannot be run here (private mount namespace, /proc, chroot): {}",
            r.describe()
        ));
    }
    Ok(())
}

/// The build, or None (after printing SKIP) when not root.
fn oracle(case: &str) -> Option<&'static Build> {
    if !is_root() {
        eprintln!(
            "SKIP load_oracle::{case}: the real loader runs in a chroot with its own mount namespace, which needs root"
        );
        return None;
    }
    static BUILD: OnceLock<Result<Build, String>> = OnceLock::new();
    match BUILD.get_or_init(|| probe().and_then(|()| build_all())) {
        Ok(b) => Some(b),
        Err(e) => panic!("running as root, but the oracle cannot run: {e}"),
    }
}

// --- image roots --------------------------------------------------------------

/// The host's glibc loader and C library, the files a Debian 12 image has.
fn host_file(path: &str) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|e| panic!("host {path}: {e}"))
}

struct Root {
    dir: tempfile::TempDir,
    build: &'static Build,
}

impl Root {
    /// `/proc` (the mount point), `/app` and `/etc`, nothing else.
    fn empty(build: &'static Build) -> Root {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["proc", "app", "etc"] {
            fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Root { dir, build }
    }

    /// A Debian 12 root as images lay it out: the loader and libc in
    /// `/lib/x86_64-linux-gnu`, `/lib64/ld-linux-x86-64.so.2` an absolute
    /// symlink to the loader, no `ld.so.cache`.
    fn glibc(build: &'static Build) -> Root {
        let r = Root::empty(build);
        r.put_host(
            &host_file("/lib64/ld-linux-x86-64.so.2"),
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        );
        r.put_host(
            &host_file("/lib/x86_64-linux-gnu/libc.so.6"),
            "/lib/x86_64-linux-gnu/libc.so.6",
        );
        r.symlink(
            "/lib64/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        );
        r
    }

    /// A Debian 12 root with merged /usr: `/lib` is a relative symlink to
    /// `usr/lib`, so the first two default directories are one.
    fn glibc_merged_usr(build: &'static Build) -> Root {
        let r = Root::empty(build);
        r.put_host(
            &host_file("/lib64/ld-linux-x86-64.so.2"),
            "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        );
        r.put_host(
            &host_file("/lib/x86_64-linux-gnu/libc.so.6"),
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
        );
        r.symlink("/lib", "usr/lib");
        r.symlink(
            "/lib64/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        );
        r
    }

    /// An Alpine-like root: musl's loader (which is also its libc) at
    /// `/lib/ld-musl-x86_64.so.1`.
    fn musl(build: &'static Build) -> Root {
        let r = Root::empty(build);
        r.put_host(
            &host_file("/lib/ld-musl-x86_64.so.1"),
            "/lib/ld-musl-x86_64.so.1",
        );
        r
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn at(&self, dest: &str) -> PathBuf {
        let p = self.path().join(dest.trim_start_matches('/'));
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        p
    }

    fn put_host(&self, src: &Path, dest: &str) -> &Self {
        let to = self.at(dest);
        fs::copy(src, &to)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", src.display(), to.display()));
        fs::set_permissions(&to, fs::Permissions::from_mode(0o755)).unwrap();
        self
    }

    /// Installs a compiled artifact at `dest`.
    fn put(&self, artifact: &str, dest: &str) -> &Self {
        self.put_host(&self.build.artifact(artifact), dest)
    }

    fn put_fixture(&self, name: &str, dest: &str) -> &Self {
        self.put_host(&common::root().join("testdata/bin").join(name), dest)
    }

    fn write(&self, dest: &str, bytes: &[u8], mode: u32) -> &Self {
        let to = self.at(dest);
        fs::write(&to, bytes).unwrap();
        fs::set_permissions(&to, fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    fn chmod(&self, dest: &str, mode: u32) -> &Self {
        fs::set_permissions(self.at(dest), fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    fn remove(&self, dest: &str) -> &Self {
        fs::remove_file(self.at(dest)).unwrap();
        self
    }

    fn symlink(&self, dest: &str, target: &str) -> &Self {
        symlink(target, self.at(dest)).unwrap();
        self
    }

    /// `ldconfig -r ROOT ARGS`: the image's own cache, built the way an
    /// image build builds it (from the root's `/etc/ld.so.conf`).
    fn ldconfig(&self, args: &[&str]) -> &Self {
        // /usr/sbin may be missing from a non-login root shell's PATH.
        let ldconfig = ["/usr/sbin/ldconfig", "/sbin/ldconfig"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("ldconfig");
        let out = Command::new(ldconfig)
            .arg("-r")
            .arg(self.path())
            .args(args)
            .output()
            .expect("run ldconfig (Debian package libc-bin)");
        assert!(
            out.status.success(),
            "ldconfig {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self
    }
}

// --- the real run -------------------------------------------------------------

#[derive(Debug)]
struct Real {
    /// errno of the `execve` itself (the kernel refused: interpreter or
    /// machine), before any loader code ran.
    exec_errno: Option<i32>,
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
    /// The names printed by `dl_iterate_phdr`: the objects the loader mapped.
    loaded: Vec<String>,
    /// `main` reached its end.
    done: bool,
}

impl Real {
    /// Started and exited 0 (our programs return 0 only after `DONE`).
    fn ok(&self) -> bool {
        self.exec_errno.is_none() && self.code == Some(0)
    }

    /// Whether `main` ran and printed the object list.
    fn listed(&self) -> bool {
        self.stdout.lines().any(|l| l.starts_with("LOADED ")) || self.done
    }

    fn describe(&self) -> String {
        match self.exec_errno {
            Some(e) => format!(
                "execve failed: {} (errno {e})",
                std::io::Error::from_raw_os_error(e)
            ),
            None => format!(
                "exit {:?} signal {:?}; stdout {:?}; stderr {:?}",
                self.code, self.signal, self.stdout, self.stderr
            ),
        }
    }
}

/// Steps of the child before the exec, numbered in the errno it reports
/// when one fails (`HARNESS + step * 1000 + errno`), so that a failure of
/// the harness cannot pass for a refusal of the kernel.
const HARNESS: i32 = 100_000;
const STEPS: [&str; 5] = [
    "unshare(CLONE_NEWNS)",
    "make / private",
    "mount /proc",
    "chroot",
    "chdir /",
];

/// Runs `prog` (a path inside `root`) for real: fork; in the child, a new
/// mount namespace whose mounts do not propagate back, `/proc` mounted at
/// `ROOT/proc`, chroot to the root, chdir to `/`, then `execve` with only
/// `LD_LIBRARY_PATH` (and `LD_DEBUG=libs` for the search-path run) in the
/// environment. `execve` is called directly: `execvp`, which `Command`
/// uses, retries a file the kernel refused with ENOEXEC as a shell script,
/// and reports the missing `/bin/sh` instead.
fn run_real(root: &Path, prog: &str, ld_library_path: Option<&str>, debug: bool) -> Real {
    let root_c = CString::new(root.as_os_str().as_bytes()).unwrap();
    let proc_c = CString::new(root.join("proc").as_os_str().as_bytes()).unwrap();
    let prog_c = CString::new(prog).unwrap();
    let mut env_c = Vec::new();
    if let Some(l) = ld_library_path {
        env_c.push(CString::new(format!("LD_LIBRARY_PATH={l}")).unwrap());
    }
    if debug {
        env_c.push(CString::new("LD_DEBUG=libs").unwrap());
    }
    let argv: [*const libc::c_char; 2] = [prog_c.as_ptr(), std::ptr::null()];
    let envp: Vec<*const libc::c_char> = env_c
        .iter()
        .map(|c| c.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    // Raw pointers are not Send; the closure only runs in the child.
    let argv_addr = argv.as_ptr() as usize;
    let envp_addr = envp.as_ptr() as usize;
    // Another test thread may fork while it still has a file of this root
    // open for writing (copying it in); until that child execs, the kernel
    // refuses to execute the file with ETXTBSY. Wait for it.
    let mut busy = 0;
    let out = loop {
        match spawn_real(prog, &root_c, &proc_c, &prog_c, argv_addr, envp_addr) {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && busy < 100 => {
                busy += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            r => break r,
        }
    };
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(0);
            if errno >= HARNESS {
                let n = usize::try_from((errno - HARNESS) / 1000).unwrap_or(0);
                let sys = std::io::Error::from_raw_os_error((errno - HARNESS) % 1000);
                panic!(
                    "running {prog} in {}: {} failed: {sys}",
                    root.display(),
                    STEPS.get(n).unwrap_or(&"?")
                );
            }
            assert!(
                [
                    libc::ENOENT,
                    libc::ELIBBAD,
                    libc::EIO,
                    libc::EACCES,
                    libc::ENOEXEC
                ]
                .contains(&errno),
                "running {prog} in {}: execve: {e}",
                root.display()
            );
            return Real {
                exec_errno: Some(errno),
                code: None,
                signal: None,
                stdout: String::new(),
                stderr: String::new(),
                loaded: Vec::new(),
                done: false,
            };
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Real {
        exec_errno: None,
        code: out.status.code(),
        signal: out.status.signal(),
        loaded: stdout
            .lines()
            .filter_map(|l| l.strip_prefix("LOADED "))
            .map(String::from)
            .collect(),
        done: stdout.lines().any(|l| l == "DONE"),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// One fork and exec of the real run (see `run_real`).
fn spawn_real(
    prog: &str,
    root_c: &CString,
    proc_c: &CString,
    prog_c: &CString,
    argv_addr: usize,
    envp_addr: usize,
) -> std::io::Result<std::process::Output> {
    // Owned copies: the closure must be 'static; the pointer arrays point
    // into the caller's strings, which outlive this call.
    let (root_c, proc_c, prog_c) = (root_c.clone(), proc_c.clone(), prog_c.clone());
    let mut cmd = Command::new(prog);
    // SAFETY: the closure runs in the forked child and makes only system
    // calls on memory prepared before the fork (the CStrings and pointer
    // arrays above outlive `output()`).
    unsafe {
        cmd.pre_exec(move || {
            let step = |n: i32, rc: libc::c_int| {
                if rc == 0 {
                    Ok(())
                } else {
                    let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
                    Err(std::io::Error::from_raw_os_error(HARNESS + n * 1000 + e))
                }
            };
            step(0, libc::unshare(libc::CLONE_NEWNS))?;
            step(
                1,
                libc::mount(
                    c"none".as_ptr(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ),
            )?;
            step(
                2,
                libc::mount(
                    c"proc".as_ptr(),
                    proc_c.as_ptr(),
                    c"proc".as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                    std::ptr::null(),
                ),
            )?;
            step(3, libc::chroot(root_c.as_ptr()))?;
            step(4, libc::chdir(c"/".as_ptr()))?;
            libc::execve(
                prog_c.as_ptr(),
                argv_addr as *const *const libc::c_char,
                envp_addr as *const *const libc::c_char,
            );
            Err(std::io::Error::last_os_error())
        });
    }
    cmd.output()
}

/// How glibc found one library, from `LD_DEBUG=libs`: the name searched,
/// the last file tried (the one it took, when the search succeeded) and the
/// search list that file came from, as elfgate's `via` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    needed: String,
    file: String,
    via: &'static str,
}

/// Parses the `find library=` blocks of `LD_DEBUG=libs` output:
/// ```text
/// find library=liba.so.1 [0]; searching
///  search path=/opt/1/glibc-hwcaps/x86-64-v3:/opt/1    (RUNPATH from file /app/prog)
///   trying file=/opt/1/glibc-hwcaps/x86-64-v3/liba.so.1
///  search cache=/etc/ld.so.cache
///  search path=/lib/x86_64-linux-gnu:...    (system search path)
/// ```
fn parse_ld_debug(stderr: &str) -> (Vec<Found>, Vec<String>) {
    let mut found = Vec::new();
    let mut search_paths = Vec::new();
    let mut cur: Option<(String, Option<(String, &'static str)>)> = None;
    let mut via: &'static str = "";
    for line in stderr.lines() {
        // "   12345:\tmessage"
        let msg = line.split_once(":\t").map_or(line, |(_, m)| m);
        let t = msg.trim();
        if let Some(rest) = t.strip_prefix("find library=") {
            if let Some((n, Some((f, v)))) = cur.take() {
                found.push(Found {
                    needed: n,
                    file: f,
                    via: v,
                });
            }
            let name = rest.split(" [").next().unwrap_or(rest).to_string();
            cur = Some((name, None));
        } else if let Some(rest) = t.strip_prefix("search path=") {
            search_paths.push(t.to_string());
            via = if rest.ends_with("(system search path)") {
                "default"
            } else if rest.ends_with("(LD_LIBRARY_PATH)") {
                "ld_library_path"
            } else if rest.contains("(RPATH from file ") {
                "rpath"
            } else if rest.contains("(RUNPATH from file ") {
                "runpath"
            } else {
                panic!("unknown LD_DEBUG search list: {t}")
            };
        } else if t.starts_with("search cache=") {
            via = "cache";
        } else if let Some(f) = t.strip_prefix("trying file=") {
            if let Some((_, last)) = cur.as_mut() {
                *last = Some((f.to_string(), via));
            }
        } else if t.is_empty() {
            if let Some((n, Some((f, v)))) = cur.take() {
                found.push(Found {
                    needed: n,
                    file: f,
                    via: v,
                });
            }
            cur = None;
        }
    }
    if let Some((n, Some((f, v)))) = cur.take() {
        found.push(Found {
            needed: n,
            file: f,
            via: v,
        });
    }
    (found, search_paths)
}

/// A failure the loader (or the kernel, for execve) reported.
#[derive(Debug)]
struct Failure {
    /// The kinds elfgate may call it: one, except where the issue leaves the
    /// choice open (see docs/load-oracle.md).
    kinds: &'static [&'static str],
    /// The library, version or symbol the loader named (empty for the
    /// interpreter and the machine: the kernel names nothing).
    subject: String,
    /// Text of the loader's message that elfgate's message must contain
    /// ("each failure says what the real loader would print").
    phrase: String,
}

fn failure(kinds: &'static [&'static str], subject: &str, phrase: &str) -> Failure {
    Failure {
        kinds,
        subject: subject.into(),
        phrase: phrase.into(),
    }
}

/// What the real run says went wrong, and the warnings it printed. Every
/// line of a failed run must be understood: an unknown message fails the
/// test, so a new loader behaviour is looked at, not ignored.
fn loader_failures(r: &Real) -> (Vec<Failure>, Vec<String>) {
    let mut fails = Vec::new();
    let mut warnings = Vec::new();
    if let Some(e) = r.exec_errno {
        let f = match e {
            libc::ENOENT => failure(&["interpreter_missing"], "", ""),
            libc::ELIBBAD | libc::EIO => failure(&["interpreter_invalid"], "", ""),
            libc::EACCES => failure(&["interpreter_not_executable"], "", ""),
            libc::ENOEXEC => failure(&["machine_mismatch"], "", ""),
            _ => unreachable!("run_real accepts only these"),
        };
        return (vec![f], warnings);
    }
    for line in r.stderr.lines() {
        if let Some((_, rest)) = line.split_once("error while loading shared libraries: ") {
            // glibc: "<obj>: <message>[: strerror]"
            let (obj, msg) = rest.split_once(": ").unwrap_or((rest, ""));
            let f = if msg.starts_with("cannot open shared object file") {
                failure(
                    &["library_missing"],
                    obj,
                    &format!("{obj}: cannot open shared object file"),
                )
            } else if msg.starts_with("wrong ELF class") {
                failure(
                    &["library_missing", "library_invalid"],
                    obj,
                    msg.split(':').next().unwrap_or(msg),
                )
            } else if msg.starts_with("CPU ISA level is lower than required") {
                failure(
                    &["isa_unsupported"],
                    obj,
                    "CPU ISA level is lower than required",
                )
            } else if [
                "invalid ELF header",
                "file too short",
                "ELF file OS ABI invalid",
                "ELF file version",
                "only ET_DYN and ET_EXEC can be loaded",
                "ELF load command",
            ]
            .iter()
            .any(|p| msg.starts_with(p))
            {
                failure(
                    &["library_invalid"],
                    obj,
                    msg.split(':').next().unwrap_or(msg),
                )
            } else {
                panic!("unclassified glibc message: {line}")
            };
            fails.push(f);
        } else if line.contains("CPU ISA level is lower than required") {
            // "<obj>: CPU ISA level is lower than required"
            let obj = line.split(": ").next().unwrap_or("");
            fails.push(failure(
                &["isa_unsupported"],
                obj,
                "CPU ISA level is lower than required",
            ));
        } else if line.starts_with("Inconsistency detected by ld.so: dl-lookup.c: ")
            && line.contains("check_match: Assertion `version->filename == NULL")
        {
            // glibc's check_match: a versioned reference whose definer is
            // the very file the version was required from, and that file
            // has no version table at all (no DT_VERSYM). The loader names
            // neither the symbol nor the version.
            fails.push(failure(&["symbol_undefined", "version_missing"], "", ""));
        } else if let (Some(a), Some(b)) = (line.find("version `"), line.find("' not found")) {
            let v = line.get(a + "version `".len()..b).unwrap_or("");
            fails.push(failure(
                &["version_missing"],
                v,
                &format!("version `{v}' not found"),
            ));
        } else if let Some((_, rest)) = line.split_once("undefined symbol: ") {
            let sym = rest.split(", version").next().unwrap_or(rest);
            fails.push(failure(
                &["symbol_undefined"],
                sym,
                &format!("undefined symbol: {sym}"),
            ));
        } else if line.contains("no version information available") {
            warnings.push(line.to_string());
        } else if let Some(rest) = line.strip_prefix("Error loading shared library ") {
            // musl: "Error loading shared library <name>: <strerror> (needed by <obj>)"
            let (name, msg) = rest.split_once(": ").unwrap_or((rest, ""));
            let kinds: &'static [&'static str] = if msg.starts_with("No such file or directory") {
                &["library_missing"]
            } else if msg.starts_with("Exec format error") {
                &["library_invalid"]
            } else {
                panic!("unclassified musl message: {line}")
            };
            fails.push(failure(
                kinds,
                name,
                &format!("Error loading shared library {name}"),
            ));
        } else if let Some(rest) = line.strip_prefix("Error relocating ") {
            // musl: "Error relocating <obj>: <sym>: symbol not found" or
            // "Error relocating <obj>: unsupported relocation type <n>"
            let (obj, msg) = rest.split_once(": ").unwrap_or((rest, ""));
            if let Some(sym) = msg.strip_suffix(": symbol not found") {
                fails.push(failure(
                    &["symbol_undefined"],
                    sym,
                    &format!("{sym}: symbol not found"),
                ));
            } else if msg.starts_with("unsupported relocation type") {
                fails.push(failure(
                    &["library_invalid", "machine_mismatch"],
                    obj,
                    "unsupported relocation type",
                ));
            } else {
                panic!("unclassified musl message: {line}")
            }
        } else if r.ok() {
            // A started program's other output is not the loader's.
        } else {
            panic!("unclassified loader output of a failed run: {line}")
        }
    }
    // musl repeats a message for each relocation it cannot do.
    let mut seen = BTreeSet::new();
    fails.retain(|f| seen.insert((f.kinds, f.subject.clone(), f.phrase.clone())));
    if !r.ok() && fails.is_empty() {
        panic!(
            "the real run failed and printed no loader message: {}",
            r.describe()
        );
    }
    (fails, warnings)
}

// --- elfgate ------------------------------------------------------------------

/// The rule each problem kind belongs to (the issue's contract).
fn rule_of(kind: &str) -> &'static str {
    match kind {
        "interpreter_missing" | "interpreter_invalid" | "interpreter_not_executable" => {
            "load.interpreter"
        }
        "library_missing" | "library_invalid" => "load.library",
        "version_missing" => "load.version",
        "symbol_undefined" => "load.symbol",
        "isa_unsupported" | "goamd64_unsupported" | "machine_mismatch" => "node.cpu",
        other => panic!("unknown problem kind {other:?}"),
    }
}

fn library_path_args(l: Option<&str>) -> Vec<String> {
    l.map(|l| vec!["--library-path".to_string(), l.to_string()])
        .unwrap_or_default()
}

fn elfgate_inspect(root: &Path, prog: &str, llp: Option<&str>) -> Value {
    let mut args = s(&["inspect", "--load", "--format", "json", "--root"]);
    args.push(root.display().to_string());
    args.extend(library_path_args(llp));
    args.push(prog.into());
    let o = common::elfgate_within(&args, TIMEOUT);
    assert!(
        o.status.code().is_some() && o.status.code() != Some(101),
        "elfgate {args:?} crashed: {:?}\n{}",
        o.status,
        o.stderr
    );
    let doc: Value = serde_json::from_str(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "elfgate {args:?}: not JSON ({e}); exit {:?}\nstdout: {}\nstderr: {}",
            o.status, o.stdout, o.stderr
        )
    });
    let load = doc["files"][0]["load"].clone();
    assert!(
        load.is_object(),
        "elfgate {args:?}: no files[0].load in\n{}\nstderr: {}",
        o.stdout,
        o.stderr
    );
    load
}

fn elfgate_check(root: &Path, prog: &str, llp: Option<&str>) -> (Option<i32>, Value, String) {
    let mut args = s(&["check", "--loadable", "--format", "json", "--root"]);
    args.push(root.display().to_string());
    args.extend(library_path_args(llp));
    args.push(prog.into());
    let o = common::elfgate_within(&args, TIMEOUT);
    let doc: Value = serde_json::from_str(&o.stdout).unwrap_or(Value::Null);
    (o.status.code(), doc, o.stderr)
}

fn str_of(v: &Value) -> Option<&str> {
    v.as_str()
}

// --- the comparison -----------------------------------------------------------

/// Runs `prog` in `root` for real and through elfgate and asserts that they
/// agree. `ld_library_path` is the container's `LD_LIBRARY_PATH`: set for
/// the real run, `--library-path` for elfgate.
fn agree(case: &str, root: &Root, prog: &str, ld_library_path: Option<&str>) {
    let real = run_real(root.path(), prog, ld_library_path, false);
    // musl ignores LD_DEBUG: its runs find nothing here.
    let glibc_debug = if real.exec_errno.is_none() {
        let d = run_real(root.path(), prog, ld_library_path, true);
        Some(parse_ld_debug(&d.stderr))
    } else {
        None
    };
    let mut record = format!(
        "== {case}\nreal loader: {}\n  started: {}, finished: {}\n  loaded: {:?}\n",
        real.describe(),
        real.listed(),
        real.ok(),
        real.loaded
    );
    if let Some((found, paths)) = &glibc_debug {
        record += &format!("  LD_DEBUG found: {found:?}\n  LD_DEBUG search lists: {paths:?}\n");
    }
    eprint!("{record}");
    let (fails, warnings) = loader_failures(&real);
    let verdict = format!("  failures: {fails:?}\n  warnings: {warnings:?}\n");
    eprint!("{verdict}");
    record += &verdict;
    if std::env::var_os("ELFGATE_ORACLE_ONLY").is_some() {
        return;
    }

    let load = elfgate_inspect(root.path(), prog, ld_library_path);
    eprintln!(
        "elfgate load: {}",
        serde_json::to_string(&load).unwrap_or_default()
    );
    let empty = Vec::new();
    let objects = load["objects"].as_array().unwrap_or(&empty);
    let problems = load["problems"].as_array().unwrap_or(&empty);
    let mut disagreements = Vec::new();

    // The same files: every object the loader mapped, and no other.
    if real.listed() {
        let real_set: BTreeSet<&str> = real.loaded.iter().map(String::as_str).collect();
        let mut mine: BTreeSet<&str> = objects.iter().filter_map(|o| str_of(&o["path"])).collect();
        if !load["interpreter"]["found"].is_null()
            && let Some(p) = str_of(&load["interpreter"]["path"])
        {
            mine.insert(p);
        }
        if real_set != mine {
            disagreements.push(format!(
                "files: the loader mapped {real_set:?}, elfgate names {mine:?} (objects and the interpreter)"
            ));
        }
    }
    // How each library was found, where LD_DEBUG says and the file was
    // taken: one the program listed, or, for a program that does not list
    // (the Go fixtures), every file found in a run that started.
    if let Some((found, _)) = &glibc_debug {
        let taken = |f: &Found| {
            if real.listed() {
                real.loaded.contains(&f.file)
            } else {
                real.ok()
            }
        };
        for f in found.iter().filter(|f| taken(f)) {
            let hit = objects.iter().any(|o| {
                str_of(&o["needed"]) == Some(&f.needed)
                    && str_of(&o["path"]) == Some(&f.file)
                    && str_of(&o["via"]) == Some(f.via)
            });
            if !hit {
                disagreements.push(format!(
                    "via: LD_DEBUG found {} as {} through {}, elfgate has no object {{needed: {:?}, path: {:?}, via: {:?}}}",
                    f.needed, f.file, f.via, f.needed, f.file, f.via
                ));
            }
        }
    }

    // The same verdict.
    if real.ok() != problems.is_empty() {
        disagreements.push(format!(
            "verdict: the real run {}, elfgate has {} problem(s): {}",
            if real.ok() {
                "starts and finishes"
            } else {
                "fails"
            },
            problems.len(),
            serde_json::to_string(problems).unwrap_or_default()
        ));
    }
    for p in problems {
        let kind = str_of(&p["kind"]).unwrap_or("");
        let rule = str_of(&p["rule"]).unwrap_or("");
        if rule_of(kind) != rule {
            disagreements.push(format!(
                "problem {kind} has rule {rule:?}, not {:?}",
                rule_of(kind)
            ));
        }
    }
    // Each failure the loader printed, by kind, subject and message.
    for f in &fails {
        let text = |p: &Value, k: &str| str_of(&p[k]).unwrap_or("").to_string();
        let hit = problems.iter().any(|p| {
            let kind = text(p, "kind");
            let message = text(p, "message");
            f.kinds.contains(&kind.as_str())
                && (f.subject.is_empty()
                    || [text(p, "subject"), text(p, "object"), message.clone()]
                        .iter()
                        .any(|t| t.contains(&f.subject)))
                && message.to_lowercase().contains(&f.phrase.to_lowercase())
        });
        if !hit {
            disagreements.push(format!(
                "failure: the loader reported {:?} for {:?} ({:?}); elfgate has no problem of that kind naming it with that message",
                f.kinds, f.subject, f.phrase
            ));
        }
    }

    // Each warning the loader printed, word for word.
    let my_warnings: Vec<&str> = load["warnings"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter_map(str_of)
        .collect();
    for w in &warnings {
        if !my_warnings.iter().any(|m| m.contains(w.as_str())) {
            disagreements.push(format!(
                "warning: the loader printed {w:?}; elfgate's warnings are {my_warnings:?}"
            ));
        }
    }

    // check --loadable: the same verdict as an exit status and rules.
    let (code, verdict, stderr) = elfgate_check(root.path(), prog, ld_library_path);
    let want = if real.ok() { 0 } else { 1 };
    if code != Some(want) {
        disagreements.push(format!(
            "check --loadable exited {code:?}, the real run says {want}; stderr: {stderr}"
        ));
    }
    let failed_rules: BTreeSet<String> = verdict["files"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap_or(&empty).iter())
        .filter(|x| str_of(&x["status"]) == Some("fail"))
        .filter_map(|x| str_of(&x["rule_id"]).map(String::from))
        .collect();
    for f in &fails {
        let rules: BTreeSet<&str> = f.kinds.iter().map(|k| rule_of(k)).collect();
        if !rules.iter().any(|r| failed_rules.contains(*r)) {
            disagreements.push(format!(
                "check --loadable: no failing rule among {rules:?} for {:?}; failing: {failed_rules:?}",
                f.subject
            ));
        }
    }

    assert!(
        disagreements.is_empty(),
        "{case}: elfgate disagrees with the real loader:\n- {}\n{record}",
        disagreements.join("\n- ")
    );
}

// --- the cases ----------------------------------------------------------------

/// One case: `$b` is the build; the body returns the root, the program's
/// path in it and the container's `LD_LIBRARY_PATH`.
macro_rules! oracle_case {
    ($(#[doc = $doc:literal])* $name:ident, $b:ident => $body:expr) => {
        $(#[doc = $doc])*
        #[test]
        fn $name() {
            let Some($b) = oracle(stringify!($name)) else {
                return;
            };
            let (root, prog, llp): (Root, &str, Option<&str>) = $body;
            agree(stringify!($name), &root, prog, llp);
        }
    };
}

/// A root with `prog` installed as `/app/prog`.
fn glibc_with(b: &'static Build, prog: &str) -> Root {
    let r = Root::glibc(b);
    r.put(prog, "/app/prog");
    r
}

fn musl_with(b: &'static Build, prog: &str) -> Root {
    let r = Root::musl(b);
    r.put(prog, "/app/prog");
    r
}

const APP: &str = "/app/prog";
/// Text that is no ELF file, longer than an ELF header.
const NOT_ELF: &[u8] =
    b"This is not an ELF file, but it is longer than an ELF header is (64 bytes).\n";

// glibc: the interpreter and the default directories.

oracle_case!(
    /// Only libc, from the default directories.
    g_libc_only, b => (glibc_with(b, "prog-libc"), APP, None)
);
oracle_case!(
    /// A library in the second default directory.
    g_default_dirs, b => {
        let r = glibc_with(b, "prog-a");
        r.put("liba.so.1", "/usr/lib/x86_64-linux-gnu/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// merged /usr: `/lib` is a symlink to `usr/lib`; the loader names the
    /// library by the first default directory it tried.
    g_merged_usr, b => {
        let r = Root::glibc_merged_usr(b);
        r.put("prog-a", APP);
        r.put("liba.so.1", "/usr/lib/x86_64-linux-gnu/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// A needed library that is nowhere.
    g_missing_library, b => (glibc_with(b, "prog-a"), APP, None)
);
oracle_case!(
    /// Two missing libraries: glibc names only the first.
    g_missing_two_libraries, b => (glibc_with(b, "prog-ab"), APP, None)
);
oracle_case!(
    /// No interpreter: execve fails with ENOENT.
    g_interpreter_missing, b => {
        let r = Root::empty(b);
        r.put("prog-libc", APP);
        r.put_host(&host_file("/lib/x86_64-linux-gnu/libc.so.6"), "/lib/x86_64-linux-gnu/libc.so.6");
        (r, APP, None)
    }
);
oracle_case!(
    /// The interpreter is a text file: ELIBBAD.
    g_interpreter_not_elf, b => {
        let r = glibc_with(b, "prog-libc");
        r.write("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", NOT_ELF, 0o755);
        (r, APP, None)
    }
);
oracle_case!(
    /// The interpreter is aarch64's loader: ELIBBAD.
    g_interpreter_other_machine, b => {
        let r = glibc_with(b, "prog-libc");
        r.put_host(
            Path::new("/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1"),
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        );
        (r, APP, None)
    }
);
oracle_case!(
    /// The interpreter is shorter than an ELF header: EIO.
    g_interpreter_too_short, b => {
        let r = glibc_with(b, "prog-libc");
        r.write("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", b"\x7fELF\x02\x01\x01\0", 0o755);
        (r, APP, None)
    }
);
oracle_case!(
    /// The interpreter has no execute permission: EACCES, even for root.
    g_interpreter_not_executable, b => {
        let r = glibc_with(b, "prog-libc");
        r.chmod("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", 0o644);
        (r, APP, None)
    }
);

// glibc: versions and symbols.

oracle_case!(
    /// The program needs `V_2.0` (version script); the image has the
    /// library that defines only `V_1.0`.
    g_version_older, b => {
        let r = glibc_with(b, "prog-v");
        r.put("libv-old.so.1", "/usr/lib/x86_64-linux-gnu/libv.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// The same program with the library it was linked against.
    g_version_present, b => {
        let r = glibc_with(b, "prog-v");
        r.put("libv-new.so.1", "/usr/lib/x86_64-linux-gnu/libv.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// A symbol the image's library lacks, bound at start-up (`-z now`).
    g_symbol_missing_now, b => {
        let r = glibc_with(b, "prog-s-now");
        r.put("libs-short.so.1", "/usr/lib/x86_64-linux-gnu/libs.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// The same, bound lazily: the program starts and dies at the call.
    g_symbol_missing_lazy, b => {
        let r = glibc_with(b, "prog-s-lazy");
        r.put("libs-short.so.1", "/usr/lib/x86_64-linux-gnu/libs.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// The lazy program with the library that has the symbol.
    g_symbol_present, b => {
        let r = glibc_with(b, "prog-s-lazy");
        r.put("libs-full.so.1", "/usr/lib/x86_64-linux-gnu/libs.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// `u_fn@U_1.0` provided by a library without version definitions (it
    /// has a version table for its own libc references).
    g_unversioned_provider, b => {
        let r = glibc_with(b, "prog-u");
        r.put("libu-plain-libc.so.1", "/usr/lib/x86_64-linux-gnu/libu.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// The same provider with no version table at all (no libc references,
    /// no DT_VERSYM).
    g_unversioned_provider_no_versym, b => {
        let r = glibc_with(b, "prog-u");
        r.put("libu-plain.so.1", "/usr/lib/x86_64-linux-gnu/libu.so.1");
        (r, APP, None)
    }
);

// glibc: $ORIGIN, RPATH, RUNPATH, LD_LIBRARY_PATH.

oracle_case!(
    /// `RUNPATH=$ORIGIN/../lib` through an absolute symlink to the
    /// executable: `$ORIGIN` is the resolved directory. A decoy waits where
    /// the unresolved one would point (`/app/../lib` = `/lib`).
    g_origin_symlinked_exe, b => {
        let r = Root::glibc(b);
        r.put("prog-a-origin", "/opt/demo/bin/prog");
        r.symlink(APP, "/opt/demo/bin/prog");
        r.put("liba.so.1", "/opt/demo/lib/liba.so.1");
        r.put("liba.so.1", "/lib/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// The same through a relative symlink.
    g_origin_relative_symlinked_exe, b => {
        let r = Root::glibc(b);
        r.put("prog-a-origin", "/opt/demo/bin/prog");
        r.symlink(APP, "../opt/demo/bin/prog");
        r.put("liba.so.1", "/opt/demo/lib/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// A library found through a symlink in a default directory, whose
    /// `RUNPATH=$ORIGIN/../deps` is taken from the unresolved path; a decoy
    /// waits where the resolved one would point.
    g_origin_symlinked_library, b => {
        let r = glibc_with(b, "prog-a");
        r.put("liba-dep.so.1", "/opt/pkg/lib/liba.so.1");
        r.symlink("/usr/lib/x86_64-linux-gnu/liba.so.1", "/opt/pkg/lib/liba.so.1");
        r.put("libdep.so.1", "/usr/lib/deps/libdep.so.1");
        r.put("libdep.so.1", "/opt/pkg/deps/libdep.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// The executable's RPATH serves its library's own needs (inherited).
    g_rpath_inherited, b => {
        let r = glibc_with(b, "prog-a-rpath");
        r.put("liba-b.so.1", "/opt/1/liba.so.1");
        r.put("libb.so.1", "/opt/1/libb.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// The executable's RUNPATH does not serve its library's needs.
    g_runpath_not_inherited, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.put("liba-b.so.1", "/opt/1/liba.so.1");
        r.put("libb.so.1", "/opt/1/libb.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// A library with its own RUNPATH does not use the RPATH it would
    /// inherit.
    g_runpath_blocks_inherited_rpath, b => {
        let r = glibc_with(b, "prog-a-rpath");
        r.put("liba-b-runpath.so.1", "/opt/1/liba.so.1");
        r.put("libb.so.1", "/opt/1/libb.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// RPATH comes before LD_LIBRARY_PATH.
    g_ld_library_path_vs_rpath, b => {
        let r = glibc_with(b, "prog-a-rpath");
        r.put("liba.so.1", "/opt/1/liba.so.1");
        r.put("liba.so.1", "/opt/l/liba.so.1");
        (r, APP, Some("/opt/l"))
    }
);
oracle_case!(
    /// LD_LIBRARY_PATH comes before RUNPATH.
    g_ld_library_path_vs_runpath, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.put("liba.so.1", "/opt/1/liba.so.1");
        r.put("liba.so.1", "/opt/l/liba.so.1");
        (r, APP, Some("/opt/l"))
    }
);
oracle_case!(
    /// LD_LIBRARY_PATH with several entries, a missing one first.
    g_ld_library_path_list, b => {
        let r = glibc_with(b, "prog-a");
        r.put("liba.so.1", "/opt/l2/liba.so.1");
        (r, APP, Some("/opt/none:/opt/l2"))
    }
);
oracle_case!(
    /// Breadth-first with SONAME reuse: `liby` needs `libx.so.1`, which the
    /// executable already loaded from `/opt/a`; `liby`'s own RUNPATH
    /// (`/opt/b`, holding another `libx.so.1`) is never searched.
    g_soname_reuse, b => {
        let r = glibc_with(b, "prog-xy");
        r.put("libx.so.1", "/opt/a/libx.so.1");
        r.put("liby.so.1", "/opt/a/liby.so.1");
        r.put("libx.so.1", "/opt/b/libx.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// A DT_NEEDED with a slash is opened as given, without a search.
    g_needed_with_slash, b => {
        let r = glibc_with(b, "prog-abs");
        r.put("libabs.so", "/opt/abs/libabs.so");
        (r, APP, None)
    }
);

// glibc: ld.so.cache.

/// A root whose `/etc/ld.so.conf` lists `/opt/c`, a directory no search
/// list names.
fn cache_root(b: &'static Build) -> Root {
    let r = glibc_with(b, "prog-a");
    r.write("/etc/ld.so.conf", b"/opt/c\n", 0o644);
    fs::create_dir_all(r.at("/opt/c/x")).unwrap();
    r
}

oracle_case!(
    /// A library found only through the cache (new format, ldconfig's
    /// default).
    g_cache, b => {
        let r = cache_root(b);
        r.put("liba.so.1", "/opt/c/liba.so.1");
        r.ldconfig(&[]);
        (r, APP, None)
    }
);
oracle_case!(
    /// The same with an old-format cache (`ldconfig -c old`).
    g_cache_old_format, b => {
        let r = cache_root(b);
        r.put("liba.so.1", "/opt/c/liba.so.1");
        r.ldconfig(&["-c", "old"]);
        (r, APP, None)
    }
);
oracle_case!(
    /// The same with a compat cache (old table, then the new one).
    g_cache_compat_format, b => {
        let r = cache_root(b);
        r.put("liba.so.1", "/opt/c/liba.so.1");
        r.ldconfig(&["-c", "compat"]);
        (r, APP, None)
    }
);
oracle_case!(
    /// `ld.so.conf` names the directory but there is no cache: the loader
    /// never reads `ld.so.conf`.
    g_cache_missing, b => {
        let r = cache_root(b);
        r.put("liba.so.1", "/opt/c/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// A stale cache: the library was added after `ldconfig` ran.
    g_cache_stale_added, b => {
        let r = cache_root(b);
        r.ldconfig(&[]);
        r.put("liba.so.1", "/opt/c/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// A stale cache: its entry's file was removed since; the library is
    /// still in a default directory.
    g_cache_stale_removed, b => {
        let r = cache_root(b);
        r.put("liba.so.1", "/opt/c/liba.so.1");
        r.ldconfig(&[]);
        r.remove("/opt/c/liba.so.1");
        r.put("liba.so.1", "/usr/lib/x86_64-linux-gnu/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// Cache entries for glibc-hwcaps subdirectories (x86-64-v2..v4) beside
    /// the plain one: the CPU decides which the loader takes.
    g_cache_hwcaps, b => {
        let r = cache_root(b);
        for l in ["v2", "v3", "v4"] {
            r.put("liba.so.1", &format!("/opt/c/glibc-hwcaps/x86-64-{l}/liba.so.1"));
        }
        r.put("liba.so.1", "/opt/c/liba.so.1");
        r.ldconfig(&[]);
        (r, APP, None)
    }
);

// glibc: candidates the search skips or stops at.

oracle_case!(
    /// A 32-bit library earlier in RUNPATH is skipped.
    g_wrong_class_earlier, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.put("liba-m32.so.1", "/opt/1/liba.so.1");
        r.put("liba.so.1", "/opt/2/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// Only a 32-bit library: `wrong ELF class: ELFCLASS32`.
    g_wrong_class_only, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.put("liba-m32.so.1", "/opt/1/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// An aarch64 library earlier in RUNPATH is skipped.
    g_wrong_machine_earlier, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.put("liba-arm64.so.1", "/opt/1/liba.so.1");
        r.put("liba.so.1", "/opt/2/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// Only an aarch64 library: not found.
    g_wrong_machine_only, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.put("liba-arm64.so.1", "/opt/1/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// A text file earlier in RUNPATH stops the search, though a good copy
    /// comes later.
    g_not_elf_earlier, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.write("/opt/1/liba.so.1", NOT_ELF, 0o644);
        r.put("liba.so.1", "/opt/2/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// A file shorter than an ELF header earlier in RUNPATH.
    g_too_short_earlier, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.write("/opt/1/liba.so.1", b"\x7fELF\x02\x01", 0o644);
        r.put("liba.so.1", "/opt/2/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// A library that needs x86-64-v4 (`-z x86-64-v4`): the CPU decides.
    g_isa_v4_library, b => {
        let r = glibc_with(b, "prog-a");
        r.put("liba-v4.so.1", "/usr/lib/x86_64-linux-gnu/liba.so.1");
        (r, APP, None)
    }
);

/// `artifact`'s bytes with the Bloom filter of its `.gnu.hash` zeroed: the
/// table still reads well, and says that no name is defined.
fn zero_gnu_bloom(b: &'static Build, artifact: &str) -> Vec<u8> {
    let mut bytes = fs::read(b.artifact(artifact)).expect("artifact");
    let elf = goblin::elf::Elf::parse(&bytes).expect("ELF");
    let sh = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".gnu.hash"))
        .expect(".gnu.hash");
    let at = usize::try_from(sh.sh_offset).unwrap();
    let word = if elf.is_64 { 8 } else { 4 };
    let bloom_size = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
    bytes[at + 16..at + 16 + bloom_size * word].fill(0);
    bytes
}

oracle_case!(
    /// A library whose GNU hash table's Bloom filter is zeroed: the loader
    /// looks symbols up through that table, so it does not find `a_fn`,
    /// which the library's symbol table defines.
    g_gnu_hash_bloom_lies, b => {
        let r = glibc_with(b, "prog-a");
        r.write(
            "/usr/lib/x86_64-linux-gnu/liba.so.1",
            &zero_gnu_bloom(b, "liba.so.1"),
            0o644,
        );
        (r, APP, None)
    }
);

// glibc: hwcaps and legacy subdirectories, $LIB, $PLATFORM.

oracle_case!(
    /// `glibc-hwcaps/x86-64-v{2,3,4}/` and the plain file in a RUNPATH
    /// directory: the highest level this CPU supports wins.
    g_hwcaps_runpath, b => {
        let r = glibc_with(b, "prog-a-runpath");
        for l in ["v2", "v3", "v4"] {
            r.put("liba.so.1", &format!("/opt/1/glibc-hwcaps/x86-64-{l}/liba.so.1"));
        }
        r.put("liba.so.1", "/opt/1/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// Only `x86-64-v4` beside the plain file.
    g_hwcaps_v4_only, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.put("liba.so.1", "/opt/1/glibc-hwcaps/x86-64-v4/liba.so.1");
        r.put("liba.so.1", "/opt/1/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// hwcaps subdirectories of the default directories, directory by
    /// directory: a plain file in the first beats a hwcaps file in the second.
    g_hwcaps_default_dirs, b => {
        let r = glibc_with(b, "prog-a");
        r.put("liba.so.1", "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v2/liba.so.1");
        r.put("liba.so.1", "/lib/x86_64-linux-gnu/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// hwcaps under an LD_LIBRARY_PATH directory.
    g_hwcaps_ld_library_path, b => {
        let r = glibc_with(b, "prog-a");
        r.put("liba.so.1", "/opt/l/glibc-hwcaps/x86-64-v2/liba.so.1");
        r.put("liba.so.1", "/opt/l/liba.so.1");
        (r, APP, Some("/opt/l"))
    }
);
oracle_case!(
    /// Legacy subdirectories (glibc <= 2.36): `tls/`, `x86_64/`,
    /// `haswell/`, `avx512_1/` and their combinations beside the plain file.
    g_legacy_subdirs, b => {
        let r = glibc_with(b, "prog-a-runpath");
        for d in [
            "tls", "x86_64", "haswell", "avx512_1", "tls/x86_64", "tls/haswell",
            "x86_64/x86_64", "haswell/x86_64", "tls/x86_64/x86_64", "tls/haswell/x86_64",
        ] {
            r.put("liba.so.1", &format!("/opt/1/{d}/liba.so.1"));
        }
        r.put("liba.so.1", "/opt/1/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// `tls/` alone beside the plain file.
    g_legacy_tls, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.put("liba.so.1", "/opt/1/tls/liba.so.1");
        r.put("liba.so.1", "/opt/1/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// `haswell/` alone beside the plain file (searched on Intel CPUs with
    /// AVX2, where glibc calls the platform `haswell`).
    g_legacy_haswell, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.put("liba.so.1", "/opt/1/haswell/liba.so.1");
        r.put("liba.so.1", "/opt/1/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// `x86_64/` alone beside the plain file.
    g_legacy_x86_64, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.put("liba.so.1", "/opt/1/x86_64/liba.so.1");
        r.put("liba.so.1", "/opt/1/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// glibc-hwcaps and legacy subdirectories together.
    g_hwcaps_and_legacy, b => {
        let r = glibc_with(b, "prog-a-runpath");
        r.put("liba.so.1", "/opt/1/glibc-hwcaps/x86-64-v2/liba.so.1");
        r.put("liba.so.1", "/opt/1/tls/liba.so.1");
        r.put("liba.so.1", "/opt/1/x86_64/liba.so.1");
        r.put("liba.so.1", "/opt/1/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// `RUNPATH=/opt/$LIB`: candidates for each plausible value.
    g_dst_lib, b => {
        let r = glibc_with(b, "prog-a-lib");
        for d in ["/opt/lib/x86_64-linux-gnu", "/opt/lib64", "/opt/lib"] {
            r.put("liba.so.1", &format!("{d}/liba.so.1"));
        }
        (r, APP, None)
    }
);
oracle_case!(
    /// `RPATH=/opt/${PLATFORM}`: candidates for each plausible value.
    g_dst_platform, b => {
        let r = glibc_with(b, "prog-a-platform");
        for d in ["/opt/haswell", "/opt/x86_64", "/opt/xeon_phi"] {
            r.put("liba.so.1", &format!("{d}/liba.so.1"));
        }
        (r, APP, None)
    }
);

oracle_case!(
    /// `-z nodefaultlib` (DF_1_NODEFLIB): the default directories are not
    /// searched for the program's libraries.
    g_nodeflib_default_dirs, b => {
        let r = glibc_with(b, "prog-a-nodeflib");
        r.put("liba.so.1", "/usr/lib/x86_64-linux-gnu/liba.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// The same program with its libraries, libc too, in its RUNPATH.
    g_nodeflib_runpath, b => {
        let r = glibc_with(b, "prog-a-nodeflib");
        r.put("liba.so.1", "/opt/1/liba.so.1");
        r.put_host(&host_file("/lib/x86_64-linux-gnu/libc.so.6"), "/opt/1/libc.so.6");
        (r, APP, None)
    }
);
oracle_case!(
    /// `-z nodefaultlib` and a cache: a cache hit inside a default directory
    /// is dropped, one outside is kept.
    g_nodeflib_cache, b => {
        let r = glibc_with(b, "prog-a-nodeflib");
        r.write("/etc/ld.so.conf", b"/opt/c\n", 0o644);
        r.put("liba.so.1", "/opt/c/liba.so.1");
        r.ldconfig(&[]);
        (r, APP, None)
    }
);

// Go binaries.

oracle_case!(
    /// A Go cgo binary on a glibc root.
    go_cgo_glibc, b => {
        let r = Root::glibc(b);
        r.put_fixture("go127-cgo", APP);
        (r, APP, None)
    }
);
oracle_case!(
    /// A Go cgo binary needing `GLIBC_2.34` on a root whose C library stops
    /// at `GLIBC_2.32`: the Kubernetes failure this check exists for.
    go_cgo_old_glibc, b => {
        let r = Root::glibc(b);
        r.put_fixture("go127-cgo", APP);
        r.put("libc-2.32-versions.so.6", "/lib/x86_64-linux-gnu/libc.so.6");
        (r, APP, None)
    }
);
oracle_case!(
    /// A Go cgo (glibc) binary on a musl root: no interpreter.
    go_cgo_musl, b => {
        let r = Root::musl(b);
        r.put_fixture("go127-cgo", APP);
        (r, APP, None)
    }
);
oracle_case!(
    /// A static Go binary in an empty root.
    go_static, b => {
        let r = Root::empty(b);
        r.put_fixture("go127-static", APP);
        (r, APP, None)
    }
);
oracle_case!(
    /// A GOAMD64=v3 Go binary: the CPU decides.
    go_amd64v3, b => {
        let r = Root::empty(b);
        r.put_fixture("go127-amd64v3", APP);
        (r, APP, None)
    }
);
oracle_case!(
    /// A linux/arm64 Go binary: execve fails with ENOEXEC.
    go_arm64, b => {
        let r = Root::glibc(b);
        r.put_fixture("go127-linux-arm64", APP);
        (r, APP, None)
    }
);

// musl.

oracle_case!(
    /// Only libc: `libc.so` is the loader itself.
    m_libc_only, b => (musl_with(b, "m-prog-libc"), APP, None)
);
oracle_case!(
    /// A library in musl's default path.
    m_default_path, b => {
        let r = musl_with(b, "m-prog-a");
        r.put("m-liba.so", "/usr/lib/liba.so");
        (r, APP, None)
    }
);
oracle_case!(
    /// musl, too, looks symbols up through the GNU hash table: with its
    /// Bloom filter zeroed, `a_fn` is not found.
    m_gnu_hash_bloom_lies, b => {
        let r = musl_with(b, "m-prog-a");
        r.write("/usr/lib/liba.so", &zero_gnu_bloom(b, "m-liba.so"), 0o644);
        (r, APP, None)
    }
);
oracle_case!(
    /// Two missing libraries: musl names both.
    m_missing_two_libraries, b => (musl_with(b, "m-prog-ab"), APP, None)
);
oracle_case!(
    /// A glibc program on a musl root: no interpreter.
    m_glibc_program, b => (musl_with(b, "prog-libc"), APP, None)
);
oracle_case!(
    /// A glibc program whose interpreter path is a symlink to musl's loader
    /// (what gcompat-style images do): musl loads it and takes `libc.so.6`
    /// to be itself.
    m_glibc_program_musl_interpreter, b => {
        let r = musl_with(b, "prog-libc");
        r.symlink("/lib64/ld-linux-x86-64.so.2", "/lib/ld-musl-x86_64.so.1");
        (r, APP, None)
    }
);
oracle_case!(
    /// LD_LIBRARY_PATH comes before RPATH in musl.
    m_ld_library_path_first, b => {
        let r = musl_with(b, "m-prog-a-rpath");
        r.put("m-liba.so", "/opt/1/liba.so");
        r.put("m-liba.so", "/opt/l/liba.so");
        (r, APP, Some("/opt/l"))
    }
);
oracle_case!(
    /// musl inherits RUNPATH too.
    m_runpath_inherited, b => {
        let r = musl_with(b, "m-prog-a-runpath");
        r.put("m-liba-b.so", "/opt/1/liba.so");
        r.put("m-libb.so", "/opt/1/libb.so");
        (r, APP, None)
    }
);
oracle_case!(
    /// `/etc/ld-musl-x86_64.path` replaces the default path: a library in
    /// `/usr/lib` is not found.
    m_path_file_replaces_default, b => {
        let r = musl_with(b, "m-prog-a");
        r.write("/etc/ld-musl-x86_64.path", b"/opt/m\n", 0o644);
        r.put("m-liba.so", "/usr/lib/liba.so");
        (r, APP, None)
    }
);
oracle_case!(
    /// `/etc/ld-musl-x86_64.path` names where the library is.
    m_path_file, b => {
        let r = musl_with(b, "m-prog-a");
        r.write("/etc/ld-musl-x86_64.path", b"/opt/none:/opt/m\n/usr/lib\n", 0o644);
        r.put("m-liba.so", "/opt/m/liba.so");
        (r, APP, None)
    }
);
oracle_case!(
    /// A 32-bit library earlier in the path: musl takes it and fails.
    m_wrong_class_earlier, b => {
        let r = musl_with(b, "m-prog-a-rpath");
        r.put("liba-m32.so.1", "/opt/1/liba.so");
        r.put("m-liba.so", "/opt/2/liba.so");
        (r, APP, None)
    }
);
oracle_case!(
    /// An aarch64 library earlier in the path: musl takes it and fails.
    m_wrong_machine_earlier, b => {
        let r = musl_with(b, "m-prog-a-rpath");
        r.put("liba-arm64.so.1", "/opt/1/liba.so");
        r.put("m-liba.so", "/opt/2/liba.so");
        (r, APP, None)
    }
);
oracle_case!(
    /// A text file earlier in the path.
    m_not_elf_earlier, b => {
        let r = musl_with(b, "m-prog-a-rpath");
        r.write("/opt/1/liba.so", NOT_ELF, 0o644);
        r.put("m-liba.so", "/opt/2/liba.so");
        (r, APP, None)
    }
);
oracle_case!(
    /// A missing symbol: musl binds everything at start-up.
    m_symbol_missing, b => {
        let r = musl_with(b, "m-prog-s");
        r.put("m-libs-short.so", "/usr/lib/libs.so");
        (r, APP, None)
    }
);
oracle_case!(
    /// `RUNPATH=${ORIGIN}/../lib` through a symlinked executable.
    m_origin_symlinked_exe, b => {
        let r = Root::musl(b);
        r.put("m-prog-a-origin", "/opt/demo/bin/prog");
        r.symlink(APP, "/opt/demo/bin/prog");
        r.put("m-liba.so", "/opt/demo/lib/liba.so");
        r.put("m-liba.so", "/lib/liba.so");
        (r, APP, None)
    }
);
oracle_case!(
    /// A glibc-built library (needing `libc.so.6`) on a musl root.
    m_glibc_library, b => {
        let r = musl_with(b, "m-prog-a");
        r.put("liba.so.1", "/usr/lib/liba.so");
        (r, APP, None)
    }
);
