//! The Kubernetes termination message (`terminationMessagePath`, read as
//! at most 4096 bytes): what failed, first.
//!
//! ```text
//! elfgate check: fail (exit 1): 1 of 3 files failed, 0 unreadable
//! FAIL /app/server: go.version, symbols.forbidden
//!   /app/server go.version >=go1.22.0: go1.21.5 (from build info) does not satisfy >=go1.22.0
//! PASS /app/sidecar
//! ```
//!
//! Order: summary, unreadable files, failing files with their failing rule
//! ids, the failure messages, then passing files. Output stops as soon as
//! the limit is reached and is cut at a UTF-8 boundary with a marker, so it
//! never exceeds [`LIMIT`] however many files failed.

use std::fmt::Write;

use super::{one_line, result_word};
use crate::policy::{FileStatus, Status, Verdicts, exit_code};

/// Kubernetes truncates termination messages beyond this many bytes.
pub const LIMIT: usize = 4096;

/// Appended when the message was cut.
pub const TRUNCATED: &str = "…(truncated)";

/// Accumulates lines until the limit is passed.
struct Bounded {
    out: String,
    full: bool,
}

impl Bounded {
    fn line(&mut self, line: &str) {
        if self.full {
            return;
        }
        self.out.push_str(line);
        self.out.push('\n');
        if self.out.len() > LIMIT {
            self.full = true;
        }
    }
}

/// Cuts `s` to at most `limit` bytes, marker included, at a char boundary.
pub fn truncate(mut s: String, limit: usize) -> String {
    if s.len() <= limit {
        return s;
    }
    let mut cut = limit.saturating_sub(TRUNCATED.len());
    while cut > 0 && !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    if TRUNCATED.len() <= limit {
        s.push_str(TRUNCATED);
    }
    s
}

/// Renders the termination message, at most [`LIMIT`] bytes.
pub fn render(verdicts: &Verdicts) -> Vec<u8> {
    let s = verdicts.summary();
    let mut b = Bounded {
        out: String::new(),
        full: false,
    };
    b.line(&format!(
        "elfgate check: {} (exit {}): {} of {} files failed, {} unreadable",
        result_word(verdicts),
        exit_code(verdicts),
        s.failed,
        s.files,
        s.unreadable
    ));
    for f in verdicts
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Unreadable)
    {
        let why = f
            .findings
            .iter()
            .find(|x| x.status == Status::Fail)
            .map(|x| x.message.as_str())
            .unwrap_or("unreadable");
        b.line(&format!(
            "UNREADABLE {}: {}",
            one_line(&f.path),
            one_line(why)
        ));
    }
    for f in verdicts
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Fail)
    {
        let mut ids: Vec<&str> = Vec::new();
        for x in f.findings.iter().filter(|x| x.status == Status::Fail) {
            if !ids.contains(&x.rule_id.as_str()) {
                ids.push(x.rule_id.as_str());
            }
        }
        b.line(&format!("FAIL {}: {}", one_line(&f.path), ids.join(", ")));
    }
    for f in verdicts
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Fail)
    {
        for x in f.findings.iter().filter(|x| x.status == Status::Fail) {
            let mut line = format!("  {} {}", one_line(&f.path), x.rule_id);
            if let Some(sub) = &x.subject {
                let _ = write!(line, " {}", one_line(sub));
            }
            let _ = write!(line, ": {}", one_line(&x.message));
            b.line(&line);
        }
    }
    for f in verdicts
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Pass)
    {
        b.line(&format!("PASS {}", one_line(&f.path)));
    }
    truncate(b.out, LIMIT).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{FileVerdict, RuleId};
    use crate::render::tests::{finding, sample};

    #[test]
    fn failures_first() {
        let text = String::from_utf8(render(&sample())).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "elfgate check: unreadable (exit 3): 1 of 3 files failed, 1 unreadable",
                "UNREADABLE /app/gone: cannot read /app/gone: permission denied",
                "FAIL /app/bad <&\"'>\\n: symbols.forbidden",
                "  /app/bad <&\"'>\\n symbols.forbidden *boring*: forbidden symbol present: evil\\u{1}\\nFAIL spoofed & <b>",
                "PASS /app/ok",
            ]
        );
    }

    fn many(n: usize, path: &str) -> Verdicts {
        let files = (0..n)
            .map(|i| {
                FileVerdict::new(
                    format!("{path}{i}"),
                    vec![],
                    vec![],
                    vec![finding(
                        RuleId::GoVersion,
                        Some(">=go1.22"),
                        Status::Fail,
                        "go1.21 does not satisfy >=go1.22 — ünïcödé",
                    )],
                )
            })
            .collect();
        Verdicts { files }
    }

    #[test]
    fn thousands_of_failures_stay_under_the_limit() {
        for n in [1, 10, 100, 5000] {
            for path in ["/app/", "/ä/", "/日本語/", "/x/"] {
                let out = render(&many(n, path));
                assert!(out.len() <= LIMIT, "{n} {path}: {}", out.len());
                let text = String::from_utf8(out).expect("valid UTF-8");
                assert!(text.starts_with("elfgate check: fail (exit 1)"));
                if n >= 100 {
                    assert!(text.ends_with(TRUNCATED), "{n} {path}");
                    assert!(text.contains(&format!("FAIL {path}0: go.version")));
                }
            }
        }
    }

    #[test]
    fn truncation_boundaries() {
        // Every cut position lands on a char boundary and within the limit.
        let s = "é€😀a".repeat(20);
        for limit in 0..s.len() + 2 {
            let t = truncate(s.clone(), limit);
            assert!(t.len() <= limit, "{limit}");
            if limit < s.len() && limit >= TRUNCATED.len() {
                assert!(t.ends_with(TRUNCATED));
            }
        }
        assert_eq!(truncate("short".into(), LIMIT), "short");
        let exact = "a".repeat(LIMIT);
        assert_eq!(truncate(exact.clone(), LIMIT), exact);
        let over = "a".repeat(LIMIT + 1);
        let t = truncate(over, LIMIT);
        assert_eq!(t.len(), LIMIT);
        assert!(t.ends_with(TRUNCATED));
    }

    #[test]
    fn one_huge_message_is_cut() {
        let v = Verdicts {
            files: vec![FileVerdict::new(
                "/app/x".into(),
                vec![],
                vec![],
                vec![finding(
                    RuleId::SymbolsForbidden,
                    None,
                    Status::Fail,
                    &"ж".repeat(10_000),
                )],
            )],
        };
        let out = render(&v);
        assert!(out.len() <= LIMIT);
        assert!(String::from_utf8(out).is_ok());
    }
}
