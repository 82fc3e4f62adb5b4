//! Accept files: `contract::accept::Accept::from_yaml` on any UTF-8 text
//! up to the size the CLI reads; an accepted file is applied to one change
//! of every kind. Seeds: the YAML blocks of `docs/contract.md`.
#![no_main]

use elfgate::contract::accept::{Accept, MAX_ACCEPT_BYTES};
use elfgate::contract::{Change, Kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_ACCEPT_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(a) = Accept::from_yaml("fuzz.yaml", text) else {
        return;
    };
    let changes: Vec<Change> = Kind::ALL
        .iter()
        .map(|&kind| Change {
            kind,
            class: kind.class(),
            path: "lib/libx.so.1".into(),
            subject: "example.com/x/v2".into(),
            old: None,
            new: None,
            message: String::new(),
        })
        .collect();
    let n = changes.len();
    let (kept, accepted, unused) = a.split(changes);
    assert_eq!(kept.len() + accepted.len(), n);
    assert!(unused.len() <= a.entries.len());
});
