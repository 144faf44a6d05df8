//! How plans, failures, outputs and states read to a person: the text the commands print. Pure
//! functions from the engine's data to lines, so the tests can check them exactly.

use std::time::Duration;

use techchallenge_deploy::{
    ChangeAction, Error, Outcome, Plan, Replacement, StackName, StackOutput, StackState,
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

/// The plan as a readable diff plus a one-line summary and the permission widenings.
pub fn plan(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    // Whole templates (UserData) are long: cut a line, `plan --json` has every value.
    out.extend(plan.lines().into_iter().map(|line| {
        if line.chars().count() <= MAX_LINE {
            return line;
        }
        let cut: String = line.chars().take(MAX_LINE).collect();
        format!("{cut}… (cut; `plan --json` shows every value)")
    }));
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
            "Data loss: {risk}. Deploying it needs --allow-data-loss."
        ));
    }
    out
}

/// An engine error as lines: the first failing resources and reasons, the state left, what next.
pub fn failure(err: &Error) -> Vec<String> {
    match err {
        Error::StackFailed {
            stack,
            status,
            failures,
            next_step,
        } => {
            let mut out = vec![format!("{stack} failed and was left in {status}.")];
            if failures.is_empty() {
                out.push("  CloudFormation reported no failing resource.".to_owned());
            } else {
                out.push("  First failures:".to_owned());
                for f in failures {
                    out.push(format!(
                        "    {} ({}) {}: {}",
                        f.logical_id, f.resource_type, f.status, f.reason
                    ));
                }
            }
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
