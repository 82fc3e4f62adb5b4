//! The JSON documents of an image, as serde types, and their parsers: pure
//! functions over bytes (fuzzed in `fuzz/fuzz_targets/image_json.rs`).
//!
//! Sources: OCI image spec `image-index.md`, `manifest.md`, `config.md`,
//! `descriptor.md`, `media-types.md`; Docker's `image/spec/v1.2.md` and
//! `image/tarexport` for `manifest.json`. Unknown fields are ignored (both
//! specs say readers must); a known field of the wrong type is an error.

use std::collections::BTreeMap;

use serde::Deserialize;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// The annotation that names an image in an OCI layout's `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// BuildKit's marker of an attestation manifest in an index.
const REFERENCE_TYPE: &str = "vnd.docker.reference.type";

/// The largest index or manifest read: the OCI distribution spec's limit
/// on manifests a registry must accept (4 MiB); anything larger is refused
/// before it is read.
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// The largest image config or `manifest.json` read. Configs carry the
/// build history, which can be long; 16 MiB is far beyond any real one.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// A content descriptor: what a blob is, its digest and size.
#[derive(Debug, Clone, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    pub digest: String,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Descriptor {
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }

    /// An index or manifest-list entry, judged by its media type only (an
    /// entry without one is read to find out).
    pub fn says_index(&self) -> bool {
        matches!(self.media_type.as_deref(), Some(OCI_INDEX | DOCKER_LIST))
    }

    /// BuildKit attestations (`unknown/unknown`, or the reference-type
    /// annotation) describe an image; they are never one to scan.
    pub fn is_attestation(&self) -> bool {
        self.annotation(REFERENCE_TYPE) == Some("attestation-manifest")
            || self
                .platform
                .as_ref()
                .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Platform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Index {
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    pub manifests: Vec<Descriptor>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// The parts of an image config elfgate uses.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub config: Option<RunConfig>,
    pub rootfs: RootFs,
}

/// `config` of an image config: what a container runs.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RunConfig {
    #[serde(rename = "Entrypoint", default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(rename = "Cmd", default)]
    pub cmd: Option<Vec<String>>,
    #[serde(rename = "Env", default)]
    pub env: Option<Vec<String>>,
    #[serde(rename = "WorkingDir", default)]
    pub working_dir: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type", default)]
    pub kind: String,
    pub diff_ids: Vec<String>,
}

/// One image of a `docker save` archive's `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct DockerItem {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    pub layers: Vec<String>,
}

/// An index or a manifest: what a descriptor in an index points at.
#[derive(Debug, Clone)]
pub enum Node {
    Index(Index),
    Manifest(Manifest),
}

/// Only the media type, to tell an index from a manifest.
#[derive(Deserialize)]
struct Shape {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    config: Option<serde::de::IgnoredAny>,
}

fn json<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))
}

pub fn parse_index(bytes: &[u8]) -> Result<Index, String> {
    let index: Index = json(bytes)?;
    match index.media_type.as_deref() {
        None | Some(OCI_INDEX | DOCKER_LIST) => Ok(index),
        Some(other) => Err(format!("media type {other:?} is not an image index")),
    }
}

pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, String> {
    let m: Manifest = json(bytes)?;
    match m.media_type.as_deref() {
        None | Some(OCI_MANIFEST | DOCKER_MANIFEST) => Ok(m),
        Some(other) => Err(format!("media type {other:?} is not an image manifest")),
    }
}

/// An index or a manifest: by the descriptor's media type if it has one,
/// else by the document's own, else by its shape.
pub fn parse_node(bytes: &[u8], hint: Option<&str>) -> Result<Node, String> {
    let kind = match hint {
        Some(OCI_INDEX | DOCKER_LIST) => Some(true),
        Some(OCI_MANIFEST | DOCKER_MANIFEST) => Some(false),
        Some(other) => {
            return Err(format!(
                "media type {other:?} is neither an index nor an image manifest"
            ));
        }
        None => None,
    };
    let is_index = match kind {
        Some(k) => k,
        None => {
            let shape: Shape = json(bytes)?;
            match shape.media_type.as_deref() {
                Some(OCI_INDEX | DOCKER_LIST) => true,
                Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
                Some(other) => {
                    return Err(format!(
                        "media type {other:?} is neither an index nor an image manifest"
                    ));
                }
                None if shape.manifests.is_some() => true,
                None if shape.config.is_some() => false,
                None => return Err("neither an index (manifests) nor a manifest (config)".into()),
            }
        }
    };
    if is_index {
        parse_index(bytes).map(Node::Index)
    } else {
        parse_manifest(bytes).map(Node::Manifest)
    }
}

pub fn parse_config(bytes: &[u8]) -> Result<ImageConfig, String> {
    json(bytes)
}

pub fn parse_docker_manifest(bytes: &[u8]) -> Result<Vec<DockerItem>, String> {
    json(bytes)
}

/// The media types of layers elfgate reads: plain, gzip and zstd tar (the
/// non-distributable variants are the same formats). The compression is
/// read from the blob's first bytes, not from here.
pub fn is_layer_type(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/vnd.oci.image.layer.v1.tar"
            | "application/vnd.oci.image.layer.v1.tar+gzip"
            | "application/vnd.oci.image.layer.v1.tar+zstd"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
            | "application/vnd.docker.image.rootfs.diff.tar.gzip"
            | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    )
}

/// Whether a config media type is an image config (not an artifact's).
pub fn is_config_type(media_type: &str) -> bool {
    matches!(media_type, OCI_CONFIG | DOCKER_CONFIG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_parse_and_kinds_are_told_apart() {
        let m = br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:00","size":1},"layers":[]}"#;
        assert!(matches!(parse_node(m, None), Ok(Node::Manifest(_))));
        let i = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:00","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}"#;
        match parse_node(i, None) {
            Ok(Node::Index(ix)) => {
                let p = ix.manifests[0].platform.clone().unwrap();
                assert_eq!((p.os.as_str(), p.variant.as_deref()), ("linux", Some("v8")));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_node(i, Some(OCI_MANIFEST)).is_err());
        assert!(parse_node(br#"{"schemaVersion":2}"#, None).is_err());
        assert!(parse_index(br#"{"manifests":[{"digest":"sha256:00","size":-1}]}"#).is_err());
        assert!(parse_index(br#"{"manifests":[{"digest":"sha256:00""#).is_err());
        let c = parse_config(br#"{"config":{"Entrypoint":null,"Cmd":["/app"]},"rootfs":{"type":"layers","diff_ids":[]}}"#).unwrap();
        assert_eq!(c.config.unwrap().cmd.unwrap(), ["/app"]);
    }

    #[test]
    fn attestations_are_recognised() {
        let d: Descriptor = serde_json::from_str(
            r#"{"digest":"x","size":1,"platform":{"os":"unknown","architecture":"unknown"}}"#,
        )
        .unwrap();
        assert!(d.is_attestation());
        let d: Descriptor = serde_json::from_str(
            r#"{"digest":"x","size":1,"annotations":{"vnd.docker.reference.type":"attestation-manifest"}}"#,
        )
        .unwrap();
        assert!(d.is_attestation());
    }
}
