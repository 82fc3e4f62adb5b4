//! `file.sha256`: the file is one of the pinned builds.

use serde::Deserialize;

use super::Outcome;
use crate::facts::Report;

/// A pinned SHA-256 digest, lowercase hex. `sha256:` (OCI style) is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Sha256(pub String);

impl Sha256 {
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let hex = t.strip_prefix("sha256:").unwrap_or(t);
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Sha256(hex.to_ascii_lowercase()))
        } else {
            Err(format!("bad SHA-256 digest `{s}`: expected 64 hex digits"))
        }
    }
}

impl TryFrom<String> for Sha256 {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Sha256::parse(&s)
    }
}

pub(crate) fn check_sha256(pins: &[Sha256], report: &Report) -> Outcome {
    let Some(actual) = &report.sha256 else {
        return Outcome::Unknown(format!(
            "cannot compare digests of {}: the SHA-256 was not computed",
            report.path
        ));
    };
    let actual = actual.to_ascii_lowercase();
    if pins.iter().any(|p| p.0 == actual) {
        Outcome::Pass(format!("sha256 {actual} is pinned"))
    } else {
        Outcome::Fail(format!(
            "sha256 {actual} is not one of the {} pinned digest(s)",
            pins.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::tests::{is_fail, is_pass, is_unknown};

    const A: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn pins() {
        let pins = vec![Sha256::parse(&format!("sha256:{}", A.to_uppercase())).unwrap()];
        let mut r = Report {
            sha256: Some(A.into()),
            ..Report::default()
        };
        assert!(is_pass(&check_sha256(&pins, &r)));
        r.sha256 = Some("00".repeat(32));
        assert!(is_fail(&check_sha256(&pins, &r)));
        r.sha256 = None;
        assert!(is_unknown(&check_sha256(&pins, &r)));
        assert!(Sha256::parse("abc").is_err());
        assert!(Sha256::parse(&"g".repeat(64)).is_err());
    }
}
