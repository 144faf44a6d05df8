//! Waiting for a stack operation to settle: polls the stack and its events every
//! `poll_interval`, forwards new resource events (those of our request token) to the sink,
//! collects the first failures, and gives up after `timeout` (CloudFormation carries on).

use std::collections::HashSet;

use super::Engine;
use crate::cloudformation::ApiError;
use crate::cloudformation::StackDescription;
use crate::error::{Error, ResourceFailure};
use crate::events::Event;
use crate::names::{RequestToken, StackName};
use crate::status::StackStatus;

/// How a wait ended.
#[derive(Debug)]
pub(crate) struct Settled {
    /// The stack afterwards; `None` once deleted.
    pub description: Option<StackDescription>,
    /// Failed resources seen while waiting, oldest first.
    pub failures: Vec<ResourceFailure>,
}

/// CloudFormation cancels the siblings of a failed resource; their reason says nothing useful.
fn is_consequence(reason: &str) -> bool {
    reason.contains("Resource creation cancelled")
        || reason.contains("Resource update cancelled")
        || reason.contains("Resource deletion cancelled")
}

impl Engine {
    /// The ids of the events that exist now, so that only later ones are shown.
    pub(crate) async fn event_cursor(&self, stack: &StackName) -> Result<HashSet<String>, Error> {
        match self
            .call(stack, "DescribeStackEvents", || {
                self.cfn.describe_stack_events(stack)
            })
            .await
        {
            Ok(events) => Ok(events.into_iter().map(|e| e.event_id).collect()),
            Err(Error::Api {
                source: ApiError::NotFound { .. },
                ..
            }) => Ok(HashSet::new()),
            Err(e) => Err(e),
        }
    }

    /// Describes a stack through the retry wrapper; `None` when it does not exist.
    pub(crate) async fn describe(
        &self,
        stack: &StackName,
    ) -> Result<Option<StackDescription>, Error> {
        self.call(stack, "DescribeStacks", || self.cfn.describe_stack(stack))
            .await
    }

    /// If an operation is running on the stack (ours from before a Ctrl-C, or someone else's),
    /// waits for it to settle; returns the stack as it is then.
    pub(crate) async fn settle_first(
        &self,
        stack: &StackName,
    ) -> Result<Option<StackDescription>, Error> {
        let current = self.describe(stack).await?;
        match current {
            Some(d) if d.status.is_in_progress() => {
                tracing::debug!(%stack, status = %d.status, "attaching to an operation in progress");
                self.emit(Event::WaitingForInProgress {
                    stack: stack.clone(),
                    status: d.status.clone(),
                });
                let seen = self.event_cursor(stack).await?;
                Ok(self.wait_settled(stack, None, seen).await?.description)
            }
            other => Ok(other),
        }
    }

    /// Fetches the stack's events and forwards the new ones of our operation to the sink,
    /// collecting failures. Returns whether any new event of ours arrived.
    async fn drain_events(
        &self,
        stack: &StackName,
        token: Option<&RequestToken>,
        tracker: &mut Tracker,
    ) -> Result<bool, Error> {
        let events = match self
            .call(stack, "DescribeStackEvents", || {
                self.cfn.describe_stack_events(stack)
            })
            .await
        {
            Ok(events) => events,
            Err(Error::Api {
                source: ApiError::NotFound { .. },
                ..
            }) => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut any = false;
        // Newest first from the API: show them oldest first.
        for event in events.into_iter().rev() {
            if !tracker.seen.insert(event.event_id.clone()) {
                continue;
            }
            let ours = match (token, &event.request_token) {
                (Some(want), Some(got)) => want == got,
                _ => true,
            };
            if !ours {
                continue;
            }
            any = true;
            if event.status.is_failed() {
                let failure = ResourceFailure {
                    logical_id: event.logical_id.clone(),
                    resource_type: event.resource_type.clone(),
                    status: event.status.clone(),
                    reason: event.reason.clone().unwrap_or_default(),
                };
                if is_consequence(&failure.reason) {
                    tracker.consequences.push(failure);
                } else {
                    tracker.failures.push(failure);
                }
            }
            self.emit(Event::Resource {
                stack: stack.clone(),
                event,
            });
        }
        Ok(any)
    }

    /// Polls until the stack's status is settled (or the stack is gone).
    ///
    /// An operation we just started may not show in DescribeStacks yet (the previous, settled
    /// status lingers for a moment), so with a token a settled status counts only once the
    /// operation has shown itself: a new event of ours, or an in-progress status. Endpoints that
    /// write no events are given a few polls' grace instead of waiting forever.
    pub(crate) async fn wait_settled(
        &self,
        stack: &StackName,
        token: Option<&RequestToken>,
        seen: HashSet<String>,
    ) -> Result<Settled, Error> {
        const GRACE_POLLS: u32 = 3;
        let started = tokio::time::Instant::now();
        let mut tracker = Tracker {
            seen,
            failures: Vec::new(),
            consequences: Vec::new(),
        };
        let mut armed = token.is_none();
        let mut unarmed_polls = 0;
        loop {
            // Events before status: an event of ours means the status read next reflects our operation.
            armed |= self.drain_events(stack, token, &mut tracker).await?;
            let description = self.describe(stack).await?;
            armed |= description
                .as_ref()
                .is_some_and(|d| d.status.is_in_progress());
            let settled = description.as_ref().is_none_or(|d| d.status.is_settled());
            if settled && (armed || description.is_none() || unarmed_polls >= GRACE_POLLS) {
                // The last events were written between the two calls.
                self.drain_events(stack, token, &mut tracker).await?;
                let Tracker {
                    mut failures,
                    consequences,
                    ..
                } = tracker;
                if failures.is_empty() {
                    failures = consequences;
                }
                return Ok(Settled {
                    description,
                    failures,
                });
            }
            if settled {
                unarmed_polls += 1;
            }
            if started.elapsed() >= self.options.timeout {
                let status = description.map_or_else(|| StackStatus::new("UNKNOWN"), |d| d.status);
                return Err(Error::Timeout {
                    stack: stack.clone(),
                    waited: started.elapsed(),
                    status,
                });
            }
            tokio::time::sleep(self.options.poll_interval).await;
        }
    }
}

/// What a wait has seen so far.
struct Tracker {
    seen: HashSet<String>,
    failures: Vec<ResourceFailure>,
    consequences: Vec<ResourceFailure>,
}

/// What the user can do next, given the state a failed operation left the stack in.
pub(crate) fn next_step(stack: &StackName, status: &StackStatus) -> String {
    match status.as_str() {
        "ROLLBACK_COMPLETE" => "the first create failed and was rolled back; fix the cause, then deploy again and confirm deleting and re-creating the stack".to_owned(),
        "UPDATE_ROLLBACK_COMPLETE" => "the stack is back at its previous version and still works; fix the cause and deploy again".to_owned(),
        "UPDATE_ROLLBACK_FAILED" => format!(
            "fix what blocks the rollback, then run `aws cloudformation continue-update-rollback --stack-name {stack}` and deploy again"
        ),
        "ROLLBACK_FAILED" | "CREATE_FAILED" => format!(
            "delete the stack (`aws cloudformation delete-stack --stack-name {stack}`, cleaning up any resource it cannot delete) and deploy again"
        ),
        "DELETE_FAILED" => "remove what blocks the deletion (see the reasons above) and destroy again".to_owned(),
        _ => format!("look at `aws cloudformation describe-stack-events --stack-name {stack}`"),
    }
}

/// Builds the typed failure for a settled stack that did not end well.
pub(crate) fn failed(stack: &StackName, settled: Settled) -> Error {
    let status = settled
        .description
        .as_ref()
        .map_or_else(|| StackStatus::new("DELETE_COMPLETE"), |d| d.status.clone());
    let mut failures = settled.failures;
    failures.truncate(5);
    if failures.is_empty()
        && let Some(reason) = settled.description.and_then(|d| d.status_reason)
    {
        failures.push(ResourceFailure {
            logical_id: crate::names::LogicalId::new(stack.as_str()),
            resource_type: "AWS::CloudFormation::Stack".to_owned(),
            status: crate::status::ResourceStatus::new(status.as_str()),
            reason,
        });
    }
    Error::StackFailed {
        stack: stack.clone(),
        next_step: next_step(stack, &status),
        status,
        failures,
    }
}
