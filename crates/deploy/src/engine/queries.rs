//! The engine's read-only queries: `Engine::status` (each stack's state, last change and
//! outputs) and `Engine::outputs`. They never wait for running operations.

use serde::Serialize;

use super::Engine;
use crate::cloudformation::{StackDescription, StackOutput};
use crate::error::Error;
use crate::names::StackName;

/// One stack's state, for `status`.
#[derive(Debug, Clone, Serialize)]
pub struct StackState {
    /// The stack.
    pub stack: StackName,
    /// What CloudFormation says about it; `None` when it does not exist.
    pub description: Option<StackDescription>,
}

impl Engine {
    /// The state of each stack, in the order given. Does not wait for running operations.
    pub async fn status(&self, stacks: &[StackName]) -> Result<Vec<StackState>, Error> {
        let mut out = Vec::with_capacity(stacks.len());
        for stack in stacks {
            let description = self
                .describe(stack)
                .await?
                .filter(|d| !d.status.is_review());
            out.push(StackState {
                stack: stack.clone(),
                description,
            });
        }
        Ok(out)
    }

    /// The outputs of each existing stack, in the order given (missing stacks are left out).
    pub async fn outputs(
        &self,
        stacks: &[StackName],
    ) -> Result<Vec<(StackName, Vec<StackOutput>)>, Error> {
        Ok(self
            .status(stacks)
            .await?
            .into_iter()
            .filter_map(|s| s.description.map(|d| (s.stack, d.outputs)))
            .collect())
    }
}
