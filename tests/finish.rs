//! What a command-line tool is expected to have, checked on the binary:
//! man pages that `man` renders and that name every flag `--help` shows,
//! completion scripts, a version line with the commit, and text output
//! that carries escape sequences only to a terminal.

mod common;

#[path = "../examples/man.rs"]
#[allow(dead_code)]
mod man;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use clap::CommandFactory;
use common::{elfgate, root, stderr, stdout};
use elfgate::cli::Cli;

/// Every subcommand path, `[]` for the top command, from the clap
/// definitions (so a new subcommand is covered without editing this).
fn command_paths() -> Vec<Vec<String>> {
    fn walk(c: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(prefix.clone());
        for sub in c.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut p = prefix.clone();
            p.push(sub.get_name().to_owned());
            walk(sub, p, out);
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), Vec::new(), &mut out);
    out
}

/// The long flags (`--name`) in a text.
fn long_flags(text: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    for (i, _) in text.match_indices("--") {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '-') {
            continue;
        }
        let name: String = text[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if name.len() > 1 && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            flags.insert(format!("--{name}"));
        }
    }
    flags
}

/// A page as `man -l` renders it, in plain ASCII on one long line per
/// paragraph (no hyphenation or wrapping to split a flag).
fn render(page: &Path) -> String {
    let out = Command::new("man")
        .arg("-l")
        .arg(page)
        .env("LC_ALL", "C")
        .env("MANWIDTH", "1000")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env_remove("MAN_KEEP_FORMATTING")
        .output()
        .expect("man (man-db) is installed; .ci/run installs it");
    assert!(
        out.status.success(),
        "man -l {}: {}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    // Bold and underline may come as overstrikes (`c\bc`, `_\bc`).
    let text = String::from_utf8_lossy(&out.stdout);
    let mut plain = String::new();
    for c in text.chars() {
        if c == '\u{8}' {
            plain.pop();
        } else {
            plain.push(c);
        }
    }
    plain
}

#[test]
fn man_pages_render_and_name_every_flag_of_help() {
    let dir = tempfile::tempdir().unwrap();
    let pages = man::write_pages(dir.path()).unwrap();
    for path in command_paths() {
        let name = std::iter::once("elfgate".to_owned())
            .chain(path.iter().cloned())
            .collect::<Vec<_>>()
            .join("-");
        let page = dir.path().join(format!("{name}.1"));
        assert!(pages.contains(&page), "no page {name}.1 in {pages:?}");
        let text = render(&page);
        assert!(
            text.contains(&name),
            "{name}.1 does not name itself:\n{text}"
        );

        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = elfgate(&args);
        assert_eq!(help.status.code(), Some(0), "{}", stderr(&help));
        let flags = long_flags(&stdout(&help));
        assert!(flags.contains("--help"), "{args:?}: {flags:?}");
        for flag in &flags {
            assert!(
                text.contains(flag.as_str()),
                "{name}.1 does not mention {flag}:\n{text}"
            );
        }
    }
    assert_eq!(pages.len(), command_paths().len(), "{pages:?}");
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef elfgate"),
        ("fish", "complete -c elfgate"),
    ] {
        let o = elfgate(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(script.contains(marker), "{shell}:\n{script}");
        assert!(script.contains("require-symbol"), "{shell}");
    }
    let o = elfgate(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
}

/// bash itself accepts the script and registers the completion.
#[test]
fn bash_loads_the_completion_script() {
    let o = elfgate(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("elfgate.bash");
    std::fs::write(&script, &o.stdout).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(". {} && complete -p elfgate", script.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("elfgate"));
}

/// `--version` is the crate version and, in a git checkout, the commit.
#[test]
fn version_names_the_commit() {
    let o = elfgate(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    let line = stdout(&o);
    let expected = format!("elfgate {}", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&expected), "{line}");
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if let Some(head) = head {
        // The binary was built from this checkout (possibly an earlier
        // commit of it when only tests changed): a 12-digit commit id.
        let commit = line
            .trim()
            .strip_prefix(&format!("{expected} (commit "))
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or_else(|| panic!("no commit in {line:?} (HEAD is {head})"));
        assert_eq!(commit.len(), 12, "{line}");
        assert!(commit.bytes().all(|b| b.is_ascii_hexdigit()), "{line}");
    }
}

const RULES: &[&str] = &[
    "check",
    "--min-version",
    "go1.21.0",
    "--forbid-symbol",
    "*boring*",
    "bin/go127-exe",
    "bin/go125-boring-cgo",
];

/// Through pipes (a log, CI, `kubectl logs`) there is no escape sequence
/// on either stream, whatever the environment asks for.
#[test]
fn no_escape_codes_when_not_a_terminal() {
    for env in [
        None,
        Some(("TERM", "xterm-256color")),
        Some(("NO_COLOR", "1")),
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_elfgate"));
        cmd.args(RULES).current_dir(root().join("testdata"));
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(!o.stdout.contains(&0x1b), "{env:?}: {}", stdout(&o));
        assert!(!o.stderr.contains(&0x1b), "{env:?}: {}", stderr(&o));
        assert!(stdout(&o).contains("FAIL bin/go125-boring-cgo: "));
    }
}

/// PASS and FAIL lines of one file start their messages in one column.
#[test]
fn messages_of_a_file_are_aligned() {
    let o = elfgate(RULES);
    let text = stdout(&o);
    let columns: BTreeSet<usize> = text
        .lines()
        .filter(|l| l.starts_with("PASS bin/go127-exe: ") || l.starts_with("FAIL bin/go127-exe: "))
        .filter(|l| !l.contains("checks failed"))
        .map(|l| {
            let after_rule = l.find(": ").unwrap() + 2;
            let head_end = after_rule + l[after_rule..].find(':').unwrap() + 1;
            head_end + l[head_end..].len() - l[head_end..].trim_start().len()
        })
        .collect();
    assert_eq!(columns.len(), 1, "{text}");
}

/// Runs the check under a pseudo-terminal (`script`), where stdout and
/// stderr are a TTY; `None` when `script` is not installed.
fn under_a_terminal(envs: &[(&str, &str)]) -> Option<String> {
    let exe = env!("CARGO_BIN_EXE_elfgate");
    let line = std::iter::once(exe)
        .chain(RULES.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(root().join("testdata"))
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("KUBERNETES_SERVICE_HOST");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let o = cmd.output().ok()?;
    Some(String::from_utf8_lossy(&o.stdout).into_owned())
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let Some(colored) = under_a_terminal(&[]) else {
        eprintln!("script(1) not installed: terminal behaviour not tested");
        return;
    };
    assert!(
        colored.contains("\x1b[1;31mFAIL\x1b[0m bin/go125-boring-cgo: "),
        "{colored:?}"
    );
    assert!(
        colored.contains("\x1b[32mPASS\x1b[0m bin/go127-exe: "),
        "{colored:?}"
    );
    let plain = under_a_terminal(&[("NO_COLOR", "1")]).unwrap();
    assert!(!plain.contains('\x1b'), "{plain:?}");
    assert!(plain.contains("FAIL bin/go125-boring-cgo: "), "{plain:?}");
}
