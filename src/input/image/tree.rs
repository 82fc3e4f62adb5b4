//! The image's file tree: every layer's entries applied in order to an
//! empty root, held in memory as names and positions only (a regular
//! file is where its bytes are: layer, offset in the layer's uncompressed
//! stream, size; never the bytes). Read-only once built.
//!
//! Applying an entry follows what `umoci unpack` (`oci/layer/tar_extract.go`)
//! does to a directory, so that walking the tree gives what `--root` over
//! the unpacked image gives:
//! - the parent of an entry is resolved inside the image, following
//!   symlinks, and created when missing (`MkdirAll`); the entry itself
//!   replaces what is at its name (a directory over a directory merges);
//! - a whiteout `DIR/.wh.NAME` removes `DIR/NAME` and an opaque marker
//!   `DIR/.wh..wh..opq` the children of `DIR`, keeping whatever this layer
//!   itself put there (umoci's `upperPaths`): whiteouts act on lower layers
//!   only, wherever they sit in their tar. Each node carries the last layer
//!   that put something at or below it, which is that set;
//! - a hard link names the node its link name reaches (the parent resolved
//!   through symlinks, the last component not), so it shares the file's
//!   bytes; a later change to either name does not change the other.
//!
//! Where umoci would fail or the kernel refuse, the entry is skipped with
//! a warning that names it, the same way every time: a name whose `..`
//! leaves the image, a parent reached through a symlink whose `..` leaves
//! it, more than 40 symlinks, a parent that is not a directory, a hard link
//! to a missing file or a directory, a name component over 255 bytes, a
//! symlink target that is empty or 4096 bytes or longer, the root replaced
//! by a non-directory. Nothing is ever written anywhere.
//!
//! Reading (targets, the walk) resolves paths as `input::resolve_in_root`
//! does under `--root`: absolute symlinks restart at the root, `..` stops
//! there, 40 links at most, with the same errors.
//!
//! Bounds: the tree's memory (nodes and names) is capped at
//! [`MAX_TREE_BYTES`], and the components processed by all path
//! resolutions of one image at [`MAX_STEPS`], so a hostile image (millions
//! of entries, a symlink maze) ends in an error, not in exhaustion or a hang.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use super::tar::{Header, Kind};

/// A node's place in [`Tree::nodes`].
pub type NodeId = u32;

/// The root directory.
pub const ROOT: NodeId = 0;

/// Linux's limit on symlinks followed in one lookup (`MAXSYMLINKS`).
const MAX_SYMLINKS: u32 = 40;

/// Linux's `NAME_MAX`: longer components cannot be created.
const NAME_MAX: usize = 255;

/// Linux's `PATH_MAX`: a symlink target must be shorter.
const PATH_MAX: usize = 4096;

/// The memory the tree may take (nodes, names, link targets): far beyond a
/// real image (100 000 files take about 15 MiB).
pub const MAX_TREE_BYTES: u64 = 512 << 20;

/// What one node costs beyond its name, for [`MAX_TREE_BYTES`].
const NODE_COST: u64 = 96;

/// Components processed by all path resolutions of one image, writing and
/// reading (a real image needs a few per entry).
pub const MAX_STEPS: u64 = 256 << 20;

/// Warnings kept (and printed); the rest are counted.
const MAX_WARNINGS: usize = 100;

/// One name in the tree.
#[derive(Debug)]
struct Node {
    parent: NodeId,
    /// Its name in its parent (kept here too, so a path is built without
    /// searching the parent's entries).
    name: Box<[u8]>,
    /// The last layer that put something at or below this node.
    stamp: u32,
    kind: NodeKind,
}

#[derive(Debug)]
enum NodeKind {
    Dir(BTreeMap<Box<[u8]>, NodeId>),
    /// A regular file: its bytes, and the layer of the entry that named it
    /// (a hard link's own layer).
    File {
        inode: u32,
        layer: u32,
    },
    Symlink {
        target: Box<[u8]>,
    },
    /// A device or FIFO: never opened; named by its kind.
    Other(&'static str),
}

/// Where a regular file's bytes are.
#[derive(Debug, Clone, Copy)]
pub struct Inode {
    pub layer: u32,
    /// Offset of the first byte in the layer's uncompressed stream.
    pub offset: u64,
    pub size: u64,
    pub mode: u32,
    /// The first bytes (at most 4), to tell ELF files without reading them again.
    pub start: [u8; 4],
    pub start_len: u8,
}

impl Inode {
    pub fn is_elf(&self) -> bool {
        self.start_len == 4 && &self.start == b"\x7fELF"
    }
}

/// What a path leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Dir(NodeId),
    /// A regular file: the inode and the layer of the entry that named it.
    File {
        inode: u32,
        layer: u32,
    },
    Other(&'static str),
}

/// Why a path did not lead to a node, as the host's lookups would say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// ENOENT, with where resolution led (`""` when nothing was resolved).
    NotFound(String),
    /// ELOOP: more than 40 symlinks.
    Loop,
    /// ENOTDIR: a component below a file.
    NotDir,
    /// [`MAX_STEPS`] spent.
    Budget,
}

/// Why the tree could not be built: the image is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error(
        "the image's file tree needs more than {} MiB (too many entries, names or link targets)",
        MAX_TREE_BYTES >> 20
    )]
    TooLarge,
    #[error("resolving paths took more than {MAX_STEPS} steps (a symlink maze?)")]
    Budget,
}

/// Why an entry is skipped.
enum Skip {
    Escapes,
    ThroughEscapingLink,
    Loop,
    NotDir,
    Budget,
}

pub struct Tree {
    nodes: Vec<Node>,
    inodes: Vec<Inode>,
    layers: u32,
    warnings: Vec<String>,
    omitted: usize,
    bytes: u64,
    steps: AtomicU64,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("nodes", &self.nodes.len())
            .field("inodes", &self.inodes.len())
            .finish_non_exhaustive()
    }
}

/// The components of a name: `/`, empty and `.` components dropped.
fn components(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
}

impl Tree {
    /// An empty root, for an image of `layers` layers.
    pub fn new(layers: u32) -> Self {
        Tree {
            nodes: vec![Node {
                parent: ROOT,
                name: Box::default(),
                stamp: 0,
                kind: NodeKind::Dir(BTreeMap::new()),
            }],
            inodes: Vec::new(),
            layers,
            warnings: Vec::new(),
            omitted: 0,
            bytes: NODE_COST,
            steps: AtomicU64::new(0),
        }
    }

    /// Warnings, in the order met, and how many more were not kept.
    pub fn warnings(&self) -> (&[String], usize) {
        (&self.warnings, self.omitted)
    }

    pub fn inode(&self, inode: u32) -> Option<&Inode> {
        self.inodes.get(usize::try_from(inode).ok()?)
    }

    pub fn inode_count(&self) -> usize {
        self.inodes.len()
    }

    fn node(&self, id: NodeId) -> &Node {
        // Ids come from this tree, which never removes a node from `nodes`.
        &self.nodes[id as usize]
    }

    fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id as usize]
    }

    fn children(&self, id: NodeId) -> Option<&BTreeMap<Box<[u8]>, NodeId>> {
        match &self.node(id).kind {
            NodeKind::Dir(c) => Some(c),
            _ => None,
        }
    }

    fn child(&self, dir: NodeId, name: &[u8]) -> Option<NodeId> {
        self.children(dir)?.get(name).copied()
    }

    fn warn(&mut self, layer: u32, name: &[u8], why: &str) {
        if self.warnings.len() < MAX_WARNINGS {
            let name = crate::input::escape_bytes(name);
            self.warnings.push(format!(
                "layer {} of {}: entry {name:?} skipped: {why}",
                layer.saturating_add(1),
                self.layers
            ));
        } else {
            self.omitted = self.omitted.saturating_add(1);
        }
    }

    fn step(&self) -> bool {
        self.steps.fetch_add(1, Ordering::Relaxed) < MAX_STEPS
    }

    fn add(
        &mut self,
        parent: NodeId,
        name: &[u8],
        kind: NodeKind,
        layer: u32,
    ) -> Result<NodeId, TreeError> {
        let extra = match &kind {
            NodeKind::Symlink { target } => target.len() as u64,
            _ => 0,
        };
        self.bytes = self
            .bytes
            .saturating_add(NODE_COST)
            .saturating_add(2 * name.len() as u64)
            .saturating_add(extra);
        let id = NodeId::try_from(self.nodes.len()).map_err(|_| TreeError::TooLarge)?;
        if self.bytes > MAX_TREE_BYTES {
            return Err(TreeError::TooLarge);
        }
        self.nodes.push(Node {
            parent,
            name: name.into(),
            stamp: layer,
            kind,
        });
        if let NodeKind::Dir(children) = &mut self.node_mut(parent).kind {
            children.insert(name.into(), id);
        }
        Ok(id)
    }

    /// Marks `id` and its ancestors as touched by `layer`.
    fn mark(&mut self, mut id: NodeId, layer: u32) {
        loop {
            let node = self.node_mut(id);
            if node.stamp == layer && id != ROOT {
                // Its ancestors were marked when it was.
                break;
            }
            node.stamp = layer;
            if id == ROOT {
                break;
            }
            id = node.parent;
        }
    }

    /// Resolves a directory for writing: symlinks followed inside the
    /// image, `..` leaving it refused, missing directories created when
    /// `create` (else `Ok(None)`).
    fn dir_for_write(
        &mut self,
        path: &[&[u8]],
        create: bool,
        layer: u32,
    ) -> Result<Result<Option<NodeId>, Skip>, TreeError> {
        let mut pending: std::collections::VecDeque<Box<[u8]>> =
            path.iter().map(|c| Box::<[u8]>::from(*c)).collect();
        let mut cur = ROOT;
        let mut links = 0u32;
        while let Some(comp) = pending.pop_front() {
            if !self.step() {
                return Ok(Err(Skip::Budget));
            }
            if &*comp == b".." {
                if cur == ROOT {
                    return Ok(Err(if links > 0 {
                        Skip::ThroughEscapingLink
                    } else {
                        Skip::Escapes
                    }));
                }
                cur = self.node(cur).parent;
                continue;
            }
            match self.child(cur, &comp) {
                None if create => {
                    let id = self.add(cur, &comp, NodeKind::Dir(BTreeMap::new()), layer)?;
                    self.mark(id, layer);
                    cur = id;
                }
                None => return Ok(Ok(None)),
                Some(id) => match &self.node(id).kind {
                    NodeKind::Dir(_) => cur = id,
                    NodeKind::Symlink { target } => {
                        links += 1;
                        if links > MAX_SYMLINKS {
                            return Ok(Err(Skip::Loop));
                        }
                        if target.first() == Some(&b'/') {
                            cur = ROOT;
                        }
                        let mut front: std::collections::VecDeque<Box<[u8]>> = target
                            .split(|&b| b == b'/')
                            .filter(|c| !c.is_empty() && *c != b".")
                            .map(Box::<[u8]>::from)
                            .collect();
                        front.append(&mut pending);
                        pending = front;
                    }
                    NodeKind::File { .. } | NodeKind::Other(_) => return Ok(Err(Skip::NotDir)),
                },
            }
        }
        Ok(Ok(Some(cur)))
    }

    /// The clean components of an entry name, or `None` when its `..`
    /// would leave the image. A leading `/` is dropped, as every runtime does.
    fn clean(name: &[u8]) -> Option<Vec<&[u8]>> {
        let mut out: Vec<&[u8]> = Vec::new();
        for c in components(name) {
            if c == b".." {
                out.pop()?;
            } else {
                out.push(c);
            }
        }
        Some(out)
    }

    fn skip_reason(layer: u32, s: &Skip) -> &'static str {
        let _ = layer;
        match s {
            Skip::Escapes => "its `..` leaves the image",
            Skip::ThroughEscapingLink => {
                "it would be written through a symlink that points out of the image"
            }
            Skip::Loop => "more than 40 symlinks in its path",
            Skip::NotDir => "a component of its path is not a directory",
            Skip::Budget => "path resolution budget spent",
        }
    }

    /// Applies one entry of layer `layer` (from 0). `start` holds the first
    /// bytes of a regular file's data (at most 4). Returns the inode of a
    /// regular file that was placed, with its node.
    pub fn apply(
        &mut self,
        layer: u32,
        h: &Header,
        start: &[u8],
    ) -> Result<Option<(NodeId, u32)>, TreeError> {
        let Some(comps) = Self::clean(&h.name) else {
            self.warn(layer, &h.name, "its `..` leaves the image");
            return Ok(None);
        };
        if comps.iter().any(|c| c.len() > NAME_MAX) {
            self.warn(layer, &h.name, "a name component is longer than 255 bytes");
            return Ok(None);
        }
        let Some((base, parent)) = comps.split_last() else {
            if h.kind != Kind::Dir {
                self.warn(
                    layer,
                    &h.name,
                    "it would replace the image's root directory",
                );
            }
            return Ok(None);
        };
        if let Some(rest) = base.strip_prefix(b".wh.") {
            return self.whiteout(layer, h, parent, rest);
        }
        let dir = match self.dir_for_write(parent, true, layer)? {
            Ok(Some(d)) => d,
            Ok(None) => return Ok(None),
            Err(Skip::Budget) => return Err(TreeError::Budget),
            Err(s) => {
                self.warn(layer, &h.name, Self::skip_reason(layer, &s));
                return Ok(None);
            }
        };
        let existing = self.child(dir, base);
        if h.kind == Kind::Dir
            && let Some(e) = existing
            && matches!(self.node(e).kind, NodeKind::Dir(_))
        {
            self.mark(e, layer);
            return Ok(None);
        }
        // The entry replaces what was there (umoci's RemoveAll).
        if existing.is_some()
            && let NodeKind::Dir(children) = &mut self.node_mut(dir).kind
        {
            children.remove(*base);
        }
        let kind = match h.kind {
            Kind::File => {
                let mut s = [0u8; 4];
                let n = start.len().min(4);
                for (to, from) in s.iter_mut().zip(start) {
                    *to = *from;
                }
                let inode = u32::try_from(self.inodes.len()).map_err(|_| TreeError::TooLarge)?;
                self.inodes.push(Inode {
                    layer,
                    offset: h.data_offset,
                    size: h.size,
                    mode: h.mode,
                    start: s,
                    start_len: n as u8,
                });
                NodeKind::File { inode, layer }
            }
            Kind::Dir => NodeKind::Dir(BTreeMap::new()),
            Kind::Symlink => {
                if h.link.is_empty() || h.link.len() >= PATH_MAX {
                    self.warn(
                        layer,
                        &h.name,
                        "its symlink target is empty or 4096 bytes or longer",
                    );
                    return Ok(None);
                }
                NodeKind::Symlink {
                    target: h.link.as_slice().into(),
                }
            }
            Kind::HardLink => match self.link_target(layer, &h.link)? {
                Ok(k) => k,
                Err(why) => {
                    self.warn(layer, &h.name, why);
                    return Ok(None);
                }
            },
            Kind::Char => NodeKind::Other("character device"),
            Kind::Block => NodeKind::Other("block device"),
            Kind::Fifo => NodeKind::Other("FIFO"),
        };
        let inode = match kind {
            NodeKind::File { inode, .. } => Some(inode),
            _ => None,
        };
        let id = self.add(dir, base, kind, layer)?;
        self.mark(id, layer);
        Ok(inode.map(|i| (id, i)))
    }

    /// What a hard link entry of `layer` names: the node at its link name
    /// (parent through symlinks, last component not), as a new name.
    fn link_target(
        &mut self,
        layer: u32,
        link: &[u8],
    ) -> Result<Result<NodeKind, &'static str>, TreeError> {
        let Some(comps) = Self::clean(link) else {
            return Ok(Err("its hard link target's `..` leaves the image"));
        };
        let Some((base, parent)) = comps.split_last() else {
            return Ok(Err("it is a hard link to the root directory"));
        };
        let dir = match self.dir_for_write(parent, false, layer)? {
            Ok(Some(d)) => d,
            Ok(None) => return Ok(Err("it is a hard link to a missing file")),
            Err(Skip::Budget) => return Err(TreeError::Budget),
            Err(Skip::ThroughEscapingLink) => {
                return Ok(Err(
                    "its hard link target is reached through a symlink that points out of the image",
                ));
            }
            Err(_) => return Ok(Err("its hard link target cannot be resolved")),
        };
        let Some(target) = self.child(dir, base) else {
            return Ok(Err("it is a hard link to a missing file"));
        };
        Ok(match &self.node(target).kind {
            NodeKind::File { inode, .. } => Ok(NodeKind::File {
                inode: *inode,
                layer,
            }),
            NodeKind::Symlink { target } => Ok(NodeKind::Symlink {
                target: target.clone(),
            }),
            NodeKind::Other(k) => Ok(NodeKind::Other(k)),
            NodeKind::Dir(_) => Err("it is a hard link to a directory"),
        })
    }

    /// `.wh.NAME` (or the opaque marker `.wh..wh..opq`) in `parent`.
    fn whiteout(
        &mut self,
        layer: u32,
        h: &Header,
        parent: &[&[u8]],
        rest: &[u8],
    ) -> Result<Option<(NodeId, u32)>, TreeError> {
        let dir = match self.dir_for_write(parent, false, layer)? {
            Ok(Some(d)) => d,
            // Nothing there to remove.
            Ok(None) => return Ok(None),
            Err(Skip::Budget) => return Err(TreeError::Budget),
            Err(s) => {
                self.warn(layer, &h.name, Self::skip_reason(layer, &s));
                return Ok(None);
            }
        };
        if rest == b".wh..opq" {
            let kids: Vec<NodeId> = self
                .children(dir)
                .map(|c| c.values().copied().collect())
                .unwrap_or_default();
            for k in kids {
                self.remove_lower(k, layer);
            }
            return Ok(None);
        }
        if rest.starts_with(b".wh.") {
            // Other AUFS metadata (`.wh..wh.plnk`...): nothing to apply.
            return Ok(None);
        }
        if rest.is_empty() || rest == b"." || rest == b".." {
            self.warn(layer, &h.name, "a whiteout that names no file");
            return Ok(None);
        }
        if let Some(victim) = self.child(dir, rest) {
            self.remove_lower(victim, layer);
        }
        Ok(None)
    }

    /// Removes what lower layers put at `id` and below, keeping what
    /// `layer` itself put there (and the directories that lead to it).
    fn remove_lower(&mut self, id: NodeId, layer: u32) {
        // An explicit stack: a deep tree must not overflow the call stack.
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            if self.node(n).stamp != layer {
                let parent = self.node(n).parent;
                let name = self.node(n).name.clone();
                if let NodeKind::Dir(children) = &mut self.node_mut(parent).kind {
                    children.remove(&name);
                }
                continue;
            }
            if let Some(c) = self.children(n) {
                stack.extend(c.values().copied());
            }
        }
    }

    /// Resolves `path` for reading, as `input::resolve_in_root` does under
    /// `--root`: every symlink followed (the last one too), absolute ones
    /// from the root, `..` stopping at the root.
    pub fn lookup(&self, path: &[u8]) -> Result<Found, LookupError> {
        self.lookup_node(path).map(|id| self.found(id))
    }

    /// [`Tree::lookup`], giving the node.
    pub fn lookup_node(&self, path: &[u8]) -> Result<NodeId, LookupError> {
        let mut pending: std::collections::VecDeque<&[u8]> = components(path).collect();
        let mut cur = ROOT;
        let mut links = 0u32;
        while let Some(comp) = pending.pop_front() {
            if !self.step() {
                return Err(LookupError::Budget);
            }
            if comp == b".." {
                cur = self.node(cur).parent;
                continue;
            }
            let Some(children) = self.children(cur) else {
                return Err(LookupError::NotDir);
            };
            let Some(&id) = children.get(comp) else {
                let detail = if cur == ROOT && links == 0 {
                    String::new()
                } else {
                    format!(
                        " (resolved inside the root to {})",
                        self.path_lossy(cur, Some(comp))
                    )
                };
                return Err(LookupError::NotFound(detail));
            };
            match &self.node(id).kind {
                NodeKind::Symlink { target } => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(LookupError::Loop);
                    }
                    if target.first() == Some(&b'/') {
                        cur = ROOT;
                    }
                    for c in components(target).collect::<Vec<_>>().into_iter().rev() {
                        pending.push_front(c);
                    }
                }
                _ => cur = id,
            }
        }
        Ok(cur)
    }

    /// Where `path` is in the tree as it stands: its real path, symlinks
    /// resolved; a missing part and what follows it as written. For guessing
    /// which files a later walk will reach.
    pub fn canonical(&self, path: &[u8]) -> Vec<u8> {
        let mut prefix: Vec<&[u8]> = Vec::new();
        let comps: Vec<&[u8]> = components(path).collect();
        // The longest leading part that resolves.
        let mut resolved = b"/".to_vec();
        for (i, c) in comps.iter().enumerate() {
            prefix.push(c);
            let mut p = Vec::new();
            for x in &prefix {
                p.push(b'/');
                p.extend_from_slice(x);
            }
            match self.lookup_node(&p) {
                Ok(id) => resolved = self.path_of(id),
                Err(_) => {
                    let mut out = resolved;
                    for rest in comps.get(i..).unwrap_or_default() {
                        if out.last() != Some(&b'/') {
                            out.push(b'/');
                        }
                        out.extend_from_slice(rest);
                    }
                    return out;
                }
            }
        }
        resolved
    }

    fn found(&self, id: NodeId) -> Found {
        match &self.node(id).kind {
            NodeKind::Dir(_) => Found::Dir(id),
            NodeKind::File { inode, layer } => Found::File {
                inode: *inode,
                layer: *layer,
            },
            NodeKind::Other(k) => Found::Other(k),
            // `lookup` follows every symlink.
            NodeKind::Symlink { .. } => Found::Other("symbolic link"),
        }
    }

    /// `/a/b[/last]` from the root to `id`, names as lossy UTF-8 (as the
    /// host resolver words its errors).
    fn path_lossy(&self, id: NodeId, last: Option<&[u8]>) -> String {
        let mut names: Vec<String> = last
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .into_iter()
            .collect();
        names.extend(
            self.names(id)
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned()),
        );
        names.reverse();
        format!("/{}", names.join("/"))
    }

    /// The names from `id` up to the root (nearest first).
    fn names(&self, mut id: NodeId) -> Vec<&[u8]> {
        let mut out = Vec::new();
        while id != ROOT {
            let node = self.node(id);
            out.push(&*node.name);
            id = node.parent;
        }
        out
    }

    /// Every node id, removed ones included (see [`Tree::is_live`]).
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes.len()).filter_map(|i| NodeId::try_from(i).ok())
    }

    /// Whether a node is still in the tree: a node removed (a whiteout, a
    /// replaced directory) stays in `nodes`, out of its parent.
    pub fn is_live(&self, mut id: NodeId) -> bool {
        // Each step goes one level up; a tree is never deeper than its size.
        for _ in 0..self.nodes.len() {
            if id == ROOT {
                return true;
            }
            let node = self.node(id);
            if self.child(node.parent, &node.name) != Some(id) {
                return false;
            }
            id = node.parent;
        }
        false
    }

    /// A node's own name (empty for the root).
    pub fn name(&self, id: NodeId) -> &[u8] {
        &self.node(id).name
    }

    /// The raw path of a node from the root (`/a/b`).
    pub fn path_of(&self, id: NodeId) -> Vec<u8> {
        let mut names = self.names(id);
        names.reverse();
        let mut out = Vec::new();
        for n in names {
            out.push(b'/');
            out.extend_from_slice(n);
        }
        if out.is_empty() {
            out.push(b'/');
        }
        out
    }

    /// The entries of a directory, by name: `(name, node)`.
    pub fn list(&self, dir: NodeId) -> Vec<(&[u8], NodeId)> {
        self.children(dir)
            .map(|c| c.iter().map(|(k, v)| (&**k, *v)).collect())
            .unwrap_or_default()
    }

    /// What a node is, without following a symlink.
    pub fn entry(&self, id: NodeId) -> Entry<'_> {
        match &self.node(id).kind {
            NodeKind::Dir(_) => Entry::Dir,
            NodeKind::File { inode, layer } => Entry::File {
                inode: *inode,
                layer: *layer,
            },
            NodeKind::Symlink { target } => Entry::Symlink(target),
            NodeKind::Other(k) => Entry::Other(k),
        }
    }
}

/// A node as listed.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'t> {
    Dir,
    File { inode: u32, layer: u32 },
    Symlink(&'t [u8]),
    Other(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: &str, kind: Kind, link: &str) -> Header {
        Header {
            name: name.as_bytes().to_vec(),
            link: link.as_bytes().to_vec(),
            kind,
            mode: 0o755,
            size: 0,
            offset: 0,
            data_offset: 0,
        }
    }

    fn file(t: &mut Tree, layer: u32, name: &str) {
        t.apply(layer, &h(name, Kind::File, ""), b"\x7fELF")
            .unwrap();
    }

    fn exists(t: &Tree, p: &str) -> bool {
        t.lookup(p.as_bytes()).is_ok()
    }

    #[test]
    fn whiteouts_act_on_lower_layers_only() {
        let mut t = Tree::new(2);
        file(&mut t, 0, "a/x");
        file(&mut t, 0, "a/y");
        file(&mut t, 0, "b/z");
        // Layer 1 adds a/new, then makes `a` opaque, and whites out `b`
        // before adding b/keep: both of its own entries stay.
        file(&mut t, 1, "a/new");
        t.apply(1, &h("a/.wh..wh..opq", Kind::File, ""), b"")
            .unwrap();
        t.apply(1, &h("b/.wh.z", Kind::File, ""), b"").unwrap();
        file(&mut t, 1, "b/keep");
        assert!(!exists(&t, "/a/x") && !exists(&t, "/a/y"));
        assert!(exists(&t, "/a/new") && exists(&t, "/b/keep"));
        assert!(!exists(&t, "/b/z"));
        assert!(!exists(&t, "/a/.wh..wh..opq"));
    }

    #[test]
    fn whole_directory_whiteout_and_replacement() {
        let mut t = Tree::new(2);
        file(&mut t, 0, "d/sub/f");
        t.apply(1, &h(".wh.d", Kind::File, ""), b"").unwrap();
        assert!(!exists(&t, "/d"));
        file(&mut t, 1, "bin/app");
        file(&mut t, 1, "bin/app");
        assert_eq!(
            t.list(
                t.lookup(b"/bin")
                    .map(|f| match f {
                        Found::Dir(d) => d,
                        _ => panic!(),
                    })
                    .unwrap()
            )
            .len(),
            1
        );
    }

    #[test]
    fn hostile_names_are_skipped_with_warnings() {
        let mut t = Tree::new(1);
        file(&mut t, 0, "../etc/passwd");
        file(&mut t, 0, "/abs/ok");
        t.apply(0, &h("esc", Kind::Symlink, "../../../../tmp"), b"")
            .unwrap();
        file(&mut t, 0, "esc/evil");
        t.apply(0, &h("hl", Kind::HardLink, "../../etc/shadow"), b"")
            .unwrap();
        t.apply(0, &h("hl2", Kind::HardLink, "esc/x"), b"").unwrap();
        let (w, _) = t.warnings();
        assert_eq!(w.len(), 4, "{w:?}");
        assert!(w[0].contains("../etc/passwd") && w[0].contains("leaves the image"));
        assert!(w[1].contains("esc/evil") && w[1].contains("points out"));
        assert!(exists(&t, "/abs/ok"));
        // Reading clamps `..` at the root, as --root does.
        assert_eq!(
            t.lookup(b"/esc"),
            Err(LookupError::NotFound(
                " (resolved inside the root to /tmp)".into()
            ))
        );
    }

    #[test]
    fn hard_links_share_bytes_and_keep_their_own_layer() {
        let mut t = Tree::new(2);
        file(&mut t, 0, "bin/a");
        t.apply(1, &h("bin/b", Kind::HardLink, "/bin/a"), b"")
            .unwrap();
        let a = t.lookup(b"/bin/a").unwrap();
        let b = t.lookup(b"/bin/b").unwrap();
        match (a, b) {
            (
                Found::File {
                    inode: ia,
                    layer: 0,
                },
                Found::File {
                    inode: ib,
                    layer: 1,
                },
            ) => {
                assert_eq!(ia, ib)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicates_and_links_to_removed_files() {
        let mut t = Tree::new(3);
        let mut first = h("bin/a", Kind::File, "");
        first.data_offset = 100;
        t.apply(0, &first, b"\x7fELF").unwrap();
        let mut second = h("bin/a", Kind::File, "");
        second.data_offset = 900;
        t.apply(0, &second, b"\x7fELF").unwrap();
        let inode = |t: &Tree, p: &[u8]| match t.lookup(p) {
            Ok(Found::File { inode, .. }) => *t.inode(inode).unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(inode(&t, b"/bin/a").offset, 900, "the later entry wins");
        t.apply(1, &h("bin/b", Kind::HardLink, "bin/a"), b"")
            .unwrap();
        t.apply(2, &h("bin/.wh.a", Kind::File, ""), b"").unwrap();
        assert!(t.lookup(b"/bin/a").is_err());
        assert_eq!(inode(&t, b"/bin/b").offset, 900, "the link keeps the bytes");
        // A hard link to what is no longer there is skipped, named.
        t.apply(2, &h("bin/c", Kind::HardLink, "bin/a"), b"")
            .unwrap();
        assert!(
            t.warnings()
                .0
                .iter()
                .any(|w| w.contains("bin/c") && w.contains("missing"))
        );
    }

    #[test]
    fn lookups_match_the_host_resolver_errors() {
        let mut t = Tree::new(1);
        file(&mut t, 0, "app/server");
        t.apply(0, &h("app/loop1", Kind::Symlink, "loop2"), b"")
            .unwrap();
        t.apply(0, &h("app/loop2", Kind::Symlink, "/app/loop1"), b"")
            .unwrap();
        t.apply(0, &h("app/dangling", Kind::Symlink, "/nowhere/bin"), b"")
            .unwrap();
        assert_eq!(t.lookup(b"/app/loop1"), Err(LookupError::Loop));
        assert_eq!(
            t.lookup(b"/app/dangling"),
            Err(LookupError::NotFound(
                " (resolved inside the root to /nowhere)".into()
            ))
        );
        assert_eq!(
            t.lookup(b"/nope"),
            Err(LookupError::NotFound(String::new()))
        );
        assert_eq!(t.lookup(b"/app/server/x"), Err(LookupError::NotDir));
        assert!(matches!(
            t.lookup(b"/app/server/../server"),
            Ok(Found::File { .. })
        ));
    }

    #[test]
    fn deep_trees_and_mazes_end() {
        let mut t = Tree::new(1);
        // 30 000 nested directories.
        let deep = "d/".repeat(30_000) + "f";
        file(&mut t, 0, &deep);
        t.apply(0, &h(".wh.d", Kind::File, ""), b"").unwrap();
        // A maze: each link goes through the next one twice.
        for i in 0..50 {
            let target = format!("m{}/../m{}", i + 1, i + 1);
            t.apply(0, &h(&format!("m{i}"), Kind::Symlink, &target), b"")
                .unwrap();
        }
        assert_eq!(t.lookup(b"/m0/x"), Err(LookupError::Loop));
        file(&mut t, 0, "m0/x");
        assert!(t.warnings().0.iter().any(|w| w.contains("40 symlinks")));
    }
}
