//! `--image` against `--root` over the same image unpacked by `umoci
//! unpack` (the oracle): images built by umoci, skopeo and GNU tar in the
//! test run, each checked both ways, the JSON verdicts (files, rules,
//! statuses, exit) compared whole once the image-only fields are taken out.
//!
//! The base image has four layers:
//! 1. `umoci repack`: Go binaries, libraries, a hard link, symlinks (one to
//!    a directory, one dangling, `/bin` -> `usr/bin`), a text file;
//! 2. `umoci repack`: a binary deleted (whiteout) and one replaced, a whole
//!    directory deleted, a binary added;
//! 3. `umoci insert --opaque`: a directory replaced (opaque whiteout);
//! 4. GNU `tar` + `umoci raw add-layer`: whiteouts placed after entries of
//!    the same layer (one of a lower file, one of a file of this layer).

mod common;
mod imagekit;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use imagekit::*;
use serde_json::{Value, json};

const RULES: &[&str] = &[
    "--format",
    "json",
    "--min-version",
    "go1.21.0",
    "--arch",
    "amd64",
    "--require-symbol",
    "main.main",
];

struct Images {
    _dir: tempfile::TempDir,
    /// The OCI layout (tags `v1`, `arm`, `multi`, `nested`).
    layout: PathBuf,
    /// `umoci unpack` of `v1` and of `arm`.
    rootfs: PathBuf,
    arm_rootfs: PathBuf,
    oci_archive: PathBuf,
    docker_archive: PathBuf,
    zstd_layout: PathBuf,
}

fn images() -> &'static Images {
    static IMAGES: OnceLock<Images> = OnceLock::new();
    IMAGES.get_or_init(build)
}

fn build() -> Images {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let layout = d.join("lay");
    let lay = layout.to_str().unwrap().to_string();
    let v1 = format!("{lay}:v1");
    run("umoci", &["init", "--layout", &lay]);
    run("umoci", &["new", "--image", &v1]);

    // Layer 1.
    let b = d.join("bundle");
    unpack(&v1, &b);
    let r = b.join("rootfs");
    copy("go121-exe", &r.join("app/server"));
    copy("go119-exe", &r.join("app/old"));
    copy("libcet.so", &r.join("app/lib/libcet.so"));
    copy("libversioned.so", &r.join("app/lib/libversioned.so"));
    std::fs::hard_link(r.join("app/lib/libversioned.so"), r.join("app/lib/hard.so")).unwrap();
    copy("go127-static", &r.join("usr/bin/tool"));
    std::os::unix::fs::symlink("tool", r.join("usr/bin/tool-link")).unwrap();
    std::os::unix::fs::symlink("usr/bin", r.join("bin")).unwrap();
    copy("go127-plugin.so", &r.join("opt/plugins/a.so"));
    copy("go127-vcs-replace", &r.join("opt/plugins/b.so"));
    copy("go123-exe", &r.join("opt/drop/x"));
    copy("go125-exe", &r.join("opt/drop/y"));
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::write(r.join("etc/notes.txt"), "not ELF\n").unwrap();
    std::os::unix::fs::symlink("/nowhere", r.join("app/dangling")).unwrap();
    std::os::unix::fs::symlink("/opt", r.join("app/dirlink")).unwrap();
    repack(&v1, &b);

    // Layer 2, from a fresh unpack (a bundle repacks onto the image it was
    // unpacked from).
    let b = d.join("bundle2");
    unpack(&v1, &b);
    let r = b.join("rootfs");
    std::fs::remove_file(r.join("app/old")).unwrap();
    std::fs::remove_file(r.join("app/server")).unwrap();
    copy("go127-exe", &r.join("app/server"));
    std::fs::remove_dir_all(r.join("opt/drop")).unwrap();
    copy("go127-pie", &r.join("app/new"));
    repack(&v1, &b);

    // Layer 3: /opt/plugins replaced whole.
    let plugins = d.join("plugins");
    copy("go127-cshared.so", &plugins.join("c.so"));
    run(
        "umoci",
        &[
            "insert",
            "--image",
            &v1,
            "--opaque",
            plugins.to_str().unwrap(),
            "/opt/plugins",
        ],
    );

    // Layer 4: entries, then whiteouts in the same tar (GNU tar writes the
    // names in the order given).
    let stage = d.join("stage");
    copy("go125-exe", &stage.join("app/late"));
    std::fs::write(stage.join("app/.wh.new"), b"").unwrap();
    copy("go123-exe", &stage.join("usr/bin/fresh"));
    std::fs::write(stage.join("usr/bin/.wh.fresh"), b"").unwrap();
    let layer4 = d.join("layer4.tar");
    run(
        "tar",
        &[
            "--format=pax",
            "-cf",
            layer4.to_str().unwrap(),
            "-C",
            stage.to_str().unwrap(),
            "app/late",
            "app/.wh.new",
            "usr/bin/fresh",
            "usr/bin/.wh.fresh",
        ],
    );
    run(
        "umoci",
        &["raw", "add-layer", "--image", &v1, layer4.to_str().unwrap()],
    );
    run(
        "umoci",
        &[
            "config",
            "--image",
            &v1,
            "--config.entrypoint",
            "/app/server",
            "--config.cmd",
            "--help",
        ],
    );
    let rootfs_bundle = d.join("unpacked");
    unpack(&v1, &rootfs_bundle);

    // An arm64 image beside it, then an index of both (no Debian tool
    // writes one): amd64, arm64, and a BuildKit-style attestation.
    let arm = format!("{lay}:arm");
    run("umoci", &["new", "--image", &arm]);
    let ab = d.join("arm-bundle");
    unpack(&arm, &ab);
    copy("go127-linux-arm64", &ab.join("rootfs/app/server"));
    repack(&arm, &ab);
    run(
        "umoci",
        &[
            "config",
            "--image",
            &arm,
            "--architecture",
            "arm64",
            "--config.entrypoint",
            "/app/server",
        ],
    );
    let arm_bundle = d.join("arm-unpacked");
    unpack(&arm, &arm_bundle);

    let entry = |tag: &str, platform: Value| {
        let mut e = descriptor(&layout, tag);
        e.as_object_mut().unwrap().remove("annotations");
        e["platform"] = platform;
        e
    };
    let mut attestation = descriptor(&layout, "v1");
    attestation["platform"] = json!({"os": "unknown", "architecture": "unknown"});
    attestation["annotations"] = json!({"vnd.docker.reference.type": "attestation-manifest"});
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            attestation,
            entry("arm", json!({"os": "linux", "architecture": "arm64", "variant": "v8"})),
            entry("v1", json!({"os": "linux", "architecture": "amd64"})),
        ],
    });
    let (digest, size) = put_blob(&layout, &serde_json::to_vec(&index).unwrap());
    let index_desc = json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size});
    add_to_index(&layout, index_desc.clone(), "multi");
    // The same index one level deeper.
    let outer = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [index_desc],
    });
    let (digest, size) = put_blob(&layout, &serde_json::to_vec(&outer).unwrap());
    add_to_index(
        &layout,
        json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size}),
        "nested",
    );

    let oci_archive = d.join("image.oci.tar");
    let docker_archive = d.join("image.docker.tar");
    let zstd_layout = d.join("zlay");
    run(
        "skopeo",
        &[
            "copy",
            &format!("oci:{v1}"),
            &format!("oci-archive:{}:v1", oci_archive.display()),
        ],
    );
    run(
        "skopeo",
        &[
            "copy",
            &format!("oci:{v1}"),
            &format!("docker-archive:{}:elfgate/x:v1", docker_archive.display()),
        ],
    );
    run(
        "skopeo",
        &[
            "copy",
            "--dest-compress-format",
            "zstd",
            &format!("oci:{v1}"),
            &format!("oci:{}:v1", zstd_layout.display()),
        ],
    );
    Images {
        layout,
        rootfs: rootfs_bundle.join("rootfs"),
        arm_rootfs: arm_bundle.join("rootfs"),
        oci_archive,
        docker_archive,
        zstd_layout,
        _dir: dir,
    }
}

/// Runs elfgate; returns its exit code and stdout as JSON.
fn json_run(args: &[&str]) -> (i32, Value, String) {
    let o = common::elfgate(args);
    let err = common::stderr(&o);
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}\n{err}", common::stdout(&o)));
    (o.status.code().unwrap_or(-1), v, err)
}

fn check_image(reference: &str, extra: &[&str], targets: &[&str]) -> (i32, Value, String) {
    let mut a = vec!["check", "--image", reference];
    a.extend_from_slice(RULES);
    a.extend_from_slice(extra);
    a.extend_from_slice(targets);
    json_run(&a)
}

fn check_root(root: &Path, targets: &[&str]) -> (i32, Value, String) {
    let mut a = vec!["check", "--root", root.to_str().unwrap()];
    a.extend_from_slice(RULES);
    a.extend_from_slice(targets);
    json_run(&a)
}

/// The same verdict both ways: exit code and the whole document.
fn assert_same(image: &(i32, Value, String), root: &(i32, Value, String)) {
    assert_eq!(
        without_image(image.1.clone()),
        without_image(root.1.clone()),
        "--image and --root differ\nimage stderr: {}\nroot stderr: {}",
        image.2,
        root.2
    );
    assert_eq!(image.0, root.0);
}

fn oci(tag: &str) -> String {
    format!("oci:{}:{tag}", images().layout.display())
}

fn layer_of(v: &Value, path: &str) -> u64 {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not reported: {v}"))["layer"]["index"]
        .as_u64()
        .unwrap()
}

#[test]
fn whole_image_verdict_is_the_unpacked_roots() {
    let i = images();
    let got = check_image(&oci("v1"), &[], &["/"]);
    let want = check_root(&i.rootfs, &["/"]);
    assert_same(&got, &want);
    let paths: Vec<&str> = got.1["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // What each layer did, as umoci applied it.
    assert!(!paths.contains(&"/app/old"), "whited out: {paths:?}");
    assert!(
        !paths.contains(&"/app/new"),
        "whited out after an entry of its layer: {paths:?}"
    );
    assert!(
        paths.contains(&"/usr/bin/fresh"),
        "a layer's whiteout keeps its own entry: {paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.starts_with("/opt/drop")),
        "{paths:?}"
    );
    assert!(paths.contains(&"/opt/plugins/c.so") && !paths.contains(&"/opt/plugins/a.so"));
    assert!(paths.contains(&"/app/lib/hard.so") && paths.contains(&"/usr/bin/tool-link"));
    assert_eq!(layer_of(&got.1, "/app/server"), 2);
    assert_eq!(layer_of(&got.1, "/app/lib/hard.so"), 1);
    assert_eq!(layer_of(&got.1, "/opt/plugins/c.so"), 3);
    assert_eq!(layer_of(&got.1, "/app/late"), 4);
    let image = &got.1["image"];
    assert_eq!(image["reference"], oci("v1"));
    assert_eq!(image["platform"], "linux/amd64");
    assert_eq!(image["layers"], 4);
    let d = descriptor(&i.layout, "v1");
    assert_eq!(image["digest"], d["digest"]);
}

#[test]
fn targets_through_symlinks_and_globs_match_too() {
    let i = images();
    for targets in [
        &["/bin/tool", "/app/dirlink", "/app/lib"][..],
        &["/app/dangling"][..],
        &["/usr/bin/*", "/app/**/*.so"][..],
        &["app/server", "/tmp/../app/./server"][..],
    ] {
        let got = check_image(&oci("v1"), &[], targets);
        let want = check_root(&i.rootfs, targets);
        assert_same(&got, &want);
    }
}

#[test]
fn inspect_facts_are_the_unpacked_roots() {
    let i = images();
    let (c1, a, _) = json_run(&[
        "inspect",
        "--format",
        "json",
        "--digest",
        "--image",
        &oci("v1"),
        "/",
    ]);
    let (c2, b, _) = json_run(&[
        "inspect",
        "--format",
        "json",
        "--digest",
        "--root",
        i.rootfs.to_str().unwrap(),
        "/",
    ]);
    assert_eq!(without_image(a), without_image(b));
    assert_eq!(c1, c2);
}

#[test]
fn no_target_checks_the_program_the_image_runs() {
    let i = images();
    let got = check_image(&oci("v1"), &[], &[]);
    let want = check_root(&i.rootfs, &["/app/server"]);
    assert_same(&got, &want);
    assert_eq!(got.1["files"].as_array().unwrap().len(), 1);
}

#[test]
fn archives_and_zstd_give_the_same_verdict() {
    let i = images();
    let base = check_image(&oci("v1"), &[], &["/"]);
    let oa = format!("oci-archive:{}:v1", i.oci_archive.display());
    let da = format!("docker-archive:{}", i.docker_archive.display());
    let z = format!("oci:{}:v1", i.zstd_layout.display());
    for reference in [
        oa.clone(),
        da.clone(),
        format!("{da}:elfgate/x:v1"),
        format!("{da}:docker.io/elfgate/x:v1"),
        format!("{da}:@0"),
        z.clone(),
    ] {
        let got = check_image(&reference, &[], &["/"]);
        assert_same(&got, &base);
        // Layers and diff_ids are the same whatever the transport and compression.
        let layers = |v: &Value| -> Vec<Value> {
            v["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["layer"].clone())
                .collect()
        };
        assert_eq!(layers(&got.1), layers(&base.1), "{reference}");
    }
    // The digest: the manifest's; a legacy docker-archive has none, so its config's.
    let (_, v, _) = check_image(&oa, &[], &["/app"]);
    assert_eq!(v["image"]["digest"], base.1["image"]["digest"]);
    let (_, v, _) = check_image(&da, &[], &["/app"]);
    let config = read_json(&i.layout.join(format!(
        "blobs/sha256/{}",
        descriptor(&i.layout, "v1")["digest"].as_str().unwrap().trim_start_matches("sha256:")
    )))["config"]["digest"]
        .clone();
    assert_eq!(v["image"]["digest"], config);
    let (_, v, _) = check_image(&z, &[], &["/app"]);
    assert_ne!(
        v["image"]["digest"], base.1["image"]["digest"],
        "zstd layers, another manifest"
    );
}

#[test]
fn a_docker_archive_name_that_is_not_there_is_a_usage_error() {
    let i = images();
    let o = common::elfgate(&[
        "check",
        "--min-version",
        "go1.21.0",
        "--image",
        &format!("docker-archive:{}:elfgate/y:v1", i.docker_archive.display()),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("docker.io/elfgate/x:v1"),
        "{}",
        common::stderr(&o)
    );
}

#[test]
fn platforms_are_picked_from_an_index() {
    let i = images();
    for tag in ["multi", "nested"] {
        for p in ["linux/arm64", "linux/arm64/v8", "linux/aarch64"] {
            let got = check_image(&oci(tag), &["--platform", p], &["/"]);
            assert_same(&got, &check_root(&i.arm_rootfs, &["/"]));
            assert_eq!(got.1["image"]["platform"], "linux/arm64");
        }
        // This machine's platform by default (the tests run on amd64).
        let got = check_image(&oci(tag), &[], &["/"]);
        assert_same(&got, &check_root(&i.rootfs, &["/"]));
        let o = common::elfgate(&[
            "check",
            "--min-version",
            "go1.21.0",
            "--image",
            &oci(tag),
            "--platform",
            "linux/s390x",
        ]);
        assert_eq!(o.status.code(), Some(2));
        let err = common::stderr(&o);
        assert!(
            err.contains("linux/s390x")
                && err.contains("linux/arm64")
                && err.contains("linux/amd64")
                && !err.contains("unknown"),
            "{err}"
        );
    }
    // A single-manifest image is scanned whatever its platform, and says so.
    let got = check_image(&oci("arm"), &["--platform", "linux/amd64"], &["/app"]);
    assert_eq!(got.1["image"]["platform"], "linux/arm64");
    assert!(got.2.contains("linux/arm64"), "{}", got.2);
}

#[test]
fn several_images_need_a_tag() {
    let o = common::elfgate(&[
        "check",
        "--min-version",
        "go1.21.0",
        "--image",
        &format!("oci:{}", images().layout.display()),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = common::stderr(&o);
    assert!(
        err.contains("arm") && err.contains("multi") && err.contains("v1"),
        "{err}"
    );
}

#[test]
fn text_and_sarif_name_the_layer_and_the_digest() {
    let o = common::elfgate(&[
        "check",
        "--image",
        &oci("v1"),
        "--min-version",
        "go1.99.0",
        "/app/server",
    ]);
    let text = common::stdout(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(text.starts_with("IMAGE "), "{text}");
    assert!(
        text.contains("FAIL /app/server (layer 2 of 4): 1 of 2 checks failed"),
        "{text}"
    );
    let o = common::elfgate(&[
        "check",
        "--image",
        &oci("v1"),
        "--min-version",
        "go1.99.0",
        "--format",
        "sarif",
        "/app/server",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let digest = descriptor(&images().layout, "v1")["digest"].clone();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert_eq!(r["properties"]["image_digest"], digest);
    }
    assert_eq!(v["runs"][0]["properties"]["image"]["digest"], digest);
}

/// Runs elfgate; returns its exit code, stdout and stderr.
fn raw_run(args: &[&str]) -> (i32, String, String) {
    let o = common::elfgate(args);
    let err = common::stderr(&o);
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    (o.status.code().unwrap_or(-1), common::stdout(&o), err)
}

#[test]
fn snapshot_of_an_image_is_the_unpacked_roots() {
    let i = images();
    let root = i.rootfs.to_str().unwrap();
    for targets in [vec!["/"], vec!["/app", "/usr/bin/tool-link"]] {
        let mut want_args = vec!["snapshot", "--root", root];
        want_args.extend_from_slice(&targets);
        let want = raw_run(&want_args);
        assert_eq!(want.0, 0, "{}", want.2);
        let oa = format!("oci-archive:{}:v1", i.oci_archive.display());
        let da = format!("docker-archive:{}", i.docker_archive.display());
        let z = format!("oci:{}:v1", i.zstd_layout.display());
        for reference in [oci("v1"), oa, da, z] {
            let mut args = vec!["snapshot", "--image", &reference];
            args.extend_from_slice(&targets);
            let got = raw_run(&args);
            assert_eq!(got.0, 0, "{reference}: {}", got.2);
            // Byte for byte: the same files, paths, digests and contracts.
            assert_eq!(got.1, want.1, "{reference} {targets:?}");
        }
    }
    // A platform picked from an index, against that platform's unpacked root.
    let want = raw_run(&["snapshot", "--root", i.arm_rootfs.to_str().unwrap(), "/"]);
    let got = raw_run(&[
        "snapshot",
        "--image",
        &oci("multi"),
        "--platform",
        "linux/arm64",
        "/",
    ]);
    assert_eq!((got.0, &got.1), (0, &want.1), "{}", got.2);
}

#[test]
fn diff_of_two_images_is_the_diff_of_their_unpacked_roots() {
    let i = images();
    for format in ["json", "text"] {
        let want = raw_run(&[
            "diff",
            "--format",
            format,
            i.rootfs.to_str().unwrap(),
            i.arm_rootfs.to_str().unwrap(),
        ]);
        let got = raw_run(&["diff", "--format", format, &oci("v1"), &oci("arm")]);
        assert_eq!((got.0, &got.1), (want.0, &want.1), "{}", got.2);
        assert_eq!(got.0, 1, "amd64 to arm64 is breaking: {}", got.1);
    }
    // An image against a snapshot of itself: no change.
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("v1.json");
    let o = raw_run(&[
        "snapshot",
        "--image",
        &oci("v1"),
        "--output",
        snap.to_str().unwrap(),
        "/",
    ]);
    assert_eq!(o.0, 0, "{}", o.2);
    let got = raw_run(&[
        "diff",
        "--format",
        "json",
        snap.to_str().unwrap(),
        &oci("v1"),
    ]);
    assert_eq!(got.0, 0, "{}{}", got.1, got.2);
    // A reference that names no image is a usage error; a platform the
    // index lacks too.
    let got = raw_run(&["diff", &oci("v1"), &oci("no-such-tag")]);
    assert_eq!(got.0, 2, "{}", got.2);
    let got = raw_run(&[
        "diff",
        "--platform",
        "linux/s390x",
        &oci("multi"),
        &oci("v1"),
    ]);
    assert_eq!(got.0, 2, "{}", got.2);
}
