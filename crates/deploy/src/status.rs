//! Stack and resource statuses as string newtypes (CloudFormation adds statuses over time, so an
//! unknown one must still pass through) that know whether a status is settled and whether it is
//! good, which drives both the wait loop's exit and how the CLI colours progress.

use std::fmt;

use serde::Serialize;

/// Where a stack is in its life cycle, as `DescribeStacks` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct StackStatus(String);

impl StackStatus {
    /// Wraps a status string exactly as CloudFormation spells it (`CREATE_COMPLETE`, ...).
    pub fn new(status: impl Into<String>) -> Self {
        Self(status.into())
    }

    /// The status as CloudFormation spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An operation is running: nothing but waiting can be done to the stack.
    /// `REVIEW_IN_PROGRESS` is not one: it is a stack that only holds an unexecuted change set.
    pub fn is_in_progress(&self) -> bool {
        self.0.ends_with("_IN_PROGRESS") && self.0 != "REVIEW_IN_PROGRESS"
    }

    /// No operation is running, so the wait loop can stop.
    pub fn is_settled(&self) -> bool {
        !self.is_in_progress()
    }

    /// The last operation succeeded and the stack can be updated.
    pub fn is_good(&self) -> bool {
        matches!(
            self.0.as_str(),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE" | "DELETE_COMPLETE"
        )
    }

    /// The last operation failed (even if the stack was rolled back into a usable state).
    pub fn is_failure(&self) -> bool {
        self.is_settled() && !self.is_good() && self.0 != "REVIEW_IN_PROGRESS"
    }

    /// A failed first create left the stack in `ROLLBACK_COMPLETE`: it can only be deleted and re-created.
    pub fn needs_recreate(&self) -> bool {
        self.0 == "ROLLBACK_COMPLETE"
    }

    /// A stack that only holds a change set never executed: for every purpose it does not exist yet.
    pub fn is_review(&self) -> bool {
        self.0 == "REVIEW_IN_PROGRESS"
    }

    /// The update was rolled back cleanly: the stack is usable at its previous version.
    pub fn is_usable(&self) -> bool {
        self.is_good() && self.0 != "DELETE_COMPLETE"
            || matches!(
                self.0.as_str(),
                "UPDATE_ROLLBACK_COMPLETE" | "IMPORT_ROLLBACK_COMPLETE"
            )
    }

    /// A state out of which CloudFormation cannot move without help (`*_FAILED`).
    pub fn is_blocked(&self) -> bool {
        self.is_settled() && self.0.ends_with("_FAILED")
    }
}

impl fmt::Display for StackStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<StackStatus> for String {
    fn from(s: StackStatus) -> Self {
        s.0
    }
}

/// How one resource is doing, as `DescribeStackEvents` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct ResourceStatus(String);

impl ResourceStatus {
    /// Wraps a status string exactly as CloudFormation spells it.
    pub fn new(status: impl Into<String>) -> Self {
        Self(status.into())
    }

    /// The status as CloudFormation spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Work on the resource is still going on.
    pub fn is_in_progress(&self) -> bool {
        self.0.ends_with("_IN_PROGRESS")
    }

    /// The resource failed (`CREATE_FAILED`, `UPDATE_FAILED`, ...): its reason is what the user needs.
    pub fn is_failed(&self) -> bool {
        self.0.ends_with("_FAILED")
    }

    /// The resource reached a good end state.
    pub fn is_complete(&self) -> bool {
        self.0.ends_with("_COMPLETE") && !self.0.contains("ROLLBACK")
    }
}

impl fmt::Display for ResourceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<ResourceStatus> for String {
    fn from(s: ResourceStatus) -> Self {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_status_classification() {
        let s = |v: &str| StackStatus::new(v);
        assert!(s("CREATE_IN_PROGRESS").is_in_progress());
        assert!(s("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS").is_in_progress());
        assert!(!s("REVIEW_IN_PROGRESS").is_in_progress());
        assert!(s("CREATE_COMPLETE").is_good());
        assert!(s("ROLLBACK_COMPLETE").is_failure());
        assert!(s("ROLLBACK_COMPLETE").needs_recreate());
        assert!(s("UPDATE_ROLLBACK_COMPLETE").is_failure());
        assert!(s("UPDATE_ROLLBACK_COMPLETE").is_usable());
        assert!(s("UPDATE_ROLLBACK_FAILED").is_blocked());
        assert!(!s("ROLLBACK_COMPLETE").is_usable());
    }

    #[test]
    fn resource_status_classification() {
        assert!(ResourceStatus::new("CREATE_FAILED").is_failed());
        assert!(ResourceStatus::new("CREATE_COMPLETE").is_complete());
        assert!(!ResourceStatus::new("UPDATE_ROLLBACK_COMPLETE").is_complete());
    }
}
