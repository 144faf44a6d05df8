//! How plans, failures, outputs, states and drift read to a person: the text the commands
//! print. Pure functions from the engine's data to lines, so the tests can check them exactly.

use std::time::Duration;

use techchallenge_deploy::{
    AlarmVerdict, ChangeAction, DifferenceKind, DriftStatus, Error, Finding, Outcome, Plan,
    Replacement, ResourceDrift, ResourceDriftStatus, StackDrift, StackName, StackOutput,
    StackState, alarm_name,
};

/// The output users look for first.
pub const URL_OUTPUT: &str = "Url";

const MAX_LINE: usize = 300;

/// One stack's line in a deploy or destroy summary: `  NAME: OUTCOME in 1.2s`.
pub fn stack_result(stack: &StackName, outcome: Outcome, duration: Duration) -> String {
    let outcome = serde_json::to_value(outcome)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_else(|| "done".to_owned());
    format!("  {stack}: {outcome} in {:.1}s", duration.as_secs_f64())
}

/// The express-mode notice for a plan: which stacks complete without waiting for readiness.
pub fn express(specs: &[techchallenge_deploy::StackSpec]) -> Option<String> {
    let names: Vec<&str> = specs
        .iter()
        .filter(|s| s.express)
        .map(|s| s.name.as_str())
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "Express mode (throw-away environment): {} complete once their resources are \
             configured, without waiting for them to be ready; the URL may answer errors until \
             the instances serve.",
            names.join(", ")
        )
    })
}

/// The plan as a readable diff plus a one-line summary and the permission widenings.
pub fn plan(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    // Whole templates (UserData) are long: cut a line, `plan --json` has every value.
    out.extend(
        plan.lines()
            .into_iter()
            .map(|line| cut(line, "`plan --json` shows every value")),
    );
    let (mut add, mut modify, mut remove, mut replace) = (0, 0, 0, 0);
    for change in plan.stacks.iter().flat_map(|s| &s.changes) {
        match change.action {
            ChangeAction::Add => add += 1,
            ChangeAction::Modify => modify += 1,
            ChangeAction::Remove => remove += 1,
            _ => {}
        }
        if change.replacement == Some(Replacement::Always) {
            replace += 1;
        }
    }
    if plan.is_empty() {
        out.push("No changes: every stack is up to date.".to_owned());
    } else {
        out.push(format!(
            "Plan: {add} to add, {modify} to change ({replace} replaced), {remove} to remove."
        ));
    }
    if plan.widens_permissions() {
        out.push(
            "Attention: this plan widens security groups or IAM permissions (lines marked `! widens`)."
                .to_owned(),
        );
    }
    for risk in plan.risks() {
        out.push(format!(
            "Data loss: {risk}. Deploying it needs --allow-data-loss (which also lifts the stack policy for this resource alone during the update, and restores it after)."
        ));
    }
    out.extend(drift_warnings(plan));
    out
}

/// A warning per stack that the last drift check (as `DescribeStacks` reports it: no call of
/// its own) found changed outside the deployer.
fn drift_warnings(plan: &Plan) -> Vec<String> {
    plan.stacks
        .iter()
        .filter_map(|s| {
            let last = s.last_drift.as_ref()?;
            (last.status == DriftStatus::Drifted).then(|| {
                let when = last
                    .checked
                    .as_ref()
                    .map(|t| format!(" (checked {t})"))
                    .unwrap_or_default();
                format!(
                    "Warning: {} was last found DRIFTED{when}: a change set may overwrite console edits without showing them (this status dates from the last check): run `techchallenge drift` to see them.",
                    s.stack
                )
            })
        })
        .collect()
}

/// `drift` lines: each stack's result, each drifted resource and property (expected → actual),
/// and what to do about it.
pub fn drift(results: &[StackDrift]) -> Vec<String> {
    let mut out = Vec::new();
    let mut drifted = 0;
    for result in results {
        match result {
            StackDrift::NotDeployed { stack } => out.push(format!("{stack}: not deployed")),
            StackDrift::InSync { stack } => out.push(format!("{stack}: IN_SYNC")),
            StackDrift::NotChecked { stack, reason } => {
                out.push(format!("{stack}: not checked: {reason}"));
            }
            StackDrift::Drifted {
                stack,
                resources,
                unchecked,
            } => {
                drifted += 1;
                let n = resources.len();
                out.push(format!(
                    "{stack}: DRIFTED ({n} resource{})",
                    if n == 1 { "" } else { "s" }
                ));
                for r in resources {
                    out.extend(resource_drift_lines(r));
                }
                if let Some(reason) = unchecked {
                    out.push(format!("  (some resources could not be checked: {reason})"));
                }
            }
        }
    }
    if drifted > 0 {
        out.push(
            "Drift: these were changed outside the deployer. An update of a drifted resource sets it back to the template; make the change in the settings (or undo it), then deploy."
                .to_owned(),
        );
    }
    out
}

fn resource_drift_lines(r: &ResourceDrift) -> Vec<String> {
    let (sign, what) = match r.status {
        ResourceDriftStatus::Deleted => ("-", "DELETED"),
        _ => ("~", "MODIFIED"),
    };
    let mut out = vec![format!(
        "  {sign} {} ({}) {what}",
        r.logical_id, r.resource_type
    )];
    for d in &r.differences {
        let line = match d.kind {
            DifferenceKind::Add => {
                format!("      {}: (not in the template) → {}", d.path, d.actual)
            }
            DifferenceKind::Remove => format!("      {}: {} → (removed)", d.path, d.expected),
            DifferenceKind::NotEqual => {
                format!("      {}: {} → {}", d.path, d.expected, d.actual)
            }
        };
        out.push(cut(line, "`drift --json` shows every value"));
    }
    out
}

/// A line cut at [`MAX_LINE`] characters, saying where the rest is.
fn cut(line: String, rest: &str) -> String {
    if line.chars().count() <= MAX_LINE {
        return line;
    }
    let cut: String = line.chars().take(MAX_LINE).collect();
    format!("{cut}… (cut; {rest})")
}

/// An engine error as lines: the first failing resources and reasons, the state left, what next.
pub fn failure(err: &Error) -> Vec<String> {
    match err {
        Error::StackFailed {
            stack,
            status,
            failures,
            findings,
            alarms,
            next_step,
        } => {
            let mut out = vec![format!("{stack} failed and was left in {status}.")];
            // An alarm that rolled the update back is the failure: said below.
            let alarm_fired = alarms.as_ref().is_some_and(|a| !a.fired.is_empty());
            if failures.is_empty() {
                if !alarm_fired {
                    out.push("  CloudFormation reported no failing resource.".to_owned());
                }
            } else {
                out.push("  First failures:".to_owned());
                for f in failures {
                    out.push(format!(
                        "    {} ({}) {}: {}",
                        f.logical_id, f.resource_type, f.status, f.reason
                    ));
                }
            }
            out.extend(alarms.as_deref().map(alarm_lines).unwrap_or_default());
            out.extend(evidence(findings));
            out.push(format!("  Next: {next_step}."));
            out
        }
        Error::LaunchImpossible {
            stack,
            failure,
            cancelled,
            status,
            findings,
            next_step,
        } => {
            let mut out = vec![format!(
                "{stack}: instances cannot be launched, and waiting would not change that:"
            )];
            out.push(format!("    {}", failure.reason));
            out.push(format!("  Fix: {}.", failure.advice));
            out.push(if *cancelled {
                format!("  The update was cancelled; {stack} is left in {status}.")
            } else {
                format!("  Stopped waiting; {stack} is {status}.")
            });
            out.extend(evidence(findings));
            out.push(format!("  Next: {next_step}."));
            out
        }
        Error::Several { errors } => errors.iter().flat_map(failure).collect(),
        Error::DataLoss { risks } => {
            let mut out = vec!["Refusing a change that loses data:".to_owned()];
            out.extend(risks.iter().map(|r| format!("  {r}")));
            out.push(
                "Nothing was changed. If losing it is intended, re-run with --allow-data-loss."
                    .to_owned(),
            );
            out
        }
        Error::NeedsRecreate { stack } => vec![format!(
            "{stack} is in ROLLBACK_COMPLETE after a failed first create: it can only be deleted and re-created. Deploy again and answer yes, or pass --yes."
        )],
        other => vec![other.to_string()],
    }
}

/// What a rolled-back, watched update says about its alarms: the one that fired, by name, with
/// CloudFormation's words; else the alarms that were watched, to check.
fn alarm_lines(verdict: &AlarmVerdict) -> Vec<String> {
    let names = |arns: &[String]| {
        arns.iter()
            .map(|a| alarm_name(a))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if verdict.fired.is_empty() {
        return vec![format!(
            "  The update was rolled back while watching alarms {} (check them).",
            names(&verdict.watched)
        )];
    }
    let mut out = vec![format!(
        "  Rolled back by alarm {}: it went into ALARM during the update.",
        names(&verdict.fired)
    )];
    if let Some(reason) = &verdict.reason {
        out.push(format!("    CloudFormation: {reason}"));
    }
    out
}

/// The diagnostics' evidence, for a failure report.
fn evidence(findings: &[Finding]) -> Vec<String> {
    if findings.is_empty() {
        return Vec::new();
    }
    let mut out = vec!["  What the instances and services say:".to_owned()];
    for finding in findings {
        for (i, line) in finding.to_string().lines().enumerate() {
            out.push(format!("{}{line}", if i == 0 { "    " } else { "  " }));
        }
    }
    out
}

/// Outputs, the application's URL first.
pub fn outputs(outputs: &[(StackName, Vec<StackOutput>)]) -> Vec<String> {
    let mut out = Vec::new();
    for (_, list) in outputs {
        for o in list.iter().filter(|o| o.key == URL_OUTPUT) {
            out.push(format!("Application URL: {}", o.value));
        }
    }
    for (stack, list) in outputs {
        for o in list {
            out.push(format!("  {stack}  {} = {}", o.key, o.value));
        }
    }
    out
}

/// `status` lines: each stack's state, last change and outputs.
pub fn status(states: &[StackState]) -> Vec<String> {
    let mut out = Vec::new();
    for s in states {
        match &s.description {
            None => out.push(format!("{}: not deployed", s.stack)),
            Some(d) => {
                let reason = d
                    .status_reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                out.push(format!(
                    "{}: {}{reason}, last change {}",
                    s.stack,
                    d.status,
                    d.last_changed()
                ));
                for o in &d.outputs {
                    out.push(format!("    {} = {}", o.key, o.value));
                }
            }
        }
    }
    out
}

/// An age as the user wrote it: `90s`, `10m`, `2h`, `1d`.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86400 == 0 && s > 0 => format!("{}d", s / 86400),
        s if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Milliseconds since the Unix epoch, as RFC 3339.
pub fn time_of(epoch_millis: i64) -> String {
    techchallenge_deploy::Timestamp::from_epoch_millis(epoch_millis).rfc3339
}

/// The instances as an aligned table.
pub fn instances(list: &[techchallenge_fleet::Instance]) -> Vec<String> {
    let build = |sha: &str| {
        if sha.is_empty() {
            "-".to_owned()
        } else {
            sha.chars().take(12).collect()
        }
    };
    let mut rows = vec![[
        "INSTANCE".to_owned(),
        "ZONE".to_owned(),
        "LIFECYCLE".to_owned(),
        "HEALTH".to_owned(),
        "LAUNCHED".to_owned(),
        "BUILD".to_owned(),
    ]];
    for i in list {
        rows.push([
            i.instance_id.clone(),
            i.availability_zone.clone(),
            i.lifecycle.clone(),
            i.health.clone(),
            if i.launch_time.is_empty() {
                "-".to_owned()
            } else {
                i.launch_time.clone()
            },
            build(&i.build_sha256),
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        })
        .collect()
}
