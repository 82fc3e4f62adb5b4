//! The container image's promises, checked on the Dockerfile itself: a
//! `FROM scratch` final stage holding only the static binary, run as
//! 65532:65532 through an exec-form entrypoint, with OCI labels. No Docker
//! engine is needed; the file is parsed here with a small reader that knows
//! the parts of the syntax the Dockerfile uses (comments, line
//! continuations, flags, exec form, `key=value` labels).
//! Reference: https://docs.docker.com/reference/dockerfile/

use std::path::Path;

/// One instruction, continuation lines joined.
#[derive(Debug, Clone, PartialEq)]
struct Instruction {
    /// Upper-cased keyword: `FROM`, `RUN`, ...
    keyword: String,
    /// Everything after the keyword, trimmed.
    rest: String,
    /// 1-based line of the keyword, for messages.
    line: usize,
}

/// A build stage: its `FROM` and the instructions up to the next one.
#[derive(Debug)]
struct Stage {
    /// `--platform=...` and other flags of `FROM`.
    flags: Vec<String>,
    image: String,
    name: Option<String>,
    body: Vec<Instruction>,
}

#[derive(Debug)]
struct Dockerfile {
    /// `ARG`s before the first `FROM`.
    global_args: Vec<Instruction>,
    stages: Vec<Stage>,
}

/// Splits the text into instructions. A line whose first non-blank
/// character is `#` is a comment (or a parser directive) even inside a
/// continuation, as in Docker; a trailing `\` continues the instruction.
fn instructions(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut pending: Option<Instruction> = None;
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_none()) {
            continue;
        }
        let (body, continues) = match trimmed.strip_suffix('\\') {
            Some(body) => (body.trim_end(), true),
            None => (trimmed, false),
        };
        let mut current = match pending.take() {
            Some(mut instruction) => {
                if !body.is_empty() {
                    instruction.rest.push(' ');
                    instruction.rest.push_str(body);
                }
                instruction
            }
            None => {
                let (keyword, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
                Instruction {
                    keyword: keyword.to_ascii_uppercase(),
                    rest: rest.trim().to_string(),
                    line: index + 1,
                }
            }
        };
        if continues {
            pending = Some(current);
        } else {
            current.rest = current.rest.trim().to_string();
            out.push(current);
        }
    }
    if let Some(instruction) = pending {
        out.push(instruction);
    }
    out
}

fn parse(text: &str) -> Dockerfile {
    let mut global_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in instructions(text) {
        if instruction.keyword == "FROM" {
            let (flags, words) = split_flags(&instruction.rest);
            let image = words.first().cloned().unwrap_or_default();
            let name = match words.as_slice() {
                [_, as_word, name] if as_word.eq_ignore_ascii_case("as") => Some(name.clone()),
                _ => None,
            };
            stages.push(Stage {
                flags,
                image,
                name,
                body: Vec::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.body.push(instruction);
        } else {
            global_args.push(instruction);
        }
    }
    Dockerfile {
        global_args,
        stages,
    }
}

/// Splits `--flag=value --flag2 word word` into the leading flags and the
/// remaining words.
fn split_flags(rest: &str) -> (Vec<String>, Vec<String>) {
    let mut flags = Vec::new();
    let mut words = Vec::new();
    for word in rest.split_whitespace() {
        if words.is_empty() && word.starts_with("--") {
            flags.push(word.to_string());
        } else {
            words.push(word.to_string());
        }
    }
    (flags, words)
}

/// Parses the JSON exec form `["a", "b"]`: strings with `\"` and `\\`
/// escapes. `None` for the shell form or anything malformed.
fn exec_form(rest: &str) -> Option<Vec<String>> {
    let inner = rest.trim().strip_prefix('[')?.strip_suffix(']')?;
    let mut items = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        if chars.next()? != '"' {
            return None;
        }
        let mut item = String::new();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => item.push(chars.next()?),
                c => item.push(c),
            }
        }
        items.push(item);
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.next() {
            Some(',') => continue,
            None => break,
            Some(_) => return None,
        }
    }
    Some(items)
}

/// Parses `LABEL k=v k2="v 2"` into pairs, quotes removed.
fn label_pairs(rest: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut key = String::new();
        while let Some(c) = chars.next_if(|&c| c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        if key.is_empty() || chars.next() != Some('=') {
            break;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                value.push(c);
            }
        }
        pairs.push((key, value));
    }
    pairs
}

/// The `ARG` names (and defaults) declared by these instructions.
fn args(instructions: &[Instruction]) -> Vec<(String, Option<String>)> {
    instructions
        .iter()
        .filter(|i| i.keyword == "ARG")
        .map(|i| match i.rest.split_once('=') {
            Some((name, default)) => (name.to_string(), Some(default.to_string())),
            None => (i.rest.clone(), None),
        })
        .collect()
}

fn crate_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn dockerfile() -> Dockerfile {
    parse(&crate_file("Dockerfile"))
}

fn final_stage(file: &Dockerfile) -> &Stage {
    file.stages.last().expect("the Dockerfile has no FROM")
}

fn builder_stage(file: &Dockerfile) -> &Stage {
    file.stages
        .iter()
        .find(|s| s.name.as_deref() == Some("builder"))
        .expect("no stage named builder")
}

fn only<'a>(stage: &'a Stage, keyword: &str) -> &'a Instruction {
    let found: Vec<_> = stage.body.iter().filter(|i| i.keyword == keyword).collect();
    match found.as_slice() {
        [one] => one,
        _ => panic!(
            "final stage has {} {keyword} instructions, expected 1",
            found.len()
        ),
    }
}

#[test]
fn final_stage_is_from_scratch() {
    let file = dockerfile();
    assert!(file.stages.len() >= 2, "expected a multi-stage build");
    assert_eq!(final_stage(&file).image, "scratch");
}

#[test]
fn final_stage_runs_as_65532() {
    let file = dockerfile();
    assert_eq!(only(final_stage(&file), "USER").rest, "65532:65532");
}

#[test]
fn entrypoint_is_exec_form_elfgate() {
    let file = dockerfile();
    let entrypoint = only(final_stage(&file), "ENTRYPOINT");
    assert_eq!(
        exec_form(&entrypoint.rest),
        Some(vec!["/elfgate".to_string()]),
        "line {}: ENTRYPOINT {}",
        entrypoint.line,
        entrypoint.rest
    );
    for cmd in final_stage(&file)
        .body
        .iter()
        .filter(|i| i.keyword == "CMD")
    {
        assert!(
            exec_form(&cmd.rest).is_some(),
            "line {}: CMD in shell form",
            cmd.line
        );
    }
}

#[test]
fn final_stage_has_oci_labels() {
    let file = dockerfile();
    let stage = final_stage(&file);
    let labels: Vec<(String, String)> = stage
        .body
        .iter()
        .filter(|i| i.keyword == "LABEL")
        .flat_map(|i| label_pairs(&i.rest))
        .collect();
    for key in ["title", "description", "source", "licenses", "version"] {
        let key = format!("org.opencontainers.image.{key}");
        assert!(
            labels.iter().any(|(k, _)| *k == key),
            "label {key} missing; have {labels:?}"
        );
    }
    let title = labels
        .iter()
        .find(|(k, _)| k == "org.opencontainers.image.title");
    assert_eq!(title.map(|(_, v)| v.as_str()), Some("elfgate"));
}

#[test]
fn version_label_defaults_to_the_crate_version() {
    let file = dockerfile();
    let stage = final_stage(&file);
    let version = args(&stage.body)
        .into_iter()
        .find(|(name, _)| name == "VERSION");
    assert_eq!(
        version,
        Some((
            "VERSION".to_string(),
            Some(env!("CARGO_PKG_VERSION").to_string())
        ))
    );
    let labels: Vec<_> = stage
        .body
        .iter()
        .filter(|i| i.keyword == "LABEL")
        .flat_map(|i| label_pairs(&i.rest))
        .collect();
    assert!(labels.contains(&(
        "org.opencontainers.image.version".to_string(),
        "${VERSION}".to_string()
    )));
}

#[test]
fn final_stage_runs_nothing() {
    let file = dockerfile();
    let allowed = ["ARG", "LABEL", "COPY", "USER", "ENTRYPOINT", "CMD"];
    for instruction in &final_stage(&file).body {
        assert!(
            allowed.contains(&instruction.keyword.as_str()),
            "line {}: {} in the final stage",
            instruction.line,
            instruction.keyword
        );
    }
}

#[test]
fn final_stage_copies_only_the_binary_from_the_builder() {
    let file = dockerfile();
    let copy = only(final_stage(&file), "COPY");
    let (flags, words) = split_flags(&copy.rest);
    assert!(
        flags.contains(&"--from=builder".to_string()),
        "line {}: {flags:?}",
        copy.line
    );
    match words.as_slice() {
        [source, destination] => {
            assert!(
                source.ends_with("/elfgate"),
                "line {}: copies {source}",
                copy.line
            );
            assert!(
                !source.contains(['*', '?', '[']),
                "line {}: glob {source}",
                copy.line
            );
            assert_eq!(destination, "/elfgate");
        }
        _ => panic!(
            "line {}: COPY {words:?}, expected one source and /elfgate",
            copy.line
        ),
    }
    if let Some(mode) = flags.iter().find_map(|f| f.strip_prefix("--chmod=")) {
        let mode = u32::from_str_radix(mode, 8).expect("octal --chmod");
        assert_eq!(
            mode & 0o022,
            0,
            "the binary must not be writable by group or others"
        );
    }
}

#[test]
fn builder_is_pinned_and_takes_targetarch() {
    let file = dockerfile();
    let builder = builder_stage(&file);
    assert!(
        builder.image.starts_with("rust:${RUST_VERSION}-"),
        "builder image {} is not pinned through RUST_VERSION",
        builder.image
    );
    let global = args(&file.global_args);
    let rust_version = global
        .iter()
        .find(|(name, _)| name == "RUST_VERSION")
        .and_then(|(_, default)| default.clone())
        .expect("ARG RUST_VERSION=<x.y.z> before the first FROM");
    let parts: Vec<&str> = rust_version.split('.').collect();
    assert!(
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        "RUST_VERSION {rust_version} is not a full x.y.z release"
    );
    assert!(
        args(&builder.body)
            .iter()
            .any(|(name, _)| name == "TARGETARCH"),
        "builder stage does not declare ARG TARGETARCH"
    );
    assert!(
        builder
            .flags
            .contains(&"--platform=$BUILDPLATFORM".to_string())
    );
    let runs: String = builder
        .body
        .iter()
        .filter(|i| i.keyword == "RUN")
        .map(|i| i.rest.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for (docker_arch, rust_arch) in [("amd64", "x86_64"), ("arm64", "aarch64")] {
        assert!(
            runs.contains(&format!("{docker_arch}) arch={rust_arch}")),
            "no mapping for {docker_arch}"
        );
    }
    assert!(runs.contains("-unknown-linux-musl"));
    assert!(runs.contains("scripts/build-static.sh"));
}

/// musl builds link mimalloc, one C file: a cross build must name the C
/// compiler for the target (the `cc` crate would look for a musl cross gcc
/// Debian does not ship), and the commit `--version` reports must reach
/// build.rs, since the build context has no .git.
#[test]
fn builder_sets_the_c_compiler_and_passes_the_revision() {
    let file = dockerfile();
    let builder = builder_stage(&file);
    let runs: String = builder
        .body
        .iter()
        .filter(|i| i.keyword == "RUN")
        .map(|i| i.rest.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        runs.contains("cc_var=\"CC_$(echo \"$target\" | tr 'a-z-' 'a-z_')\"")
            && runs.contains("export $cc_var=$arch-linux-gnu-gcc"),
        "no CC_<target> for cross builds"
    );
    assert!(
        args(&builder.body)
            .iter()
            .any(|(name, _)| name == "REVISION"),
        "builder stage does not declare ARG REVISION"
    );
    assert!(runs.contains("ELFGATE_REVISION=\"$REVISION\" ./scripts/build-static.sh"));
    let build_rs = crate_file("build.rs");
    assert!(build_rs.contains("ELFGATE_REVISION"));
}

/// The build context is an allowlist; everything the builder copies must be
/// in it, and so must a build script if the crate grows one.
#[test]
fn dockerignore_lets_the_builder_sources_through() {
    let ignore = crate_file(".dockerignore");
    let patterns: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(
        patterns.first(),
        Some(&"*"),
        ".dockerignore must start by excluding everything"
    );
    let allowed: Vec<&str> = patterns
        .iter()
        .filter_map(|p| p.strip_prefix('!'))
        .map(|p| p.trim_end_matches('/'))
        .collect();
    let file = dockerfile();
    let mut sources = Vec::new();
    for copy in builder_stage(&file)
        .body
        .iter()
        .filter(|i| i.keyword == "COPY")
    {
        let (flags, words) = split_flags(&copy.rest);
        assert!(flags.iter().all(|f| !f.starts_with("--from")));
        if let Some((_, copied)) = words.split_last() {
            sources.extend(
                copied
                    .iter()
                    .map(|s| s.trim_start_matches("./").trim_end_matches('/').to_string()),
            );
        }
    }
    for source in &sources {
        assert!(
            allowed.contains(&source.as_str()),
            "COPY {source} is excluded by .dockerignore"
        );
    }
    for needed in ["Cargo.toml", "Cargo.lock", "src"] {
        assert!(
            sources.iter().any(|s| s == needed),
            "the builder does not copy {needed}"
        );
    }
    if Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("build.rs")
        .exists()
    {
        assert!(
            sources.iter().any(|s| s == "build.rs"),
            "the builder does not copy build.rs"
        );
    }
}

// The reader itself, on small inputs, so that a check above cannot pass
// because the reader saw nothing.

#[test]
fn reader_joins_continuations_and_skips_comments() {
    let text = "ARG A=1\nFROM x AS b\nRUN one \\\n  # note\n  two\nFROM scratch\nUSER 1:1\n";
    let file = parse(text);
    assert_eq!(
        args(&file.global_args),
        vec![("A".to_string(), Some("1".to_string()))]
    );
    assert_eq!(file.stages.len(), 2);
    let first = file.stages.first().expect("stage");
    assert_eq!(first.name.as_deref(), Some("b"));
    assert_eq!(first.body.first().map(|i| i.rest.as_str()), Some("one two"));
    assert_eq!(final_stage(&file).image, "scratch");
    assert_eq!(only(final_stage(&file), "USER").line, 7);
}

#[test]
fn reader_tells_exec_form_from_shell_form() {
    assert_eq!(
        exec_form(r#"["/elfgate"]"#),
        Some(vec!["/elfgate".to_string()])
    );
    assert_eq!(
        exec_form(r#"[ "/a", "b \"c\"" ]"#),
        Some(vec!["/a".to_string(), "b \"c\"".to_string()])
    );
    assert_eq!(exec_form("/elfgate check"), None);
    assert_eq!(exec_form(r#"["/elfgate" "x"]"#), None);
    assert_eq!(exec_form(r#"["/elfgate""#), None);
}

#[test]
fn reader_splits_labels() {
    assert_eq!(
        label_pairs(r#"a=1 b="two words" c="${X}""#),
        vec![
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "two words".to_string()),
            ("c".to_string(), "${X}".to_string()),
        ]
    );
}

#[test]
fn a_run_in_the_final_stage_is_seen() {
    let file = parse("FROM a AS builder\nFROM scratch\nRUN true\n");
    assert!(final_stage(&file).body.iter().any(|i| i.keyword == "RUN"));
}
