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

/// How the text is dressed: plain for logs and files, coloured status
/// words for a terminal (the caller decides, see `term`). The words and
/// spacing are the same either way.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

/// SGR sequences for the status words.
const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Findings' messages start in one column per file, unless the rule part
/// is longer than this (a long glob should not push every message right).
const ALIGN_MAX: usize = 48;

impl Style {
    /// `word`, coloured when asked.
    fn word(self, out: &mut String, word: &str, color: &str) {
        if self.color {
            let _ = write!(out, "{color}{word}{RESET}");
        } else {
            out.push_str(word);
        }
    }

    fn status(self, out: &mut String, status: Status) {
        match status {
            Status::Pass | Status::UnknownAllowed => self.word(out, "PASS", GREEN),
            Status::Fail => self.word(out, "FAIL", RED),
        }
    }
}

/// What a finding line says before its message: rule, rule set, subject,
/// and the colon.
fn finding_head(f: &Finding) -> String {
    let mut head = f.rule_id.to_string();
    if let Some(rs) = &f.ruleset {
        let _ = write!(head, " [{}]", one_line(rs));
    }
    if let Some(s) = &f.subject {
        let _ = write!(head, " {}", one_line(s));
    }
    if f.status == Status::UnknownAllowed {
        head.push_str(" (unknown, allowed)");
    }
    head.push(':');
    head
}

fn finding_line(out: &mut String, style: Style, path: &str, head: &str, width: usize, f: &Finding) {
    style.status(out, f.status);
    let pad = width.saturating_sub(head.chars().count());
    let _ = writeln!(
        out,
        " {}: {head}{:pad$} {}",
        one_line(path),
        "",
        one_line(&f.message)
    );
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Renders the verdicts as plain text lines.
pub fn render(verdicts: &Verdicts) -> Vec<u8> {
    render_styled(verdicts, Style::default())
}

/// Renders the verdicts as text lines in `style`.
pub fn render_styled(verdicts: &Verdicts, style: Style) -> Vec<u8> {
    render_image_styled(verdicts, style, None)
}

/// [`render`] for files read from an image (`--image`).
pub fn render_image(verdicts: &Verdicts, image: Option<&crate::facts::ImageFacts>) -> Vec<u8> {
    render_image_styled(verdicts, Style::default(), image)
}

/// [`render_styled`] for files read from an image (`--image`).
pub fn render_image_styled(
    verdicts: &Verdicts,
    style: Style,
    image: Option<&crate::facts::ImageFacts>,
) -> Vec<u8> {
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
        let heads: Vec<String> = file.findings.iter().map(finding_head).collect();
        let width = heads
            .iter()
            .map(|h| h.chars().count())
            .filter(|&w| w <= ALIGN_MAX)
            .max()
            .unwrap_or(0);
        for (f, head) in file.findings.iter().zip(&heads) {
            finding_line(&mut out, style, &file.path, head, width, f);
        }
        for n in &file.notes {
            style.word(&mut out, "NOTE", YELLOW);
            let _ = writeln!(out, " {}: {}", one_line(&file.path), one_line(n));
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
            FileStatus::Pass => {
                style.word(&mut out, "PASS", GREEN);
                writeln!(out, " {path}: {} passed", plural(total, "check", "checks"))
            }
            FileStatus::Fail => {
                style.word(&mut out, "FAIL", RED);
                writeln!(
                    out,
                    " {path}: {failed} of {} failed",
                    plural(total, "check", "checks")
                )
            }
            FileStatus::Unreadable => {
                style.word(&mut out, "FAIL", RED);
                writeln!(out, " {path}: unreadable")
            }
        };
    }
    let s = verdicts.summary();
    style.word(&mut out, "SUMMARY", BOLD);
    let word = result_word(verdicts);
    if style.color {
        let color = if word == "pass" { GREEN } else { RED };
        let _ = write!(out, " {color}{word}{RESET}");
    } else {
        let _ = write!(out, " {word}");
    }
    let _ = writeln!(
        out,
        ": {} ({} passed, {} failed, {} unreadable); {} ({} passed, {} failed, {} unknown allowed)",
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
                "PASS /app/ok: file.readable:                       ELF64 little-endian x86_64 EXEC",
                "PASS /app/ok: go.version [go-services] >=go1.22.0: go1.22.3 satisfies",
                "PASS /app/ok: abi.max_isa [go-services] x86-64-v2 (unknown, allowed): cannot determine the GOAMD64 level",
                "PASS /app/ok: 3 checks passed",
                "PASS /app/bad <&\"'>\\n: file.readable:                            ELF64",
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

    /// Colour is the status words only: without the escape sequences the
    /// text is the plain one, byte for byte.
    #[test]
    fn colour_only_dresses_the_words() {
        let plain = render(&sample());
        let colored = render_styled(&sample(), Style { color: true });
        assert!(!plain.contains(&0x1b));
        let text = String::from_utf8(colored).unwrap();
        assert!(text.contains("\x1b[32mPASS\x1b[0m /app/ok:"));
        assert!(text.contains("\x1b[1;31mFAIL\x1b[0m /app/gone: unreadable"));
        let mut stripped = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find('\x1b') {
            stripped.push_str(&rest[..at]);
            rest = &rest[at..];
            let end = rest.find('m').unwrap();
            rest = &rest[end + 1..];
        }
        stripped.push_str(rest);
        assert_eq!(stripped.as_bytes(), plain.as_slice());
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
