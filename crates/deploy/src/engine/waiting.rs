//! Waiting for a stack operation to settle: polls the stack and its events every
//! `poll_interval`, forwards new resource events (those of our request token) to the sink,
//! collects the first failures, and gives up after `timeout` (CloudFormation carries on).
//!
//! While it waits it also asks the diagnostics (see `diagnostics.rs`): for the evidence as soon
//! as the first failure shows, and every `watch_interval` whether a launch failed. A launch that
//! waiting cannot fix cancels a running update (CloudFormation rolls it back) and ends a wait on
//! a create at once, saying why; a launch that may still succeed is only reported.

use std::collections::HashSet;

use super::Engine;
use crate::cloudformation::{ApiError, StackDescription, Timestamp};
use crate::diagnostics::{Finding, LaunchFailure};
use crate::error::{Error, ResourceFailure};
use crate::events::Event;
use crate::names::{RequestToken, StackName};
use crate::rollback::{AlarmVerdict, RollbackWatch, alarm_name};
use crate::status::StackStatus;

/// How a wait ended.
#[derive(Debug)]
pub(crate) struct Settled {
    /// The stack afterwards; `None` once deleted.
    pub description: Option<StackDescription>,
    /// Failed resources seen while waiting, oldest first.
    pub failures: Vec<ResourceFailure>,
    /// The diagnostics' evidence, when something failed.
    pub findings: Vec<Finding>,
    /// The hopeless launch that made the engine cancel the update, if any.
    pub cancelled_for: Option<LaunchFailure>,
    /// The reasons of the stack-level events seen while waiting (whatever their token): where
    /// CloudFormation names the alarm that rolled a watched update back.
    pub stack_reasons: Vec<String>,
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
            if event.is_stack_event()
                && let Some(reason) = event.reason.as_ref().filter(|r| !r.is_empty())
            {
                tracker.stack_reasons.push(reason.clone());
            }
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
        let since = Timestamp::now();
        let mut tracker = Tracker {
            seen,
            failures: Vec::new(),
            consequences: Vec::new(),
            findings: None,
            launches: HashSet::new(),
            cancelled_for: None,
            stack_reasons: Vec::new(),
        };
        // Once an update is cancelled, the rollback's events carry no token of ours.
        let mut token = token;
        let mut armed = token.is_none();
        let mut unarmed_polls = 0;
        let mut last_watch = started;
        // Launch watching stops once it has acted (cancelled) or could no longer act.
        let mut watching = true;
        loop {
            // Events before status: an event of ours means the status read next reflects our operation.
            armed |= self.drain_events(stack, token, &mut tracker).await?;
            if !tracker.failures.is_empty() {
                self.explain(stack, &since, &mut tracker).await;
            }
            let description = self.describe(stack).await?;
            armed |= description
                .as_ref()
                .is_some_and(|d| d.status.is_in_progress());
            let settled = description.as_ref().is_none_or(|d| d.status.is_settled());
            if settled && (armed || description.is_none() || unarmed_polls >= GRACE_POLLS) {
                // The last events were written between the two calls.
                self.drain_events(stack, token, &mut tracker).await?;
                let failed = description.as_ref().is_some_and(|d| !d.status.is_good());
                if failed {
                    self.explain(stack, &since, &mut tracker).await;
                }
                let Tracker {
                    mut failures,
                    consequences,
                    findings,
                    cancelled_for,
                    stack_reasons,
                    ..
                } = tracker;
                if failures.is_empty() {
                    failures = consequences;
                }
                return Ok(Settled {
                    description,
                    failures,
                    findings: findings.unwrap_or_default(),
                    cancelled_for,
                    stack_reasons,
                });
            }
            if settled {
                unarmed_polls += 1;
            }
            let running = description.as_ref().map(|d| d.status.as_str());
            if token.is_some()
                && watching
                && matches!(running, Some("CREATE_IN_PROGRESS" | "UPDATE_IN_PROGRESS"))
                && last_watch.elapsed() >= self.options.watch_interval
            {
                last_watch = tokio::time::Instant::now();
                if let Some(hopeless) = self.watch_launches(stack, &since, &mut tracker).await {
                    if running == Some("CREATE_IN_PROGRESS") {
                        self.explain(stack, &since, &mut tracker).await;
                        return Err(Error::LaunchImpossible {
                            stack: stack.clone(),
                            next_step: format!(
                                "CloudFormation keeps waiting for the instances until its own timeout, then rolls the create back (ROLLBACK_COMPLETE); fix the cause, then deploy again and confirm re-creating {stack}"
                            ),
                            failure: Box::new(hopeless),
                            cancelled: false,
                            status: description
                                .map_or_else(|| StackStatus::new("UNKNOWN"), |d| d.status),
                            findings: tracker.findings.unwrap_or_default(),
                        });
                    }
                    self.emit(Event::Cancelling {
                        stack: stack.clone(),
                        reason: hopeless.reason.clone(),
                    });
                    watching = false;
                    match self
                        .call(stack, "CancelUpdateStack", || {
                            self.cfn.cancel_update_stack(stack)
                        })
                        .await
                    {
                        Ok(()) => {
                            tracker.cancelled_for = Some(hopeless);
                            token = None;
                        }
                        // Too late (the update already completed or is rolling back for
                        // another failure) or not allowed: the wait goes on, and its end
                        // reports what really happened.
                        Err(e) => tracing::warn!(
                            stack = %stack,
                            error = %e,
                            "could not cancel the update; waiting for it to end"
                        ),
                    }
                }
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
    /// The diagnostics' evidence, once asked (asked once per wait).
    findings: Option<Vec<Finding>>,
    /// Failed launches already reported.
    launches: HashSet<String>,
    cancelled_for: Option<LaunchFailure>,
    stack_reasons: Vec<String>,
}

impl Engine {
    /// Asks the diagnostics for the evidence of a failure, once per wait, and reports it.
    async fn explain(&self, stack: &StackName, since: &Timestamp, tracker: &mut Tracker) {
        if tracker.findings.is_some() {
            return;
        }
        let findings = self.diagnostics.explain(stack, since).await;
        for finding in &findings {
            self.emit(Event::Diagnosis {
                stack: stack.clone(),
                finding: finding.clone(),
            });
        }
        tracker.findings = Some(findings);
    }

    /// Reports launches that failed since the last look; returns the first hopeless one.
    async fn watch_launches(
        &self,
        stack: &StackName,
        since: &Timestamp,
        tracker: &mut Tracker,
    ) -> Option<LaunchFailure> {
        let mut hopeless = None;
        for failure in self.diagnostics.watch(stack, since).await {
            if !tracker.launches.insert(failure.activity_id.clone()) {
                continue;
            }
            self.emit(Event::LaunchFailed {
                stack: stack.clone(),
                failure: failure.clone(),
            });
            if failure.hopeless && hopeless.is_none() {
                hopeless = Some(failure);
            }
        }
        hopeless
    }
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

/// Builds the typed failure for a settled stack that did not end well; `watch` is how the
/// operation was watched by alarms, if it was an update of a stack that declares them.
pub(crate) fn failed(stack: &StackName, settled: Settled, watch: Option<&RollbackWatch>) -> Error {
    let status = settled
        .description
        .as_ref()
        .map_or_else(|| StackStatus::new("DELETE_COMPLETE"), |d| d.status.clone());
    let alarms = match watch {
        Some(RollbackWatch::Watched { alarms, .. })
            if status.as_str().starts_with("UPDATE_ROLLBACK") =>
        {
            let mut reasons = settled.stack_reasons.clone();
            reasons.extend(
                settled
                    .description
                    .as_ref()
                    .and_then(|d| d.status_reason.clone()),
            );
            Some(Box::new(AlarmVerdict::find(alarms, &reasons)))
        }
        _ => None,
    };
    if let Some(failure) = settled.cancelled_for {
        let next_step = if status.as_str() == "UPDATE_ROLLBACK_COMPLETE" {
            format!(
                "the update was cancelled and {stack} is back at its previous version ({status}); fix the cause and deploy again"
            )
        } else {
            format!(
                "the update was cancelled, but its rollback ended in {status}: {}",
                next_step(stack, &status)
            )
        };
        return Error::LaunchImpossible {
            stack: stack.clone(),
            next_step,
            failure: Box::new(failure),
            cancelled: true,
            status,
            findings: settled.findings,
        };
    }
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
    let next_step = match &alarms {
        Some(verdict)
            if !verdict.fired.is_empty() && status.as_str() == "UPDATE_ROLLBACK_COMPLETE" =>
        {
            let names: Vec<&str> = verdict.fired.iter().map(|a| alarm_name(a)).collect();
            format!(
                "the stack is back at its previous version and still works; {} went into ALARM while the update was watched: find out why (its metrics, the application's logs), fix it and deploy again. If it was already in ALARM before this deploy (CloudFormation rolls back on an alarm that fires at any moment of the watch), deploy the fix with --no-rollback-watch",
                names.join(", ")
            )
        }
        _ => next_step(stack, &status),
    };
    Error::StackFailed {
        stack: stack.clone(),
        next_step: next_step.into(),
        status,
        failures,
        findings: settled.findings,
        alarms,
    }
}
