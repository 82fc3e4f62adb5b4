//! `contract.baseline` and `go.plugin`: rules over a file and something
//! beside it (a committed snapshot, a plugin host). The other files are
//! read by the CLI (`contract_cmd`) into [`ContractInputs`]; these rules
//! stay pure.

use std::collections::{BTreeMap, HashMap};

use super::Outcome;
use super::rules::RuleId;
use super::verdict::{FileVerdict, Finding, Status};
use super::{Policy, Ruleset};
use crate::contract::diff::diff_files;
use crate::contract::plugin::{GoSide, Verdict, judge};
use crate::contract::{Class, FileContract, Kind};
use crate::facts::Report;

/// A baseline snapshot, its files by path.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Where it was read from, for messages.
    pub source: String,
    pub files: BTreeMap<String, FileContract>,
}

impl Baseline {
    /// The baseline file `key` pairs with: the one of the same path, else
    /// the only one whose path ends with `key`'s components or is a tail of
    /// `key` (a file checked as `lib/x.so` against a snapshot of `lib`, or
    /// the other way round). `None` when there is none, or several.
    pub fn find(&self, key: &str) -> Option<(&str, &FileContract)> {
        if let Some((k, f)) = self.files.get_key_value(key) {
            return Some((k.as_str(), f));
        }
        let tail = |long: &str, short: &str| {
            long.len() > short.len()
                && long.ends_with(short)
                && long.as_bytes().get(long.len() - short.len() - 1) == Some(&b'/')
        };
        let mut hits = self
            .files
            .iter()
            .filter(|(k, _)| tail(k, key) || tail(key, k));
        match (hits.next(), hits.next()) {
            (Some((k, f)), None) => Some((k.as_str(), f)),
            _ => None,
        }
    }
}

/// One checked file's contract, under the key it pairs by.
#[derive(Debug, Clone)]
pub struct FileInput {
    /// Its path relative to its target or `--root` (as `snapshot` names it).
    pub key: String,
    pub contract: Result<(FileContract, GoSide), String>,
}

/// What the contract rules read besides the report, keyed by the text the
/// ruleset gives (`baseline`, `plugin_host`) and by report path.
#[derive(Debug, Clone, Default)]
pub struct ContractInputs {
    pub baselines: HashMap<String, Result<Baseline, String>>,
    pub hosts: HashMap<String, Result<GoSide, String>>,
    pub files: HashMap<String, FileInput>,
}

impl Policy {
    /// Whether any ruleset compares files with something beside them.
    pub fn needs_contracts(&self) -> bool {
        self.rulesets
            .iter()
            .any(|r| r.baseline.is_some() || r.plugin_host.is_some())
    }
}

impl Ruleset {
    /// Whether this ruleset needs the contract of a file it applies to.
    pub fn needs_contract(&self) -> bool {
        self.baseline.is_some() || self.plugin_host.is_some()
    }
}

/// At most this many changes are named in one finding's message.
const NAMED: usize = 20;

pub(crate) fn check_baseline(baseline: &str, report: &Report, inputs: &ContractInputs) -> Outcome {
    let b = match inputs.baselines.get(baseline) {
        Some(Ok(b)) => b,
        Some(Err(e)) => return Outcome::Unknown(format!("cannot read baseline {baseline}: {e}")),
        None => {
            return Outcome::Unknown(format!("baseline {baseline} was not loaded"));
        }
    };
    let Some(f) = inputs.files.get(&report.path) else {
        return Outcome::Unknown(format!("the contract of {} was not read", report.path));
    };
    let (contract, _) = match &f.contract {
        Ok(c) => c,
        Err(e) => {
            return Outcome::Unknown(format!("cannot read the contract of {}: {e}", report.path));
        }
    };
    let Some((key, old)) = b.find(&f.key) else {
        return Outcome::Pass(format!(
            "{} is not in baseline {} (as {}): a new file",
            report.path, b.source, f.key
        ));
    };
    let changes = diff_files(key, old, contract);
    let breaking: Vec<String> = changes
        .iter()
        .filter(|c| c.class == Class::Breaking)
        .map(|c| format!("{} {}: {}", c.kind, c.subject, c.message))
        .collect();
    let count = |class: Class| changes.iter().filter(|c| c.class == class).count();
    if breaking.is_empty() {
        return Outcome::Pass(format!(
            "no breaking change against {} ({}: {} compatible, {} info)",
            b.source,
            key,
            count(Class::Compatible),
            count(Class::Info)
        ));
    }
    let more = breaking.len().saturating_sub(NAMED);
    let mut named: Vec<String> = breaking.iter().take(NAMED).cloned().collect();
    if more > 0 {
        named.push(format!("and {more} more"));
    }
    Outcome::Fail(format!(
        "{} breaking changes against {} ({}): {}",
        breaking.len(),
        b.source,
        key,
        named.join("; ")
    ))
}

pub(crate) fn check_plugin(host: &str, report: &Report, inputs: &ContractInputs) -> Outcome {
    // A walk of the host's own directory meets the host: it is no plugin.
    let clean = |p: &str| {
        p.split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect::<Vec<_>>()
            .join("/")
    };
    if clean(host) == clean(&report.path) {
        return Outcome::Pass(format!("{} is the plugin host itself", report.path));
    }
    let h = match inputs.hosts.get(host) {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Outcome::Unknown(format!("cannot read plugin host {host}: {e}")),
        None => return Outcome::Unknown(format!("plugin host {host} was not read")),
    };
    let m = match inputs.files.get(&report.path).map(|f| &f.contract) {
        Some(Ok((_, side))) => side,
        Some(Err(e)) => {
            return Outcome::Unknown(format!("cannot read {}: {e}", report.path));
        }
        None => return Outcome::Unknown(format!("{} was not read", report.path)),
    };
    match judge(h, m) {
        Verdict::Loads(s) => Outcome::Pass(s),
        Verdict::Fails(s) => Outcome::Fail(s),
        Verdict::Unknown(s) => Outcome::Unknown(s),
    }
}

/// Files of each baseline that no checked file paired with: each fails
/// `contract.baseline` as `file.removed`, under the path it would have
/// had. Only rulesets whose targets were walked (a directory or a glob)
/// expect every file of their baseline; `shown` maps a key to that path,
/// `None` when no such target was given.
pub fn missing_files(
    policy: &Policy,
    inputs: &ContractInputs,
    shown: &dyn Fn(&str) -> Option<String>,
) -> Vec<FileVerdict> {
    let mut out: BTreeMap<String, FileVerdict> = BTreeMap::new();
    for rs in &policy.rulesets {
        let Some(source) = &rs.baseline else { continue };
        let Some(Ok(b)) = inputs.baselines.get(source) else {
            continue;
        };
        let paired: std::collections::HashSet<&str> = inputs
            .files
            .values()
            .filter_map(|f| b.find(&f.key).map(|(k, _)| k))
            .collect();
        for key in b.files.keys() {
            if paired.contains(key.as_str()) {
                continue;
            }
            let Some(path) = shown(key) else { continue };
            if !rs.applies_to(&path) {
                continue;
            }
            let finding = Finding {
                rule_id: RuleId::ContractBaseline,
                ruleset: Some(rs.name.clone()),
                subject: Some(source.clone()),
                status: Status::Fail,
                message: format!(
                    "{}: {key} is in baseline {} but was not found",
                    Kind::FileRemoved,
                    b.source
                ),
            };
            let v = out.entry(path.clone()).or_insert_with(|| {
                FileVerdict::new(path.clone(), Vec::new(), Vec::new(), Vec::new())
            });
            if !v.rulesets.contains(&rs.name) {
                v.rulesets.push(rs.name.clone());
            }
            v.findings.push(finding);
        }
    }
    out.into_values()
        .map(|v| FileVerdict::new(v.path, v.rulesets, v.notes, v.findings))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_keys_pair_whole_or_by_tail() {
        let mut b = Baseline::default();
        for k in ["lib/x.so", "usr/lib/y.so", "a/z.so", "b/z.so", "bin/app"] {
            b.files.insert(k.into(), FileContract::default());
        }
        let found = |k: &str| b.find(k).map(|(k, _)| k.to_string());
        assert_eq!(found("lib/x.so").as_deref(), Some("lib/x.so"));
        assert_eq!(found("x.so").as_deref(), Some("lib/x.so"));
        assert_eq!(found("image/lib/x.so").as_deref(), Some("lib/x.so"));
        assert_eq!(found("lib/y.so").as_deref(), Some("usr/lib/y.so"));
        assert_eq!(found("z.so"), None, "two candidates");
        assert_eq!(found("pp"), None, "no component boundary");
        assert_eq!(found("ib/x.so"), None);
    }
}
