//! The accept file: changes a team decided to ship, written down as data
//! instead of muting the tool. `docs/contract.md` is its reference.
//!
//! ```yaml
//! version: 1
//! accept:
//!   - kind: symbol.removed       # a change kind id
//!     subject: "legacy_*"        # glob over the subject (default: any)
//!     path: "lib/*.so*"          # glob over the file path (default: any)
//!     reason: "dropped in 2.0, announced in 1.8"
//! ```
//!
//! Read like the policy: YAML (or JSON) through `serde-saphyr`, unknown
//! keys refused, every value checked while it is read, so an error names
//! its line and column.

use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::diff::Change;
use super::kinds::Kind;

/// Accept files larger than this are refused before parsing.
pub const MAX_ACCEPT_BYTES: usize = 1 << 20;

/// Why an accept file cannot be used (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

/// A validated accept file.
#[derive(Debug, Clone, Default)]
pub struct Accept {
    pub entries: Vec<Entry>,
}

/// One accepted kind of change.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: Kind,
    pub subject: Option<Pattern>,
    pub path: Option<Pattern>,
    pub reason: String,
    /// Line of the entry in its file, for "matched nothing" notes.
    pub line: u64,
}

/// A glob and its text. Subjects are matched whole (`*` crosses `/`, as
/// module paths have them); paths with `*` inside a component and `**`
/// across, as policy paths are.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    matcher: GlobMatcher,
}

impl Pattern {
    fn new(text: &str, separator: bool) -> Result<Self, String> {
        let glob: Glob = GlobBuilder::new(text)
            .literal_separator(separator)
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("bad glob `{text}`: {}", e.kind()))?;
        Ok(Pattern {
            text: text.to_string(),
            matcher: glob.compile_matcher(),
        })
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.matcher.is_match(s)
    }
}

/// A change the accept file covers, with the reason given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    #[serde(flatten)]
    pub change: Change,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(try_from = "String")]
struct KindId(Kind);

impl TryFrom<String> for KindId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Kind::parse(s.trim()).map(KindId).ok_or_else(|| {
            format!(
                "unknown change kind `{s}`: expected one of {}",
                Kind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(try_from = "String")]
struct SubjectGlob(Pattern);

impl TryFrom<String> for SubjectGlob {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Pattern::new(&s, false).map(SubjectGlob)
    }
}

#[derive(Debug, Deserialize)]
#[serde(try_from = "String")]
struct PathGlob(Pattern);

impl TryFrom<String> for PathGlob {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Pattern::new(&s, true).map(PathGlob)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    version: Spanned<u32>,
    accept: Vec<Spanned<EntryDoc>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDoc {
    kind: KindId,
    #[serde(default)]
    subject: Option<SubjectGlob>,
    #[serde(default)]
    path: Option<PathGlob>,
    reason: Spanned<String>,
}

impl Accept {
    /// Reads an accept file; `file` names it in errors.
    pub fn from_yaml(file: &str, text: &str) -> Result<Accept, AcceptError> {
        if text.len() > MAX_ACCEPT_BYTES {
            return Err(AcceptError::Invalid {
                file: file.to_string(),
                message: format!(
                    "accept file is {} bytes, more than the {MAX_ACCEPT_BYTES}-byte limit",
                    text.len()
                ),
            });
        }
        let doc: Doc = serde_saphyr::from_str(text).map_err(|e| yaml_error(file, &e))?;
        let at = |loc: serde_saphyr::Location, message: String| AcceptError::Syntax {
            file: file.to_string(),
            line: loc.line(),
            column: loc.column(),
            message,
        };
        if doc.version.value != 1 {
            return Err(at(
                doc.version.referenced,
                format!(
                    "unsupported accept file version {}: this elfgate reads version 1",
                    doc.version.value
                ),
            ));
        }
        let mut entries = Vec::new();
        for e in doc.accept {
            let line = e.referenced.line();
            let d = e.value;
            if d.reason.value.trim().is_empty() {
                return Err(at(
                    d.reason.referenced,
                    "reason is empty: say why the change is accepted".into(),
                ));
            }
            entries.push(Entry {
                kind: d.kind.0,
                subject: d.subject.map(|s| s.0),
                path: d.path.map(|p| p.0),
                reason: d.reason.value.trim().to_string(),
                line,
            });
        }
        Ok(Accept { entries })
    }

    /// The first entry that covers `c`, with its position.
    pub fn covering(&self, c: &Change) -> Option<(usize, &Entry)> {
        self.entries.iter().enumerate().find(|(_, e)| {
            e.kind == c.kind
                && e.subject.as_ref().is_none_or(|p| p.is_match(&c.subject))
                && e.path.as_ref().is_none_or(|p| p.is_match(&c.path))
        })
    }

    /// Splits changes into those still to judge and those accepted; also
    /// returns the lines of entries that covered nothing (stale decisions).
    pub fn split(&self, changes: Vec<Change>) -> (Vec<Change>, Vec<Accepted>, Vec<u64>) {
        let mut used = vec![false; self.entries.len()];
        let mut kept = Vec::new();
        let mut accepted = Vec::new();
        for c in changes {
            match self.covering(&c) {
                Some((i, e)) => {
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                    accepted.push(Accepted {
                        reason: e.reason.clone(),
                        change: c,
                    });
                }
                None => kept.push(c),
            }
        }
        let unused = self
            .entries
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(e, _)| e.line)
            .collect();
        (kept, accepted, unused)
    }
}

/// The parser's message without its source snippet, at its location.
fn yaml_error(file: &str, e: &serde_saphyr::Error) -> AcceptError {
    match crate::policy::yaml_message(e) {
        (Some(loc), message) => AcceptError::Syntax {
            file: file.to_string(),
            line: loc.line(),
            column: loc.column(),
            message,
        },
        (None, message) => AcceptError::Invalid {
            file: file.to_string(),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: Kind, path: &str, subject: &str) -> Change {
        Change {
            kind,
            class: kind.class(),
            path: path.into(),
            subject: subject.into(),
            old: None,
            new: None,
            message: String::new(),
        }
    }

    #[test]
    fn entries_cover_by_kind_subject_and_path() {
        let a = Accept::from_yaml(
            "a.yaml",
            "version: 1\naccept:\n  - kind: symbol.removed\n    subject: \"legacy_*\"\n    \
             path: \"lib/*.so*\"\n    reason: dropped in 2.0\n  - kind: go.module_downgraded\n    \
             subject: example.com/*\n    reason: \" pinned \"\n  - kind: file.removed\n    \
             reason: stale\n",
        )
        .unwrap();
        assert_eq!(a.entries.len(), 3);
        assert_eq!(a.entries[1].reason, "pinned");
        let (kept, accepted, unused) = a.split(vec![
            change(Kind::SymbolRemoved, "lib/libx.so.1", "legacy_open@@X_1"),
            change(Kind::SymbolRemoved, "lib/sub/libx.so", "legacy_open"),
            change(Kind::SymbolRemoved, "lib/libx.so.1", "open"),
            change(Kind::GoModuleDowngraded, "app", "example.com/a/b"),
        ]);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert_eq!(accepted.len(), 2);
        assert_eq!(accepted[0].reason, "dropped in 2.0");
        assert_eq!(unused, [10]);
        let json = serde_json::to_value(&accepted[0]).unwrap();
        assert_eq!(json["reason"], "dropped in 2.0");
        assert_eq!(json["kind"], "symbol.removed");
    }

    fn err(text: &str) -> String {
        Accept::from_yaml("a.yaml", text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_their_line() {
        for (text, line, needle) in [
            (
                "version: 1\naccept:\n  - kind: symbol.remove\n    reason: x\n",
                3,
                "unknown change kind",
            ),
            (
                "version: 1\naccept:\n  - kind: symbol.removed\n    reason: x\n    subjct: y\n",
                5,
                "subjct",
            ),
            (
                "version: 1\naccept:\n  - kind: symbol.removed\n    path: \"a[\"\n    reason: x\n",
                4,
                "glob",
            ),
            (
                "version: 1\naccept:\n  - kind: symbol.removed\n    reason: \"  \"\n",
                4,
                "reason is empty",
            ),
            ("version: 2\naccept: []\n", 1, "version 2"),
        ] {
            let e = err(text);
            assert!(e.starts_with(&format!("a.yaml:{line}:")), "{e} for\n{text}");
            assert!(e.contains(needle), "{e} lacks {needle}");
        }
        assert!(err("version: 1\naccept:\n  - kind: symbol.removed\n").contains("reason"));
        assert!(err("").contains("a.yaml"));
        assert!(err(&"#".repeat(MAX_ACCEPT_BYTES + 1)).contains("limit"));
        let deep = format!("version: 1\naccept: {}", "[".repeat(200_000));
        assert!(err(&deep).starts_with("a.yaml"));
    }
}
