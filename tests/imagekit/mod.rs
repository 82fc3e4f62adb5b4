//! Building images for the `--image` tests: with the real tools (`umoci`,
//! `skopeo`, GNU `tar`) where they can write the case, by hand (tar bytes,
//! JSON) only where no tool writes it (an index over umoci's manifests,
//! hostile archives).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/bin")
        .join(name)
}

/// Runs a tool and fails the test with its output if it fails. A missing
/// tool is a failure too: CI installs them (`.ci/run`).
pub fn run(cmd: &str, args: &[&str]) -> String {
    let o = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (install it: apt-get install {cmd})"));
    assert!(
        o.status.success(),
        "{cmd} {args:?}: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn rootless() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() != 0 }
}

/// `umoci unpack`, as root when the tests are (CI), else rootless.
pub fn unpack(image: &str, bundle: &Path) {
    let b = bundle.to_str().unwrap();
    if rootless() {
        run("umoci", &["unpack", "--rootless", "--image", image, b]);
    } else {
        run("umoci", &["unpack", "--image", image, b]);
    }
}

/// `umoci repack` of a bundle, adding one layer.
pub fn repack(image: &str, bundle: &Path) {
    run(
        "umoci",
        &["repack", "--image", image, bundle.to_str().unwrap()],
    );
}

pub fn copy(src: &str, dest: &Path) {
    if let Some(d) = dest.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::copy(fixture(src), dest).unwrap();
}

pub fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Writes a blob into an OCI layout; returns its descriptor fields.
pub fn put_blob(layout: &Path, bytes: &[u8]) -> (String, u64) {
    let hex = sha256_hex(bytes);
    let dir = layout.join("blobs/sha256");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&hex), bytes).unwrap();
    (format!("sha256:{hex}"), bytes.len() as u64)
}

pub fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// The descriptor `index.json` has for `tag`.
pub fn descriptor(layout: &Path, tag: &str) -> Value {
    let index = read_json(&layout.join("index.json"));
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap_or_else(|| panic!("no tag {tag}"))
        .clone()
}

/// Adds a descriptor to `index.json`, tagged `tag`.
pub fn add_to_index(layout: &Path, mut d: Value, tag: &str) {
    let p = layout.join("index.json");
    let mut index = read_json(&p);
    d["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    index["manifests"].as_array_mut().unwrap().push(d);
    std::fs::write(p, serde_json::to_vec(&index).unwrap()).unwrap();
}

/// A JSON document with the image-only fields taken out (`image`, and
/// each file's `layer`), for comparing `--image` with `--root`.
pub fn without_image(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("image");
    }
    if let Some(files) = v["files"].as_array_mut() {
        for f in files {
            if let Some(o) = f.as_object_mut() {
                o.remove("layer");
            }
        }
    }
    v
}

// --- tar bytes, for layers no tool writes ------------------------------------

/// A ustar header with a valid checksum; `size` in octal, or base-256 when
/// it does not fit.
pub fn tar_header(name: &[u8], typeflag: u8, size: u64, link: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    assert!(name.len() <= 100 && link.len() <= 100);
    b[..name.len()].copy_from_slice(name);
    b[100..107].copy_from_slice(b"0000755");
    b[108..115].copy_from_slice(b"0000000");
    b[116..123].copy_from_slice(b"0000000");
    if size < 1 << 33 {
        b[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    } else {
        b[124] = 0x80;
        b[128..136].copy_from_slice(&size.to_be_bytes());
    }
    b[136..147].copy_from_slice(b"00000000000");
    b[156] = typeflag;
    b[157..157 + link.len()].copy_from_slice(link);
    b[257..263].copy_from_slice(b"ustar\0");
    b[263..265].copy_from_slice(b"00");
    b[148..156].copy_from_slice(b"        ");
    let sum: u64 = b.iter().map(|&x| u64::from(x)).sum();
    b[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    b
}

/// A tar built entry by entry.
#[derive(Default)]
pub struct Tar(pub Vec<u8>);

impl Tar {
    pub fn entry(mut self, name: &str, typeflag: u8, data: &[u8], link: &str) -> Self {
        self.0.extend(tar_header(
            name.as_bytes(),
            typeflag,
            data.len() as u64,
            link.as_bytes(),
        ));
        self.0.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.0.resize(self.0.len() + pad, 0);
        self
    }
    pub fn file(self, name: &str, data: &[u8]) -> Self {
        self.entry(name, b'0', data, "")
    }
    pub fn dir(self, name: &str) -> Self {
        self.entry(name, b'5', b"", "")
    }
    pub fn symlink(self, name: &str, target: &str) -> Self {
        self.entry(name, b'2', b"", target)
    }
    pub fn hardlink(self, name: &str, target: &str) -> Self {
        self.entry(name, b'1', b"", target)
    }
    pub fn end(mut self) -> Vec<u8> {
        self.0.extend([0u8; 1024]);
        self.0
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// An OCI layout written by hand from layers (tar bytes, maybe
/// compressed), with a config and manifest computed from them, tagged `t`.
/// Returns the layout's path. `tweak` may change the documents before they
/// are written (to make them lie).
pub struct Built {
    pub dir: PathBuf,
    pub manifest: Value,
    pub config: Value,
}

pub fn layout(dir: &Path, layers: &[(Vec<u8>, Vec<u8>)], entrypoint: &[&str]) -> Built {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut descs = Vec::new();
    let mut diff_ids = Vec::new();
    for (uncompressed, blob) in layers {
        let (digest, size) = put_blob(dir, blob);
        let media = if blob.starts_with(&[0x1f, 0x8b]) {
            "application/vnd.oci.image.layer.v1.tar+gzip"
        } else {
            "application/vnd.oci.image.layer.v1.tar"
        };
        descs.push(json!({"mediaType": media, "digest": digest, "size": size}));
        diff_ids.push(format!("sha256:{}", sha256_hex(uncompressed)));
    }
    let config = json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": entrypoint},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    let config_bytes = serde_json::to_vec(&config).unwrap();
    let (cd, cs) = put_blob(dir, &config_bytes);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": descs,
    });
    let mbytes = serde_json::to_vec(&manifest).unwrap();
    let (md, ms) = put_blob(dir, &mbytes);
    let index = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
        "annotations": {"org.opencontainers.image.ref.name": "t"},
    }]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    Built {
        dir: dir.to_path_buf(),
        manifest,
        config,
    }
}

/// Rewrites an image's manifest (and `index.json` to point at it).
pub fn write_manifest(dir: &Path, manifest: &Value) {
    let bytes = serde_json::to_vec(manifest).unwrap();
    let (md, ms) = put_blob(dir, &bytes);
    let index = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
        "annotations": {"org.opencontainers.image.ref.name": "t"},
    }]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// Rewrites an image's config, and its manifest to point at it.
pub fn write_config(b: &mut Built, config: Value) {
    let (cd, cs) = put_blob(&b.dir, &serde_json::to_vec(&config).unwrap());
    b.config = config;
    b.manifest["config"]["digest"] = json!(cd);
    b.manifest["config"]["size"] = json!(cs);
    write_manifest(&b.dir, &b.manifest);
}

/// A gzip stream inflating to `mib` MiB of zeros from about a thousandth
/// of that: one deflate block sequence for 1 MiB of zeros, repeated (its
/// matches reach back only over zeros), then a final empty block. The
/// trailer's CRC is not computed: a reader that inflates it all fails on it.
pub fn gzip_zeros(mib: usize) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![0u8; 1 << 20]).unwrap();
    e.flush().unwrap();
    let block = e.get_ref().clone();
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    for _ in 0..mib {
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(&[0x03, 0x00]);
    out.extend_from_slice(&[0; 8]);
    out
}
