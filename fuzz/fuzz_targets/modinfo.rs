//! Module info text: `strip_sentinels`, `parse`, and the round trip the
//! parser promises (it is the inverse of `to_go_string` on what that
//! prints). Seeds: the `go version -m` goldens with their first line and
//! indentation removed.
#![no_main]

use elfgate::go::modinfo::{parse, strip_sentinels};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let inner = strip_sentinels(data);
    for bytes in [Some(data), inner].into_iter().flatten() {
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        let Ok(info) = parse(text) else {
            continue;
        };
        // Go's String() drops what it cannot say (the sum of a replaced
        // module), so parse(print(x)) == x holds only for printed text:
        // the printed form must parse and print back to itself.
        let printed = info.to_go_string();
        let again = parse(&printed)
            .unwrap_or_else(|e| panic!("printed module info does not parse: {e}\n{printed:?}"));
        assert_eq!(
            again.to_go_string(),
            printed,
            "print(parse(print(x))) != print(x)"
        );
        assert_eq!(parse(&again.to_go_string()).ok(), Some(again));
    }
});
