//! pclntab header and function-name table: `parse_header`, every name
//! through `funcs()`, `contains`/`try_contains` for a found name and an
//! absent one; and the streamed reader (`pclnstream`: name offsets, name
//! blocks, candidates), which must find exactly the names `funcs()` does
//! whenever both read the whole table; and the function lookups, which
//! may only find a name offset some function has. Seeds: `.gopclntab` sections.
#![no_main]

use elfgate::go::pclnstream::{self, NameOffsets};
use elfgate::go::pclntab::{name_layout, parse_header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    streamed(data);
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

/// Every string of a block, as the symbol query's "no literal" mode picks.
fn every(block: &[u8], out: &mut Vec<(usize, usize)>) {
    let mut s = 0;
    for e in (0..block.len()).filter(|&i| block[i] == 0) {
        out.push((s, e));
        s = e + 1;
    }
    if s < block.len() {
        out.push((s, block.len()));
    }
}

fn streamed(data: &[u8]) {
    let Ok(Some(l)) = name_layout(data, data.len() as u64) else {
        return;
    };
    let Ok(NameOffsets::Sorted(offsets)) = pclnstream::name_offsets(&data, 0, &l) else {
        return;
    };
    assert!(offsets.len() as u64 <= l.nfunc, "more offsets than functions");
    assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "offsets not sorted");
    let Ok(found) = pclnstream::candidates(&data, 0, &l, &every) else {
        return;
    };
    // A lookup says "found" only where some function's name starts.
    let mut look = pclnstream::FuncLookup::new(&data, 0, &l, 64);
    for (at, _) in found.strings().take(32) {
        let at = u32::try_from(at).unwrap_or(u32::MAX);
        if look.names_function(at) {
            assert!(offsets.binary_search(&at).is_ok(), "lookup found no function at {at}");
        }
    }
    // A walk that stops at the first record reads no further.
    let mut seen = 0;
    let walk = pclnstream::name_offsets_until(&data, 0, &l, &mut |_| {
        seen += 1;
        true
    });
    if l.nfunc > 0 {
        assert!(matches!(walk, Ok(pclnstream::Walk::Stopped)), "{walk:?}");
        assert_eq!(seen, 1);
    }
    let budget = (l.names.1 - l.names.0).saturating_mul(4).saturating_add(1 << 20);
    let mut streamed = Vec::new();
    if found
        .try_each_function(&offsets, budget, &mut |n| {
            streamed.push(n.to_vec());
            false
        })
        .is_err()
    {
        return;
    }
    // Both readers succeeded: they name the same functions.
    let Ok(tab) = parse_header(data) else { return };
    let Ok(mut whole) = tab.funcs().map(|r| r.map(<[u8]>::to_vec)).collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    streamed.sort();
    whole.sort();
    assert_eq!(streamed, whole, "streamed and whole-table names differ");
}
