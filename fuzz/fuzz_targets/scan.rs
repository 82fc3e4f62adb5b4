//! The structure-free scans: sentinel-framed module info and the
//! last-resort Go version search, without and with a pclntab range.
//! Seeds: `.rodata` sections (or whole files).
#![no_main]

use elfgate::go::pclntab::Layout;
use elfgate::go::scan::{MAX_MODINFO_LEN, find_sentinel_modinfo, scan_go_version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(text) = find_sentinel_modinfo(data) {
        assert!(!text.is_empty() && text.len() <= MAX_MODINFO_LEN);
        assert_eq!(text.last(), Some(&b'\n'));
    }
    if let Some(v) = scan_go_version(data, None) {
        assert!(v.starts_with("go1."));
    }
    for layout in [Layout::Go12, Layout::Go116, Layout::Go118, Layout::Go120] {
        let _ = scan_go_version(data, Some(layout.version_range()));
    }
});
