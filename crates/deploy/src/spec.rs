//! What the caller asks the engine to deploy: one `StackSpec` per stack, built from a rendered
//! template and the stack's metadata. The engine knows nothing else about the stacks.

use std::fmt;

use serde::Serialize;

use crate::names::{LogicalId, StackName};

/// One input parameter of a stack. Not `Serialize`, so a secret cannot leak into JSON output.
#[derive(Clone, PartialEq, Eq)]
pub struct Parameter {
    /// The parameter's key in the template.
    pub key: String,
    /// The value to send.
    pub value: ParameterValue,
    /// `NoEcho` parameters: their value never reaches a log, an event or an error message.
    pub sensitive: bool,
}

impl Parameter {
    /// A plain parameter with a value.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: ParameterValue::Value(value.into()),
            sensitive: false,
        }
    }

    /// A parameter whose value must never be shown.
    pub fn sensitive(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            sensitive: true,
            ..Self::new(key, value)
        }
    }

    /// Keeps the value the stack already has.
    pub fn use_previous(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: ParameterValue::UsePrevious,
            sensitive: false,
        }
    }

    /// The value as it may be shown to a user: `****` for sensitive ones.
    pub fn shown_value(&self) -> String {
        match (&self.value, self.sensitive) {
            (_, true) => "****".to_owned(),
            (ParameterValue::Value(v), false) => v.clone(),
            (ParameterValue::UsePrevious, false) => "(previous value)".to_owned(),
        }
    }
}

// Hand-written so that `{:?}` in a tracing line can never print a secret.
impl fmt::Debug for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parameter")
            .field("key", &self.key)
            .field("value", &self.shown_value())
            .field("sensitive", &self.sensitive)
            .finish()
    }
}

/// A parameter's value: a new one, or the one the stack already has.
#[derive(Clone, PartialEq, Eq)]
pub enum ParameterValue {
    /// Send this value.
    Value(String),
    /// `UsePreviousValue`: keep what the deployed stack has.
    UsePrevious,
}

/// A stack tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

/// A resource whose replacement or deletion loses data, with the reason the user will read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtectedResource {
    /// The resource's logical id in the template.
    pub logical_id: LogicalId,
    /// Why losing it matters, e.g. "the PostgreSQL instance holding every task".
    pub reason: String,
}

/// Everything the engine needs to deploy one stack.
#[derive(Debug, Clone)]
pub struct StackSpec {
    /// The stack's name.
    pub name: StackName,
    /// The rendered template, as JSON.
    pub template_body: String,
    /// Input parameters.
    pub parameters: Vec<Parameter>,
    /// Stack tags.
    pub tags: Vec<Tag>,
    /// Stacks whose exports this one imports: deployed before it, destroyed after it.
    pub depends_on: Vec<StackName>,
    /// Stacks this one uses at run time without importing their exports, so that its deploy
    /// need not wait for theirs (the application finds the database through a secret): `plan`
    /// refuses it while one of them neither exists nor is in the same run; `destroy` deletes
    /// this one first, and refuses to delete one of them alone while this one stays.
    pub uses: Vec<StackName>,
    /// Resources the data-loss guard protects.
    pub protected: Vec<ProtectedResource>,
    /// Parameters applied with an update (previous template) right before the stack is deleted,
    /// e.g. switching off the database's deletion protection once the user confirmed.
    pub parameters_before_delete: Vec<Parameter>,
    /// Parameters given other values for the stack's first create; [`StackSpec::parameters`]
    /// follow in an update as soon as the create succeeded. E.g. the database's deletion
    /// protection: off while a failed create must still be able to roll back (RDS refuses to
    /// delete a protected instance, which leaves `ROLLBACK_FAILED`), on once the database exists.
    pub parameters_on_first_create: Vec<Parameter>,
    /// Capabilities acknowledged (`CAPABILITY_IAM`, `CAPABILITY_NAMED_IAM` by default).
    pub capabilities: Vec<String>,
    /// CloudFormation's express mode (`DeploymentConfig` `Mode: EXPRESS`): the stack's
    /// operations complete once its resources are configured, without waiting for them to be
    /// ready to serve. For throw-away environments only; off by default.
    pub express: bool,
    /// CloudFormation's termination protection, switched on once the stack exists and lifted
    /// only by `destroy` (see `guards`). The stack's [`StackSpec::protected`] resources also
    /// get a stack policy denying their replacement or deletion, whatever this says.
    pub termination_protection: bool,
    /// Output keys of the deployed stack whose values are CloudWatch alarm ARNs, passed as
    /// CloudFormation rollback triggers on its updates (see [`StackSpec::rollback_monitoring_minutes`]).
    pub rollback_alarm_outputs: Vec<String>,
    /// Minutes CloudFormation keeps watching the rollback triggers after an update completes
    /// (0 to 180; 0: during the update only).
    pub rollback_monitoring_minutes: u32,
    /// Deploy without the rollback watch (`--no-rollback-watch`): the update sends an empty
    /// trigger list, removing the stack's triggers until the next watched deploy sets them
    /// again. For shipping the fix while a trigger alarm is already in ALARM, which would
    /// otherwise roll every update back.
    pub rollback_watch_off: bool,
}

impl StackSpec {
    /// A spec with no parameters, tags, dependencies or protected resources, and the IAM capabilities.
    pub fn new(name: StackName, template_body: impl Into<String>) -> Self {
        Self {
            name,
            template_body: template_body.into(),
            parameters: Vec::new(),
            tags: Vec::new(),
            depends_on: Vec::new(),
            uses: Vec::new(),
            protected: Vec::new(),
            parameters_before_delete: Vec::new(),
            parameters_on_first_create: Vec::new(),
            capabilities: vec![
                "CAPABILITY_IAM".to_owned(),
                "CAPABILITY_NAMED_IAM".to_owned(),
            ],
            express: false,
            termination_protection: false,
            rollback_alarm_outputs: Vec::new(),
            rollback_monitoring_minutes: 0,
            rollback_watch_off: false,
        }
    }

    /// Switches on termination protection (see [`StackSpec::termination_protection`]).
    pub fn termination_protected(mut self) -> Self {
        self.termination_protection = true;
        self
    }

    /// The stack policy this spec asks for: updates may not replace or delete its protected
    /// resources (`None` when it protects none).
    pub fn stack_policy(&self) -> Option<String> {
        crate::guards::stack_policy(self.protected.iter().map(|p| &p.logical_id))
    }

    /// The stack policy relaxed for `allowed`: what an update accepted with
    /// `--allow-data-loss` runs under.
    pub(crate) fn stack_policy_allowing(&self, allowed: &[LogicalId]) -> String {
        crate::guards::stack_policy(
            self.protected
                .iter()
                .map(|p| &p.logical_id)
                .filter(|id| !allowed.contains(id)),
        )
        .unwrap_or_else(crate::guards::allow_all_policy)
    }

    /// Adds a parameter.
    pub fn parameter(mut self, parameter: Parameter) -> Self {
        self.parameters.push(parameter);
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push(Tag {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// Declares that this stack imports exports of `stack`.
    pub fn depends_on(mut self, stack: StackName) -> Self {
        self.depends_on.push(stack);
        self
    }

    /// Declares that this stack uses `stack` at run time (see [`StackSpec::uses`]).
    pub fn uses(mut self, stack: StackName) -> Self {
        self.uses.push(stack);
        self
    }

    /// Protects a resource from replacement or deletion.
    pub fn protect(mut self, logical_id: impl Into<String>, reason: impl Into<String>) -> Self {
        self.protected.push(ProtectedResource {
            logical_id: LogicalId::new(logical_id),
            reason: reason.into(),
        });
        self
    }

    /// Adds a parameter applied (with the previous template) before the stack is deleted.
    pub fn before_delete(mut self, parameter: Parameter) -> Self {
        self.parameters_before_delete.push(parameter);
        self
    }

    /// Gives a parameter another value for the stack's first create (see
    /// [`StackSpec::parameters_on_first_create`]).
    pub fn on_first_create(mut self, parameter: Parameter) -> Self {
        self.parameters_on_first_create.push(parameter);
        self
    }

    /// What the first create's held-back parameters become right after it: the spec's own
    /// value, else the template's default (which CloudFormation would use for an omitted one).
    pub fn after_first_create_parameters(&self) -> Vec<Parameter> {
        let template: serde_json::Value =
            serde_json::from_str(&self.template_body).unwrap_or_default();
        self.parameters_on_first_create
            .iter()
            .filter_map(|held| {
                self.parameters
                    .iter()
                    .find(|p| p.key == held.key)
                    .cloned()
                    .or_else(|| {
                        template["Parameters"][&held.key]["Default"]
                            .as_str()
                            .map(|default| Parameter::new(held.key.clone(), default))
                    })
            })
            .collect()
    }

    /// The parameters of the stack's first create: [`StackSpec::parameters`] with the
    /// first-create values in place of theirs.
    pub fn first_create_parameters(&self) -> Vec<Parameter> {
        let overrides = &self.parameters_on_first_create;
        let mut parameters: Vec<Parameter> = self
            .parameters
            .iter()
            .filter(|p| !overrides.iter().any(|o| o.key == p.key))
            .cloned()
            .collect();
        parameters.extend(overrides.iter().cloned());
        parameters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_values_never_show() {
        let p = Parameter::sensitive("Password", "hunter2");
        assert!(!format!("{p:?}").contains("hunter2"));
        assert_eq!(p.shown_value(), "****");
    }
}
