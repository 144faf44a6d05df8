//! `techchallenge validate`: checks the templates against the architecture's rules and exits
//! non-zero naming each broken rule and the resource at fault.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use techchallenge_stacks::rules::{self, RenderedStack};

use crate::cli::{GlobalArgs, ValidateArgs};

/// Renders (or reads) the templates and checks them.
pub fn run(global: &GlobalArgs, args: &ValidateArgs) -> Result<u8> {
    let stacks = match &args.dir {
        Some(dir) => read_dir(dir)?,
        None => super::architecture(global)?.rendered()?,
    };
    // Template-level checks first (dangling references, duplicate exports in one template).
    let mut problems = Vec::new();
    for s in &stacks {
        if let Err(e) = cfn_template::check_references(&s.template) {
            problems.push(format!("[references] {}: {e}", s.name));
        }
    }
    problems.extend(rules::check(&stacks).iter().map(ToString::to_string));
    let guard_rules = crate::guard_rules::rule_files(args.guard_rules.as_deref())?;
    for s in &stacks {
        problems.extend(crate::guard_rules::check(
            &s.name,
            &s.template,
            &guard_rules,
        )?);
    }
    if problems.is_empty() {
        let names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
        println!(
            "ok: {} templates pass every architecture rule and {} Guard rule file(s) ({})",
            stacks.len(),
            guard_rules.len(),
            names.join(", ")
        );
        return Ok(0);
    }
    for p in &problems {
        println!("{p}");
    }
    eprintln!("validate: {} problem(s) found", problems.len());
    Ok(1)
}

/// Reads every template file of a directory; the stack name is the file name without extension.
fn read_dir(dir: &Path) -> Result<Vec<RenderedStack>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("reading directory {}", dir.display()))?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut stacks = Vec::new();
    for path in paths {
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        let text = || {
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        };
        let template: Value = match ext {
            "json" => serde_json::from_str(&text()?)
                .with_context(|| format!("{} is not valid JSON", path.display()))?,
            "yaml" | "yml" => serde_norway::from_str(&text()?)
                .with_context(|| format!("{} is not valid YAML", path.display()))?,
            _ => continue,
        };
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("template")
            .to_owned();
        // A template file carries no stack settings: `stack-protection` is checked on rendered
        // architectures only.
        stacks.push(RenderedStack {
            name,
            template,
            guards: None,
        });
    }
    if stacks.is_empty() {
        bail!(crate::error::UsageError(format!(
            "{} holds no *.json, *.yaml or *.yml template: render some with `techchallenge render --out {}`",
            dir.display(),
            dir.display()
        )));
    }
    Ok(stacks)
}
