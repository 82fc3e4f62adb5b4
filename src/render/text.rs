//! Plain text for terminals and `kubectl logs`: one line per finding, one
//! per file, one summary line. Every line starts with a word a log query
//! can key on (`PASS`, `FAIL`, `NOTE`, `SUMMARY`, and `IMAGE` first when
//! the files come from an image); input-derived text is escaped so that a
//! file cannot inject lines. With `--image`, a file's line says its layer:
//! `PASS /app/server (layer 2 of 4): 3 checks passed`.
//!
//! ```text
//! PASS /app/server: go.version [go-services] >=go1.22.0: go1.22.3 (from build info) satisfies >=go1.22.0
//! FAIL /app/server: symbols.forbidden [go-services] *boring*: forbidden symbol present: ...
//! FAIL /app/server: 1 of 2 checks failed
//! SUMMARY fail: 1 file (0 passed, 1 failed, 0 unreadable); 2 checks (1 passed, 1 failed, 0 unknown allowed)
//! ```

use std::fmt::Write;

use super::{one_line, result_word};
use crate::policy::{FileStatus, Finding, Status, Verdicts};

fn finding_line(out: &mut String, path: &str, f: &Finding) {
    let word = match f.status {
        Status::Pass | Status::UnknownAllowed => "PASS",
        Status::Fail => "FAIL",
    };
    let _ = write!(out, "{word} {}: {}", one_line(path), f.rule_id);
    if let Some(rs) = &f.ruleset {
        let _ = write!(out, " [{}]", one_line(rs));
    }
    if let Some(s) = &f.subject {
        let _ = write!(out, " {}", one_line(s));
    }
    if f.status == Status::UnknownAllowed {
        out.push_str(" (unknown, allowed)");
    }
    let _ = writeln!(out, ": {}", one_line(&f.message));
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Renders the verdicts as text lines.
pub fn render(verdicts: &Verdicts) -> Vec<u8> {
    render_image(verdicts, None)
}

/// [`render`] for files read from an image (`--image`).
pub fn render_image(verdicts: &Verdicts, image: Option<&crate::facts::ImageFacts>) -> Vec<u8> {
    let mut out = String::new();
    if let Some(i) = image {
        let _ = writeln!(
            out,
            "IMAGE {} {} {} ({})",
            one_line(&i.reference),
            one_line(&i.digest),
            one_line(&i.platform),
            plural(i.layers, "layer", "layers")
        );
    }
    for file in &verdicts.files {
        for f in &file.findings {
            finding_line(&mut out, &file.path, f);
        }
        for n in &file.notes {
            let _ = writeln!(out, "NOTE {}: {}", one_line(&file.path), one_line(n));
        }
        let total = file.findings.len();
        let failed = file
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .count();
        let mut path = one_line(&file.path);
        if let (Some(l), Some(i)) = (&file.layer, image) {
            path = format!("{path} (layer {} of {})", l.index, i.layers).into();
        }
        let _ = match file.status {
            FileStatus::Pass => writeln!(
                out,
                "PASS {path}: {} passed",
                plural(total, "check", "checks")
            ),
            FileStatus::Fail => writeln!(
                out,
                "FAIL {path}: {failed} of {} failed",
                plural(total, "check", "checks")
            ),
            FileStatus::Unreadable => writeln!(out, "FAIL {path}: unreadable"),
        };
    }
    let s = verdicts.summary();
    let _ = writeln!(
        out,
        "SUMMARY {}: {} ({} passed, {} failed, {} unreadable); {} ({} passed, {} failed, {} unknown allowed)",
        result_word(verdicts),
        plural(s.files, "file", "files"),
        s.passed,
        s.failed,
        s.unreadable,
        plural(
            s.findings_pass + s.findings_fail + s.findings_unknown_allowed,
            "check",
            "checks"
        ),
        s.findings_pass,
        s.findings_fail,
        s.findings_unknown_allowed,
    );
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::sample;

    #[test]
    fn lines() {
        let text = String::from_utf8(render(&sample())).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                "PASS /app/ok: file.readable: ELF64 little-endian x86_64 EXEC",
                "PASS /app/ok: go.version [go-services] >=go1.22.0: go1.22.3 satisfies",
                "PASS /app/ok: abi.max_isa [go-services] x86-64-v2 (unknown, allowed): cannot determine the GOAMD64 level",
                "PASS /app/ok: 3 checks passed",
                "PASS /app/bad <&\"'>\\n: file.readable: ELF64",
                "FAIL /app/bad <&\"'>\\n: symbols.forbidden [go-services] *boring*: forbidden symbol present: evil\\u{1}\\nFAIL spoofed & <b>",
                "FAIL /app/bad <&\"'>\\n: 1 of 2 checks failed",
                "FAIL /app/gone: file.readable: cannot read /app/gone: permission denied",
                "FAIL /app/gone: unreadable",
                "SUMMARY unreadable: 3 files (1 passed, 1 failed, 1 unreadable); 6 checks (3 passed, 2 failed, 1 unknown allowed)",
            ]
        );
    }

    #[test]
    fn no_input_text_starts_a_line() {
        // Every line begins with one of the four words, whatever the input held.
        let text = String::from_utf8(render(&sample())).unwrap();
        for l in text.lines() {
            assert!(
                ["PASS ", "FAIL ", "NOTE ", "SUMMARY "]
                    .iter()
                    .any(|w| l.starts_with(w)),
                "{l}"
            );
        }
    }

    #[test]
    fn notes_are_rendered() {
        let v = Verdicts {
            files: vec![crate::policy::FileVerdict::new(
                "x".into(),
                vec![],
                vec!["no ruleset matches x".into()],
                vec![],
            )],
        };
        let text = String::from_utf8(render(&v)).unwrap();
        assert!(text.contains("NOTE x: no ruleset matches x\n"));
        assert!(text.contains("SUMMARY nothing_checked:"));
    }
}
