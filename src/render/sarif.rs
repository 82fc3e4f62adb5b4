//! `--format sarif`: SARIF 2.1.0 (OASIS), for code-scanning dashboards.
//!
//! One run. `tool.driver.rules` is the whole rule registry, so `ruleIndex`
//! is stable across runs. Results are the findings that need attention:
//! failures at level `error`, unknown-but-allowed facts at level `note`;
//! passing checks are not listed. Each result points at the target file.
//! Validated against the official `sarif-schema-2.1.0.json` (see docs/rules.md).

use serde_json::{Value, json};

use super::ToolInfo;
use crate::policy::{RULES, Status, Verdicts, exit_code};

/// The schema URI SARIF consumers expect in `$schema`.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A file path as a URI reference: absolute paths become `file://` URIs,
/// relative ones stay relative (resolved against the scan root). Every byte
/// outside RFC 3986 `unreserved` and `/` is percent-encoded, so a `:` in a
/// first segment cannot read as a scheme and `#`/`?` cannot cut the path.
pub fn path_uri(path: &str) -> String {
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rules() -> Vec<Value> {
    RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id.as_str(),
                "shortDescription": {"text": r.short},
                "fullDescription": {"text": r.full},
                "help": {"text": r.help},
                "defaultConfiguration": {"level": "error"},
            })
        })
        .collect()
}

/// Renders the verdicts as a SARIF 2.1.0 log and a newline.
pub fn render(verdicts: &Verdicts, tool: &ToolInfo<'_>) -> Vec<u8> {
    render_image(verdicts, tool, None)
}

/// [`render`] for files read from an image (`--image`): each result's
/// properties carry `image_digest` (and the file's `layer`), and the run's
/// properties the whole `image` object.
pub fn render_image(
    verdicts: &Verdicts,
    tool: &ToolInfo<'_>,
    image: Option<&crate::facts::ImageFacts>,
) -> Vec<u8> {
    let mut results = Vec::new();
    for file in &verdicts.files {
        for f in &file.findings {
            let level = match f.status {
                Status::Pass => continue,
                Status::Fail => "error",
                Status::UnknownAllowed => "note",
            };
            let mut text = f.message.clone();
            if let Some(s) = &f.subject {
                text = format!("{s}: {text}");
            }
            let mut properties = serde_json::Map::new();
            if let Some(rs) = &f.ruleset {
                properties.insert("ruleset".into(), json!(rs));
            }
            if let Some(s) = &f.subject {
                properties.insert("subject".into(), json!(s));
            }
            properties.insert("status".into(), json!(f.status));
            if let Some(i) = image {
                properties.insert("image_digest".into(), json!(i.digest));
            }
            if let Some(l) = &file.layer {
                properties.insert("layer".into(), json!(l));
            }
            results.push(json!({
                "ruleId": f.rule_id.as_str(),
                "ruleIndex": f.rule_id.index(),
                "level": level,
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": path_uri(&file.path)}}
                }],
                "properties": properties,
            }));
        }
    }
    let mut driver = json!({
        "name": tool.name,
        "version": tool.version,
        "rules": rules(),
    });
    if let (Some(uri), Some(obj)) = (tool.information_uri, driver.as_object_mut()) {
        obj.insert("informationUri".into(), json!(uri));
    }
    let mut log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "invocations": [{
                "executionSuccessful": true,
                "exitCode": exit_code(verdicts),
            }],
            "results": results,
        }],
    });
    if let Some(i) = image
        && let Some(run) = log.pointer_mut("/runs/0").and_then(Value::as_object_mut)
    {
        run.insert("properties".into(), json!({"image": i}));
    }
    let mut out = serde_json::to_vec_pretty(&log).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::sample;

    fn tool() -> ToolInfo<'static> {
        ToolInfo {
            name: "elfgate",
            version: "0.1.0",
            information_uri: Some("https://example.invalid/elfgate"),
        }
    }

    #[test]
    fn log_shape() {
        let v: Value = serde_json::from_slice(&render(&sample(), &tool())).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "elfgate");
        assert_eq!(driver["informationUri"], "https://example.invalid/elfgate");
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), RULES.len());
        for r in rules {
            for k in ["id", "shortDescription", "fullDescription", "help"] {
                assert!(!r[k].is_null(), "{k} missing in {r}");
            }
        }
        let results = run["results"].as_array().unwrap();
        // One unknown-allowed note, one failure, one unreadable file; no passes.
        let got: Vec<(&str, &str)> = results
            .iter()
            .map(|r| (r["ruleId"].as_str().unwrap(), r["level"].as_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("abi.max_isa", "note"),
                ("symbols.forbidden", "error"),
                ("file.readable", "error")
            ]
        );
        for r in results {
            let idx = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx]["id"], r["ruleId"]);
        }
        assert_eq!(
            results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "file:///app/bad%20%3C%26%22%27%3E%0A"
        );
        assert_eq!(run["invocations"][0]["exitCode"], 3);
    }

    #[test]
    fn no_information_uri_when_unknown() {
        let t = ToolInfo {
            information_uri: None,
            ..tool()
        };
        let v: Value = serde_json::from_slice(&render(&Verdicts::default(), &t)).unwrap();
        assert!(
            v["runs"][0]["tool"]["driver"]
                .get("informationUri")
                .is_none()
        );
        assert_eq!(v["runs"][0]["results"], json!([]));
    }

    #[test]
    fn uris() {
        assert_eq!(path_uri("bin/app"), "bin/app");
        assert_eq!(path_uri("./a:b/c#d?e"), "./a%3Ab/c%23d%3Fe");
        assert_eq!(path_uri("/opt/é"), "file:///opt/%C3%A9");
    }
}
