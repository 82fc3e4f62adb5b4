//! The documentation is part of the contract: these tests fail when
//! `docs/facts.md` or `docs/cli.md` drift from what the binary does.
//!
//! - every JSON field `inspect --format json` prints for the fixtures is
//!   described in `docs/facts.md`, and every field path described there
//!   still exists;
//! - every long flag and every `ELFGATE_*` variable is in `docs/cli.md`, and
//!   every flag and variable named there still exists;
//! - the exit status table of `docs/cli.md` has a row for each code,
//!   including the two `check`-only cases that are easy to forget.

mod common;
mod imagekit;

use std::collections::BTreeSet;

use clap::CommandFactory;
use common::{elfgate, root, stderr};
use elfgate::cli::{Cli, EXIT_CODES};
use serde_json::Value;

fn doc(name: &str) -> String {
    std::fs::read_to_string(root().join("docs").join(name))
        .unwrap_or_else(|e| panic!("docs/{name}: {e}"))
}

/// Dotted paths of every key in a JSON value; array elements are `[]`.
fn json_keys(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                json_keys(child, &path, out);
                out.insert(path);
            }
        }
        Value::Array(items) => {
            let path = format!("{prefix}[]");
            for item in items {
                json_keys(item, &path, out);
            }
        }
        _ => {}
    }
}

/// Keys of the `inspect` document over every fixture (directory walk), a
/// named non-ELF file (an error-only report), and an image (`--image`).
fn inspect_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let dir = tempfile::tempdir().unwrap();
    let layer = imagekit::Tar::default()
        .file(
            "app/server",
            &std::fs::read(imagekit::fixture("go127-cgo")).unwrap(),
        )
        .file("../escapes", b"x")
        .end();
    let image = imagekit::layout(dir.path(), &[(layer.clone(), layer)], &["/app/server"]);
    let reference = format!("oci:{}:t", image.dir.display());
    let o = elfgate(&["inspect", "--format", "json", "--image", &reference, "/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    json_keys(&serde_json::from_slice(&o.stdout).unwrap(), "", &mut keys);
    for args in [
        &["inspect", "--format", "json", "--digest", "--load", "bin"][..],
        &["inspect", "--format", "json", "bin/notelf.txt"][..],
    ] {
        let o = elfgate(args);
        let code = o.status.code();
        assert!(
            code == Some(0) || code == Some(3),
            "{args:?}: {:?} {}",
            code,
            stderr(&o)
        );
        let v: Value = serde_json::from_slice(&o.stdout).expect("inspect prints JSON");
        json_keys(&v, "", &mut keys);
    }
    keys
}

/// Backquoted words of a document: what it names as code.
fn backquoted(text: &str) -> BTreeSet<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn every_inspect_json_field_is_in_facts_md() {
    let facts = doc("facts.md");
    let documented = backquoted(&facts);
    let keys = inspect_keys();
    // The fixtures must exercise the nested objects, or this proves little.
    for must in [
        "files[].go.deps[].replace.path",
        "files[].go.arch_level.key",
        "files[].needed_versions[].weak",
        "files[].properties.aarch64_feature_1_and",
        "files[].load.objects[].needed_by",
        "files[].load.problems[].kind",
        "files[].load.unchecked[].reason",
    ] {
        assert!(keys.contains(must), "fixtures no longer produce {must}");
    }
    let missing: Vec<_> = keys.iter().filter(|k| !documented.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "docs/facts.md does not describe these inspect JSON fields (write each as `path`): {missing:?}"
    );
}

#[test]
fn every_field_path_in_facts_md_exists() {
    let facts = doc("facts.md");
    let keys = inspect_keys();
    let stale: Vec<_> = backquoted(&facts)
        .into_iter()
        .filter(|w| w.starts_with("files[].") && !w.contains(' '))
        .filter(|w| !keys.contains(w))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/facts.md describes fields inspect does not print: {stale:?}"
    );
}

/// Long flags (with `--`) and environment variables of every subcommand,
/// as clap defines them.
fn clap_flags_and_envs() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut cmd = Cli::command();
    cmd.build();
    let mut flags = BTreeSet::new();
    let mut envs = BTreeSet::new();
    let mut commands = vec![&cmd];
    commands.extend(cmd.get_subcommands());
    for c in commands {
        for a in c.get_arguments() {
            if let Some(long) = a.get_long() {
                flags.insert(format!("--{long}"));
            }
            if let Some(env) = a.get_env() {
                envs.insert(env.to_string_lossy().into_owned());
            }
        }
    }
    (flags, envs)
}

/// `ELFGATE_*` words in the product's source (test modules excluded):
/// variables read outside clap, such as `ELFGATE_TARGETS`.
fn source_envs() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut dirs = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let product = text.split("#[cfg(test)]").next().unwrap_or_default();
            out.extend(words_with_prefix(product, "ELFGATE_"));
        }
    }
    out
}

/// Maximal `[A-Z0-9_]` words starting with `prefix`.
fn words_with_prefix(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        let word = &tail[..end];
        if word.len() > prefix.len() {
            out.push(word.to_string());
        }
        rest = &tail[end.max(prefix.len())..];
    }
    out
}

/// `--flag` words of a text.
fn long_flags_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("--") {
        let tail = &rest[at + 2..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        // Not inside a word, nor a link anchor such as `(#--root-dir)`.
        let starts_word =
            at == 0 || !rest[..at].ends_with(|c: char| c.is_alphanumeric() || c == '#');
        if starts_word && name.starts_with(|c: char| c.is_ascii_lowercase()) {
            out.insert(format!("--{name}"));
        }
        rest = &tail[end..];
    }
    out
}

#[test]
fn every_flag_and_variable_is_in_cli_md() {
    let cli = doc("cli.md");
    let (flags, envs) = clap_flags_and_envs();
    let envs: BTreeSet<String> = envs.into_iter().chain(source_envs()).collect();
    assert!(flags.contains("--require-symbol") && flags.contains("--help"));
    assert!(envs.contains("ELFGATE_POLICY") && envs.contains("ELFGATE_TARGETS"));

    let documented = backquoted(&cli);
    let missing_flags: Vec<_> = flags
        .iter()
        .filter(|f| {
            !documented
                .iter()
                .any(|d| d.split_whitespace().any(|w| w == *f))
        })
        .collect();
    assert!(
        missing_flags.is_empty(),
        "docs/cli.md does not document these flags (as `--flag`): {missing_flags:?}"
    );
    let missing_envs: Vec<_> = envs.iter().filter(|e| !documented.contains(*e)).collect();
    assert!(
        missing_envs.is_empty(),
        "docs/cli.md does not document these variables (as `ELFGATE_...`): {missing_envs:?}"
    );

    for sub in Cli::command().get_subcommands() {
        let name = format!("elfgate {}", sub.get_name());
        assert!(cli.contains(&name), "docs/cli.md has no `{name}`");
    }
}

#[test]
fn every_flag_and_variable_in_cli_md_exists() {
    let cli = doc("cli.md");
    let (flags, envs) = clap_flags_and_envs();
    let envs: BTreeSet<String> = envs.into_iter().chain(source_envs()).collect();
    let stale_flags: Vec<_> = long_flags_in(&cli)
        .into_iter()
        .filter(|f| !flags.contains(f))
        .collect();
    assert!(
        stale_flags.is_empty(),
        "docs/cli.md names flags elfgate does not have: {stale_flags:?}"
    );
    let stale_envs: Vec<_> = words_with_prefix(&cli, "ELFGATE_")
        .into_iter()
        .filter(|e| !envs.contains(e))
        .collect();
    assert!(
        stale_envs.is_empty(),
        "docs/cli.md names variables elfgate does not read: {stale_envs:?}"
    );
}

/// The rows of the exit status table in docs/cli.md, by code.
fn exit_rows(cli: &str) -> Vec<(u8, String)> {
    let section = cli
        .split("\n## Exit status")
        .nth(1)
        .expect("docs/cli.md has an `## Exit status` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse().ok()?;
            Some((code, l.to_string()))
        })
        .collect()
}

#[test]
fn exit_status_table_has_every_code() {
    let cli = doc("cli.md");
    let rows = exit_rows(&cli);
    let codes: Vec<u8> = rows.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes, [0, 1, 2, 3], "rows of the exit status table");

    // Every code `--help` lists has its row.
    for line in EXIT_CODES.lines().skip(1) {
        let code: u8 = line.split_whitespace().next().unwrap().parse().unwrap();
        assert!(codes.contains(&code), "exit code {code} from --help");
    }

    let row = |code: u8| {
        rows.iter()
            .find(|(c, _)| *c == code)
            .map(|(_, l)| l.clone())
            .unwrap()
    };
    assert!(
        row(2).contains("no rule applied"),
        "the 2 row must say that check exits 2 when no rule applied"
    );
    assert!(
        row(3).contains("no ELF file"),
        "the 3 row must say that check exits 3 when no ELF file was found"
    );
}

#[test]
fn documented_check_only_exit_codes_hold() {
    // No ELF file among the targets: 3.
    let o = elfgate(&["check", "--min-version", "go1.20", "bin/misc"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));

    // A policy whose rulesets match no target: nothing checked, 2.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "version: 1\nrulesets:\n  - name: elsewhere\n    paths: [\"/nowhere/**\"]\n    min_version: go1.20\n",
    )
    .unwrap();
    let o = elfgate(&[
        "check",
        "--policy",
        policy.to_str().unwrap(),
        "bin/go127-exe",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
