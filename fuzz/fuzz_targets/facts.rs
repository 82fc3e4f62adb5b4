//! The whole-file reader, then everything downstream of it: both inspect
//! renderings, and a policy with one rule of every family evaluated and
//! rendered in every check format. Seeds: the ELF files in `testdata/bin`.
#![no_main]

use std::sync::LazyLock;

use elfgate::inspect::{Options, inspect_data};
use elfgate::policy::{self, Policy, Verdicts};
use elfgate::render::{self, ToolInfo};
use libfuzzer_sys::fuzz_target;

/// Every rule family, so that every fact a damaged file can produce is
/// looked at by some rule.
const POLICY: &str = r#"
version: 1
rulesets:
  - name: all
    go_version: ">=1.21.0, <2"
    require_symbols:
      - runtime.main
      - "crypto/tls.(*Conn).*"
      - memcpy@GLIBC_*
      - name: x_cgo_init
        table: any
        type: func
        defined: true
    forbid_symbols: ["*boring*", "main.F\\[...\\]"]
    require_settings: ["CGO_ENABLED=0", "-trimpath"]
    forbid_settings: ["vcs.modified=true"]
    buildmode: [exe, pie]
    require_experiments: [boringcrypto]
    forbid_experiments: [arenas]
    require_fips: true
    require_modules: ["golang.org/x/net>=v0.17.0"]
    forbid_modules: ["github.com/bad/*"]
    require_properties: [ibt, shstk, bti, pac, gcs]
    max_isa: x86-64-v2
    arch: [amd64, arm64, host]
    max_glibc: "2.31"
    allow_unknown: [abi.max_isa]
"#;

static POLICY_PARSED: LazyLock<Policy> =
    LazyLock::new(|| Policy::from_yaml("fuzz.yaml", POLICY).expect("the fixed policy is valid"));

fuzz_target!(|data: &[u8]| {
    let opts = Options {
        digest: false,
        symbols: POLICY_PARSED.symbol_query(),
    };
    let Ok(report) = inspect_data("fuzz", data, &opts) else {
        return;
    };
    let reports = std::slice::from_ref(&report);
    let _ = render::inspect::text(reports);
    let _ = render::inspect::json(reports.to_vec());
    let verdicts = Verdicts {
        files: vec![policy::evaluate(&report, &POLICY_PARSED, Some("amd64"))],
    };
    let _ = policy::exit_code(&verdicts);
    let tool = ToolInfo::default();
    let _ = render::text::render(&verdicts);
    let _ = render::json::render(&verdicts, &tool);
    let _ = render::sarif::render(&verdicts, &tool);
    let _ = render::junit::render(&verdicts);
    let _ = render::termination::render(&verdicts);
});
