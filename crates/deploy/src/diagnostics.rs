//! What the engine asks the world outside CloudFormation while it waits on a stack. CloudFormation
//! reports an instance's failed boot as "Received 1 FAILURE signal(s)" and a launch that cannot
//! happen only as a timeout fifteen minutes later; the evidence (boot logs, scaling activities,
//! target health, database events) lives in other services. The engine owns this trait and knows
//! when to ask; the CLI gives it an implementation over those services (`techchallenge-fleet`).

use async_trait::async_trait;
use serde::Serialize;

use crate::cloudformation::Timestamp;
use crate::names::StackName;

/// One piece of evidence about a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The last lines of an instance's boot log.
    BootLog {
        /// The instance.
        instance_id: String,
        /// Its last lines, oldest first.
        lines: Vec<String>,
    },
    /// An auto scaling group's activity (a launch or termination), with AWS's words.
    ScalingActivity {
        /// When it started (RFC 3339).
        time: String,
        /// `Successful`, `Failed`, `Cancelled`, `InProgress`, ...
        status: String,
        /// What it did, e.g. "Launching a new EC2 instance: i-0123...".
        description: String,
        /// Why it ended as it did, when AWS says.
        message: Option<String>,
    },
    /// A load balancer target's health.
    TargetHealth {
        /// The instance.
        instance_id: String,
        /// `healthy`, `unhealthy`, `initial`, `unused`, `draining`.
        state: String,
        /// The reason code, e.g. `Target.ResponseCodeMismatch`.
        reason: Option<String>,
        /// Its description.
        description: Option<String>,
    },
    /// An event of the database instance.
    DatabaseEvent {
        /// When (RFC 3339).
        time: String,
        /// RDS's message.
        message: String,
    },
    /// Evidence that could not be read, and why (e.g. a missing permission).
    Unavailable {
        /// What was asked.
        what: String,
        /// Why it could not be answered.
        reason: String,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::BootLog { instance_id, lines } => {
                write!(f, "{instance_id}'s boot log ends with:")?;
                for line in lines {
                    write!(f, "\n      {line}")?;
                }
                Ok(())
            }
            Finding::ScalingActivity {
                time,
                status,
                description,
                message,
            } => {
                write!(f, "scaling activity {time} {status}: {description}")?;
                match message {
                    Some(m) => write!(f, ": {m}"),
                    None => Ok(()),
                }
            }
            Finding::TargetHealth {
                instance_id,
                state,
                reason,
                description,
            } => {
                write!(f, "target {instance_id}: {state}")?;
                if let Some(r) = reason {
                    write!(f, " ({r})")?;
                }
                match description {
                    Some(d) => write!(f, ": {d}"),
                    None => Ok(()),
                }
            }
            Finding::DatabaseEvent { time, message } => {
                write!(f, "database event {time}: {message}")
            }
            Finding::Unavailable { what, reason } => write!(f, "could not read {what}: {reason}"),
        }
    }
}

/// A launch that failed while the engine waited for the instances' signals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LaunchFailure {
    /// The scaling activity, so that it is reported once.
    pub activity_id: String,
    /// AWS's words.
    pub reason: String,
    /// Whether waiting cannot fix it (an unsupported instance type, an image of the wrong
    /// architecture, invalid parameters, a quota): then the operation is hopeless. Capacity
    /// shortages are not: AWS retries them.
    pub hopeless: bool,
    /// What to do about it.
    pub advice: String,
}

/// The evidence outside CloudFormation, as the engine asks for it.
#[async_trait]
pub trait Diagnostics: Send + Sync {
    /// What explains a failure on `stack` of the operation that started at `since`. Called as
    /// soon as the first failure event arrives, while the instances still exist.
    async fn explain(&self, stack: &StackName, since: &Timestamp) -> Vec<Finding>;

    /// While an operation on `stack` that started at `since` runs: launches that failed.
    /// Called every `EngineOptions::watch_interval`.
    async fn watch(&self, stack: &StackName, since: &Timestamp) -> Vec<LaunchFailure>;
}

/// No evidence: for callers that have none to offer.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoDiagnostics;

#[async_trait]
impl Diagnostics for NoDiagnostics {
    async fn explain(&self, _stack: &StackName, _since: &Timestamp) -> Vec<Finding> {
        Vec::new()
    }

    async fn watch(&self, _stack: &StackName, _since: &Timestamp) -> Vec<LaunchFailure> {
        Vec::new()
    }
}
