//! Go build facts: `build.setting.*`, `build.buildmode`, `go.experiment.*`,
//! `go.fips`, `go.module.*`.
//!
//! Build settings exist from Go 1.18 in module builds, and every such build
//! records at least `-compiler`, `CGO_ENABLED`, `GOARCH` and `GOOS`
//! (`cmd/go/internal/load/pkg.go, setBuildInfo`): an empty list means the
//! settings are unknown, not that none were set.

use std::cmp::Ordering;

use globset::{Candidate, GlobMatcher};
use semver::Version;
use serde::Deserialize;

use super::Outcome;
use super::symbols::name_glob;
use crate::facts::{GoFacts, Module, Report, VersionSource};

/// Exact text or a glob.
#[derive(Debug, Clone)]
enum TextMatch {
    Exact(String),
    Glob(GlobMatcher),
}

impl TextMatch {
    fn new(s: &str) -> Result<Self, String> {
        if s.contains(['*', '?', '[', '{']) {
            Ok(TextMatch::Glob(name_glob(s)?.compile_matcher()))
        } else {
            Ok(TextMatch::Exact(s.to_owned()))
        }
    }

    fn matches(&self, s: &str) -> bool {
        match self {
            TextMatch::Exact(e) => e == s,
            TextMatch::Glob(g) => g.is_match_candidate(&Candidate::from_bytes(s.as_bytes())),
        }
    }
}

/// `KEY=VALUE` (VALUE may be a glob) or `KEY` (any value).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct SettingPattern {
    pub text: String,
    key: String,
    value: Option<TextMatch>,
}

impl SettingPattern {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (key, value) = match text.split_once('=') {
            Some((k, v)) => (k, Some(TextMatch::new(v)?)),
            None => (text, None),
        };
        if key.is_empty() {
            return Err(format!("build setting `{text}`: empty key"));
        }
        Ok(SettingPattern {
            text: text.to_owned(),
            key: key.to_owned(),
            value,
        })
    }

    fn matches(&self, key: &str, value: &str) -> bool {
        key == self.key && self.value.as_ref().is_none_or(|m| m.matches(value))
    }
}

impl TryFrom<String> for SettingPattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        SettingPattern::parse(&s)
    }
}

/// The settings when they are known.
fn settings<'a>(report: &'a Report, what: &str) -> Result<&'a GoFacts, Outcome> {
    let path = &report.path;
    match &report.go {
        None => Err(Outcome::Unknown(format!(
            "cannot read the build settings of {path} for {what}: not a Go binary"
        ))),
        Some(go) if go.settings.is_empty() => Err(Outcome::Unknown(format!(
            "cannot read the build settings of {path} for {what}: no build settings recorded \
             (Go 1.18+ module builds record them; {})",
            match &go.buildinfo_format {
                Some(f) => format!("build info is in the {f} format"),
                None => "there is no build info".to_owned(),
            }
        ))),
        Some(go) => Ok(go),
    }
}

pub(crate) fn check_setting_required(p: &SettingPattern, report: &Report) -> Outcome {
    let go = match settings(report, &p.text) {
        Ok(go) => go,
        Err(o) => return o,
    };
    if let Some(s) = go.settings.iter().find(|s| p.matches(&s.key, &s.value)) {
        return Outcome::Pass(format!("{}={}", s.key, s.value));
    }
    match go.settings.iter().find(|s| s.key == p.key) {
        Some(s) => Outcome::Fail(format!("{}={} does not match {}", s.key, s.value, p.text)),
        None => Outcome::Fail(format!(
            "{} is not recorded (Go omits settings at their default)",
            p.key
        )),
    }
}

pub(crate) fn check_setting_forbidden(p: &SettingPattern, report: &Report) -> Outcome {
    let go = match settings(report, &p.text) {
        Ok(go) => go,
        Err(o) => return o,
    };
    match go.settings.iter().find(|s| p.matches(&s.key, &s.value)) {
        Some(s) => Outcome::Fail(format!("{}={} is recorded", s.key, s.value)),
        None => match go.settings.iter().find(|s| s.key == p.key) {
            Some(s) => Outcome::Pass(format!("{}={}", s.key, s.value)),
            None => Outcome::Pass(format!("{} is not recorded", p.key)),
        },
    }
}

/// Go's `-buildmode` values (`go help buildmode`); `default` is resolved
/// before Go records it, so it never appears in a binary.
pub const BUILDMODES: [&str; 7] = [
    "archive",
    "c-archive",
    "c-shared",
    "exe",
    "pie",
    "plugin",
    "shared",
];

/// Validates an allowed-buildmode entry.
pub fn parse_buildmode(s: &str) -> Result<String, String> {
    if BUILDMODES.contains(&s) {
        Ok(s.to_owned())
    } else if s == "default" {
        Err("buildmode `default` is never recorded: Go writes the mode it resolved (exe for a main package)".into())
    } else {
        Err(format!(
            "unknown buildmode `{s}`: expected one of {}",
            BUILDMODES.join(", ")
        ))
    }
}

pub(crate) fn check_buildmode(allowed: &[String], report: &Report) -> Outcome {
    let path = &report.path;
    let Some(go) = &report.go else {
        return Outcome::Unknown(format!(
            "cannot determine the build mode of {path}: not a Go binary"
        ));
    };
    let Some(mode) = &go.buildmode else {
        return Outcome::Unknown(format!(
            "cannot determine the build mode of {path}: no -buildmode setting and the file's \
             shape does not settle it"
        ));
    };
    if allowed.iter().any(|a| a == mode) {
        Outcome::Pass(format!("buildmode {mode}"))
    } else {
        Outcome::Fail(format!(
            "buildmode {mode} is not one of {}",
            allowed.join(", ")
        ))
    }
}

/// Experiments are known from build settings (`GOEXPERIMENT`) or from a
/// version string the linker wrote (it appends ` X:`/`-X:` with every
/// non-default experiment). DWARF producers omit experiments.
fn experiments<'a>(report: &'a Report, name: &str) -> Result<&'a [String], Outcome> {
    let path = &report.path;
    let Some(go) = &report.go else {
        return Err(Outcome::Unknown(format!(
            "cannot determine the experiments of {path} for {name}: not a Go binary"
        )));
    };
    let from_linker = go.exact
        && go.version.is_some()
        && matches!(
            go.version_source,
            Some(VersionSource::Buildinfo | VersionSource::Symbol)
        );
    if from_linker || !go.settings.is_empty() {
        Ok(&go.experiments)
    } else {
        Err(Outcome::Unknown(format!(
            "cannot determine the experiments of {path} for {name}: no build settings and no \
             version string written by the linker"
        )))
    }
}

/// Normalizes an experiment name as Go prints it (lowercase).
pub fn parse_experiment(s: &str) -> Result<String, String> {
    let e = s.trim().to_ascii_lowercase();
    if e.is_empty() || !e.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("bad experiment name `{s}`"));
    }
    Ok(e)
}

/// Whether experiment `name` is enabled, and the words both rules report;
/// `Err` when the facts cannot say.
fn experiment_enabled(name: &str, report: &Report) -> Result<(bool, String), Outcome> {
    let list = experiments(report, name)?;
    Ok(if list.iter().any(|e| e == name) {
        (true, format!("experiment {name} is enabled"))
    } else {
        let enabled = none_if_empty(list);
        (
            false,
            format!("experiment {name} is not enabled (enabled: {enabled})"),
        )
    })
}

pub(crate) fn check_experiment_required(name: &str, report: &Report) -> Outcome {
    match experiment_enabled(name, report) {
        Ok((true, why)) => Outcome::Pass(why),
        Ok((false, why)) => Outcome::Fail(why),
        Err(o) => o,
    }
}

pub(crate) fn check_experiment_forbidden(name: &str, report: &Report) -> Outcome {
    match experiment_enabled(name, report) {
        Ok((true, why)) => Outcome::Fail(why),
        Ok((false, why)) => Outcome::Pass(why),
        Err(o) => o,
    }
}

fn none_if_empty(list: &[String]) -> String {
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(",")
    }
}

pub(crate) fn check_fips(report: &Report) -> Outcome {
    let path = &report.path;
    match report.go.as_ref().map(|g| (g.fips, &g.fips_evidence)) {
        None => Outcome::Unknown(format!(
            "cannot determine FIPS 140 mode of {path}: not a Go binary"
        )),
        Some((Some(true), ev)) => Outcome::Pass(format!(
            "FIPS 140 mode: {}",
            if ev.is_empty() {
                "yes".to_owned()
            } else {
                ev.join(", ")
            }
        )),
        Some((Some(false), _)) => Outcome::Fail(
            "not in FIPS 140 mode: no GOFIPS140, no fips140=on in DefaultGODEBUG, and \
             BoringCrypto is not linked (an X:boringcrypto suffix alone does not count)"
                .to_owned(),
        ),
        Some((None, _)) => Outcome::Unknown(format!(
            "cannot determine FIPS 140 mode of {path}: neither build settings nor symbols settle it"
        )),
    }
}

/// A comparison operator of a module requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ModOp {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
}

/// `path`, `path>=v1.2.3`, `path@v1.2.3`, `path>=v1,<v2` (path may be a glob).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct ModulePattern {
    pub text: String,
    path: TextMatch,
    req: Vec<(ModOp, Version)>,
}

/// A module version as semver: `v` prefix optional, `+incompatible` and
/// other build metadata ignored when comparing (as Go's `semver.Compare`).
/// `v1` and `v1.2` are shorthand for `v1.0.0` and `v1.2.0` (Go's
/// `semver.Canonical`), only without prerelease or build suffix.
fn module_version(s: &str) -> Option<Version> {
    let bare = s.strip_prefix('v').unwrap_or(s);
    if !bare.contains(['-', '+']) {
        match bare.matches('.').count() {
            0 => return Version::parse(&format!("{bare}.0.0")).ok(),
            1 => return Version::parse(&format!("{bare}.0")).ok(),
            _ => {}
        }
    }
    Version::parse(bare).ok()
}

impl ModulePattern {
    pub fn parse(text: &str) -> Result<Self, String> {
        let split = text.find(['<', '>', '=', '@']).unwrap_or(text.len());
        let (path, req_text) = text.split_at(split);
        let path = path.trim();
        if path.is_empty() {
            return Err(format!("module pattern `{text}`: empty module path"));
        }
        let mut req = Vec::new();
        if !req_text.is_empty() {
            for part in req_text.split(',') {
                let part = part.trim();
                let (op, v) = [
                    (">=", ModOp::Ge),
                    ("<=", ModOp::Le),
                    ("==", ModOp::Eq),
                    (">", ModOp::Gt),
                    ("<", ModOp::Lt),
                    ("=", ModOp::Eq),
                    ("@", ModOp::Eq),
                ]
                .iter()
                .find_map(|(sym, op)| part.strip_prefix(sym).map(|v| (*op, v.trim())))
                .ok_or_else(|| {
                    format!(
                        "module pattern `{text}`: `{part}` has no operator (>=, >, <=, <, =, @)"
                    )
                })?;
                let version = module_version(v).ok_or_else(|| {
                    format!("module pattern `{text}`: `{v}` is not a module version like v1.2.3")
                })?;
                req.push((op, version));
            }
        }
        Ok(ModulePattern {
            text: text.to_owned(),
            path: TextMatch::new(path)?,
            req,
        })
    }

    fn version_ok(&self, v: &Version) -> bool {
        self.req.iter().all(|(op, want)| {
            let c = v.cmp_precedence(want);
            match op {
                ModOp::Ge => c != Ordering::Less,
                ModOp::Gt => c == Ordering::Greater,
                ModOp::Le => c != Ordering::Greater,
                ModOp::Lt => c == Ordering::Less,
                ModOp::Eq => c == Ordering::Equal,
            }
        })
    }
}

impl TryFrom<String> for ModulePattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        ModulePattern::parse(&s)
    }
}

/// A linked module as a rule sees it: the path that matched and the version
/// of the code actually linked (the replacement's, when replaced).
struct Linked<'a> {
    shown: String,
    version: &'a str,
}

fn linked<'a>(p: &ModulePattern, go: &'a GoFacts) -> Vec<Linked<'a>> {
    let mut out = Vec::new();
    for m in go.main.iter().chain(go.deps.iter()) {
        let (version, shown) = effective(m);
        let replace_matches = m.replace.as_ref().is_some_and(|r| p.path.matches(&r.path));
        if p.path.matches(&m.path) || replace_matches {
            out.push(Linked { shown, version });
        }
    }
    out
}

fn effective(m: &Module) -> (&str, String) {
    match &m.replace {
        Some(r) => (
            r.version.as_str(),
            format!("{} {} => {} {}", m.path, m.version, r.path, r.version)
                .trim_end()
                .to_owned(),
        ),
        None => (m.version.as_str(), format!("{} {}", m.path, m.version)),
    }
}

fn modules<'a>(report: &'a Report, what: &str) -> Result<&'a GoFacts, Outcome> {
    let path = &report.path;
    match &report.go {
        Some(go) if go.path.is_some() || go.main.is_some() || !go.deps.is_empty() => Ok(go),
        Some(_) => Err(Outcome::Unknown(format!(
            "cannot list the modules of {path} for {what}: no module info (not a module build, or no build info)"
        ))),
        None => Err(Outcome::Unknown(format!(
            "cannot list the modules of {path} for {what}: not a Go binary"
        ))),
    }
}

/// Where the linked modules stand against the pattern's version requirement.
enum InRange<'l, 'a> {
    /// The first one whose version satisfies it.
    First(&'l Linked<'a>),
    /// None does; every version was comparable (shown as linked).
    Outside(Vec<&'l str>),
    /// None does, and some versions are not semver: why.
    Unknown(Outcome),
}

fn in_range<'l, 'a>(p: &ModulePattern, found: &'l [Linked<'a>]) -> InRange<'l, 'a> {
    let mut unknown = Vec::new();
    let mut outside = Vec::new();
    for m in found {
        match module_version(m.version) {
            Some(v) if p.version_ok(&v) => return InRange::First(m),
            Some(_) => outside.push(m.shown.as_str()),
            None => unknown.push(m.shown.as_str()),
        }
    }
    if !unknown.is_empty() {
        return InRange::Unknown(Outcome::Unknown(format!(
            "cannot compare the version of {} with {}: not a semantic version",
            unknown.join("; "),
            p.text
        )));
    }
    InRange::Outside(outside)
}

pub(crate) fn check_module_required(p: &ModulePattern, report: &Report) -> Outcome {
    let go = match modules(report, &p.text) {
        Ok(go) => go,
        Err(o) => return o,
    };
    let found = linked(p, go);
    if found.is_empty() {
        return Outcome::Fail(format!("no linked module matches {}", p.text));
    }
    if p.req.is_empty() {
        let shown: Vec<&str> = found.iter().map(|m| m.shown.as_str()).collect();
        return Outcome::Pass(format!("linked: {}", shown.join("; ")));
    }
    match in_range(p, &found) {
        InRange::First(m) => Outcome::Pass(format!("linked: {}", m.shown)),
        InRange::Outside(low) => {
            Outcome::Fail(format!("{} does not satisfy {}", low.join("; "), p.text))
        }
        InRange::Unknown(o) => o,
    }
}

pub(crate) fn check_module_forbidden(p: &ModulePattern, report: &Report) -> Outcome {
    let go = match modules(report, &p.text) {
        Ok(go) => go,
        Err(o) => return o,
    };
    let found = linked(p, go);
    if p.req.is_empty() {
        return match found.first() {
            Some(m) => Outcome::Fail(format!("forbidden module linked: {}", m.shown)),
            None => Outcome::Pass(format!("no linked module matches {}", p.text)),
        };
    }
    match in_range(p, &found) {
        InRange::First(m) => Outcome::Fail(format!("forbidden module version linked: {}", m.shown)),
        InRange::Outside(_) => Outcome::Pass(format!("no linked module matches {}", p.text)),
        InRange::Unknown(o) => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Setting;
    use crate::policy::tests::{go_report, is_fail, is_pass, is_unknown};

    fn with_settings(pairs: &[(&str, &str)]) -> Report {
        let mut r = go_report("go1.22.3", "1.22.3", true, Some(VersionSource::Buildinfo));
        let go = r.go.as_mut().unwrap();
        go.buildinfo_format = Some("inline".into());
        go.settings = pairs
            .iter()
            .map(|(k, v)| Setting {
                key: (*k).into(),
                value: (*v).into(),
            })
            .collect();
        r
    }

    fn sp(s: &str) -> SettingPattern {
        SettingPattern::parse(s).unwrap()
    }

    #[test]
    fn settings_required_and_forbidden() {
        let r = with_settings(&[
            ("CGO_ENABLED", "0"),
            ("-trimpath", "true"),
            ("-ldflags", "-s -w -X main.v=1.2"),
            ("vcs.modified", "false"),
        ]);
        assert!(is_pass(&check_setting_required(&sp("CGO_ENABLED=0"), &r)));
        assert!(is_fail(&check_setting_required(&sp("CGO_ENABLED=1"), &r)));
        assert!(is_pass(&check_setting_required(
            &sp("-ldflags=*-s -w*"),
            &r
        )));
        assert!(is_pass(&check_setting_required(&sp("-trimpath"), &r)));
        let o = check_setting_required(&sp("-race=true"), &r);
        assert!(is_fail(&o) && format!("{o:?}").contains("not recorded"));
        assert!(is_pass(&check_setting_forbidden(&sp("-race=true"), &r)));
        assert!(is_fail(&check_setting_forbidden(
            &sp("vcs.modified=false"),
            &r
        )));
        assert!(is_fail(&check_setting_forbidden(&sp("-ldflags"), &r)));
        assert!(is_pass(&check_setting_forbidden(&sp("CGO_ENABLED=1"), &r)));
    }

    #[test]
    fn settings_unknown_without_build_info() {
        let r = with_settings(&[]);
        assert!(is_unknown(&check_setting_required(
            &sp("CGO_ENABLED=0"),
            &r
        )));
        assert!(is_unknown(&check_setting_forbidden(&sp("-race=true"), &r)));
        let not_go = Report::default();
        assert!(is_unknown(&check_setting_forbidden(&sp("-race"), &not_go)));
        assert!(SettingPattern::parse("=x").is_err());
        assert!(SettingPattern::parse("k=[").is_err());
    }

    #[test]
    fn buildmode() {
        let mut r = with_settings(&[("-buildmode", "pie")]);
        r.go.as_mut().unwrap().buildmode = Some("pie".into());
        assert!(is_pass(&check_buildmode(&["exe".into(), "pie".into()], &r)));
        assert!(is_fail(&check_buildmode(&["exe".into()], &r)));
        r.go.as_mut().unwrap().buildmode = None;
        assert!(is_unknown(&check_buildmode(&["exe".into()], &r)));
        assert!(parse_buildmode("default").is_err());
        assert!(parse_buildmode("pi").is_err());
        assert!(parse_buildmode("c-shared").is_ok());
    }

    #[test]
    fn experiments_known_only_from_linker_or_settings() {
        let mut r = with_settings(&[("GOEXPERIMENT", "boringcrypto")]);
        r.go.as_mut().unwrap().experiments = vec!["boringcrypto".into()];
        assert!(is_pass(&check_experiment_required("boringcrypto", &r)));
        assert!(is_fail(&check_experiment_required("fieldtrack", &r)));
        assert!(is_fail(&check_experiment_forbidden("boringcrypto", &r)));
        assert!(is_pass(&check_experiment_forbidden("fieldtrack", &r)));
        // DWARF-only version: experiments are not recorded there.
        let dwarf = go_report("go1.22.3", "1.22.3", true, Some(VersionSource::Dwarf));
        assert!(is_unknown(&check_experiment_forbidden(
            "fieldtrack",
            &dwarf
        )));
        // runtime.buildVersion without build info still carries X:.
        let sym = go_report("go1.17.1", "1.17.1", true, Some(VersionSource::Symbol));
        assert!(is_pass(&check_experiment_forbidden("fieldtrack", &sym)));
        assert_eq!(parse_experiment(" BoringCrypto ").unwrap(), "boringcrypto");
        assert!(parse_experiment("a,b").is_err());
    }

    /// Both rule directions report the same words.
    #[test]
    fn experiment_messages() {
        let mut r = with_settings(&[("GOEXPERIMENT", "boringcrypto")]);
        r.go.as_mut().unwrap().experiments = vec!["boringcrypto".into()];
        let on = "experiment boringcrypto is enabled".to_owned();
        let off = "experiment fieldtrack is not enabled (enabled: boringcrypto)".to_owned();
        assert_eq!(
            check_experiment_required("boringcrypto", &r),
            Outcome::Pass(on.clone())
        );
        assert_eq!(
            check_experiment_forbidden("boringcrypto", &r),
            Outcome::Fail(on)
        );
        assert_eq!(
            check_experiment_required("fieldtrack", &r),
            Outcome::Fail(off.clone())
        );
        assert_eq!(
            check_experiment_forbidden("fieldtrack", &r),
            Outcome::Pass(off)
        );
        r.go.as_mut().unwrap().experiments.clear();
        assert_eq!(
            check_experiment_required("fieldtrack", &r),
            Outcome::Fail("experiment fieldtrack is not enabled (enabled: none)".into())
        );
    }

    #[test]
    fn fips() {
        let mut r = with_settings(&[("GOFIPS140", "latest")]);
        r.go.as_mut().unwrap().fips = Some(true);
        r.go.as_mut().unwrap().fips_evidence = vec!["GOFIPS140=latest".into()];
        assert!(is_pass(&check_fips(&r)));
        r.go.as_mut().unwrap().fips = Some(false);
        assert!(is_fail(&check_fips(&r)));
        r.go.as_mut().unwrap().fips = None;
        assert!(is_unknown(&check_fips(&r)));
        assert!(is_unknown(&check_fips(&Report::default())));
    }

    fn with_modules() -> Report {
        let mut r = with_settings(&[("GOOS", "linux")]);
        let go = r.go.as_mut().unwrap();
        go.path = Some("example.com/app".into());
        go.main = Some(Module {
            path: "example.com/app".into(),
            version: "(devel)".into(),
            ..Module::default()
        });
        go.deps = vec![
            Module {
                path: "golang.org/x/net".into(),
                version: "v0.17.0".into(),
                ..Module::default()
            },
            Module {
                path: "golang.org/x/crypto".into(),
                version: "v0.10.0".into(),
                replace: Some(Box::new(Module {
                    path: "github.com/bad/crypto".into(),
                    version: "v0.20.0".into(),
                    ..Module::default()
                })),
                ..Module::default()
            },
            Module {
                path: "github.com/old/thing".into(),
                version: "v2.0.0+incompatible".into(),
                ..Module::default()
            },
            Module {
                path: "example.com/pseudo".into(),
                version: "v0.0.0-20230101120000-abcdef123456".into(),
                ..Module::default()
            },
        ];
        r
    }

    fn mp(s: &str) -> ModulePattern {
        ModulePattern::parse(s).unwrap()
    }

    /// `is_pass`, `is_fail` or `is_unknown`.
    type Kind = fn(&Outcome) -> bool;

    /// Each pattern with the outcome it must give against [`with_modules`].
    fn expect(check: fn(&ModulePattern, &Report) -> Outcome, cases: &[(&str, Kind)]) {
        let r = with_modules();
        for (pattern, want) in cases {
            let o = check(&mp(pattern), &r);
            assert!(want(&o), "{pattern}: {o:?}");
        }
    }

    #[test]
    fn modules_required() {
        expect(
            check_module_required,
            &[
                ("golang.org/x/net>=v0.17.0", is_pass),
                ("golang.org/x/net>=v0.18.0", is_fail),
                ("golang.org/x/net", is_pass),
                ("golang.org/x/text", is_fail),
                // The replacement's version is what was linked.
                ("golang.org/x/crypto>=v0.20.0", is_pass),
                ("github.com/old/thing@v2.0.0", is_pass),
                ("example.com/pseudo<v0.0.1", is_pass),
                ("golang.org/x/net>=v0.1,<v1", is_pass),
                // The main module's (devel) version cannot be compared.
                ("example.com/app>=v1.0.0", is_unknown),
                ("example.com/app", is_pass),
            ],
        );
    }

    #[test]
    fn modules_forbidden() {
        expect(
            check_module_forbidden,
            &[
                ("github.com/bad/*", is_fail),
                ("github.com/evil/*", is_pass),
                ("golang.org/x/net<v0.17.1", is_fail),
                ("golang.org/x/net<v0.17.0", is_pass),
            ],
        );
        let no_info = with_settings(&[("GOOS", "linux")]);
        assert!(is_unknown(&check_module_forbidden(&mp("x"), &no_info)));
    }

    /// The exact wording of the version outcomes, both rule directions.
    #[test]
    fn module_version_messages() {
        let r = with_modules();
        let text = |o: Outcome| format!("{o:?}");
        assert_eq!(
            text(check_module_required(&mp("golang.org/x/net>=v0.18.0"), &r)),
            "Fail(\"golang.org/x/net v0.17.0 does not satisfy golang.org/x/net>=v0.18.0\")"
        );
        assert_eq!(
            text(check_module_required(
                &mp("golang.org/x/crypto>=v0.20.0"),
                &r
            )),
            "Pass(\"linked: golang.org/x/crypto v0.10.0 => github.com/bad/crypto v0.20.0\")"
        );
        assert_eq!(
            text(check_module_forbidden(&mp("golang.org/x/net<v0.17.1"), &r)),
            "Fail(\"forbidden module version linked: golang.org/x/net v0.17.0\")"
        );
        assert_eq!(
            text(check_module_forbidden(&mp("golang.org/x/net<v0.17.0"), &r)),
            "Pass(\"no linked module matches golang.org/x/net<v0.17.0\")"
        );
        let unknown = "Unknown(\"cannot compare the version of example.com/app (devel) with \
                       example.com/app>=v1.0.0: not a semantic version\")";
        assert_eq!(
            text(check_module_required(&mp("example.com/app>=v1.0.0"), &r)),
            unknown
        );
        assert_eq!(
            text(check_module_forbidden(&mp("example.com/app>=v1.0.0"), &r)),
            unknown
        );
    }

    #[test]
    fn module_pattern_errors() {
        assert!(ModulePattern::parse(">=v1.0.0").is_err());
        assert!(ModulePattern::parse("a>=banana").is_err());
        assert!(ModulePattern::parse("a>=v1.0.0,v2").is_err());
    }
}
