//! Go version strings and requirements: `parse`, the orderings, and
//! `parse_requirement`/`min_version`/`satisfies`. Input: two strings split
//! at the first NUL. Checks that both orderings are antisymmetric.
#![no_main]

use elfgate::go::version::{
    compare, compare_strict, is_valid_strict, min_version, parse, parse_requirement, satisfies,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('\0').unwrap_or((text, "go1.21.0"));
    let pa = parse(a);
    let pb = parse(b);
    assert_eq!(pa.release.is_some(), pa.semver.is_some());
    assert_eq!(pb.release.is_some(), pb.semver.is_some());
    assert_eq!(
        compare(a, b),
        compare(b, a).reverse(),
        "compare({a:?}, {b:?})"
    );
    assert_eq!(
        compare_strict(a, b),
        compare_strict(b, a).reverse(),
        "compare_strict({a:?}, {b:?})"
    );
    let _ = is_valid_strict(a);
    for req in [parse_requirement(b), min_version(b)].into_iter().flatten() {
        if let Some(v) = &pa.semver {
            let _ = satisfies(v, &req);
        }
    }
    let _ = parse_requirement(a);
});
