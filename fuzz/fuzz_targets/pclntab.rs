//! pclntab header and function-name table: `parse_header`, every name
//! through `funcs()`, `contains`/`try_contains` for a found name and an
//! absent one. Seeds: `.gopclntab` sections.
#![no_main]

use elfgate::go::pclntab::parse_header;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(tab) = parse_header(data) else {
        return;
    };
    let _ = (
        tab.layout(),
        tab.version_range(),
        tab.ptr_size(),
        tab.min_lc(),
    );
    assert!(tab.nfunc() <= data.len() / 8, "nfunc beyond the table size");
    let mut count = 0usize;
    let mut first = None;
    for name in tab.funcs() {
        count += 1;
        match name {
            Ok(n) => {
                if first.is_none() {
                    first = Some(n);
                }
            }
            Err(_) => break,
        }
    }
    assert!(count <= tab.nfunc(), "funcs() yielded more than nfunc");
    if let Some(n) = first {
        assert!(
            tab.try_contains(n).unwrap_or(true),
            "a yielded name is not contained"
        );
    }
    let _ = tab.contains(b"runtime.main");
    let _ = tab.try_contains(b"\xff no such function");
});
