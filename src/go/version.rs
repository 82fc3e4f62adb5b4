//! Go toolchain version strings as the linker writes them into
//! `runtime.buildVersion` (and so into `.go.buildinfo`): parse, order, gate.
//!
//! ```text
//! [devel ]go<major>[.<minor>[.<patch>]][<kind><n>][<sep><suffix>]
//!   go1.21            language version (Go 1.21 and later)
//!   go1.21.0          release          go1.21rc2 / go1.9beta1   prereleases
//!   go1.20.5 X:boringcrypto            linker <= 1.25 (` X:` suffix)
//!   go1.27.3-X:boringcrypto            linker >= 1.26 (`-X:`, go.dev/issue/75953)
//!   devel go1.24-abcdef Tue Jan 1 ...  tip <= 1.24     go1.25-devel_abcdef Mon ...  tip >= 1.25
//!   go1.18 gccgo (Debian 12.2.0-14+deb12u1) 12.2.0     gccgo
//!   unknown                            no version recorded
//! ```
//!
//! Sources: `src/internal/gover/gover.go` (`Parse`, `Compare`),
//! `src/go/version/version.go` (`stripGo`), `src/cmd/go/internal/gover/toolchain.go`
//! (`FromToolchain` also cuts at space and tab), `src/cmd/link/internal/ld/main.go`
//! (the ` X:`/`-X:` experiment suffix). See also
//! `shared/reference/elf-go-formats.md` §4.
//!
//! # Ordering and the semver mapping
//!
//! [`compare`] is Go's `gover.Compare` applied after the normalisation that
//! [`parse`] uses: drop a leading `devel `, require the `go` prefix, and cut at
//! the first space, tab or `-`. Invalid versions sort lowest and equal to each
//! other; `1.21 < 1.21rc1 < 1.21.0`; `1.20 == 1.20.0`. [`compare_strict`] is
//! exactly `go/version.Compare` (cut only at `-`, so `go1.20.5 X:boringcrypto`
//! is invalid there).
//!
//! The semver form preserves that order under semver precedence
//! ([`semver::Version::cmp_precedence`], which ignores build metadata):
//! `rcN` becomes `-rc.N` (any kind: `-<kind>.N`, or `-<kind>` without a
//! number), a bare language version at minor >= 21 becomes `X.Y.0-0` (the
//! lowest semver with that `X.Y.0`), and the suffix is kept as build metadata
//! with every run of characters outside `[0-9A-Za-z-]` turned into one `.`.

use std::cmp::Ordering;

use semver::{BuildMetadata, Comparator, Op, Prerelease, Version, VersionReq};
use serde::{Serialize, Serializer};
use thiserror::Error;

/// Errors from reading a version requirement.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VersionError {
    #[error("version requirement is empty")]
    EmptyRequirement,
    #[error("version requirement: comparator {index} is empty")]
    EmptyComparator { index: usize },
    #[error("version requirement: comparator {index} `{text}`: {reason}")]
    InvalidComparator {
        index: usize,
        text: String,
        reason: String,
    },
}

/// A Go version string as found in a binary, with its parsed forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoVersion {
    /// The string exactly as stored.
    pub raw: String,
    /// The release parsed by Go's grammar; `None` when Go would call it
    /// invalid (`unknown`) or a number does not fit in 64 bits.
    pub release: Option<Release>,
    /// The semver form (see the module docs); `None` exactly when `release` is.
    #[serde(serialize_with = "serialize_semver")]
    pub semver: Option<Version>,
    /// Everything after the first space, tab or `-` that ends the version
    /// proper, verbatim (`X:boringcrypto`, `abcdef Tue Jan 1 ...`).
    pub suffix: Option<String>,
    /// GOEXPERIMENT names from an `X:a,b` suffix, lowercased, in order.
    pub experiments: Vec<String>,
    /// A development toolchain (`devel go1.24-...`, `go1.25-devel_...`).
    pub devel: bool,
    /// Built by gccgo (`go1.18 gccgo (...) 12.2.0`).
    pub gccgo: bool,
}

/// A release in Go's grammar (`internal/gover.Version`), numbers decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    pub major: u64,
    pub minor: u64,
    /// `None` for a language version (`1.21`) or a prerelease (`1.21rc1`);
    /// Go fills in `0` for `go1` and for minors below 21 (`1.20` is `1.20.0`).
    pub patch: Option<u64>,
    /// Prerelease kind: `alpha`, `beta`, `rc` (Go accepts any lowercase word).
    pub kind: Option<String>,
    /// Prerelease number (`2` in `rc2`).
    pub pre: Option<u64>,
}

fn serialize_semver<S: Serializer>(v: &Option<Version>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(&v.to_string()),
        None => s.serialize_none(),
    }
}

/// Parses a version string as written into a binary. Never fails: what Go's
/// grammar rejects yields `release: None` and `semver: None`.
pub fn parse(raw: &str) -> GoVersion {
    let (core, suffix) = split_toolchain(raw);
    let gover = core
        .and_then(|c| c.strip_prefix("go"))
        .and_then(Gover::parse);
    let release = gover.as_ref().and_then(Gover::release);
    let semver = match (&gover, &release) {
        (Some(g), Some(_)) => g.semver(suffix),
        _ => None,
    };
    let release = if semver.is_some() { release } else { None };
    let devel = raw.starts_with("devel") || suffix.is_some_and(|s| s.starts_with("devel"));
    let gccgo = raw.split_ascii_whitespace().any(|w| w == "gccgo");
    GoVersion {
        raw: raw.to_owned(),
        release,
        semver,
        suffix: suffix.map(str::to_owned),
        experiments: suffix.map(experiments).unwrap_or_default(),
        devel,
        gccgo,
    }
}

/// Splits `[devel ]goX.Y...<sep>suffix` at the first space, tab or `-` after
/// an optional `devel ` prefix. The core keeps its `go` prefix.
fn split_toolchain(raw: &str) -> (Option<&str>, Option<&str>) {
    let s = raw.strip_prefix("devel ").unwrap_or(raw);
    match s.find([' ', '\t', '-']) {
        Some(i) => (s.get(..i), s.get(i + 1..).filter(|rest| !rest.is_empty())),
        None => (Some(s), None),
    }
}

/// The experiment list of the last `X:` word that starts the suffix or
/// follows a space or `-` (`cmd/link`: `buildVersion += sep + "X:" + exps`).
fn experiments(suffix: &str) -> Vec<String> {
    let mut found = None;
    let mut search = 0;
    while let Some(pos) = suffix.get(search..).and_then(|s| s.find("X:")) {
        let at = search + pos;
        let starts_word = at == 0 || matches!(suffix.as_bytes().get(at - 1), Some(b' ' | b'-'));
        if starts_word {
            found = Some(at + 2);
        }
        search = at + 2;
    }
    let Some(start) = found else {
        return Vec::new();
    };
    let list = suffix.get(start..).unwrap_or("");
    let list = list.split([' ', '\t']).next().unwrap_or("");
    list.split(',')
        .filter(|e| !e.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Orders two raw version strings by Go's rules after the normalisation of
/// [`parse`] (see the module docs). Agrees with semver precedence of
/// [`GoVersion::semver`] whenever both are `Some`.
pub fn compare(a: &str, b: &str) -> Ordering {
    let key = |raw| {
        split_toolchain(raw)
            .0
            .and_then(|c| c.strip_prefix("go"))
            .and_then(Gover::parse)
    };
    cmp_gover(key(a), key(b))
}

/// Exactly `go/version.Compare`: cut at the first `-` only, `go` required.
pub fn compare_strict(a: &str, b: &str) -> Ordering {
    cmp_gover(strip_go(a), strip_go(b))
}

/// Exactly `go/version.IsValid`.
pub fn is_valid_strict(raw: &str) -> bool {
    strip_go(raw).is_some()
}

fn strip_go(raw: &str) -> Option<Gover<'_>> {
    let core = raw.split('-').next().unwrap_or("");
    core.strip_prefix("go").and_then(Gover::parse)
}

/// `internal/gover.Version`: decimal strings, so no overflow is possible.
/// An empty string is Go's "missing" field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gover<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    kind: &'a str,
    pre: &'a str,
}

impl<'a> Gover<'a> {
    /// `gover.Parse`; `None` where Go returns the zero (invalid) version.
    fn parse(x: &'a str) -> Option<Self> {
        let (major, x) = cut_int(x)?;
        if x.is_empty() {
            // "1" means 1.0.0.
            return Some(Gover {
                major,
                minor: "0",
                patch: "0",
                kind: "",
                pre: "",
            });
        }
        let x = x.strip_prefix('.')?;
        let (minor, x) = cut_int(x)?;
        if x.is_empty() {
            // From 1.21 a missing patch is the language version, not .0.
            let patch = if cmp_int(minor, "21") == Ordering::Less {
                "0"
            } else {
                ""
            };
            return Some(Gover {
                major,
                minor,
                patch,
                kind: "",
                pre: "",
            });
        }
        if let Some(x) = x.strip_prefix('.') {
            // No prereleases of patch releases (1.21.3rc1 is invalid).
            let (patch, rest) = cut_int(x)?;
            return rest.is_empty().then_some(Gover {
                major,
                minor,
                patch,
                kind: "",
                pre: "",
            });
        }
        let kind_len = x.bytes().take_while(|b| !b.is_ascii_digit()).count();
        let (kind, x) = x.split_at(kind_len);
        if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        if x.is_empty() {
            return Some(Gover {
                major,
                minor,
                patch: "",
                kind,
                pre: "",
            });
        }
        let (pre, rest) = cut_int(x)?;
        rest.is_empty().then_some(Gover {
            major,
            minor,
            patch: "",
            kind,
            pre,
        })
    }

    fn release(&self) -> Option<Release> {
        let num = |s: &str| -> Result<Option<u64>, ()> {
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse().map(Some).map_err(|_| ())
            }
        };
        Some(Release {
            major: num(self.major).ok()??,
            minor: num(self.minor).ok()??,
            patch: num(self.patch).ok()?,
            kind: (!self.kind.is_empty()).then(|| self.kind.to_owned()),
            pre: num(self.pre).ok()?,
        })
    }

    /// The semver form (module docs); `None` if a number exceeds u64.
    fn semver(&self, suffix: Option<&str>) -> Option<Version> {
        let mut v = Version::new(self.major.parse().ok()?, self.minor.parse().ok()?, 0);
        if !self.patch.is_empty() {
            v.patch = self.patch.parse().ok()?;
        } else if !self.kind.is_empty() {
            let pre = if self.pre.is_empty() {
                self.kind.to_owned()
            } else {
                format!("{}.{}", self.kind, self.pre)
            };
            v.pre = Prerelease::new(&pre).ok()?;
        } else {
            // Language version: below every prerelease and release of X.Y.0.
            v.pre = Prerelease::new("0").ok()?;
        }
        if let Some(build) = suffix.map(sanitize_build).filter(|b| !b.is_empty()) {
            // Sanitised text is always a valid identifier list; stay total anyway.
            v.build = BuildMetadata::new(&build).unwrap_or(BuildMetadata::EMPTY);
        }
        Some(v)
    }
}

/// `gover.cutInt`: a decimal without superfluous leading zeros, and the rest.
fn cut_int(x: &str) -> Option<(&str, &str)> {
    let n = x.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || (n > 1 && x.starts_with('0')) {
        return None;
    }
    Some(x.split_at(n))
}

/// `gover.CmpInt`: compares decimal strings without parsing them.
fn cmp_int(x: &str, y: &str) -> Ordering {
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

/// `gover.Compare`, with `None` as Go's zero version (sorts lowest).
fn cmp_gover(x: Option<Gover<'_>>, y: Option<Gover<'_>>) -> Ordering {
    match (x, y) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => cmp_int(x.major, y.major)
            .then_with(|| cmp_int(x.minor, y.minor))
            .then_with(|| cmp_int(x.patch, y.patch))
            // "" < alpha < beta < rc, bytewise like Go's cmp.Compare.
            .then_with(|| x.kind.cmp(y.kind))
            .then_with(|| cmp_int(x.pre, y.pre)),
    }
}

/// Semver build identifiers are `[0-9A-Za-z-]+` joined by `.`.
fn sanitize_build(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('.') {
            out.push('.');
        }
    }
    while out.ends_with('.') {
        out.pop();
    }
    out
}

/// Maps one comparator's version text (`go1.21rc1`, `1.22`, `go1.21.0`)
/// through the semver mapping: the `go` prefix is optional, no suffix.
fn map_version(text: &str) -> Result<Version, String> {
    let bare = text.strip_prefix("go").unwrap_or(text);
    let g = Gover::parse(bare).ok_or_else(|| format!("`{text}` is not a Go version"))?;
    g.semver(None)
        .ok_or_else(|| format!("`{text}` has a number too large for semver"))
}

/// Reads a requirement such as `>=go1.21.0, <1.24` or `go1.22`.
///
/// Each comma-separated comparator is an optional operator (`=`, `>`, `>=`,
/// `<`, `<=`, `~`, `^`; none means `^` as in semver) and a version. A
/// version in Go's grammar (with or without `go`) is rewritten through the
/// semver mapping, so `<1.24` means below the language version 1.24, which
/// is below `go1.24rc1`. Anything else is handed to semver's own comparator
/// syntax (`1.21.*`, `*`, `1.21.0-rc.1`). Evaluate the result with
/// [`satisfies`], not [`VersionReq::matches`].
pub fn parse_requirement(req: &str) -> Result<VersionReq, VersionError> {
    if req.trim().is_empty() {
        return Err(VersionError::EmptyRequirement);
    }
    let mut comparators = Vec::new();
    for (index, part) in req.split(',').enumerate() {
        let part = part.trim();
        if part.is_empty() {
            return Err(VersionError::EmptyComparator { index });
        }
        comparators.push(parse_comparator(index, part)?);
    }
    Ok(VersionReq { comparators })
}

fn parse_comparator(index: usize, part: &str) -> Result<Comparator, VersionError> {
    const OPS: [(&str, Op); 7] = [
        (">=", Op::GreaterEq),
        ("<=", Op::LessEq),
        (">", Op::Greater),
        ("<", Op::Less),
        ("=", Op::Exact),
        ("~", Op::Tilde),
        ("^", Op::Caret),
    ];
    let (op, text) = OPS
        .iter()
        .find_map(|(sym, op)| part.strip_prefix(sym).map(|rest| (*op, rest)))
        .unwrap_or((Op::Caret, part));
    let text = text.trim_start();
    let invalid = |reason: String| VersionError::InvalidComparator {
        index,
        text: part.to_owned(),
        reason,
    };
    match map_version(text) {
        Ok(v) => Ok(Comparator {
            op,
            major: v.major,
            minor: Some(v.minor),
            patch: Some(v.patch),
            pre: v.pre,
        }),
        Err(reason) if text.starts_with("go") => Err(invalid(reason)),
        Err(reason) => {
            Comparator::parse(part).map_err(|e| invalid(format!("{reason}; as semver: {e}")))
        }
    }
}

/// `>=` the given version: `go1.21.0` gives `>=1.21.0`, `go1.21` gives
/// `>=1.21.0-0`. The `go` prefix is optional; a suffix is not accepted.
pub fn min_version(go: &str) -> Result<VersionReq, VersionError> {
    let invalid = |reason| VersionError::InvalidComparator {
        index: 0,
        text: go.to_owned(),
        reason,
    };
    let v = map_version(go.trim()).map_err(invalid)?;
    Ok(VersionReq {
        comparators: vec![Comparator {
            op: Op::GreaterEq,
            major: v.major,
            minor: Some(v.minor),
            patch: Some(v.patch),
            pre: v.pre,
        }],
    })
}

/// Whether `v` meets every comparator of `req`, by Go's ordering.
///
/// semver's [`VersionReq::matches`] lets a prerelease match only a
/// comparator that names a prerelease of the same `major.minor.patch`, so
/// `>=1.21.0` would reject `1.22.0-rc.1` (go1.22rc1). Go has no such opt-in:
/// `go1.21.0 < go1.22rc1`. Here each comparator is the plain interval of
/// [`comparator_bounds`]: `>=1.21.0` accepts go1.22rc1 and rejects go1.21rc1.
pub fn satisfies(v: &Version, req: &VersionReq) -> bool {
    req.comparators
        .iter()
        .all(|c| comparator_bounds(c).is_some_and(|b| b.contains(v)))
}

/// The versions one comparator admits, as an interval under semver
/// precedence (Go's order for mapped versions; build metadata ignored).
/// Each end is a version and whether it is included; `None` is unbounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bounds {
    pub lower: Option<(Version, bool)>,
    pub upper: Option<(Version, bool)>,
}

impl Bounds {
    /// Whether `v` lies within both ends.
    pub fn contains(&self, v: &Version) -> bool {
        // `v` is inside an end unless it lies beyond it (`outside`) or on an
        // exclusive one.
        let within = |end: &Option<(Version, bool)>, outside: Ordering| {
            end.as_ref()
                .is_none_or(|(b, inclusive)| match v.cmp_precedence(b) {
                    Ordering::Equal => *inclusive,
                    o => o != outside,
                })
        };
        within(&self.lower, Ordering::Less) && within(&self.upper, Ordering::Greater)
    }
}

/// The interval a comparator (as [`parse_requirement`] builds it) admits,
/// with no semver prerelease opt-in; `None` when it admits nothing (an
/// operator this code does not know, or `>` a prefix with no successor).
///
/// A partial comparator covers every version with its prefix, prereleases
/// included: `<1.24` stops below `1.24.0-0`, `=1.21` is
/// `>=1.21.0-0, <1.22.0-0`. `~` and `^` take semver's upper bounds, with
/// `-0` so that no prerelease of the next version slips in.
pub fn comparator_bounds(c: &Comparator) -> Option<Bounds> {
    let lowest = |major, minor, patch| {
        let mut v = Version::new(major, minor, patch);
        v.pre = Prerelease::new("0").unwrap_or(Prerelease::EMPTY);
        v
    };
    // The smallest version with the comparator's prefix, and the smallest
    // version after everything with that prefix (None: no upper bound).
    let floor = match (c.minor, c.patch) {
        (Some(minor), Some(patch)) => {
            let mut f = Version::new(c.major, minor, patch);
            f.pre = c.pre.clone();
            f
        }
        (minor, _) => lowest(c.major, minor.unwrap_or(0), 0),
    };
    let full = c.minor.is_some() && c.patch.is_some();
    let next_prefix = match (c.minor, c.patch) {
        (None, _) => c.major.checked_add(1).map(|m| lowest(m, 0, 0)),
        (Some(minor), None) => minor.checked_add(1).map(|n| lowest(c.major, n, 0)),
        (Some(_), Some(_)) => None,
    };
    let next_minor = c
        .minor
        .unwrap_or(0)
        .checked_add(1)
        .map(|n| lowest(c.major, n, 0));
    let next_major = c.major.checked_add(1).map(|m| lowest(m, 0, 0));
    let bounds = |lower: Option<(Version, bool)>, upper: Option<(Version, bool)>| {
        Some(Bounds { lower, upper })
    };
    let incl = |v: Version| Some((v, true));
    let excl = |v: Option<Version>| v.map(|v| (v, false));
    match c.op {
        Op::Exact | Op::Wildcard if full => bounds(incl(floor.clone()), incl(floor)),
        Op::Exact | Op::Wildcard => bounds(incl(floor), excl(next_prefix)),
        Op::Greater if full => bounds(Some((floor, false)), None),
        Op::Greater => bounds(incl(next_prefix?), None),
        Op::GreaterEq => bounds(incl(floor), None),
        Op::Less => bounds(None, excl(Some(floor))),
        Op::LessEq if full => bounds(None, incl(floor)),
        Op::LessEq => bounds(None, excl(next_prefix)),
        Op::Tilde if c.minor.is_none() => bounds(incl(floor), excl(next_major)),
        Op::Tilde => bounds(incl(floor), excl(next_minor)),
        Op::Caret => {
            let upper = match (c.major, c.minor, c.patch) {
                (0, Some(0), Some(patch)) => patch.checked_add(1).map(|p| lowest(0, 0, p)),
                (0, Some(_), _) => next_minor,
                _ => next_major,
            };
            bounds(incl(floor), excl(upper))
        }
        // An operator this code does not know cannot be honoured.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sv(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn parses_release_forms() {
        let cases: &[(&str, Option<&str>)] = &[
            ("go1", Some("1.0.0")),
            ("go1.2", Some("1.2.0")),
            ("go1.20", Some("1.20.0")),
            ("go1.21", Some("1.21.0-0")),
            ("go1.21.0", Some("1.21.0")),
            ("go1.21rc2", Some("1.21.0-rc.2")),
            ("go1.9beta1", Some("1.9.0-beta.1")),
            ("go1.21rc", Some("1.21.0-rc")),
            ("go1.999testmod", Some("1.999.0-testmod")),
            ("go222", Some("222.0.0")),
            ("go1.21.3rc1", None),
            ("go1.021", None),
            ("go1.2.3.4", None),
            ("go1.2RC1", None),
            ("1.21.0", None),
            ("", None),
            ("unknown", None),
            ("go1.99999999999999999999", None),
        ];
        for (raw, want) in cases {
            let got = parse(raw).semver.map(|v| v.to_string());
            assert_eq!(got.as_deref(), *want, "{raw}");
        }
    }

    #[test]
    fn release_fields_follow_gover() {
        let r = parse("go1.21rc2").release.unwrap();
        assert_eq!(
            r,
            Release {
                major: 1,
                minor: 21,
                patch: None,
                kind: Some("rc".into()),
                pre: Some(2)
            }
        );
        assert_eq!(parse("go1.20").release.unwrap().patch, Some(0));
        assert_eq!(parse("go1.21").release.unwrap().patch, None);
        assert_eq!(parse("go1").release.unwrap().minor, 0);
    }

    #[test]
    fn parses_suffix_forms() {
        let v = parse("go1.20.5 X:boringcrypto");
        assert_eq!(v.semver, Some(sv("1.20.5+X.boringcrypto")));
        assert_eq!(v.experiments, ["boringcrypto"]);
        assert_eq!(v.suffix.as_deref(), Some("X:boringcrypto"));
        assert!(!v.devel && !v.gccgo);

        let v = parse("go1.27.3-X:boringcrypto");
        assert_eq!(v.semver, Some(sv("1.27.3+X.boringcrypto")));
        assert_eq!(v.experiments, ["boringcrypto"]);

        let v = parse("go1.23.1 X:nocoverageredesign");
        assert_eq!(v.experiments, ["nocoverageredesign"]);
        assert_eq!(v.semver.unwrap().to_string(), "1.23.1+X.nocoverageredesign");

        let v = parse("devel go1.24-abcdef Tue Jan 1 10:00:00 2025 +0000");
        assert!(v.devel);
        assert_eq!(
            v.semver,
            Some(sv("1.24.0-0+abcdef.Tue.Jan.1.10.00.00.2025.0000"))
        );
        assert!(v.experiments.is_empty());

        let v = parse("go1.25-devel_abcdef Mon Feb 3 2025 X:jsonv2,greenteagc");
        assert!(v.devel);
        assert_eq!(v.release.as_ref().unwrap().minor, 25);
        assert_eq!(v.experiments, ["jsonv2", "greenteagc"]);

        let v = parse("go1.25-20250209-RC00 cl/724970549 +ff27d270c9 X:fieldtrack,boring");
        assert_eq!(
            v.semver,
            Some(sv(
                "1.25.0-0+20250209-RC00.cl.724970549.ff27d270c9.X.fieldtrack.boring"
            ))
        );
        assert_eq!(v.experiments, ["fieldtrack", "boring"]);
        assert!(!v.devel);

        let v = parse("go1.18 gccgo (Debian 12.2.0-14+deb12u1) 12.2.0");
        assert!(v.gccgo);
        assert_eq!(v.semver.as_ref().unwrap().major, 1);
        assert_eq!(v.semver.as_ref().unwrap().minor, 18);
        assert!(v.semver.as_ref().unwrap().pre.is_empty());
        assert!(v.experiments.is_empty());

        let v = parse("unknown");
        assert_eq!((v.release, v.semver, v.suffix), (None, None, None));
    }

    #[test]
    fn experiments_are_lowercased_and_need_a_word_start() {
        assert_eq!(parse("go1.22.0 X:Foo,BAR").experiments, ["foo", "bar"]);
        assert!(parse("go1.22.0-customX:foo").experiments.is_empty());
        assert_eq!(parse("go1.22.0-X:a,,b c").experiments, ["a", "b"]);
        assert!(parse("go1.22.0 X:").experiments.is_empty());
    }

    #[test]
    fn serializes_semver_as_string() {
        let json = serde_json::to_value(parse("go1.21rc2")).unwrap();
        assert_eq!(json["semver"], "1.21.0-rc.2");
        assert_eq!(json["release"]["kind"], "rc");
        assert_eq!(
            serde_json::to_value(parse("unknown")).unwrap()["semver"],
            serde_json::Value::Null
        );
    }

    /// Pairs from Go's own tests (`go/version`, `internal/gover`).
    #[test]
    fn compare_matches_go_tests() {
        use Ordering::*;
        let cases = [
            ("", "", Equal),
            ("x", "x", Equal),
            ("", "x", Equal),
            ("1", "1.1", Equal),
            ("go1", "go1.1", Less),
            ("go1.5", "go1.6", Less),
            ("go1.5", "go1.10", Less),
            ("go1.6", "go1.6.1", Less),
            ("go1.19", "go1.19.0", Equal),
            ("go1.19rc1", "go1.19", Less),
            ("go1.20", "go1.20.0", Equal),
            ("go1.20", "go1.20.0-bigcorp", Equal),
            ("go1.20rc1", "go1.20", Less),
            ("go1.21", "go1.21.0", Less),
            ("go1.21", "go1.21.0-bigcorp", Less),
            ("go1.21", "go1.21rc1", Less),
            ("go1.21rc1", "go1.21.0", Less),
            ("go1.6", "go1.19", Less),
            ("go1.19", "go1.19.1", Less),
            ("go1.19rc1", "go1.19.1", Less),
            ("go1.19rc1", "go1.19rc2", Less),
            ("go1.19.0", "go1.19.1", Less),
            ("go1.19rc1", "go1.19.0", Less),
            ("go1.19alpha3", "go1.19beta2", Less),
            ("go1.19beta2", "go1.19rc1", Less),
            ("go1.1", "go1.99999999999999998", Less),
            ("go1.99999999999999998", "go1.99999999999999999", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_strict(a, b), want, "strict {a} {b}");
            assert_eq!(compare_strict(b, a), want.reverse(), "strict {b} {a}");
            assert_eq!(compare(a, b), want, "{a} {b}");
        }
    }

    #[test]
    fn strict_and_toolchain_rules_differ_only_on_space_and_devel() {
        // Reference §4 table: IsValid as observed.
        assert!(is_valid_strict("go1.21rc2"));
        assert!(!is_valid_strict("go1.20.5 X:boringcrypto"));
        assert!(is_valid_strict("go1.27.3-X:boringcrypto"));
        assert!(!is_valid_strict("devel go1.24-abcdef Tue Jan 1"));
        assert!(is_valid_strict("go1.25-devel_abcdef Mon"));
        assert!(!is_valid_strict("unknown"));
        assert!(!is_valid_strict("1.21.0"));

        let boring = "go1.20.5 X:boringcrypto";
        assert_eq!(compare_strict(boring, "go1.0"), Ordering::Less);
        assert_eq!(compare(boring, "go1.20.5"), Ordering::Equal);
        assert_eq!(compare("devel go1.24-abc Tue", "go1.24rc1"), Ordering::Less);
        assert_eq!(
            compare("devel go1.24-abc Tue", "go1.23.9"),
            Ordering::Greater
        );
        assert_eq!(compare("unknown", "go1"), Ordering::Less);
        assert_eq!(compare("unknown", "garbage"), Ordering::Equal);
    }

    const ORDER_TABLE: &[&str] = &[
        "go1",
        "go1.0",
        "go1.0.0",
        "go1.1",
        "go1.2rc1",
        "go1.2",
        "go1.2.1",
        "go1.9beta1",
        "go1.9beta2",
        "go1.9rc1",
        "go1.9",
        "go1.10",
        "go1.13.15",
        "go1.17.13",
        "go1.18beta1",
        "go1.18",
        "go1.18 gccgo (Debian 12.2.0-14+deb12u1) 12.2.0",
        "go1.19.13",
        "go1.20rc",
        "go1.20rc1",
        "go1.20rc10",
        "go1.20rc2",
        "go1.20",
        "go1.20.0",
        "go1.20.5 X:boringcrypto",
        "go1.20.5",
        "go1.21",
        "go1.21alpha",
        "go1.21alpha1",
        "go1.21beta1",
        "go1.21rc",
        "go1.21rc0",
        "go1.21rc1",
        "go1.21rc2",
        "go1.21rc11",
        "go1.21.0",
        "go1.21.0-bigcorp",
        "go1.21.1",
        "go1.21.10",
        "go1.22rc1",
        "go1.22.0",
        "go1.23.1 X:nocoverageredesign",
        "devel go1.24-abcdef Tue Jan 1 10:00:00 2025 +0000",
        "go1.24rc3",
        "go1.24.0",
        "go1.25-devel_abcdef Mon Feb 3 2025",
        "go1.25-20250209-RC00 cl/724970549 +ff27d270c9 X:fieldtrack,boring",
        "go1.25.0",
        "go1.26rc1",
        "go1.27.3-X:boringcrypto",
        "go1.27.3",
        "go1.100",
        "go1.100.1",
        "go1.999testmod",
        "go2",
        "go2.0.0",
        "go2.21",
        "go2.21.0",
        "go10.0",
    ];

    #[test]
    fn semver_precedence_equals_go_order() {
        let mut pairs = 0;
        for a in ORDER_TABLE {
            for b in ORDER_TABLE {
                let (va, vb) = (parse(a).semver.unwrap(), parse(b).semver.unwrap());
                assert_eq!(va.cmp_precedence(&vb), compare(a, b), "{a} vs {b}");
                pairs += 1;
            }
        }
        assert!(pairs > 3000);
    }

    #[test]
    fn invalid_sorts_lowest() {
        for bad in ["", "unknown", "go1.21.3rc1", "go1.01", "1.21.0", "gox"] {
            assert!(parse(bad).semver.is_none(), "{bad}");
            for good in ORDER_TABLE {
                assert_eq!(compare(bad, good), Ordering::Less, "{bad} {good}");
                assert_eq!(compare(good, bad), Ordering::Greater);
            }
        }
    }

    #[test]
    fn requirements_rewrite_go_spellings() {
        let r = parse_requirement(">=go1.21.0, <1.24").unwrap();
        assert_eq!(r.to_string(), ">=1.21.0, <1.24.0-0");
        assert_eq!(
            parse_requirement("go1.22").unwrap().to_string(),
            "^1.22.0-0"
        );
        assert_eq!(
            parse_requirement(">=1.21rc1").unwrap().to_string(),
            ">=1.21.0-rc.1"
        );
        assert_eq!(
            parse_requirement(">= go1.20").unwrap().to_string(),
            ">=1.20.0"
        );
        assert_eq!(parse_requirement("1.21.*").unwrap().to_string(), "1.21.*");
        assert_eq!(
            parse_requirement(">=1.21.0-rc.1").unwrap().to_string(),
            ">=1.21.0-rc.1"
        );
        assert_eq!(min_version("go1.21.0").unwrap().to_string(), ">=1.21.0");
        assert_eq!(min_version("go1.21").unwrap().to_string(), ">=1.21.0-0");
        assert_eq!(
            min_version("1.9beta1").unwrap().to_string(),
            ">=1.9.0-beta.1"
        );
    }

    #[test]
    fn requirement_errors() {
        assert_eq!(parse_requirement(" "), Err(VersionError::EmptyRequirement));
        assert_eq!(
            parse_requirement(">=1.21,"),
            Err(VersionError::EmptyComparator { index: 1 })
        );
        assert!(matches!(
            parse_requirement(">=go1.21.3rc1"),
            Err(VersionError::InvalidComparator { index: 0, .. })
        ));
        assert!(parse_requirement(">=banana").is_err());
        assert!(min_version("go1.20.5 X:boringcrypto").is_err());
        assert!(min_version("unknown").is_err());
    }

    fn sat(version: &str, req: &str) -> bool {
        satisfies(
            &parse(version).semver.unwrap(),
            &parse_requirement(req).unwrap(),
        )
    }

    #[test]
    fn satisfies_uses_go_order_for_prereleases() {
        // semver's opt-in rule would reject the prerelease; Go's order accepts it.
        let req = parse_requirement(">=1.21.0").unwrap();
        let rc = parse("go1.22rc1").semver.unwrap();
        assert!(!req.matches(&rc));
        assert!(satisfies(&rc, &req));

        assert!(!sat("go1.21rc1", ">=1.21.0"));
        assert!(sat("go1.21rc1", ">=1.21"));
        assert!(sat("go1.21", ">=1.21"));
        assert!(!sat("go1.20.14", ">=1.21"));
        assert!(sat("go1.23.4", ">=go1.21.0, <1.24"));
        assert!(!sat("go1.24rc1", ">=go1.21.0, <1.24"));
        assert!(!sat("devel go1.24-abc Tue", ">=go1.21.0, <1.24"));
        assert!(sat("go1.27.3-X:boringcrypto", "=1.27.3"));
        assert!(sat("go1.27.3-X:boringcrypto", ">1.27.2, <=1.27.3"));
        assert!(!sat("go1.27.3", ">1.27.3"));
        assert!(sat("go1.22rc1", "go1.22"));
        assert!(!sat("go1.21.9", "go1.22"));
        assert!(sat("go1.26.0", "go1.22"));
    }

    #[test]
    fn comparator_bounds_ends() {
        let bounds = |s: &str| {
            let c = Comparator::parse(s).unwrap();
            comparator_bounds(&c).map(|b| {
                let end = |e: Option<(Version, bool)>| e.map(|(v, i)| (v.to_string(), i));
                (end(b.lower), end(b.upper))
            })
        };
        let end = |v: &str, inclusive| Some((v.to_owned(), inclusive));
        assert_eq!(bounds("<1.24"), Some((None, end("1.24.0-0", false))));
        assert_eq!(
            bounds("=1.21"),
            Some((end("1.21.0-0", true), end("1.22.0-0", false)))
        );
        assert_eq!(
            bounds("=1.21.3"),
            Some((end("1.21.3", true), end("1.21.3", true)))
        );
        assert_eq!(bounds(">1.21.3"), Some((end("1.21.3", false), None)));
        assert_eq!(bounds(">1.21"), Some((end("1.22.0-0", true), None)));
        assert_eq!(
            bounds("^0.0.3"),
            Some((end("0.0.3", true), end("0.0.4-0", false)))
        );
        assert_eq!(bounds(">18446744073709551615"), None);
        assert_eq!(
            bounds("^18446744073709551615"),
            Some((end("18446744073709551615.0.0-0", true), None))
        );
    }

    #[test]
    fn satisfies_partial_and_range_operators() {
        let v = |s: &str| parse(s).semver.unwrap();
        let req = |s: &str| VersionReq::parse(s).unwrap();
        // Partial comparators cover prereleases of their prefix.
        assert!(satisfies(&v("go1.21rc1"), &req("=1.21")));
        assert!(satisfies(&v("go1.21.9"), &req("=1.21")));
        assert!(!satisfies(&v("go1.22rc1"), &req("=1.21")));
        assert!(satisfies(&v("go1.21.3"), &req("1.21.*")));
        assert!(!satisfies(&v("go1.22rc1"), &req("<=1.21")));
        assert!(satisfies(&v("go1.21.9"), &req("<=1.21")));
        assert!(!satisfies(&v("go1.21rc1"), &req("<1.21")));
        assert!(satisfies(&v("go1.20.9"), &req("<1.21")));
        assert!(satisfies(&v("go1.22rc1"), &req(">1.21")));
        assert!(!satisfies(&v("go1.21.9"), &req(">1.21")));
        assert!(satisfies(&v("go1.21.5"), &req(">=1")));
        assert!(satisfies(&v("go1.21.5"), &req("*")));
        // Tilde and caret.
        assert!(satisfies(&v("go1.21.5"), &req("~1.21.3")));
        assert!(!satisfies(&v("go1.22rc1"), &req("~1.21.3")));
        assert!(!satisfies(&v("go1.21.2"), &req("~1.21.3")));
        assert!(satisfies(&v("go1.27.0"), &req("^1.21.3")));
        assert!(!satisfies(
            &Version::parse("2.0.0-rc.1").unwrap(),
            &req("^1.21.3")
        ));
        assert!(satisfies(&v("go2.0.0"), &req("^2")));
        assert!(!satisfies(&v("go1.99.0"), &req("^2")));
        assert!(satisfies(&v("go1.21.5"), &req("~1")));
        let zero = |s: &str| Version::parse(s).unwrap();
        assert!(satisfies(&zero("0.0.3"), &req("^0.0.3")));
        assert!(!satisfies(&zero("0.0.4-0"), &req("^0.0.3")));
        assert!(satisfies(&zero("0.3.9"), &req("^0.3")));
        assert!(!satisfies(&zero("0.4.0-rc.1"), &req("^0.3")));
        // No upper bound past u64::MAX.
        assert!(satisfies(
            &Version::new(u64::MAX, 5, 0),
            &req("^18446744073709551615")
        ));
        assert!(satisfies(&Version::new(1, 2, 3), &VersionReq::STAR));
    }
}
