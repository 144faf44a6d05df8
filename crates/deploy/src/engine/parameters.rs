//! Parameter-only updates with the stack's previous template: switching the database's deletion
//! protection off right before a confirmed delete, and on right after its first create.

use super::Engine;
use super::waiting::failed;
use crate::cloudformation::{ApiError, StackDescription, StackInput, TemplateSource};
use crate::error::Error;
use crate::events::{Event, StackAction};
use crate::spec::{Parameter, StackSpec};

impl Engine {
    /// Updates `current` (the deployed stack of `spec`) to the values in `overrides`, keeping
    /// every other parameter's previous value and the previous template, and waits for it.
    /// `action` names the step in the progress events. "No updates" is a success.
    pub(crate) async fn update_parameters(
        &self,
        spec: &StackSpec,
        current: &StackDescription,
        overrides: &[Parameter],
        action: StackAction,
    ) -> Result<(), Error> {
        let stack = &spec.name;
        let mut parameters: Vec<Parameter> = current
            .parameters
            .iter()
            .filter(|(k, _)| !overrides.iter().any(|o| &o.key == k))
            .map(|(k, _)| Parameter::use_previous(k.clone()))
            .collect();
        parameters.extend(overrides.iter().cloned());
        let token = self.next_token(stack, "parameters");
        let input = StackInput {
            stack: stack.clone(),
            template: TemplateSource::UsePrevious,
            parameters,
            tags: spec.tags.clone(),
            capabilities: spec.capabilities.clone(),
            request_token: Some(token.clone()),
            express: spec.express,
            // No change to the triggers: a parameter-only update is watched as the last one was.
            rollback: None,
        };
        let seen = self.event_cursor(stack).await?;
        match self
            .call(stack, "UpdateStack", || self.cfn.update_stack(&input))
            .await
        {
            Err(Error::Api {
                source: ApiError::NoUpdates,
                ..
            }) => return Ok(()),
            other => other?,
        };
        self.emit(Event::StackStarted {
            stack: stack.clone(),
            action,
        });
        let settled = self.wait_settled(stack, Some(&token), seen).await?;
        match &settled.description {
            Some(d) if d.status.is_good() => Ok(()),
            _ => Err(failed(stack, settled, None)),
        }
    }
}
