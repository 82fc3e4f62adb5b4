//! Expanding targets into files, in parallel, with results in walk order.
//!
//! Every directory is a job on rayon's pool: it is opened once, listed with
//! `getdents64` (the entry types come with the names, so nothing is
//! `stat`ed), and its files are opened relative to its descriptor, so the
//! kernel looks up one name per file instead of the whole path. A large
//! directory's files are split into runs of [`RUN`] that other threads may
//! take. Each job numbers its output; the pieces are put back in the order a
//! sequential depth-first walk would give (a directory's files, links and
//! special files by name, then its subdirectories by name, each whole).
//!
//! Jobs wait in one queue ordered by that walk order ([`Key`]), and every
//! thread takes the first: all threads work near the place the output has
//! reached. With rayon's own deques a thread that stole took the oldest
//! job, a whole subtree far ahead, and its reports waited in memory for
//! their turn (45 MiB peak RSS over `/`).
//!
//! Descriptors: a directory is opened by its path when its job starts (not
//! relative to its parent's descriptor, which would have to stay open until
//! every subdirectory started: one per level of a deep tree) and closed when
//! its last run of files is done, so at most a few are open at a time.

use std::cmp::Ordering as Order;
use std::collections::{BinaryHeap, HashMap};
use std::ffi::CStr;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawDir};

use super::{
    DiskTree, Follow, Found, InputError, OpenError, Opened, Resolver, Target, escape_bytes,
    in_tree_path, io_or_missing, sniff,
};

/// Entries (other than subdirectories) handled by one job: large enough that
/// handing a run to another thread costs little beside opening its files,
/// small enough that a directory of thousands of files is shared out.
const RUN: usize = 64;

/// Buffer for one `getdents64` call; any entry fits (names are at most 255 bytes).
const LISTING_BUFFER: usize = 32 * 1024;

/// `PATH_MAX`: the kernel refuses a path of this many bytes or more.
const PATH_MAX: usize = 4096;

/// A regular file to visit: either an entry of a directory being walked
/// (opened relative to the directory's descriptor), or a [`Target`] (a file
/// named on the command line, or found through a symlink), opened by path.
pub struct Source<'a>(Place<'a>);

enum Place<'a> {
    Entry(&'a Listing, &'a Entry),
    Target(&'a Target),
    /// A file inside an image (`--image`).
    Image(&'a super::image::Visit),
}

impl<'a> Source<'a> {
    /// A file known by its path.
    pub fn target(t: &'a Target) -> Self {
        Source(Place::Target(t))
    }

    /// A file an image walk reached.
    pub fn image(v: &'a super::image::Visit) -> Self {
        Source(Place::Image(v))
    }

    /// The file inside an image this is, if it is one: it is read through
    /// the image, never opened on the host.
    pub fn image_file(&self) -> Option<&'a super::image::ImageFile> {
        match self.0 {
            Place::Image(v) => Some(&v.file),
            Place::Target(t) => t.image.as_ref(),
            Place::Entry(..) => None,
        }
    }

    /// The path shown to the user (built on demand: a walk shows few of them).
    pub fn display(&self) -> String {
        match self.0 {
            Place::Entry(dir, e) => dir.child_display(e),
            Place::Target(t) => t.display.clone(),
            Place::Image(v) => v.display.clone(),
        }
    }

    /// Where the file is on this machine (a symlink named under `--root`
    /// is given resolved); empty for a file inside an image, which has none.
    pub fn fs_path(&self) -> PathBuf {
        match self.0 {
            Place::Entry(dir, e) => dir.fs_path.join(std::ffi::OsStr::from_bytes(dir.name(e))),
            Place::Target(t) => t.fs_path.clone(),
            Place::Image(_) => PathBuf::new(),
        }
    }

    /// Named on the command line, rather than found by walking.
    pub fn named(&self) -> bool {
        match self.0 {
            Place::Entry(..) => false,
            Place::Target(t) => t.named,
            Place::Image(v) => v.named,
        }
    }

    /// The file as a [`Target`], known by its path.
    pub fn to_target(&self) -> Target {
        match self.0 {
            Place::Entry(dir, e) => Target {
                display: dir.child_display(e),
                fs_path: dir.fs_path.join(std::ffi::OsStr::from_bytes(dir.name(e))),
                named: false,
                follow: dir.follow,
                tree: dir.tree.clone(),
                image: None,
            },
            Place::Target(t) => t.clone(),
            Place::Image(v) => Target {
                display: v.display.clone(),
                fs_path: PathBuf::new(),
                named: v.named,
                follow: false,
                tree: None,
                image: Some(v.file.clone()),
            },
        }
    }

    /// Opens the file and reads its first bytes; see [`super::sniff`].
    pub fn open(&self) -> Result<Opened, OpenError> {
        if let Some(f) = self.image_file() {
            // Read through the image (`image_file`); there is no host file.
            let start = f.start();
            if !start.is_elf() {
                return Err(OpenError::NotElf(start));
            }
            return Err(OpenError::Input(InputError::NotRegular {
                path: self.display(),
                kind: "file inside an image",
            }));
        }
        match self.0 {
            // Handled above.
            Place::Image(_) => Err(OpenError::NotElf(super::Start::new([0; 4], 0))),
            Place::Target(t) => super::open(t),
            Place::Entry(dir, e) => {
                let fail = |op, err: std::io::Error| {
                    OpenError::Input(io_or_missing(&dir.child_display(e), op, err))
                };
                // A file a path could not name stays out of reach, as it
                // was when files were opened by path.
                if dir.child_path_len(e) >= PATH_MAX {
                    return Err(fail(
                        "open",
                        std::io::Error::from_raw_os_error(libc::ENAMETOOLONG),
                    ));
                }
                let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
                if !dir.follow {
                    flags |= OFlags::NOFOLLOW;
                }
                let fd = rustix::fs::openat(&dir.fd, dir.c_name(e), flags, Mode::empty())
                    .map_err(|err| fail("open", err.into()))?;
                sniff(std::fs::File::from(fd), || dir.child_display(e))
            }
        }
    }
}

/// One listed directory: its descriptor and its entries other than
/// subdirectories, sorted by name.
struct Listing {
    fd: OwnedFd,
    /// Shown path, without a trailing `/` (empty for `/` under a root).
    display: String,
    fs_path: PathBuf,
    /// Whether files found here may be opened through a final symlink (host paths).
    follow: bool,
    /// The tree of `--root`, if any.
    tree: Option<Arc<DiskTree>>,
    /// The names, each with its NUL, one after the other.
    names: Vec<u8>,
    entries: Vec<Entry>,
}

struct Entry {
    /// Where the name starts in `names`, and its length without the NUL.
    start: usize,
    len: usize,
    kind: Kind,
}

/// What an entry is, from `d_type` (or `fstatat` when the file system does
/// not say).
#[derive(Clone, Copy)]
enum Kind {
    File,
    Dir,
    Symlink,
    Other(&'static str),
    /// `fstatat` failed, with this `errno`.
    Failed(i32),
}

impl Listing {
    fn name(&self, e: &Entry) -> &[u8] {
        self.names
            .get(e.start..)
            .and_then(|n| n.get(..e.len))
            .unwrap_or_default()
    }

    /// The name with its NUL. The listing stored it so; an empty string
    /// (which no open succeeds on) stands for the impossible.
    fn c_name(&self, e: &Entry) -> &CStr {
        self.names
            .get(e.start..)
            .and_then(|n| CStr::from_bytes_until_nul(n).ok())
            .unwrap_or_default()
    }

    fn child_display(&self, e: &Entry) -> String {
        format!("{}/{}", self.display, escape_bytes(self.name(e)))
    }

    /// The length of the path that names the entry (as `Path::join` would
    /// build it), without building it.
    fn child_path_len(&self, e: &Entry) -> usize {
        let dir = self.fs_path.as_os_str().as_bytes();
        let slash = usize::from(!dir.ends_with(b"/"));
        dir.len().saturating_add(slash).saturating_add(e.len)
    }
}

/// A directory to walk.
struct DirJob {
    display: String,
    fs_path: PathBuf,
    /// Named on the command line: its path may end in a symlink (on the
    /// host) that the user meant. Directories found by walking never do.
    top: bool,
}

/// Part of a result: a finding, or the number of a piece another job sends.
enum Item<T> {
    Found(Found<T>),
    Piece(usize),
}

/// What all jobs share.
struct Walk<'w, T, V> {
    resolver: &'w Resolver,
    visit: &'w V,
    ids: AtomicUsize,
    done: &'w Pieces<T>,
    queue: Mutex<BinaryHeap<Queued>>,
}

/// A job's place in walk order: the indices from the targets down, where a
/// directory's runs of files come before its subdirectories. Keys compare
/// as the places they name do.
type Key = Box<[u32]>;

/// The key of the `i`th job under the job keyed `parent`.
fn child_key(parent: &[u32], i: usize) -> Key {
    let i = u32::try_from(i).unwrap_or(u32::MAX);
    parent.iter().copied().chain(std::iter::once(i)).collect()
}

/// Work waiting for a thread, with the number of the piece it sends.
enum Job {
    Dir(usize, DirJob),
    Run(usize, Arc<Listing>, std::ops::Range<usize>),
    File(usize, Target),
    /// A directory's subdirectories from the `next`th of its jobs on, as
    /// one entry keyed as the first of them: the queue holds one per
    /// directory, not one per subdirectory (a large queue was slow to use).
    Subdirs {
        parent: Key,
        next: usize,
        rest: std::vec::IntoIter<(usize, DirJob)>,
    },
}

/// A job in the queue: the heap's greatest is the first in walk order.
struct Queued {
    key: Key,
    job: Job,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Order> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Order {
        other.key.cmp(&self.key)
    }
}

impl Resolver {
    /// Expands targets (files and directories, walked recursively) and
    /// calls `visit` on every regular file and symlink to one, on rayon's
    /// threads, in no particular order; returns what `visit` gave (`None`
    /// is left out), errors and skipped entries, in walk order.
    ///
    /// The walk collects regular files and symlinks to regular files, like
    /// `go version`'s WalkDir; symlinks to directories are not followed.
    pub fn visit<T, V>(&self, targets: &[String], visit: &V) -> Vec<Found<T>>
    where
        T: Send,
        V: Fn(Source<'_>) -> Option<T> + Sync,
    {
        if let Resolver::Image(image) = self {
            return visit_image(image, targets, visit);
        }
        let pieces = Pieces::new();
        self.walk(targets, visit, &pieces);
        // Every piece is in: reading them back never waits.
        InOrder::new(&pieces).collect()
    }

    /// [`Resolver::visit`], handing what it finds to `consume` in walk
    /// order while the walk goes on, instead of keeping all of it until
    /// the end: a consumer that writes each report and drops it holds only
    /// those that finished before their turn. `consume` runs on this
    /// thread, the walk on rayon's; the walk runs to its end even when
    /// `consume` stops reading early.
    pub fn visit_in_order<T, V, R>(
        &self,
        targets: &[String],
        visit: &V,
        consume: impl FnOnce(&mut dyn Iterator<Item = Found<T>>) -> R,
    ) -> R
    where
        T: Send,
        V: Fn(Source<'_>) -> Option<T> + Sync,
    {
        if let Resolver::Image(image) = self {
            return consume(&mut visit_image(image, targets, visit).into_iter());
        }
        let pieces = Pieces::new();
        // One regular file: nothing to stream while it is read.
        if self.walk_one_file(targets, visit, &pieces) {
            return consume(&mut InOrder::new(&pieces));
        }
        let run = || self.walk(targets, visit, &pieces);
        std::thread::scope(|ts| {
            let spawned = std::thread::Builder::new()
                .name("elfgate-walk".into())
                .spawn_scoped(ts, run);
            if spawned.is_err() {
                // No thread to spare: walk first, then hand it all over.
                run();
            }
            consume(&mut InOrder::new(&pieces))
        })
    }

    /// Walks `targets` on rayon's threads, into `pieces`, and marks them
    /// ended (also when a job panics: the reader must not wait forever).
    fn walk<T, V>(&self, targets: &[String], visit: &V, pieces: &Pieces<T>)
    where
        T: Send,
        V: Fn(Source<'_>) -> Option<T> + Sync,
    {
        struct End<'p, T>(&'p Pieces<T>);
        impl<T> Drop for End<'_, T> {
            fn drop(&mut self) {
                self.0.end();
            }
        }
        if self.walk_one_file(targets, visit, pieces) {
            return;
        }
        let _end = End(pieces);
        let walk = Walk {
            resolver: self,
            visit,
            ids: AtomicUsize::new(1),
            done: pieces,
            queue: Mutex::new(BinaryHeap::new()),
        };
        rayon::scope(|s| walk.top(s, targets));
    }

    /// [`Resolver::walk`] of a single target that is a regular file, on
    /// this thread, into `pieces` (then ended); false, with nothing sent,
    /// for anything else. A lone file has nothing to run beside it: rayon's
    /// pool, whose start is a fixed cost of every run, is then started only
    /// by what needs it (a symbol search of a large pclntab).
    fn walk_one_file<T, V>(&self, targets: &[String], visit: &V, pieces: &Pieces<T>) -> bool
    where
        T: Send,
        V: Fn(Source<'_>) -> Option<T> + Sync,
    {
        let [t] = targets else { return false };
        let walk = Walk {
            resolver: self,
            visit,
            ids: AtomicUsize::new(1),
            done: pieces,
            queue: Mutex::new(BinaryHeap::new()),
        };
        let shown = walk.shown(t);
        let Ok((fs_path, FileType::RegularFile)) = self.locate(Path::new(t), &shown) else {
            return false;
        };
        let id = walk.id();
        let target = self.target(shown, fs_path, true);
        let mut out = Vec::new();
        walk.found(&mut out, Source::target(&target));
        walk.send(id, out);
        walk.send(0, vec![Item::Piece(id)]);
        pieces.end();
        true
    }
}

/// Pieces a reader waiting for one lets arrive before it is woken: one
/// wake-up per piece cost a fifth more CPU over a large tree.
const WAKE_AFTER: usize = 64;

/// The numbered pieces of a walk's output, sent by its jobs in any order,
/// taken by one reader in the order it needs them.
struct Pieces<T> {
    state: Mutex<Arrived<T>>,
    ready: Condvar,
}

struct Arrived<T> {
    pieces: HashMap<usize, Vec<Item<T>>>,
    /// The piece the reader waits for, while it waits.
    wanted: Option<usize>,
    /// Pieces sent since the reader began to wait.
    since: usize,
    /// The walk is over: nothing more will be sent.
    ended: bool,
}

impl<T> Arrived<T> {
    /// Whether the waiting reader is to be woken: its piece is in and a
    /// batch of others came with it, or nothing more will come.
    fn wake(&self) -> bool {
        self.ended
            || (self.since >= WAKE_AFTER
                && self.wanted.is_some_and(|w| self.pieces.contains_key(&w)))
    }
}

impl<T> Pieces<T> {
    fn new() -> Self {
        Pieces {
            state: Mutex::new(Arrived {
                pieces: HashMap::new(),
                wanted: None,
                since: 0,
                ended: false,
            }),
            ready: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Arrived<T>> {
        // Nothing panics while holding the lock; a poisoned map is still whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn send(&self, id: usize, items: Vec<Item<T>>) {
        let mut s = self.lock();
        s.pieces.insert(id, items);
        s.since = s.since.saturating_add(1);
        if s.wanted.is_some() && s.wake() {
            self.ready.notify_one();
        }
    }

    fn end(&self) {
        self.lock().ended = true;
        self.ready.notify_one();
    }

    /// Piece `id`, waiting for it if it has not arrived; `None` once the
    /// walk has ended without it.
    fn take(&self, id: usize) -> Option<Vec<Item<T>>> {
        let mut s = self.lock();
        if let Some(p) = s.pieces.remove(&id) {
            return Some(p);
        }
        s.wanted = Some(id);
        s.since = 0;
        while !s.wake() {
            s = self.ready.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
        s.wanted = None;
        s.pieces.remove(&id)
    }
}

/// Puts the pieces of a walk back in the order a sequential depth-first
/// walk would give, as they arrive: piece 0 first, and a piece in the
/// place of the item that names it. A piece that never arrives (the walk
/// ended without it) is left out.
struct InOrder<'p, T> {
    pieces: &'p Pieces<T>,
    /// Depth-first, with an explicit stack: a deep tree cannot overflow
    /// the call stack here either.
    stack: Vec<std::vec::IntoIter<Item<T>>>,
    started: bool,
}

impl<'p, T> InOrder<'p, T> {
    fn new(pieces: &'p Pieces<T>) -> Self {
        InOrder {
            pieces,
            stack: Vec::new(),
            started: false,
        }
    }
}

impl<T> Iterator for InOrder<'_, T> {
    type Item = Found<T>;

    fn next(&mut self) -> Option<Found<T>> {
        if !self.started {
            self.started = true;
            if let Some(top) = self.pieces.take(0) {
                self.stack.push(top.into_iter());
            }
        }
        loop {
            let items = self.stack.last_mut()?;
            match items.next() {
                None => {
                    self.stack.pop();
                }
                Some(Item::Found(f)) => return Some(f),
                Some(Item::Piece(id)) => {
                    if let Some(p) = self.pieces.take(id) {
                        self.stack.push(p.into_iter());
                    }
                }
            }
        }
    }
}

impl<'w, T, V> Walk<'w, T, V>
where
    T: Send,
    V: Fn(Source<'_>) -> Option<T> + Sync,
{
    fn id(&self) -> usize {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    fn send(&self, id: usize, items: Vec<Item<T>>) {
        self.done.send(id, items);
    }

    /// Queues `job` and spawns a task that runs the first job of the queue
    /// (this one or an earlier): one task per job, so every job runs.
    fn queue<'s>(&'s self, s: &rayon::Scope<'s>, key: Key, job: Job) {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Queued { key, job });
        s.spawn(move |s| self.take(s));
    }

    /// Runs the first job in walk order.
    fn take<'s>(&'s self, s: &rayon::Scope<'s>) {
        // Nothing panics while holding the lock; a poisoned heap is still whole.
        let next = self
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let Some(Queued { key, job }) = next else {
            return;
        };
        match job {
            Job::Dir(id, dir) => self.dir(s, &key, id, dir),
            Job::Run(id, listing, range) => self.run(id, &listing, range),
            Job::File(id, target) => {
                let mut out = Vec::new();
                self.found(&mut out, Source::target(&target));
                self.send(id, out);
            }
            Job::Subdirs {
                parent,
                next,
                mut rest,
            } => {
                let Some((id, dir)) = rest.next() else { return };
                if rest.len() > 0 {
                    let after = next.saturating_add(1);
                    let job = Job::Subdirs {
                        next: after,
                        rest,
                        parent: parent.clone(),
                    };
                    self.queue(s, child_key(&parent, after), job);
                }
                self.dir(s, &key, id, dir);
            }
        }
    }

    fn found(&self, out: &mut Vec<Item<T>>, source: Source<'_>) {
        if let Some(t) = (self.visit)(source) {
            out.push(Item::Found(Found::File(t)));
        }
    }

    /// How a target is shown. Under a root, paths are shown (and matched
    /// by policy globs) as clean absolute paths inside the image: `app/x`,
    /// `//app/x` and `/tmp/../app/x` are all `/app/x`.
    fn shown(&self, t: &str) -> String {
        match self.resolver {
            Resolver::Host => t.to_string(),
            Resolver::Root(_) | Resolver::Image(_) => super::in_root_display(t),
        }
    }

    /// The targets, in order: piece 0.
    fn top<'s>(&'s self, s: &rayon::Scope<'s>, targets: &[String]) {
        let mut items = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            let shown = self.shown(t);
            match self.resolver.locate(Path::new(t), &shown) {
                Ok((fs_path, FileType::Directory)) => {
                    let id = self.id();
                    items.push(Item::Piece(id));
                    let job = DirJob {
                        display: shown.trim_end_matches('/').to_string(),
                        fs_path,
                        top: true,
                    };
                    self.queue(s, child_key(&[], i), Job::Dir(id, job));
                }
                Ok((fs_path, FileType::RegularFile)) => {
                    let id = self.id();
                    items.push(Item::Piece(id));
                    let target = self.resolver.target(shown, fs_path, true);
                    self.queue(s, child_key(&[], i), Job::File(id, target));
                }
                Ok((_, kind)) => items.push(Item::Found(Found::Error(InputError::NotRegular {
                    path: shown,
                    kind: rustix_type_name(kind),
                }))),
                Err(e) => items.push(Item::Found(Found::Error(e))),
            }
        }
        self.send(0, items);
    }

    /// Lists a directory, then queues its runs of other entries and its
    /// subdirectories, in walk order under `key`.
    fn dir<'s>(&'s self, s: &rayon::Scope<'s>, key: &[u32], id: usize, job: DirJob) {
        let mut items = Vec::new();
        let (listing, subdirs) = match self.list(job, &mut items) {
            Some(l) => l,
            None => return self.send(id, items),
        };
        let runs: Vec<(usize, std::ops::Range<usize>)> = (0..listing.entries.len())
            .step_by(RUN)
            .map(|start| {
                let end = start.saturating_add(RUN).min(listing.entries.len());
                (self.id(), start..end)
            })
            .collect();
        items.extend(runs.iter().map(|(run, _)| Item::Piece(*run)));
        let subdirs: Vec<(usize, DirJob)> = subdirs.into_iter().map(|d| (self.id(), d)).collect();
        items.extend(subdirs.iter().map(|(sub, _)| Item::Piece(*sub)));
        self.send(id, items);
        // The runs (which hold the descriptor) come first in walk order, so
        // they are taken before the subdirectories and it is closed soon.
        let listing = Arc::new(listing);
        let first_subdir = runs.len();
        for (i, (run, range)) in runs.into_iter().enumerate() {
            let job = Job::Run(run, Arc::clone(&listing), range);
            self.queue(s, child_key(key, i), job);
        }
        drop(listing);
        if !subdirs.is_empty() {
            let job = Job::Subdirs {
                parent: key.into(),
                next: first_subdir,
                rest: subdirs.into_iter(),
            };
            self.queue(s, child_key(key, first_subdir), job);
        }
    }

    /// Opens and lists a directory: its other entries sorted by name, and
    /// its subdirectories as jobs, also by name. Errors go to `items`.
    fn list(&self, job: DirJob, items: &mut Vec<Item<T>>) -> Option<(Listing, Vec<DirJob>)> {
        let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NONBLOCK | OFlags::CLOEXEC;
        if !job.top {
            // Found by the walk as a directory: a symlink swapped in since
            // must not lead it elsewhere.
            flags |= OFlags::NOFOLLOW;
        }
        let opened = match self.resolver {
            // An image's directories are walked by `image::walk`: never a host path.
            Resolver::Host | Resolver::Image(_) => {
                rustix::fs::open(&job.fs_path, flags, Mode::empty())
            }
            // Under a root, through the tree: the path was resolved (by the
            // tree, or found by this walk), so no symlink may appear on it.
            Resolver::Root(tree) => {
                tree.open_fd(&in_tree_path(tree, &job.fs_path), flags, Follow::Never)
            }
        };
        let fd = match opened {
            Ok(fd) => fd,
            Err(e) => {
                let e = io_or_missing(&job.display, "read directory", e.into());
                items.push(Item::Found(Found::Error(e)));
                return None;
            }
        };
        let mut names = Vec::new();
        let mut entries = Vec::new();
        let mut buf = Vec::with_capacity(LISTING_BUFFER);
        let mut raw = RawDir::new(&fd, buf.spare_capacity_mut());
        while let Some(next) = raw.next() {
            match next {
                Ok(e) => {
                    let name = e.file_name().to_bytes_with_nul();
                    if name == b".\0" || name == b"..\0" {
                        continue;
                    }
                    let kind = match e.file_type() {
                        FileType::RegularFile => Kind::File,
                        FileType::Directory => Kind::Dir,
                        FileType::Symlink => Kind::Symlink,
                        FileType::Unknown => stat_kind(&fd, e.file_name()),
                        other => Kind::Other(rustix_type_name(other)),
                    };
                    entries.push(Entry {
                        start: names.len(),
                        len: name.len().saturating_sub(1),
                        kind,
                    });
                    names.extend_from_slice(name);
                }
                Err(e) => {
                    let e = io_or_missing(&job.display, "read directory entry", e.into());
                    items.push(Item::Found(Found::Error(e)));
                    break;
                }
            }
        }
        drop(buf);
        let name = |e: &Entry| names.get(e.start..).and_then(|n| n.get(..e.len));
        // Sorted, so that output does not depend on directory order.
        entries.sort_unstable_by(|a, b| name(a).cmp(&name(b)));
        let (dirs, entries): (Vec<Entry>, Vec<Entry>) = entries
            .into_iter()
            .partition(|e| matches!(e.kind, Kind::Dir));
        let listing = Listing {
            fd,
            display: job.display,
            fs_path: job.fs_path,
            follow: matches!(self.resolver, Resolver::Host),
            tree: self.resolver.tree().cloned(),
            names,
            entries,
        };
        let subdirs = dirs
            .iter()
            .map(|e| DirJob {
                display: listing.child_display(e),
                fs_path: listing
                    .fs_path
                    .join(std::ffi::OsStr::from_bytes(listing.name(e))),
                top: false,
            })
            .collect();
        Some((listing, subdirs))
    }

    /// Visits a run of a directory's entries (other than subdirectories).
    fn run(&self, id: usize, dir: &Listing, range: std::ops::Range<usize>) {
        let mut out = Vec::new();
        for e in dir.entries.get(range).unwrap_or_default() {
            match e.kind {
                Kind::File => self.found(&mut out, Source(Place::Entry(dir, e))),
                Kind::Symlink => self.symlink(&mut out, dir, e),
                Kind::Other(kind) => {
                    out.push(Item::Found(Found::Skipped(dir.child_display(e), kind)));
                }
                Kind::Failed(errno) => {
                    let err = std::io::Error::from_raw_os_error(errno);
                    let e = io_or_missing(&dir.child_display(e), "stat", err);
                    out.push(Item::Found(Found::Error(e)));
                }
                // Partitioned out by `list`.
                Kind::Dir => {}
            }
        }
        self.send(id, out);
    }

    /// A symlink found while walking: followed to a regular file (inside
    /// the root, under `--root`), noted otherwise.
    fn symlink(&self, out: &mut Vec<Item<T>>, dir: &Listing, e: &Entry) {
        let display = dir.child_display(e);
        let fs_path = dir.fs_path.join(std::ffi::OsStr::from_bytes(dir.name(e)));
        // Resolved from the raw name (not the escaped display), relative to
        // the root for an image: `dir` is a real directory under the root,
        // found by the walk itself.
        let raw = match self.resolver {
            Resolver::Host | Resolver::Image(_) => fs_path.clone(),
            Resolver::Root(tree) => {
                PathBuf::from(std::ffi::OsStr::from_bytes(&in_tree_path(tree, &fs_path)))
            }
        };
        let found = match self.resolver.locate(&raw, &display) {
            Ok((real, FileType::RegularFile)) => {
                let target = self.resolver.target(display, real, false);
                return self.found(out, Source::target(&target));
            }
            Ok((_, kind)) => Found::Skipped(display, rustix_type_name(kind)),
            // A dangling link found while walking is noted, not fatal.
            Err(InputError::NotFound { .. }) => Found::Skipped(display, "dangling symlink"),
            Err(e) => Found::Error(e),
        };
        out.push(Item::Found(found));
    }
}

/// [`Resolver::visit`] over an image: the tree is walked in memory (see
/// `image::walk`), then the files are visited in parallel, in walk order.
fn visit_image<T, V>(
    image: &std::sync::Arc<super::image::Loaded>,
    targets: &[String],
    visit: &V,
) -> Vec<Found<T>>
where
    T: Send,
    V: Fn(Source<'_>) -> Option<T> + Sync,
{
    use super::image::Item;
    use rayon::prelude::*;
    let items = super::image::walk(image, targets);
    let found: Vec<Option<Found<T>>> = items
        .into_par_iter()
        .map(|item| match item {
            Item::File(v) => visit(Source::image(&v)).map(Found::File),
            Item::Error(e) => Some(Found::Error(e)),
            Item::Skipped(p, why) => Some(Found::Skipped(p, why)),
        })
        .collect();
    found.into_iter().flatten().collect()
}

/// The kind of an entry whose type the directory did not give.
fn stat_kind(dir: &OwnedFd, name: &CStr) -> Kind {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            other => Kind::Other(rustix_type_name(other)),
        },
        Err(e) => Kind::Failed(e.raw_os_error()),
    }
}

/// The words [`file_type_name`] uses, for a type from the directory.
fn rustix_type_name(t: FileType) -> &'static str {
    match t {
        FileType::RegularFile => "regular file",
        FileType::Directory => "directory",
        FileType::Symlink => "symbolic link",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Unknown => "unknown file type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Every regular file under `dir` in the order of a sequential walk:
    /// a directory's entries by name, its subdirectories after its files.
    fn sequential(dir: &Path, shown: &str, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for e in entries {
            let name = format!("{shown}/{}", e.file_name().to_str().unwrap());
            if e.file_type().unwrap().is_dir() {
                subdirs.push((e.path(), name));
            } else {
                out.push(name);
            }
        }
        for (path, name) in subdirs {
            sequential(&path, &name, out);
        }
    }

    #[test]
    fn parallel_walk_keeps_the_sequential_order() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("t");
        // Wide directories (several runs each), nested ones, and names whose
        // byte order is not their creation order.
        for (dir, files) in [
            ("", 150),
            ("b", 3),
            ("a", 200),
            ("a/z", 70),
            ("a/c/d", 1),
            ("é", 2),
        ] {
            let dir = root.join(dir);
            std::fs::create_dir_all(&dir).unwrap();
            for i in (0..files).rev() {
                std::fs::write(dir.join(format!("f{i}")), b"x").unwrap();
            }
        }
        std::fs::create_dir_all(root.join("empty/deeper")).unwrap();
        let shown = root.to_str().unwrap();
        let mut want = Vec::new();
        sequential(&root, shown, &mut want);
        assert_eq!(want.len(), 150 + 3 + 200 + 70 + 1 + 2);
        for _ in 0..5 {
            let got: Vec<String> = Resolver::Host
                .visit(&[shown.to_string()], &|s: Source<'_>| Some(s.display()))
                .into_iter()
                .map(|f| match f {
                    Found::File(p) => p,
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(got, want);
        }
    }

    /// Threads take jobs in walk order: no file is visited while more than
    /// a directory per thread of the files before it wait (threads list the
    /// next directories while one is listed), so that what is found early
    /// is not kept long for its turn. With rayon's deques a thread that
    /// stole took the last subdirectory first: 2,600 files ahead and more.
    #[test]
    fn threads_work_near_the_front_of_the_walk() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("t");
        for i in 0..12 {
            let dir = root.join(format!("d{i:02}"));
            std::fs::create_dir_all(&dir).unwrap();
            for j in 0..250 {
                std::fs::write(dir.join(format!("f{j:03}")), b"x").unwrap();
            }
        }
        let shown = root.to_str().unwrap();
        let mut want = Vec::new();
        sequential(&root, shown, &mut want);
        let place: HashMap<&str, usize> = want
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        let threads = 4;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for _ in 0..3 {
            let seen = Mutex::new(Vec::new());
            let visit = |s: Source<'_>| {
                let p = s.display();
                seen.lock().unwrap().push(place[p.as_str()]);
                Some(p)
            };
            let got = pool.install(|| Resolver::Host.visit(&[shown.to_string()], &visit));
            assert_eq!(got.len(), want.len());
            let order = seen.into_inner().unwrap();
            let ahead = order
                .iter()
                .enumerate()
                .map(|(n, &at)| at.saturating_sub(n))
                .max()
                .unwrap();
            assert!(ahead <= threads * 250, "a file visited {ahead} files ahead");
        }
    }

    /// Handed over while the walk goes on, the findings come in the same
    /// order; a consumer that stops early still lets the walk end.
    #[test]
    fn in_order_visit_keeps_the_sequential_order() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("t");
        for (dir, files) in [("", 130), ("a", 3), ("a/b", 200), ("c", 1), ("d/e/f", 70)] {
            let dir = root.join(dir);
            std::fs::create_dir_all(&dir).unwrap();
            for i in (0..files).rev() {
                std::fs::write(dir.join(format!("f{i}")), b"x").unwrap();
            }
        }
        let shown = root.to_str().unwrap();
        let mut want = Vec::new();
        sequential(&root, shown, &mut want);
        let name = |f: Found<String>| match f {
            Found::File(p) => p,
            other => panic!("{other:?}"),
        };
        let targets = [shown.to_string(), format!("{shown}/a/f1")];
        want.push(targets[1].clone());
        let visit = |s: Source<'_>| Some(s.display());
        for _ in 0..5 {
            let got: Vec<String> =
                Resolver::Host.visit_in_order(&targets, &visit, |found| found.map(name).collect());
            assert_eq!(got, want);
        }
        let first: Vec<String> = Resolver::Host
            .visit_in_order(&targets, &visit, |found| found.take(3).map(name).collect());
        assert_eq!(first, want[..3]);
    }

    #[test]
    fn entry_types_read_by_stat_have_the_names_std_gives() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::write(p.join("file"), b"x").unwrap();
        std::fs::create_dir(p.join("dir")).unwrap();
        std::os::unix::fs::symlink("file", p.join("link")).unwrap();
        let _socket = std::os::unix::net::UnixListener::bind(p.join("socket")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            p.join("fifo"),
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let fd = rustix::fs::open(p, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap();
        for name in ["file", "dir", "link", "socket", "fifo"] {
            let std_type = std::fs::symlink_metadata(p.join(name)).unwrap().file_type();
            let c = std::ffi::CString::new(name).unwrap();
            let got = match stat_kind(&fd, &c) {
                Kind::File => "regular file",
                Kind::Dir => "directory",
                Kind::Symlink => "symbolic link",
                Kind::Other(kind) => kind,
                Kind::Failed(e) => panic!("{name}: errno {e}"),
            };
            assert_eq!(got, super::super::file_type_name(&std_type), "{name}");
        }
        let missing = std::ffi::CString::new("missing").unwrap();
        assert!(matches!(
            stat_kind(&fd, &missing),
            Kind::Failed(libc::ENOENT)
        ));
    }

    /// A file whose path would reach `PATH_MAX` cannot be opened by path;
    /// found by walking, it is the same error, though its directory's
    /// descriptor could reach it.
    #[test]
    fn a_file_no_path_can_name_is_an_open_error() {
        let d = tempfile::tempdir().unwrap();
        let mut dir = d.path().to_path_buf();
        while dir.as_os_str().len() < PATH_MAX - 240 {
            dir.push("d".repeat(200));
        }
        std::fs::create_dir_all(&dir).unwrap();
        let len = dir.as_os_str().len();
        let fd = rustix::fs::open(&dir, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap();
        // `dir/fits` is PATH_MAX - 1 bytes long, `dir/too_long` PATH_MAX.
        let fits = "f".repeat(PATH_MAX - len - 2);
        let too_long = "t".repeat(PATH_MAX - len - 1);
        for name in [&fits, &too_long] {
            let flags = OFlags::WRONLY | OFlags::CREATE;
            let f = rustix::fs::openat(&fd, name.as_str(), flags, Mode::from_raw_mode(0o600));
            rustix::io::write(f.unwrap(), b"text").unwrap();
        }
        let found = Resolver::Host.visit(&[dir.to_str().unwrap().to_string()], &|s| {
            Some(match s.open() {
                Err(OpenError::NotElf(_)) => "not ELF".to_string(),
                Err(OpenError::Input(e)) => e.to_string(),
                Ok(_) => "ELF".to_string(),
            })
        });
        let got: Vec<String> = found
            .into_iter()
            .map(|f| match f {
                Found::File(s) => s,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], "not ELF");
        assert!(
            got[1].ends_with(&format!(
                "/{too_long}: open: File name too long (os error 36)"
            )),
            "{}",
            got[1]
        );
    }
}
