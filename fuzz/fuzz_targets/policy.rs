//! Policy documents: `Policy::from_yaml` on any UTF-8 text up to the size
//! the CLI accepts. Seeds: the policies in `ci-examples/` and `manifests/`.
#![no_main]

use elfgate::policy::{MAX_POLICY_BYTES, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_POLICY_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Policy::from_yaml("fuzz.yaml", text) {
        let _ = (p.symbol_query().is_some(), p.needs_digest(), p.needs_host_arch());
        for rs in &p.rulesets {
            let _ = rs.rule_count();
        }
    }
});
