//! `--format json`: the `elfgate.check/v1` document, described field by
//! field in `docs/rules.md`. Fields are never renamed; an incompatible
//! change bumps the schema string.

use serde::Serialize;

use super::{ToolInfo, result_word};
use crate::policy::{FileVerdict, Summary, Verdicts, exit_code};

/// Version of the document layout.
pub const SCHEMA: &str = "elfgate.check/v1";

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    tool: Tool<'a>,
    result: &'static str,
    exit_code: u8,
    summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a crate::facts::ImageFacts>,
    files: &'a [FileVerdict],
}

/// Renders the verdicts as one pretty-printed JSON document and a newline.
pub fn render(verdicts: &Verdicts, tool: &ToolInfo<'_>) -> Vec<u8> {
    render_image(verdicts, tool, None)
}

/// [`render`], with the image the files came from (`--image`).
pub fn render_image(
    verdicts: &Verdicts,
    tool: &ToolInfo<'_>,
    image: Option<&crate::facts::ImageFacts>,
) -> Vec<u8> {
    let doc = Document {
        schema: SCHEMA,
        tool: Tool {
            name: tool.name,
            version: tool.version,
        },
        result: result_word(verdicts),
        exit_code: exit_code(verdicts),
        summary: verdicts.summary(),
        image,
        files: &verdicts.files,
    };
    // Serializing these plain structs cannot fail (string keys, no maps
    // with non-string keys); an empty document would be caught by any reader.
    let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::sample;
    use serde_json::Value;

    #[test]
    fn document_shape() {
        let tool = ToolInfo {
            name: "elfgate",
            version: "9.9.9",
            information_uri: None,
        };
        let v: Value = serde_json::from_slice(&render(&sample(), &tool)).unwrap();
        assert_eq!(v["schema"], "elfgate.check/v1");
        assert_eq!(v["tool"]["version"], "9.9.9");
        assert_eq!(v["result"], "unreadable");
        assert_eq!(v["exit_code"], 3);
        assert_eq!(v["summary"]["files"], 3);
        assert_eq!(v["summary"]["findings_unknown_allowed"], 1);
        assert_eq!(v["summary"]["rules_evaluated"], 3);
        let f = &v["files"][1];
        assert_eq!(f["path"], "/app/bad <&\"'>\n");
        assert_eq!(f["status"], "fail");
        assert_eq!(f["rulesets"][0], "go-services");
        let finding = &f["findings"][1];
        assert_eq!(finding["rule_id"], "symbols.forbidden");
        assert_eq!(finding["ruleset"], "go-services");
        assert_eq!(finding["subject"], "*boring*");
        assert_eq!(finding["status"], "fail");
        assert!(finding["message"].as_str().unwrap().contains('\u{1}'));
        assert_eq!(v["files"][0]["findings"][2]["status"], "unknown_allowed");
        assert_eq!(v["files"][2]["status"], "unreadable");
        assert_eq!(v["files"][2]["findings"][0]["ruleset"], Value::Null);
    }

    #[test]
    fn field_names_are_stable() {
        let tool = ToolInfo::default();
        let v: Value = serde_json::from_slice(&render(&sample(), &tool)).unwrap();
        let keys = |v: &Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(
            keys(&v),
            ["exit_code", "files", "result", "schema", "summary", "tool"]
        );
        assert_eq!(
            keys(&v["files"][0]),
            ["findings", "notes", "path", "rulesets", "status"]
        );
        assert_eq!(
            keys(&v["files"][0]["findings"][0]),
            ["message", "rule_id", "ruleset", "status", "subject"]
        );
        assert_eq!(
            keys(&v["summary"]),
            [
                "failed",
                "files",
                "findings_fail",
                "findings_pass",
                "findings_unknown_allowed",
                "passed",
                "rules_evaluated",
                "unreadable"
            ]
        );
    }
}
