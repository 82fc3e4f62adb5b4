//! Verdicts: what `check` decided per file, and the one function that turns
//! them into an exit status.
//!
//! The field names below are the `elfgate.check/v1` JSON contract
//! (`docs/rules.md`); they are snake_case and never renamed.

use serde::Serialize;

use super::rules::RuleId;

/// How one rule came out for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// The fact could not be established and the rule id is in `allow_unknown`.
    UnknownAllowed,
}

/// One rule applied to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule_id: RuleId,
    /// The ruleset the rule came from; `null` for `file.readable`.
    pub ruleset: Option<String>,
    /// The pattern or value checked (`runtime.mallocgc`, `>=1.22.0`), when the
    /// rule takes a list; `null` for single-valued rules.
    pub subject: Option<String>,
    pub status: Status,
    /// What was found, or what could not be established and why.
    pub message: String,
}

/// The outcome for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Pass,
    /// A rule failed.
    Fail,
    /// `file.readable` failed: the file could not be read or parsed.
    Unreadable,
}

/// Everything decided about one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileVerdict {
    pub path: String,
    pub status: FileStatus,
    /// Names of the rulesets whose `paths` matched.
    pub rulesets: Vec<String>,
    /// Remarks that are not rule results, e.g. "no ruleset matches".
    pub notes: Vec<String>,
    pub findings: Vec<Finding>,
    /// With `--image`: the layer that supplied the file; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<crate::facts::LayerRef>,
}

impl FileVerdict {
    /// A verdict from findings; the status follows from them.
    pub fn new(
        path: String,
        rulesets: Vec<String>,
        notes: Vec<String>,
        findings: Vec<Finding>,
    ) -> Self {
        let status = if findings
            .iter()
            .any(|f| f.rule_id == RuleId::FileReadable && f.status == Status::Fail)
        {
            FileStatus::Unreadable
        } else if findings.iter().any(|f| f.status == Status::Fail) {
            FileStatus::Fail
        } else {
            FileStatus::Pass
        };
        FileVerdict {
            path,
            status,
            rulesets,
            notes,
            findings,
            layer: None,
        }
    }

    /// A target that could not be opened or read at all (no report exists).
    pub fn unreadable(path: &str, reason: &str) -> Self {
        FileVerdict::new(
            path.to_owned(),
            Vec::new(),
            Vec::new(),
            vec![Finding {
                rule_id: RuleId::FileReadable,
                ruleset: None,
                subject: None,
                status: Status::Fail,
                message: format!("cannot read {path}: {reason}"),
            }],
        )
    }

    /// Findings other than `file.readable`: rules a policy asked for.
    pub fn policy_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.rule_id != RuleId::FileReadable)
    }
}

/// The verdicts of one `check` run, in target order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verdicts {
    pub files: Vec<FileVerdict>,
}

/// Counts over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    pub passed: usize,
    pub failed: usize,
    pub unreadable: usize,
    /// Findings by status (including `file.readable`).
    pub findings_pass: usize,
    pub findings_fail: usize,
    pub findings_unknown_allowed: usize,
    /// Findings from policy rules (all but `file.readable`), any status.
    pub rules_evaluated: usize,
}

impl Verdicts {
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            files: self.files.len(),
            ..Summary::default()
        };
        for f in &self.files {
            match f.status {
                FileStatus::Pass => s.passed += 1,
                FileStatus::Fail => s.failed += 1,
                FileStatus::Unreadable => s.unreadable += 1,
            }
            for finding in &f.findings {
                match finding.status {
                    Status::Pass => s.findings_pass += 1,
                    Status::Fail => s.findings_fail += 1,
                    Status::UnknownAllowed => s.findings_unknown_allowed += 1,
                }
            }
            s.rules_evaluated += f.policy_findings().count();
        }
        s
    }
}

/// Exit status of a check run:
///
/// - `3` if any target was unreadable (not openable, not ELF, or corrupt);
/// - else `1` if any rule failed (unknown facts count as failures unless allowed);
/// - else `2` if no policy rule was evaluated at all: no targets, or no
///   ruleset matched any target (a usage error: the gate checked nothing);
/// - else `0`: every rule that applied was evaluated and passed.
///
/// Policy and usage errors found before evaluation are also `2`, decided by the CLI.
pub fn exit_code(verdicts: &Verdicts) -> u8 {
    let s = verdicts.summary();
    if s.unreadable > 0 {
        3
    } else if s.failed > 0 || s.findings_fail > 0 {
        1
    } else if s.rules_evaluated == 0 {
        2
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule_id: RuleId, status: Status) -> Finding {
        Finding {
            rule_id,
            ruleset: Some("r".into()),
            subject: None,
            status,
            message: String::new(),
        }
    }

    fn file(findings: Vec<Finding>) -> FileVerdict {
        let mut all = vec![finding(RuleId::FileReadable, Status::Pass)];
        all.extend(findings);
        FileVerdict::new("f".into(), vec!["r".into()], vec![], all)
    }

    #[test]
    fn exit_zero_only_when_rules_ran_and_passed() {
        let ok = file(vec![finding(RuleId::GoVersion, Status::Pass)]);
        assert_eq!(
            exit_code(&Verdicts {
                files: vec![ok.clone()]
            }),
            0
        );
        let allowed = file(vec![finding(RuleId::GoVersion, Status::UnknownAllowed)]);
        assert_eq!(
            exit_code(&Verdicts {
                files: vec![allowed]
            }),
            0
        );
        // Nothing evaluated: no targets, or only file.readable ran.
        assert_eq!(exit_code(&Verdicts::default()), 2);
        assert_eq!(
            exit_code(&Verdicts {
                files: vec![file(vec![])]
            }),
            2
        );
    }

    #[test]
    fn exit_one_on_failure_three_on_unreadable() {
        let ok = file(vec![finding(RuleId::GoVersion, Status::Pass)]);
        let bad = file(vec![finding(RuleId::GoVersion, Status::Fail)]);
        assert_eq!(bad.status, FileStatus::Fail);
        assert_eq!(
            exit_code(&Verdicts {
                files: vec![ok.clone(), bad.clone()]
            }),
            1
        );
        let unreadable = FileVerdict::unreadable("x", "permission denied");
        assert_eq!(unreadable.status, FileStatus::Unreadable);
        assert_eq!(
            exit_code(&Verdicts {
                files: vec![ok, bad, unreadable]
            }),
            3
        );
    }

    #[test]
    fn summary_counts() {
        let v = Verdicts {
            files: vec![
                file(vec![
                    finding(RuleId::GoVersion, Status::Pass),
                    finding(RuleId::GoFips, Status::Fail),
                ]),
                FileVerdict::unreadable("y", "not ELF"),
            ],
        };
        let s = v.summary();
        assert_eq!((s.files, s.passed, s.failed, s.unreadable), (2, 0, 1, 1));
        assert_eq!(
            (s.findings_pass, s.findings_fail, s.rules_evaluated),
            (2, 2, 2)
        );
    }
}
