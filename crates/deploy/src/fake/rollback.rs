//! The fake's rollback triggers, checked as CloudFormation checks them: at most five, a
//! monitoring time of at most 180 minutes (refused with the `ValidationError` AWS's input
//! validation gives), and every trigger alarm must exist. AWS fails the stack operation when a
//! trigger alarm is missing (whether the call or the operation fails is not documented); the
//! fake refuses the call, the stricter reading. An alarm exists when the test declared it
//! ([`FakeCloudFormation::put_alarm`]) or a deployed stack's template creates it (its ARN as
//! the fake's outputs give it, see `template::alarm_arns`).
//!
//! A configuration given with an operation replaces the stack's (an empty list removes its
//! triggers); none keeps it, as on CloudFormation. [`super::Script::AlarmFires`] rolls an update
//! back only when that alarm is one of the stack's triggers.

use super::{FakeCloudFormation, State, template};
use crate::cloudformation::{ApiError, StackInput};
use crate::rollback::{MAX_MONITORING_MINUTES, MAX_TRIGGERS, RollbackConfiguration};
use crate::status::StackStatus;

fn validation(message: String) -> ApiError {
    ApiError::Service {
        code: "ValidationError".to_owned(),
        message,
    }
}

impl State {
    /// Refuses the input's rollback configuration as CloudFormation would.
    pub(super) fn check_rollback(&self, input: &StackInput) -> Result<(), ApiError> {
        let Some(config) = &input.rollback else {
            return Ok(());
        };
        if config.alarm_arns.len() > MAX_TRIGGERS {
            return Err(validation(format!(
                "1 validation error detected: Value '[{}]' at 'rollbackConfiguration.rollbackTriggers' failed to satisfy constraint: Member must have length less than or equal to {MAX_TRIGGERS}",
                config.alarm_arns.join(", ")
            )));
        }
        if config.monitoring_minutes > MAX_MONITORING_MINUTES {
            return Err(validation(format!(
                "1 validation error detected: Value '{}' at 'rollbackConfiguration.monitoringTimeInMinutes' failed to satisfy constraint: Member must have value less than or equal to {MAX_MONITORING_MINUTES}",
                config.monitoring_minutes
            )));
        }
        if let Some(missing) = config.alarm_arns.iter().find(|a| !self.alarm_exists(a)) {
            return Err(validation(format!(
                "Rollback trigger {missing} of type AWS::CloudWatch::Alarm was not found"
            )));
        }
        Ok(())
    }

    fn alarm_exists(&self, arn: &str) -> bool {
        self.alarms.contains(arn)
            || self.stacks.iter().any(|(name, s)| {
                StackStatus::new(&s.status).is_usable()
                    && template::alarm_arns(&s.template, name, &s.parameters)
                        .iter()
                        .any(|a| a == arn)
            })
    }

    /// Applies an operation's configuration to the stack (none keeps the stack's).
    pub(super) fn apply_rollback(&mut self, stack: &str, config: Option<&RollbackConfiguration>) {
        if let (Some(config), Some(s)) = (config, self.stacks.get_mut(stack)) {
            s.rollback = Some(config.clone());
        }
    }

    /// Whether `alarm` is one of the stack's rollback triggers.
    pub(super) fn is_trigger(&self, stack: &str, alarm: &str) -> bool {
        self.stacks
            .get(stack)
            .and_then(|s| s.rollback.as_ref())
            .is_some_and(|r| r.alarm_arns.iter().any(|a| a == alarm))
    }
}

impl FakeCloudFormation {
    /// Declares a CloudWatch alarm that exists in the account, so it may be a rollback trigger.
    pub fn put_alarm(&self, arn: &str) {
        self.lock().alarms.insert(arn.to_owned());
    }

    /// The stack's rollback configuration as the last operation that gave one set it.
    pub fn rollback_configuration_of(&self, stack: &str) -> Option<RollbackConfiguration> {
        self.lock()
            .stacks
            .get(stack)
            .and_then(|s| s.rollback.clone())
    }

    /// The inputs of every call of `operation` (`CreateStack`, `UpdateStack`,
    /// `CreateChangeSet`), in order: what a test checks the rollback configuration on.
    pub fn inputs_of(&self, operation: &str) -> Vec<StackInput> {
        self.lock()
            .inputs
            .iter()
            .filter(|(op, _)| op == operation)
            .map(|(_, input)| input.clone())
            .collect()
    }
}
