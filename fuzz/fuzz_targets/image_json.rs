//! Image documents: `index.json` and indexes, manifests, configs and a
//! docker-archive's `manifest.json` (`input::image::spec`), the digests,
//! platforms and program they name, and image references. Seeds: the
//! documents umoci and skopeo write (`scripts/fuzz.sh`).
//!
//! Checks besides "no panic": a program's candidate paths are absolute and
//! clean; a digest that parses prints back to its text.
#![no_main]

use elfgate::input::image::digest::Digest;
use elfgate::input::image::platform::{self, Platform};
use elfgate::input::image::{entrypoint, reference, spec};
use libfuzzer_sys::fuzz_target;

fn descriptor(d: &spec::Descriptor) {
    if let Ok(x) = Digest::parse(&d.digest) {
        assert_eq!(x.to_string(), d.digest);
        assert!(x.blob_path().starts_with("blobs/sha"));
    }
    let _ = (d.is_attestation(), d.says_index());
    if let Some(p) = &d.platform {
        let _ = Platform::of(p).to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(node) = spec::parse_node(data, None) {
        match node {
            spec::Node::Index(ix) => ix.manifests.iter().for_each(descriptor),
            spec::Node::Manifest(m) => {
                descriptor(&m.config);
                m.layers.iter().for_each(descriptor);
                for l in &m.layers {
                    let _ = spec::is_layer_type(l.media_type.as_deref().unwrap_or(""));
                }
            }
        }
    }
    let _ = spec::parse_index(data);
    let _ = spec::parse_manifest(data);
    if let Ok(c) = spec::parse_config(data) {
        let _ = platform::of_config(&c);
        for d in &c.rootfs.diff_ids {
            let _ = Digest::parse(d);
        }
        let run = c.config.clone().unwrap_or_default();
        let _ = entrypoint::env(&run, "LD_LIBRARY_PATH");
        if let Ok(p) = entrypoint::program(&run) {
            assert!(!p.candidates.is_empty());
            for c in &p.candidates {
                assert!(c.starts_with('/') && !c.contains("//") && !c.contains("/../"), "{c}");
            }
        }
    }
    if let Ok(items) = spec::parse_docker_manifest(data) {
        for i in items {
            for t in i.repo_tags.iter().flatten() {
                let _ = reference::normalize(t);
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = reference::parse(s);
        let _ = reference::normalize(s);
        let _ = Platform::parse(s);
        let _ = Digest::parse(s);
    }
});
