//! Progress events. The engine never prints: it pushes each event into a caller-supplied
//! [`EventSink`], and the CLI decides whether that becomes a progress bar, a plain line or JSON.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::cloudformation::{StackEvent, StackOutput};
use crate::diagnostics::{Finding, LaunchFailure};
use crate::guards::GuardChange;
use crate::names::{ChangeSetId, StackName};
use crate::status::StackStatus;

/// What the engine is doing to a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StackAction {
    /// Creating it.
    Create,
    /// Updating it.
    Update,
    /// Deleting it.
    Delete,
    /// Deleting it after a failed first create, then creating it again.
    Recreate,
    /// Applying pre-deletion parameters (e.g. lifting deletion protection).
    PrepareDelete,
    /// Applying, right after the first create, the parameters it held back (e.g. switching on
    /// deletion protection).
    CompleteCreate,
}

/// How a stack operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The stack was created.
    Created,
    /// The stack was updated.
    Updated,
    /// Nothing to do: a success.
    NoChanges,
    /// The stack was deleted.
    Deleted,
    /// The stack did not exist: nothing to delete.
    AlreadyGone,
}

/// One progress event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The stack is busy with an operation started elsewhere (or before a Ctrl-C): waiting for it.
    WaitingForInProgress {
        /// The stack.
        stack: StackName,
        /// Its current status.
        status: StackStatus,
    },
    /// A change set is being computed.
    ChangeSetCreating {
        /// The stack.
        stack: StackName,
        /// The change set.
        change_set: ChangeSetId,
    },
    /// An operation started.
    StackStarted {
        /// The stack.
        stack: StackName,
        /// What is being done.
        action: StackAction,
    },
    /// CloudFormation watches these alarms (rollback triggers) during the update about to
    /// start, and `minutes` after it: one going into ALARM rolls the update back.
    Watching {
        /// The stack.
        stack: StackName,
        /// The alarms' names.
        alarms: Vec<String>,
        /// Minutes watched after the update completes.
        minutes: u32,
    },
    /// A stack that declares alarm outputs is created or updated without rollback triggers.
    NotWatched {
        /// The stack.
        stack: StackName,
        /// Why, e.g. a first create (its alarms do not exist yet).
        reason: String,
    },
    /// A resource changed status.
    Resource {
        /// The stack.
        stack: StackName,
        /// The event as CloudFormation reported it.
        event: StackEvent,
    },
    /// The operation ended well.
    StackFinished {
        /// The stack.
        stack: StackName,
        /// How it ended.
        outcome: Outcome,
        /// How long the engine spent on the stack (milliseconds in JSON).
        #[serde(serialize_with = "millis")]
        duration: Duration,
        /// The stack's outputs afterwards (empty after a delete).
        outputs: Vec<StackOutput>,
    },
    /// The operation failed; the error returned says why.
    StackFailed {
        /// The stack.
        stack: StackName,
        /// The state it was left in, when known.
        status: Option<StackStatus>,
        /// How long it ran (milliseconds in JSON).
        #[serde(serialize_with = "millis")]
        duration: Duration,
    },
    /// The stack was not deployed because an earlier stack failed.
    StackSkipped {
        /// The stack.
        stack: StackName,
        /// Why, e.g. `dev-database failed`.
        reason: String,
    },
    /// Evidence about a failure, from outside CloudFormation (boot logs, scaling activities,
    /// target health, database events), reported as soon as the failure shows.
    Diagnosis {
        /// The stack.
        stack: StackName,
        /// The evidence.
        finding: Finding,
    },
    /// An instance could not be launched while the stack waited for it.
    LaunchFailed {
        /// The stack.
        stack: StackName,
        /// AWS's reason, whether waiting can help, and what to do.
        failure: LaunchFailure,
    },
    /// The engine cancels a running update that cannot succeed (CloudFormation rolls it back).
    Cancelling {
        /// The stack.
        stack: StackName,
        /// Why.
        reason: String,
    },
    /// A stack guard changed (termination protection, stack policy): see `GuardChange`.
    Guard {
        /// The stack.
        stack: StackName,
        /// What changed.
        change: GuardChange,
    },
    /// CloudFormation throttled a call; the engine waits and retries.
    Throttled {
        /// The stack concerned.
        stack: StackName,
        /// The API operation.
        operation: String,
        /// How long the engine waits before retrying (milliseconds in JSON).
        #[serde(serialize_with = "millis")]
        retry_in: Duration,
    },
}

/// Serialises a duration as whole milliseconds (every duration in the engine's JSON).
pub(crate) fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Receives the engine's events. Called from several tasks at once, so it must be thread-safe
/// and quick (hand slow work to another thread).
pub trait EventSink: Send + Sync {
    /// Receives one event.
    fn emit(&self, event: &Event);
}

/// Drops every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _event: &Event) {}
}

/// Keeps every event in memory: for tests, and for callers that render after the fact.
#[derive(Debug, Default)]
pub struct CollectingSink {
    events: Mutex<Vec<Event>>,
}

impl CollectingSink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the events received so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl EventSink for CollectingSink {
    fn emit(&self, event: &Event) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_as_tagged_json_with_millisecond_durations() {
        let event = Event::StackFinished {
            stack: StackName::new("dev-network").expect("valid"),
            outcome: Outcome::NoChanges,
            duration: Duration::from_millis(1500),
            outputs: Vec::new(),
        };
        let json = serde_json::to_value(&event).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"type": "stack_finished", "stack": "dev-network", "outcome": "no_changes", "duration": 1500, "outputs": []})
        );
    }

    #[test]
    fn the_collecting_sink_keeps_order() {
        let sink = CollectingSink::new();
        let stack = StackName::new("a").expect("valid");
        sink.emit(&Event::StackStarted {
            stack: stack.clone(),
            action: StackAction::Create,
        });
        sink.emit(&Event::StackSkipped {
            stack,
            reason: "x".to_owned(),
        });
        assert!(matches!(
            sink.events()[..],
            [Event::StackStarted { .. }, Event::StackSkipped { .. }]
        ));
    }
}
