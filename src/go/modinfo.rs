//! The module-info text (`runtime.modinfo`): the exact inverse of Go's
//! `runtime/debug.(*BuildInfo).String`, read by the rules of
//! `runtime/debug.ParseBuildInfo` (`src/runtime/debug/mod.go`); see
//! `shared/reference/elf-go-formats.md` §2.
//!
//! ```text
//! <16-byte infoStart>                 framing added by cmd/go (modload.ModInfoData)
//! path\t<main package>\n
//! mod\t<path>\t<version>\t<sum>\n     main module; sum may be empty (trailing tab)
//! dep\t<path>\t<version>\t<sum>\n
//! dep\t<path>\t<version>\n            a replaced module has no sum column ...
//! =>\t<path>\t<version>\t<sum>\n      ... and its replacement follows,
//! \n                                  then an empty line (formatter quirk)
//! build\t<key>=<value>\n              key/value strconv.Quote'd when needed
//! <16-byte infoEnd>
//! ```
//!
//! Lines end with `\n`; a last line without one is dropped, unknown lines
//! (`go\t...`, empty lines) are skipped, and errors name the 1-based line.

use serde::Serialize;
use thiserror::Error;

/// `cmd/go/internal/modload.infoStart`, the 16 bytes before the text.
pub const INFO_START: [u8; 16] = [
    0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6,
];
/// `cmd/go/internal/modload.infoEnd`, the 16 bytes after the text.
pub const INFO_END: [u8; 16] = [
    0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2,
];

/// Errors from [`parse`]; the line is 1-based, as in Go's messages.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModinfoError {
    #[error("modinfo line {line}: expected 2 or 3 columns; got {got}")]
    ModuleColumns { line: usize, got: usize },
    #[error("modinfo line {line}: expected 3 columns for replacement; got {got}")]
    ReplacementColumns { line: usize, got: usize },
    #[error("modinfo line {line}: replacement with no module on previous line")]
    ReplacementWithoutModule { line: usize },
    #[error("modinfo line {line}: build line missing '='")]
    BuildMissingEquals { line: usize },
    #[error("modinfo line {line}: build line with missing key")]
    BuildMissingKey { line: usize },
    #[error("modinfo line {line}: invalid quoted key in build line")]
    InvalidQuotedKey { line: usize },
    #[error("modinfo line {line}: build line missing '=' after quoted key")]
    MissingEqualsAfterQuotedKey { line: usize },
    #[error("modinfo line {line}: unexpected character after quoted key: {found:?}")]
    UnexpectedAfterQuotedKey { line: usize, found: char },
    #[error("modinfo line {line}: build line missing '=' after key")]
    MissingEqualsAfterKey { line: usize },
    #[error("modinfo line {line}: unquoted key {key:?} must be quoted")]
    UnquotedKey { line: usize, key: String },
    #[error("modinfo line {line}: invalid quoted value in build line")]
    InvalidQuotedValue { line: usize },
    #[error("modinfo line {line}: unquoted value {value:?} must be quoted")]
    UnquotedValue { line: usize, value: String },
    /// Go accepts `\xff`-style escapes that decode to invalid UTF-8; we keep
    /// text as `String` and refuse rather than convert lossily.
    #[error("modinfo line {line}: quoted build {field} decodes to invalid UTF-8")]
    NonUtf8 { line: usize, field: &'static str },
}

/// The decoded text: `runtime/debug.BuildInfo` without `GoVersion`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModInfo {
    pub path: String,
    /// The `mod` line; `None` when there is none (GOPATH-style builds).
    pub main: Option<Module>,
    pub deps: Vec<Module>,
    pub settings: Vec<Setting>,
}

/// `runtime/debug.Module`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Module {
    pub path: String,
    pub version: String,
    pub sum: String,
    pub replace: Option<Box<Module>>,
}

/// `runtime/debug.BuildSetting`, unquoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub key: String,
    pub value: String,
}

/// Removes the 16-byte sentinels around the text, by Go's rule
/// (`debug/buildinfo.readRawBuildInfo`): only if `len >= 33` and the byte
/// just before `infoEnd` is `\n`. The sentinel bytes themselves are not
/// compared, as in Go. `None` is what Go reads as "" (no module info).
pub fn strip_sentinels(raw: &[u8]) -> Option<&[u8]> {
    let len = raw.len();
    if len < 33 || raw.get(len - 17) != Some(&b'\n') {
        return None;
    }
    raw.get(16..len - 16)
}

/// `strconv.Quote` would be applied to this key (`mod.go, quoteKey`).
fn needs_quoted_key(key: &str) -> bool {
    key.is_empty() || key.contains(['=', ' ', '\t', '\r', '\n', '"', '`'])
}

/// `strconv.Quote` would be applied to this value (`mod.go, quoteValue`).
fn needs_quoted_value(value: &str) -> bool {
    value.contains([' ', '\t', '\r', '\n', '"', '`'])
}

/// Where a `=>` line would attach (Go's `last` pointer). Only a `=>` line
/// resets it; `build` or unknown lines in between do not.
#[derive(Clone, Copy)]
enum Last {
    None,
    Main,
    Dep(usize),
}

/// Parses the text (sentinels already removed) as `ParseBuildInfo` does.
pub fn parse(text: &str) -> Result<ModInfo, ModinfoError> {
    let mut info = ModInfo::default();
    let mut last = Last::None;
    let mut rest = text;
    let mut line_no = 1usize;
    // Each pass consumes at least the '\n', so this ends.
    while let Some((line, tail)) = rest.split_once('\n') {
        rest = tail;
        if let Some(p) = line.strip_prefix("path\t") {
            info.path = p.to_owned();
        } else if let Some(cols) = line.strip_prefix("mod\t") {
            info.main = Some(module_line(cols, line_no)?);
            last = Last::Main;
        } else if let Some(cols) = line.strip_prefix("dep\t") {
            info.deps.push(module_line(cols, line_no)?);
            last = Last::Dep(info.deps.len() - 1);
        } else if let Some(cols) = line.strip_prefix("=>\t") {
            let elem: Vec<&str> = cols.split('\t').collect();
            let [path, version, sum] = elem.as_slice() else {
                return Err(ModinfoError::ReplacementColumns {
                    line: line_no,
                    got: elem.len(),
                });
            };
            let target = match last {
                Last::None => None,
                Last::Main => info.main.as_mut(),
                Last::Dep(i) => info.deps.get_mut(i),
            };
            let Some(target) = target else {
                return Err(ModinfoError::ReplacementWithoutModule { line: line_no });
            };
            target.replace = Some(Box::new(Module {
                path: (*path).to_owned(),
                version: (*version).to_owned(),
                sum: (*sum).to_owned(),
                replace: None,
            }));
            last = Last::None;
        } else if let Some(kv) = line.strip_prefix("build\t") {
            info.settings.push(build_line(kv, line_no)?);
        }
        line_no += 1;
    }
    Ok(info)
}

fn module_line(cols: &str, line: usize) -> Result<Module, ModinfoError> {
    let elem: Vec<&str> = cols.split('\t').collect();
    let (path, version, sum) = match elem.as_slice() {
        [p, v] => (*p, *v, ""),
        [p, v, s] => (*p, *v, *s),
        _ => {
            return Err(ModinfoError::ModuleColumns {
                line,
                got: elem.len(),
            });
        }
    };
    Ok(Module {
        path: path.to_owned(),
        version: version.to_owned(),
        sum: sum.to_owned(),
        replace: None,
    })
}

fn build_line(kv: &str, line: usize) -> Result<Setting, ModinfoError> {
    let (key, raw_value) = match kv.as_bytes().first() {
        None => return Err(ModinfoError::BuildMissingEquals { line }),
        Some(b'=') => return Err(ModinfoError::BuildMissingKey { line }),
        Some(b'`' | b'"') => {
            let (key, used) = unquote_prefix(kv).ok_or(ModinfoError::InvalidQuotedKey { line })?;
            let after = kv.get(used..).unwrap_or("");
            match after.chars().next() {
                None => return Err(ModinfoError::MissingEqualsAfterQuotedKey { line }),
                Some('=') => {}
                Some(found) => return Err(ModinfoError::UnexpectedAfterQuotedKey { line, found }),
            }
            let key =
                String::from_utf8(key).map_err(|_| ModinfoError::NonUtf8 { line, field: "key" })?;
            (key, after.get(1..).unwrap_or(""))
        }
        Some(_) => {
            let (key, value) = kv
                .split_once('=')
                .ok_or(ModinfoError::MissingEqualsAfterKey { line })?;
            if needs_quoted_key(key) {
                return Err(ModinfoError::UnquotedKey {
                    line,
                    key: key.to_owned(),
                });
            }
            (key.to_owned(), value)
        }
    };
    let value = match raw_value.as_bytes().first() {
        Some(b'`' | b'"') => {
            let value = match unquote_prefix(raw_value) {
                Some((v, used)) if used == raw_value.len() => v,
                _ => return Err(ModinfoError::InvalidQuotedValue { line }),
            };
            String::from_utf8(value).map_err(|_| ModinfoError::NonUtf8 {
                line,
                field: "value",
            })?
        }
        _ if needs_quoted_value(raw_value) => {
            return Err(ModinfoError::UnquotedValue {
                line,
                value: raw_value.to_owned(),
            });
        }
        _ => raw_value.to_owned(),
    };
    Ok(Setting { key, value })
}

/// The Go string literal (`"..."` or `` `...` ``) at the start of `s`, as
/// `strconv.QuotedPrefix` finds it and `strconv.Unquote` decodes it: the
/// decoded bytes (escapes such as `\xff` may make them invalid UTF-8) and
/// how many bytes of `s` the literal spans. `None` for a syntax error.
fn unquote_prefix(s: &str) -> Option<(Vec<u8>, usize)> {
    let b = s.as_bytes();
    match b.first()? {
        b'`' => {
            // Raw string: up to the next backquote; '\r' is discarded.
            let end = b.get(1..)?.iter().position(|&c| c == b'`')? + 1;
            let body = b.get(1..end)?;
            Some((
                body.iter().copied().filter(|&c| c != b'\r').collect(),
                end + 1,
            ))
        }
        b'"' => {
            let mut out = Vec::new();
            let mut i = 1;
            loop {
                match *b.get(i)? {
                    b'"' => return Some((out, i + 1)),
                    b'\n' => return None,
                    b'\\' => i = unescape(b, i + 1, &mut out)?,
                    c => {
                        // Bytes of multi-byte characters are copied as they
                        // are, which equals Go's decode-then-append for
                        // valid UTF-8 (all a &str can hold).
                        out.push(c);
                        i += 1;
                    }
                }
            }
        }
        _ => None,
    }
}

/// One escape of a double-quoted literal (`strconv.UnquoteChar`), `at` being
/// just after the backslash. Returns the index after the escape.
fn unescape(b: &[u8], at: usize, out: &mut Vec<u8>) -> Option<usize> {
    let c = *b.get(at)?;
    let simple = match c {
        b'a' => Some(0x07),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        b'v' => Some(0x0b),
        b'\\' => Some(b'\\'),
        b'"' => Some(b'"'),
        _ => None,
    };
    if let Some(byte) = simple {
        out.push(byte);
        return Some(at + 1);
    }
    match c {
        b'x' | b'u' | b'U' => {
            let n = match c {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = b.get(at + 1..at + 1 + n)?;
            let mut v: u32 = 0;
            for &d in digits {
                v = (v << 4) | char::from(d).to_digit(16)?;
            }
            if c == b'x' {
                // A single byte, possibly not UTF-8.
                out.push(u8::try_from(v).ok()?);
            } else {
                // char::from_u32 rejects surrogates and > U+10FFFF, like
                // utf8.ValidRune.
                let ch = char::from_u32(v)?;
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
            }
            Some(at + 1 + n)
        }
        b'0'..=b'7' => {
            let digits = b.get(at..at + 3)?;
            let mut v: u32 = 0;
            for &d in digits {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                v = (v << 3) | u32::from(d - b'0');
            }
            out.push(u8::try_from(v).ok()?);
            Some(at + 3)
        }
        // Includes '\'' (only valid inside a single-quoted literal).
        _ => None,
    }
}

impl ModInfo {
    /// The value of a build setting; the last line wins if a key repeats
    /// (cmd/go writes each key once).
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .rev()
            .find(|s| s.key == key)
            .map(|s| s.value.as_str())
    }

    /// The text in the layout of Go's `BuildInfo.String` (without its
    /// `go\t` line, which is not part of modinfo), so `parse` of this
    /// output gives `self` back. Unlike Go, a present but all-empty `main`
    /// is still written, so that the round trip is exact.
    pub fn to_go_string(&self) -> String {
        let mut out = String::new();
        if !self.path.is_empty() {
            out.push_str("path\t");
            out.push_str(&self.path);
            out.push('\n');
        }
        if let Some(main) = &self.main {
            format_module(&mut out, "mod", main);
        }
        for dep in &self.deps {
            format_module(&mut out, "dep", dep);
        }
        for s in &self.settings {
            out.push_str("build\t");
            if needs_quoted_key(&s.key) {
                out.push_str(&go_quote(&s.key));
            } else {
                out.push_str(&s.key);
            }
            out.push('=');
            if needs_quoted_value(&s.value) {
                out.push_str(&go_quote(&s.value));
            } else {
                out.push_str(&s.value);
            }
            out.push('\n');
        }
        out
    }
}

/// `formatMod` in `BuildInfo.String`; replacements recurse as in Go.
fn format_module(out: &mut String, word: &str, m: &Module) {
    // Replacement chains are at most one deep from `parse`; the recursion
    // is bounded by the structure the caller built.
    out.push_str(word);
    out.push('\t');
    out.push_str(&m.path);
    out.push('\t');
    out.push_str(&m.version);
    match &m.replace {
        None => {
            out.push('\t');
            out.push_str(&m.sum);
        }
        Some(r) => {
            out.push('\n');
            format_module(out, "=>", r);
        }
    }
    out.push('\n');
}

/// `strconv.Quote`. Go keeps characters that `unicode.IsPrint` accepts;
/// lacking Unicode category tables we approximate that as "not control,
/// not whitespace other than ' ', not a format, private-use or
/// noncharacter code point". Exact for ASCII and assigned printable text;
/// unassigned code points are kept where Go would escape them.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if is_go_print(c) => out.push(c),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0b}' => out.push_str("\\v"),
            c if c < ' ' || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

fn is_go_print(c: char) -> bool {
    if c.is_ascii() {
        return c == ' ' || c.is_ascii_graphic();
    }
    let u = u32::from(c);
    let format = matches!(
        u,
        0xad | 0x600..=0x605
            | 0x61c
            | 0x6dd
            | 0x70f
            | 0x890..=0x891
            | 0x8e2
            | 0x180e
            | 0x200b..=0x200f
            | 0x202a..=0x202e
            | 0x2060..=0x2064
            | 0x2066..=0x206f
            | 0xfeff
            | 0xfff9..=0xfffb
            | 0x110bd
            | 0x110cd
            | 0x13430..=0x1343f
            | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a
            | 0xe0001
            | 0xe0020..=0xe007f
    );
    let private = matches!(u, 0xe000..=0xf8ff | 0xf0000..);
    let nonchar = (0xfdd0..=0xfdef).contains(&u) || (u & 0xfffe) == 0xfffe;
    !c.is_control() && !c.is_whitespace() && !format && !private && !nonchar
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text as go1.27.3 writes it for a module with a replaced dep.
    const SAMPLE: &str = "path\texample.com/app\n\
        mod\texample.com/app\t(devel)\t\n\
        dep\tgolang.org/x/sys\tv0.30.0\th1:abc=\n\
        dep\texample.com/lib\tv1.0.0\n\
        =>\t../lib\t(devel)\t\n\
        \n\
        build\t-buildmode=exe\n\
        build\t-compiler=gc\n\
        build\t-ldflags=\"-s -w -X \\\"main.v=a b\\\"\"\n\
        build\tCGO_ENABLED=1\n\
        build\tGOARCH=amd64\n\
        build\tvcs.modified=true\n";

    fn dep(path: &str, version: &str, sum: &str) -> Module {
        Module {
            path: path.into(),
            version: version.into(),
            sum: sum.into(),
            replace: None,
        }
    }

    #[test]
    fn parses_sample() {
        let info = parse(SAMPLE).unwrap();
        assert_eq!(info.path, "example.com/app");
        assert_eq!(info.main, Some(dep("example.com/app", "(devel)", "")));
        assert_eq!(info.deps.len(), 2);
        assert_eq!(info.deps[0], dep("golang.org/x/sys", "v0.30.0", "h1:abc="));
        let mut replaced = dep("example.com/lib", "v1.0.0", "");
        replaced.replace = Some(Box::new(dep("../lib", "(devel)", "")));
        assert_eq!(info.deps[1], replaced);
        assert_eq!(info.settings.len(), 6);
        assert_eq!(info.setting("-ldflags"), Some("-s -w -X \"main.v=a b\""));
        assert_eq!(info.setting("GOARCH"), Some("amd64"));
        assert_eq!(info.setting("GOOS"), None);
    }

    #[test]
    fn round_trips_exactly() {
        let info = parse(SAMPLE).unwrap();
        assert_eq!(info.to_go_string(), SAMPLE);

        let weird = ModInfo {
            path: "command-line-arguments".into(),
            main: None,
            deps: vec![],
            settings: vec![
                Setting {
                    key: "".into(),
                    value: "".into(),
                },
                Setting {
                    key: "a=b c".into(),
                    value: "tab\there\r\n\u{7}\u{7f}`\\ é \u{a0}\u{200b}\u{10ffff}".into(),
                },
                Setting {
                    key: "plain".into(),
                    value: "x=y,z".into(),
                },
            ],
        };
        let text = weird.to_go_string();
        assert_eq!(
            text,
            "path\tcommand-line-arguments\n\
             build\t\"\"=\n\
             build\t\"a=b c\"=\"tab\\there\\r\\n\\a\\x7f`\\\\ é \\u00a0\\u200b\\U0010ffff\"\n\
             build\tplain=x=y,z\n"
        );
        assert_eq!(parse(&text).unwrap(), weird);
    }

    #[test]
    fn missing_final_newline_drops_last_line() {
        let info = parse("path\ta\nbuild\tGOOS=linux").unwrap();
        assert_eq!(info.path, "a");
        assert!(info.settings.is_empty());
        assert_eq!(parse("").unwrap(), ModInfo::default());
    }

    #[test]
    fn ignores_unknown_lines_and_counts_them() {
        let text = "go\tgo1.22.0\n\nfoo\tbar\ndep\ta\n";
        assert_eq!(
            parse(text),
            Err(ModinfoError::ModuleColumns { line: 4, got: 1 })
        );
    }

    #[test]
    fn replacement_rules() {
        assert_eq!(
            parse("=>\ta\tb\tc\n"),
            Err(ModinfoError::ReplacementWithoutModule { line: 1 })
        );
        assert_eq!(
            parse("dep\ta\tv1\n=>\tb\tv2\n"),
            Err(ModinfoError::ReplacementColumns { line: 2, got: 2 })
        );
        assert_eq!(
            parse("dep\ta\tv1\n=>\tb\tv2\th\n=>\tc\tv3\th\n"),
            Err(ModinfoError::ReplacementWithoutModule { line: 3 })
        );
        // Go's `last` survives intervening build lines.
        let info = parse("mod\tm\tv1\nbuild\tk=v\n=>\tr\tv2\th\n").unwrap();
        assert_eq!(info.main.unwrap().replace.unwrap().path, "r");
        // A 3-column dep may still be replaced.
        let info = parse("dep\ta\tv1\th1\n=>\tb\tv2\t\n").unwrap();
        assert_eq!(info.deps[0].sum, "h1");
        assert_eq!(info.deps[0].replace.as_ref().unwrap().path, "b");
        assert_eq!(
            parse("dep\ta\tb\tc\td\n"),
            Err(ModinfoError::ModuleColumns { line: 1, got: 4 })
        );
    }

    #[test]
    fn build_line_errors() {
        let err = |line: &str| parse(&format!("build\t{line}\n")).unwrap_err();
        assert_eq!(err(""), ModinfoError::BuildMissingEquals { line: 1 });
        assert_eq!(err("=v"), ModinfoError::BuildMissingKey { line: 1 });
        assert_eq!(err("\"k"), ModinfoError::InvalidQuotedKey { line: 1 });
        assert_eq!(
            err("\"k\""),
            ModinfoError::MissingEqualsAfterQuotedKey { line: 1 }
        );
        assert_eq!(
            err("\"k\"x=v"),
            ModinfoError::UnexpectedAfterQuotedKey {
                line: 1,
                found: 'x'
            }
        );
        assert_eq!(
            err("novalue"),
            ModinfoError::MissingEqualsAfterKey { line: 1 }
        );
        assert_eq!(
            err("a b=c"),
            ModinfoError::UnquotedKey {
                line: 1,
                key: "a b".into()
            }
        );
        assert_eq!(
            err("k=a b"),
            ModinfoError::UnquotedValue {
                line: 1,
                value: "a b".into()
            }
        );
        assert_eq!(
            err("k=\"a\"b"),
            ModinfoError::InvalidQuotedValue { line: 1 }
        );
        assert_eq!(
            err("k=\"\\q\""),
            ModinfoError::InvalidQuotedValue { line: 1 }
        );
        assert_eq!(
            err("k=\"\\'\""),
            ModinfoError::InvalidQuotedValue { line: 1 }
        );
        assert_eq!(
            err("k=\"\\ud800\""),
            ModinfoError::InvalidQuotedValue { line: 1 }
        );
        assert_eq!(
            err("k=\"\\400\""),
            ModinfoError::InvalidQuotedValue { line: 1 }
        );
        assert_eq!(err("k=`a"), ModinfoError::InvalidQuotedValue { line: 1 });
        assert_eq!(
            err("k=\"\\xff\""),
            ModinfoError::NonUtf8 {
                line: 1,
                field: "value"
            }
        );
        assert_eq!(
            err("\"\\xfe\"=v"),
            ModinfoError::NonUtf8 {
                line: 1,
                field: "key"
            }
        );
    }

    #[test]
    fn unquotes_like_strconv() {
        let value = |raw: &str| {
            parse(&format!("build\tk={raw}\n")).unwrap().settings[0]
                .value
                .clone()
        };
        assert_eq!(
            value("\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\""),
            "\u{7}\u{8}\u{c}\n\r\t\u{b}\\\""
        );
        assert_eq!(value("\"\\x41\\101\\u00e9\\U0001F600\""), "AAé😀");
        assert_eq!(value("`raw \\n \"x\"\r`"), "raw \\n \"x\"");
        assert_eq!(value("\"é ü\""), "é ü");
        assert_eq!(value(""), "");
        assert_eq!(value("a=b"), "a=b");
        // Backquoted key, then the rest is the value.
        let info = parse("build\t`a b`=`c`\n").unwrap();
        assert_eq!(
            info.settings[0],
            Setting {
                key: "a b".into(),
                value: "c".into()
            }
        );
        // A quoted key may contain '=' and quotes.
        let info = parse("build\t\"x=\\\"y\"=1\n").unwrap();
        assert_eq!(info.settings[0].key, "x=\"y");
    }

    #[test]
    fn strips_sentinels_by_go_rule() {
        let mut framed = INFO_START.to_vec();
        framed.extend_from_slice(b"path\tx\n");
        framed.extend_from_slice(&INFO_END);
        assert_eq!(strip_sentinels(&framed), Some(&b"path\tx\n"[..]));
        // The sentinels are not compared, only the '\n' before infoEnd.
        let mut other = vec![0u8; 16];
        other.push(b'\n');
        other.extend_from_slice(&[1u8; 16]);
        assert_eq!(strip_sentinels(&other), Some(&b"\n"[..]));
        assert_eq!(strip_sentinels(&other[..32]), None);
        let mut no_nl = framed.clone();
        let at = no_nl.len() - 17;
        no_nl[at] = b'x';
        assert_eq!(strip_sentinels(&no_nl), None);
        assert_eq!(strip_sentinels(b""), None);
    }

    #[test]
    fn serializes_with_go_field_names() {
        let json = serde_json::to_value(parse(SAMPLE).unwrap()).unwrap();
        assert_eq!(json["main"]["path"], "example.com/app");
        assert_eq!(json["deps"][1]["replace"]["version"], "(devel)");
        assert_eq!(json["deps"][0]["sum"], "h1:abc=");
        assert_eq!(json["settings"][0]["key"], "-buildmode");
        assert_eq!(json["settings"][0]["value"], "exe");
    }

    #[test]
    fn arbitrary_input_does_not_panic() {
        // Every prefix and every single-byte mutation of a busy sample.
        let base = format!("{SAMPLE}build\t\"k\\x41\"=`v`\nbuild\tq=\"\\u00e9\\101\"\n");
        for end in 0..=base.len() {
            if let Some(prefix) = base.get(..end) {
                let _ = parse(prefix);
            }
        }
        let bytes = base.as_bytes();
        for i in 0..bytes.len() {
            for b in [b'\n', b'\t', b'"', b'`', b'\\', b'=', b'x', b'7'] {
                let mut m = bytes.to_vec();
                m[i] = b;
                if let Ok(s) = std::str::from_utf8(&m) {
                    let _ = parse(s);
                }
            }
        }
    }
}
