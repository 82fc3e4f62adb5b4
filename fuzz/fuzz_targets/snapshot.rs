//! Contract snapshots: `contract::snapshot::from_json` on any bytes up to
//! the size the CLI reads. A snapshot it accepts must write back to bytes
//! that read back to the same snapshot, diff with itself to nothing, and
//! render its diff against nothing in every format. Seeds: snapshots of
//! fixtures (`elfgate snapshot`) and hostile documents.
#![no_main]

use elfgate::contract::diff::diff_sets;
use elfgate::contract::render::{self, DiffReport};
use elfgate::contract::snapshot::{self, MAX_SNAPSHOT_BYTES};
use elfgate::contract::Class;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_SNAPSHOT_BYTES {
        return;
    }
    let Ok(s) = snapshot::from_json("fuzz.json", data) else {
        return;
    };
    let bytes = snapshot::to_json(&s);
    let back = snapshot::from_json("again.json", &bytes).expect("canonical bytes read back");
    assert_eq!(back, s);
    assert_eq!(snapshot::to_json(&back), bytes);
    assert!(diff_sets(&s.files, &s.files).is_empty());
    let gone = diff_sets(&s.files, &[]);
    assert_eq!(gone.len(), s.files.len());
    let r = DiffReport {
        changes: &gone,
        accepted: &[],
        fail_on: Class::Breaking,
    };
    let _ = (render::text(&r), render::json(&r), render::markdown(&r));
});
