//! What elfgate reads from an interpreter's bytes: glibc's system
//! directory list (`load::ldso::system_dirs`, both classes and byte
//! orders), `$LIB` and the release. Byte 0 picks the class and byte
//! order. Seeds: the host's `ld.so`, and small lists built like glibc's.
#![no_main]

use elfgate::load::ldso;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, bytes)) = data.split_first() else {
        return;
    };
    let dirs = ldso::system_dirs(bytes, sel & 1 == 0, sel & 2 != 0);
    if let Some(d) = &dirs {
        assert!(!d.is_empty() && d.len() <= 64);
        for dir in d {
            assert!(dir.starts_with(b"/") && dir.ends_with(b"/"));
        }
    }
    let _ = ldso::dst_lib(bytes, dirs.as_deref().unwrap_or_default());
    let _ = ldso::glibc_version(bytes);
});
