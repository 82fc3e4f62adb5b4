//! Glue between the command line and the layers: expand targets, inspect
//! files in parallel, evaluate, render, write, and pick the exit status.

use std::io::Write;

use clap::Parser;
use rayon::prelude::*;

use crate::cli::{Cli, Command, InspectArgs, InspectFormat, SelfCopyArgs};
use crate::facts::Report;
use crate::input::{Found, Resolver};
use crate::inspect::{self, FileError, Options};

/// Exit statuses (see `cli::EXIT_CODES`).
pub const EXIT_PASS: u8 = 0;
pub const EXIT_RULE_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNREADABLE: u8 = 3;

/// Parses the command line and runs it; returns the exit status.
pub fn main() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and errors to stderr.
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_PASS
            };
        }
    };
    match cli.command {
        Command::Inspect(a) => run_inspect(&a),
        Command::Check(a) => crate::check::run(&a),
        Command::SelfCopy(a) => self_copy(&a),
    }
}

/// Builds the resolver for an optional `--root`; a root that is not a
/// directory is a usage error.
pub fn resolver(root: Option<&str>) -> Result<Resolver, String> {
    match root {
        None => Ok(Resolver::Host),
        Some(r) => {
            let p = std::fs::canonicalize(r).map_err(|e| format!("--root {r}: {e}"))?;
            if !p.is_dir() {
                return Err(format!("--root {r}: not a directory"));
            }
            Ok(Resolver::Root(p))
        }
    }
}

/// What happened to each file: a report, or a reason it was passed over.
pub struct Inspected {
    pub reports: Vec<Report>,
    /// Whether any target or file could not be read or parsed.
    pub unreadable: bool,
}

/// Inspects files while they are being found: one thread walks and feeds
/// the findings to rayon's workers, so the walk overlaps the reading. Every
/// finding carries its index, and reports come out in that order, errors
/// in place. Errors are also printed to stderr, and recorded in a report
/// for the file, so JSON consumers see every file named.
pub fn inspect_stream<P>(produce: P, opts: &Options, verbose: bool) -> Inspected
where
    P: FnOnce(&mut dyn FnMut(Found)) + Send,
{
    // Findings travel in batches: one hand-off per file would cost more in
    // synchronisation than opening a non-ELF file does.
    const BATCH: usize = 64;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(usize, Found)>>(64);
    let mut results: Vec<(usize, Outcome)> = std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut n = 0usize;
            let mut batch = Vec::with_capacity(BATCH);
            produce(&mut |f| {
                batch.push((n, f));
                n += 1;
                if batch.len() == BATCH {
                    // The receiver lives until every batch is consumed.
                    let _ = tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                }
            });
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
        });
        rx.into_iter()
            .par_bridge()
            .flat_map_iter(|batch| {
                batch
                    .into_iter()
                    .map(|(i, found)| (i, outcome(found, opts)))
            })
            .collect()
    });
    results.sort_unstable_by_key(|(i, _)| *i);

    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    let mut unreadable = false;
    let mut reports = Vec::new();
    for (_, o) in results {
        match o {
            Outcome::Report(report) => {
                if !report.errors.is_empty() {
                    unreadable = true;
                    for e in &report.errors {
                        let _ = writeln!(err, "elfgate: {}: {e}", report.path);
                    }
                }
                reports.push(*report);
            }
            Outcome::Skipped(path, why) => {
                if verbose {
                    let _ = writeln!(err, "elfgate: {path}: skipped ({why})");
                }
            }
            Outcome::Failed(path, e) => {
                let _ = writeln!(err, "elfgate: {e}");
                unreadable = true;
                reports.push(Report {
                    path,
                    errors: vec![e],
                    ..Report::default()
                });
            }
        }
    }
    Inspected {
        reports,
        unreadable,
    }
}

/// What became of one finding.
enum Outcome {
    /// Boxed: most findings of a tree are skips, and the slot of every
    /// finding is held until the end.
    Report(Box<Report>),
    Skipped(String, &'static str),
    /// The path and the error, which names the path itself.
    Failed(String, String),
}

fn outcome(found: Found, opts: &Options) -> Outcome {
    match found {
        Found::File(t) => match inspect::inspect_target(&t, opts) {
            Ok(r) => Outcome::Report(Box::new(r)),
            Err(FileError::NotElf { .. }) if !t.named => Outcome::Skipped(t.display, "not ELF"),
            Err(e) => Outcome::Failed(t.display, e.to_string()),
        },
        Found::Error(e) => Outcome::Failed(error_path(&e), e.to_string()),
        Found::Skipped(p, why) => Outcome::Skipped(p, why),
    }
}

fn error_path(e: &crate::input::InputError) -> String {
    use crate::input::InputError::*;
    match e {
        Io { path, .. }
        | NotFound { path, .. }
        | SymlinkLoop { path }
        | NotRegular { path, .. }
        | NotElf { path, .. } => path.clone(),
    }
}

fn run_inspect(a: &InspectArgs) -> u8 {
    let resolver = match resolver(a.root.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("elfgate: {e}");
            return EXIT_USAGE;
        }
    };
    let opts = Options {
        digest: a.digest,
        symbols: None,
    };
    let paths = &a.paths;
    let done = inspect_stream(|sink| resolver.expand_each(paths, sink), &opts, a.verbose);
    let out = match a.format {
        InspectFormat::Text => crate::render::inspect::text(&done.reports),
        InspectFormat::Json => crate::render::inspect::json(&done.reports),
    };
    if let Err(e) = write_stdout(out.as_bytes()) {
        eprintln!("elfgate: writing output: {e}");
        return EXIT_UNREADABLE;
    }
    if done.unreadable {
        EXIT_UNREADABLE
    } else {
        EXIT_PASS
    }
}

/// Writes to stdout; a closed pipe (`elfgate inspect | head`) is not an error.
pub fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// Copies the running executable to `dest`, so an image with no shell can
/// hand elfgate to another container through a shared volume.
fn self_copy(a: &SelfCopyArgs) -> u8 {
    let result = std::env::current_exe().and_then(|exe| {
        use std::os::unix::fs::OpenOptionsExt;
        let tmp = format!("{}.tmp.{}", a.dest, std::process::id());
        // A link planted at the temporary name must not redirect the write.
        let _ = std::fs::remove_file(&tmp);
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o755)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        std::io::copy(&mut std::fs::File::open(exe)?, &mut out)?;
        out.sync_all()?;
        std::fs::rename(&tmp, &a.dest)
    });
    match result {
        Ok(()) => EXIT_PASS,
        Err(e) => {
            eprintln!("elfgate: self-copy to {}: {e}", a.dest);
            EXIT_UNREADABLE
        }
    }
}
