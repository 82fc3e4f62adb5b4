//! `--format junit`: JUnit XML for CI test reports.
//!
//! One `<testsuite>` per target file (name = path), one `<testcase>` per
//! finding: `classname` = path, `name` = rule id, followed by the subject
//! when the rule takes a list (`symbols.required runtime.mallocgc`). A
//! failed rule is a `<failure>`, an unreadable file an `<error>`, an
//! unknown-but-allowed fact a `<skipped>`. Notes go to `<system-out>`.
//!
//! XML 1.0 cannot carry most control characters even as references, so
//! those are written as `\u{..}` text; `\t`, `\n` and `\r` in attributes
//! become character references so that attribute normalization keeps them.

use std::fmt::Write;

use crate::policy::{FileStatus, RuleId, Status, Verdicts};

/// Escapes text for XML 1.0 element content or a double- or single-quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            // Not XML 1.0 `Char`: no way to carry them, so spell them out.
            c if (c < '\u{20}') || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Renders the verdicts as a JUnit XML document.
pub fn render(verdicts: &Verdicts) -> Vec<u8> {
    let s = verdicts.summary();
    let total = s.findings_pass + s.findings_fail + s.findings_unknown_allowed;
    let errors = count(verdicts, |id, st| {
        id == RuleId::FileReadable && st == Status::Fail
    });
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"elfgate check\" tests=\"{total}\" failures=\"{}\" errors=\"{errors}\" skipped=\"{}\">",
        s.findings_fail.saturating_sub(errors),
        s.findings_unknown_allowed
    );
    for file in &verdicts.files {
        let path = escape(&file.path);
        let n = |want: Status| file.findings.iter().filter(|f| f.status == want).count();
        let file_errors = usize::from(file.status == FileStatus::Unreadable);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{path}\" tests=\"{}\" failures=\"{}\" errors=\"{file_errors}\" skipped=\"{}\">",
            file.findings.len(),
            n(Status::Fail).saturating_sub(file_errors),
            n(Status::UnknownAllowed)
        );
        for f in &file.findings {
            let mut name = f.rule_id.as_str().to_owned();
            if let Some(sub) = &f.subject {
                name.push(' ');
                name.push_str(sub);
            }
            let mut message = f.message.clone();
            if let Some(rs) = &f.ruleset {
                message = format!("[{rs}] {message}");
            }
            let message = escape(&message);
            let _ = write!(
                out,
                "    <testcase classname=\"{path}\" name=\"{}\"",
                escape(&name)
            );
            match f.status {
                Status::Pass => out.push_str("/>\n"),
                Status::UnknownAllowed => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{message}\"/>\n    </testcase>"
                    );
                }
                Status::Fail => {
                    let tag = if f.rule_id == RuleId::FileReadable {
                        "error"
                    } else {
                        "failure"
                    };
                    let _ = writeln!(
                        out,
                        ">\n      <{tag} message=\"{message}\" type=\"{}\">{message}</{tag}>\n    </testcase>",
                        f.rule_id
                    );
                }
            }
        }
        if !file.notes.is_empty() {
            let _ = writeln!(
                out,
                "    <system-out>{}</system-out>",
                escape(&file.notes.join("\n"))
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out.into_bytes()
}

fn count(v: &Verdicts, pred: impl Fn(RuleId, Status) -> bool) -> usize {
    v.files
        .iter()
        .flat_map(|f| &f.findings)
        .filter(|f| pred(f.rule_id, f.status))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::sample;

    #[test]
    fn escaping() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(escape("x\ty\nz\r"), "x&#9;y&#10;z&#13;");
        assert_eq!(escape("\u{0}\u{1b}\u{fffe}é"), "\\u{0}\\u{1b}\\u{fffe}é");
    }

    #[test]
    fn document() {
        let xml = String::from_utf8(render(&sample())).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"elfgate check\" tests=\"6\" failures=\"1\" errors=\"1\" skipped=\"1\">"), "{xml}");
        assert!(xml.contains(
            "<testsuite name=\"/app/ok\" tests=\"3\" failures=\"0\" errors=\"0\" skipped=\"1\">"
        ));
        assert!(
            xml.contains("<testcase classname=\"/app/ok\" name=\"go.version &gt;=go1.22.0\"/>")
        );
        assert!(
            xml.contains("<skipped message=\"[go-services] cannot determine the GOAMD64 level\"/>")
        );
        assert!(xml.contains("<testsuite name=\"/app/bad &lt;&amp;&quot;&apos;&gt;&#10;\""));
        assert!(xml.contains(
            "<failure message=\"[go-services] forbidden symbol present: evil\\u{1}&#10;FAIL spoofed &amp; &lt;b&gt;\" type=\"symbols.forbidden\">"
        ));
        assert!(xml.contains(
            "<error message=\"cannot read /app/gone: permission denied\" type=\"file.readable\">"
        ));
        assert!(xml.ends_with("</testsuites>\n"));
        // Nothing outside XML 1.0 Char survives.
        assert!(
            !xml.chars()
                .any(|c| c < '\u{20}' && !matches!(c, '\n' | '\t' | '\r'))
        );
    }

    #[test]
    fn balanced_tags() {
        let xml = String::from_utf8(render(&sample())).unwrap();
        for tag in ["testsuites", "testsuite"] {
            let open = xml.matches(&format!("<{tag} ")).count();
            let close = xml.matches(&format!("</{tag}>")).count();
            assert_eq!(open, close, "{tag}");
        }
    }
}
