//! The tar walk: up to four uncompressed layers (the input split at
//! `--elfgate-layer--`) read by `input::image::tar` and applied in order to
//! an empty tree (whiteouts, opaque directories, hard links, symlinks,
//! hostile names), then every name in the tree listed and every symlink
//! resolved. Seeds: layers GNU tar and umoci write (`scripts/fuzz.sh`).
//!
//! Checks besides "no panic": a listed regular file's inode exists; a
//! lookup of a file's own path finds that file.
#![no_main]

use elfgate::input::image::apply_layers;
use elfgate::input::image::tree::{Entry, Found, ROOT};
use libfuzzer_sys::fuzz_target;

const SEP: &[u8] = b"--elfgate-layer--";

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < 3 {
        match rest.windows(SEP.len()).position(|w| w == SEP) {
            Some(i) => {
                out.push(&rest[..i]);
                rest = &rest[i + SEP.len()..];
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    let layers = split(data);
    let Ok(tree) = apply_layers(&layers) else {
        return;
    };
    let mut stack = vec![ROOT];
    let mut visited = 0usize;
    while let Some(dir) = stack.pop() {
        for (_, id) in tree.list(dir) {
            visited += 1;
            if visited > 10_000 {
                return;
            }
            let path = tree.path_of(id);
            match tree.entry(id) {
                Entry::Dir => stack.push(id),
                Entry::File { inode, .. } => {
                    assert!(tree.inode(inode).is_some());
                    match tree.lookup(&path) {
                        Ok(Found::File { inode: got, .. }) => assert_eq!(got, inode),
                        other => panic!("{path:?}: {other:?}"),
                    }
                }
                Entry::Symlink(_) | Entry::Other(_) => {
                    let _ = tree.lookup(&path);
                }
            }
        }
    }
    let _ = tree.warnings();
});
