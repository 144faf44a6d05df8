//! `Engine::plan`: settles running operations, recognises a stack already deployed as specified
//! without a change set, then makes one change set per stack (with property values) or, when a
//! change set cannot be made yet, reads the template; recognises "no changes";
//! assesses data-loss risks. Also `Engine::discard`, which cleans up an unexecuted plan.

use std::collections::HashMap;

use super::waiting::next_step;
use super::{Engine, guarding};
use crate::cloudformation::ApiError;
use crate::cloudformation::{
    ChangeSetKind, ResourceChange, StackDescription, StackInput, TemplateSource,
};
use crate::data_loss;
use crate::diff;
use crate::drift::{DriftStatus, LastDrift};
use crate::error::Error;
use crate::events::Event;
use crate::names::{ChangeSetId, RequestToken, StackName};
use crate::order::dependency_order;
use crate::plan::{Method, Plan, PlanAction, StackPlan};
use crate::rollback::{self, RollbackConfiguration, RollbackWatch};
use crate::spec::StackSpec;
use crate::unchanged;

/// The SDK input for a spec; `creating` the stack uses its first-create parameters; `rollback`
/// is the triggers to send (see `rollback.rs`).
pub(crate) fn stack_input(
    spec: &StackSpec,
    creating: bool,
    token: Option<RequestToken>,
    rollback: Option<RollbackConfiguration>,
) -> StackInput {
    StackInput {
        stack: spec.name.clone(),
        template: TemplateSource::Body(spec.template_body.clone()),
        parameters: if creating {
            spec.first_create_parameters()
        } else {
            spec.parameters.clone()
        },
        tags: spec.tags.clone(),
        capabilities: spec.capabilities.clone(),
        request_token: token,
        express: spec.express,
        rollback,
    }
}

/// The last drift result of a deployed stack, when drift was ever checked.
fn last_drift(deployed: Option<&StackDescription>) -> Option<LastDrift> {
    deployed
        .filter(|d| d.drift_status != DriftStatus::NotChecked)
        .map(|d| LastDrift {
            status: d.drift_status,
            checked: d.drift_checked.clone(),
        })
}

impl Engine {
    /// Plans `specs` (in any order: they are sorted by dependency). Waits first for any
    /// operation already running on a stack. Change sets made here are executed by [`Engine::deploy`]
    /// or removed by [`Engine::discard`].
    pub async fn plan(&self, specs: &[StackSpec], method: Method) -> Result<Plan, Error> {
        for spec in specs {
            rollback::validate(spec)?;
        }
        let order = dependency_order(specs)?;
        let mut stacks: Vec<StackPlan> = Vec::new();
        let mut ordered = Vec::new();
        let mut created_here: HashMap<StackName, bool> = HashMap::new();
        for i in order {
            let spec = &specs[i];
            for used in spec
                .uses
                .iter()
                .filter(|u| !specs.iter().any(|s| &s.name == *u))
            {
                if !self
                    .describe(used)
                    .await?
                    .is_some_and(|d| d.status.is_usable())
                {
                    return Err(Error::UsedStackMissing {
                        stack: spec.name.clone(),
                        missing: used.clone(),
                    });
                }
            }
            let mut plan = self.plan_one(spec, method, &created_here).await?;
            plan.risks = data_loss::assess(spec, &plan.changes);
            created_here.insert(
                spec.name.clone(),
                matches!(plan.action, PlanAction::Create | PlanAction::Recreate),
            );
            tracing::debug!(stack = %spec.name, action = ?plan.action, changes = plan.changes.len(), "planned");
            stacks.push(plan);
            ordered.push(spec.clone());
        }
        Ok(Plan {
            method,
            stacks,
            specs: ordered,
        })
    }

    async fn plan_one(
        &self,
        spec: &StackSpec,
        method: Method,
        created_here: &HashMap<StackName, bool>,
    ) -> Result<StackPlan, Error> {
        let current = self.settle_first(&spec.name).await?;
        let status = current
            .as_ref()
            .map(|d| d.status.clone())
            .filter(|s| !s.is_review() && s.as_str() != "DELETE_COMPLETE");
        let no_changes = || StackPlan {
            stack: spec.name.clone(),
            action: PlanAction::NoChanges,
            current_status: status.clone(),
            changes: Vec::new(),
            change_set: None,
            from_template: false,
            risks: Vec::new(),
            guards: Vec::new(),
            outputs: current
                .as_ref()
                .map(|d| d.outputs.clone())
                .unwrap_or_default(),
            watch: None,
            last_drift: last_drift(current.as_ref()),
        };
        let from_template = |action| -> Result<StackPlan, Error> {
            Ok(StackPlan {
                stack: spec.name.clone(),
                action,
                current_status: status.clone(),
                changes: diff::from_template(&spec.name, &spec.template_body)?,
                change_set: None,
                from_template: true,
                risks: Vec::new(),
                guards: guarding::wanted(spec),
                outputs: Vec::new(),
                watch: rollback::watch(spec, None),
                last_drift: last_drift(current.as_ref()),
            })
        };
        match &status {
            Some(s) if s.needs_recreate() => from_template(PlanAction::Recreate),
            Some(s) if s.is_blocked() => Err(Error::Blocked {
                stack: spec.name.clone(),
                status: s.clone(),
                hint: next_step(&spec.name, s),
            }),
            Some(_) => {
                let Some(deployed) = &current else {
                    return Err(Error::Internal(format!("{} vanished", spec.name)));
                };
                let guards = self.missing_guards(spec, deployed).await?;
                if self.is_deployed_as_specified(spec, deployed).await? {
                    return Ok(StackPlan {
                        guards,
                        ..no_changes()
                    });
                }
                let watch = rollback::watch(spec, Some(deployed));
                let made = self
                    .make_change_set(spec, ChangeSetKind::Update, watch.as_ref())
                    .await?;
                let Some((id, changes)) = made else {
                    return Ok(StackPlan {
                        guards,
                        ..no_changes()
                    });
                };
                let change_set = match method {
                    Method::ChangeSet => Some(id),
                    Method::Direct => {
                        // Only a preview: the update itself goes through UpdateStack.
                        self.drop_change_set(&spec.name, &id).await;
                        None
                    }
                };
                Ok(StackPlan {
                    stack: spec.name.clone(),
                    action: PlanAction::Update,
                    current_status: status.clone(),
                    changes: changes.iter().map(diff::planned).collect(),
                    change_set,
                    from_template: false,
                    risks: Vec::new(),
                    guards,
                    outputs: Vec::new(),
                    watch,
                    last_drift: last_drift(current.as_ref()),
                })
            }
            None => {
                let mut deps_exist = true;
                for dep in &spec.depends_on {
                    let exists = match created_here.get(dep) {
                        Some(created) => !created,
                        None => self
                            .describe(dep)
                            .await?
                            .is_some_and(|d| d.status.is_usable()),
                    };
                    deps_exist &= exists;
                }
                // A create change set would leave a REVIEW_IN_PROGRESS stack behind for the direct
                // method, and cannot resolve imports of stacks not yet created: read the template.
                if method == Method::Direct || !deps_exist {
                    return from_template(PlanAction::Create);
                }
                let made = self
                    .make_change_set(spec, ChangeSetKind::Create, None)
                    .await?;
                let (id, changes) = made.ok_or_else(|| Error::ChangeSetFailed {
                    stack: spec.name.clone(),
                    reason: "CloudFormation reported no changes for a stack that does not exist"
                        .to_owned(),
                })?;
                Ok(StackPlan {
                    stack: spec.name.clone(),
                    action: PlanAction::Create,
                    current_status: None,
                    changes: changes.iter().map(diff::planned).collect(),
                    change_set: Some(id),
                    from_template: false,
                    risks: Vec::new(),
                    guards: guarding::wanted(spec),
                    outputs: Vec::new(),
                    watch: rollback::watch(spec, None),
                    last_drift: None,
                })
            }
        }
    }

    /// Whether the deployed stack already has the spec's template, parameters and tags: one
    /// `GetTemplate` instead of a change set's three calls and seconds of computing. An identity
    /// not allowed `cloudformation:GetTemplate` gets the change set, as before.
    async fn is_deployed_as_specified(
        &self,
        spec: &StackSpec,
        deployed: &StackDescription,
    ) -> Result<bool, Error> {
        let stack = &spec.name;
        let template = match self
            .call(stack, "GetTemplate", || self.cfn.get_template(stack))
            .await
        {
            Ok(template) => template,
            Err(Error::Api {
                source: ApiError::AccessDenied { message },
                ..
            }) => {
                tracing::debug!(%stack, %message, "GetTemplate refused: comparing with a change set");
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        let unchanged = unchanged::is_unchanged(spec, deployed, &template);
        tracing::debug!(%stack, unchanged, "compared with the deployed template");
        Ok(unchanged)
    }

    /// Creates a change set and waits until it is computed, carrying the rollback triggers of
    /// `watch` for an update. `None` means "no changes" (CloudFormation reports an empty change
    /// set as FAILED; it is deleted again).
    pub(crate) async fn make_change_set(
        &self,
        spec: &StackSpec,
        kind: ChangeSetKind,
        watch: Option<&RollbackWatch>,
    ) -> Result<Option<(ChangeSetId, Vec<ResourceChange>)>, Error> {
        let stack = &spec.name;
        let name = self.next_token(stack, "cs");
        let creating = kind == ChangeSetKind::Create;
        let rollback = watch.and_then(|w| w.configuration(!creating));
        let input = stack_input(spec, creating, None, rollback);
        // Some endpoints (moto among them) refuse an empty change set outright instead of
        // reporting it FAILED: the same "no changes".
        let id = match self
            .call(stack, "CreateChangeSet", || {
                self.cfn.create_change_set(&input, name.as_str(), kind)
            })
            .await
        {
            Err(Error::Api {
                source: ApiError::NoUpdates,
                ..
            }) => return Ok(None),
            other => other?,
        };
        self.emit(Event::ChangeSetCreating {
            stack: stack.clone(),
            change_set: id.clone(),
        });
        let started = tokio::time::Instant::now();
        loop {
            let description = self
                .call(stack, "DescribeChangeSet", || {
                    self.cfn.describe_change_set(stack, &id)
                })
                .await?;
            if description.is_empty_change() {
                self.drop_change_set(stack, &id).await;
                return Ok(None);
            }
            match description.status.as_str() {
                "CREATE_COMPLETE" => return Ok(Some((id, description.changes))),
                _ if description.is_pending() => {}
                _ => {
                    return Err(Error::ChangeSetFailed {
                        stack: stack.clone(),
                        reason: description.status_reason.unwrap_or(description.status),
                    });
                }
            }
            if started.elapsed() >= self.options.timeout {
                return Err(Error::ChangeSetFailed {
                    stack: stack.clone(),
                    reason: format!(
                        "still {} after {}s",
                        description.status,
                        started.elapsed().as_secs()
                    ),
                });
            }
            tokio::time::sleep(self.options.poll_interval).await;
        }
    }

    /// Deletes a change set we no longer need; failing to is only worth a debug line.
    pub(crate) async fn drop_change_set(&self, stack: &StackName, id: &ChangeSetId) {
        if let Err(e) = self
            .call(stack, "DeleteChangeSet", || {
                self.cfn.delete_change_set(stack, id)
            })
            .await
        {
            tracing::debug!(%stack, change_set = %id, error = %e, "could not delete change set");
        }
    }

    /// Cleans up a plan the user declined: deletes its change sets, and the empty
    /// `REVIEW_IN_PROGRESS` stacks that create change sets leave behind.
    pub async fn discard(&self, plan: &Plan) -> Result<(), Error> {
        for stack_plan in &plan.stacks {
            let Some(id) = &stack_plan.change_set else {
                continue;
            };
            let stack = &stack_plan.stack;
            self.drop_change_set(stack, id).await;
            if stack_plan.action == PlanAction::Create
                && self
                    .describe(stack)
                    .await?
                    .is_some_and(|d| d.status.is_review())
            {
                match self
                    .call(stack, "DeleteStack", || self.cfn.delete_stack(stack, None))
                    .await
                {
                    Ok(())
                    | Err(Error::Api {
                        source: ApiError::NotFound { .. },
                        ..
                    }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }
}
