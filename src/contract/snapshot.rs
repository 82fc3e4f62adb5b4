//! Writing and reading `elfgate.contract/v1` documents.
//!
//! Written canonically: files sorted by path, every set sorted, two-space
//! indented JSON with a final newline, no timestamps and no host paths,
//! so the same files give the same bytes wherever and however they were
//! listed, and a change to a committed snapshot reads as a plain diff.
//!
//! Read as hostile input: at most [`MAX_SNAPSHOT_BYTES`], nesting bounded
//! by `serde_json`'s recursion limit, every field type-checked, the schema
//! id and unique paths required. Every error names the file and, for
//! JSON errors, the line and column.

use std::collections::BTreeSet;

use super::extract::canonicalize;
use super::model::{FileContract, SCHEMA, Snapshot};

/// Snapshots larger than this are refused before parsing. A library with
/// 100,000 exports takes about 15 MB.
pub const MAX_SNAPSHOT_BYTES: usize = 256 << 20;

/// Why a snapshot cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{file}: snapshot is {size} bytes, more than the {limit}-byte limit")]
    TooLarge {
        file: String,
        size: usize,
        limit: usize,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: schema is {found:?}, expected {SCHEMA:?}")]
    Schema { file: String, found: String },
    #[error("{file}: path {path:?} appears more than once")]
    Duplicate { file: String, path: String },
    #[error("{file}: path {path:?} is {why}")]
    BadPath {
        file: String,
        path: String,
        why: &'static str,
    },
}

/// A canonical snapshot of `files` (sorted here).
pub fn snapshot(mut files: Vec<FileContract>) -> Snapshot {
    for f in &mut files {
        canonicalize(f);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Snapshot {
        schema: SCHEMA.to_string(),
        files,
    }
}

/// The document's bytes: pretty JSON and a final newline.
pub fn to_json(s: &Snapshot) -> Vec<u8> {
    // Serializing plain structs of strings and numbers cannot fail.
    let mut out = serde_json::to_vec_pretty(s).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Reads a snapshot; `file` names it in errors. The result is canonical
/// (re-sorted), whatever order the document had.
pub fn from_json(file: &str, bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    if bytes.len() > MAX_SNAPSHOT_BYTES {
        return Err(SnapshotError::TooLarge {
            file: file.to_string(),
            size: bytes.len(),
            limit: MAX_SNAPSHOT_BYTES,
        });
    }
    // The schema first, so a document of another kind (an inspect report,
    // a future version) is named as such rather than as a missing field.
    #[derive(serde::Deserialize)]
    struct Head {
        schema: Option<serde_json::Value>,
    }
    let json_err = |e: serde_json::Error| SnapshotError::Json {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: message(&e),
    };
    let head: Head = serde_json::from_slice(bytes).map_err(json_err)?;
    match head.schema {
        Some(serde_json::Value::String(s)) if s == SCHEMA => {}
        other => {
            return Err(SnapshotError::Schema {
                file: file.to_string(),
                found: match other {
                    None => "missing".to_string(),
                    Some(v) => truncate(&v.to_string(), 80),
                },
            });
        }
    }
    let parsed: Snapshot = serde_json::from_slice(bytes).map_err(json_err)?;
    let mut seen = BTreeSet::new();
    for f in &parsed.files {
        let why = if f.path.is_empty() {
            Some("empty")
        } else if f.path.starts_with('/') {
            Some("absolute (paths are relative to a target or root)")
        } else if f
            .path
            .split('/')
            .any(|c| c == ".." || c == "." || c.is_empty())
        {
            Some("not a clean relative path")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(SnapshotError::BadPath {
                file: file.to_string(),
                path: truncate(&f.path, 200),
                why,
            });
        }
        if !seen.insert(f.path.as_str()) {
            return Err(SnapshotError::Duplicate {
                file: file.to_string(),
                path: truncate(&f.path, 200),
            });
        }
    }
    Ok(snapshot(parsed.files))
}

/// serde_json's message without its trailing " at line L column C".
fn message(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(cut) => m.get(..cut).unwrap_or(&m).to_string(),
        None => m,
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", s.get(..at).unwrap_or(s)),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::model::{ElfIdentity, Export};

    fn file(path: &str) -> FileContract {
        FileContract {
            path: path.into(),
            sha256: "00".into(),
            elf: ElfIdentity {
                class: "ELF64".into(),
                endian: "little".into(),
                machine: "x86_64".into(),
                elf_type: "DYN".into(),
            },
            symbols: vec![
                Export {
                    name: "b".into(),
                    kind: "func".into(),
                    binding: "global".into(),
                    default: true,
                    ..Export::default()
                },
                Export {
                    name: "a".into(),
                    kind: "object".into(),
                    binding: "global".into(),
                    default: true,
                    size: Some(4),
                    ..Export::default()
                },
            ],
            ..FileContract::default()
        }
    }

    #[test]
    fn round_trip_is_canonical() {
        let s = snapshot(vec![file("z.so"), file("a/b.so")]);
        assert_eq!(s.files[0].path, "a/b.so");
        assert_eq!(s.files[0].symbols[0].name, "a");
        let bytes = to_json(&s);
        assert!(bytes.ends_with(b"}\n"));
        let back = from_json("s.json", &bytes).unwrap();
        assert_eq!(back, s);
        assert_eq!(to_json(&back), bytes);
        // Another order in the document reads back the same.
        let mut shuffled = s.clone();
        shuffled.files.reverse();
        shuffled.files[0].symbols.reverse();
        let raw = serde_json::to_vec(&shuffled).unwrap();
        assert_eq!(from_json("s.json", &raw).unwrap(), s);
    }

    fn err(text: &str) -> String {
        from_json("s.json", text.as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn hostile_documents_are_located_errors() {
        assert!(err("").starts_with("s.json:1:0: EOF"), "{}", err(""));
        assert!(err("[]").contains("s.json:1:"));
        assert!(err(r#"{"schema": "elfgate.inspect/v1", "files": []}"#).contains("schema is"));
        assert!(err(r#"{"files": []}"#).contains("missing"));
        // Nesting where a file is expected is a type error at once; in a
        // field no reader knows it is skipped without recursion.
        let deep = format!(
            r#"{{"schema": "{SCHEMA}", "files": {}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(err(&deep).contains("invalid type"), "{}", err(&deep));
        let deep = format!(
            r#"{{"schema": "{SCHEMA}", "later": {}{}, "files": []}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(from_json("s.json", deep.as_bytes()).is_ok());
        let wrong = format!(r#"{{"schema": "{SCHEMA}", "files": [{{"path": 7}}]}}"#);
        let e = err(&wrong);
        assert!(
            e.starts_with("s.json:1:") && e.contains("invalid type"),
            "{e}"
        );
        let mut two = snapshot(vec![file("x.so")]);
        two.files.push(file("x.so"));
        let e = from_json("s.json", &serde_json::to_vec(&two).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than once"), "{e}");
        for bad in ["/abs.so", "a/../b.so", "", "a//b"] {
            let s = Snapshot {
                schema: SCHEMA.into(),
                files: vec![file(bad)],
            };
            let e = from_json("s.json", &serde_json::to_vec(&s).unwrap())
                .unwrap_err()
                .to_string();
            assert!(e.contains("path"), "{e}");
        }
        let big = vec![b' '; MAX_SNAPSHOT_BYTES + 1];
        assert!(matches!(
            from_json("s.json", &big),
            Err(SnapshotError::TooLarge { .. })
        ));
    }
}
