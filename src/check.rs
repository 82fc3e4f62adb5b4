//! `elfgate check`: targets → facts → verdicts → report, termination log,
//! success file and exit status.

use std::io::Write;

use crate::cli::{CheckArgs, CheckFormat};
use rayon::prelude::*;

use crate::facts::ImageFacts;
use crate::image_scan;
use crate::input::image::ImageError;
use crate::input::{self, Expanded, Found, Resolver, Source, errtext};
use crate::inspect::Options;
use crate::policy::{self, FileVerdict, FlagRules, Policy, Verdicts};
use crate::render::{self, ToolInfo};
use crate::run::{self, EXIT_USAGE, Inspector};
use crate::term::{self, Progress};

const TOOL: ToolInfo<'static> = ToolInfo {
    name: "elfgate",
    version: env!("CARGO_PKG_VERSION"),
    information_uri: None,
};

/// Runs `check` and returns the exit status.
pub fn run(a: &CheckArgs) -> u8 {
    // Whatever happens next, a success file from an earlier run must not
    // outlive it: it is written again only on a pass.
    if let Some(path) = &a.success_file
        && let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!("elfgate: --success-file {path}: {e}");
        return EXIT_USAGE;
    }
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
    let mut targets = targets(a);
    if targets.is_empty() && a.image.reference.is_none() {
        return Err("check needs at least one target (arguments or ELFGATE_TARGETS)".into());
    }
    let policy = load_policy(a)?;
    let opts = Options {
        digest: policy.needs_digest(),
        symbols: policy.symbol_query(),
    };
    let mut inspector = Inspector::new(opts, a.verbose).with_progress(Progress::stderr("check"));
    // With --image, the layers are read (and the targets' files inspected
    // as they stream past) before the walk; a damaged image voids it all.
    let mut image: Option<ImageFacts> = None;
    let mut image_notes = Vec::new();
    let mut void: Option<FileVerdict> = None;
    let mut missing = None;
    let mut image_library_path = None;
    if policy.load.is_some() && a.image.reference.is_some() {
        inspector.plan_image_load();
    }
    let resolver = match &a.image.reference {
        None => run::resolver(a.root.as_deref())?,
        Some(r) => match image_scan::prepare(&a.image, r, &targets, &inspector) {
            Ok(scan) => {
                image_library_path = scan.ld_library_path;
                targets = scan.targets;
                image = Some(scan.facts);
                image_notes = scan.notes;
                missing = scan.missing;
                scan.resolver
            }
            Err(ImageError::Usage(m)) => return Err(m),
            Err(ImageError::Damaged(m)) => {
                eprintln!("elfgate: {m}");
                void = Some(FileVerdict::unreadable(r, image_scan::detail(r, &m)));
                Resolver::Host
            }
        },
    };
    if let Some(load) = &policy.load {
        let mut load = load.clone();
        // Inside an image, its config's `LD_LIBRARY_PATH`, unless the flag
        // or the policy says.
        if load.library_path.is_none() {
            load.library_path = image_library_path.map(String::into_bytes);
        }
        inspector.set_load(&resolver, load);
    }
    let voided = void.is_some();
    let found = match void {
        Some(_) => Vec::new(),
        None => inspect(&resolver, &targets, &inspector),
    };
    inspector.leak_load();
    // Erases the progress line before anything else is printed.
    drop(inspector);
    let inspected = run::finish(found, a.verbose);
    let host = host_goarch();
    // Snapshots and plugin hosts the contract rules compare files with.
    let contract = crate::contract_cmd::check_inputs(
        &policy,
        a.policy.as_deref(),
        &resolver,
        &targets,
        &inspected.reports,
    )?;
    let mut verdicts = Verdicts {
        files: inspected
            .reports
            .iter()
            .map(|r| {
                let mut v = policy::evaluate_with(r, &policy, host, &contract.inputs);
                v.layer = r.layer.clone();
                v
            })
            .collect(),
    };
    verdicts.files.extend(contract.missing(&policy));
    for (path, note) in image_notes {
        for v in verdicts.files.iter_mut().filter(|v| v.path == path) {
            v.notes.push(note.clone());
        }
    }
    if let Some((name, why)) = missing {
        eprintln!("elfgate: {name}: {why}");
        verdicts.files.push(FileVerdict::unreadable(&name, &why));
    }
    if let Some(v) = void {
        verdicts.files.push(v);
    }
    // An empty image (say, a volume that failed to mount) must not pass; as
    // a verdict, every report format says so with the same exit code.
    let reported: Vec<&str> = inspected.reports.iter().map(|r| r.path.as_str()).collect();
    let looked = if voided { &[][..] } else { &targets[..] };
    for t in empty_targets(&resolver, looked, &reported) {
        eprintln!("elfgate: no ELF file found in {t}");
        verdicts
            .files
            .push(FileVerdict::unreadable(&t, "no ELF file found there"));
    }
    let code = policy::exit_code(&verdicts);

    let image = image.as_ref();
    let report = match a.format {
        CheckFormat::Text => {
            // Colour only where the report goes to a terminal.
            let color = a.output.is_none() && term::color_stdout();
            render::text::render_image_styled(&verdicts, render::text::Style { color }, image)
        }
        CheckFormat::Json => render::json::render_image(&verdicts, &TOOL, image),
        CheckFormat::Sarif => render::sarif::render_image(&verdicts, &TOOL, image),
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
    if let Some(path) = &a.success_file
        && code == 0
    {
        write_atomically(path, b"PASS\n").map_err(|e| format!("--success-file {path}: {e}"))?;
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
    // Values are trimmed (a stray space or CR from a pod spec must not turn
    // a rule into one that matches nothing). A value that is empty, or a
    // list with an empty item, is an error: `--sha256 "$PIN"` with an unset
    // PIN must not silently drop the pin. Only the empty line after the
    // last newline of an environment value (a YAML block scalar) is dropped.
    let lines = |flag: &str, v: &[String]| -> Result<Vec<String>, String> {
        let mut v: Vec<String> = v.iter().map(|s| s.trim().to_string()).collect();
        if v.len() > 1 && v.last().is_some_and(String::is_empty) {
            v.pop();
        }
        match v.iter().any(String::is_empty) {
            true => Err(format!("--{flag}: empty value")),
            false => Ok(v),
        }
    };
    let split = |flag: &str, v: &[String]| -> Result<Vec<String>, String> {
        let items: Vec<String> = lines(flag, v)?
            .iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .collect();
        match items.iter().any(String::is_empty) {
            true => Err(format!("--{flag}: empty item in a comma-separated list")),
            false => Ok(items),
        }
    };
    let flags = FlagRules {
        min_version: a.min_version.clone(),
        go_version: a.go_version.clone(),
        require_symbols: lines("require-symbol", &a.require_symbol)?,
        forbid_symbols: lines("forbid-symbol", &a.forbid_symbol)?,
        require_settings: lines("require-setting", &a.require_setting)?,
        forbid_settings: lines("forbid-setting", &a.forbid_setting)?,
        require_experiments: lines("require-experiment", &a.require_experiment)?,
        forbid_experiments: lines("forbid-experiment", &a.forbid_experiment)?,
        require_fips: a.require_fips,
        require_properties: split("require-property", &a.require_property)?,
        max_isa: a.max_isa.clone(),
        arch: split("arch", &a.arch)?,
        max_glibc: a.max_glibc.clone(),
        sha256: lines("sha256", &a.sha256)?,
        allow_unknown: lines("allow-unknown", &a.allow_unknown)?,
        trust_inferred_version: a.trust_inferred_version,
        loadable: a.loadable,
        cpu: a.cpu.as_ref().map(|c| c.trim().to_string()),
        library_path: a.library_path.clone(),
        baseline: a.baseline.clone(),
        plugin_host: a.plugin_host.clone(),
    };
    let text = match &a.policy {
        Some(p) => Some((
            p.as_str(),
            read_policy(p).map_err(|e| format!("--policy {p}: {}", errtext::Io(&e)))?,
        )),
        None => None,
    };
    Policy::build(text.as_ref().map(|(p, t)| (*p, t.as_str())), &flags).map_err(|e| e.to_string())
}

/// Reads a policy file, at most one byte past the limit the loader enforces,
/// so `--policy /dev/zero` cannot exhaust memory.
fn read_policy(path: &str) -> std::io::Result<String> {
    use std::io::Read;
    let limit = policy::MAX_POLICY_BYTES as u64 + 1;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Inspects the targets' files, in order; a target with glob characters is
/// matched against the files found under its longest literal directory
/// prefix. Consecutive plain targets are walked together, so that their
/// files are inspected in parallel too.
fn inspect(
    resolver: &Resolver,
    targets: &[String],
    inspector: &Inspector<'_>,
) -> Vec<Found<run::Outcome>> {
    let mut found = Vec::new();
    let mut plain: Vec<String> = Vec::new();
    for t in targets {
        if !is_glob(t) {
            plain.push(t.clone());
            continue;
        }
        found.extend(inspector.targets(resolver, &plain));
        plain.clear();
        let part = expand_glob(resolver, t);
        found.extend(part.errors.into_iter().map(Found::Error));
        found.extend(
            part.skipped
                .into_iter()
                .map(|(p, why)| Found::Skipped(p, why)),
        );
        let outcomes: Vec<Option<run::Outcome>> = part
            .files
            .par_iter()
            .map(|f| inspector.outcome(&Source::target(f)))
            .collect();
        found.extend(outcomes.into_iter().flatten().map(Found::File));
    }
    found.extend(inspector.targets(resolver, &plain));
    found
}

fn is_glob(t: &str) -> bool {
    t.contains(['*', '?', '['])
}

/// A target as reports name it: a clean in-image path under `--root`, the
/// path without a leading `./` on the host.
fn shown(resolver: &Resolver, t: &str) -> String {
    match resolver {
        Resolver::Root(_) | Resolver::Image(_) => input::in_root_display(t),
        Resolver::Host => t.strip_prefix("./").unwrap_or(t).to_string(),
    }
}

fn glob_matcher(pattern: &str) -> Result<globset::GlobMatcher, globset::Error> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
}

fn expand_glob(resolver: &Resolver, pattern: &str) -> Expanded {
    let pattern = shown(resolver, pattern);
    let literal: Vec<&str> = pattern.split('/').take_while(|c| !is_glob(c)).collect();
    let base = match literal.join("/") {
        b if b.is_empty() && pattern.starts_with('/') => "/".to_string(),
        b if b.is_empty() => ".".to_string(),
        b => b,
    };
    let matcher = match glob_matcher(&pattern) {
        Ok(m) => m,
        Err(e) => {
            let mut out = Expanded::default();
            out.errors.push(input::InputError::NotFound {
                path: pattern.to_string(),
                detail: format!(" (bad glob: {e})"),
            });
            return out;
        }
    };
    let mut found = resolver.expand(&[base]);
    let matches = |p: &str| matcher.is_match(p.strip_prefix("./").unwrap_or(p).replace("//", "/"));
    found.files.retain(|f| matches(&f.display));
    found.skipped.retain(|(p, _)| matches(p));
    for f in &mut found.files {
        f.named = false;
    }
    if found.files.is_empty() && found.errors.is_empty() {
        found.errors.push(input::InputError::NotFound {
            path: pattern.to_string(),
            detail: " (the glob matched no file)".into(),
        });
    }
    found
}

/// Targets (directories and globs) under which no file was reported at all:
/// each must fail as unreadable, even when other targets held ELF files, or
/// a volume that mounted empty would pass beside one that did not.
fn empty_targets(resolver: &Resolver, targets: &[String], reported: &[&str]) -> Vec<String> {
    targets
        .iter()
        .filter_map(|t| {
            let shown = shown(resolver, t);
            let covered = if is_glob(t) {
                let m = glob_matcher(&shown).ok()?;
                reported
                    .iter()
                    .any(|p| m.is_match(p.strip_prefix("./").unwrap_or(p)))
            } else {
                let dir = format!("{}/", shown.trim_end_matches('/'));
                reported
                    .iter()
                    .any(|p| *p == shown || p.starts_with(&dir) || dir == "/")
            };
            (!covered).then_some(shown)
        })
        .collect()
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
        eprintln!("elfgate: --termination-log {path}: {}", errtext::Io(&e));
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it, so a
/// reader never sees a partial success file.
fn write_atomically(path: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = format!("{path}.tmp.{}", std::process::id());
    // A link planted at the temporary name must not redirect the write.
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
