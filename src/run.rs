//! Glue between the command line and the layers: expand targets, inspect
//! files in parallel, evaluate, render, write, and pick the exit status.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use clap::Parser;

use crate::cli::{Cli, Command, InspectArgs, InspectFormat, SelfCopyArgs};
use crate::facts::Report;
use crate::input::{DiskTree, FileId, Found, OpenError, Resolver, Source};
use crate::inspect::{self, FileError, Options};
use crate::render::inspect::Entry;
use crate::term::Progress;

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
        Command::Snapshot(a) => crate::contract_cmd::run_snapshot(&a),
        Command::Diff(a) => crate::contract_cmd::run_diff(&a),
        Command::Completions(a) => match write_stdout(&crate::completions::script(a.shell)) {
            Ok(()) => EXIT_PASS,
            Err(e) => {
                eprintln!("elfgate: writing output: {e}");
                EXIT_UNREADABLE
            }
        },
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
            let tree = crate::input::DiskTree::open(&p).map_err(|e| format!("--root {r}: {e}"))?;
            Ok(Resolver::Root(std::sync::Arc::new(tree)))
        }
    }
}

/// What happened to each file: a report, or a reason it was passed over.
pub struct Inspected {
    pub reports: Vec<Report>,
    /// Whether any target or file could not be read or parsed.
    pub unreadable: bool,
}

/// Inspects the files of one run. A file reached by several paths (a
/// library and the symlinks to it, hard links) is usually read once: its
/// report is kept by [`FileId`] (see [`Seen`]) and copied for the other paths.
pub struct Inspector<'q> {
    opts: Options<'q>,
    verbose: bool,
    seen: Mutex<Seen>,
    /// The load simulation, when asked for: the session, and the tree
    /// whose paths it takes (`None`: host paths, made absolute).
    load: Option<(crate::load::Session, Option<Arc<DiskTree>>)>,
    /// Files of an image whose bytes were read ahead (see [`Inspector::prefill`])
    /// and could not be parsed, by id: the error, without a path.
    failed: Mutex<HashMap<FileId, crate::elf::ElfError>>,
    /// Counts the files examined; drawn on a terminal (see `term`).
    progress: Progress,
    /// Whether the load simulation will run inside an image (see
    /// [`Inspector::plan_image_load`]).
    image_load: bool,
    /// With `image_load`: what the simulation parsed of each file read
    /// ahead (programs, and the libraries fetched for them), by id, until
    /// the simulation's session takes them: nothing is read from a layer
    /// twice.
    preparsed: Mutex<HashMap<FileId, Arc<crate::load::Parsed>>>,
    /// Whether each report's JSON is made where the report is, ahead of
    /// its turn to be written (see [`Inspector::make_json_ahead`]).
    json_ahead: bool,
}

/// Reports of files read from disk kept for other paths to them: the
/// most recent ones only. Links to a file nearly always sit in its own
/// directory, walked at about the same time; keeping every report made a
/// tree walk's memory grow with the number of ELF files (8 MiB over
/// `/usr/lib`'s 2,800). A file met again after its report was let go is
/// read again, which gives the same report.
const SEEN_RECENT: usize = 256;

/// Reports by file: a bounded set of recent ones, and those of an image's
/// files read ahead, kept until the walk (see [`Inspector::prefill`]):
/// reading those again would mean reading their layer again.
struct Seen {
    reports: HashMap<FileId, Arc<Report>>,
    /// The ids of the recent reports, oldest first (an id may appear twice
    /// when two threads read the same file at once).
    order: std::collections::VecDeque<FileId>,
    limit: usize,
}

impl Seen {
    fn new(limit: usize) -> Self {
        Seen {
            reports: HashMap::new(),
            order: std::collections::VecDeque::new(),
            limit,
        }
    }

    fn get(&self, id: &FileId) -> Option<&Arc<Report>> {
        self.reports.get(id)
    }

    fn contains_key(&self, id: &FileId) -> bool {
        self.reports.contains_key(id)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.reports.len()
    }

    /// Keeps a report until the end of the run.
    fn keep(&mut self, id: FileId, report: Arc<Report>) {
        self.reports.insert(id, report);
    }

    /// Keeps a report while it is among the `limit` most recent.
    fn recent(&mut self, id: FileId, report: Arc<Report>) {
        self.reports.insert(id, report);
        self.order.push_back(id);
        while self.order.len() > self.limit {
            if let Some(old) = self.order.pop_front()
                && !self.order.contains(&old)
            {
                self.reports.remove(&old);
            }
        }
    }
}

impl<'q> Inspector<'q> {
    pub fn new(opts: Options<'q>, verbose: bool) -> Self {
        Inspector {
            opts,
            verbose,
            seen: Mutex::new(Seen::new(SEEN_RECENT)),
            load: None,
            failed: Mutex::new(HashMap::new()),
            progress: Progress::disabled(),
            image_load: false,
            preparsed: Mutex::new(HashMap::new()),
            json_ahead: false,
        }
    }

    /// Makes each report's JSON (see [`crate::render::inspect::JsonFile`])
    /// on the thread that inspected the file, for output written in walk
    /// order by one thread.
    pub fn make_json_ahead(&mut self) {
        self.json_ahead = true;
    }

    /// Reports progress through `progress` (erased when the inspector is
    /// dropped, before anything else is printed).
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Inspects the bytes of an image's file read ahead of the walk (as an
    /// image's layers stream past) and keeps the report by id, so that
    /// every path the walk reaches it by gets it (see `input::image`).
    pub fn prefill(&self, id: FileId, bytes: &[u8]) {
        if self.seen().contains_key(&id) {
            return;
        }
        if self.image_load {
            let parsed = crate::load::Parsed::of_bytes(bytes, bytes.len() as u64);
            self.preparsed().insert(id, Arc::new(parsed));
        }
        match inspect::inspect_bytes("", bytes, &self.opts) {
            Ok(r) => {
                self.seen().keep(id, Arc::new(r));
            }
            Err(FileError::Elf { source, .. }) => {
                self.failed
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id, source);
            }
            // Bytes are never a path that failed to open.
            Err(_) => {}
        }
    }

    /// [`Inspector::outcome`] for a file inside an image: its report was
    /// made as its layer streamed past, or its bytes are read now.
    fn image_outcome(
        &self,
        src: &Source<'_>,
        file: &crate::input::image::ImageFile,
    ) -> Option<Outcome> {
        let start = file.start();
        if !start.is_elf() {
            if !src.named() {
                return self
                    .verbose
                    .then(|| Outcome::Skipped(src.display(), "not ELF"));
            }
            let path = src.display();
            let e = FileError::NotElf {
                path: path.clone(),
                reason: start.reason(),
            };
            return Some(Outcome::Failed(path, e.to_string()));
        }
        let display = src.display();
        let (index, diff_id) = file.layer();
        let layer = crate::facts::LayerRef {
            index,
            diff_id: diff_id.to_string(),
        };
        let id = file.id();
        let with_path = |r: &Report| {
            let mut r = r.clone();
            r.path = display.clone();
            r.layer = Some(layer.clone());
            self.add_load_facts(src, &mut r);
            Outcome::Report(Arc::new(r), None)
        };
        if let Some(known) = self.seen().get(&id).cloned() {
            return Some(with_path(&known));
        }
        let failed = self
            .failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned();
        if let Some(e) = failed {
            let e = FileError::Elf {
                path: display.clone(),
                source: e,
            };
            return Some(Outcome::Failed(display, e.to_string()));
        }
        let bytes = match file.read(&display) {
            Ok(b) => b,
            Err(e) => return Some(Outcome::Failed(display, e.to_string())),
        };
        if let Some((session, _)) = &self.load {
            let parsed = crate::load::Parsed::of_bytes(&bytes, bytes.len() as u64);
            session.adopt(id, Arc::new(parsed));
        }
        Some(match inspect::inspect_bytes(&display, &bytes, &self.opts) {
            Ok(r) => {
                let r = Arc::new(r);
                self.seen().keep(id, Arc::clone(&r));
                with_path(&r)
            }
            Err(e) => Outcome::Failed(display, e.to_string()),
        })
    }

    /// Adds the load simulation (`Report::load`) to every report, in the
    /// root of `resolver`.
    pub fn with_load(mut self, resolver: &Resolver, options: crate::load::Options) -> Self {
        self.set_load(resolver, options);
        self
    }

    /// Keeps what the load simulation parses of a file of an image read for
    /// it (a library), by id (see [`Inspector::plan_image_load`]).
    pub fn preload(&self, id: FileId, bytes: &[u8]) {
        let parsed = crate::load::Parsed::of_bytes(bytes, bytes.len() as u64);
        self.preparsed().insert(id, Arc::new(parsed));
    }

    /// [`Inspector::with_load`] on an inspector already made. Inside an
    /// image, the simulation reads the image's merged tree
    /// (`input::image::ImageTree`); call [`Inspector::plan_image_load`]
    /// before its layers are read.
    pub fn set_load(&mut self, resolver: &Resolver, options: crate::load::Options) {
        let root = resolver.tree().cloned();
        let tree: Arc<dyn crate::input::Tree> = match (&root, resolver) {
            (Some(t), _) => Arc::clone(t) as Arc<dyn crate::input::Tree>,
            (None, Resolver::Image(image)) => {
                Arc::new(crate::input::image::ImageTree::new(Arc::clone(image)))
            }
            (None, _) => match DiskTree::open(std::path::Path::new("/")) {
                Ok(t) => Arc::new(t),
                // No `/` to open: every simulation then says why.
                Err(_) => Arc::new(crate::input::tree::EmptyTree),
            },
        };
        let session = crate::load::Session::new(tree, options);
        for (id, parsed) in self.preparsed().drain() {
            session.adopt(id, parsed);
        }
        self.load = Some((session, root));
    }

    /// Says, before an image's layers are read, that the load simulation
    /// will run inside it: what it needs of each program is then parsed
    /// from the bytes read for its report, and the libraries it will open
    /// are fetched in one pass (see `input::image::loadset`).
    pub fn plan_image_load(&mut self) {
        self.image_load = true;
    }

    /// Whether [`Inspector::plan_image_load`] was called.
    pub fn plans_image_load(&self) -> bool {
        self.image_load
    }

    fn preparsed(&self) -> std::sync::MutexGuard<'_, HashMap<FileId, Arc<crate::load::Parsed>>> {
        // Nothing panics while holding the lock; a poisoned map is still whole.
        self.preparsed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the load simulation without freeing what it kept one small
    /// allocation at a time (thousands of objects): the process ends once
    /// the output is written.
    pub fn leak_load(&mut self) {
        if let Some(load) = self.load.take() {
            std::mem::forget(load);
        }
    }

    /// [`Inspector::leak_load`], and the same for the reports kept for
    /// files met twice, once nothing takes them out any more: freeing them
    /// was the last thing the writing thread did, alone.
    fn leak_all(&mut self) {
        self.leak_load();
        std::mem::forget(std::mem::replace(
            self.seen.get_mut().unwrap_or_else(PoisonError::into_inner),
            Seen::new(0),
        ));
    }

    /// Sets the report's load facts (for the path of `src`), when the
    /// simulation is on.
    fn add_load_facts(&self, src: &Source<'_>, report: &mut Report) {
        let Some((session, root)) = &self.load else {
            return;
        };
        if report.elf.is_none() {
            return;
        }
        let fs_path = src.fs_path();
        let path: Vec<u8> = match (src.image_file(), root) {
            (Some(file), _) => file.path(),
            (None, Some(tree)) => crate::input::in_tree_path(tree, &fs_path),
            (None, None) => {
                use std::os::unix::ffi::OsStrExt;
                let abs = if fs_path.is_absolute() {
                    fs_path
                } else {
                    std::env::current_dir().unwrap_or_default().join(fs_path)
                };
                abs.as_os_str().as_bytes().to_vec()
            }
        };
        let hints = crate::load::Hints {
            goamd64: report
                .go
                .as_ref()
                .and_then(|g| g.arch_level.as_ref())
                .filter(|s| s.key == "GOAMD64")
                .and_then(|s| s.value.strip_prefix('v'))
                .and_then(|v| v.parse().ok()),
        };
        report.load = Some(session.load(&path, &report.path, hints));
    }

    /// Inspects the files of `targets` (walked in parallel, see
    /// [`Resolver::visit`]); reports come out in walk order, errors in place.
    pub fn targets(&self, resolver: &Resolver, targets: &[String]) -> Vec<Found<Outcome>> {
        resolver.visit(targets, &|src: Source<'_>| self.outcome(&src))
    }

    /// [`Inspector::targets`], handing the outcomes to `consume` in walk
    /// order while the walk goes on (see [`Resolver::visit_in_order`]), so
    /// that each can be written and dropped rather than all kept.
    pub fn targets_in_order<R>(
        &self,
        resolver: &Resolver,
        targets: &[String],
        consume: impl FnOnce(&mut dyn Iterator<Item = Found<Outcome>>) -> R,
    ) -> R {
        resolver.visit_in_order(targets, &|src: Source<'_>| self.outcome(&src), consume)
    }

    /// Whether a progress line may be drawn: output must then wait until
    /// the inspector is dropped, which erases it.
    pub fn draws_progress(&self) -> bool {
        self.progress.draws()
    }

    /// Opens and inspects one file. A file found by walking that is not ELF
    /// is passed over: with `verbose` it is said so, otherwise nothing is
    /// kept (nor its path built).
    pub fn outcome(&self, src: &Source<'_>) -> Option<Outcome> {
        match self.inspect_one(src)? {
            Outcome::Report(r, None) if self.json_ahead => {
                let json = crate::render::inspect::JsonFile::of(&r);
                Some(Outcome::Report(r, json))
            }
            o => Some(o),
        }
    }

    fn inspect_one(&self, src: &Source<'_>) -> Option<Outcome> {
        self.progress.tick();
        if let Some(file) = src.image_file() {
            return self.image_outcome(src, file);
        }
        let opened = match src.open() {
            Ok(o) => o,
            Err(OpenError::NotElf(_)) if !src.named() => {
                return self
                    .verbose
                    .then(|| Outcome::Skipped(src.display(), "not ELF"));
            }
            Err(OpenError::NotElf(start)) => {
                let path = src.display();
                let e = FileError::NotElf {
                    path: path.clone(),
                    reason: start.reason(),
                };
                return Some(Outcome::Failed(path, e.to_string()));
            }
            Err(OpenError::Input(e)) => {
                return Some(Outcome::Failed(src.display(), e.to_string()));
            }
        };
        let display = src.display();
        let id = opened.id;
        // A report depends on the file's bytes only, and names its path.
        if let Some(known) = self.seen().get(&id).cloned() {
            let mut r = Report::clone(&known);
            r.path = display;
            self.add_load_facts(src, &mut r);
            return Some(Outcome::Report(Arc::new(r), None));
        }
        // With the load simulation on, the program is parsed for it from
        // the bytes read for its report.
        let report = match &self.load {
            Some((session, _)) => {
                let len = opened.len;
                let (report, parsed) =
                    inspect::inspect_file_also(&display, opened, &self.opts, |data| {
                        crate::load::Parsed::of_program_data(data, len)
                    });
                if let (Ok(r), Some(p)) = (&report, parsed)
                    && r.elf.is_some()
                {
                    session.lend(id, Arc::new(p));
                }
                report
            }
            None => inspect::inspect_file(&display, opened, &self.opts),
        };
        Some(match report {
            Ok(mut r) => {
                // Kept with this path's load facts: another path to the
                // file gets its own.
                self.add_load_facts(src, &mut r);
                let r = Arc::new(r);
                self.seen().recent(id, Arc::clone(&r));
                Outcome::Report(r, None)
            }
            Err(e) => Outcome::Failed(display, e.to_string()),
        })
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        // Nothing panics while holding the lock; a poisoned map is still whole.
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Prints what was found to stderr (errors, and with `verbose` what was
/// skipped), in order, and keeps the reports. A file that could not be
/// read gets a report too, naming it with its error, so JSON consumers see
/// every file named.
pub fn finish(found: Vec<Found<Outcome>>, verbose: bool) -> Inspected {
    let mut reports = Reports::new(found.into_iter(), verbose);
    // Not copied once the inspector that shared them is gone.
    let kept = reports
        .by_ref()
        .map(|e| Arc::unwrap_or_clone(e.report))
        .collect();
    Inspected {
        reports: kept,
        unreadable: reports.unreadable,
    }
}

/// [`finish`] one file at a time: the reports of what was found, in
/// order, each error (and with `verbose` each skipped file) printed to
/// stderr when its turn comes.
pub struct Reports<I> {
    found: I,
    verbose: bool,
    /// Whether any file so far could not be read or parsed.
    pub unreadable: bool,
}

impl<I: Iterator<Item = Found<Outcome>>> Reports<I> {
    pub fn new(found: I, verbose: bool) -> Self {
        Reports {
            found,
            verbose,
            unreadable: false,
        }
    }

    /// The report of one finding, if it has one.
    fn report(&mut self, f: Found<Outcome>) -> Option<Entry> {
        let mut err = std::io::stderr().lock();
        let o = match f {
            Found::File(o) => o,
            Found::Error(e) => Outcome::Failed(error_path(&e), e.to_string()),
            Found::Skipped(p, why) => Outcome::Skipped(p, why),
        };
        match o {
            Outcome::Report(report, json) => {
                if !report.errors.is_empty() {
                    self.unreadable = true;
                    for e in &report.errors {
                        let _ = writeln!(err, "elfgate: {}: {e}", report.path);
                    }
                }
                Some(Entry { report, json })
            }
            Outcome::Skipped(path, why) => {
                if self.verbose {
                    let _ = writeln!(err, "elfgate: {path}: skipped ({why})");
                }
                None
            }
            Outcome::Failed(path, e) => {
                let _ = writeln!(err, "elfgate: {e}");
                self.unreadable = true;
                Some(Entry {
                    report: Arc::new(Report {
                        path,
                        errors: vec![e],
                        ..Report::default()
                    }),
                    json: None,
                })
            }
        }
    }
}

impl<I: Iterator<Item = Found<Outcome>>> Iterator for Reports<I> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        loop {
            let f = self.found.next()?;
            if let Some(r) = self.report(f) {
                return Some(r);
            }
        }
    }
}

/// What became of one file.
pub enum Outcome {
    /// Shared with the inspector while it lives (see [`Inspector`]); with
    /// its JSON when made ahead (see [`Inspector::json_ahead`]).
    Report(Arc<Report>, Option<crate::render::inspect::JsonFile>),
    Skipped(String, &'static str),
    /// The path and the error, which names the path itself.
    Failed(String, String),
}

fn error_path(e: &crate::input::InputError) -> String {
    use crate::input::InputError::*;
    match e {
        Io { path, .. }
        | NotFound { path, .. }
        | SymlinkLoop { path }
        | NotRegular { path, .. } => path.clone(),
    }
}

fn run_inspect(a: &InspectArgs) -> u8 {
    let opts = Options {
        digest: a.digest,
        symbols: None,
    };
    let mut inspector = Inspector::new(opts, a.verbose).with_progress(Progress::stderr("inspect"));
    let mut image = None;
    let mut paths = a.paths.clone();
    let mut missing = false;
    let mut image_library_path = None;
    if a.load && a.image.reference.is_some() {
        inspector.plan_image_load();
    }
    let resolver = match &a.image.reference {
        Some(r) => match crate::image_scan::prepare(&a.image, r, &a.paths, &inspector) {
            Ok(scan) => {
                image_library_path = scan.ld_library_path;
                for (path, note) in &scan.notes {
                    eprintln!("elfgate: {path}: {note}");
                }
                if let Some((name, why)) = &scan.missing {
                    eprintln!("elfgate: {name}: {why}");
                    missing = true;
                }
                paths = scan.targets;
                image = Some(scan.facts);
                scan.resolver
            }
            Err(e) => {
                eprintln!("elfgate: {e}");
                return match e {
                    crate::input::image::ImageError::Usage(_) => EXIT_USAGE,
                    crate::input::image::ImageError::Damaged(_) => EXIT_UNREADABLE,
                };
            }
        },
        None => match resolver(a.root.as_deref()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("elfgate: {e}");
                return EXIT_USAGE;
            }
        },
    };
    if a.load {
        // Inside an image, its config's `LD_LIBRARY_PATH` unless the flag says.
        let library_path = a.library_path.clone().or(image_library_path);
        match load_options(a.cpu.as_deref(), library_path.as_deref()) {
            Ok(o) => inspector.set_load(&resolver, o),
            Err(e) => {
                eprintln!("elfgate: {e}");
                return EXIT_USAGE;
            }
        }
    } else {
        // A flag without --load is a mistake; the same value from the
        // environment a pod shares with `check --loadable` is not.
        let from_env = |v: &Option<String>, var: &str| {
            v.is_none() || std::env::var(var).ok().as_deref() == v.as_deref()
        };
        if !(from_env(&a.cpu, "ELFGATE_CPU") && from_env(&a.library_path, "ELFGATE_LIBRARY_PATH")) {
            eprintln!("elfgate: --cpu and --library-path apply to --load");
            return EXIT_USAGE;
        }
    }
    // Each report is written when its turn comes and then dropped, unless
    // a progress line is drawn: output then waits for the walk's end.
    let write = |found: &mut dyn Iterator<Item = Found<Outcome>>| {
        let mut reports = Reports::new(found, a.verbose);
        let written = write_stdout_with(|out| match a.format {
            InspectFormat::Text => {
                let mut reports = reports.by_ref().map(|e| e.report);
                crate::render::inspect::text_stream_to(&mut reports, image.as_ref(), out)
            }
            InspectFormat::Json => {
                crate::render::inspect::json_stream_to(&mut reports, image.as_ref(), out)
            }
        });
        // What was not written still says whether every file was read.
        reports.by_ref().for_each(drop);
        (written, reports.unreadable)
    };
    // With the load simulation a report is large and slow to make, and
    // serializing it on the writing thread left that thread behind the
    // walk. Without it the writer keeps up, and JSON made ahead would only
    // wait in memory beside the reports (a tree's peak RSS went from 15 to
    // 24 MiB).
    if a.format == InspectFormat::Json && a.load {
        inspector.make_json_ahead();
    }
    let (written, unreadable) = if inspector.draws_progress() {
        let found = inspector.targets(&resolver, &paths);
        inspector.leak_all();
        // Erases the progress line before anything else is printed.
        drop(inspector);
        write(&mut found.into_iter())
    } else {
        let r = inspector.targets_in_order(&resolver, &paths, write);
        inspector.leak_all();
        r
    };
    if let Err(e) = written {
        eprintln!("elfgate: writing output: {e}");
        return EXIT_UNREADABLE;
    }
    if unreadable || missing {
        EXIT_UNREADABLE
    } else {
        EXIT_PASS
    }
}

/// The load simulation's options from `--cpu` and `--library-path`.
pub fn load_options(
    cpu: Option<&str>,
    library_path: Option<&str>,
) -> Result<crate::load::Options, String> {
    let cpu = match cpu {
        Some(c) => crate::load::CpuSpec::parse(c).map_err(|e| format!("--cpu {c:?}: {e}"))?,
        None => crate::load::CpuSpec::Host,
    };
    Ok(crate::load::Options {
        cpu,
        library_path: library_path.map(|l| l.as_bytes().to_vec()),
    })
}

/// Lets `write` write to stdout through a buffer; a closed pipe is not an
/// error, as in [`write_stdout`].
pub fn write_stdout_with(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reports(found: Vec<Found<Outcome>>) -> Vec<Report> {
        finish(found, false).reports
    }

    /// Reports from disk are kept while among the most recent; an image's
    /// read ahead stay until the end; an id stored twice (two threads read
    /// the file at once) stays while either is recent.
    #[test]
    fn seen_keeps_recent_reports_and_images_read_ahead() {
        let id = |n| FileId::synthetic(1, n, 0);
        let report = || Arc::new(Report::default());
        let mut seen = Seen::new(3);
        seen.keep(id(100), report());
        for n in 0..10 {
            seen.recent(id(n), report());
        }
        let kept: Vec<bool> = (0..10).map(|n| seen.contains_key(&id(n))).collect();
        assert_eq!(
            kept,
            [
                false, false, false, false, false, false, false, true, true, true
            ]
        );
        assert!(seen.contains_key(&id(100)), "read ahead from an image");
        assert_eq!(seen.len(), 4);

        seen.recent(id(7), report());
        seen.recent(id(11), report());
        seen.recent(id(12), report());
        // 7 is both the oldest and the newest but one: still kept.
        assert!(seen.contains_key(&id(7)));
        assert!(!seen.contains_key(&id(8)) && !seen.contains_key(&id(9)));
        seen.recent(id(13), report());
        assert!(!seen.contains_key(&id(7)));
        assert_eq!(seen.len(), 4, "11, 12, 13 and the image's");
    }

    /// A library, a symlink and a hard link to it, and a copy: one file is
    /// read once and reported under each path exactly as if read alone.
    #[test]
    fn a_file_reached_by_several_paths_is_read_once() {
        let d = tempfile::tempdir().unwrap();
        let fixture =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/go127-cshared.so");
        let lib = d.path().join("lib.so.1");
        std::fs::copy(&fixture, &lib).unwrap();
        std::fs::copy(&fixture, d.path().join("copy.so")).unwrap();
        std::fs::hard_link(&lib, d.path().join("hard.so")).unwrap();
        std::os::unix::fs::symlink("lib.so.1", d.path().join("lib.so")).unwrap();

        let dir = d.path().to_str().unwrap().to_string();
        let inspector = Inspector::new(Options::default(), false);
        let shared = reports(inspector.targets(&Resolver::Host, &[dir]));
        let names: Vec<&str> = shared
            .iter()
            .map(|r| r.path.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(names, ["copy.so", "hard.so", "lib.so", "lib.so.1"]);
        assert_eq!(inspector.seen().len(), 2, "the copy is another file");
        for r in &shared {
            let alone = Inspector::new(Options::default(), false);
            let own = reports(alone.targets(&Resolver::Host, std::slice::from_ref(&r.path)));
            assert_eq!(
                serde_json::to_value(&own[0]).unwrap(),
                serde_json::to_value(r).unwrap()
            );
        }
        assert!(shared[0].go.is_some(), "the fixture is a Go library");
    }
}
