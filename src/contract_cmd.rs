//! `elfgate snapshot` and `elfgate diff`, and what `check` reads for the
//! contract rules: targets → contracts → snapshot, diff or rule inputs;
//! files read, reports written, exit status.
//!
//! Files are named by their path relative to the target they were found
//! under (a directory), by their name (a file named as a target), or
//! relative to `--root`: the same files give the same paths wherever and
//! however they were listed, and `check --baseline` pairs the files it
//! checks with a snapshot's by the same rule.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::cli::{DiffArgs, DiffFormat, FailOn, SnapshotArgs};
use crate::contract::accept::{Accept, MAX_ACCEPT_BYTES};
use crate::contract::diff::{diff_files, diff_sets};
use crate::contract::extract::{ExportTable, Exports, Extracted, extract_bytes, extract_file};
use crate::contract::plugin::GoSide;
use crate::contract::render::{self, DiffReport};
use crate::contract::snapshot::{self, MAX_SNAPSHOT_BYTES};
use crate::contract::{Class, FileContract};
use crate::facts::Report;
use crate::input::image::{self, DEFAULT_MAX_FILE_SIZE, ImageError};
use crate::input::{self, Found, OpenError, Resolver, Source};
use crate::policy::{self, Baseline, ContractInputs, FileInput, FileVerdict, Policy};
use crate::run::{EXIT_PASS, EXIT_RULE_FAILED, EXIT_UNREADABLE, EXIT_USAGE};

/// A path lexically cleaned: no `.`, no empty components, no trailing `/`.
fn clean(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let body = parts.join("/");
    if p.starts_with('/') {
        format!("/{body}")
    } else {
        body
    }
}

/// The name a file gets in a contract: relative to `--root`, to the
/// directory target it was found under, or its own name.
fn key_of(resolver: &Resolver, target: &str, display: &str, named: bool) -> String {
    match resolver {
        Resolver::Root(_) | Resolver::Image(_) => {
            clean(display).trim_start_matches('/').to_string()
        }
        Resolver::Host => {
            let d = clean(display);
            if named {
                return d.rsplit('/').next().unwrap_or(&d).to_string();
            }
            let t = clean(target);
            let rel = if t.is_empty() {
                Some(d.as_str())
            } else if t == "/" {
                d.strip_prefix('/')
            } else {
                d.strip_prefix(&format!("{t}/"))
            };
            rel.unwrap_or(&d).to_string()
        }
    }
}

/// What reading the targets gave: files under their keys, and errors.
#[derive(Default)]
struct Collected {
    files: Vec<(String, Extracted)>,
    errors: Vec<String>,
}

fn open_and_extract(
    src: &Source<'_>,
    verbose: bool,
    exports: Exports,
) -> Option<Result<Extracted, String>> {
    let opened = match src.open() {
        Ok(o) => o,
        Err(OpenError::NotElf(_)) if !src.named() => {
            if verbose {
                eprintln!("elfgate: {}: skipped (not ELF)", src.display());
            }
            return None;
        }
        Err(OpenError::NotElf(start)) => {
            return Some(Err(format!(
                "{}: not an ELF file ({})",
                src.display(),
                start.reason()
            )));
        }
        Err(OpenError::Input(e)) => return Some(Err(e.to_string())),
    };
    Some(extract_file(&src.display(), opened, false, exports).map_err(|e| e.to_string()))
}

/// A file of an image: its contract, extracted while the layers streamed
/// past ([`open_image`]), else read from its layer now.
fn image_extract(
    src: &Source<'_>,
    file: &image::ImageFile,
    extracted: &ImageContracts,
    verbose: bool,
) -> Option<Result<Extracted, String>> {
    let display = src.display();
    if !file.is_elf() {
        if src.named() {
            return Some(Err(format!("{display}: not an ELF file")));
        }
        if verbose {
            eprintln!("elfgate: {display}: skipped (not ELF)");
        }
        return None;
    }
    if let Some(x) = extracted.get(&file.id()) {
        return Some(x.clone().map(|mut x| {
            x.report.path.clone_from(&display);
            x
        }));
    }
    let bytes = match file.read(&display) {
        Ok(b) => b,
        Err(e) => return Some(Err(e.to_string())),
    };
    Some(extract_bytes(&display, &bytes, false).map_err(|e| e.to_string()))
}

/// The contracts of an image's ELF files by file (hard links share one).
type ImageContracts = HashMap<crate::input::FileId, Result<Extracted, String>>;

/// Opens an image (`snapshot --image`, an image side of `diff`), applies
/// its layers (verifying every digest) and extracts the contracts of the
/// ELF files under `targets` in one stream per layer, each file's bytes
/// held only while it is read. Errors carry their exit status: 2 for a
/// reference or platform that does not name an image, 3 for a damaged one.
fn open_image(
    reference: &str,
    platform: Option<&str>,
    max_file_size: Option<u64>,
    targets: &[String],
) -> Result<(Resolver, ImageContracts), (u8, String)> {
    let fail = |e: ImageError| match e {
        ImageError::Usage(m) => (EXIT_USAGE, m),
        ImageError::Damaged(m) => (EXIT_UNREADABLE, m),
    };
    let host = crate::check::host_goarch().unwrap_or("unknown");
    let img = image::open(reference, platform, host).map_err(fail)?;
    for n in &img.notes {
        eprintln!("elfgate: {n}");
    }
    let max = max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
    let loaded = img.load(&[], max, &|_, _| {}).map_err(fail)?;
    let resolver = Resolver::Image(loaded.clone());
    // The path each file is shown by, for the messages of its contract.
    let shown: Mutex<HashMap<crate::input::FileId, String>> = Mutex::new(HashMap::new());
    resolver.visit(targets, &|src: Source<'_>| {
        if let Some(f) = src.image_file()
            && let Ok(mut m) = shown.lock()
        {
            m.entry(f.id()).or_insert_with(|| src.display());
        }
        None::<()>
    });
    let shown = shown.into_inner().unwrap_or_default();
    let out: Mutex<ImageContracts> = Mutex::new(HashMap::new());
    let literal = crate::image_scan::literal_dirs(targets);
    loaded
        .prefetch(&literal, &|id, bytes| {
            let display = shown.get(&id).map_or("", String::as_str);
            let x = extract_bytes(display, bytes, false).map_err(|e| e.to_string());
            if let Ok(mut m) = out.lock() {
                m.insert(id, x);
            }
        })
        .map_err(fail)?;
    let (warnings, omitted) = loaded.warnings();
    for w in warnings {
        eprintln!("elfgate: {reference}: warning: {w}");
    }
    if omitted > 0 {
        eprintln!("elfgate: {reference}: warning: and {omitted} more entries skipped");
    }
    Ok((resolver, out.into_inner().unwrap_or_default()))
}

/// Reads every ELF file of the targets (in parallel) into its contract;
/// an image's files come from `extracted` when they are there.
fn collect(
    resolver: &Resolver,
    targets: &[String],
    verbose: bool,
    extracted: &ImageContracts,
    exports: Exports,
) -> Collected {
    let mut out = Collected::default();
    for t in targets {
        let found = resolver.visit(std::slice::from_ref(t), &|src: Source<'_>| {
            let named = src.named();
            let x = match src.image_file() {
                Some(file) => image_extract(&src, file, extracted, verbose),
                None => open_and_extract(&src, verbose, exports),
            };
            x.map(|r| (src.display(), named, r))
        });
        for f in found {
            match f {
                Found::File((display, named, Ok(x))) => {
                    let problems: Vec<String> = x
                        .report
                        .errors
                        .iter()
                        .map(|e| format!("{display}: {e}"))
                        .chain(x.errors.iter().cloned())
                        .collect();
                    if problems.is_empty() {
                        out.files.push((key_of(resolver, t, &display, named), x));
                    } else {
                        out.errors.extend(problems);
                    }
                }
                Found::File((_, _, Err(e))) => out.errors.push(e),
                Found::Error(e) => out.errors.push(e.to_string()),
                Found::Skipped(p, why) => {
                    if verbose {
                        eprintln!("elfgate: {p}: skipped ({why})");
                    }
                }
            }
        }
    }
    out
}

/// Contracts under their keys; two files with one key is a usage error.
fn contracts(files: Vec<(String, Extracted)>) -> Result<Vec<FileContract>, String> {
    let mut by_key: BTreeMap<String, (String, FileContract)> = BTreeMap::new();
    for (key, x) in files {
        let mut c = x.contract;
        c.path = key.clone();
        if let Some((other, _)) = by_key.get(&key) {
            return Err(format!(
                "{other} and {} would both be recorded as {key}: name them from a common \
                 directory or with --root",
                x.report.path
            ));
        }
        by_key.insert(key, (x.report.path, c));
    }
    Ok(by_key.into_values().map(|(_, c)| c).collect())
}

fn write_out(output: Option<&str>, bytes: &[u8]) -> Result<(), String> {
    match output {
        Some(path) => std::fs::write(path, bytes).map_err(|e| format!("--output {path}: {e}")),
        None => crate::run::write_stdout(bytes).map_err(|e| format!("writing output: {e}")),
    }
}

/// Writes a snapshot to `--output` or stdout as it is made, not first
/// into one buffer of its whole size.
fn write_snapshot(
    output: Option<&str>,
    snap: &crate::contract::Snapshot,
    table: &dyn Fn(&str) -> Option<Arc<ExportTable>>,
) -> Result<(), String> {
    match output {
        Some(path) => {
            let write = || {
                let mut out =
                    std::io::BufWriter::with_capacity(64 << 10, std::fs::File::create(path)?);
                snapshot::write_json_with(snap, &mut out, table)?;
                out.into_inner()
                    .map_err(std::io::IntoInnerError::into_error)?;
                Ok::<(), std::io::Error>(())
            };
            write().map_err(|e| format!("--output {path}: {e}"))
        }
        None => crate::run::write_stdout_with(|w| snapshot::write_json_with(snap, w, table))
            .map_err(|e| format!("writing output: {e}")),
    }
}

/// `elfgate snapshot`.
pub fn run_snapshot(a: &SnapshotArgs) -> u8 {
    let (resolver, extracted) = match &a.image.reference {
        Some(r) => match open_image(
            r,
            a.image.platform.as_deref(),
            a.image.max_file_size,
            &a.targets,
        ) {
            Ok(x) => x,
            Err((code, e)) => {
                eprintln!("elfgate: {e}");
                return code;
            }
        },
        None => match crate::run::resolver(a.root.as_deref()) {
            Ok(r) => (r, HashMap::new()),
            Err(e) => {
                eprintln!("elfgate: {e}");
                return EXIT_USAGE;
            }
        },
    };
    let got = collect(&resolver, &a.targets, a.verbose, &extracted, Exports::Table);
    if !got.errors.is_empty() {
        for e in &got.errors {
            eprintln!("elfgate: {e}");
        }
        eprintln!("elfgate: snapshot not written: a contract must cover every file");
        return EXIT_UNREADABLE;
    }
    if got.files.is_empty() {
        eprintln!("elfgate: no ELF file found in {}", a.targets.join(" "));
        return EXIT_UNREADABLE;
    }
    let mut files = got.files;
    // Exports stay in their files' symbol indexes until they are written.
    let tables: HashMap<String, Arc<ExportTable>> = files
        .iter_mut()
        .filter_map(|(key, x)| Some((key.clone(), x.table.take()?)))
        .collect();
    let files = match contracts(files) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("elfgate: {e}");
            return EXIT_USAGE;
        }
    };
    let snap = snapshot::snapshot(files);
    let table = |path: &str| tables.get(path).cloned();
    let written = write_snapshot(a.output.as_deref(), &snap, &table);
    // The process ends here: freeing a large library's tens of thousands of
    // strings one by one would only add to its run time.
    std::mem::forget(snap);
    match written {
        Ok(()) => EXIT_PASS,
        Err(e) => {
            eprintln!("elfgate: {e}");
            EXIT_UNREADABLE
        }
    }
}

/// Reads at most `limit + 1` bytes, so an oversized file is seen as such
/// without reading all of it.
fn read_bounded(path: &str, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::fs::File::open(path)?
        .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads a snapshot file.
pub fn read_snapshot(path: &str) -> Result<crate::contract::Snapshot, String> {
    let bytes = read_bounded(path, MAX_SNAPSHOT_BYTES).map_err(|e| format!("{path}: {e}"))?;
    snapshot::from_json(path, &bytes).map_err(|e| e.to_string())
}

/// One side of a diff.
enum Side {
    /// An ELF file named as a side.
    File(Box<FileContract>),
    /// A directory's files.
    Tree(Vec<FileContract>),
    /// A snapshot's files.
    Snapshot(Vec<FileContract>),
}

impl Side {
    /// The one file of a side that is a file: an ELF file, or a snapshot
    /// of exactly one (a tree is always paired by path).
    fn single(&self) -> Option<&FileContract> {
        match self {
            Side::File(f) => Some(f.as_ref()),
            Side::Snapshot(files) if files.len() == 1 => files.first(),
            Side::Snapshot(_) | Side::Tree(_) => None,
        }
    }

    fn files(&self) -> &[FileContract] {
        match self {
            Side::File(f) => std::slice::from_ref(f.as_ref()),
            Side::Tree(files) | Side::Snapshot(files) => files,
        }
    }
}

/// Whether a diff side names an image (skopeo's transports) rather than a path.
fn is_image_ref(arg: &str) -> bool {
    ["oci:", "oci-archive:", "docker-archive:"]
        .iter()
        .any(|t| arg.starts_with(t))
}

/// Reads one side: an image, a directory (as a root), an ELF file, or a
/// snapshot. Errors carry their exit status.
fn load_side(arg: &str, a: &DiffArgs) -> Result<Side, (u8, String)> {
    if is_image_ref(arg) {
        let all = ["/".to_string()];
        let (resolver, extracted) = open_image(arg, a.platform.as_deref(), a.max_file_size, &all)?;
        let got = collect(&resolver, &all, a.verbose, &extracted, Exports::Records);
        return finish_side(arg, got)
            .map(Side::Tree)
            .map_err(|e| (EXIT_UNREADABLE, e));
    }
    load_path_side(arg, a.verbose).map_err(|e| (EXIT_UNREADABLE, e))
}

/// A side that is a path: a directory (as a root), an ELF file, or a snapshot.
fn load_path_side(arg: &str, verbose: bool) -> Result<Side, String> {
    let meta = std::fs::metadata(arg).map_err(|e| format!("{arg}: {e}"))?;
    if meta.is_dir() {
        let root = std::fs::canonicalize(arg)
            .and_then(|p| input::DiskTree::open(&p))
            .map_err(|e| format!("{arg}: {e}"))?;
        let root = Resolver::Root(std::sync::Arc::new(root));
        let got = collect(
            &root,
            &["/".to_string()],
            verbose,
            &HashMap::new(),
            Exports::Records,
        );
        return finish_side(arg, got).map(Side::Tree);
    }
    let mut magic = [0u8; 4];
    let n = std::fs::File::open(arg)
        .and_then(|mut f| f.read(&mut magic))
        .map_err(|e| format!("{arg}: {e}"))?;
    if magic.get(..n) == Some(b"\x7fELF".as_slice()) {
        let got = collect(
            &Resolver::Host,
            &[arg.to_string()],
            verbose,
            &HashMap::new(),
            Exports::Records,
        );
        let mut files = finish_side(arg, got)?;
        return match files.pop() {
            Some(f) if files.is_empty() => Ok(Side::File(Box::new(f))),
            _ => Err(format!("{arg}: expected one file")),
        };
    }
    let bytes = read_bounded(arg, MAX_SNAPSHOT_BYTES).map_err(|e| format!("{arg}: {e}"))?;
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(format!(
            "{arg}: neither a directory, an ELF file nor a snapshot (elfgate snapshot's JSON)"
        ));
    }
    snapshot::from_json(arg, &bytes)
        .map(|s| Side::Snapshot(s.files))
        .map_err(|e| e.to_string())
}

fn finish_side(arg: &str, got: Collected) -> Result<Vec<FileContract>, String> {
    if !got.errors.is_empty() {
        return Err(got.errors.join("\nelfgate: "));
    }
    if got.files.is_empty() {
        return Err(format!("no ELF file found in {arg}"));
    }
    contracts(got.files)
}

/// `elfgate diff`.
pub fn run_diff(a: &DiffArgs) -> u8 {
    let accept = match &a.accept {
        None => Accept::default(),
        Some(path) => {
            let text = read_bounded(path, MAX_ACCEPT_BYTES)
                .map_err(|e| format!("--accept {path}: {e}"))
                .and_then(|b| {
                    String::from_utf8(b).map_err(|_| format!("--accept {path}: not UTF-8"))
                })
                .and_then(|t| Accept::from_yaml(path, &t).map_err(|e| e.to_string()));
            match text {
                Ok(acc) => acc,
                Err(e) => {
                    eprintln!("elfgate: {e}");
                    return EXIT_USAGE;
                }
            }
        }
    };
    let sides = rayon::join(|| load_side(&a.old, a), || load_side(&a.new, a));
    let (old, new) = match sides {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            let mut code = EXIT_UNREADABLE;
            for (c, e) in [o.err(), n.err()].into_iter().flatten() {
                eprintln!("elfgate: {e}");
                // A usage error (a reference that names no image) wins.
                if c == EXIT_USAGE {
                    code = EXIT_USAGE;
                }
            }
            return code;
        }
    };
    let changes = match (old.single(), new.single()) {
        (Some(o), Some(n)) => diff_files(&n.path, o, n),
        _ => diff_sets(old.files(), new.files()),
    };
    let (changes, accepted, unused) = accept.split(changes);
    if let Some(path) = &a.accept {
        for line in unused {
            eprintln!("elfgate: {path}:{line}: this accept entry matched no change");
        }
    }
    let report = DiffReport {
        changes: &changes,
        accepted: &accepted,
        fail_on: match a.fail_on {
            FailOn::Breaking => Class::Breaking,
            FailOn::Compatible => Class::Compatible,
            FailOn::Info => Class::Info,
        },
    };
    let out = match a.format {
        DiffFormat::Text => render::text(&report),
        DiffFormat::Json => render::json(&report),
        DiffFormat::Markdown => render::markdown(&report),
    };
    if let Err(e) = write_out(a.output.as_deref(), out.as_bytes()) {
        eprintln!("elfgate: {e}");
        return EXIT_UNREADABLE;
    }
    let fails = report.summary().fails;
    // As in `run_snapshot`: the process ends, the memory goes with it.
    std::mem::forget((old, new));
    if fails { EXIT_RULE_FAILED } else { EXIT_PASS }
}

/// What `check` read for the contract rules, and how to name the files
/// a baseline expects.
#[derive(Debug, Default)]
pub struct CheckContract {
    pub inputs: ContractInputs,
    /// Where a baseline file that no target paired with would have been:
    /// under `--root`, or under the first directory target.
    expected_under: Option<String>,
}

impl CheckContract {
    /// Verdicts for baseline files missing from the targets (file.removed).
    pub fn missing(&self, policy: &Policy) -> Vec<FileVerdict> {
        let Some(base) = &self.expected_under else {
            return Vec::new();
        };
        let shown = |key: &str| -> Option<String> {
            Some(match base.as_str() {
                "/" => format!("/{key}"),
                "" => key.to_string(),
                b => format!("{b}/{key}"),
            })
        };
        policy::contract::missing_files(policy, &self.inputs, &shown)
    }
}

/// The target a reported path was found under, and whether it is the
/// target itself.
fn target_of<'t>(
    resolver: &Resolver,
    targets: &'t [String],
    path: &str,
) -> Option<(&'t str, bool)> {
    let p = clean(path);
    targets.iter().find_map(|t| {
        let base = match resolver {
            Resolver::Root(_) | Resolver::Image(_) => clean(&input::in_root_display(t)),
            Resolver::Host => clean(t),
        };
        // A glob's files lie under its literal directory prefix.
        let base = if t.contains(['*', '?', '[']) {
            let lit: Vec<&str> = base
                .split('/')
                .take_while(|c| !c.contains(['*', '?', '[']))
                .collect();
            lit.join("/")
        } else {
            base
        };
        if p == base {
            Some((t.as_str(), true))
        } else if base.is_empty() || base == "/" || p.starts_with(&format!("{base}/")) {
            Some((t.as_str(), false))
        } else {
            None
        }
    })
}

/// Whether a target names a directory (or is a glob): its files are walked.
fn walks(resolver: &Resolver, t: &str) -> bool {
    if t.contains(['*', '?', '[']) {
        return true;
    }
    match resolver {
        Resolver::Host => Path::new(t).is_dir(),
        Resolver::Root(tree) => {
            use crate::input::Tree;
            tree.open(t.as_bytes()).map(|n| n.is_dir()).unwrap_or(false)
        }
        // In an image's merged tree: a target that expands to files other
        // than itself is a directory.
        Resolver::Image(_) => {
            let shown = input::in_root_display(t);
            resolver
                .expand(&[t.to_string()])
                .files
                .iter()
                .any(|f| f.display != shown)
        }
    }
}

fn side_of(x: &Extracted, display: &str) -> GoSide {
    let go = x.report.go.as_ref();
    GoSide {
        path: display.to_string(),
        is_go: go.is_some(),
        version: go.and_then(|g| g.version.clone()),
        buildmode: go.and_then(|g| g.buildmode.clone()),
        cgo: go.and_then(|g| g.cgo),
        links_plugin: x.links_plugin,
        link: x.link.clone(),
    }
}

/// Opens `path` through the resolver (inside `--root` when given) and
/// reads its contract.
fn extract_path(resolver: &Resolver, path: &str, host: bool) -> Result<Extracted, String> {
    let ex = resolver.expand(&[path.to_string()]);
    if let Some(e) = ex.errors.into_iter().next() {
        return Err(e.to_string());
    }
    let t = ex
        .files
        .into_iter()
        .next()
        .ok_or_else(|| format!("{path}: not a file"))?;
    let x = match &t.image {
        // A file of an image (`--image`) is read through the image.
        Some(file) => {
            let bytes = file.read(&t.display).map_err(|e| e.to_string())?;
            if bytes.get(..4) != Some(b"\x7fELF".as_slice()) {
                return Err(format!("{path}: not an ELF file"));
            }
            extract_bytes(&t.display, &bytes, host).map_err(|e| e.to_string())?
        }
        None => {
            let opened = match input::open(&t) {
                Ok(o) => o,
                Err(OpenError::NotElf(start)) => {
                    return Err(format!("{path}: not an ELF file ({})", start.reason()));
                }
                Err(OpenError::Input(e)) => return Err(e.to_string()),
            };
            extract_file(&t.display, opened, host, Exports::Records).map_err(|e| e.to_string())?
        }
    };
    let problems: Vec<String> = x
        .report
        .errors
        .iter()
        .cloned()
        .chain(x.errors.iter().cloned())
        .collect();
    if problems.is_empty() {
        Ok(x)
    } else {
        Err(problems.join("; "))
    }
}

/// Reads what the contract rules of `policy` need: baselines (an error
/// that stops `check`: exit 2), plugin hosts, and the contracts of the
/// reported files those rules apply to. `policy_file` locates relative
/// `baseline` paths of a policy file (flags are relative to the working
/// directory).
pub fn check_inputs(
    policy: &Policy,
    policy_file: Option<&str>,
    resolver: &Resolver,
    targets: &[String],
    reports: &[Report],
) -> Result<CheckContract, String> {
    let mut out = CheckContract::default();
    if !policy.needs_contracts() {
        return Ok(out);
    }
    let policy_dir = policy_file
        .and_then(|p| Path::new(p).parent())
        .map(Path::to_path_buf);
    for rs in &policy.rulesets {
        if let Some(b) = &rs.baseline
            && !out.inputs.baselines.contains_key(b)
        {
            let from_file = rs.name != policy::FLAGS_RULESET;
            let path = match (&policy_dir, from_file && Path::new(b).is_relative()) {
                (Some(dir), true) => dir.join(b).to_string_lossy().into_owned(),
                _ => b.clone(),
            };
            let what = if from_file { "baseline" } else { "--baseline" };
            let snap = read_snapshot(&path).map_err(|e| format!("{what} {b}: {e}"))?;
            let files = snap
                .files
                .into_iter()
                .map(|f| (f.path.clone(), f))
                .collect();
            out.inputs.baselines.insert(
                b.clone(),
                Ok(Baseline {
                    source: b.clone(),
                    files,
                }),
            );
        }
        if let Some(h) = &rs.plugin_host
            && !out.inputs.hosts.contains_key(h)
        {
            let host = extract_path(resolver, h, true).map(|x| side_of(&x, h));
            out.inputs.hosts.insert(h.clone(), host);
        }
    }
    let wanted: Vec<&Report> = reports
        .iter()
        .filter(|r| r.elf.is_some())
        .filter(|r| {
            policy
                .rulesets
                .iter()
                .any(|rs| rs.needs_contract() && rs.applies_to(&r.path))
        })
        .collect();
    let read: Vec<(String, FileInput)> = wanted
        .par_iter()
        .map(|r| {
            let key = match target_of(resolver, targets, &r.path) {
                Some((t, named)) => key_of(resolver, t, &r.path, named),
                None => key_of(resolver, "", &r.path, true),
            };
            let contract = extract_path(resolver, &r.path, false).map(|x| {
                let side = side_of(&x, &r.path);
                let mut c = x.contract;
                c.path = key.clone();
                (c, side)
            });
            (r.path.clone(), FileInput { key, contract })
        })
        .collect();
    out.inputs.files = read.into_iter().collect::<HashMap<_, _>>();
    out.expected_under = match resolver {
        Resolver::Root(_) | Resolver::Image(_) => targets
            .iter()
            .any(|t| walks(resolver, t))
            .then(|| "/".to_string()),
        Resolver::Host => targets
            .iter()
            .find(|t| walks(resolver, t))
            .map(|t| clean(t)),
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let h = Resolver::Host;
        assert_eq!(key_of(&h, "dist", "dist/lib/x.so", false), "lib/x.so");
        assert_eq!(key_of(&h, "./dist/", "./dist//lib/x.so", false), "lib/x.so");
        assert_eq!(key_of(&h, ".", "./x.so", false), "x.so");
        assert_eq!(key_of(&h, "/", "/usr/x.so", false), "usr/x.so");
        assert_eq!(key_of(&h, "a/b/x.so", "a/b/x.so", true), "x.so");
        let r = crate::run::resolver(Some("/tmp")).unwrap();
        assert_eq!(key_of(&r, "/app", "/app/bin/x", false), "app/bin/x");
        assert_eq!(clean("/a//./b/"), "/a/b");
        assert_eq!(
            target_of(&h, &["bin".into(), "x".into()], "bin/go/y"),
            Some(("bin", false))
        );
        assert_eq!(
            target_of(&h, &["lib/*.so".into()], "lib/a.so"),
            Some(("lib/*.so", false))
        );
        assert_eq!(target_of(&h, &["x".into()], "x"), Some(("x", true)));
    }
}
