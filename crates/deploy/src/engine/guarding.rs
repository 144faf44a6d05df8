//! The engine's side of the stack guards (`crate::guards`): what a deployed stack lacks (planned
//! and shown before asking), switching them on, and lifting them exactly as far as a confirmed
//! action needs, each step reported as an [`Event::Guard`].

use super::Engine;
use crate::cloudformation::StackDescription;
use crate::error::Error;
use crate::events::Event;
use crate::guards::{GuardChange, same_policy};
use crate::names::LogicalId;
use crate::spec::StackSpec;

/// Every guard the spec asks for: what a stack gets once it is created.
pub(crate) fn wanted(spec: &StackSpec) -> Vec<GuardChange> {
    let protection = spec
        .termination_protection
        .then_some(GuardChange::ProtectionOn);
    protection.into_iter().chain(policy_guard(spec)).collect()
}

/// The spec's stack policy as a guard change (`None` when it protects nothing).
fn policy_guard(spec: &StackSpec) -> Option<GuardChange> {
    spec.stack_policy().map(|_| GuardChange::PolicySet {
        denies: spec
            .protected
            .iter()
            .map(|p| p.logical_id.clone())
            .collect(),
    })
}

impl Engine {
    /// The guards `deployed` lacks: termination protection from `DescribeStacks`, and the stack
    /// policy from one `GetStackPolicy` when the spec has one (a stack whose policy was lifted
    /// and never restored, say by a Ctrl-C, gets it back). A guard the spec does not ask for is
    /// left as it is.
    pub(crate) async fn missing_guards(
        &self,
        spec: &StackSpec,
        deployed: &StackDescription,
    ) -> Result<Vec<GuardChange>, Error> {
        let stack = &spec.name;
        let mut out = Vec::new();
        if spec.termination_protection && !deployed.termination_protection {
            out.push(GuardChange::ProtectionOn);
        }
        if let Some(policy) = spec.stack_policy() {
            let current = self
                .call(stack, "GetStackPolicy", || self.cfn.get_stack_policy(stack))
                .await?;
            if !same_policy(current.as_deref(), &policy) {
                out.extend(policy_guard(spec));
            }
        }
        Ok(out)
    }

    /// Applies guard changes planned for `spec` (switching on is all a deploy ever plans).
    pub(crate) async fn apply_guards(
        &self,
        spec: &StackSpec,
        changes: &[GuardChange],
    ) -> Result<(), Error> {
        let stack = &spec.name;
        for change in changes {
            match change {
                GuardChange::ProtectionOn => {
                    self.call(stack, "UpdateTerminationProtection", || {
                        self.cfn.update_termination_protection(stack, true)
                    })
                    .await?;
                }
                GuardChange::PolicySet { .. } => {
                    let Some(policy) = spec.stack_policy() else {
                        continue;
                    };
                    self.call(stack, "SetStackPolicy", || {
                        self.cfn.set_stack_policy(stack, &policy)
                    })
                    .await?;
                }
                GuardChange::ProtectionLifted { .. } | GuardChange::PolicyLifted { .. } => {
                    continue;
                }
            }
            self.emit(Event::Guard {
                stack: stack.clone(),
                change: change.clone(),
            });
        }
        Ok(())
    }

    /// Lifts termination protection (when on) so the stack can be deleted, saying why.
    pub(crate) async fn lift_protection(
        &self,
        current: &StackDescription,
        why: &str,
    ) -> Result<(), Error> {
        if !current.termination_protection {
            return Ok(());
        }
        let stack = &current.name;
        self.call(stack, "UpdateTerminationProtection", || {
            self.cfn.update_termination_protection(stack, false)
        })
        .await?;
        self.emit(Event::Guard {
            stack: stack.clone(),
            change: GuardChange::ProtectionLifted {
                why: why.to_owned(),
            },
        });
        Ok(())
    }

    /// Relaxes the stack policy for exactly the `allowed` resources, ahead of an update the user
    /// accepted with `--allow-data-loss`. Returns whether [`Engine::restore_policy`] is due.
    pub(crate) async fn relax_policy(
        &self,
        spec: &StackSpec,
        allowed: &[LogicalId],
    ) -> Result<bool, Error> {
        if allowed.is_empty() || spec.stack_policy().is_none() {
            return Ok(false);
        }
        let stack = &spec.name;
        let relaxed = spec.stack_policy_allowing(allowed);
        self.call(stack, "SetStackPolicy", || {
            self.cfn.set_stack_policy(stack, &relaxed)
        })
        .await?;
        self.emit(Event::Guard {
            stack: stack.clone(),
            change: GuardChange::PolicyLifted {
                allows: allowed.to_vec(),
            },
        });
        Ok(true)
    }

    /// Puts the spec's full stack policy back after a relaxed update, however it ended. Should
    /// this fail, the next plan finds the policy different and restores it.
    pub(crate) async fn restore_policy(&self, spec: &StackSpec) -> Result<(), Error> {
        let policy: Vec<GuardChange> = policy_guard(spec).into_iter().collect();
        self.apply_guards(spec, &policy).await
    }
}
