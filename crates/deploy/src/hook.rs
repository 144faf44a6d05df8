//! Caller hooks at two points of a run the engine alone cannot know about: after a stack is
//! deployed (before its dependents start) and right before a stack is deleted. The CLI uses them
//! to upload the application build once its bucket exists, and to empty that bucket before its
//! stack goes. The engine stays ignorant of what the hooks do.

use async_trait::async_trait;

use crate::cloudformation::{StackDescription, StackOutput};
use crate::names::StackName;

/// What a hook fails with: any error, reported as [`crate::Error::Hook`] for the stack.
pub type HookError = Box<dyn std::error::Error + Send + Sync>;

/// Work the caller does between stack operations. Both methods do nothing by default.
#[async_trait]
pub trait StackHook: Send + Sync {
    /// Runs after `stack` deployed well or had no changes, with its outputs, before any stack
    /// depending on it starts. An error fails the stack (its dependents are skipped).
    async fn after_deploy(
        &self,
        stack: &StackName,
        outputs: &[StackOutput],
    ) -> Result<(), HookError> {
        let _ = (stack, outputs);
        Ok(())
    }

    /// Runs right before `stack` is deleted (no importer left, pre-delete parameters applied).
    /// An error stops the destroy before this stack is deleted.
    async fn before_delete(&self, stack: &StackDescription) -> Result<(), HookError> {
        let _ = stack;
        Ok(())
    }
}

/// The hook that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHook;

#[async_trait]
impl StackHook for NoHook {}
