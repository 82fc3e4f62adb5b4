//! The ELF views that index tables: `open`, symbol versions (`versions`,
//! `resolve` for every versym), `symbol_index`, notes, the dynamic section,
//! and the Go build-info location. Seeds: the ELF files in `testdata/bin`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(view) = elfgate::elf::open(data) else {
        return;
    };
    if let Ok(Some(v)) = view.versions() {
        for need in v.needed_versions() {
            for ver in &need.versions {
                let _ = ver.is_weak();
            }
        }
        let _ = (v.max_glibc(), v.max_glibc_weak());
        // versym_count is bounded by the section size, which is bounded by the input.
        for i in 0..v.versym_count() {
            if let Some(s) = v.versym(i) {
                let _ = v.resolve(s);
            }
        }
    }
    if let Ok(index) = view.symbol_index() {
        let _ = index.counts();
        let mut n = 0usize;
        for sym in index.iter() {
            let _ = sym.versioned_name();
            n += 1;
        }
        assert_eq!(n, index.len());
        let _ = index.lookup(b"runtime.main").count();
        let _ = index.with_prefix(b"runtime.").count();
    }
    let _ = view.symbol_counts();
    let notes = view.notes();
    let _ = (
        notes.gnu_build_id_hex(),
        notes.go_build_id(),
        notes.gccgo_build_id(),
    );
    let _ = notes.properties();
    let _ = view.dynamic();
    let _ = (view.interpreter(), view.is_pie(), view.linkage());
    let _ = view.go_buildinfo_location();
});
