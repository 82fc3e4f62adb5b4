//! The two passes over an image's layers (see the module above) and what
//! they leave: [`Loaded`], the final tree with the means to read a file's
//! bytes again, and [`ImageFile`], one file of it as the walk hands it out.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use super::layer::{Cursor, Verified};
use super::loadset::{self, Needs};
use super::spec::RunConfig;
use super::tar::{self, Kind};
use super::tree::{Inode, NodeId, Tree};
use super::{Image, ImageError, LayerSpec, walk};
use crate::input::{FileId, InputError, Start};

/// Takes a file's bytes read from an image, by identity (the caller
/// inspects them, keyed by the id, while the next file is read).
pub type Feed<'f> = dyn Fn(FileId, &[u8]) + Sync + 'f;

/// An image whose layers were all applied and verified.
pub struct Loaded {
    pub reference: String,
    pub digest: String,
    pub platform: String,
    /// The config's `rootfs.diff_ids`, one per layer.
    pub diff_ids: Vec<String>,
    /// What a container of the image runs with.
    pub config: RunConfig,
    pub(super) tree: Tree,
    layers: Vec<LayerSpec>,
    /// One positioned stream per layer for reads on demand.
    cursors: Vec<Mutex<Option<Cursor>>>,
    max_file_size: u64,
    /// Inodes whose bytes were handed to a [`Feed`] already.
    pub(super) fed: Mutex<HashSet<u32>>,
    /// Whether the load simulation will run: what each ELF file needs is
    /// recorded as it is read (see [`super::loadset`]).
    pub(super) for_load: bool,
    /// With `for_load`: what the files read so far need, by inode.
    pub(super) needs: Mutex<NeedsByInode>,
    /// With `for_load`: the bytes of the files a loader reads whole (its
    /// own file, `ld.so.cache`, musl's path file), by inode, once fetched.
    pub(super) kept: std::sync::OnceLock<HashMap<u32, Arc<[u8]>>>,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("reference", &self.reference)
            .field("digest", &self.digest)
            .field("tree", &self.tree)
            .finish_non_exhaustive()
    }
}

/// Whether `path` is one of `prefixes` or below one.
fn under(path: &[u8], prefixes: &[Vec<u8>]) -> bool {
    prefixes.iter().any(|p| {
        p.as_slice() == b"/"
            || path == p.as_slice()
            || (path.starts_with(p) && path.get(p.len()) == Some(&b'/'))
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing panics while holding these locks; a poisoned one is still whole.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads the rest of a regular file's data after its first bytes.
fn read_rest<R: tar::Skip>(
    tr: &mut tar::Reader<R>,
    start: &[u8],
    size: u64,
) -> Result<Vec<u8>, String> {
    let len = usize::try_from(size).map_err(|_| "too large for memory".to_string())?;
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(len)
        .map_err(|_| format!("cannot hold {size} bytes in memory"))?;
    bytes.extend_from_slice(start);
    bytes.resize(len, 0);
    let mut at = start.len();
    while at < len {
        let n = tr
            .read(bytes.get_mut(at..).unwrap_or_default())
            .map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        at += n;
    }
    Ok(bytes)
}

/// Applies one layer's tar stream to `tree`, as layer `index` (from 0).
/// For each regular file placed, `placed` gets the reader (positioned
/// after the file's first bytes), the tree and the file's node in it, its
/// inode, its first bytes (at most 4) and its size.
pub fn apply_layer<R, F>(
    tree: &mut Tree,
    index: u32,
    stream: R,
    mut placed: F,
) -> Result<(), String>
where
    R: tar::Skip,
    F: FnMut(&mut tar::Reader<R>, &Tree, NodeId, u32, &[u8], u64) -> Result<(), String>,
{
    let mut tr = tar::Reader::new(stream);
    while let Some(h) = tr.next_entry().map_err(|e| e.to_string())? {
        let mut start = [0u8; 4];
        let mut n = 0usize;
        if h.kind == Kind::File {
            let want = usize::try_from(h.size.min(4)).unwrap_or(4);
            while n < want {
                match tr.read(start.get_mut(n..want).unwrap_or_default()) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) => return Err(e.to_string()),
                }
            }
        }
        let head = start.get(..n).unwrap_or_default();
        if let Some((node, inode)) = tree.apply(index, &h, head).map_err(|e| e.to_string())? {
            placed(&mut tr, tree, node, inode, head, h.size)?;
        }
    }
    Ok(())
}

/// Applies uncompressed layers held in memory to an empty tree (what the
/// index pass does, without digests): for tests and fuzzing.
pub fn apply_layers(layers: &[&[u8]]) -> Result<Tree, String> {
    let count = u32::try_from(layers.len()).map_err(|_| "too many layers".to_string())?;
    let mut tree = Tree::new(count);
    for (i, layer) in (0u32..).zip(layers) {
        apply_layer(&mut tree, i, *layer, |_, _, _, _, _, _| Ok(()))?;
    }
    Ok(tree)
}

impl Image {
    /// The index pass: applies every layer in order, verifying each, and
    /// hands `feed` the ELF files (at most `max_file_size` bytes) that lie
    /// at or below `wanted` paths as the tree stands when they pass.
    pub fn load(
        self,
        wanted: &[String],
        max_file_size: u64,
        feed: &Feed<'_>,
    ) -> Result<Arc<Loaded>, ImageError> {
        self.load_for(wanted, max_file_size, false, feed)
    }

    /// [`Image::load`]; with `for_load`, also records what each shared
    /// object (and each file handed over) needs, for the load simulation
    /// (see [`super::loadset`]).
    pub fn load_for(
        self,
        wanted: &[String],
        max_file_size: u64,
        for_load: bool,
        feed: &Feed<'_>,
    ) -> Result<Arc<Loaded>, ImageError> {
        let reference = self.reference.clone();
        let layers = self.layers;
        let (tree, fed, needs) = std::thread::scope(|s| {
            let (tx, rx) = sync_channel::<(u32, Vec<u8>)>(0);
            let producer =
                s.spawn(|| index_pass(&reference, &layers, wanted, max_file_size, for_load, tx));
            for (inode, bytes) in rx {
                feed(FileId::in_image(inode), &bytes);
            }
            producer.join().unwrap_or_else(|_| {
                Err(ImageError::Damaged(format!(
                    "{reference}: the layer reader stopped"
                )))
            })
        })?;
        let cursors = layers.iter().map(|_| Mutex::new(None)).collect();
        let run = self.config.config.clone().unwrap_or_default();
        Ok(Arc::new(Loaded {
            reference,
            digest: self.digest,
            platform: self.platform,
            diff_ids: self.config.rootfs.diff_ids.clone(),
            config: run,
            tree,
            layers,
            cursors,
            max_file_size,
            fed: Mutex::new(fed),
            for_load,
            needs: Mutex::new(needs),
            kept: std::sync::OnceLock::new(),
        }))
    }
}

/// What each file read needs from a loader, by inode.
type NeedsByInode = HashMap<u32, Needs>;

fn index_pass(
    reference: &str,
    layers: &[LayerSpec],
    wanted: &[String],
    max: u64,
    for_load: bool,
    tx: SyncSender<(u32, Vec<u8>)>,
) -> Result<(Tree, HashSet<u32>, NeedsByInode), ImageError> {
    let count = u32::try_from(layers.len())
        .map_err(|_| ImageError::Damaged(format!("{reference}: too many layers")))?;
    let mut tree = Tree::new(count);
    let mut fed = HashSet::new();
    let mut needs = HashMap::new();
    let bad = |m: String| ImageError::Damaged(format!("{reference}: {m}"));
    for (i, layer) in (0u32..).zip(layers) {
        let prefixes: Vec<Vec<u8>> = wanted
            .iter()
            .map(|w| tree.canonical(w.as_bytes()))
            .collect();
        let mut v = Verified::open(
            &layer.blob,
            layer.digest.as_ref(),
            &layer.diff_id,
            &layer.label,
        )
        .map_err(bad)?;
        apply_layer(&mut tree, i, &mut v, |tr, tree, node, inode, head, size| {
            let hand = head == b"\x7fELF" && size <= max && under(&tree.path_of(node), &prefixes);
            // A shared object a loader may open: what it needs, so that
            // the simulation's files can be fetched in one pass.
            let scan = for_load
                && head == b"\x7fELF"
                && size <= max.min(loadset::MAX_SCANNED)
                && loadset::is_shared_object_name(tree.name(node));
            if !hand && !scan {
                return Ok(());
            }
            let bytes = read_rest(tr, head, size)?;
            if for_load && let Some(n) = Needs::of(&bytes) {
                needs.insert(inode, n);
            }
            if hand {
                if tx.send((inode, bytes)).is_err() {
                    return Err("the inspector stopped".into());
                }
                fed.insert(inode);
            }
            Ok(())
        })
        .map_err(|e| bad(format!("{}: {e}", layer.label)))?;
        v.finish().map_err(bad)?;
    }
    Ok((tree, fed, needs))
}

impl Loaded {
    /// The fetch pass: the ELF files the walk of `targets` reaches that the
    /// index pass did not hand over, read in one stream per layer, in
    /// offset order, and handed to `feed`.
    pub fn prefetch(
        self: &Arc<Self>,
        targets: &[String],
        feed: &Feed<'_>,
    ) -> Result<(), ImageError> {
        let mut need: Vec<(u32, u64, u32, u64)> = Vec::new();
        {
            let fed = lock(&self.fed);
            let mut seen = HashSet::new();
            for item in walk::walk(self, targets) {
                if let walk::Item::File(v) = item
                    && let Some(i) = self.tree.inode(v.file.inode)
                    && i.is_elf()
                    && i.size <= self.max_file_size
                    && !fed.contains(&v.file.inode)
                    && seen.insert(v.file.inode)
                {
                    need.push((i.layer, i.offset, v.file.inode, i.size));
                }
            }
        }
        need.sort_unstable();
        self.stream(&need, |inode, bytes| {
            if self.for_load
                && let Some(n) = Needs::of(bytes)
            {
                lock(&self.needs).insert(inode, n);
            }
            feed(FileId::in_image(inode), bytes);
            lock(&self.fed).insert(inode);
        })
    }

    /// Reads the files `need` lists (`(layer, offset, inode, size)`, sorted)
    /// in one stream of each layer that holds any, stopping after the last,
    /// and hands each to `take` (on this thread, while the next is read).
    pub(super) fn stream(
        self: &Arc<Self>,
        need: &[(u32, u64, u32, u64)],
        mut take: impl FnMut(u32, &[u8]),
    ) -> Result<(), ImageError> {
        if need.is_empty() {
            return Ok(());
        }
        let reference = &self.reference;
        let bad = |m: String| ImageError::Damaged(format!("{reference}: {m}"));
        let bad = &bad;
        std::thread::scope(|s| {
            let (tx, rx) = sync_channel::<(u32, Vec<u8>)>(0);
            let producer = s.spawn(move || -> Result<(), ImageError> {
                let mut cursor: Option<(u32, Cursor)> = None;
                for &(layer, offset, inode, size) in need {
                    let spec = self
                        .layers
                        .get(layer as usize)
                        .ok_or_else(|| bad(format!("no layer {layer}")))?;
                    if cursor.as_ref().is_none_or(|(l, _)| *l != layer) {
                        cursor = Some((layer, Cursor::open(&spec.blob, &spec.label).map_err(bad)?));
                    }
                    let Some((_, c)) = cursor.as_mut() else {
                        continue;
                    };
                    let bytes = c.read_at(offset, size).map_err(bad)?;
                    if tx.send((inode, bytes)).is_err() {
                        return Err(bad("the inspector stopped".into()));
                    }
                }
                Ok(())
            });
            for (inode, bytes) in rx {
                take(inode, &bytes);
            }
            producer
                .join()
                .unwrap_or_else(|_| Err(bad("the layer reader stopped".into())))
        })
    }

    /// Warnings about entries skipped while applying layers, and how many
    /// more there were.
    pub fn warnings(&self) -> (&[String], usize) {
        self.tree.warnings()
    }

    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    pub(super) fn file(self: &Arc<Self>, node: NodeId, inode: u32, layer: u32) -> ImageFile {
        ImageFile {
            image: Arc::clone(self),
            node,
            inode,
            layer,
        }
    }

    /// The bytes fetched for the load simulation to read whole, if they were.
    pub fn kept(&self, inode: u32) -> Option<Arc<[u8]>> {
        self.kept.get()?.get(&inode).cloned()
    }

    /// The largest file read from the image.
    pub fn max_file_size(&self) -> u64 {
        self.max_file_size
    }

    fn inode(&self, inode: u32) -> Option<&Inode> {
        self.tree.inode(inode)
    }

    /// The program the image runs, resolved in its tree.
    pub fn program(&self) -> Result<super::entrypoint::Program, String> {
        super::entrypoint::program(&self.config)
    }

    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Opens `path` inside the image as a process in a container of it
    /// would: symlinks followed inside the image (at most 40), the node's
    /// type and permission bits (`st_mode`), and for a regular file its
    /// identity and bytes (read on demand, at most `--max-file-size`).
    /// This is what a file-tree seam over images (for the loader
    /// simulation) needs: `dev`/`ino` are `u64::MAX`/the inode, `id` the
    /// [`FileId`] the walk gives the same file.
    pub fn open_path(self: &Arc<Self>, path: &[u8]) -> Result<Opened, OpenFailure> {
        use super::tree::Entry;
        let id = self.tree.lookup_node(path).map_err(OpenFailure::Lookup)?;
        Ok(match self.tree.entry(id) {
            Entry::File { inode, layer } => {
                let file = self.file(id, inode, layer);
                let i = self.inode(inode).copied();
                let mode = libc::S_IFREG | i.map_or(0, |i| i.mode);
                let bytes = file
                    .read(&crate::input::escape_bytes(path))
                    .map_err(|e| OpenFailure::Read(e.to_string()))?;
                Opened {
                    mode,
                    len: file.size(),
                    id: Some(file.id()),
                    bytes: Some(Arc::from(bytes)),
                }
            }
            Entry::Dir => Opened {
                mode: libc::S_IFDIR | 0o755,
                len: 0,
                id: None,
                bytes: None,
            },
            Entry::Other(kind) => Opened {
                mode: match kind {
                    "FIFO" => libc::S_IFIFO,
                    "block device" => libc::S_IFBLK,
                    _ => libc::S_IFCHR,
                } | 0o644,
                len: 0,
                id: None,
                bytes: None,
            },
            // `lookup_node` follows every symlink.
            Entry::Symlink(_) => return Err(OpenFailure::Lookup(super::tree::LookupError::Loop)),
        })
    }

    /// The in-image path `path` resolves to (absolute, no symlinks, `.` or `..`).
    pub fn canonical(&self, path: &[u8]) -> Result<Vec<u8>, super::tree::LookupError> {
        self.tree.lookup_node(path).map(|id| self.tree.path_of(id))
    }
}

/// What [`Loaded::open_path`] found.
#[derive(Debug)]
pub struct Opened {
    /// `st_mode`: type and permission bits.
    pub mode: u32,
    pub len: u64,
    /// A regular file's identity (shared by its hard links and the symlinks to it).
    pub id: Option<FileId>,
    /// A regular file's bytes.
    pub bytes: Option<Arc<[u8]>>,
}

/// Why [`Loaded::open_path`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenFailure {
    /// The path did not resolve (as `ENOENT`, `ELOOP`, `ENOTDIR`).
    Lookup(super::tree::LookupError),
    /// The file's bytes could not be read (larger than `--max-file-size`, a
    /// layer changed since it was verified).
    Read(String),
}

/// A regular file of an image, as a walk reached it.
#[derive(Clone)]
pub struct ImageFile {
    image: Arc<Loaded>,
    /// The tree node the walk reached it by (the file itself, or the
    /// symlink or hard link in the directory walked).
    node: NodeId,
    pub(super) inode: u32,
    /// The layer of the entry that named it (from 0).
    layer: u32,
}

impl std::fmt::Debug for ImageFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageFile")
            .field("inode", &self.inode)
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl ImageFile {
    /// Which file this is: hard links to it and symlinks reaching it share it.
    pub fn id(&self) -> FileId {
        FileId::in_image(self.inode)
    }

    pub fn size(&self) -> u64 {
        self.image.inode(self.inode).map_or(0, |i| i.size)
    }

    /// Its first bytes (at most four).
    pub fn start(&self) -> Start {
        match self.image.inode(self.inode) {
            Some(i) => Start::new(i.start, usize::from(i.start_len)),
            None => Start::new([0; 4], 0),
        }
    }

    pub fn is_elf(&self) -> bool {
        self.image.inode(self.inode).is_some_and(Inode::is_elf)
    }

    pub fn max_file_size(&self) -> u64 {
        self.image.max_file_size
    }

    /// The in-image path the walk reached it by, as `--root` takes it over
    /// the unpacked image: real directories (no symlinks), then the name
    /// walked (which may be a symlink) or, for a target, the file itself.
    pub fn path(&self) -> Vec<u8> {
        self.image.tree.path_of(self.node)
    }

    /// The layer whose entry supplied this name's bytes, from 1, and its diff_id.
    pub fn layer(&self) -> (usize, &str) {
        let i = self.layer as usize;
        (
            i.saturating_add(1),
            self.image
                .diff_ids
                .get(i)
                .map(String::as_str)
                .unwrap_or_default(),
        )
    }

    /// Its bytes, read on demand from its layer (a positioned stream kept
    /// per layer, so reads in offset order stream the layer once). At most
    /// `--max-file-size`.
    pub fn read(&self, display: &str) -> Result<Vec<u8>, InputError> {
        self.image.read_inode(self.inode, display)
    }
}

impl Loaded {
    /// The bytes of the file `inode` (named `display` in errors), read on
    /// demand from its layer (see [`ImageFile::read`]).
    pub fn read_inode(&self, inode: u32, display: &str) -> Result<Vec<u8>, InputError> {
        let fail = |m: String| InputError::Io {
            path: display.to_string(),
            op: "read from the image",
            source: std::io::Error::other(m),
        };
        let inode = *self
            .inode(inode)
            .ok_or_else(|| fail("no such file in the image".into()))?;
        if inode.size > self.max_file_size {
            return Err(fail(format!(
                "{} bytes is more than --max-file-size ({} bytes)",
                inode.size, self.max_file_size
            )));
        }
        let spec = self
            .layers
            .get(inode.layer as usize)
            .ok_or_else(|| fail("no such layer".into()))?;
        let slot = self
            .cursors
            .get(inode.layer as usize)
            .ok_or_else(|| fail("no such layer".into()))?;
        let mut cursor = lock(slot);
        if cursor.as_ref().is_none_or(|c| c.position() > inode.offset) {
            *cursor = Some(Cursor::open(&spec.blob, &spec.label).map_err(&fail)?);
        }
        match cursor.as_mut() {
            Some(c) => c.read_at(inode.offset, inode.size).map_err(&fail),
            None => Err(fail("no stream".into())),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tar::tests::entry;
    use super::*;
    use sha2::Digest as _;

    fn hex(b: &[u8]) -> String {
        crate::input::hex(&sha2::Sha256::digest(b))
    }

    /// A layout of two gzip layers; returns the directory.
    pub(in crate::input::image) fn layout(dir: &std::path::Path, layers: &[Vec<u8>]) {
        use std::io::Write;
        let blobs = dir.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        let put = |b: &[u8]| {
            std::fs::write(blobs.join(hex(b)), b).unwrap();
            format!(r#"{{"digest":"sha256:{}","size":{}}}"#, hex(b), b.len())
        };
        let mut descs = Vec::new();
        let mut diff_ids = Vec::new();
        for l in layers {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(l).unwrap();
            descs.push(put(&gz.finish().unwrap()));
            diff_ids.push(format!(r#""sha256:{}""#, hex(l)));
        }
        let config = format!(
            r#"{{"os":"linux","architecture":"amd64","rootfs":{{"type":"layers","diff_ids":[{}]}}}}"#,
            diff_ids.join(",")
        );
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{},"layers":[{}]}}"#,
            put(config.as_bytes()),
            descs.join(",")
        );
        let m = put(manifest.as_bytes());
        std::fs::write(dir.join("index.json"), format!(r#"{{"manifests":[{m}]}}"#)).unwrap();
        std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    }

    #[test]
    fn files_read_on_demand_in_any_order_are_their_bytes() {
        let d = tempfile::tempdir().unwrap();
        let content =
            |i: usize| -> Vec<u8> { (0..3000 + i * 1000).map(|j| (j * 7 + i) as u8).collect() };
        let mut one = Vec::new();
        for i in 0..5 {
            one.extend(entry(format!("d/f{i}").as_bytes(), b'0', &content(i), b""));
        }
        let mut two = entry(b"d/f2", b'0', b"replaced", b"");
        two.extend(entry(b"d/hard", b'1', b"", b"d/f3"));
        layout(d.path(), &[one, two]);
        let reference = format!("oci:{}", d.path().display());
        let image = super::super::open(&reference, None, "amd64").unwrap();
        let fed = std::sync::Mutex::new(0usize);
        let loaded = image
            .load(&[], 1 << 20, &|_, _| *fed.lock().unwrap() += 1)
            .unwrap();
        assert_eq!(
            *fed.lock().unwrap(),
            0,
            "nothing wanted, nothing read ahead"
        );
        let mut files: Vec<(String, ImageFile)> = walk::walk(&loaded, &["/d".to_string()])
            .into_iter()
            .filter_map(|i| match i {
                walk::Item::File(v) => Some((v.display, v.file)),
                _ => None,
            })
            .collect();
        assert_eq!(files.len(), 6);
        // Backwards: every read starts the layer's stream again.
        files.reverse();
        for (path, f) in &files {
            let want = match path.as_str() {
                "/d/f2" => b"replaced".to_vec(),
                "/d/hard" => content(3),
                p => content(p.trim_start_matches("/d/f").parse().unwrap()),
            };
            assert_eq!(f.read(path).unwrap(), want, "{path}");
        }
        assert_eq!(files[0].1.layer().0, 2, "a hard link is its entry's layer");
        // The seam a loader reads through: the same bytes, by path.
        let o = loaded.open_path(b"/d/../d/hard").unwrap();
        assert_eq!(o.bytes.as_deref(), Some(content(3).as_slice()));
        assert_eq!(o.mode & libc::S_IFMT, libc::S_IFREG);
        assert_eq!(o.id, Some(files[0].1.id()));
        assert_eq!(
            loaded.open_path(b"/d").unwrap().mode & libc::S_IFMT,
            libc::S_IFDIR
        );
        assert_eq!(loaded.canonical(b"/d/./f1").unwrap(), b"/d/f1");
        assert!(matches!(
            loaded.open_path(b"/nope"),
            Err(OpenFailure::Lookup(_))
        ));
        let small = super::super::open(&reference, None, "amd64")
            .unwrap()
            .load(&[], 100, &|_, _| {})
            .unwrap();
        let walked = walk::walk(&small, &["/d/f0".to_string()]);
        let Some(walk::Item::File(v)) = walked.first() else {
            panic!("{walked:?}")
        };
        let err = v.file.read("/d/f0").unwrap_err().to_string();
        assert!(err.contains("--max-file-size"), "{err}");
    }
}
