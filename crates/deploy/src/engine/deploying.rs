//! `Engine::deploy`: executes a plan in dependency order, independent stacks in parallel, each
//! through its change set or CreateStack/UpdateStack, re-attaching to operations already running,
//! recovering ROLLBACK_COMPLETE stacks when confirmed, and reporting per-stack durations.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::planning::stack_input;
use super::waiting::{Settled, failed};
use super::{Engine, guarding};
use crate::cloudformation::ApiError;
use crate::cloudformation::{ChangeSetKind, StackOutput};
use crate::error::Error;
use crate::events::{Event, Outcome, StackAction};
use crate::hook::{NoHook, StackHook};
use crate::names::{ChangeSetId, LogicalId, RequestToken, StackName};
use crate::order::in_set_dependencies;
use crate::plan::{Method, Plan, PlanAction, StackPlan};
use crate::rollback::{self, RollbackWatch};
use crate::spec::StackSpec;
use crate::{data_loss, diff};

/// What the caller decided after seeing the plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeployOptions {
    /// Accept replacing or deleting protected resources.
    pub allow_data_loss: bool,
    /// The user confirmed deleting and re-creating stacks left in ROLLBACK_COMPLETE.
    pub confirm_recreate: bool,
}

/// How one stack's deploy went.
#[derive(Debug, Clone, Serialize)]
pub struct StackReport {
    /// The stack.
    pub stack: StackName,
    /// What happened.
    pub outcome: Outcome,
    /// Time the engine spent on it, waiting included.
    #[serde(serialize_with = "crate::events::millis")]
    pub duration: Duration,
    /// Its outputs afterwards.
    pub outputs: Vec<StackOutput>,
}

/// The result of a successful deploy, stacks in plan order.
#[derive(Debug, Clone, Serialize)]
pub struct DeployReport {
    /// One entry per stack.
    pub stacks: Vec<StackReport>,
}

impl Engine {
    /// Executes `plan`. Refuses first if it loses protected data without `allow_data_loss`.
    /// Stacks run as soon as the stacks they depend on are done; a failure stops new stacks from
    /// starting (each gets an [`Event::StackSkipped`]), lets running ones finish (CloudFormation
    /// would anyway), and is returned ([`Error::Several`] when parallel stacks both failed).
    pub async fn deploy(&self, plan: &Plan, options: DeployOptions) -> Result<DeployReport, Error> {
        self.deploy_with(plan, options, Arc::new(NoHook)).await
    }

    /// [`Engine::deploy`], running `hook.after_deploy` after each stack succeeds (or has no
    /// changes) and before any stack that depends on it starts: e.g. uploading the build once the
    /// bucket's stack is there, before the stack that boots from it.
    pub async fn deploy_with(
        &self,
        plan: &Plan,
        options: DeployOptions,
        hook: Arc<dyn StackHook>,
    ) -> Result<DeployReport, Error> {
        plan.check_data_loss(options.allow_data_loss)?;
        let specs = &plan.specs;
        let mut pending: Vec<usize> = (0..plan.stacks.len()).collect();
        let mut finished: HashMap<usize, bool> = HashMap::new();
        let mut reports: HashMap<usize, StackReport> = HashMap::new();
        let mut errors = Vec::new();
        let mut running = JoinSet::new();
        loop {
            let mut progress = true;
            while progress {
                progress = false;
                for &i in &pending.clone() {
                    let spec = specs.get(i).ok_or_else(|| Error::NotPlanned {
                        stack: plan.stacks[i].stack.clone(),
                    })?;
                    let deps = in_set_dependencies(specs, spec);
                    if let Some(&bad) = deps.iter().find(|d| finished.get(d) == Some(&false)) {
                        self.emit(Event::StackSkipped {
                            stack: spec.name.clone(),
                            reason: format!("{} failed", specs[bad].name),
                        });
                        finished.insert(i, false);
                    } else if errors.is_empty()
                        && deps.iter().all(|d| finished.get(d) == Some(&true))
                    {
                        let (engine, spec, stack_plan) =
                            (self.clone(), spec.clone(), plan.stacks[i].clone());
                        let method = plan.method;
                        let hook = hook.clone();
                        running.spawn(async move {
                            let result =
                                engine.deploy_one(&spec, &stack_plan, method, options).await;
                            let result = match result {
                                Ok(report) => hook
                                    .after_deploy(&report.stack, &report.outputs)
                                    .await
                                    .map(|()| report)
                                    .map_err(|source| Error::Hook {
                                        stack: spec.name.clone(),
                                        source,
                                    }),
                                Err(e) => Err(e),
                            };
                            (i, result)
                        });
                    } else {
                        continue;
                    }
                    pending.retain(|&p| p != i);
                    progress = true;
                }
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let (i, result) = joined.map_err(|e| Error::Internal(e.to_string()))?;
            match result {
                Ok(report) => {
                    finished.insert(i, true);
                    reports.insert(i, report);
                }
                Err(e) => {
                    finished.insert(i, false);
                    errors.push(e);
                }
            }
        }
        for &i in &pending {
            self.emit(Event::StackSkipped {
                stack: plan.stacks[i].stack.clone(),
                reason: "not started after an earlier failure".to_owned(),
            });
        }
        match errors.len() {
            0 => Ok(DeployReport {
                stacks: (0..plan.stacks.len())
                    .filter_map(|i| reports.remove(&i))
                    .collect(),
            }),
            1 => Err(errors.remove(0)),
            _ => Err(Error::Several { errors }),
        }
    }

    async fn deploy_one(
        &self,
        spec: &StackSpec,
        plan: &StackPlan,
        method: Method,
        options: DeployOptions,
    ) -> Result<StackReport, Error> {
        let started = Instant::now();
        let result = self.deploy_stack(spec, plan, method, options).await;
        let duration = started.elapsed();
        match result {
            Ok((outcome, outputs)) => {
                self.emit(Event::StackFinished {
                    stack: spec.name.clone(),
                    outcome,
                    duration,
                    outputs: outputs.clone(),
                });
                Ok(StackReport {
                    stack: spec.name.clone(),
                    outcome,
                    duration,
                    outputs,
                })
            }
            Err(e) => {
                let status = match &e {
                    Error::StackFailed { status, .. }
                    | Error::Blocked { status, .. }
                    | Error::Timeout { status, .. } => Some(status.clone()),
                    _ => None,
                };
                self.emit(Event::StackFailed {
                    stack: spec.name.clone(),
                    status,
                    duration,
                });
                Err(e)
            }
        }
    }

    async fn deploy_stack(
        &self,
        spec: &StackSpec,
        plan: &StackPlan,
        method: Method,
        options: DeployOptions,
    ) -> Result<(Outcome, Vec<StackOutput>), Error> {
        let stack = &spec.name;
        if plan.action == PlanAction::NoChanges {
            // Nothing to do but missing guards: the outputs seen when planning are the answer.
            self.apply_guards(spec, &plan.guards).await?;
            return Ok((Outcome::NoChanges, plan.outputs.clone()));
        }
        // Re-attach: an operation already running (e.g. before a Ctrl-C) is waited on, not restarted.
        let mut current = self.settle_first(stack).await?;
        if current.as_ref().is_some_and(|d| d.status.needs_recreate()) {
            if !options.confirm_recreate {
                return Err(Error::NeedsRecreate {
                    stack: stack.clone(),
                });
            }
            self.emit(Event::StackStarted {
                stack: stack.clone(),
                action: StackAction::Recreate,
            });
            if let Some(d) = &current {
                self.lift_protection(d, "a failed create left it empty; re-creating it")
                    .await?;
            }
            self.delete_and_wait(stack).await?;
            current = None;
        }
        let exists = current.as_ref().is_some_and(|d| !d.status.is_review());
        let action = if exists {
            StackAction::Update
        } else {
            StackAction::Create
        };
        let token = self.next_token(stack, "deploy");
        let seen = self.event_cursor(stack).await?;
        // Protected resources the user accepted losing: the stack policy lets exactly these
        // through for this update.
        let mut accepted: Vec<LogicalId> =
            plan.risks.iter().map(|r| r.logical_id.clone()).collect();
        // The alarms watching an update: those its change set was made with, else read now.
        let mut watch = rollback::watch(spec, current.as_ref());
        // What runs: the change set (made now when planning could not make it), or a direct call.
        let change_set = match (method, &plan.change_set) {
            (Method::ChangeSet, Some(id)) => {
                watch.clone_from(&plan.watch);
                Some(id.clone())
            }
            (Method::ChangeSet, None) => {
                let kind = if exists {
                    ChangeSetKind::Update
                } else {
                    ChangeSetKind::Create
                };
                let made = self.make_change_set(spec, kind, watch.as_ref()).await?;
                let Some((id, changes)) = made else {
                    self.apply_guards(spec, &plan.guards).await?;
                    return Ok((
                        Outcome::NoChanges,
                        current.map(|d| d.outputs).unwrap_or_default(),
                    ));
                };
                // Not seen at plan time (the stack could not have a change set then): the
                // data-loss check looks at it now.
                let planned: Vec<_> = changes.iter().map(diff::planned).collect();
                let risks = data_loss::assess(spec, &planned);
                if !risks.is_empty() && !options.allow_data_loss {
                    self.drop_change_set(stack, &id).await;
                    return Err(Error::DataLoss { risks });
                }
                accepted.extend(risks.iter().map(|r| r.logical_id.clone()));
                Some(id)
            }
            (Method::Direct, _) => None,
        };
        // A deployed stack gets its missing guards before the update: the update then runs under
        // the spec's own policy (a resource no longer protected may go), and one that rolls back
        // leaves the stack guarded all the same.
        if exists {
            self.apply_guards(spec, &plan.guards).await?;
        }
        let relaxed =
            exists && options.allow_data_loss && self.relax_policy(spec, &accepted).await?;
        let ran = self
            .run_operation(
                spec,
                change_set.as_ref(),
                exists,
                current.is_some(),
                &token,
                seen,
                action,
                watch.as_ref(),
            )
            .await;
        if relaxed {
            // However the operation ended, the full policy goes back; the operation's own error
            // matters more than a failed restore, which the next plan finds and repairs. (A
            // Ctrl-C while waiting leaves the relaxed policy: the next plan restores it too.)
            let restored = self.restore_policy(spec).await;
            if ran.is_ok() {
                restored?;
            } else if let Err(e) = restored {
                tracing::warn!(%stack, error = %e, "could not restore the stack policy");
            }
        }
        let Some(settled) = ran? else {
            return Ok((
                Outcome::NoChanges,
                current.map(|d| d.outputs).unwrap_or_default(),
            ));
        };
        match &settled.description {
            Some(d) if d.status.is_good() && exists => Ok((Outcome::Updated, d.outputs.clone())),
            Some(d) if d.status.is_good() => {
                if !spec.parameters_on_first_create.is_empty() {
                    let usual = spec.after_first_create_parameters();
                    self.update_parameters(spec, d, &usual, StackAction::CompleteCreate)
                        .await?;
                }
                self.apply_guards(spec, &guarding::wanted(spec)).await?;
                Ok((Outcome::Created, d.outputs.clone()))
            }
            _ => Err(failed(stack, settled, watch.as_ref())),
        }
    }

    /// Starts the stack's operation (executes `change_set`, or calls UpdateStack/CreateStack) and
    /// waits until it settles; says first which alarms watch it. `None`: UpdateStack found
    /// nothing to update.
    #[allow(clippy::too_many_arguments)]
    async fn run_operation(
        &self,
        spec: &StackSpec,
        change_set: Option<&ChangeSetId>,
        exists: bool,
        shell_exists: bool,
        token: &RequestToken,
        seen: HashSet<String>,
        action: StackAction,
        watch: Option<&RollbackWatch>,
    ) -> Result<Option<Settled>, Error> {
        let stack = &spec.name;
        match watch {
            Some(w @ RollbackWatch::Watched { minutes, .. }) => self.emit(Event::Watching {
                stack: stack.clone(),
                alarms: w.alarm_names(),
                minutes: *minutes,
            }),
            Some(RollbackWatch::NotWatched { reason }) => self.emit(Event::NotWatched {
                stack: stack.clone(),
                reason: reason.clone(),
            }),
            None => {}
        }
        if let Some(id) = change_set {
            self.emit(Event::StackStarted {
                stack: stack.clone(),
                action,
            });
            self.call(stack, "ExecuteChangeSet", || {
                self.cfn.execute_change_set(stack, id, Some(token))
            })
            .await?;
        } else {
            let rollback = watch.and_then(|w| w.configuration(exists));
            let input = stack_input(spec, !exists, Some(token.clone()), rollback);
            if exists {
                match self
                    .call(stack, "UpdateStack", || self.cfn.update_stack(&input))
                    .await
                {
                    Err(Error::Api {
                        source: ApiError::NoUpdates,
                        ..
                    }) => return Ok(None),
                    other => other?,
                };
            } else {
                if shell_exists {
                    // A REVIEW_IN_PROGRESS shell left by a create change set blocks CreateStack.
                    self.delete_and_wait(stack).await?;
                }
                self.call(stack, "CreateStack", || self.cfn.create_stack(&input))
                    .await?;
            }
            self.emit(Event::StackStarted {
                stack: stack.clone(),
                action,
            });
        }
        // CloudFormation keeps a watched update in progress for its monitoring time after the
        // resources are done: the wait may take that much longer.
        let mut waiter = self.clone();
        if let Some(RollbackWatch::Watched { minutes, .. }) = watch {
            waiter.options.timeout += Duration::from_secs(u64::from(*minutes) * 60);
        }
        waiter
            .wait_settled(stack, Some(token), seen)
            .await
            .map(Some)
    }

    /// Deletes a stack and waits until it is gone.
    pub(crate) async fn delete_and_wait(&self, stack: &StackName) -> Result<(), Error> {
        let token = self.next_token(stack, "delete");
        let seen = self.event_cursor(stack).await?;
        self.call(stack, "DeleteStack", || {
            self.cfn.delete_stack(stack, Some(&token))
        })
        .await?;
        let settled = self.wait_settled(stack, Some(&token), seen).await?;
        match &settled.description {
            None => Ok(()),
            Some(d) if d.status.as_str() == "DELETE_COMPLETE" => Ok(()),
            Some(_) => Err(failed(stack, settled, None)),
        }
    }
}
