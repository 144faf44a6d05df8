//! The fake's answers to each CloudFormation call, with the error messages real CloudFormation
//! gives; operations are started here and advanced tick by tick (see `ticks.rs`).

use std::collections::VecDeque;

use async_trait::async_trait;

use super::ticks::{alarm_ticks, cancel_ticks, change_ticks, delete_ticks, ev};
use super::timing::{timed_change_ticks, touched_by_update};
use super::{FakeChangeSet, FakeCloudFormation, FakeStack, STACK_TYPE, Script, State, template};
use crate::cloudformation::ApiError;
use crate::cloudformation::{
    ChangeSetDescription, ChangeSetKind, CloudFormation, StackDescription, StackEvent, StackInput,
    TemplateSource, Timestamp,
};
use crate::drift::{DriftDetection, ResourceDrift};
use crate::names::{ChangeSetId, ExportName, RequestToken, StackName};
use crate::spec::ParameterValue;
use crate::status::StackStatus;

fn not_found(stack: &str) -> ApiError {
    ApiError::NotFound {
        message: format!("Stack with id {stack} does not exist"),
    }
}

fn cannot_update(stack: &FakeStack, status: &str) -> ApiError {
    ApiError::Service {
        code: "ValidationError".to_owned(),
        message: format!(
            "Stack:{} is in {status} state and can not be updated.",
            stack.id
        ),
    }
}

impl State {
    fn enter(&mut self, operation: &str, stack: &str) -> Result<(), ApiError> {
        self.calls.push(format!("{operation} {stack}"));
        self.take_error(operation).map_or(Ok(()), Err)
    }

    /// Like [`State::enter`] for the calls that take a deployment mode; an express one is
    /// logged as `"Operation stack EXPRESS"`.
    /// Also records the input and checks its rollback configuration (see `rollback.rs`).
    fn enter_with(&mut self, operation: &str, input: &StackInput) -> Result<(), ApiError> {
        let stack = input.stack.as_str();
        self.inputs.push((operation.to_owned(), input.clone()));
        if input.express {
            self.calls.push(format!("{operation} {stack} EXPRESS"));
            self.take_error(operation).map_or(Ok(()), Err)?;
        } else {
            self.enter(operation, stack)?;
        }
        self.check_rollback(input)
    }

    /// The input's parameter values (`UsePreviousValue` resolved), sorted by key: CloudFormation
    /// does not care in which order parameters are given.
    fn resolve_params(&self, stack: &str, input: &StackInput) -> Vec<(String, String)> {
        let previous = self
            .stacks
            .get(stack)
            .map(|s| s.parameters.clone())
            .unwrap_or_default();
        let mut resolved: Vec<(String, String)> = input
            .parameters
            .iter()
            .map(|p| {
                let value = match &p.value {
                    ParameterValue::Value(v) => v.clone(),
                    ParameterValue::UsePrevious => previous
                        .iter()
                        .find(|(k, _)| k == &p.key)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                };
                (p.key.clone(), value)
            })
            .collect();
        // A parameter left out takes the template's default, as CloudFormation does.
        let body = match &input.template {
            TemplateSource::Body(b) => b.clone(),
            TemplateSource::UsePrevious => self
                .stacks
                .get(stack)
                .map(|s| s.template.clone())
                .unwrap_or_default(),
        };
        for (key, default) in template::parameter_defaults(&body) {
            if !resolved.iter().any(|(k, _)| k == &key) {
                resolved.push((key, default));
            }
        }
        resolved.sort();
        resolved
    }

    fn next_script(&mut self, stack: &str) -> Script {
        self.scripts
            .get_mut(stack)
            .and_then(VecDeque::pop_front)
            .unwrap_or(Script::Succeed)
    }

    /// Hides a just-started operation for the scripted number of polls.
    fn apply_lag(&mut self, name: &str, previous_status: String) {
        if let Some(polls) = self.lags.remove(name)
            && let Some(stack) = self.stacks.get_mut(name)
        {
            stack.lag = polls;
            stack.lag_status = previous_status;
            stack.hidden = 1;
        }
    }

    /// Starts a create of `input` (the stack may exist in REVIEW_IN_PROGRESS).
    fn start_create(&mut self, input: &StackInput, token: Option<RequestToken>) -> String {
        let name = input.stack.as_str().to_owned();
        let TemplateSource::Body(body) = &input.template else {
            return String::new();
        };
        let params = self.resolve_params(&name, input);
        let now = self.tick_clock();
        let previous = self
            .stacks
            .get(&name)
            .map_or_else(|| "REVIEW_IN_PROGRESS".to_owned(), |s| s.status.clone());
        let mut stack = self.stacks.remove(&name).unwrap_or_else(|| {
            FakeStack::new(
                &name,
                body,
                Vec::new(),
                "CREATE_IN_PROGRESS",
                now,
                Vec::new(),
            )
        });
        stack.status = "CREATE_IN_PROGRESS".to_owned();
        stack.template = body.clone();
        stack.parameters = params.clone();
        stack.tags = input.tags.clone();
        stack.pending = Some((body.clone(), params));
        stack.token = token;
        let resources: Vec<_> = template::resources(body)
            .into_iter()
            .map(|(id, ty, _)| (id, ty))
            .collect();
        let script = self.next_script(&name);
        let protected = template::deletion_protected(body, &stack.parameters);
        stack.started = tokio::time::Instant::now();
        stack.ticks = match self.timing.clone() {
            Some(timing) => {
                let all = resources.iter().map(|(id, _)| id.clone()).collect();
                timed_change_ticks(&name, "CREATE", body, &all, &timing, &mut self.completions)
            }
            None => change_ticks(&name, "CREATE", &resources, &protected, script),
        };
        let id = stack.id.clone();
        self.stacks.insert(name.clone(), stack);
        self.push_event(
            &name,
            ev(
                &name,
                STACK_TYPE,
                "CREATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
        );
        self.apply_lag(&name, previous);
        id
    }

    /// Starts an update to `body` and `params`.
    fn start_update(
        &mut self,
        name: &str,
        body: String,
        params: Vec<(String, String)>,
        token: Option<RequestToken>,
    ) -> String {
        let script = self.next_script(name);
        let fires = match &script {
            Script::AlarmFires { alarm_arn } => Some(alarm_arn.clone()),
            _ => None,
        }
        .filter(|alarm| self.is_trigger(name, alarm));
        let Some(stack) = self.stacks.get_mut(name) else {
            return String::new();
        };
        let changed: Vec<(String, String)> = template::changes(Some(&stack.template), &body)
            .into_iter()
            .map(|c| (c.logical_id.as_str().to_owned(), c.resource_type))
            .collect();
        let resources = if changed.is_empty() {
            template::resources(&body)
                .into_iter()
                .map(|(id, ty, _)| (id, ty))
                .collect()
        } else {
            changed
        };
        let previous = std::mem::replace(&mut stack.status, "UPDATE_IN_PROGRESS".to_owned());
        stack.started = tokio::time::Instant::now();
        stack.ticks = match self.timing.clone() {
            Some(timing) => {
                let touched = touched_by_update(&stack.template, &body, &stack.parameters, &params);
                timed_change_ticks(
                    name,
                    "UPDATE",
                    &body,
                    &touched,
                    &timing,
                    &mut self.completions,
                )
            }
            None => match fires {
                Some(alarm) => alarm_ticks(name, &resources, &alarm),
                None => change_ticks(name, "UPDATE", &resources, &[], script),
            },
        };
        stack.pending = Some((body, params));
        stack.token = token;
        let id = stack.id.clone();
        self.push_event(
            name,
            ev(
                name,
                STACK_TYPE,
                "UPDATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
        );
        self.apply_lag(name, previous);
        id
    }
}

#[async_trait]
impl CloudFormation for FakeCloudFormation {
    async fn describe_stack(
        &self,
        stack: &StackName,
    ) -> Result<Option<StackDescription>, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("DescribeStacks", stack.as_str())?;
        let lagging = match state.stacks.get_mut(stack.as_str()) {
            Some(s) if s.lag > 0 => {
                s.lag -= 1;
                if s.lag == 0 {
                    s.hidden = 0;
                }
                Some(s.lag_status.clone())
            }
            _ => None,
        };
        if lagging.is_none() {
            state.advance(stack.as_str());
        }
        Ok(state.stacks.get(stack.as_str()).map(|s| StackDescription {
            name: stack.clone(),
            id: s.id.clone(),
            status: StackStatus::new(lagging.as_deref().unwrap_or(&s.status)),
            status_reason: s.status_reason.clone(),
            created: Timestamp::from_epoch_millis(s.created),
            last_updated: s.updated.map(Timestamp::from_epoch_millis),
            outputs: s.outputs.clone(),
            parameters: s.parameters.clone(),
            tags: s.tags.clone(),
            termination_protection: s.termination_protection,
            drift_status: s.drift_status,
            drift_checked: s.drift_checked.map(Timestamp::from_epoch_millis),
        }))
    }

    async fn create_stack(&self, input: &StackInput) -> Result<String, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        let name = input.stack.as_str();
        state.enter_with("CreateStack", input)?;
        if state.stacks.contains_key(name) {
            return Err(ApiError::AlreadyExists {
                message: format!("Stack [{name}] already exists"),
            });
        }
        let id = state.start_create(input, input.request_token.clone());
        state.apply_rollback(name, input.rollback.as_ref());
        Ok(id)
    }

    async fn update_stack(&self, input: &StackInput) -> Result<String, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        let name = input.stack.as_str();
        state.enter_with("UpdateStack", input)?;
        let Some(stack) = state.stacks.get(name) else {
            return Err(not_found(name));
        };
        if !StackStatus::new(&stack.status).is_usable() {
            return Err(cannot_update(stack, &stack.status.clone()));
        }
        let body = match &input.template {
            TemplateSource::Body(b) => b.clone(),
            TemplateSource::UsePrevious => stack.template.clone(),
        };
        let params = state.resolve_params(name, input);
        let current = &state.stacks[name];
        if body == current.template && params == current.parameters && input.tags == current.tags {
            return Err(ApiError::NoUpdates);
        }
        if let Some(s) = state.stacks.get_mut(name) {
            s.tags = input.tags.clone();
        }
        let changes = template::changes(Some(&state.stacks[name].template), &body);
        state.enforce_policy(name, &changes);
        state.apply_rollback(name, input.rollback.as_ref());
        Ok(state.start_update(name, body, params, input.request_token.clone()))
    }

    async fn cancel_update_stack(&self, stack: &StackName) -> Result<(), ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        let name = stack.as_str();
        state.enter("CancelUpdateStack", name)?;
        let Some(s) = state.stacks.get_mut(name) else {
            return Err(not_found(name));
        };
        if s.status != "UPDATE_IN_PROGRESS" {
            return Err(ApiError::Service {
                code: "ValidationError".to_owned(),
                message: "CancelUpdateStack cannot be called from current stack status".to_owned(),
            });
        }
        // The update's template and parameters are dropped: the stack stays as it was.
        s.pending = None;
        s.ticks = cancel_ticks(name, &s.template);
        Ok(())
    }

    async fn delete_stack(
        &self,
        stack: &StackName,
        token: Option<&RequestToken>,
    ) -> Result<(), ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        let name = stack.as_str();
        state.enter("DeleteStack", name)?;
        state.refuse_protected_delete(name)?;
        let Some(s) = state.stacks.get_mut(name) else {
            return Ok(());
        };
        if s.status.ends_with("_IN_PROGRESS") && s.status != "REVIEW_IN_PROGRESS" {
            return Ok(());
        }
        s.status = "DELETE_IN_PROGRESS".to_owned();
        s.token = token.cloned();
        let ticks = delete_ticks(name, &s.template, &s.parameters);
        s.ticks = ticks;
        state.push_event(
            name,
            ev(
                name,
                STACK_TYPE,
                "DELETE_IN_PROGRESS",
                Some("User Initiated"),
            ),
        );
        Ok(())
    }

    async fn create_change_set(
        &self,
        input: &StackInput,
        name: &str,
        kind: ChangeSetKind,
    ) -> Result<ChangeSetId, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        let stack = input.stack.as_str();
        state.enter_with("CreateChangeSet", input)?;
        let existing = state
            .stacks
            .get(stack)
            .filter(|s| s.status != "REVIEW_IN_PROGRESS");
        match (kind, existing) {
            (ChangeSetKind::Create, Some(_)) => {
                return Err(ApiError::AlreadyExists {
                    message: format!("Stack [{stack}] already exists"),
                });
            }
            (ChangeSetKind::Update, None) => return Err(not_found(stack)),
            _ => {}
        }
        let body = match &input.template {
            TemplateSource::Body(b) => b.clone(),
            TemplateSource::UsePrevious => existing.map(|s| s.template.clone()).unwrap_or_default(),
        };
        let old = existing.map(|s| s.template.clone());
        let params = state.resolve_params(stack, input);
        let same_params = existing.is_some_and(|s| s.parameters == params && s.tags == input.tags);
        let changes = match state
            .scripted_changes
            .get_mut(stack)
            .and_then(VecDeque::pop_front)
        {
            Some(scripted) => scripted,
            None => template::changes(old.as_deref(), &body),
        };
        let empty = changes.is_empty() && same_params && kind == ChangeSetKind::Update;
        let n = state.next_id();
        let id = format!("arn:aws:cloudformation:us-east-1:123456789012:changeSet/{name}/{n}");
        let description = ChangeSetDescription {
            id: ChangeSetId::new(&id),
            status: if empty { "FAILED" } else { "CREATE_COMPLETE" }.to_owned(),
            status_reason: empty.then(|| {
                "The submitted information didn't contain changes. Submit different information to create a change set."
                    .to_owned()
            }),
            execution_status: Some(if empty { "UNAVAILABLE" } else { "AVAILABLE" }.to_owned()),
            changes,
        };
        if kind == ChangeSetKind::Create && !state.stacks.contains_key(stack) {
            let now = state.tick_clock();
            let shell = FakeStack::new(
                stack,
                &body,
                Vec::new(),
                "REVIEW_IN_PROGRESS",
                now,
                Vec::new(),
            );
            state.stacks.insert(stack.to_owned(), shell);
        }
        let mut input = input.clone();
        input.template = TemplateSource::Body(body);
        let ready_at = state
            .timing
            .as_ref()
            .map(|t| tokio::time::Instant::now() + t.change_set);
        state.change_sets.insert(
            id.clone(),
            FakeChangeSet {
                stack: stack.to_owned(),
                kind,
                input,
                description,
                polls: 0,
                ready_at,
            },
        );
        Ok(ChangeSetId::new(id))
    }

    async fn describe_change_set(
        &self,
        stack: &StackName,
        change_set: &ChangeSetId,
    ) -> Result<ChangeSetDescription, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("DescribeChangeSet", stack.as_str())?;
        let Some(cs) = state.change_sets.get_mut(change_set.as_str()) else {
            return Err(ApiError::NotFound {
                message: format!("ChangeSet [{change_set}] does not exist"),
            });
        };
        cs.polls += 1;
        let computing = match cs.ready_at {
            Some(ready) => tokio::time::Instant::now() < ready,
            None => cs.polls == 1,
        };
        if computing {
            // The first answer is always "still computing", as on real CloudFormation.
            return Ok(ChangeSetDescription {
                status: "CREATE_IN_PROGRESS".to_owned(),
                execution_status: Some("UNAVAILABLE".to_owned()),
                status_reason: None,
                changes: Vec::new(),
                ..cs.description.clone()
            });
        }
        Ok(cs.description.clone())
    }

    async fn execute_change_set(
        &self,
        stack: &StackName,
        change_set: &ChangeSetId,
        token: Option<&RequestToken>,
    ) -> Result<(), ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("ExecuteChangeSet", stack.as_str())?;
        let Some(cs) = state.change_sets.remove(change_set.as_str()) else {
            return Err(ApiError::NotFound {
                message: format!("ChangeSet [{change_set}] does not exist"),
            });
        };
        if cs.description.status != "CREATE_COMPLETE" {
            return Err(ApiError::Service {
                code: "InvalidChangeSetStatus".to_owned(),
                message: format!(
                    "ChangeSet [{}] cannot be executed in its current status of [{}]",
                    change_set, cs.description.status
                ),
            });
        }
        match cs.kind {
            ChangeSetKind::Create => {
                state.start_create(&cs.input, token.cloned());
                state.apply_rollback(&cs.stack, cs.input.rollback.as_ref());
            }
            ChangeSetKind::Update => {
                let TemplateSource::Body(body) = cs.input.template.clone() else {
                    return Ok(());
                };
                let params = state.resolve_params(&cs.stack, &cs.input);
                if let Some(s) = state.stacks.get(&cs.stack)
                    && !StackStatus::new(&s.status).is_usable()
                {
                    return Err(cannot_update(s, &s.status.clone()));
                }
                if let Some(s) = state.stacks.get_mut(&cs.stack) {
                    s.tags = cs.input.tags.clone();
                }
                state.enforce_policy(&cs.stack, &cs.description.changes);
                state.apply_rollback(&cs.stack, cs.input.rollback.as_ref());
                state.start_update(&cs.stack, body, params, token.cloned());
            }
        }
        state.change_sets.retain(|_, other| other.stack != cs.stack);
        Ok(())
    }

    async fn delete_change_set(
        &self,
        stack: &StackName,
        change_set: &ChangeSetId,
    ) -> Result<(), ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("DeleteChangeSet", stack.as_str())?;
        state.change_sets.remove(change_set.as_str());
        Ok(())
    }

    async fn describe_stack_events(&self, stack: &StackName) -> Result<Vec<StackEvent>, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("DescribeStackEvents", stack.as_str())?;
        state
            .stacks
            .get(stack.as_str())
            .map(|s| s.events.iter().skip(s.hidden).cloned().collect())
            .ok_or_else(|| not_found(stack.as_str()))
    }

    async fn get_template(&self, stack: &StackName) -> Result<String, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("GetTemplate", stack.as_str())?;
        state
            .stacks
            .get(stack.as_str())
            .map(|s| s.template.clone())
            .ok_or_else(|| not_found(stack.as_str()))
    }

    async fn list_imports(&self, export: &ExportName) -> Result<Vec<StackName>, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("ListImports", export.as_str())?;
        let mut importers: Vec<String> = state
            .imports
            .get(export.as_str())
            .cloned()
            .unwrap_or_default();
        for (name, s) in &state.stacks {
            if StackStatus::new(&s.status).is_usable()
                && template::imports(&s.template, name, &s.parameters)
                    .iter()
                    .any(|i| i == export.as_str())
                && !importers.contains(name)
            {
                importers.push(name.clone());
            }
        }
        importers
            .into_iter()
            .map(|n| {
                StackName::new(n).map_err(|e| ApiError::UnexpectedResponse {
                    operation: "ListImports",
                    detail: e.to_string(),
                })
            })
            .collect()
    }

    async fn update_termination_protection(
        &self,
        stack: &StackName,
        enabled: bool,
    ) -> Result<(), ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("UpdateTerminationProtection", stack.as_str())?;
        state.set_termination_protection(stack.as_str(), enabled)
    }

    async fn get_stack_policy(&self, stack: &StackName) -> Result<Option<String>, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("GetStackPolicy", stack.as_str())?;
        state.policy(stack.as_str())
    }

    async fn set_stack_policy(&self, stack: &StackName, body: &str) -> Result<(), ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("SetStackPolicy", stack.as_str())?;
        state.set_policy(stack.as_str(), body)
    }

    async fn detect_stack_drift(&self, stack: &StackName) -> Result<String, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("DetectStackDrift", stack.as_str())?;
        state.detect_drift(stack.as_str())
    }

    async fn describe_stack_drift_detection_status(
        &self,
        stack: &StackName,
        id: &str,
    ) -> Result<DriftDetection, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("DescribeStackDriftDetectionStatus", stack.as_str())?;
        state.detection_status(id)
    }

    async fn describe_stack_resource_drifts(
        &self,
        stack: &StackName,
    ) -> Result<Vec<ResourceDrift>, ApiError> {
        self.round_trip().await;
        let mut state = self.lock();
        state.enter("DescribeStackResourceDrifts", stack.as_str())?;
        state.resource_drifts(stack.as_str())
    }
}
