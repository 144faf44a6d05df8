//! The fake's termination protection and stack policies, enforced as CloudFormation enforces
//! them: `DeleteStack` is refused while protection is on (in every status, ROLLBACK_COMPLETE
//! included), and an update whose changes replace or delete a resource the policy does not
//! allow fails on that resource and rolls back. Once a stack has a policy, whatever it does not
//! explicitly allow is denied.

use serde_json::Value;

use super::{FakeCloudFormation, Script, State};
use crate::cloudformation::{ApiError, ChangeAction, Replacement, ResourceChange};

/// The reason the fake gives a resource an update denied by the stack policy.
pub const DENIED_BY_POLICY: &str = "Action denied by stack policy";

impl State {
    /// `UpdateTerminationProtection`.
    pub(super) fn set_termination_protection(
        &mut self,
        stack: &str,
        enabled: bool,
    ) -> Result<(), ApiError> {
        let s = self.stacks.get_mut(stack).ok_or_else(|| missing(stack))?;
        s.termination_protection = enabled;
        Ok(())
    }

    /// `SetStackPolicy`.
    pub(super) fn set_policy(&mut self, stack: &str, body: &str) -> Result<(), ApiError> {
        if serde_json::from_str::<Value>(body).is_err() {
            return Err(ApiError::Service {
                code: "ValidationError".to_owned(),
                message: "Error validating stack policy: Invalid stack policy".to_owned(),
            });
        }
        let s = self.stacks.get_mut(stack).ok_or_else(|| missing(stack))?;
        s.policy = Some(body.to_owned());
        Ok(())
    }

    /// `GetStackPolicy`.
    pub(super) fn policy(&self, stack: &str) -> Result<Option<String>, ApiError> {
        Ok(self
            .stacks
            .get(stack)
            .ok_or_else(|| missing(stack))?
            .policy
            .clone())
    }

    /// Refuses to delete a protected stack, with CloudFormation's error.
    pub(super) fn refuse_protected_delete(&self, stack: &str) -> Result<(), ApiError> {
        match self.stacks.get(stack) {
            Some(s) if s.termination_protection => Err(ApiError::Service {
                code: "ValidationError".to_owned(),
                message: format!(
                    "Stack [{stack}] cannot be deleted while TerminationProtection is enabled"
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Makes the next update of `stack` fail on the first change its policy denies, as
    /// CloudFormation fails (and rolls back) such an update.
    pub(super) fn enforce_policy(&mut self, stack: &str, changes: &[ResourceChange]) {
        let Some(policy) = self.stacks.get(stack).and_then(|s| s.policy.clone()) else {
            return;
        };
        let Ok(policy) = serde_json::from_str::<Value>(&policy) else {
            return;
        };
        let denied = changes.iter().find(|c| {
            let action = match (&c.action, &c.replacement) {
                (ChangeAction::Remove, _) => "Update:Delete",
                (_, Some(Replacement::Always | Replacement::Conditional)) => "Update:Replace",
                (ChangeAction::Modify, _) => "Update:Modify",
                _ => return false,
            };
            !allowed(&policy, action, c.logical_id.as_str())
        });
        if let Some(change) = denied {
            self.scripts
                .entry(stack.to_owned())
                .or_default()
                .push_front(Script::FailResource {
                    logical_id: change.logical_id.as_str().to_owned(),
                    reason: DENIED_BY_POLICY.to_owned(),
                });
        }
    }
}

impl FakeCloudFormation {
    /// Whether the stack's termination protection is on.
    pub fn termination_protection_of(&self, stack: &str) -> bool {
        self.lock()
            .stacks
            .get(stack)
            .is_some_and(|s| s.termination_protection)
    }

    /// The stack's policy, if it has one.
    pub fn policy_of(&self, stack: &str) -> Option<String> {
        self.lock().stacks.get(stack).and_then(|s| s.policy.clone())
    }

    /// Switches termination protection on or off behind the engine's back (a console click).
    pub fn set_termination_protection(&self, stack: &str, enabled: bool) {
        if let Some(s) = self.lock().stacks.get_mut(stack) {
            s.termination_protection = enabled;
        }
    }
}

fn missing(stack: &str) -> ApiError {
    ApiError::Service {
        code: "ValidationError".to_owned(),
        message: format!("Stack [{stack}] does not exist"),
    }
}

/// Stack-policy evaluation: an explicit deny wins; otherwise an explicit allow is needed.
fn allowed(policy: &Value, action: &str, logical_id: &str) -> bool {
    let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
    let matching = |effect: &str| {
        statements.iter().any(|s| {
            s["Effect"] == effect
                && one_or_many(&s["Action"]).any(|a| a == action || a == "Update:*" || a == "*")
                && one_or_many(&s["Resource"])
                    .any(|r| r == "*" || r == format!("LogicalResourceId/{logical_id}"))
        })
    };
    !matching("Deny") && matching("Allow")
}

fn one_or_many(v: &Value) -> impl Iterator<Item = &str> {
    let items: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    items.into_iter()
}
