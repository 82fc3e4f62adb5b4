//! Helpers shared by the integration tests: the fixture list and running the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs a build tool (a compiler, a linker, `umoci`): a failure fails the test, with its stderr.
pub fn sh(cmd: &mut Command) {
    let o = cmd.output().expect("run a build tool");
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Rows of testdata/fixtures.tsv: (name, toolchain, platform, kind).
pub fn fixtures() -> Vec<(String, String, String, String)> {
    let text = std::fs::read_to_string(root().join("testdata/fixtures.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[0].into(), c[1].into(), c[2].into(), c[3].into())
        })
        .collect()
}

/// Runs elfgate with the repository root as working directory.
pub fn elfgate(args: &[&str]) -> Output {
    elfgate_in(&root().join("testdata"), args)
}

pub fn elfgate_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_elfgate"))
        .args(args)
        .current_dir(dir)
        .env_remove("ELFGATE_FORMAT")
        .output()
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// go127-static with its section header table removed, as `strip
/// --strip-section-headers` or `sstrip` would leave it.
pub fn noshdr_bytes() -> Vec<u8> {
    let mut b = std::fs::read(root().join("testdata/bin/go127-static")).unwrap();
    // ELF64: e_shoff at 0x28 (8 bytes), e_shnum at 0x3c, e_shstrndx at 0x3e.
    b[0x28..0x30].fill(0);
    b[0x3c..0x40].fill(0);
    b
}

/// What a run of the binary under a deadline left behind.
pub struct Outcome {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs elfgate with a deadline; a run past `timeout` is killed and fails
/// the test as a hang (a blocked `open` of a FIFO, a loop).
pub fn elfgate_within<S: AsRef<std::ffi::OsStr>>(
    args: &[S],
    timeout: std::time::Duration,
) -> Outcome {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_elfgate"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn elfgate");
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for elfgate") {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            let argv: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
            panic!("elfgate {argv:?} still running after {timeout:?}: it blocked or hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let stdout = String::from_utf8_lossy(&out_reader.join().expect("stdout reader")).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().expect("stderr reader")).into_owned();
    Outcome {
        status,
        stdout,
        stderr,
    }
}
