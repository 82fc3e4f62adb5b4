//! `inspect` output: the Go part laid out exactly as `go version -m` prints
//! it (so Go users recognise it and goldens can be compared line by line),
//! then ELF facts as further tab-indented `key<TAB>value` lines.

use std::fmt::Write;

use crate::facts::{Document, GoFacts, Module, Report, VersionSource};

/// Text for all reports, one block per file.
pub fn text(reports: &[Report]) -> String {
    let mut out = String::new();
    for r in reports {
        file_text(&mut out, r);
    }
    out
}

/// The JSON document `{"schema": ..., "files": [...]}`, pretty-printed.
pub fn json(reports: &[Report]) -> String {
    let doc = Document {
        schema: crate::facts::SCHEMA.to_string(),
        files: reports.to_vec(),
    };
    // Serializing plain data with string keys cannot fail.
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn file_text(out: &mut String, r: &Report) {
    let _ = writeln!(out, "{}: {}", r.path, headline(r.go.as_ref()));
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
            &format!("symtab={} dynsym={} pclntab={}", s.symtab, s.dynsym, s.pclntab),
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
    let _ = r.size;
    if let Some(h) = &r.sha256 {
        line(out, "sha256", h);
    }
    for w in &r.warnings {
        line(out, "warning", w);
    }
    for e in &r.errors {
        line(out, "error", e);
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
/// without its `go` line, each prefixed with a tab.
fn go_version_m_lines(out: &mut String, go: &GoFacts) {
    if let Some(p) = &go.path {
        let _ = writeln!(out, "\tpath\t{p}");
    }
    if let Some(m) = &go.main {
        module_lines(out, "mod", m);
    }
    for d in &go.deps {
        module_lines(out, "dep", d);
    }
    for s in &go.settings {
        let _ = writeln!(
            out,
            "\tbuild\t{}={}",
            quote_key(&s.key),
            quote_value(&s.value)
        );
    }
}

fn module_lines(out: &mut String, word: &str, m: &Module) {
    match &m.replace {
        // Go prints a replaced module without its sum, then the `=>` line.
        Some(r) => {
            let _ = writeln!(out, "\t{word}\t{}\t{}", m.path, m.version);
            let _ = writeln!(out, "\t=>\t{}\t{}\t{}", r.path, r.version, r.sum);
        }
        None => {
            let _ = writeln!(out, "\t{word}\t{}\t{}\t{}", m.path, m.version, m.sum);
        }
    }
}

/// Go quotes a key that is empty or holds `= \t\r\n"` or a backtick.
fn quote_key(k: &str) -> String {
    if k.is_empty() || k.contains(['=', ' ', '\t', '\r', '\n', '"', '`']) {
        go_quote(k)
    } else {
        k.to_string()
    }
}

/// Go quotes a value that holds a space, `\t\r\n"` or a backtick.
fn quote_value(v: &str) -> String {
    if v.contains([' ', '\t', '\r', '\n', '"', '`']) {
        go_quote(v)
    } else {
        v.to_string()
    }
}

/// `strconv.Quote` for the characters build settings can hold.
fn go_quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            '\x07' => q.push_str("\\a"),
            '\x08' => q.push_str("\\b"),
            '\x0c' => q.push_str("\\f"),
            '\x0b' => q.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(q, "\\x{:02x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
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

    #[test]
    fn quoting_matches_go() {
        assert_eq!(quote_value("-s -w"), "\"-s -w\"");
        assert_eq!(
            quote_value("-X \"main.v=a b\""),
            "\"-X \\\"main.v=a b\\\"\""
        );
        assert_eq!(quote_value("amd64"), "amd64");
        assert_eq!(quote_key("a=b"), "\"a=b\"");
        assert_eq!(quote_key(""), "\"\"");
    }

    #[test]
    fn replaced_dep_prints_like_go() {
        let mut out = String::new();
        let m = Module {
            path: "example.com/dep".into(),
            version: "v1.0.0".into(),
            sum: String::new(),
            replace: Some(Box::new(Module {
                path: "../dep".into(),
                version: "(devel)".into(),
                sum: String::new(),
                replace: None,
            })),
        };
        module_lines(&mut out, "dep", &m);
        assert_eq!(out, "\tdep\texample.com/dep\tv1.0.0\n\t=>\t../dep\t(devel)\t\n");
    }
}
