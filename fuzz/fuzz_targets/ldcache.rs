//! `/etc/ld.so.cache` in any layout: `load::ldcache::Cache::parse`, every
//! entry and its strings, and lookups of names the input itself holds
//! (with several CPUs and loaders). Seeds: the host's cache and caches the
//! real `ldconfig` writes in the old, new and compat layouts.
#![no_main]

use elfgate::load::ldcache::{Cache, Env, accepted_flags};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(cache) = Cache::parse(data.to_vec()) else {
        return;
    };
    // No entry is read past the input. (The count itself may lie in a
    // compat file: glibc does not check the new part's count there.)
    assert!(cache.entry(data.len() / 12).is_none());
    let mut names: Vec<Vec<u8>> = vec![b"libc.so.6".to_vec()];
    for i in 0..cache.len().min(64) {
        let Some(e) = cache.entry(i) else { continue };
        let _ = cache.entry_hwcaps(&e);
        if let Some(k) = cache.string(e.key) {
            names.push(k.to_vec());
        }
        let _ = cache.string(e.value);
    }
    let subdirs = ["x86-64-v4", "x86-64-v3", "x86-64-v2"];
    for (isa, skip) in [(0b1111u32, false), (0b1, true), (0b111, false)] {
        let (flags, default) = accepted_flags(62, true);
        let env = Env {
            accepted_flags: flags,
            default_flags: default,
            isa_1: isa,
            hwcaps_subdirs: &subdirs,
            skip_legacy_hwcaps: skip,
            legacy_hwcap_bits: 2,
            platform_bit: 1 << 48,
        };
        for n in &names {
            if let Some(p) = cache.lookup(n, &env) {
                // A path found is a string of the input.
                assert!(p.len() <= data.len());
            }
        }
    }
});
