//! AWS Guard rules, evaluated in-process with the `cfn-guard` crate: the built-in rule file
//! (`validators/guard/architecture.guard`, named after AWS's Guard rules registry) plus any rule
//! files the user adds with `validate --guard-rules PATH`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

/// The rule file shipped with the tool.
const BUILT_IN_NAME: &str = "architecture.guard";
const BUILT_IN: &str = include_str!("../../../validators/guard/architecture.guard");

/// A Guard rule file: its name (for messages) and text.
pub struct RuleFile {
    name: String,
    text: String,
}

/// The built-in rules plus every `*.guard` file at `extra` (a file or a directory).
pub fn rule_files(extra: Option<&Path>) -> Result<Vec<RuleFile>> {
    let mut files = vec![RuleFile {
        name: BUILT_IN_NAME.into(),
        text: BUILT_IN.into(),
    }];
    let Some(path) = extra else { return Ok(files) };
    let paths: Vec<PathBuf> = if path.is_dir() {
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("reading Guard rules directory {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "guard"))
            .collect();
        found.sort();
        found
    } else {
        vec![path.to_path_buf()]
    };
    if paths.is_empty() {
        anyhow::bail!(crate::error::UsageError(format!(
            "{} holds no *.guard rule file",
            path.display()
        )));
    }
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| {
            crate::error::UsageError(format!("cannot read Guard rules {}: {e}", p.display()))
        })?;
        files.push(RuleFile {
            name: p.display().to_string(),
            text,
        });
    }
    Ok(files)
}

/// Evaluates every rule file on one template; returns one line per failed check.
pub fn check(stack: &str, template: &Value, rules: &[RuleFile]) -> Result<Vec<String>> {
    let data = template.to_string();
    let mut problems = Vec::new();
    for rule_file in rules {
        let report = cfn_guard::run_checks(
            cfn_guard::ValidateInput {
                content: &data,
                file_name: stack,
            },
            cfn_guard::ValidateInput {
                content: &rule_file.text,
                file_name: &rule_file.name,
            },
            false,
        )
        .map_err(|e| {
            crate::error::UsageError(format!("Guard rules {} do not parse: {e}", rule_file.name))
        })?;
        let report: Value = serde_json::from_str(&report)
            .with_context(|| format!("reading cfn-guard's report for {stack}"))?;
        for failed in report["not_compliant"].as_array().into_iter().flatten() {
            let rule = failed
                .pointer("/Rule/name")
                .and_then(Value::as_str)
                .unwrap_or("unnamed");
            let mut findings = Vec::new();
            collect_findings(failed, &mut findings);
            if findings.is_empty() {
                findings.push(("(template)".into(), "not compliant".into()));
            }
            findings.sort();
            findings.dedup();
            for (resource, message) in findings {
                problems.push(format!("[guard:{rule}] {stack}/{resource}: {message}"));
            }
        }
    }
    Ok(problems)
}

/// Finds each failed clause's resource (from its `/Resources/ID/...` path) and message.
fn collect_findings(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            if let Some(messages) = map.get("messages") {
                let message = messages["custom_message"]
                    .as_str()
                    .or_else(|| messages["error_message"].as_str());
                let path = find_path(v);
                if let (Some(message), Some(path)) = (message, path) {
                    let resource = path.split('/').nth(2).unwrap_or("(template)").to_owned();
                    out.push((resource, message.trim().to_owned()));
                }
            }
            map.values().for_each(|x| collect_findings(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| collect_findings(x, out)),
        _ => {}
    }
}

fn find_path(v: &Value) -> Option<String> {
    match v {
        Value::Object(map) => {
            if let Some(p) = map
                .get("path")
                .and_then(Value::as_str)
                .filter(|p| p.starts_with("/Resources/"))
            {
                return Some(p.to_owned());
            }
            map.iter()
                .filter(|(k, _)| k.as_str() != "children")
                .find_map(|(_, x)| find_path(x))
        }
        Value::Array(items) => items.iter().find_map(find_path),
        _ => None,
    }
}
