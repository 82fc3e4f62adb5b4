//! The contract rules over a container image (`check --image`): the files
//! are read through the image, never unpacked, and named by their paths
//! inside it, as `snapshot --root` names an unpacked copy.

mod common;
mod imagekit;

use common::{elfgate, root, stderr, stdout};
use imagekit::{Tar, layout};

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(root().join("testdata/bin").join(rel)).unwrap()
}

#[test]
fn plugin_host_and_baseline_inside_an_image() {
    let tmp = tempfile::tempdir().unwrap();
    let tar = Tar::default()
        .dir("app/")
        .dir("app/plugins/")
        .dir("usr/")
        .dir("usr/lib/")
        .file("app/host", &fixture("contract/plugin-host"))
        .file("app/plugins/same.so", &fixture("contract/plugin-same.so"))
        .file(
            "app/plugins/changed.so",
            &fixture("contract/plugin-changed.so"),
        )
        .file("usr/lib/libcs.so", &fixture("contract/cshared-nosub.so"))
        .end();
    let image = layout(
        &tmp.path().join("img"),
        &[(tar.clone(), tar)],
        &["/app/host"],
    );
    let reference = format!("oci:{}:t", image.dir.display());

    // The host opens one of the two plugins.
    let o = elfgate(&[
        "check",
        "--image",
        &reference,
        "--plugin-host",
        "/app/host",
        "/app/plugins",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.lines().any(|l| l.contains("/app/plugins/same.so")
            && l.contains("go.plugin")
            && l.starts_with("PASS")),
        "{out}"
    );
    assert!(
        out.contains("plugin.Open(\"/app/plugins/changed\"): plugin was built with a different version of package example.com/plugins/shared"),
        "{out}"
    );

    // A baseline made from an unpacked tree with the old library, by path
    // inside the root: the image's library lost an export.
    let unpacked = tmp.path().join("rootfs/usr/lib");
    std::fs::create_dir_all(&unpacked).unwrap();
    std::fs::write(unpacked.join("libcs.so"), fixture("contract/cshared-v1.so")).unwrap();
    let base = tmp.path().join("base.json");
    let o = elfgate(&[
        "snapshot",
        "--root",
        tmp.path().join("rootfs").to_str().unwrap(),
        "--output",
        base.to_str().unwrap(),
        "/usr/lib",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = elfgate(&[
        "check",
        "--image",
        &reference,
        "--baseline",
        base.to_str().unwrap(),
        "/usr/lib",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("FAIL /usr/lib/libcs.so: contract.baseline")
            && stdout(&o).contains("symbol.removed Sub"),
        "{}",
        stdout(&o)
    );
}
