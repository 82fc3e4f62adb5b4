//! Rendering: facts and verdicts to bytes, one file per format. No I/O here; the CLI
//! writes the bytes where they belong (stdout, a file, the termination log).
//!
//! Everything derived from the input (paths, symbol names, versions) may
//! hold control characters; each format escapes them its own way so that a
//! hostile file cannot forge output lines or break a document.

pub mod inspect;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod termination;
pub mod text;

use std::borrow::Cow;

use crate::policy::Verdicts;
use crate::policy::exit_code;

/// Who produced the report, for SARIF `tool.driver` and the JSON `tool`.
#[derive(Debug, Clone, Copy)]
pub struct ToolInfo<'a> {
    pub name: &'a str,
    pub version: &'a str,
    /// SARIF `informationUri`; omitted when `None`.
    pub information_uri: Option<&'a str>,
}

impl Default for ToolInfo<'static> {
    /// This build: the crate's version, and its repository (or homepage)
    /// from Cargo.toml when one is set.
    fn default() -> Self {
        let uri = [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
            .into_iter()
            .find(|u| !u.is_empty());
        ToolInfo {
            name: "elfgate",
            version: env!("CARGO_PKG_VERSION"),
            information_uri: uri,
        }
    }
}

/// The run's overall result as a word; it follows [`exit_code`].
pub fn result_word(verdicts: &Verdicts) -> &'static str {
    match exit_code(verdicts) {
        0 => "pass",
        1 => "fail",
        3 => "unreadable",
        _ => "nothing_checked",
    }
}

/// Makes text safe for one line of a log: controls and `\` are escaped.
pub(crate) fn one_line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || c == '\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::policy::{FileVerdict, Finding, RuleId, Status};

    pub(crate) fn finding(
        rule_id: RuleId,
        subject: Option<&str>,
        status: Status,
        message: &str,
    ) -> Finding {
        Finding {
            rule_id,
            ruleset: (rule_id != RuleId::FileReadable).then(|| "go-services".to_owned()),
            subject: subject.map(str::to_owned),
            status,
            message: message.to_owned(),
        }
    }

    /// A pass, a fail (with hostile text), an unreadable file.
    pub(crate) fn sample() -> Verdicts {
        let ok = FileVerdict::new(
            "/app/ok".into(),
            vec!["go-services".into()],
            vec![],
            vec![
                finding(
                    RuleId::FileReadable,
                    None,
                    Status::Pass,
                    "ELF64 little-endian x86_64 EXEC",
                ),
                finding(
                    RuleId::GoVersion,
                    Some(">=go1.22.0"),
                    Status::Pass,
                    "go1.22.3 satisfies",
                ),
                finding(
                    RuleId::AbiMaxIsa,
                    Some("x86-64-v2"),
                    Status::UnknownAllowed,
                    "cannot determine the GOAMD64 level",
                ),
            ],
        );
        let bad = FileVerdict::new(
            "/app/bad <&\"'>\n".into(),
            vec!["go-services".into()],
            vec![],
            vec![
                finding(RuleId::FileReadable, None, Status::Pass, "ELF64"),
                finding(
                    RuleId::SymbolsForbidden,
                    Some("*boring*"),
                    Status::Fail,
                    "forbidden symbol present: evil\u{1}\nFAIL spoofed & <b>",
                ),
            ],
        );
        let gone = FileVerdict::unreadable("/app/gone", "permission denied");
        Verdicts {
            files: vec![ok, bad, gone],
        }
    }

    #[test]
    fn one_line_escapes_controls() {
        assert_eq!(one_line("a\nb\\c\u{7}é"), "a\\nb\\\\c\\u{7}é");
        assert!(matches!(one_line("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn result_word_follows_exit_code() {
        assert_eq!(result_word(&sample()), "unreadable");
        assert_eq!(result_word(&Verdicts::default()), "nothing_checked");
    }
}
