//! A diff as bytes: text (one line per change), JSON (`elfgate.diff/v1`)
//! and Markdown (a pull-request comment).

use serde::Serialize;

use super::accept::Accepted;
use super::diff::Change;
use super::kinds::Class;

/// The JSON schema id of `elfgate diff --format json`.
pub const DIFF_SCHEMA: &str = "elfgate.diff/v1";

/// What one diff found.
#[derive(Debug, Clone, Copy)]
pub struct DiffReport<'a> {
    /// Changes still to judge (not accepted), sorted.
    pub changes: &'a [Change],
    pub accepted: &'a [Accepted],
    /// The least severe class that fails the diff.
    pub fail_on: Class,
}

/// Counts by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub breaking: usize,
    pub compatible: usize,
    pub info: usize,
    pub accepted: usize,
    /// Whether the diff fails (exit 1) under `--fail-on`.
    pub fails: bool,
}

impl DiffReport<'_> {
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            accepted: self.accepted.len(),
            ..Summary::default()
        };
        for c in self.changes {
            match c.class {
                Class::Breaking => s.breaking += 1,
                Class::Compatible => s.compatible += 1,
                Class::Info => s.info += 1,
            }
        }
        s.fails = self.changes.iter().any(|c| c.class <= self.fail_on);
        s
    }
}

/// One line per change, then a summary line.
pub fn text(r: &DiffReport<'_>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for c in r.changes {
        let _ = writeln!(
            out,
            "{:<10} {}: {} {}: {}",
            c.class.as_str().to_uppercase(),
            c.path,
            c.kind,
            c.subject,
            c.message
        );
    }
    for a in r.accepted {
        let c = &a.change;
        let _ = writeln!(
            out,
            "{:<10} {}: {} {}: {} (accepted: {})",
            "ACCEPTED", c.path, c.kind, c.subject, c.message, a.reason
        );
    }
    let _ = writeln!(out, "{}", summary_line(r));
    out
}

fn summary_line(r: &DiffReport<'_>) -> String {
    let s = r.summary();
    format!(
        "elfgate diff: {} — {} breaking, {} compatible, {} info, {} accepted",
        if s.fails { "FAIL" } else { "PASS" },
        s.breaking,
        s.compatible,
        s.info,
        s.accepted
    )
}

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    changes: &'a [Change],
    accepted: &'a [Accepted],
    summary: Summary,
}

/// The `elfgate.diff/v1` document.
pub fn json(r: &DiffReport<'_>) -> String {
    let doc = Document {
        schema: DIFF_SCHEMA,
        changes: r.changes,
        accepted: r.accepted,
        summary: r.summary(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// A table cell: pipes and line breaks escaped, code in backticks.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn code(s: &Option<String>) -> String {
    match s {
        None => String::new(),
        Some(s) if s.contains('`') => cell(s),
        Some(s) => format!("`{}`", cell(s)),
    }
}

fn table(out: &mut String, changes: &[&Change]) {
    use std::fmt::Write;
    out.push_str(
        "| kind | file | subject | old | new | what |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for c in changes {
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} | {} | {} | {} |",
            c.kind,
            cell(&c.path),
            code(&Some(c.subject.clone())),
            code(&c.old),
            code(&c.new),
            cell(&c.message)
        );
    }
}

/// A Markdown comment: a heading with the verdict, breaking and
/// compatible changes as tables, info changes folded away.
pub fn markdown(r: &DiffReport<'_>) -> String {
    use std::fmt::Write;
    let s = r.summary();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### elfgate diff: {}\n\n{} breaking, {} compatible, {} info, {} accepted.\n",
        if s.fails {
            "fails"
        } else if s.breaking + s.compatible + s.info == 0 {
            "no changes"
        } else {
            "passes"
        },
        s.breaking,
        s.compatible,
        s.info,
        s.accepted
    );
    for (class, title) in [
        (Class::Breaking, "Breaking"),
        (Class::Compatible, "Compatible"),
    ] {
        let of: Vec<&Change> = r.changes.iter().filter(|c| c.class == class).collect();
        if of.is_empty() {
            continue;
        }
        let _ = writeln!(out, "#### {title}\n");
        table(&mut out, &of);
        out.push('\n');
    }
    let info: Vec<&Change> = r
        .changes
        .iter()
        .filter(|c| c.class == Class::Info)
        .collect();
    if !info.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} info changes</summary>\n",
            info.len()
        );
        table(&mut out, &info);
        out.push_str("\n</details>\n\n");
    }
    if !r.accepted.is_empty() {
        out.push_str(
            "#### Accepted\n\n| kind | file | subject | reason |\n| --- | --- | --- | --- |\n",
        );
        for a in r.accepted {
            let c = &a.change;
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {} |",
                c.kind,
                cell(&c.path),
                code(&Some(c.subject.clone())),
                cell(&a.reason)
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::kinds::Kind;

    fn change(kind: Kind, subject: &str) -> Change {
        Change {
            kind,
            class: kind.class(),
            path: "lib|x.so".into(),
            subject: subject.into(),
            old: Some("a`b".into()),
            new: None,
            message: "line\nbreak".into(),
        }
    }

    #[test]
    fn formats() {
        let changes = vec![
            change(Kind::SymbolRemoved, "bar"),
            change(Kind::SymbolAdded, "baz"),
            change(Kind::BuildIdChanged, "gnu"),
        ];
        let r = DiffReport {
            changes: &changes,
            accepted: &[],
            fail_on: Class::Breaking,
        };
        assert!(r.summary().fails);
        let t = text(&r);
        assert!(t.starts_with("BREAKING   lib|x.so: symbol.removed bar: line\nbreak"));
        assert!(t.ends_with("FAIL — 1 breaking, 1 compatible, 1 info, 0 accepted\n"));
        let j: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(j["schema"], DIFF_SCHEMA);
        let first = j["changes"][0].as_object().unwrap();
        let keys: Vec<&str> = first.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["class", "kind", "message", "new", "old", "path", "subject"]
        );
        let m = markdown(&r);
        assert!(
            m.contains("| `symbol.removed` | `lib\\|x.so` | `bar` | a`b |  | line break |"),
            "{m}"
        );
        assert!(m.contains("<details><summary>1 info changes</summary>"));
        let only_info = [change(Kind::BuildIdChanged, "gnu")];
        let r = DiffReport {
            changes: &only_info,
            accepted: &[],
            fail_on: Class::Compatible,
        };
        assert!(!r.summary().fails);
        let r = DiffReport {
            changes: &changes[1..2],
            accepted: &[],
            fail_on: Class::Compatible,
        };
        assert!(r.summary().fails);
    }
}
