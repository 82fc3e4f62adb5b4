//! Records the commit elfgate is built from, for `elfgate --version`:
//! `0.1.0 (commit 254e09c1a2b3)`, the first 12 hex digits.
//!
//! From `git rev-parse HEAD` when the sources are a git checkout and git is
//! installed; else from `ELFGATE_REVISION` (the Dockerfile's build context
//! has no .git and passes its REVISION build argument); else nothing, and
//! `--version` gives the version alone. A failure here never fails the build.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// A commit id as git prints it: hex digits only, so nothing odd reaches
/// the version line.
fn is_commit(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn main() {
    println!("cargo:rerun-if-env-changed=ELFGATE_REVISION");
    let from_git = git(&["rev-parse", "HEAD"]).filter(|c| is_commit(c));
    if from_git.is_some() {
        // Rebuild when HEAD moves: HEAD itself, the branch it names, and
        // packed-refs (where a branch's commit may live instead).
        let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watched.push(branch);
        }
        for name in watched {
            // A path that does not exist would make cargo rerun this every build.
            if let Some(path) = git(&["rev-parse", "--git-path", &name])
                .filter(|p| std::path::Path::new(p).exists())
            {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    let from_env = std::env::var("ELFGATE_REVISION")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|c| is_commit(c));
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let line = match from_git.or(from_env) {
        Some(commit) => format!("{version} (commit {})", commit.get(..12).unwrap_or(&commit)),
        None => version,
    };
    println!("cargo:rustc-env=BUILD_VERSION_LINE={line}");
}
