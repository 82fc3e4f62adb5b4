//! Stand-in for `crate::go::version` (`parse_requirement`, `satisfies`).
//!
//! TODO: replace with `crate::go::version` once it lands; keep the same
//! semantics (Go spellings in requirements, prereleases ordered as Go orders
//! them, every comparator a plain interval under semver precedence).
//!
//! Mapping (shared/reference/elf-go-formats.md §4): `go` prefix optional;
//! `1.N` below 21 is `1.N.0`; `1.N` from 21 is the language version
//! `1.N.0-0`; `1.NrcK` is `1.N.0-rc.K`.

use semver::{Comparator, Op, Prerelease, Version, VersionReq};

/// Reads `>=go1.21.0, <1.24` and the like into a semver requirement whose
/// comparators carry the Go-mapped versions.
pub(crate) fn parse_requirement(req: &str) -> Result<VersionReq, String> {
    if req.trim().is_empty() {
        return Err("version requirement is empty".into());
    }
    let mut comparators = Vec::new();
    for part in req.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("empty comparator in `{req}`"));
        }
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
            .find_map(|(sym, op)| part.strip_prefix(sym).map(|rest| (*op, rest.trim_start())))
            .unwrap_or((Op::Caret, part));
        let v = map_version(text)?;
        comparators.push(Comparator {
            op,
            major: v.major,
            minor: Some(v.minor),
            patch: Some(v.patch),
            pre: v.pre,
        });
    }
    Ok(VersionReq { comparators })
}

fn map_version(text: &str) -> Result<Version, String> {
    let bad = || format!("`{text}` is not a Go version (go1.N, go1.N.P, go1.NrcK)");
    let bare = text.strip_prefix("go").unwrap_or(text);
    let mut parts = bare.splitn(2, '.');
    let major = num(parts.next().unwrap_or("")).ok_or_else(bad)?;
    let Some(rest) = parts.next() else {
        return Ok(Version::new(major, 0, 0));
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (minor_s, tail) = rest.split_at(digits);
    let minor = num(minor_s).ok_or_else(bad)?;
    let mut v = Version::new(major, minor, 0);
    if tail.is_empty() {
        if minor >= 21 {
            v.pre = Prerelease::new("0").map_err(|_| bad())?;
        }
    } else if let Some(patch) = tail.strip_prefix('.') {
        v.patch = num(patch).ok_or_else(bad)?;
    } else {
        let kind_len = tail.bytes().take_while(u8::is_ascii_lowercase).count();
        let (kind, n) = tail.split_at(kind_len);
        if kind.is_empty() {
            return Err(bad());
        }
        let pre = if n.is_empty() {
            kind.to_owned()
        } else {
            format!("{kind}.{}", num(n).ok_or_else(bad)?)
        };
        v.pre = Prerelease::new(&pre).map_err(|_| bad())?;
    }
    Ok(v)
}

/// A decimal without superfluous leading zeros, as Go's `cutInt`.
fn num(s: &str) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

/// Whether `v` meets every comparator of `req`, by Go's ordering.
pub(crate) fn satisfies(v: &Version, req: &VersionReq) -> bool {
    super::go_version::Interval::of_req(req).contains(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(v: &str, req: &str) -> bool {
        satisfies(
            &Version::parse(v).unwrap(),
            &parse_requirement(req).unwrap(),
        )
    }

    #[test]
    fn go_spellings() {
        assert!(sat("1.22.0", ">=go1.22.0"));
        assert!(!sat("1.21.13", ">=1.22"));
        assert!(
            sat("1.22.0-rc.1", ">=1.22"),
            "1.22 is the language version, below rc1"
        );
        assert!(!sat("1.22.0-rc.1", ">=1.22.0"));
        assert!(
            sat("1.22.0-rc.1", ">=1.21.0"),
            "no semver prerelease opt-in"
        );
        assert!(sat("1.20.0", ">=go1.20"), "1.20 means 1.20.0");
        assert!(!sat("1.26.0-rc.1", ">=1.21.0, <1.26"));
        assert!(sat("1.25.9", ">=1.21.0, <1.26"));
        assert!(
            parse_requirement(">=go1.21.3rc1").is_err(),
            "no patch prereleases"
        );
        assert!(parse_requirement("").is_err());
        assert!(parse_requirement(">=banana").is_err());
        assert!(parse_requirement(">=1.021").is_err());
    }
}
