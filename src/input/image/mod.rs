//! Container images as one more source of files: an OCI image layout
//! (`oci:DIR`), an OCI archive (`oci-archive:FILE`) or a `docker save`
//! archive (`docker-archive:FILE`, both its legacy layout and Docker 25's
//! OCI layout inside), read in place and never unpacked.
//!
//! How an image is read:
//! 1. **Open** ([`open`]): the reference is parsed ([`reference`]), the
//!    index, manifest and config are read, each checked against its
//!    descriptor's size and digest ([`digest`]), nested indexes followed to
//!    a bounded depth, and one manifest picked by platform ([`platform`]).
//! 2. **Index pass** ([`Image::load`]): each layer is streamed once, in
//!    order ([`layer`]: decompressed, both digests computed on the way),
//!    its tar entries ([`tar`]) applied to an in-memory tree of names
//!    ([`tree`]) that records, for each regular file, where its bytes are:
//!    layer, offset in the uncompressed stream, size, first four bytes.
//!    ELF files under the paths about to be checked are read as they pass
//!    (one at a time, at most `--max-file-size` each) and handed to the
//!    caller, which inspects them while the next ones are read; a layer's
//!    digests are compared at its end, and a mismatch voids the whole
//!    load. Most runs need nothing more.
//! 3. **Fetch pass** ([`Loaded::prefetch`]): once the tree is final, the
//!    targets are walked in it ([`walk`]); ELF files the index pass did not
//!    hand over (reached through a symlink a later layer added, say) are
//!    read in one more stream of each layer that holds any, in offset
//!    order, stopping after the last. A layer whose blob file changed since
//!    it was verified is refused.
//! 4. **Walk**: `input::Resolver::Image` walks the tree with exactly the
//!    order and paths `--root` gives over the unpacked image; a file's
//!    report was made in step 2 or 3 (or, for a file asked for later, from
//!    bytes read on demand through [`ImageFile::read`]).
//!
//! 5. **Load** (`--load`, `--loadable`; [`loadset`]): the index pass also
//!    records what each shared object needs (`DT_NEEDED`, `PT_INTERP`);
//!    once the tree is final, the files the simulation will open are
//!    predicted from those names and read in one more stream of the layers
//!    that hold them. [`ImageTree`] is the image's tree as the simulation
//!    reads it; a file the prediction missed is read from its layer when
//!    asked for.
//!
//! Memory: the tree (names and positions, bounded by
//! `tree::MAX_TREE_BYTES`), stream buffers, and at most two ELF files at a
//! time, each at most `--max-file-size`; with the load simulation, what it
//! keeps of the objects it loads (as under `--root`), the names each shared
//! object needs, and the few files a loader reads whole. Nothing is
//! written to disk.

pub mod digest;
pub mod entrypoint;
mod fs;
pub mod layer;
mod load;
mod loadset;
pub mod platform;
pub mod reference;
pub mod spec;
pub mod store;
pub mod tar;
pub mod tree;
mod walk;

pub use fs::ImageTree;
pub use load::{Feed, ImageFile, Loaded, OpenFailure, Opened, apply_layer, apply_layers};
pub use walk::{Item, Visit, walk};

use digest::Digest;
use platform::Platform;
use reference::{Reference, Selector, Transport};
use spec::{Descriptor, ImageConfig, Node};
use store::{Blob, Store, StoreError};

/// The default `--max-file-size`: an ELF file read from an image is held in
/// memory while it is inspected, so its size is bounded.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1 << 30;

/// How deep indexes may nest (an index of indexes is 2).
pub const MAX_INDEX_DEPTH: usize = 8;

/// Index blobs read while looking for a platform.
const MAX_INDEXES_READ: usize = 64;

/// Why an image could not be read. The kind decides the exit status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// The reference names nothing usable: a bad reference, a missing
    /// directory or archive, an unknown tag, no image for the platform, no
    /// program to check (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The image is there but damaged, mismatched or unsupported (exit 3).
    #[error("{0}")]
    Damaged(String),
}

/// A layer to read: its blob, the digests to check it by, and its name in
/// messages (`layer 2 of 4 (sha256:...)`).
#[derive(Debug, Clone)]
pub struct LayerSpec {
    pub blob: Blob,
    pub digest: Option<Digest>,
    pub diff_id: Digest,
    pub label: String,
}

/// An image whose index, manifest and config were read and verified.
#[derive(Debug)]
pub struct Image {
    /// The reference as given.
    pub reference: String,
    /// The manifest's digest (the config's, for a legacy docker-archive).
    pub digest: String,
    /// `os/arch[/variant]` from the config.
    pub platform: String,
    pub config: ImageConfig,
    pub layers: Vec<LayerSpec>,
    /// Remarks on the choice made (an explicit platform the only manifest
    /// does not match, say).
    pub notes: Vec<String>,
}

fn damaged(reference: &str) -> impl Fn(String) -> ImageError + '_ {
    move |m| ImageError::Damaged(format!("{reference}: {m}"))
}

/// Opens the image `reference` names, picking the manifest for
/// `platform` (`os/arch[/variant]`), or for `host` when none is given.
pub fn open(reference: &str, platform: Option<&str>, host: &str) -> Result<Image, ImageError> {
    let r = reference::parse(reference).map_err(ImageError::Usage)?;
    let want = match platform {
        Some(p) => Some(Platform::parse(p).map_err(ImageError::Usage)?),
        None => None,
    };
    let store = match r.transport {
        Transport::OciDir => Store::open_dir(&r.path),
        Transport::OciArchive | Transport::DockerArchive => Store::open_archive(&r.path),
    }
    .map_err(|e| match e {
        StoreError::Usage(m) => ImageError::Usage(format!("{reference}: {m}")),
        StoreError::Damaged(m) => ImageError::Damaged(format!("{reference}: {m}")),
    })?;
    let mut image = match r.transport {
        Transport::DockerArchive => docker_archive(&store, &r, reference)?,
        _ => oci(&store, &r, reference, want.as_ref(), host)?,
    };
    if let Some(w) = &want
        && let Ok(got) = Platform::parse(&image.platform)
        && got != *w
    {
        image.notes.push(format!(
            "{reference}: the image is for {}, not {w}: it has one manifest, which is scanned",
            image.platform
        ));
    }
    Ok(image)
}

/// Reads a file of the store, refusing a missing one.
fn must(store: &Store, name: &str, reference: &str) -> Result<Blob, ImageError> {
    match store.file(name) {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(ImageError::Damaged(format!("{reference}: {name}: missing"))),
        Err(e) => Err(ImageError::Damaged(format!("{reference}: {e}"))),
    }
}

/// Reads a blob named by a descriptor: size and digest checked first.
fn read_blob(
    store: &Store,
    d: &Descriptor,
    what: &str,
    limit: u64,
    reference: &str,
) -> Result<(Digest, Vec<u8>), ImageError> {
    let bad = damaged(reference);
    let digest = Digest::parse(&d.digest).map_err(|e| bad(format!("{what}: {e}")))?;
    if d.size > limit {
        return Err(bad(format!(
            "{what} {digest}: its descriptor says {} bytes, more than the limit of {limit}",
            d.size
        )));
    }
    let blob = must(store, &digest.blob_path(), reference).map_err(|e| {
        bad(format!(
            "{what} {digest}: {}",
            e.to_string().trim_start_matches(&format!("{reference}: "))
        ))
    })?;
    if blob.len() != d.size {
        return Err(bad(format!(
            "{what} {digest}: the blob has {} bytes, its descriptor says {}",
            blob.len(),
            d.size
        )));
    }
    let bytes = blob.read_all(limit).map_err(&bad)?;
    let mut h = digest.hasher();
    h.update(&bytes);
    let got = h.finish();
    if got != digest {
        return Err(bad(format!(
            "{what} {digest}: digest mismatch: the blob hashes to {got}"
        )));
    }
    Ok((digest, bytes))
}

/// An OCI layout (directory or archive).
fn oci(
    store: &Store,
    r: &Reference,
    reference: &str,
    want: Option<&Platform>,
    host: &str,
) -> Result<Image, ImageError> {
    let bad = damaged(reference);
    let layout = must(store, "oci-layout", reference).map_err(|_| {
        ImageError::Usage(format!(
            "{reference}: not an OCI image layout (no oci-layout file)"
        ))
    })?;
    let text = layout.read_all(4096).map_err(&bad)?;
    #[derive(serde::Deserialize)]
    struct Layout {
        #[serde(rename = "imageLayoutVersion")]
        version: String,
    }
    let l: Layout =
        serde_json::from_slice(&text).map_err(|e| bad(format!("oci-layout: invalid JSON: {e}")))?;
    if l.version != "1.0.0" {
        return Err(bad(format!(
            "oci-layout: unsupported imageLayoutVersion {:?}",
            l.version
        )));
    }
    let index_blob = must(store, "index.json", reference)?;
    let index = spec::parse_index(
        &index_blob
            .read_all(spec::MAX_MANIFEST_BYTES)
            .map_err(&bad)?,
    )
    .map_err(|e| bad(format!("index.json: {e}")))?;
    let tags = || -> String {
        let mut t: Vec<&str> = index
            .manifests
            .iter()
            .filter_map(|d| d.annotation(spec::REF_NAME))
            .collect();
        t.sort_unstable();
        t.dedup();
        if t.is_empty() {
            "none".into()
        } else {
            t.join(", ")
        }
    };
    let chosen: Vec<Descriptor> = match &r.selector {
        Selector::Tag(tag) => {
            let c: Vec<Descriptor> = index
                .manifests
                .iter()
                .filter(|d| d.annotation(spec::REF_NAME) == Some(tag))
                .cloned()
                .collect();
            if c.is_empty() {
                return Err(ImageError::Usage(format!(
                    "{reference}: no image tagged {tag:?} (tags: {})",
                    tags()
                )));
            }
            c
        }
        _ => {
            let mut names: Vec<&str> = index
                .manifests
                .iter()
                .filter_map(|d| d.annotation(spec::REF_NAME))
                .collect();
            names.sort_unstable();
            names.dedup();
            if names.len() > 1 {
                return Err(ImageError::Usage(format!(
                    "{reference}: the layout holds several images; name one with :TAG (tags: {})",
                    tags()
                )));
            }
            index.manifests.clone()
        }
    };
    if chosen.is_empty() {
        return Err(bad("index.json lists no manifest".into()));
    }
    let (manifest_digest, manifest) = pick(store, chosen, want, host, reference)?;
    build(store, reference, manifest_digest.to_string(), &manifest)
}

/// Picks the manifest: the only one when the top level names a single
/// manifest (whatever its platform), else the first entry of the
/// (flattened, depth-limited) indexes whose platform matches.
fn pick(
    store: &Store,
    top: Vec<Descriptor>,
    want: Option<&Platform>,
    host: &str,
    reference: &str,
) -> Result<(Digest, spec::Manifest), ImageError> {
    let bad = damaged(reference);
    if let [only] = top.as_slice()
        && !only.says_index()
    {
        let (digest, bytes) =
            read_blob(store, only, "manifest", spec::MAX_MANIFEST_BYTES, reference)?;
        match spec::parse_node(&bytes, only.media_type.as_deref())
            .map_err(|e| bad(format!("manifest {digest}: {e}")))?
        {
            Node::Manifest(m) => return Ok((digest, m)),
            // A descriptor without a media type that turned out to be an index.
            Node::Index(ix) => return choose(store, ix.manifests, 1, want, host, reference),
        }
    }
    choose(store, top, 0, want, host, reference)
}

/// Platform choice among the entries of an index (`depth` indexes deep).
fn choose(
    store: &Store,
    entries: Vec<Descriptor>,
    depth: usize,
    want: Option<&Platform>,
    host: &str,
    reference: &str,
) -> Result<(Digest, spec::Manifest), ImageError> {
    let bad = damaged(reference);
    let want = match want {
        Some(w) => w.clone(),
        None => Platform::new("linux", host, ""),
    };
    // Depth-first over nested indexes, in document order.
    let mut stack: Vec<(usize, std::vec::IntoIter<Descriptor>)> =
        vec![(depth, entries.into_iter())];
    let mut present: Vec<String> = Vec::new();
    let mut indexes_read = 0usize;
    while let Some((level, iter)) = stack.last_mut() {
        let level = *level;
        let Some(d) = iter.next() else {
            stack.pop();
            continue;
        };
        if d.is_attestation() {
            continue;
        }
        let is_index = d.says_index();
        let node = if is_index || d.media_type.is_none() || d.platform.is_none() {
            if is_index {
                indexes_read += 1;
                if level + 1 > MAX_INDEX_DEPTH {
                    return Err(bad(format!("indexes nested deeper than {MAX_INDEX_DEPTH}")));
                }
                if indexes_read > MAX_INDEXES_READ {
                    return Err(bad(format!("more than {MAX_INDEXES_READ} indexes to read")));
                }
            }
            let (digest, bytes) = read_blob(
                store,
                &d,
                if is_index { "index" } else { "manifest" },
                spec::MAX_MANIFEST_BYTES,
                reference,
            )?;
            Some((
                digest.clone(),
                spec::parse_node(&bytes, d.media_type.as_deref())
                    .map_err(|e| bad(format!("{digest}: {e}")))?,
            ))
        } else {
            None
        };
        match node {
            Some((_, Node::Index(ix))) => {
                if level + 1 > MAX_INDEX_DEPTH {
                    return Err(bad(format!("indexes nested deeper than {MAX_INDEX_DEPTH}")));
                }
                stack.push((level + 1, ix.manifests.into_iter()));
            }
            Some((digest, Node::Manifest(m))) => {
                // No platform in the index: the config says.
                let p = match &d.platform {
                    Some(p) => Platform::of(p),
                    None => {
                        let (_, c) = read_blob(
                            store,
                            &m.config,
                            "config",
                            spec::MAX_CONFIG_BYTES,
                            reference,
                        )?;
                        let c = spec::parse_config(&c)
                            .map_err(|e| bad(format!("config {}: {e}", m.config.digest)))?;
                        Platform::new(
                            c.os.as_deref().unwrap_or(""),
                            c.architecture.as_deref().unwrap_or(""),
                            c.variant.as_deref().unwrap_or(""),
                        )
                    }
                };
                if p == want {
                    return Ok((digest, m));
                }
                present.push(p.to_string());
            }
            None => {
                let p = d
                    .platform
                    .as_ref()
                    .map(Platform::of)
                    .unwrap_or_else(|| Platform::new("", "", ""));
                if p == want {
                    let (digest, bytes) =
                        read_blob(store, &d, "manifest", spec::MAX_MANIFEST_BYTES, reference)?;
                    return match spec::parse_node(&bytes, d.media_type.as_deref())
                        .map_err(|e| bad(format!("manifest {digest}: {e}")))?
                    {
                        Node::Manifest(m) => Ok((digest, m)),
                        Node::Index(_) => Err(bad(format!(
                            "{digest}: an index where its descriptor says a manifest"
                        ))),
                    };
                }
                present.push(p.to_string());
            }
        }
    }
    present.dedup();
    Err(ImageError::Usage(format!(
        "{reference}: no image for platform {want} (platforms present: {})",
        if present.is_empty() {
            "none".to_string()
        } else {
            present.join(", ")
        }
    )))
}

/// The verified config and layers of a manifest.
fn build(
    store: &Store,
    reference: &str,
    digest: String,
    m: &spec::Manifest,
) -> Result<Image, ImageError> {
    let bad = damaged(reference);
    if let Some(t) = m.config.media_type.as_deref()
        && !spec::is_config_type(t)
    {
        return Err(bad(format!(
            "config media type {t:?} is not an image config (an artifact?)"
        )));
    }
    let (_, config_bytes) = read_blob(
        store,
        &m.config,
        "config",
        spec::MAX_CONFIG_BYTES,
        reference,
    )?;
    let config = spec::parse_config(&config_bytes)
        .map_err(|e| bad(format!("config {}: {e}", m.config.digest)))?;
    let diff_ids = diff_ids(&config, m.layers.len(), reference)?;
    let count = m.layers.len();
    let mut layers = Vec::new();
    for (i, (d, diff_id)) in m.layers.iter().zip(diff_ids).enumerate() {
        let label = format!("layer {} of {count} ({})", i + 1, d.digest);
        if let Some(t) = d.media_type.as_deref()
            && !spec::is_layer_type(t)
        {
            return Err(bad(format!("{label}: unsupported media type {t:?}")));
        }
        let digest = Digest::parse(&d.digest).map_err(|e| bad(format!("{label}: {e}")))?;
        let blob = must(store, &digest.blob_path(), reference)
            .map_err(|_| bad(format!("{label}: blob {} missing", digest.blob_path())))?;
        if blob.len() != d.size {
            return Err(bad(format!(
                "{label}: the blob has {} bytes, its descriptor says {}",
                blob.len(),
                d.size
            )));
        }
        layers.push(LayerSpec {
            blob,
            digest: Some(digest),
            diff_id,
            label,
        });
    }
    Ok(Image {
        reference: reference.to_string(),
        digest,
        platform: platform::of_config(&config),
        config,
        layers,
        notes: Vec::new(),
    })
}

/// The config's `rootfs.diff_ids`, one per layer.
fn diff_ids(
    config: &ImageConfig,
    layers: usize,
    reference: &str,
) -> Result<Vec<Digest>, ImageError> {
    let bad = damaged(reference);
    if config.rootfs.diff_ids.len() != layers {
        return Err(bad(format!(
            "the config lists {} diff_ids for {layers} layers",
            config.rootfs.diff_ids.len()
        )));
    }
    config
        .rootfs
        .diff_ids
        .iter()
        .map(|d| Digest::parse(d).map_err(|e| bad(format!("config rootfs.diff_ids: {e}"))))
        .collect()
}

/// The digest a docker-archive name carries: `<hex>.json`, `<hex>.tar`,
/// `<hex>/layer.tar` or `blobs/<alg>/<hex>`.
fn digest_in_name(name: &str) -> Option<Digest> {
    let clean = name.trim_start_matches("./");
    if let Some(rest) = clean.strip_prefix("blobs/")
        && let Some((alg, hex)) = rest.split_once('/')
    {
        return Digest::parse(&format!("{alg}:{hex}")).ok();
    }
    let stem = clean.strip_suffix(".json").unwrap_or(clean);
    Digest::parse(&format!("sha256:{stem}")).ok()
}

/// A `docker save` archive, legacy or Docker 25's.
fn docker_archive(store: &Store, r: &Reference, reference: &str) -> Result<Image, ImageError> {
    let bad = damaged(reference);
    let manifest = must(store, "manifest.json", reference).map_err(|_| {
        ImageError::Usage(format!(
            "{reference}: not a docker-archive (no manifest.json)"
        ))
    })?;
    let items =
        spec::parse_docker_manifest(&manifest.read_all(spec::MAX_CONFIG_BYTES).map_err(&bad)?)
            .map_err(|e| bad(format!("manifest.json: {e}")))?;
    let names = || -> String {
        let t: Vec<&str> = items
            .iter()
            .flat_map(|i| i.repo_tags.iter().flatten().map(String::as_str))
            .collect();
        if t.is_empty() {
            "none".into()
        } else {
            t.join(", ")
        }
    };
    let item = match &r.selector {
        Selector::Index(n) => items.get(*n).ok_or_else(|| {
            ImageError::Usage(format!(
                "{reference}: manifest.json has {} images; @{n} is not one",
                items.len()
            ))
        })?,
        Selector::Name(name) => items
            .iter()
            .find(|i| {
                i.repo_tags
                    .iter()
                    .flatten()
                    .any(|t| reference::normalize(t).as_deref() == Ok(name.as_str()))
            })
            .ok_or_else(|| {
                ImageError::Usage(format!(
                    "{reference}: no image named {name} (names: {})",
                    names()
                ))
            })?,
        Selector::Tag(_) | Selector::Only => match items.as_slice() {
            [only] => only,
            [] => return Err(bad("manifest.json lists no image".into())),
            _ => {
                return Err(ImageError::Usage(format!(
                    "{reference}: the archive holds {} images; name one with :NAME:TAG or :@N (names: {})",
                    items.len(),
                    names()
                )));
            }
        },
    };
    let config_digest = digest_in_name(&item.config).ok_or_else(|| {
        bad(format!(
            "config {:?}: its name carries no digest to verify it by",
            item.config
        ))
    })?;
    let config_blob = must(store, &item.config, reference)?;
    let config_bytes = config_blob.read_all(spec::MAX_CONFIG_BYTES).map_err(&bad)?;
    let mut h = config_digest.hasher();
    h.update(&config_bytes);
    let got = h.finish();
    if got != config_digest {
        return Err(bad(format!(
            "config {}: digest mismatch: it hashes to {got}",
            item.config
        )));
    }
    let config = spec::parse_config(&config_bytes)
        .map_err(|e| bad(format!("config {}: {e}", item.config)))?;
    let diff_ids = diff_ids(&config, item.layers.len(), reference)?;
    let count = item.layers.len();
    let mut layers = Vec::new();
    for (i, (name, diff_id)) in item.layers.iter().zip(diff_ids).enumerate() {
        let label = format!("layer {} of {count} ({name})", i + 1);
        let blob = must(store, name, reference).map_err(|_| bad(format!("{label}: missing")))?;
        // A layer named by its digest (Docker 25: blobs/sha256/<hex>) is
        // checked against its name too; legacy layer.tar names are not digests.
        let digest = match name.trim_start_matches("./").starts_with("blobs/") {
            true => digest_in_name(name),
            false => None,
        };
        layers.push(LayerSpec {
            blob,
            digest,
            diff_id,
            label,
        });
    }
    // Docker 25 writes an OCI layout beside manifest.json: the manifest
    // whose config is this one gives the image its manifest digest.
    let digest = match oci_manifest_for(store, &config_digest, reference)? {
        Some(d) => d.to_string(),
        None => config_digest.to_string(),
    };
    Ok(Image {
        reference: reference.to_string(),
        digest,
        platform: platform::of_config(&config),
        config,
        layers,
        notes: Vec::new(),
    })
}

/// In an archive with an `index.json`, the digest of the manifest whose
/// config is `config` (indexes followed as deep as [`MAX_INDEX_DEPTH`]).
fn oci_manifest_for(
    store: &Store,
    config: &Digest,
    reference: &str,
) -> Result<Option<Digest>, ImageError> {
    let bad = damaged(reference);
    let Ok(Some(index_blob)) = store.file("index.json") else {
        return Ok(None);
    };
    let index = spec::parse_index(
        &index_blob
            .read_all(spec::MAX_MANIFEST_BYTES)
            .map_err(&bad)?,
    )
    .map_err(|e| bad(format!("index.json: {e}")))?;
    let mut stack: Vec<(usize, std::vec::IntoIter<Descriptor>)> =
        vec![(0, index.manifests.into_iter())];
    let mut read = 0usize;
    while let Some((level, iter)) = stack.last_mut() {
        let level = *level;
        let Some(d) = iter.next() else {
            stack.pop();
            continue;
        };
        if d.is_attestation() {
            continue;
        }
        read += 1;
        if read > MAX_INDEXES_READ {
            return Err(bad(format!(
                "index.json: more than {MAX_INDEXES_READ} manifests to read"
            )));
        }
        let (digest, bytes) =
            read_blob(store, &d, "manifest", spec::MAX_MANIFEST_BYTES, reference)?;
        match spec::parse_node(&bytes, d.media_type.as_deref())
            .map_err(|e| bad(format!("{digest}: {e}")))?
        {
            Node::Manifest(m) => {
                if Digest::parse(&m.config.digest).ok().as_ref() == Some(config) {
                    return Ok(Some(digest));
                }
            }
            Node::Index(ix) => {
                if level + 1 > MAX_INDEX_DEPTH {
                    return Err(bad(format!("indexes nested deeper than {MAX_INDEX_DEPTH}")));
                }
                stack.push((level + 1, ix.manifests.into_iter()));
            }
        }
    }
    Ok(None)
}
