//! musl's path file (`load::ldso::musl_path`) and the path file name of an
//! interpreter (`musl_path_file`). Seeds: path files in the layouts musl
//! reads (colons, newlines, empty elements, a NUL).
#![no_main]

use elfgate::load::ldso;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for dir in ldso::musl_path(data) {
        assert!(!dir.is_empty());
        assert!(!dir.contains(&b':') && !dir.contains(&b'\n') && !dir.contains(&0));
    }
    if let Some(p) = ldso::musl_path_file(data) {
        assert!(p.ends_with(b".path"));
    }
});
