//! What the load simulation will read from an image, read in one pass.
//!
//! An image's files are streamed, not seekable: a file read on demand
//! restarts its layer's decompression whenever it lies before the last one
//! read, and a closure's libraries come in no particular order. So the
//! files are predicted instead, once the tree is final: a loader opens a
//! library only under a path whose last component is the name asked for
//! (`DT_NEEDED`, or the last component of a name with `/`), and its
//! interpreter by `PT_INTERP`. The index pass records, for every shared
//! object it passes (by name: `*.so`, `*.so.*`) and every file it hands
//! over, what it needs ([`Needs`]); from the programs' needs, the closure
//! over names gives every regular file, reached directly or through a
//! symlink of that name, that the simulation may open (a superset: every
//! directory, glibc-hwcaps copies, other machines' copies). Those are read
//! in one stream of each layer that holds any, in offset order, and handed
//! over to be parsed; the loaders' own files, `ld.so.cache` and musl's path
//! files, which the simulation also reads whole, are kept as bytes.
//!
//! The closure is followed in rounds: a needed file whose needs are not
//! known yet (a shared object too large to hold as it passed, see
//! [`MAX_SCANNED`], or a library by a name that is not a shared object's)
//! is read in a round, and what it needs is read in the next. A file the
//! rounds still miss is read from its layer when the simulation asks:
//! slower, never different.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use super::ImageError;
use super::load::{Feed, Loaded};
use super::tree::{Entry, Found, NodeId};
use crate::input::FileId;

/// The largest shared object whose needs the index pass records as it
/// passes (it is held whole meanwhile); a larger one's are read in a round
/// of [`Loaded::fetch_for_load`] if it is needed.
pub const MAX_SCANNED: u64 = 8 << 20;

/// Names recorded per file; a hostile file's others are read on demand.
const MAX_NAMES: usize = 1024;

/// The longest name recorded (`PATH_MAX`).
const MAX_NAME: usize = 4096;

/// Bytes of the files read whole that are kept (the cache is at most 64 MiB
/// for the simulation; loaders are a few hundred KiB).
const MAX_KEPT: u64 = 128 << 20;

/// What a file needs from a loader: `DT_NEEDED` and `PT_INTERP`.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    needed: Vec<Box<[u8]>>,
    interp: Option<Box<[u8]>>,
}

impl Needs {
    /// Reads them from an ELF file's bytes; `None` when it is not one.
    pub fn of(bytes: &[u8]) -> Option<Needs> {
        let view = crate::elf::open(bytes).ok()?;
        let interp = view
            .interpreter()
            .ok()
            .flatten()
            .filter(|n| n.len() <= MAX_NAME)
            .map(Box::from);
        let needed = match view.dynamic() {
            Ok(Some(d)) => d
                .needed
                .iter()
                .filter(|n| n.len() <= MAX_NAME)
                .take(MAX_NAMES)
                .map(|n| Box::from(*n))
                .collect(),
            _ => Vec::new(),
        };
        Some(Needs { needed, interp })
    }

    fn names(&self) -> impl Iterator<Item = &[u8]> {
        self.needed.iter().chain(&self.interp).map(|n| last(n))
    }
}

/// The last component of a path (the name itself when it has no `/`).
fn last(name: &[u8]) -> &[u8] {
    name.rsplit(|&b| b == b'/').next().unwrap_or(name)
}

/// A shared object's file name: `libc.so.6`, `libfoo.so`,
/// `ld-linux-x86-64.so.2`.
pub fn is_shared_object_name(name: &[u8]) -> bool {
    name.ends_with(b".so") || name.windows(4).any(|w| w == b".so.")
}

/// A file a loader reads whole: a loader itself (`ld-linux-x86-64.so.2`,
/// `ld64.so.2`, `ld-musl-x86_64.so.1`), `ld.so.cache`, musl's
/// `ld-musl-x86_64.path`.
fn is_read_whole(name: &[u8]) -> bool {
    (name.starts_with(b"ld") && is_shared_object_name(name))
        || (name.starts_with(b"ld-musl-") && name.ends_with(b".path"))
}

impl Loaded {
    /// Reads what the load simulation of the files handed over so far will
    /// open (see the module comment), handing each file to `feed`, and
    /// keeps the bytes of those it reads whole.
    pub fn fetch_for_load(self: &Arc<Self>, feed: &Feed<'_>) -> Result<(), ImageError> {
        let tree = self.tree();
        // Live files and symlinks, by name.
        let mut by_name: HashMap<&[u8], Vec<NodeId>> = HashMap::new();
        for id in tree.node_ids() {
            if matches!(tree.entry(id), Entry::File { .. } | Entry::Symlink(_)) && tree.is_live(id)
            {
                by_name.entry(tree.name(id)).or_default().push(id);
            }
        }
        let fed: HashSet<u32> = self.fed.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let max = self.max_file_size();
        let mut fetched: HashSet<u32> = HashSet::new();
        let mut kept: HashMap<u32, Arc<[u8]>> = HashMap::new();
        let mut kept_bytes = 0u64;
        // Each round reads the files the names known so far lead to; a file
        // whose needs the index pass did not record (too large to hold
        // then, or not named as a shared object) is read in a round, and
        // its needs lead the next one.
        for _ in 0..MAX_ROUNDS {
            let (files, whole) = {
                let needs = self.needs.lock().unwrap_or_else(|e| e.into_inner());
                closure(tree, &by_name, &needs, &fed)
            };
            let mut need: Vec<(u32, u64, u32, u64)> = files
                .iter()
                .filter(|i| !fetched.contains(i))
                .filter(|i| !fed.contains(i) || whole.contains(i))
                .filter_map(|&i| {
                    let n = tree.inode(i)?;
                    (n.size <= max).then_some((n.layer, n.offset, i, n.size))
                })
                .collect();
            if need.is_empty() {
                break;
            }
            need.sort_unstable();
            self.stream(&need, |inode, bytes| {
                fetched.insert(inode);
                let size = bytes.len() as u64;
                if whole.contains(&inode) && kept_bytes.saturating_add(size) <= MAX_KEPT {
                    kept_bytes = kept_bytes.saturating_add(size);
                    kept.insert(inode, Arc::from(bytes));
                }
                if let Some(n) = Needs::of(bytes) {
                    self.needs
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(inode, n);
                }
                if !fed.contains(&inode) {
                    feed(FileId::in_image(inode), bytes);
                }
            })?;
        }
        // Set once per image: a second call keeps the first.
        let _ = self.kept.set(kept);
        Ok(())
    }
}

/// Rounds of [`Loaded::fetch_for_load`]: a closure deeper than this is
/// read on demand beyond it.
const MAX_ROUNDS: usize = 16;

/// The regular files the names needed by `roots` lead to, from name to
/// name through the needs known, with those a loader reads whole.
fn closure(
    tree: &super::tree::Tree,
    by_name: &HashMap<&[u8], Vec<NodeId>>,
    needs: &HashMap<u32, Needs>,
    roots: &HashSet<u32>,
) -> (HashSet<u32>, HashSet<u32>) {
    let mut names: VecDeque<&[u8]> = VecDeque::new();
    for inode in roots {
        if let Some(n) = needs.get(inode) {
            names.extend(n.names());
        }
    }
    names.extend(by_name.keys().copied().filter(|n| is_read_whole(n)));
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let mut files: HashSet<u32> = HashSet::new();
    let mut whole: HashSet<u32> = HashSet::new();
    while let Some(name) = names.pop_front() {
        if !seen.insert(name) {
            continue;
        }
        for &id in by_name.get(name).map(Vec::as_slice).unwrap_or_default() {
            let inode = match tree.entry(id) {
                Entry::File { inode, .. } => inode,
                _ => match tree.lookup(&tree.path_of(id)) {
                    Ok(Found::File { inode, .. }) => inode,
                    _ => continue,
                },
            };
            if is_read_whole(name) {
                whole.insert(inode);
            }
            if files.insert(inode)
                && let Some(n) = needs.get(&inode)
            {
                names.extend(n.names());
            }
        }
    }
    (files, whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in ["libc.so.6", "libfoo.so", "ld-linux-x86-64.so.2", "a.so.1.2"] {
            assert!(is_shared_object_name(n.as_bytes()), "{n}");
        }
        for n in ["libfoo.sock", "so", "plug.mod", "libc.a", "x.socket"] {
            assert!(!is_shared_object_name(n.as_bytes()), "{n}");
        }
        for n in [
            "ld-linux-x86-64.so.2",
            "ld64.so.2",
            "ld.so.1",
            "ld-musl-x86_64.so.1",
            "ld.so.cache",
            "ld-musl-x86_64.path",
        ] {
            assert!(is_read_whole(n.as_bytes()), "{n}");
        }
        assert!(!is_read_whole(b"libc.so.6"));
        assert_eq!(last(b"$ORIGIN/../lib/libx.so"), b"libx.so");
        assert_eq!(last(b"libx.so"), b"libx.so");
    }

    #[test]
    #[cfg_attr(
        target_env = "musl",
        ignore = "the test program is linked statically for the musl target"
    )]
    fn needs_of_a_real_program() {
        // This test program: linked dynamically against the C library.
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let n = Needs::of(&exe).unwrap();
        assert!(n.needed.iter().any(|x| x.starts_with(b"libc.so")));
        assert!(n.interp.is_some());
        assert!(Needs::of(b"not elf").is_none());
    }
}
