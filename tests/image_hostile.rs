//! `--image` against hostile images, built in code (no tool writes them):
//! names that leave the image, writes through symlinks, links out of it,
//! sizes and digests that lie, a decompression bomb, missing blobs, digests
//! that name host paths, nested indexes without end, truncated documents,
//! a symlink maze, 100 000 tiny files. Each must end in a clear error or a
//! named warning, within a deadline, in bounded memory, writing nothing.

mod common;
mod imagekit;

use std::path::{Path, PathBuf};
use std::time::Duration;

use imagekit::*;
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(120);

/// A run under a deadline, with its peak memory.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    max_rss_kib: i64,
}

// The child is reaped by `wait4` (for its peak memory), not `Child::wait`.
#[allow(clippy::zombie_processes)]
fn elfgate(args: &[&str]) -> Run {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_elfgate"))
        .args(args)
        .env_remove("ELFGATE_FORMAT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let pid = child.id() as libc::pid_t;
    let deadline = std::time::Instant::now() + TIMEOUT;
    let (status, rusage) = loop {
        let mut status = 0;
        // SAFETY: a zeroed rusage is a valid out-parameter.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our child; WNOHANG does not block.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
        if r == pid {
            break (status, ru);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("elfgate {args:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&o.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&e.join().unwrap()).into_owned();
    assert!(
        !libc::WIFSIGNALED(status),
        "{args:?}: killed by a signal\n{stderr}"
    );
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    assert_ne!(code, Some(101), "{args:?}: panicked\n{stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    Run {
        code,
        stdout,
        stderr,
        max_rss_kib: rusage.ru_maxrss,
    }
}

fn binary() -> Vec<u8> {
    std::fs::read(fixture("go127-static")).unwrap()
}

fn oci(b: &Built) -> String {
    format!("oci:{}:t", b.dir.display())
}

fn check(reference: &str, extra: &[&str]) -> Run {
    let mut a = vec!["check", "--min-version", "go1.21.0", "--image", reference];
    a.extend_from_slice(extra);
    elfgate(&a)
}

/// An image of one plain layer.
fn one_layer(dir: &Path, tar: Vec<u8>) -> Built {
    layout(dir, &[(tar.clone(), tar)], &["/app/server"])
}

/// A path outside every image that a hostile entry aims at: it must never appear.
fn canary(d: &Path) -> PathBuf {
    d.join("canary")
}

#[test]
fn names_leaving_the_image_are_skipped_and_named() {
    let d = tempfile::tempdir().unwrap();
    let escape = format!("../../../../../../../..{}", canary(d.path()).display());
    let tar = Tar::default()
        .file("/app/server", &binary())
        .file(&escape, b"x")
        .file("app/../../evil", b"x")
        .symlink("out", "../../../../../../../../tmp")
        .file("out/through-link", b"x")
        .symlink("abs", "/etc")
        .file("abs/inside", b"written inside the image")
        .hardlink("app/hard", "../../../../etc/passwd")
        .symlink("app/esc", "../../../../../etc/passwd")
        .end();
    let b = one_layer(&d.path().join("img"), tar);
    let r = check(&oci(&b), &["--format", "json", "/"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let warnings: Vec<&str> = v["image"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    for (w, name) in warnings.iter().zip([
        escape.as_str(),
        "app/../../evil",
        "out/through-link",
        "app/hard",
    ]) {
        assert!(w.contains(name), "{w} should name {name}");
    }
    assert!(warnings[2].contains("symlink that points out"));
    for w in &warnings {
        assert!(r.stderr.contains(w), "warnings go to stderr too: {w}");
    }
    // The leading `/` is stripped; the absolute symlink stays inside.
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/app/server"]);
    // A link leaving the image resolves inside it (nothing there).
    let r = check(&oci(&b), &["/app/esc"]);
    assert_eq!(r.code, Some(3));
    assert!(
        r.stderr.contains("resolved inside the root to /etc/passwd"),
        "{}",
        r.stderr
    );
    let r = check(&oci(&b), &["/etc/inside"]);
    assert_eq!(
        r.code,
        Some(3),
        "a text file named is not ELF: {}",
        r.stderr
    );
    assert!(r.stderr.contains("not an ELF file"), "{}", r.stderr);
    assert!(!canary(d.path()).exists());
}

#[test]
fn sizes_that_lie_are_errors() {
    let d = tempfile::tempdir().unwrap();
    // A tar header claiming 1 TiB over a few bytes of data.
    let mut tar = tar_header(b"app/server", b'0', 1 << 40, b"");
    tar.extend_from_slice(b"\x7fELF and nothing more");
    let b = one_layer(&d.path().join("hdr"), tar);
    let r = check(&oci(&b), &[]);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr.contains("short of the size in its header"),
        "{}",
        r.stderr
    );

    // A layer descriptor claiming 1 TiB.
    let t = Tar::default().file("app/server", &binary()).end();
    let mut b = one_layer(&d.path().join("desc"), t);
    b.manifest["layers"][0]["size"] = json!(1u64 << 40);
    write_manifest(&b.dir, &b.manifest);
    let r = check(&oci(&b), &[]);
    assert_eq!(r.code, Some(3));
    assert!(
        r.stderr.contains("its descriptor says 1099511627776"),
        "{}",
        r.stderr
    );

    // A config descriptor claiming 1 TiB is refused before it is read.
    b.manifest["layers"][0]["size"] = json!(
        std::fs::metadata(b.dir.join(format!(
        "blobs/sha256/{}",
        b.manifest["layers"][0]["digest"].as_str().unwrap().trim_start_matches("sha256:")
    )))
        .unwrap()
        .len()
    );
    b.manifest["config"]["size"] = json!(1u64 << 40);
    write_manifest(&b.dir, &b.manifest);
    let r = check(&oci(&b), &[]);
    assert_eq!(r.code, Some(3));
    assert!(r.stderr.contains("more than the limit"), "{}", r.stderr);
}

#[test]
fn a_gzip_bomb_is_refused() {
    let d = tempfile::tempdir().unwrap();
    // A tar header for a file of 1 GiB, then 600 MiB of zeros from 600 KB.
    let mut head = tar_header(b"app/zeros", b'0', 1 << 30, b"");
    head.extend([0u8; 512]);
    let mut blob = gzip(&head);
    blob.extend(gzip_zeros(600));
    let b = layout(&d.path().join("bomb"), &[(head, blob)], &["/app/server"]);
    let r = check(
        &oci(&b),
        &["--success-file", d.path().join("passed").to_str().unwrap()],
    );
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(r.stderr.contains("decompression bomb"), "{}", r.stderr);
    assert!(r.max_rss_kib < 200 * 1024, "peak RSS {} KiB", r.max_rss_kib);
    assert!(!d.path().join("passed").exists());
}

/// The base for the digest cases: a good image of one gzip layer.
fn good(dir: &Path) -> Built {
    let t = Tar::default().file("app/server", &binary()).end();
    layout(dir, &[(t.clone(), gzip(&t))], &["/app/server"])
}

fn blob_path(b: &Built, digest: &Value) -> PathBuf {
    b.dir.join(format!(
        "blobs/sha256/{}",
        digest.as_str().unwrap().trim_start_matches("sha256:")
    ))
}

#[test]
fn every_digest_is_checked_and_a_late_mismatch_voids_the_run() {
    let d = tempfile::tempdir().unwrap();
    let pass = d.path().join("passed");
    let pass = pass.to_str().unwrap();
    let b = good(&d.path().join("ok"));
    let r = check(&oci(&b), &["--success-file", pass]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(Path::new(pass).exists());

    // Each blob kind rewritten in place: same size, other bytes. A JSON
    // blob is hashed before it is parsed; a layer keeps a valid gzip stream
    // (its header's mtime changed), so that only the digest can tell.
    let flip = |p: &Path| {
        let mut bytes = std::fs::read(p).unwrap();
        let at = if bytes.starts_with(&[0x1f, 0x8b]) {
            4
        } else {
            bytes.len() / 2
        };
        bytes[at] ^= 1;
        std::fs::write(p, bytes).unwrap();
    };
    type BlobOf = dyn Fn(&Built) -> PathBuf;
    let cases: [(&str, &BlobOf, &str); 3] = [
        (
            "manifest",
            &|b: &Built| {
                let index = read_json(&b.dir.join("index.json"));
                blob_path(b, &index["manifests"][0]["digest"])
            },
            "manifest sha256:",
        ),
        (
            "config",
            &|b: &Built| blob_path(b, &b.manifest["config"]["digest"]),
            "config sha256:",
        ),
        (
            "layer",
            &|b: &Built| blob_path(b, &b.manifest["layers"][0]["digest"]),
            "layer 1 of 1",
        ),
    ];
    for (what, path, named) in cases {
        let b = good(&d.path().join(what));
        flip(&path(&b));
        let r = check(&oci(&b), &["--format", "json", "--success-file", pass]);
        assert_eq!(r.code, Some(3), "{what}: {}", r.stderr);
        assert!(
            r.stderr.contains(named) && r.stderr.contains("mismatch"),
            "{what}: {}",
            r.stderr
        );
        assert!(
            !Path::new(pass).exists(),
            "{what}: a success file after a mismatch"
        );
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        // Everything read before is void: the one entry is the image's.
        assert_eq!(v["files"].as_array().unwrap().len(), 1, "{what}: {v}");
        assert_eq!(v["files"][0]["status"], "unreadable");
        assert_eq!(v["result"], "unreadable");
    }

    // A diff_id that is not the layer's: found only at the layer's end,
    // after the binary was read and inspected.
    let mut b = good(&d.path().join("diffid"));
    let mut c = b.config.clone();
    c["rootfs"]["diff_ids"][0] = json!(format!("sha256:{}", "0".repeat(64)));
    write_config(&mut b, c);
    let r = check(&oci(&b), &["--success-file", pass]);
    assert_eq!(r.code, Some(3));
    assert!(r.stderr.contains("diff_id mismatch"), "{}", r.stderr);
    assert!(!r.stdout.contains("PASS"), "{}", r.stdout);
    assert!(!Path::new(pass).exists());

    // An index entry (nested index) that lies.
    let b = good(&d.path().join("index"));
    let index = read_json(&b.dir.join("index.json"));
    let inner = json!({"schemaVersion": 2, "manifests": [index["manifests"][0].clone()]});
    let (digest, size) = put_blob(&b.dir, &serde_json::to_vec(&inner).unwrap());
    let top = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size,
        "annotations": {"org.opencontainers.image.ref.name": "t"}}]});
    std::fs::write(b.dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    assert_eq!(check(&oci(&b), &[]).code, Some(0));
    flip(&blob_path(&b, &json!(digest)));
    let r = check(&oci(&b), &[]);
    assert_eq!(r.code, Some(3));
    assert!(
        r.stderr.contains("index sha256:") && r.stderr.contains("mismatch"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_blobs_and_digests_naming_host_paths_are_errors() {
    let d = tempfile::tempdir().unwrap();
    let b = good(&d.path().join("missing"));
    std::fs::remove_file(blob_path(&b, &b.manifest["layers"][0]["digest"])).unwrap();
    let r = check(&oci(&b), &[]);
    assert_eq!(r.code, Some(3));
    assert!(r.stderr.contains("missing"), "{}", r.stderr);

    for bad in [
        "sha256:../../../../../../etc/passwd",
        "sha256:/etc/passwd",
        "md5:abc",
    ] {
        let mut b = good(&d.path().join("hostpath"));
        b.manifest["layers"][0]["digest"] = json!(bad);
        write_manifest(&b.dir, &b.manifest);
        let r = check(&oci(&b), &[]);
        assert_eq!(r.code, Some(3), "{bad}");
        let shown = bad.get(..8).unwrap_or(bad);
        assert!(
            r.stderr.contains("digest") && r.stderr.contains(shown),
            "{bad}: {}",
            r.stderr
        );
    }
    // A blob that is a symlink to a host file.
    let b = good(&d.path().join("link"));
    let p = blob_path(&b, &b.manifest["config"]["digest"]);
    std::fs::remove_file(&p).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", &p).unwrap();
    let r = check(&oci(&b), &[]);
    assert_eq!(r.code, Some(3));
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);

    // A docker-archive whose manifest.json names host paths.
    for config in ["/etc/passwd", "../../../../etc/passwd"] {
        let archive = d.path().join("d.tar");
        let manifest =
            serde_json::to_vec(&json!([{"Config": config, "RepoTags": ["x:1"], "Layers": []}]))
                .unwrap();
        std::fs::write(
            &archive,
            Tar::default().file("manifest.json", &manifest).end(),
        )
        .unwrap();
        let r = check(&format!("docker-archive:{}", archive.display()), &[]);
        assert_eq!(r.code, Some(3), "{config}: {}", r.stderr);
        assert!(!r.stderr.contains("root:"), "{}", r.stderr);
    }
}

#[test]
fn endless_indexes_and_truncated_documents_are_errors() {
    let d = tempfile::tempdir().unwrap();
    let b = good(&d.path().join("deep"));
    let index = read_json(&b.dir.join("index.json"));
    let mut desc = index["manifests"][0].clone();
    desc.as_object_mut().unwrap().remove("annotations");
    for _ in 0..3000 {
        let ix = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [desc]});
        let (digest, size) = put_blob(&b.dir, &serde_json::to_vec(&ix).unwrap());
        desc = json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size});
    }
    desc["annotations"] = json!({"org.opencontainers.image.ref.name": "t"});
    std::fs::write(
        b.dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [desc]})).unwrap(),
    )
    .unwrap();
    let r = check(&oci(&b), &[]);
    assert_eq!(r.code, Some(3));
    assert!(r.stderr.contains("nested deeper than 8"), "{}", r.stderr);

    let b = good(&d.path().join("trunc"));
    let p = b.dir.join("index.json");
    let text = std::fs::read(&p).unwrap();
    std::fs::write(&p, &text[..text.len() / 2]).unwrap();
    let r = check(&oci(&b), &[]);
    assert_eq!(r.code, Some(3));
    assert!(
        r.stderr.contains("index.json: invalid JSON"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_symlink_maze_ends() {
    let d = tempfile::tempdir().unwrap();
    let mut t = Tar::default().file("app/server", &binary());
    // Each link goes through the next one several times: without a bound
    // on links per lookup, resolving m0 would take 4^40 steps.
    for i in 0..60 {
        let n = i + 1;
        t = t.symlink(&format!("m{i}"), &format!("m{n}/../m{n}/../m{n}/../m{n}"));
    }
    for i in 0..2000 {
        t = t.symlink(&format!("maze/l{i}"), &format!("/m{}", i % 60));
        t = t.file(&format!("m{}/f{i}", i % 7), b"written through the maze");
    }
    let b = one_layer(&d.path().join("maze"), t.end());
    let r = check(&oci(&b), &["/"]);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr.contains("too many levels of symbolic links"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("PASS /app/server"), "{}", r.stdout);
}

#[test]
fn a_hundred_thousand_tiny_files_stay_small() {
    let d = tempfile::tempdir().unwrap();
    let mut t = Tar::default().file("app/server", &binary());
    for i in 0..100_000 {
        t = t.file(&format!("data/{}/{i}", i % 100), b"x");
    }
    let tar = t.end();
    let b = layout(
        &d.path().join("many"),
        &[(tar.clone(), gzip(&tar))],
        &["/app/server"],
    );
    let r = check(&oci(&b), &["/"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.max_rss_kib < 256 * 1024, "peak RSS {} KiB", r.max_rss_kib);
}

#[test]
fn max_file_size_bounds_what_is_held() {
    let d = tempfile::tempdir().unwrap();
    let b = good(&d.path().join("img"));
    let r = check(&oci(&b), &["--max-file-size", "64K"]);
    assert_eq!(r.code, Some(3));
    assert!(
        r.stderr.contains("/app/server") && r.stderr.contains("--max-file-size"),
        "{}",
        r.stderr
    );
    let r = check(&oci(&b), &["--max-file-size", "2M"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

#[test]
fn the_program_is_found_as_a_runtime_finds_it() {
    let d = tempfile::tempdir().unwrap();
    let t = Tar::default()
        .file("usr/local/bin/app", &binary())
        .file("srv/bin/tool", &binary())
        .file("bin/sh", &binary())
        .end();
    let mut b = one_layer(&d.path().join("img"), t);
    let cases: [(Value, Option<&str>, i32); 5] = [
        (
            json!({"Cmd": ["app", "--flag"]}),
            Some("/usr/local/bin/app"),
            0,
        ),
        (
            json!({"Entrypoint": ["./bin/tool"], "Cmd": ["x"], "WorkingDir": "/srv"}),
            Some("/srv/bin/tool"),
            0,
        ),
        (
            json!({"Cmd": ["tool"], "Env": ["PATH=/srv/bin"]}),
            Some("/srv/bin/tool"),
            0,
        ),
        (
            json!({"Entrypoint": ["/bin/sh", "-c", "exec app"]}),
            Some("/bin/sh"),
            0,
        ),
        (json!({"Cmd": ["nothere"]}), None, 3),
    ];
    for (run, path, code) in cases {
        let mut c = b.config.clone();
        c["config"] = run.clone();
        write_config(&mut b, c);
        let r = check(&oci(&b), &["--format", "json"]);
        assert_eq!(r.code, Some(code), "{run}: {}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        if let Some(p) = path {
            assert_eq!(v["files"][0]["path"], p, "{run}");
        } else {
            assert!(
                r.stderr.contains("not found in the image's PATH"),
                "{}",
                r.stderr
            );
        }
        if run.get("Entrypoint").is_some_and(|e| e[0] == "/bin/sh") {
            assert!(
                v["files"][0]["notes"][0]
                    .as_str()
                    .unwrap()
                    .contains("shell"),
                "{v}"
            );
        }
    }
    let mut c = b.config.clone();
    c["config"] = json!({});
    write_config(&mut b, c);
    let r = check(&oci(&b), &[]);
    assert_eq!(r.code, Some(2), "neither Entrypoint nor Cmd");
    assert!(
        r.stderr.contains("neither Entrypoint nor Cmd"),
        "{}",
        r.stderr
    );
}

#[test]
fn image_and_root_together_is_a_usage_error() {
    let r = elfgate(&[
        "check",
        "--min-version",
        "go1.21.0",
        "--image",
        "oci:x",
        "--root",
        "/",
        "/app",
    ]);
    assert_eq!(r.code, Some(2));
    let r = elfgate(&[
        "check",
        "--min-version",
        "go1.21.0",
        "--image",
        "oci:/nonexistent/x:t",
    ]);
    assert_eq!(r.code, Some(2));
    let r = elfgate(&["check", "--min-version", "go1.21.0", "--image", "docker:x"]);
    assert_eq!(r.code, Some(2));
}

#[test]
fn docker_archive_config_and_layers_are_checked_against_their_digests() {
    let d = tempfile::tempdir().unwrap();
    let layer = Tar::default().file("app/server", &binary()).end();
    let archive = |config: &Value, name: Option<&str>| -> String {
        let bytes = serde_json::to_vec(config).unwrap();
        let config_name = match name {
            Some(n) => n.to_string(),
            None => format!("{}.json", sha256_hex(&bytes)),
        };
        let manifest = json!([{"Config": config_name, "RepoTags": ["elfgate/x:v1"], "Layers": ["abc/layer.tar"]}]);
        let t = Tar::default()
            .file("manifest.json", &serde_json::to_vec(&manifest).unwrap())
            .file(&config_name, &bytes)
            .file("abc/layer.tar", &layer)
            .end();
        let p = d.path().join(format!("{}.tar", sha256_hex(&t)));
        std::fs::write(&p, t).unwrap();
        format!("docker-archive:{}:elfgate/x:v1", p.display())
    };
    let config = json!({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/app/server"]},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", sha256_hex(&layer))]}});
    let r = check(&archive(&config, None), &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = check(
        &archive(&config, Some(&format!("{}.json", "a".repeat(64)))),
        &[],
    );
    assert_eq!(r.code, Some(3));
    assert!(
        r.stderr.contains("config") && r.stderr.contains("digest mismatch"),
        "{}",
        r.stderr
    );
    let mut wrong = config.clone();
    wrong["rootfs"]["diff_ids"][0] = json!(format!("sha256:{}", "b".repeat(64)));
    let r = check(&archive(&wrong, None), &["--format", "json"]);
    assert_eq!(r.code, Some(3));
    assert!(
        r.stderr.contains("abc/layer.tar") && r.stderr.contains("diff_id mismatch"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("\"pass\""), "{}", r.stdout);
}

#[test]
fn a_layer_may_end_at_an_entry_boundary() {
    let d = tempfile::tempdir().unwrap();
    // No end-of-archive blocks at all, then cut inside them.
    let full = Tar::default().file("app/server", &binary()).end();
    let bare = full[..full.len() - 1024].to_vec();
    let b = one_layer(&d.path().join("bare"), bare);
    assert_eq!(check(&oci(&b), &[]).code, Some(0));
    let cut = full[..full.len() - 700].to_vec();
    let b = one_layer(&d.path().join("cut"), cut);
    assert_eq!(check(&oci(&b), &[]).code, Some(0));
}

#[test]
fn sha512_digests_are_verified() {
    use sha2::{Digest, Sha512};
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("img");
    let put = |bytes: &[u8]| -> (String, u64) {
        let hex: String = Sha512::digest(bytes)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect();
        std::fs::create_dir_all(dir.join("blobs/sha512")).unwrap();
        std::fs::write(dir.join("blobs/sha512").join(&hex), bytes).unwrap();
        (format!("sha512:{hex}"), bytes.len() as u64)
    };
    let layer = Tar::default().file("app/server", &binary()).end();
    let hex512: String = Sha512::digest(&layer)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    let (ld, ls) = put(&layer);
    let config = json!({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/app/server"]},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha512:{hex512}")]}});
    let (cd, cs) = put(&serde_json::to_vec(&config).unwrap());
    let manifest = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}]});
    let (md, ms) = put(&serde_json::to_vec(&manifest).unwrap());
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    let reference = format!("oci:{}", dir.display());
    let r = check(&reference, &["--format", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["image"]["digest"], md);
    assert_eq!(
        v["files"][0]["layer"]["diff_id"],
        format!("sha512:{hex512}")
    );
    // The same layer bytes under another sha512 name: refused.
    let mut bytes = std::fs::read(
        dir.join("blobs/sha512")
            .join(ld.trim_start_matches("sha512:")),
    )
    .unwrap();
    bytes[600] ^= 1; // inside the binary: the tar still reads
    std::fs::write(
        dir.join("blobs/sha512")
            .join(ld.trim_start_matches("sha512:")),
        bytes,
    )
    .unwrap();
    let r = check(&reference, &[]);
    assert_eq!(r.code, Some(3));
    assert!(
        r.stderr.contains("digest mismatch") && r.stderr.contains("sha512:"),
        "{}",
        r.stderr
    );
}

/// Docker 25 and later write an OCI layout inside the `docker save` tar,
/// with `manifest.json` pointing into `blobs/` and layers uncompressed.
#[test]
fn a_docker_25_archive_reads_as_its_oci_layout() {
    let d = tempfile::tempdir().unwrap();
    let layers: Vec<Vec<u8>> = vec![
        Tar::default()
            .file("app/server", &binary())
            .file("app/old", &binary())
            .end(),
        Tar::default()
            .file("app/.wh.old", b"")
            .file(
                "lib/libcet.so",
                &std::fs::read(fixture("libcet.so")).unwrap(),
            )
            .end(),
    ];
    let b = layout(
        &d.path().join("lay"),
        &layers
            .iter()
            .map(|l| (l.clone(), l.clone()))
            .collect::<Vec<_>>(),
        &["/app/server"],
    );
    let index = read_json(&b.dir.join("index.json"));
    let manifest_digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    // The archive: Docker's manifest.json beside the layout's files.
    let blob = |digest: &str| format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"));
    let docker_manifest = json!([{
        "Config": blob(b.manifest["config"]["digest"].as_str().unwrap()),
        "RepoTags": ["elfgate/x:v1"],
        "Layers": b.manifest["layers"].as_array().unwrap().iter().map(|l| blob(l["digest"].as_str().unwrap())).collect::<Vec<_>>(),
    }]);
    let mut t = Tar::default()
        .file(
            "oci-layout",
            &std::fs::read(b.dir.join("oci-layout")).unwrap(),
        )
        .file(
            "index.json",
            &std::fs::read(b.dir.join("index.json")).unwrap(),
        )
        .file(
            "manifest.json",
            &serde_json::to_vec(&docker_manifest).unwrap(),
        );
    for e in std::fs::read_dir(b.dir.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        t = t.file(
            &format!("blobs/sha256/{}", e.file_name().to_str().unwrap()),
            &std::fs::read(e.path()).unwrap(),
        );
    }
    let archive = d.path().join("docker25.tar");
    std::fs::write(&archive, t.end()).unwrap();
    let from_layout = check(&oci(&b), &["--format", "json", "/"]);
    let from_archive = check(
        &format!("docker-archive:{}:elfgate/x:v1", archive.display()),
        &["--format", "json", "/"],
    );
    assert_eq!(
        from_archive.code, from_layout.code,
        "{}",
        from_archive.stderr
    );
    let a: Value = serde_json::from_str(&from_layout.stdout).unwrap();
    let z: Value = serde_json::from_str(&from_archive.stdout).unwrap();
    assert_eq!(a["files"], z["files"]);
    assert_eq!(
        z["image"]["digest"], manifest_digest,
        "the manifest's digest, found through index.json"
    );
    let paths: Vec<&str> = z["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/app/server", "/lib/libcet.so"]);
}
