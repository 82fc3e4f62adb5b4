//! Will it load and start here? A static simulation of the dynamic loader
//! (glibc's or musl's, whichever the file names), confined to a file tree
//! (`--root`, or `/`), that never executes anything.
//!
//! For one program: the kernel's checks on its interpreter, the loader's
//! breadth-first search for every `DT_NEEDED` exactly as that loader
//! searches (`RPATH`, `LD_LIBRARY_PATH`, `RUNPATH`, the image's
//! `/etc/ld.so.cache`, the default directories its `ld.so` records;
//! glibc-hwcaps and legacy subdirectories; `$ORIGIN`, `$LIB`, `$PLATFORM`),
//! then symbol versions and symbol binding over the global scope, then the
//! node's CPU. The facts (`facts::LoadFacts`) say what was found where and
//! what would stop the program, in the words the loader would print.
//! `shared/reference/loader.md` holds the loader behaviour with sources;
//! `docs/load.md` says what is simulated.
//!
//! Pure over [`Tree`]: every path goes through it, so the same code runs
//! over a directory and over an image read into memory. A [`Session`] is
//! one run: each file is opened and parsed once and shared by every program
//! that loads it; each path is tried once.

pub mod cpu;
pub mod ldcache;
pub mod ldso;
pub mod object;

mod closure;
mod context;
mod gnuhash;

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::facts::LoadFacts;
use crate::input::{Content, FileId, Node, Tree, TreeError};

pub use cpu::{Cpu, CpuSpec};
pub use object::Object;

/// At most this many objects in one program's closure (real programs
/// load a few hundred at most).
pub const MAX_OBJECTS: usize = 4096;

/// At most this many elements of one search path list (`LD_LIBRARY_PATH`,
/// an `RPATH`); the rest are ignored with a warning.
pub const MAX_PATH_ELEMENTS: usize = 65_536;

/// Problems reported per rule and file; the rest are counted.
pub const MAX_PROBLEMS_PER_RULE: usize = 64;

/// Files read whole (the interpreter, the cache, musl's path file) larger
/// than this are refused.
const MAX_READ: u64 = 64 << 20;

/// What the run simulates.
#[derive(Debug, Clone)]
pub struct Options {
    /// The node's CPU.
    pub cpu: CpuSpec,
    /// The container's `LD_LIBRARY_PATH`, if set.
    pub library_path: Option<Vec<u8>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cpu: CpuSpec::Host,
            library_path: None,
        }
    }
}

/// What the per-file report knows that the simulation uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints {
    /// The Go `GOAMD64` level the program was built for (1 … 4).
    pub goamd64: Option<u8>,
}

/// A value computed once per key, shared between threads: callers with the
/// same key wait for the first.
struct Memo<K, V> {
    map: Mutex<HashMap<K, Arc<OnceLock<V>>>>,
}

impl<K: Eq + Hash, V> Memo<K, V> {
    fn new() -> Self {
        Memo {
            map: Mutex::new(HashMap::new()),
        }
    }

    /// As [`Memo::get_or`], with a borrowed key: no allocation when the
    /// key is known (most lookups of a run).
    fn get_or_borrowed<Q>(&self, key: &Q, f: impl FnOnce() -> V) -> Arc<OnceLock<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let cell = {
            let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            match map.get(key) {
                Some(c) => Arc::clone(c),
                None => Arc::clone(map.entry(key.to_owned()).or_default()),
            }
        };
        cell.get_or_init(f);
        cell
    }

    /// The value for `key`, if one was computed.
    fn peek(&self, key: &K) -> Option<V>
    where
        V: Clone,
    {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key).and_then(|c| c.get().cloned())
    }

    /// [`Memo::get_or`], the value itself.
    fn value(&self, key: K, f: impl FnOnce() -> V) -> V
    where
        V: Clone,
    {
        let cell = {
            let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(map.entry(key).or_default())
        };
        cell.get_or_init(f).clone()
    }

    fn get_or(&self, key: K, f: impl FnOnce() -> V) -> Arc<OnceLock<V>> {
        let cell = {
            // Nothing panics while the lock is held; a poisoned map is whole.
            let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(map.entry(key).or_default())
        };
        cell.get_or_init(f);
        cell
    }
}

/// A regular file read for loading: its first bytes and, if it is ELF,
/// the object.
#[derive(Debug)]
pub struct Parsed {
    pub head: Vec<u8>,
    pub len: u64,
    pub object: Result<Object, String>,
}

/// What opening one path gave.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// The `errno` of the failed open.
    Failed(i32),
    Found(Arc<Found>),
}

/// A file found at a path.
#[derive(Debug)]
pub struct Found {
    /// This version of the file (what parsed objects are shared by).
    pub id: FileId,
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub len: u64,
    /// Set for regular files.
    pub parsed: Option<Arc<Parsed>>,
}

impl Found {
    fn of(node: Node, parsed: Option<Arc<Parsed>>) -> Found {
        Found {
            id: node.id,
            dev: node.dev,
            ino: node.ino,
            mode: node.mode,
            len: node.len,
            parsed,
        }
    }

    pub fn is_file(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFREG
    }
    pub fn is_dir(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFDIR
    }
    /// The object, when the file is ELF and could be read.
    pub fn object(&self) -> Option<&Object> {
        self.parsed.as_ref().and_then(|p| p.object.as_ref().ok())
    }
}

/// One run of simulations over one tree.
pub struct Session {
    tree: Arc<dyn Tree>,
    cpu: Cpu,
    options: Options,
    paths: Memo<Vec<u8>, Lookup>,
    files: Memo<FileId, Arc<Parsed>>,
    contexts: Memo<Vec<u8>, Arc<context::Context>>,
    cache: OnceLock<context::LdCache>,
    /// Per library and set of its dependencies (and loader kind), the
    /// indexes of its references none of them defines: programs share
    /// libraries, so each is checked once and only what its dependencies
    /// leave open is looked up per program.
    scopes: Memo<(bool, FileId, Vec<FileId>), Vec<u32>>,
    /// Files parsed elsewhere (see [`Session::adopt`]), taken instead of
    /// reading their content, for the whole run.
    adopted: Mutex<HashMap<FileId, Arc<Parsed>>>,
    /// Files parsed elsewhere for one simulation (see [`Session::lend`]).
    lent: Mutex<HashMap<FileId, Arc<Parsed>>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("tree", &self.tree)
            .field("cpu", &self.cpu)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub fn new(tree: Arc<dyn Tree>, options: Options) -> Self {
        Session {
            tree,
            cpu: Cpu::new(options.cpu),
            options,
            paths: Memo::new(),
            files: Memo::new(),
            contexts: Memo::new(),
            cache: OnceLock::new(),
            scopes: Memo::new(),
            adopted: Mutex::new(HashMap::new()),
            lent: Mutex::new(HashMap::new()),
        }
    }

    /// The CPU the session simulates.
    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }

    /// Opens `path` in the tree (once per run) and reads it if it is a
    /// regular file (once per file, whatever the path).
    pub(crate) fn lookup(&self, path: &[u8]) -> Lookup {
        let cell = self
            .paths
            .get_or_borrowed(path, || match self.tree.stat(path) {
                Err(e) => Lookup::Failed(e.errno),
                Ok(node) if !node.is_file() => Lookup::Found(Arc::new(Found::of(node, None))),
                Ok(mut node) => match self.parsed(path, &mut node) {
                    Ok(parsed) => Lookup::Found(Arc::new(Found::of(node, Some(parsed)))),
                    Err(e) => Lookup::Failed(e.errno),
                },
            });
        cell.get().cloned().unwrap_or(Lookup::Failed(libc::EIO))
    }

    /// What was parsed of the regular file `node` found at `path`: once per
    /// file, whatever the path; its content is opened only when the file
    /// was not parsed before (or lent, or adopted).
    fn parsed(&self, path: &[u8], node: &mut Node) -> Result<Arc<Parsed>, TreeError> {
        let id = node.id;
        if let Some(p) = self.files.peek(&id) {
            return Ok(p);
        }
        let lent = self
            .lent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        let known = lent.or_else(|| {
            self.adopted
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&id)
                .cloned()
        });
        // What is known, or the content to parse.
        let source = match known {
            Some(p) => Ok(p),
            None => Err(match node.content.take() {
                Some(c) => c,
                None => self.tree.content(path, node)?,
            }),
        };
        let len = node.len;
        let parsed = self.files.value(id, || match source {
            Ok(p) => p,
            Err(c) => Arc::new(parse(c, len, id)),
        });
        Ok(parsed)
    }

    /// Drops what was kept of a program after its simulation: programs are
    /// many and loaded once, unlike the libraries they share.
    pub(crate) fn forget(&self, path: &[u8], id: FileId) {
        let mut paths = self
            .paths
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        paths.remove(path);
        drop(paths);
        let mut files = self
            .files
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        files.remove(&id);
        drop(files);
        self.lent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    /// Whether `dir` is a directory (glibc skips directories it found missing).
    pub(crate) fn is_dir(&self, dir: &[u8]) -> bool {
        if dir.is_empty() {
            return true;
        }
        matches!(self.lookup(dir), Lookup::Found(f) if f.is_dir())
    }

    /// Simulates loading the program at `path` (an in-tree path), named
    /// `shown` in facts and messages.
    pub fn load(&self, path: &[u8], shown: &str, hints: Hints) -> LoadFacts {
        closure::simulate(self, path, shown, hints)
    }
}

impl Parsed {
    /// The head and object of a file read through positional reads.
    pub fn of_data(data: &crate::input::FileBytes<'_>, len: u64) -> Parsed {
        Parsed::of_data_as(data, len, object::Defs::Now)
    }

    /// [`Parsed::of_data`] for a program simulated once: its definitions
    /// are made only if a lookup asks for one.
    pub fn of_program_data(data: &crate::input::FileBytes<'_>, len: u64) -> Parsed {
        Parsed::of_data_as(data, len, object::Defs::WhenAsked)
    }

    fn of_data_as(data: &crate::input::FileBytes<'_>, len: u64, when: object::Defs) -> Parsed {
        use ::object::read::ReadRef;
        let n = (object::HEAD as u64).min(len);
        let head = data
            .read_bytes_at(0, n)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        let object = if head.starts_with(b"\x7fELF") {
            Object::read_as(data, when)
        } else {
            Err("not an ELF file".into())
        };
        Parsed { head, len, object }
    }

    /// The head and object of a file whose bytes are in memory.
    pub fn of_bytes(bytes: &[u8], len: u64) -> Parsed {
        let head = bytes
            .get(..object::HEAD.min(bytes.len()))
            .unwrap_or_default();
        Parsed {
            head: head.to_vec(),
            len,
            object: if head.starts_with(b"\x7fELF") {
                Object::read(bytes)
            } else {
                Err("not an ELF file".into())
            },
        }
    }
}

impl Session {
    /// Takes what was parsed from the file `id` elsewhere (a file of an
    /// image, read as its layer streamed past), so that opening it reads
    /// nothing again, even after [`Session::forget`].
    pub fn adopt(&self, id: FileId, parsed: Arc<Parsed>) {
        self.adopted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, parsed);
    }

    /// Takes what was parsed of the program `id` while it was read for its
    /// report, for its next simulation only: programs are many, and kept
    /// no longer than that.
    pub fn lend(&self, id: FileId, parsed: Arc<Parsed>) {
        self.lent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, parsed);
    }
}

/// Reads a regular file's head and, if it is ELF, its object.
fn parse(content: Content, len: u64, id: FileId) -> Parsed {
    match content {
        Content::Bytes(bytes) => Parsed::of_bytes(&bytes, len),
        Content::Deferred(d) => match d.read() {
            Ok(bytes) => Parsed::of_bytes(&bytes, len),
            // Unreadable: no head, and the object says why.
            Err(e) => Parsed {
                head: Vec::new(),
                len,
                object: Err(e),
            },
        },
        Content::File(file) => {
            let opened = crate::input::Opened { file, len, id };
            crate::input::read_with(opened, |data| Parsed::of_data(data, len))
        }
    }
}
