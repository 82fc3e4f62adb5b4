//! `go.version`: the Go toolchain version against a requirement.
//!
//! Versions are compared in their semver form (`go.semver`), which orders
//! like Go (`1.21 < 1.21rc1 < 1.21.0`; shared/reference/elf-go-formats.md §4).
//! Requirements accept Go spellings (`go1.22`, `1.21rc1`). A comparator is a
//! plain interval under semver precedence: no semver "prerelease opt-in", so
//! `>=1.21.0` admits go1.22rc1, as Go's own ordering does.
//!
//! Exactness: a version from build info, `runtime.buildVersion` or DWARF
//! decides the rule. An inferred version or a pclntab range decides it only
//! with `trust_inferred_version`; without it the version is unknown, except
//! that a range lying wholly outside the requirement fails either way (no
//! version the file could have been built with satisfies it).

use std::cmp::Ordering;

use semver::{Version, VersionReq};
use serde::Deserialize;

use super::Outcome;
use crate::facts::{GoFacts, Report, VersionSource};
use crate::go::version as gover;

/// A Go version requirement as written in the policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct VersionRule {
    /// As shown in findings: `>=1.21.0, <1.26`, or `>=go1.22.0` for `min_version`.
    pub text: String,
    pub req: VersionReq,
}

impl VersionRule {
    /// `go_version: ">=1.21.0, <1.26"`.
    pub fn requirement(text: &str) -> Result<Self, String> {
        let req = gover::parse_requirement(text)
            .map_err(|e| format!("bad Go version requirement `{text}`: {e}"))?;
        Ok(VersionRule {
            text: text.trim().to_owned(),
            req,
        })
    }

    /// `min_version: go1.22.0`, shorthand for `>=go1.22.0`.
    pub fn minimum(version: &str) -> Result<Self, String> {
        let v = version.trim();
        if v.is_empty() || v.starts_with(['<', '>', '=', '~', '^']) || v.contains(',') {
            return Err(format!(
                "bad minimum Go version `{version}`: give one version such as go1.22.0 \
                 (use go_version for a requirement)"
            ));
        }
        let req = gover::parse_requirement(&format!(">={v}"))
            .map_err(|e| format!("bad minimum Go version `{version}`: {e}"))?;
        Ok(VersionRule {
            text: format!(">={v}"),
            req,
        })
    }
}

impl TryFrom<String> for VersionRule {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        VersionRule::requirement(&s)
    }
}

/// Deserializes `min_version` through [`VersionRule::minimum`].
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct MinVersion(pub VersionRule);

impl TryFrom<String> for MinVersion {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        VersionRule::minimum(&s).map(MinVersion)
    }
}

/// A set of versions under semver precedence (build metadata ignored):
/// the intersection of comparator intervals ([`gover::comparator_bounds`]).
/// Versions are treated as dense, so containment is decided conservatively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interval {
    bounds: gover::Bounds,
    /// Set when a comparator admits nothing (an unknown operator).
    void: bool,
}

impl Interval {
    /// The versions a requirement admits: the intersection of its comparators.
    pub(crate) fn of_req(req: &VersionReq) -> Self {
        let all = Interval {
            bounds: gover::Bounds::default(),
            void: false,
        };
        req.comparators
            .iter()
            .map(|c| match gover::comparator_bounds(c) {
                Some(bounds) => Interval {
                    bounds,
                    void: false,
                },
                None => Interval {
                    void: true,
                    ..all.clone()
                },
            })
            .fold(all.clone(), |a, b| a.intersect(&b))
    }

    fn intersect(&self, other: &Interval) -> Interval {
        let (a, b) = (&self.bounds, &other.bounds);
        Interval {
            bounds: gover::Bounds {
                lower: tighter(&a.lower, &b.lower, |x, y| cmp_lower(x, y) == Ordering::Less),
                upper: tighter(&a.upper, &b.upper, |x, y| {
                    cmp_upper(x, y) == Ordering::Greater
                }),
            },
            void: self.void || other.void,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        if self.void {
            return true;
        }
        match (&self.bounds.lower, &self.bounds.upper) {
            (Some((l, li)), Some((h, hi))) => match l.cmp_precedence(h) {
                Ordering::Greater => true,
                Ordering::Equal => !(*li && *hi),
                Ordering::Less => false,
            },
            _ => false,
        }
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, v: &Version) -> bool {
        !self.void && self.bounds.contains(v)
    }

    /// Every version in `self` is in `other`.
    pub(crate) fn subset_of(&self, other: &Interval) -> bool {
        if self.is_empty() {
            return true;
        }
        if other.void {
            return false;
        }
        let lo_ok = match (&other.bounds.lower, &self.bounds.lower) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(o), Some(s)) => cmp_lower(o, s) != Ordering::Greater,
        };
        let hi_ok = match (&self.bounds.upper, &other.bounds.upper) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(s), Some(o)) => cmp_upper(s, o) != Ordering::Greater,
        };
        lo_ok && hi_ok
    }

    /// No version is in both.
    pub(crate) fn disjoint(&self, other: &Interval) -> bool {
        self.intersect(other).is_empty()
    }
}

/// Of two ends, the one that admits less; `looser(x, y)` says `x` admits more.
fn tighter(
    a: &Option<(Version, bool)>,
    b: &Option<(Version, bool)>,
    looser: impl Fn(&(Version, bool), &(Version, bool)) -> bool,
) -> Option<(Version, bool)> {
    match (a, b) {
        (None, b) => b.clone(),
        (a, None) => a.clone(),
        (Some(x), Some(y)) => Some(if looser(x, y) { y.clone() } else { x.clone() }),
    }
}

/// Orders lower bounds: at the same version an inclusive bound is lower.
fn cmp_lower(a: &(Version, bool), b: &(Version, bool)) -> Ordering {
    a.0.cmp_precedence(&b.0).then_with(|| b.1.cmp(&a.1))
}

/// Orders upper bounds: at the same version an exclusive bound is lower.
fn cmp_upper(a: &(Version, bool), b: &(Version, bool)) -> Ordering {
    a.0.cmp_precedence(&b.0).then_with(|| a.1.cmp(&b.1))
}

fn source_name(s: Option<VersionSource>) -> &'static str {
    match s {
        Some(VersionSource::Buildinfo) => "build info",
        Some(VersionSource::Symbol) => "runtime.buildVersion",
        Some(VersionSource::Dwarf) => "the DWARF producer",
        Some(VersionSource::GccgoRelease) => "the gccgo release (inferred)",
        Some(VersionSource::Pclntab) => "the pclntab format (inferred)",
        Some(VersionSource::StringScan) => "a version string in read-only data (inferred)",
        None => "an unnamed source",
    }
}

/// What the facts say about the version, for "cannot determine" messages.
fn evidence(go: &GoFacts) -> String {
    let mut parts = Vec::new();
    if go.buildinfo_format.is_none() {
        parts.push("no build info".to_owned());
    }
    match (&go.version, go.exact) {
        (Some(v), true) => parts.push(format!("the toolchain recorded `{v}`")),
        (Some(v), false) => parts.push(format!(
            "`{v}` was inferred from {}",
            source_name(go.version_source)
        )),
        (None, _) => parts.push("no runtime.buildVersion".to_owned()),
    }
    if let Some(r) = &go.range {
        parts.push(format!("pclntab says only {r}"));
    }
    parts.join(", ")
}

/// Evaluates one requirement against a file.
pub(crate) fn check(rule: &VersionRule, report: &Report, trust_inferred: bool) -> Outcome {
    let path = &report.path;
    let want = Interval::of_req(&rule.req);
    let Some(go) = &report.go else {
        return Outcome::Unknown(format!(
            "cannot determine the Go version of {path}: nothing in the file says it was built by \
             a Go toolchain (no build info, no runtime.buildVersion, no Go DWARF, no pclntab)"
        ));
    };
    let version = go.version.as_deref().unwrap_or("?");
    let parsed = go.semver.as_deref().and_then(|s| Version::parse(s).ok());
    let range = go
        .range
        .as_deref()
        .and_then(|r| gover::parse_requirement(r).ok())
        .map(|r| Interval::of_req(&r));
    let decide = |v: &Version, how: &str| {
        if gover::satisfies(v, &rule.req) {
            Outcome::Pass(format!("{version} ({how}) satisfies {}", rule.text))
        } else {
            Outcome::Fail(format!("{version} ({how}) does not satisfy {}", rule.text))
        }
    };
    if go.exact {
        return match &parsed {
            Some(v) => decide(v, &format!("from {}", source_name(go.version_source))),
            None => Outcome::Unknown(format!(
                "cannot determine the Go version of {path}: {}, which is not a Go release version",
                evidence(go)
            )),
        };
    }
    let range_text = go.range.as_deref().unwrap_or("");
    if let Some(r) = &range
        && !r.is_empty()
        && r.disjoint(&want)
    {
        return Outcome::Fail(format!(
            "no version in the range the pclntab format allows ({range_text}) satisfies {}",
            rule.text
        ));
    }
    if !trust_inferred {
        return Outcome::Unknown(format!(
            "cannot establish the Go version of {path}: {}; inferred versions count only with \
             trust_inferred_version: true",
            evidence(go)
        ));
    }
    if let Some(v) = &parsed {
        return decide(
            v,
            &format!("from {}, trusted", source_name(go.version_source)),
        );
    }
    match &range {
        Some(r) if !r.is_empty() && r.subset_of(&want) => Outcome::Pass(format!(
            "every version in the pclntab range {range_text} satisfies {}",
            rule.text
        )),
        Some(r) if !r.is_empty() => Outcome::Unknown(format!(
            "cannot determine the Go version of {path}: pclntab says only {range_text}, and only \
             part of that range satisfies {}",
            rule.text
        )),
        _ => Outcome::Unknown(format!(
            "cannot determine the Go version of {path}: {}",
            evidence(go)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::tests::{go_report, is_fail, is_pass, is_unknown};

    fn rule(s: &str) -> VersionRule {
        VersionRule::requirement(s).unwrap()
    }

    fn iv(s: &str) -> Interval {
        Interval::of_req(&gover::parse_requirement(s).unwrap())
    }

    #[test]
    fn exact_version_decides() {
        let r = go_report("go1.22.3", "1.22.3", true, Some(VersionSource::Buildinfo));
        assert!(is_pass(&check(&rule(">=1.22.0"), &r, false)));
        assert!(is_fail(&check(&rule(">=1.23"), &r, false)));
        assert!(is_pass(&check(
            &VersionRule::minimum("go1.22.0").unwrap(),
            &r,
            false
        )));
        assert!(is_fail(&check(&rule(">=1.21.0, <1.22"), &r, false)));
    }

    #[test]
    fn exact_but_unparseable_is_unknown() {
        let mut r = go_report("unknown", "", true, Some(VersionSource::Symbol));
        r.go.as_mut().unwrap().semver = None;
        let o = check(&rule(">=1.21"), &r, true);
        assert!(is_unknown(&o), "{o:?}");
        assert!(format!("{o:?}").contains("`unknown`"));
    }

    #[test]
    fn not_go_is_unknown() {
        let r = Report {
            path: "bin/x".into(),
            ..Report::default()
        };
        let o = check(&rule(">=1.21"), &r, true);
        assert!(is_unknown(&o));
        assert!(format!("{o:?}").contains("cannot determine the Go version of bin/x"));
    }

    #[test]
    fn inferred_needs_trust() {
        let r = go_report("go1.22.3", "1.22.3", false, Some(VersionSource::StringScan));
        let o = check(&rule(">=1.21"), &r, false);
        assert!(is_unknown(&o), "{o:?}");
        assert!(format!("{o:?}").contains("trust_inferred_version"));
        assert!(is_pass(&check(&rule(">=1.21"), &r, true)));
        assert!(is_fail(&check(&rule(">=1.23"), &r, true)));
    }

    #[test]
    fn range_must_be_wholly_inside() {
        let mut r = go_report("", "", false, Some(VersionSource::Pclntab));
        {
            let go = r.go.as_mut().unwrap();
            go.version = None;
            go.semver = None;
            go.range = Some(">=1.18, <1.20".into());
        }
        assert!(is_pass(&check(&rule(">=1.18.0"), &r, true)));
        assert!(is_pass(&check(&rule(">=1.16, <1.21"), &r, true)));
        let o = check(&rule(">=1.19"), &r, true);
        assert!(is_unknown(&o), "{o:?}");
        // Wholly outside: fails even without trust.
        assert!(is_fail(&check(&rule(">=1.21"), &r, false)));
        // Partly inside, untrusted: unknown.
        assert!(is_unknown(&check(&rule(">=1.18"), &r, false)));
        r.go.as_mut().unwrap().range = Some(">=1.20".into());
        assert!(is_unknown(&check(&rule(">=1.22"), &r, true)));
        assert!(is_pass(&check(&rule(">=1.20"), &r, true)));
        assert!(is_fail(&check(&rule("<1.20"), &r, true)));
    }

    #[test]
    fn interval_algebra() {
        assert!(iv(">=1.18, <1.20").subset_of(&iv(">=1.18.0")));
        assert!(!iv(">=1.18, <1.20").subset_of(&iv(">=1.18.1")));
        assert!(!iv(">=1.20").subset_of(&iv(">=1.20, <1.30")));
        assert!(iv(">=1.20, <1.21").disjoint(&iv(">=1.21")));
        assert!(iv("<1.21").disjoint(&iv(">=1.21")));
        assert!(!iv("<=1.21.0").disjoint(&iv(">=1.21.0")));
        assert!(iv(">1.21.0, <1.21.0").is_empty());
        assert!(!iv("=1.21.0").is_empty());
        // The containment test agrees with point membership at the edges.
        for (req, v, inside) in [
            (">=1.21, <1.23", "1.21.0-0", true),
            (">=1.21, <1.23", "1.23.0-0", false),
            (">=1.21, <1.23", "1.22.99", true),
            // `1.21` is the language version 1.21.0-0, below every 1.21.x.
            ("<=1.21", "1.21.0-0", true),
            ("<=1.21", "1.21.5", false),
            ("<1.22", "1.21.99", true),
            ("<1.22", "1.22.0-rc.1", false),
            (">1.21", "1.21.9", true),
            (">1.21.9", "1.21.9", false),
            (">1.21", "1.22.0-rc.1", true),
            ("~1.21.3", "1.21.9", true),
            ("~1.21.3", "1.22.0-0", false),
            ("^1.21.3", "1.99.0", true),
            ("=1.21", "1.21.9", false),
            ("=1.21.9", "1.21.9+build", true),
        ] {
            assert_eq!(
                iv(req).contains(&Version::parse(v).unwrap()),
                inside,
                "{v} in {req}"
            );
        }
    }

    #[test]
    fn minimum_rejects_operators() {
        assert!(VersionRule::minimum(">=1.21").is_err());
        assert!(VersionRule::minimum("1.21,1.22").is_err());
        assert!(VersionRule::minimum("banana").is_err());
        assert_eq!(VersionRule::minimum("go1.22.0").unwrap().text, ">=go1.22.0");
    }
}
