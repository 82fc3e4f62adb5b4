//! Policy: load rules, evaluate them over a [`Report`], produce verdicts.
//!
//! Pure functions only: the facts come in, a [`FileVerdict`] goes out.
//! `docs/rules.md` documents every rule, `docs/policy-schema.md` the file.
//!
//! Fail closed: a rule whose fact cannot be established is a failure whose
//! message says what is unknown and why, unless the ruleset lists the rule
//! id in `allow_unknown` (then its status is `unknown_allowed`).
//!
//! Call order for `check`: [`Policy::build`] (file and/or [`FlagRules`]),
//! then per target [`evaluate`] (or [`FileVerdict::unreadable`] when the
//! target could not be read), then [`exit_code`] and a `render::*` function.

mod abi;
mod build;
pub mod contract;
mod digest;
mod go_version;
mod load;
mod loadable;
mod platform;
pub mod rules;
mod symbols;
pub mod verdict;

use thiserror::Error;

pub use abi::{IsaLevel, Property};
pub use build::{ModulePattern, SettingPattern};
pub use contract::{Baseline, ContractInputs, FileInput};
pub use digest::Sha256;
pub use go_version::VersionRule;
pub(crate) use load::yaml_message;
pub use load::{FLAGS_RULESET, FlagRules, MAX_POLICY_BYTES, PathGlobs, Policy, Ruleset};
pub use platform::{ArchSpec, GlibcVersion};
pub use rules::{RULES, RuleId, RuleInfo};
pub use symbols::{SymbolMatcher, SymbolPattern};
pub use verdict::{FileStatus, FileVerdict, Finding, Status, Summary, Verdicts, exit_code};

use crate::facts::{Report, SymbolTable};

/// A policy that cannot be used; the CLI exits 2.
#[derive(Debug, Error)]
pub enum PolicyError {
    /// Bad YAML, an unknown key, or a bad value, at a position in the file.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
    /// A problem with the policy as a whole, without a position.
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: policy is {size} bytes, more than the {limit}-byte limit")]
    TooLarge {
        file: String,
        size: usize,
        limit: usize,
    },
    /// A quick rule flag with a bad value.
    #[error("{flag} {value:?}: {message}")]
    Flag {
        flag: String,
        value: String,
        message: String,
    },
    #[error(
        "no rules to check: give --policy or a rule flag (--min-version, --require-symbol, ...)"
    )]
    NoRules,
}

/// A rule's result before `allow_unknown` is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pass(String),
    Fail(String),
    /// The fact could not be established; the message says what and why.
    Unknown(String),
}

/// Names from files in messages: one escaping rule for every output.
pub(crate) use crate::input::escape_bytes;

/// Collects one ruleset's findings.
struct Collector<'a> {
    ruleset: &'a Ruleset,
    findings: Vec<Finding>,
}

impl Collector<'_> {
    fn push(&mut self, id: RuleId, subject: Option<&str>, outcome: Outcome) {
        let (status, message) = match outcome {
            Outcome::Pass(m) => (Status::Pass, m),
            Outcome::Fail(m) => (Status::Fail, m),
            Outcome::Unknown(m) if self.ruleset.allow_unknown.contains(&id) => {
                (Status::UnknownAllowed, m)
            }
            Outcome::Unknown(m) => (
                Status::Fail,
                format!("{m} (unknown fails closed; allow_unknown: [{id}] would accept it)"),
            ),
        };
        self.findings.push(Finding {
            rule_id: id,
            ruleset: Some(self.ruleset.name.clone()),
            subject: subject.map(str::to_owned),
            status,
            message,
        });
    }
}

/// The `file.readable` finding: the file parsed as ELF and every structure
/// could be read. Corrupt structures fail it too (as `inspect` exits 3 on
/// them): a gate does not vouch for a file it could only partly read.
fn readable(report: &Report) -> Finding {
    let (status, message) = match (&report.elf, report.errors.is_empty()) {
        (None, _) => (
            Status::Fail,
            if report.errors.is_empty() {
                format!("{} is not an ELF file", report.path)
            } else {
                // The errors already name the file.
                format!("could not be read: {}", report.errors.join("; "))
            },
        ),
        (Some(_), false) => (
            Status::Fail,
            format!(
                "{} has structures that could not be read: {}",
                report.path,
                report.errors.join("; ")
            ),
        ),
        (Some(e), true) => (
            Status::Pass,
            format!(
                "{} {}-endian {} {}",
                e.class, e.endian, e.machine, e.elf_type
            ),
        ),
    };
    Finding {
        rule_id: RuleId::FileReadable,
        ruleset: None,
        subject: None,
        status,
        message,
    }
}

/// Evaluates every ruleset whose `paths` match the report's path.
///
/// `host_goarch` is the GOARCH of the machine elfgate runs on, for
/// `arch: [host]`; `None` makes such a rule unknown. A file no ruleset
/// matches gets only `file.readable` and a note; if that is true of every
/// target, [`exit_code`] returns 2 (nothing was checked).
pub fn evaluate(report: &Report, policy: &Policy, host_goarch: Option<&str>) -> FileVerdict {
    evaluate_with(report, policy, host_goarch, &ContractInputs::default())
}

/// [`evaluate`], with what the contract rules (`contract.baseline`,
/// `go.plugin`) read beside the report.
pub fn evaluate_with(
    report: &Report,
    policy: &Policy,
    host_goarch: Option<&str>,
    inputs: &ContractInputs,
) -> FileVerdict {
    let path = report.path.clone();
    let mut findings = vec![readable(report)];
    if report.elf.is_none() {
        return FileVerdict::new(path, Vec::new(), Vec::new(), findings);
    }
    let applies: Vec<bool> = policy
        .rulesets
        .iter()
        .map(|rs| rs.applies_to(&report.path))
        .collect();
    let mut notes = Vec::new();
    if !applies.contains(&true) {
        notes.push(format!("no ruleset matches {path}"));
    }

    // Inspect answered every symbol pattern of the policy in one pass over
    // each table (`Policy::symbol_query`); rulesets read their share.
    let search = report.symbol_search.as_ref();
    let tables = search.map(|s| s.present.as_slice());
    let hits = search.map(|s| s.hits.as_slice());

    let mut matched = Vec::new();
    for ((rs, on), base) in policy
        .rulesets
        .iter()
        .zip(&applies)
        .zip(&policy.symbol_base)
    {
        if !*on {
            continue;
        }
        matched.push(rs.name.clone());
        let mut c = Collector {
            ruleset: rs,
            findings: Vec::new(),
        };
        check_ruleset(&mut c, report, host_goarch, tables, hits, *base, inputs);
        findings.append(&mut c.findings);
    }
    FileVerdict::new(path, matched, notes, findings)
}

fn check_ruleset(
    c: &mut Collector<'_>,
    report: &Report,
    host: Option<&str>,
    tables: Option<&[SymbolTable]>,
    hits: Option<&[symbols::Hit]>,
    base: usize,
    inputs: &ContractInputs,
) {
    let rs = c.ruleset;
    let path = report.path.as_str();
    for rule in &rs.go_version {
        let o = go_version::check(rule, report, rs.trust_inferred_version);
        c.push(RuleId::GoVersion, Some(&rule.text), o);
    }
    let hit = |i: usize| {
        base.checked_add(i)
            .and_then(|at| hits.and_then(|h| h.get(at)))
    };
    for (i, p) in rs.require_symbols.iter().enumerate() {
        let o = symbols::check_required(p, tables, hit(i), path);
        c.push(RuleId::SymbolsRequired, Some(&p.text), o);
    }
    let n_req = rs.require_symbols.len();
    for (i, p) in rs.forbid_symbols.iter().enumerate() {
        let o = symbols::check_forbidden(p, tables, hit(n_req.saturating_add(i)), path);
        c.push(RuleId::SymbolsForbidden, Some(&p.text), o);
    }
    for p in &rs.require_settings {
        let o = build::check_setting_required(p, report);
        c.push(RuleId::BuildSettingRequired, Some(&p.text), o);
    }
    for p in &rs.forbid_settings {
        let o = build::check_setting_forbidden(p, report);
        c.push(RuleId::BuildSettingForbidden, Some(&p.text), o);
    }
    if let Some(allowed) = &rs.buildmode {
        let o = build::check_buildmode(allowed, report);
        c.push(RuleId::BuildBuildmode, None, o);
    }
    for e in &rs.require_experiments {
        let o = build::check_experiment_required(e, report);
        c.push(RuleId::GoExperimentRequired, Some(e), o);
    }
    for e in &rs.forbid_experiments {
        let o = build::check_experiment_forbidden(e, report);
        c.push(RuleId::GoExperimentForbidden, Some(e), o);
    }
    if rs.require_fips {
        c.push(RuleId::GoFips, None, build::check_fips(report));
    }
    for p in &rs.require_modules {
        let o = build::check_module_required(p, report);
        c.push(RuleId::GoModuleRequired, Some(&p.text), o);
    }
    for p in &rs.forbid_modules {
        let o = build::check_module_forbidden(p, report);
        c.push(RuleId::GoModuleForbidden, Some(&p.text), o);
    }
    for p in &rs.require_properties {
        let o = abi::check_property(*p, report);
        c.push(RuleId::AbiProperty, Some(p.as_str()), o);
    }
    if let Some(max) = rs.max_isa {
        let o = abi::check_max_isa(max, report);
        c.push(RuleId::AbiMaxIsa, Some(&max.to_string()), o);
    }
    if let Some(allowed) = &rs.arch {
        let o = platform::check_arch(allowed, report, host);
        c.push(RuleId::ElfArch, None, o);
    }
    if let Some(max) = &rs.max_glibc {
        let o = platform::check_glibc(max, report);
        c.push(RuleId::ElfGlibc, Some(&max.to_string()), o);
    }
    if !rs.sha256.is_empty() {
        let o = digest::check_sha256(&rs.sha256, report);
        c.push(RuleId::FileSha256, None, o);
    }
    if rs.loadable {
        for id in [
            RuleId::LoadInterpreter,
            RuleId::LoadLibrary,
            RuleId::LoadVersion,
            RuleId::LoadSymbol,
            RuleId::NodeCpu,
        ] {
            for (subject, o) in loadable::check(id, report) {
                c.push(id, subject.as_deref(), o);
            }
        }
    }
    if let Some(b) = &rs.baseline {
        let o = contract::check_baseline(b, report, inputs);
        c.push(RuleId::ContractBaseline, Some(b), o);
    }
    if let Some(h) = &rs.plugin_host {
        let o = contract::check_plugin(h, report, inputs);
        c.push(RuleId::GoPlugin, Some(h), o);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::facts::{ElfFacts, GoFacts, VersionSource};
    use std::collections::BTreeSet;

    pub(crate) fn is_pass(o: &Outcome) -> bool {
        matches!(o, Outcome::Pass(_))
    }
    pub(crate) fn is_fail(o: &Outcome) -> bool {
        matches!(o, Outcome::Fail(_))
    }
    pub(crate) fn is_unknown(o: &Outcome) -> bool {
        matches!(o, Outcome::Unknown(_))
    }

    /// A Go report with a version; `semver` empty means none.
    pub(crate) fn go_report(
        version: &str,
        semver: &str,
        exact: bool,
        source: Option<VersionSource>,
    ) -> Report {
        Report {
            path: "bin/app".into(),
            go: Some(GoFacts {
                version: (!version.is_empty()).then(|| version.to_owned()),
                semver: (!semver.is_empty()).then(|| semver.to_owned()),
                exact,
                version_source: source,
                compiler: Some("gc".into()),
                ..GoFacts::default()
            }),
            ..Report::default()
        }
    }

    fn elf_x86() -> ElfFacts {
        ElfFacts {
            class: "ELF64".into(),
            endian: "little".into(),
            machine: "x86_64".into(),
            machine_code: 62,
            goarch: Some("amd64".into()),
            elf_type: "EXEC".into(),
            linking: "static".into(),
            ..ElfFacts::default()
        }
    }

    const EVERY_RULE: &str = r#"
version: 1
rulesets:
  - name: all
    paths: ["/app/**"]
    min_version: go1.22.0
    require_symbols: ["runtime.mallocgc"]
    forbid_symbols: ["*boring*"]
    require_settings: ["CGO_ENABLED=0"]
    forbid_settings: ["-race=true"]
    buildmode: [pie]
    require_experiments: [boringcrypto]
    forbid_experiments: [fieldtrack]
    require_fips: true
    require_modules: ["golang.org/x/net>=v0.17.0"]
    forbid_modules: ["github.com/bad/*"]
    require_properties: [ibt]
    max_isa: x86-64-v2
    arch: [arm64]
    max_glibc: "2.17"
    sha256: ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
    loadable: true
    baseline: contract.json
    plugin_host: /app/host
"#;

    /// Every registered rule can be produced by evaluation, and evaluation
    /// produces no id outside the registry.
    #[test]
    fn every_rule_id_is_used_and_registered() {
        let policy = Policy::from_yaml("p", EVERY_RULE).unwrap();
        let mut report = go_report("go1.21.0", "1.21.0", true, Some(VersionSource::Buildinfo));
        report.path = "/app/x".into();
        report.elf = Some(elf_x86());
        let verdict = evaluate(&report, &policy, None);
        let used: BTreeSet<RuleId> = verdict.findings.iter().map(|f| f.rule_id).collect();
        let registered: BTreeSet<RuleId> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(used, registered);
        assert_eq!(verdict.status, FileStatus::Fail);
        // Only the rules whose facts this report settles in its favour pass.
        let passed: Vec<RuleId> = verdict
            .policy_findings()
            .filter(|f| f.status != Status::Fail)
            .map(|f| f.rule_id)
            .collect();
        assert_eq!(
            passed,
            vec![RuleId::GoExperimentForbidden, RuleId::ElfGlibc]
        );
    }

    #[test]
    fn unknown_fails_closed_unless_allowed() {
        let text = "version: 1\nrulesets:\n  - name: r\n    min_version: go1.21\n";
        let policy = Policy::from_yaml("p", text).unwrap();
        let report = Report {
            path: "bin/c-tool".into(),
            elf: Some(elf_x86()),
            ..Report::default()
        };
        let v = evaluate(&report, &policy, None);
        let f = v.policy_findings().next().unwrap();
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message
                .contains("cannot determine the Go version of bin/c-tool")
        );
        assert!(f.message.contains("allow_unknown"));
        assert_eq!(exit_code(&Verdicts { files: vec![v] }), 1);

        let allowed = format!("{text}    allow_unknown: [go.version]\n");
        let policy = Policy::from_yaml("p", &allowed).unwrap();
        let v = evaluate(&report, &policy, None);
        assert_eq!(
            v.policy_findings().next().unwrap().status,
            Status::UnknownAllowed
        );
        assert_eq!(v.status, FileStatus::Pass);
        assert_eq!(exit_code(&Verdicts { files: vec![v] }), 0);
    }

    #[test]
    fn unreadable_and_corrupt_targets() {
        let policy =
            Policy::from_yaml("p", "version: 1\nrulesets: [{name: r, arch: [amd64]}]\n").unwrap();
        let not_elf = Report {
            path: "README".into(),
            ..Report::default()
        };
        let v = evaluate(&not_elf, &policy, None);
        assert_eq!(v.status, FileStatus::Unreadable);
        assert_eq!(v.findings.len(), 1);
        let corrupt = Report {
            path: "bin/x".into(),
            elf: Some(elf_x86()),
            errors: vec![".gnu.version_r entry 3 at 0x1a40: vn_next past section end".into()],
            ..Report::default()
        };
        let v2 = evaluate(&corrupt, &policy, None);
        assert_eq!(v2.status, FileStatus::Unreadable);
        assert!(v2.findings[0].message.contains("vn_next"));
        // The other rules still ran, for the record.
        assert_eq!(v2.findings.len(), 2);
        assert_eq!(exit_code(&Verdicts { files: vec![v, v2] }), 3);
    }

    #[test]
    fn unmatched_files_pass_with_a_note_but_nothing_checked_is_exit_2() {
        let policy = Policy::from_yaml(
            "p",
            "version: 1\nrulesets: [{name: r, paths: [\"/app/**\"], arch: [amd64]}]\n",
        )
        .unwrap();
        let other = Report {
            path: "/usr/bin/x".into(),
            elf: Some(elf_x86()),
            ..Report::default()
        };
        let v = evaluate(&other, &policy, None);
        assert_eq!(v.status, FileStatus::Pass);
        assert_eq!(v.notes, vec!["no ruleset matches /usr/bin/x"]);
        assert_eq!(
            exit_code(&Verdicts {
                files: vec![v.clone()]
            }),
            2
        );
        let app = Report {
            path: "/app/x".into(),
            ..other
        };
        let w = evaluate(&app, &policy, None);
        assert_eq!(w.rulesets, vec!["r"]);
        assert_eq!(exit_code(&Verdicts { files: vec![v, w] }), 0);
    }

    #[test]
    fn symbols_of_several_rulesets_in_one_pass() {
        let policy = Policy::build(
            Some((
                "p",
                "version: 1\nrulesets:\n  - {name: a, require_symbols: [runtime.mallocgc]}\n  \
                 - {name: b, paths: [\"/other/**\"], require_symbols: [runtime.mallocgc]}\n  \
                 - {name: c, forbid_symbols: [\"*boring*\"], require_symbols: [main.main]}\n",
            )),
            &FlagRules {
                forbid_symbols: vec!["_cgo_*".into()],
                ..FlagRules::default()
            },
        )
        .unwrap();
        let mut idx = crate::facts::SymbolIndex::default();
        idx.mark_present(SymbolTable::Pclntab);
        for name in ["runtime.mallocgc", "main.main", "_cgo_init"] {
            idx.push(crate::facts::SymbolRef {
                name: name.as_bytes(),
                table: SymbolTable::Pclntab,
                kind: crate::facts::SymbolKind::Func,
                binding: crate::facts::SymbolBinding::Global,
                defined: true,
                size: 0,
                version: None,
                version_hidden: false,
            });
        }
        let report = Report {
            path: "/app/x".into(),
            elf: Some(elf_x86()),
            symbol_search: Some(idx.search(&policy.symbols)),
            ..Report::default()
        };
        let v = evaluate(&report, &policy, None);
        let got: Vec<(String, RuleId, Status)> = v
            .policy_findings()
            .map(|f| (f.ruleset.clone().unwrap(), f.rule_id, f.status))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a".into(), RuleId::SymbolsRequired, Status::Pass),
                ("c".into(), RuleId::SymbolsRequired, Status::Pass),
                ("c".into(), RuleId::SymbolsForbidden, Status::Pass),
                (FLAGS_RULESET.into(), RuleId::SymbolsForbidden, Status::Fail),
            ]
        );
        assert!(
            v.findings
                .last()
                .unwrap()
                .message
                .contains("_cgo_init (pclntab)")
        );
    }

    #[test]
    fn host_arch_is_passed_in() {
        let policy = Policy::from_flags(&FlagRules {
            arch: vec!["host".into()],
            ..FlagRules::default()
        })
        .unwrap();
        let report = Report {
            path: "x".into(),
            elf: Some(elf_x86()),
            ..Report::default()
        };
        assert_eq!(
            evaluate(&report, &policy, Some("amd64")).status,
            FileStatus::Pass
        );
        assert_eq!(
            evaluate(&report, &policy, Some("arm64")).status,
            FileStatus::Fail
        );
        assert_eq!(evaluate(&report, &policy, None).status, FileStatus::Fail);
    }

    #[test]
    fn escapes() {
        assert_eq!(
            escape_bytes(b"a\\b\n\x01\xff\xc3\xa9"),
            "a\\\\b\\x0a\\x01\\xffé"
        );
    }
}
