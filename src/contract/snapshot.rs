//! Writing and reading `elfgate.contract/v1` documents.
//!
//! Written canonically: files sorted by path, every set sorted, JSON
//! indented by two spaces with one line per entry of a list of records (a
//! symbol, a module, a needed file's versions), a final newline, no
//! timestamps and no host paths. The same files give the same bytes
//! wherever and however they were listed, and a change to a committed
//! snapshot reads as a plain diff: one changed symbol, one changed line.
//!
//! Read as hostile input: at most [`MAX_SNAPSHOT_BYTES`], nesting bounded
//! by `serde_json`'s recursion limit, every field type-checked, the schema
//! id and unique paths required. Every error names the file and, for
//! JSON errors, the line and column.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::extract::ExportTable;
use super::extract::canonicalize;
use super::model::{ExportFields, FileContract, SCHEMA, Snapshot};

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

/// The document's bytes (see the module doc) and a final newline.
pub fn to_json(s: &Snapshot) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = write_json(s, &mut out);
    out
}

/// Writes the document (see [`to_json`]) to `w` as it is made.
///
/// A library's symbols are most of a snapshot (tens of thousands of
/// lines): they are written here directly, a block at a time, and the
/// rest by serde_json with [`Layout`]: the document is serialized with
/// each file's symbol list empty, and the lists are written where the
/// empty ones are. The bytes are those serde_json with [`Layout`] writes
/// for the whole document (a test checks it).
pub fn write_json(s: &Snapshot, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    write_json_with(s, w, &|_| None)
}

/// [`write_json`], with the symbols of a file whose `symbols` are empty
/// taken from `table(path)` when it has them: the same bytes as if its
/// records had been made.
pub fn write_json_with(
    s: &Snapshot,
    w: &mut dyn std::io::Write,
    table: &dyn Fn(&str) -> Option<Arc<ExportTable>>,
) -> std::io::Result<()> {
    /// Symbol lines are handed to `w` in blocks of about this size.
    const BLOCK: usize = 64 << 10;
    let shell = Snapshot {
        schema: s.schema.clone(),
        files: s.files.iter().map(without_symbols).collect(),
    };
    let head = serialize(&shell);
    // Raw newlines occur only in the layout (strings escape them), so this
    // line is each file's `symbols` key and nothing else.
    const EMPTY: &[u8] = b"\n      \"symbols\": [],";
    let mut block = Vec::new();
    let mut rest = head.as_slice();
    for f in &s.files {
        let Some(at) = memchr::memmem::find(rest, EMPTY) else {
            break;
        };
        let (before, after) = rest.split_at(at);
        w.write_all(before)?;
        let table = table(&f.path).filter(|t| f.symbols.is_empty() && !t.is_empty());
        let table = table.as_deref();
        if f.symbols.is_empty() && table.is_none() {
            w.write_all(EMPTY)?;
        } else {
            block.extend_from_slice(b"\n      \"symbols\": [");
            match table {
                Some(t) => {
                    w.write_all(&block)?;
                    block.clear();
                    write_table(t, w, TABLE_CHUNK.load(Ordering::Relaxed))?;
                }
                None => {
                    for (i, e) in f.symbols.iter().enumerate() {
                        block.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                        export_line(&mut block, e.fields());
                        if block.len() >= BLOCK {
                            w.write_all(&block)?;
                            block.clear();
                        }
                    }
                }
            }
            block.extend_from_slice(b"\n      ],");
            w.write_all(&block)?;
            block.clear();
        }
        rest = after.get(EMPTY.len()..).unwrap_or_default();
    }
    w.write_all(rest)?;
    w.write_all(b"\n")
}

/// The whole document through serde_json and [`Layout`].
fn serialize(s: &Snapshot) -> Vec<u8> {
    use serde::Serialize;
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Layout::default());
    // Serializing plain structs of strings and numbers into memory cannot fail.
    let _ = s.serialize(&mut ser);
    out
}

/// A file's contract without its symbols (every other field named, so a
/// field added to the model cannot be forgotten here).
fn without_symbols(f: &FileContract) -> FileContract {
    FileContract {
        path: f.path.clone(),
        sha256: f.sha256.clone(),
        elf: f.elf.clone(),
        soname: f.soname.clone(),
        interpreter: f.interpreter.clone(),
        needed: f.needed.clone(),
        rpath: f.rpath.clone(),
        runpath: f.runpath.clone(),
        needed_versions: f.needed_versions.clone(),
        max_glibc: f.max_glibc.clone(),
        properties: f.properties.clone(),
        gnu_build_id: f.gnu_build_id.clone(),
        symbols: Vec::new(),
        cgo_glue: f.cgo_glue.clone(),
        go: f.go.clone(),
    }
}

/// Exports per block of [`write_table`] (about 2,048 lines make 200 KB);
/// tests make it small.
static TABLE_CHUNK: AtomicUsize = AtomicUsize::new(2048);

/// A table's export lines, as [`write_json`] writes records: made two
/// blocks of `chunk` exports at a time, one on each of two threads, then
/// written in order.
fn write_table(t: &ExportTable, w: &mut dyn std::io::Write, chunk: usize) -> std::io::Result<()> {
    let chunk = chunk.max(1);
    let lines = |buf: &mut Vec<u8>, range: std::ops::Range<usize>| {
        buf.clear();
        let mut at = range.start;
        t.each(range, |e| {
            buf.extend_from_slice(if at == 0 { b"\n" } else { b",\n" });
            at += 1;
            export_line(buf, e);
        });
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut start = 0;
    while start < t.len() {
        let mid = start.saturating_add(chunk).min(t.len());
        let end = mid.saturating_add(chunk).min(t.len());
        rayon::join(|| lines(&mut a, start..mid), || lines(&mut b, mid..end));
        w.write_all(&a)?;
        w.write_all(&b)?;
        start = end;
    }
    Ok(())
}

/// One export as [`Layout`] writes a record in a list: one line. Tens of
/// thousands are written per library, so the fixed parts are written as
/// few pieces as possible.
fn export_line(out: &mut Vec<u8>, e: ExportFields<'_>) {
    out.extend_from_slice(b"        {\"name\": ");
    json_str(out, e.name);
    match e.version {
        Some(v) => {
            out.extend_from_slice(b", \"version\": ");
            json_str(out, v);
        }
        None => out.extend_from_slice(b", \"version\": null"),
    }
    out.extend_from_slice(if e.default {
        b", \"default\": true, \"type\": "
    } else {
        b", \"default\": false, \"type\": "
    });
    match e.kind {
        "func" => out.extend_from_slice(b"\"func\", \"binding\": "),
        "object" => out.extend_from_slice(b"\"object\", \"binding\": "),
        kind => {
            json_str(out, kind);
            out.extend_from_slice(b", \"binding\": ");
        }
    }
    match (e.binding, e.size) {
        ("global", None) => out.extend_from_slice(b"\"global\", \"size\": null}"),
        ("weak", None) => out.extend_from_slice(b"\"weak\", \"size\": null}"),
        (binding, size) => {
            json_str(out, binding);
            out.extend_from_slice(b", \"size\": ");
            match size {
                Some(n) => {
                    use std::io::Write;
                    let _ = write!(out, "{n}");
                }
                None => out.extend_from_slice(b"null"),
            }
            out.push(b'}');
        }
    }
}

/// A JSON string as serde_json writes it: `"` and `\` escaped, control
/// characters below 0x20 as `\b`, `\f`, `\n`, `\r`, `\t` or `\u00XX`, the
/// rest as is.
fn json_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if plain(bytes) {
        out.reserve(bytes.len().saturating_add(2));
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    out.push(b'"');
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b if b < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
                out.push(HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0'));
            }
            b => out.push(b),
        }
    }
    out.push(b'"');
}

/// Whether `bytes` need no escape: no `"`, `\` or byte below 0x20.
fn plain(bytes: &[u8]) -> bool {
    use crate::input::swar::{self, below, equal};
    !swar::any(
        bytes,
        |w| below(w, 0x20) | equal(w, b'"') | equal(w, b'\\'),
        |b| b < 0x20 || b == b'"' || b == b'\\',
    )
}

/// serde_json's pretty layout (two spaces), except that a record inside a
/// list inside a file (`files[].symbols[]`, `files[].go.deps[]`, ...) is
/// written on one line.
#[derive(Default)]
struct Layout {
    stack: Vec<Frame>,
}

#[derive(Clone, Copy)]
struct Frame {
    array: bool,
    has_value: bool,
    compact: bool,
}

impl Layout {
    fn compact(&self) -> bool {
        self.stack.last().is_some_and(|f| f.compact)
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, array: bool) -> std::io::Result<()> {
        let arrays = self.stack.iter().filter(|f| f.array).count();
        let compact = self.compact() || (!array && arrays >= 2);
        self.stack.push(Frame {
            array,
            has_value: false,
            compact,
        });
        w.write_all(if array { b"[" } else { b"{" })
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, array: bool) -> std::io::Result<()> {
        if let Some(f) = self.stack.pop()
            && f.has_value
            && !f.compact
        {
            self.newline(w)?;
        }
        w.write_all(if array { b"]" } else { b"}" })
    }

    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.stack.len() {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if self.compact() {
            return w.write_all(if first { b"" } else { b", " });
        }
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn done(&mut self) {
        if let Some(f) = self.stack.last_mut() {
            f.has_value = true;
        }
    }
}

impl serde_json::ser::Formatter for Layout {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, true)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, true)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.done();
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, false)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, false)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.done();
        Ok(())
    }
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

    /// The word-at-a-time test agrees with the byte-at-a-time one for every
    /// byte value at every position of words and tails; escaped strings are
    /// serde_json's.
    #[test]
    fn plain_matches_the_byte_test() {
        let slow = |b: &[u8]| !b.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\');
        for len in [1usize, 7, 8, 9, 16, 23] {
            for at in 0..len {
                for v in 0..=255u8 {
                    let mut b = vec![b'a'; len];
                    if let Some(x) = b.get_mut(at) {
                        *x = v;
                    }
                    assert_eq!(plain(&b), slow(&b), "{b:?}");
                    if let Ok(text) = std::str::from_utf8(&b) {
                        let mut out = Vec::new();
                        json_str(&mut out, text);
                        assert_eq!(out, serde_json::to_vec(text).unwrap_or_default());
                    }
                }
            }
        }
    }

    /// A snapshot written from export tables has the bytes of one written
    /// from records, however the lines are cut into blocks.
    #[test]
    fn tables_write_what_records_write() {
        use crate::contract::extract::{Exports, extract, extract_as};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/bin/");
        let (mut records, mut bare) = (Vec::new(), Vec::new());
        let mut tables = std::collections::HashMap::new();
        for name in ["go127-cshared.so", "libversioned.so", "go127-plugin.so"] {
            let bytes = std::fs::read(format!("{dir}{name}")).unwrap_or_default();
            let r = extract(name, bytes.as_slice()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!r.contract.symbols.is_empty(), "{name}");
            records.push(r.contract);
            let t = extract_as(name, bytes.as_slice(), Exports::Table)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(t.contract.symbols.is_empty(), "{name}");
            tables.insert(name.to_string(), t.table);
            bare.push(t.contract);
        }
        let want = String::from_utf8(to_json(&snapshot(records))).unwrap_or_default();
        let bare = snapshot(bare);
        let lookup = |p: &str| tables.get(p).cloned().flatten();
        for chunk in [1, 2, 3, 7, 2048] {
            TABLE_CHUNK.store(chunk, Ordering::Relaxed);
            let mut out = Vec::new();
            write_json_with(&bare, &mut out, &lookup).unwrap_or_default();
            assert_eq!(
                String::from_utf8(out).unwrap_or_default(),
                want,
                "chunk {chunk}"
            );
        }
        TABLE_CHUNK.store(2048, Ordering::Relaxed);
    }

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
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains(
                "      \"symbols\": [\n        {\"name\": \"a\", \"version\": null, \
                 \"default\": true, \"type\": \"object\", \"binding\": \"global\", \"size\": 4},\n"
            ),
            "{text}"
        );
        assert!(text.contains("\"cgo_glue\": [],"), "{text}");
        assert!(
            text.starts_with("{\n  \"schema\": \"elfgate.contract/v1\",\n  \"files\": [\n    {\n")
        );
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
