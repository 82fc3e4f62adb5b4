//! Helpers shared by the integration tests: the fixture list and running the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
