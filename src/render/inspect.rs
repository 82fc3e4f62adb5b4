//! `inspect` output: the Go part laid out exactly as `go version -m` prints
//! it (so Go users recognise it and goldens can be compared line by line),
//! then ELF facts as further tab-indented `key<TAB>value` lines.

use std::fmt::Write;
use std::sync::Arc;

use crate::facts::{Document, GoFacts, Report, VersionSource};
use crate::go::modinfo::ModInfo;

/// Text for all reports, one block per file.
pub fn text(reports: &[Report]) -> String {
    text_image(reports, None)
}

/// [`text`], with the image the files came from (`--image`): a first line
/// names it, and each file's line says its layer (`/app/server (layer 2 of 4): ...`).
pub fn text_image(reports: &[Report], image: Option<&crate::facts::ImageFacts>) -> String {
    let mut out = String::new();
    if let Some(i) = image {
        let _ = writeln!(
            out,
            "{}: image {} {}, {} layers",
            i.reference, i.digest, i.platform, i.layers
        );
    }
    for r in reports {
        file_text(&mut out, r, image.map(|i| i.layers));
    }
    out
}

/// The JSON document `{"schema": ..., "files": [...]}`, pretty-printed.
/// Takes the reports (the document holds them) rather than copying them all.
pub fn json(reports: Vec<Report>) -> String {
    json_image(reports, None)
}

/// [`json`], with the image the files came from (`--image`).
pub fn json_image(reports: Vec<Report>, image: Option<crate::facts::ImageFacts>) -> String {
    let doc = Document {
        schema: crate::facts::SCHEMA.to_string(),
        image,
        files: reports,
    };
    // Serializing plain data with string keys cannot fail.
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// [`json`], written to `out` as it is serialized: over a large tree the
/// document is megabytes, and a string of it (grown by doubling) was most
/// of `inspect`'s peak memory.
pub fn json_to(reports: Vec<Report>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    json_image_to(reports, None, out)
}

/// [`json_to`], with the image the files came from (`--image`).
pub fn json_image_to(
    reports: Vec<Report>,
    image: Option<crate::facts::ImageFacts>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let doc = Document {
        schema: crate::facts::SCHEMA.to_string(),
        image,
        files: reports,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// [`text_image`], written to `out` a report at a time as they come.
pub fn text_stream_to(
    reports: &mut dyn Iterator<Item = Arc<Report>>,
    image: Option<&crate::facts::ImageFacts>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut block = String::new();
    if let Some(i) = image {
        let _ = writeln!(
            block,
            "{}: image {} {}, {} layers",
            i.reference, i.digest, i.platform, i.layers
        );
    }
    out.write_all(block.as_bytes())?;
    for r in reports {
        block.clear();
        file_text(&mut block, &r, image.map(|i| i.layers));
        out.write_all(block.as_bytes())?;
    }
    Ok(())
}

/// A report on its way to the output, with its entry of the JSON
/// document when that was made ahead (see [`JsonFile`]).
pub struct Entry {
    pub report: Arc<Report>,
    pub json: Option<JsonFile>,
}

/// One report as an element of the document's `files` array, written
/// exactly as [`json_image_to`] writes it there. The threads that inspect
/// files make these while the walk goes on, so the one thread that writes
/// the document in order only copies bytes: serializing every report on
/// it left the writer behind the walk, finishing alone after it.
#[derive(Debug, Clone)]
pub struct JsonFile(Nested);

impl JsonFile {
    /// `report` as the document holds it (at depth 2); `None` if it cannot
    /// be serialized, and the writer then serializes it in its turn.
    pub fn of(report: &Report) -> Option<JsonFile> {
        nested_json(report, 2).map(JsonFile)
    }
}

/// What [`nested_json`] made: the bytes of `json[at..]`.
#[derive(Debug, Clone)]
struct Nested {
    json: Vec<u8>,
    at: usize,
}

impl Nested {
    fn bytes(&self) -> &[u8] {
        self.json.get(self.at..).unwrap_or_default()
    }
}

/// `value` pretty-printed as it is inside `depth` levels of the document:
/// serialized inside that many one-element arrays, whose brackets and
/// indentation are then cut off again, so every line of it carries the
/// indentation of its depth.
fn nested_json<T: serde::Serialize + ?Sized>(value: &T, depth: usize) -> Option<Nested> {
    struct Nest<'a, T: ?Sized>(&'a T, usize);
    impl<T: serde::Serialize + ?Sized> serde::Serialize for Nest<'_, T> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self.1 {
                0 => self.0.serialize(s),
                d => s.collect_seq(std::iter::once(Nest(self.0, d - 1))),
            }
        }
    }
    let mut out = Vec::with_capacity(4096);
    serde_json::to_writer_pretty(&mut out, &Nest(value, depth)).ok()?;
    // `[`, then per level a newline and that level's indentation; the
    // same in reverse at the end.
    let mut head = Vec::new();
    let mut tail = Vec::new();
    for level in 1..=depth {
        head.push(b'[');
        head.push(b'\n');
        head.extend(std::iter::repeat_n(b' ', 2 * level));
        let mut close = vec![b'\n'];
        close.extend(std::iter::repeat_n(b' ', 2 * (level - 1)));
        close.push(b']');
        tail.splice(0..0, close);
    }
    // Cut off where they are, not copied out.
    if !(out.starts_with(&head) && out.ends_with(&tail) && out.len() >= head.len() + tail.len()) {
        return None;
    }
    out.truncate(out.len() - tail.len());
    Some(Nested {
        json: out,
        at: head.len(),
    })
}

/// [`json_image_to`], taking the reports a file at a time as they come
/// and writing each before the next: the document is the same, byte for
/// byte, but only the report being written is held. Entries made ahead
/// are copied as they are.
pub fn json_stream_to(
    reports: &mut dyn Iterator<Item = Entry>,
    image: Option<&crate::facts::ImageFacts>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let inner = |e: serde_json::Error| std::io::Error::from(e);
    out.write_all(b"{\n  \"schema\": ")?;
    serde_json::to_writer(&mut *out, crate::facts::SCHEMA).map_err(inner)?;
    if let Some(image) = image {
        out.write_all(b",\n  \"image\": ")?;
        let json = nested_json(image, 1)
            .ok_or_else(|| std::io::Error::other("the image facts could not be serialized"))?;
        out.write_all(json.bytes())?;
    }
    out.write_all(b",\n  \"files\": [")?;
    let mut first = true;
    for entry in reports {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        match entry.json.or_else(|| JsonFile::of(&entry.report)) {
            Some(JsonFile(json)) => out.write_all(json.bytes())?,
            None => {
                return Err(std::io::Error::other(format!(
                    "{}: its report could not be serialized",
                    entry.report.path
                )));
            }
        }
    }
    out.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })
}

fn file_text(out: &mut String, r: &Report, layers: Option<usize>) {
    let head = if r.elf.is_none() {
        "could not be read".to_string()
    } else {
        headline(r.go.as_ref())
    };
    match (&r.layer, layers) {
        (Some(l), Some(n)) => {
            let _ = writeln!(out, "{} (layer {} of {n}): {head}", r.path, l.index);
        }
        _ => {
            let _ = writeln!(out, "{}: {head}", r.path);
        }
    }
    if let Some(go) = &r.go {
        go_version_m_lines(out, go);
    }
    if let Some(elf) = &r.elf {
        let mut desc = format!(
            "{} {} {}",
            elf.class,
            if elf.endian == "little" { "LSB" } else { "MSB" },
            elf.machine
        );
        if let Some(a) = &elf.goarch {
            let _ = write!(desc, " (GOARCH {a})");
        }
        let _ = write!(desc, " {}", elf.elf_type);
        if elf.pie {
            desc.push_str(" pie");
        }
        let _ = write!(desc, ", {}", elf.linking);
        if !elf.section_headers {
            desc.push_str(", no section headers");
        }
        line(out, "elf", &desc);
        if let Some(i) = &elf.interpreter {
            line(out, "interp", i);
        }
        for n in &elf.needed {
            line(out, "needed", n);
        }
        if let Some(s) = &elf.soname {
            line(out, "soname", s);
        }
        if !elf.rpath.is_empty() {
            line(out, "rpath", &elf.rpath.join(":"));
        }
        if !elf.runpath.is_empty() {
            line(out, "runpath", &elf.runpath.join(":"));
        }
    }
    if let Some(go) = &r.go {
        line(out, "go", &go_summary(go));
        if let Some(id) = &go.build_id {
            line(out, "go-buildid", id);
        }
    }
    if let Some(id) = &r.gnu_build_id {
        line(out, "gnu-buildid", id);
    }
    let p = &r.properties;
    for (name, v) in [
        ("x86 feature_1_and", &p.x86_feature_1_and),
        ("x86 isa_needed", &p.x86_isa_needed),
        ("x86 isa_used", &p.x86_isa_used),
        ("aarch64 feature_1_and", &p.aarch64_feature_1_and),
    ] {
        if let Some(v) = v {
            line(out, "property", &format!("{name}: {}", v.join(", ")));
        }
    }
    for t in &p.unknown {
        line(out, "property", &format!("unknown type {t:#x}"));
    }
    if r.elf.is_some() {
        let s = &r.symbols;
        line(
            out,
            "symbols",
            &format!(
                "symtab={} dynsym={} pclntab={}",
                s.symtab, s.dynsym, s.pclntab
            ),
        );
    }
    for nv in &r.needed_versions {
        let mut v = format!("{}: {}", nv.file, nv.versions.join(" "));
        if !nv.weak.is_empty() {
            let _ = write!(v, " (weak: {})", nv.weak.join(" "));
        }
        line(out, "verneed", &v);
    }
    if let Some(g) = &r.max_glibc {
        line(out, "glibc", g);
    }
    if let Some(h) = &r.sha256 {
        line(out, "sha256", h);
    }
    for w in &r.warnings {
        line(out, "warning", w);
    }
    for e in &r.errors {
        line(out, "error", e);
    }
    if let Some(load) = &r.load {
        load_lines(out, &r.path, load);
    }
}

/// The load closure as a tree, like `lddtree`: each object under the one
/// that first needed it, with where it was found and how; then problems.
fn load_lines(out: &mut String, path: &str, load: &crate::facts::LoadFacts) {
    let mut head = load.loader.clone();
    if let Some(g) = &load.glibc {
        let _ = write!(head, " {g}");
    }
    if let Some(i) = &load.interpreter {
        let found = i.found.as_deref().unwrap_or("not found");
        let _ = write!(head, ", interpreter {} => {found}", i.path);
    }
    let _ = write!(head, ", cpu {}", load.cpu);
    line(out, "load", &head);
    // Children of each requester, in load order: an object sits under the
    // first object that needed it.
    let mut children: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (k, o) in load.objects.iter().enumerate() {
        let parent = o.needed_by.first().map(String::as_str).unwrap_or(path);
        children.entry(parent).or_default().push(k);
    }
    let mut printed = vec![false; load.objects.len()];
    let mut order: Vec<(usize, usize)> = Vec::new();
    // Depth-first with an explicit stack (a hostile closure cannot
    // overflow the call stack).
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let push_kids =
        |node: &str, depth: usize, stack: &mut Vec<(usize, usize)>, printed: &mut [bool]| {
            if let Some(kids) = children.get(node) {
                for &k in kids.iter().rev() {
                    if let Some(p) = printed.get_mut(k)
                        && !*p
                    {
                        *p = true;
                        stack.push((k, depth));
                    }
                }
            }
        };
    push_kids(path, 0, &mut stack, &mut printed);
    while let Some((k, depth)) = stack.pop() {
        order.push((k, depth));
        if let Some(p) = load.objects.get(k).and_then(|o| o.path.as_deref()) {
            push_kids(p, depth + 1, &mut stack, &mut printed);
        }
    }
    order.extend(
        printed
            .iter()
            .enumerate()
            .filter(|(_, p)| !**p)
            .map(|(k, _)| (k, 0)),
    );
    for (k, depth) in order {
        let Some(o) = load.objects.get(k) else {
            continue;
        };
        let indent = "    ".repeat(depth);
        let text = match (&o.path, &o.via) {
            (Some(p), Some(v)) => format!("{indent}{} => {p} ({v})", o.needed),
            (Some(p), None) => format!("{indent}{} => {p}", o.needed),
            (None, _) => format!("{indent}{} => not found", o.needed),
        };
        line(out, "load", &text);
    }
    for p in &load.problems {
        line(out, "problem", &format!("{}: {}", p.rule, p.message));
    }
    for u in &load.unchecked {
        line(out, "unchecked", &format!("{}: {}", u.rule, u.reason));
    }
    for w in &load.warnings {
        line(out, "load-warning", w);
    }
}

/// What follows `FILE: ` on the first line: the version as `go version`
/// prints it when build info gave it, else the version with where it came from.
fn headline(go: Option<&GoFacts>) -> String {
    let Some(go) = go else {
        return "not a Go binary".to_string();
    };
    match (go.version_source, &go.version, &go.range) {
        (Some(VersionSource::Buildinfo), Some(v), _) => v.clone(),
        (Some(src), Some(v), _) => format!("{v} (from {}{})", source_name(src), inferred(src)),
        (Some(src), None, Some(range)) => {
            format!("go {range} (from {}{})", source_name(src), inferred(src))
        }
        _ => "Go binary, version unknown".to_string(),
    }
}

fn inferred(src: VersionSource) -> &'static str {
    if src.is_exact() { "" } else { ", inferred" }
}

fn source_name(src: VersionSource) -> &'static str {
    match src {
        VersionSource::Buildinfo => "build info",
        VersionSource::Symbol => "runtime.buildVersion",
        VersionSource::Dwarf => "DWARF producer",
        VersionSource::GccgoRelease => "gccgo release",
        VersionSource::Pclntab => "pclntab magic",
        VersionSource::StringScan => "string scan",
    }
}

/// The lines `go version -m` prints after the first: `BuildInfo.String()`
/// without its `go` line, each prefixed with a tab (empty lines included,
/// such as the one Go's formatter leaves after a `=>` line).
fn go_version_m_lines(out: &mut String, go: &GoFacts) {
    let mi = ModInfo {
        path: go.path.clone().unwrap_or_default(),
        main: go.main.clone(),
        deps: go.deps.clone(),
        settings: go.settings.clone(),
    };
    let text = mi.to_go_string();
    let text = text.trim_end_matches('\n');
    if text.is_empty() {
        return;
    }
    for l in text.split('\n') {
        let _ = writeln!(out, "\t{l}");
    }
}

fn go_summary(go: &GoFacts) -> String {
    let mut s = String::new();
    if let Some(src) = go.version_source {
        let _ = write!(s, "source={} ", source_name(src).replace(' ', "-"));
    }
    s.push_str(if go.exact { "exact" } else { "inferred" });
    if let Some(v) = &go.semver {
        let _ = write!(s, " semver={v}");
    }
    if let Some(r) = &go.range {
        let _ = write!(s, " range={r}");
    }
    let opt = |b: Option<bool>| match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    if let Some(c) = &go.compiler {
        let _ = write!(s, " compiler={c}");
    }
    let _ = write!(s, " cgo={} fips={}", opt(go.cgo), opt(go.fips));
    if let Some(b) = &go.buildmode {
        let _ = write!(s, " buildmode={b}");
    }
    if let Some(l) = &go.arch_level {
        let _ = write!(s, " {}={}", l.key, l.value);
    }
    if !go.experiments.is_empty() {
        let _ = write!(s, " experiments={}", go.experiments.join(","));
    }
    s
}

fn line(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "\t{key}\t{value}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{ImageFacts, LayerRef};

    fn reports() -> Vec<Report> {
        let mut go = Report {
            path: "/app/server".into(),
            size: 42,
            errors: vec!["bad".into()],
            layer: Some(LayerRef {
                index: 2,
                diff_id: "sha256:ab".into(),
            }),
            ..Report::default()
        };
        go.warnings.push("odd".into());
        vec![go, Report::default()]
    }

    /// Written as they come, the documents are those written at once.
    #[test]
    fn streamed_output_is_the_collected_output() {
        let image = ImageFacts {
            reference: "oci:/i:v1".into(),
            layers: 3,
            ..ImageFacts::default()
        };
        for image in [None, Some(image)] {
            for files in [Vec::new(), reports()] {
                let mut want = Vec::new();
                json_image_to(files.clone(), image.clone(), &mut want).unwrap();
                // Entries made ahead, written in turn, and a mix.
                for ahead in [0, 1, 2] {
                    let mut got = Vec::new();
                    let mut it = files.iter().cloned().enumerate().map(|(k, r)| Entry {
                        json: (ahead == 1 || (ahead == 2 && k % 2 == 0))
                            .then(|| JsonFile::of(&r).unwrap()),
                        report: Arc::new(r),
                    });
                    json_stream_to(&mut it, image.as_ref(), &mut got).unwrap();
                    assert_eq!(
                        String::from_utf8(got).unwrap(),
                        String::from_utf8(want.clone()).unwrap()
                    );
                }
                let mut got = Vec::new();
                let mut it = files.iter().cloned().map(Arc::new);
                text_stream_to(&mut it, image.as_ref(), &mut got).unwrap();
                let want = text_image(&files, image.as_ref());
                assert_eq!(String::from_utf8(got).unwrap(), want);
            }
        }
    }
}
