//! `elfgate check`: targets → facts → verdicts → report, termination log,
//! success file and exit status.

use std::io::Write;

use crate::cli::{CheckArgs, CheckFormat};
use crate::input::{Expanded, Found, Resolver};
use crate::inspect::Options;
use crate::policy::{self, FileVerdict, FlagRules, Policy, Verdicts};
use crate::render::{self, ToolInfo};
use crate::run::{self, EXIT_USAGE};

const TOOL: ToolInfo<'static> = ToolInfo {
    name: "elfgate",
    version: env!("CARGO_PKG_VERSION"),
    information_uri: None,
};

/// Runs `check` and returns the exit status.
pub fn run(a: &CheckArgs) -> u8 {
    match run_inner(a) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("elfgate: {msg}");
            // A pod whose policy does not load should say why in `kubectl describe`.
            if let Some(path) = &a.termination_log {
                let body = format!("elfgate check: error (exit {EXIT_USAGE}): {msg}\n");
                let body = render::termination::truncate(body, render::termination::LIMIT);
                write_termination_log(path, body.as_bytes());
            }
            EXIT_USAGE
        }
    }
}

fn run_inner(a: &CheckArgs) -> Result<u8, String> {
    let targets = targets(a);
    if targets.is_empty() {
        return Err("check needs at least one target (arguments or ELFGATE_TARGETS)".into());
    }
    let policy = load_policy(a)?;
    let resolver = run::resolver(a.root.as_deref())?;
    let opts = Options {
        digest: policy.needs_digest(),
        symbols: policy.needs_symbols(),
    };
    let inspected = run::inspect_stream(|sink| expand(&resolver, &targets, sink), &opts, a.verbose);
    let host = host_goarch();
    let mut verdicts = Verdicts {
        files: inspected
            .reports
            .iter()
            .map(|r| policy::evaluate(r, &policy, host))
            .collect(),
    };
    if verdicts.files.is_empty() {
        // An empty image (say, a volume that failed to mount) must not pass;
        // as a verdict, every report format says so with the same exit code.
        let what = targets.join(" ");
        eprintln!("elfgate: no ELF file found in {what}");
        verdicts
            .files
            .push(FileVerdict::unreadable(&what, "no ELF file found there"));
    }
    let code = policy::exit_code(&verdicts);

    let report = match a.format {
        CheckFormat::Text => render::text::render(&verdicts),
        CheckFormat::Json => render::json::render(&verdicts, &TOOL),
        CheckFormat::Sarif => render::sarif::render(&verdicts, &TOOL),
        CheckFormat::Junit => render::junit::render(&verdicts),
    };
    match &a.output {
        Some(path) => {
            std::fs::write(path, &report).map_err(|e| format!("--output {path}: {e}"))?;
            let s = verdicts.summary();
            let line = format!(
                "elfgate: {} — {} files, {} passed, {} failed, {} unreadable; report in {path}\n",
                render::result_word(&verdicts),
                s.files,
                s.passed,
                s.failed,
                s.unreadable
            );
            let _ = run::write_stdout(line.as_bytes());
        }
        None => {
            let _ = run::write_stdout(&report);
        }
    }
    if let Some(path) = &a.termination_log {
        write_termination_log(path, &render::termination::render(&verdicts));
    }
    if let Some(path) = &a.success_file {
        if code == 0 {
            write_atomically(path, b"PASS\n").map_err(|e| format!("--success-file {path}: {e}"))?;
        } else {
            // A stale success file from an earlier run must not say "pass".
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(code)
}

/// Targets from the command line, else from `ELFGATE_TARGETS` (whitespace-separated).
fn targets(a: &CheckArgs) -> Vec<String> {
    if !a.targets.is_empty() {
        return a.targets.clone();
    }
    std::env::var("ELFGATE_TARGETS")
        .map(|v| v.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

fn load_policy(a: &CheckArgs) -> Result<Policy, String> {
    let split = |v: &[String]| -> Vec<String> {
        v.iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    // One value per line in environment variables: a YAML block scalar ends
    // with a newline, which must not make an empty value.
    let lines = |v: &[String]| -> Vec<String> {
        v.iter().filter(|s| !s.trim().is_empty()).cloned().collect()
    };
    let flags = FlagRules {
        min_version: a.min_version.clone(),
        go_version: a.go_version.clone(),
        require_symbols: lines(&a.require_symbol),
        forbid_symbols: lines(&a.forbid_symbol),
        require_settings: lines(&a.require_setting),
        forbid_settings: lines(&a.forbid_setting),
        require_experiments: lines(&a.require_experiment),
        forbid_experiments: lines(&a.forbid_experiment),
        require_fips: a.require_fips,
        require_properties: split(&a.require_property),
        max_isa: a.max_isa.clone(),
        arch: split(&a.arch),
        max_glibc: a.max_glibc.clone(),
        sha256: lines(&a.sha256),
        allow_unknown: lines(&a.allow_unknown),
        trust_inferred_version: a.trust_inferred_version,
    };
    let text = match &a.policy {
        Some(p) => Some((
            p.as_str(),
            std::fs::read_to_string(p).map_err(|e| format!("--policy {p}: {e}"))?,
        )),
        None => None,
    };
    Policy::build(text.as_ref().map(|(p, t)| (*p, t.as_str())), &flags).map_err(|e| e.to_string())
}

/// Expands targets; a target with glob characters is matched against the
/// files found under its longest literal directory prefix.
fn expand(resolver: &Resolver, targets: &[String], sink: &mut dyn FnMut(Found)) {
    for t in targets {
        if t.contains(['*', '?', '[']) {
            let part = expand_glob(resolver, t);
            part.errors.into_iter().for_each(|e| sink(Found::Error(e)));
            part.files.into_iter().for_each(|f| sink(Found::File(f)));
        } else {
            resolver.expand_each(std::slice::from_ref(t), sink);
        }
    }
}

fn expand_glob(resolver: &Resolver, pattern: &str) -> Expanded {
    let literal: Vec<&str> = pattern
        .split('/')
        .take_while(|c| !c.contains(['*', '?', '[']))
        .collect();
    let base = match literal.join("/") {
        b if b.is_empty() && pattern.starts_with('/') => "/".to_string(),
        b if b.is_empty() => ".".to_string(),
        b => b,
    };
    let matcher = match globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
    {
        Ok(g) => g.compile_matcher(),
        Err(e) => {
            let mut out = Expanded::default();
            out.errors.push(crate::input::InputError::NotFound {
                path: pattern.to_string(),
                detail: format!(" (bad glob: {e})"),
            });
            return out;
        }
    };
    let mut found = resolver.expand(&[base]);
    found.files.retain(|f| {
        let p = f.display.strip_prefix("./").unwrap_or(&f.display);
        let p = p.replace("//", "/");
        matcher.is_match(&p)
    });
    for f in &mut found.files {
        f.named = false;
    }
    if found.files.is_empty() && found.errors.is_empty() {
        found.errors.push(crate::input::InputError::NotFound {
            path: pattern.to_string(),
            detail: " (the glob matched no file)".into(),
        });
    }
    found
}

/// The GOARCH of the machine elfgate runs on, for `--arch host`.
pub fn host_goarch() -> Option<&'static str> {
    Some(match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" if cfg!(target_endian = "big") => "ppc64",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loongarch64" => "loong64",
        "mips" if cfg!(target_endian = "big") => "mips",
        "mips" => "mipsle",
        "mips64" if cfg!(target_endian = "big") => "mips64",
        "mips64" => "mips64le",
        _ => return None,
    })
}

/// Writes the kubelet's termination message (at most 4096 bytes). Failing
/// to write it must not turn a failing gate into something else, so an
/// error is only reported.
fn write_termination_log(path: &str, body: &[u8]) {
    if let Err(e) = std::fs::File::create(path).and_then(|mut f| f.write_all(body)) {
        eprintln!("elfgate: --termination-log {path}: {e}");
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it, so a
/// reader never sees a partial success file.
fn write_atomically(path: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = format!("{path}.tmp.{}", std::process::id());
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
