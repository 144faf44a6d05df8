//! The data-loss guard: a plan that replaces or deletes a protected resource (the database,
//! its secret, its subnets) is refused unless the caller allows data loss, with the reason.

use std::fmt;

use serde::Serialize;

use crate::cloudformation::{ChangeAction, Replacement};
use crate::names::{LogicalId, StackName};
use crate::plan::PlannedChange;
use crate::spec::StackSpec;

/// What would happen to a protected resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Replaced: a new resource, the old one deleted.
    Replaced,
    /// May be replaced (CloudFormation decides at execution).
    MaybeReplaced,
    /// Deleted.
    Deleted,
}

/// A protected resource the plan would replace or delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataLossRisk {
    /// The stack.
    pub stack: StackName,
    /// The resource.
    pub logical_id: LogicalId,
    /// What would happen to it.
    pub loss: Loss,
    /// Why it matters (from the stack spec).
    pub reason: String,
}

impl fmt::Display for DataLossRisk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.loss {
            Loss::Replaced => "would be replaced",
            Loss::MaybeReplaced => "may be replaced",
            Loss::Deleted => "would be deleted",
        };
        write!(
            f,
            "{} in {} {what} ({})",
            self.logical_id, self.stack, self.reason
        )
    }
}

/// The risks a stack's planned changes carry for its protected resources.
pub(crate) fn assess(spec: &StackSpec, changes: &[PlannedChange]) -> Vec<DataLossRisk> {
    changes
        .iter()
        .filter_map(|change| {
            let protected = spec
                .protected
                .iter()
                .find(|p| p.logical_id == change.logical_id)?;
            let loss = match (change.action, change.replacement) {
                (ChangeAction::Remove, _) => Loss::Deleted,
                (ChangeAction::Modify, Some(Replacement::Always)) => Loss::Replaced,
                (ChangeAction::Modify, Some(Replacement::Conditional)) => Loss::MaybeReplaced,
                _ => return None,
            };
            Some(DataLossRisk {
                stack: spec.name.clone(),
                logical_id: change.logical_id.clone(),
                loss,
                reason: protected.reason.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlannedChange;

    fn change(id: &str, action: ChangeAction, replacement: Option<Replacement>) -> PlannedChange {
        PlannedChange {
            action,
            logical_id: LogicalId::new(id),
            resource_type: "AWS::RDS::DBInstance".to_owned(),
            replacement,
            properties: Vec::new(),
            widening: Vec::new(),
        }
    }

    #[test]
    fn replacing_or_deleting_protected_resources_is_a_risk() {
        let spec = StackSpec::new(StackName::new("db").expect("valid"), "{}")
            .protect("Database", "holds every task");
        let risks = assess(
            &spec,
            &[
                change(
                    "Database",
                    ChangeAction::Modify,
                    Some(Replacement::Conditional),
                ),
                change("Other", ChangeAction::Remove, None),
            ],
        );
        assert_eq!(risks.len(), 1);
        assert_eq!(risks[0].loss, Loss::MaybeReplaced);
        assert!(risks[0].to_string().contains("holds every task"));
        assert!(
            assess(
                &spec,
                &[change(
                    "Database",
                    ChangeAction::Modify,
                    Some(Replacement::Never)
                )]
            )
            .is_empty()
        );
        assert_eq!(
            assess(&spec, &[change("Database", ChangeAction::Remove, None)])[0].loss,
            Loss::Deleted
        );
    }
}
