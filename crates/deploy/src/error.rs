//! The engine's errors: what an engine operation reports, in words a user can act on. (What one
//! CloudFormation call fails with, `ApiError`, belongs to the trait: `cloudformation.rs`.)

use std::time::Duration;

use serde::Serialize;

use crate::cloudformation::ApiError;
use crate::diagnostics::{Finding, LaunchFailure};
use crate::names::{ExportName, InvalidName, LogicalId, StackName};
use crate::plan::DataLossRisk;
use crate::rollback::{AlarmVerdict, alarm_name};
use crate::status::{ResourceStatus, StackStatus};

/// A resource that failed, with CloudFormation's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceFailure {
    /// Its logical id.
    pub logical_id: LogicalId,
    /// Its type.
    pub resource_type: String,
    /// Its failed status (`CREATE_FAILED`, ...).
    pub status: ResourceStatus,
    /// CloudFormation's reason.
    pub reason: String,
}

fn list_failures(failures: &[ResourceFailure]) -> String {
    if failures.is_empty() {
        return "no resource reported a failure".to_owned();
    }
    failures
        .iter()
        .map(|f| {
            format!(
                "{} ({}) {}: {}",
                f.logical_id, f.resource_type, f.status, f.reason
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a watched update's rollback says about its alarms, as the end of a sentence.
fn alarm_note(alarms: Option<&AlarmVerdict>) -> String {
    let Some(verdict) = alarms else {
        return String::new();
    };
    let names = |arns: &[String]| {
        arns.iter()
            .map(|a| alarm_name(a))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if verdict.fired.is_empty() {
        format!(
            "; it was rolled back while watching alarms {} (check them)",
            names(&verdict.watched)
        )
    } else {
        format!("; rolled back by alarm {}", names(&verdict.fired))
    }
}

fn list_risks(risks: &[DataLossRisk]) -> String {
    risks
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn list_names(names: &[StackName]) -> String {
    names
        .iter()
        .map(StackName::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an engine operation reports when it cannot do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A CloudFormation call failed.
    #[error("{operation} on {stack} failed: {source}")]
    Api {
        /// The API operation.
        operation: &'static str,
        /// The stack concerned.
        stack: StackName,
        /// The classified failure.
        #[source]
        source: ApiError,
    },
    /// An identifier broke AWS's rules.
    #[error(transparent)]
    InvalidName(#[from] InvalidName),
    /// The template body is not JSON the engine can read.
    #[error("the template of {stack} is not valid JSON: {reason}")]
    InvalidTemplate {
        /// The stack.
        stack: StackName,
        /// The parser's message.
        reason: String,
    },
    /// Stacks depend on each other in a circle.
    #[error("the stacks depend on each other in a cycle: {}", list_names(stacks))]
    DependencyCycle {
        /// The stacks in the cycle.
        stacks: Vec<StackName>,
    },
    /// CloudFormation refused to build the change set.
    #[error("the change set for {stack} failed: {reason}")]
    ChangeSetFailed {
        /// The stack.
        stack: StackName,
        /// CloudFormation's status reason.
        reason: String,
    },
    /// The operation failed; the stack was left in `status`.
    #[error(
        "{stack} failed and was left in {status}: {}{}. Next: {next_step}",
        list_failures(failures),
        alarm_note(alarms.as_deref())
    )]
    StackFailed {
        /// The stack.
        stack: StackName,
        /// The state it was left in.
        status: StackStatus,
        /// The first failing resources, oldest first.
        failures: Vec<ResourceFailure>,
        /// Evidence from outside CloudFormation (see [`crate::Diagnostics`]).
        findings: Vec<Finding>,
        /// For an update rolled back while CloudFormation watched alarms (rollback triggers):
        /// which were watched and which CloudFormation named.
        alarms: Option<Box<AlarmVerdict>>,
        /// What the user can do now (boxed, like `alarms`, so that `Error` stays small enough
        /// to return from every call).
        next_step: Box<str>,
    },
    /// A launch failed in a way waiting cannot fix: an update was cancelled (and rolled back),
    /// a create was left to CloudFormation's own timeout.
    #[error("{stack}: instances cannot be launched: {}. {}", failure.reason, failure.advice)]
    LaunchImpossible {
        /// The stack.
        stack: StackName,
        /// AWS's reason and the advice.
        failure: Box<LaunchFailure>,
        /// Whether the engine cancelled the update (a create cannot be cancelled).
        cancelled: bool,
        /// The stack's status when the engine stopped waiting.
        status: StackStatus,
        /// Evidence from outside CloudFormation.
        findings: Vec<Finding>,
        /// What the user can do now.
        next_step: String,
    },
    /// A failed first create left the stack in ROLLBACK_COMPLETE: it must be deleted and re-created.
    #[error(
        "{stack} is in ROLLBACK_COMPLETE after a failed first create; it must be deleted and re-created (confirm to let the deployer do it)"
    )]
    NeedsRecreate {
        /// The stack.
        stack: StackName,
    },
    /// The stack is in a state no operation can start from.
    #[error("{stack} is in {status}, which needs manual attention: {hint}")]
    Blocked {
        /// The stack.
        stack: StackName,
        /// Its state.
        status: StackStatus,
        /// What to do.
        hint: String,
    },
    /// Waiting took longer than the configured timeout. CloudFormation carries on regardless.
    #[error("gave up waiting for {stack} after {}s (still {status}); CloudFormation carries on: re-run to attach and wait", waited.as_secs())]
    Timeout {
        /// The stack.
        stack: StackName,
        /// How long we waited.
        waited: Duration,
        /// Its status when we gave up.
        status: StackStatus,
    },
    /// The plan would replace or delete protected resources.
    #[error(
        "refusing a change that loses data: {}. Re-run with --allow-data-loss to accept it",
        list_risks(risks)
    )]
    DataLoss {
        /// What would be lost and why it matters.
        risks: Vec<DataLossRisk>,
    },
    /// Another stack still imports one of this stack's exports.
    #[error(
        "cannot delete {stack}: its export {export} is still imported by {}; delete those first",
        list_names(importers)
    )]
    ExportInUse {
        /// The stack to delete.
        stack: StackName,
        /// The export still in use.
        export: ExportName,
        /// Who imports it.
        importers: Vec<StackName>,
    },
    /// Another stack still uses this one at run time (see `StackSpec::uses`).
    #[error(
        "cannot delete {stack}: {} still uses it; delete {} first, or both together",
        list_names(users),
        if users.len() == 1 { "that stack" } else { "those stacks" }
    )]
    InUse {
        /// The stack to delete.
        stack: StackName,
        /// The stacks that stay and use it.
        users: Vec<StackName>,
    },
    /// A stack uses another at run time that is neither deployed nor in this run.
    #[error(
        "{stack} uses {missing}, which is not deployed: deploy it first, or both together (`deploy all`)"
    )]
    UsedStackMissing {
        /// The stack to deploy.
        stack: StackName,
        /// The stack it uses.
        missing: StackName,
    },
    /// Several stacks failed independently (parallel work); each is reported.
    #[error("{} stacks failed: {}", errors.len(), errors.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | "))]
    Several {
        /// Each failure.
        errors: Vec<Error>,
    },
    /// A spec asks for rollback triggers CloudFormation would refuse (refused before any call).
    #[error("{stack}: {reason}")]
    InvalidRollbackConfiguration {
        /// The stack.
        stack: StackName,
        /// What is over the limit.
        reason: String,
    },
    /// The plan given to `deploy` does not match the specs.
    #[error("the plan does not cover {stack}; plan again")]
    NotPlanned {
        /// The stack missing from the plan.
        stack: StackName,
    },
    /// The caller's hook (e.g. uploading the build once the bucket exists) failed.
    #[error("{stack}: {source}")]
    Hook {
        /// The stack the hook ran for.
        stack: StackName,
        /// What went wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A background task died (a bug, not a CloudFormation problem).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Wraps an API failure with the operation and stack it concerns.
    pub fn api(operation: &'static str, stack: &StackName, source: ApiError) -> Self {
        Self::Api {
            operation,
            stack: stack.clone(),
            source,
        }
    }
}
