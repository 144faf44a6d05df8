//! The data-loss guard: a plan that replaces or deletes a protected resource (the database,
//! its secret, its subnets) is refused unless the caller allows data loss, with the reason.

use crate::cloudformation::{ChangeAction, Replacement};
use crate::error::Error;
use crate::plan::{DataLossRisk, Loss, Plan, PlannedChange};
use crate::spec::StackSpec;

/// Refuses a plan that loses protected data unless the caller allows it.
impl Plan {
    /// Refuses the plan when it loses protected data and the caller did not allow it.
    pub fn check_data_loss(&self, allow_data_loss: bool) -> Result<(), Error> {
        let risks = self.risks();
        if risks.is_empty() || allow_data_loss {
            Ok(())
        } else {
            Err(Error::DataLoss { risks })
        }
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
    use crate::names::{LogicalId, StackName};

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
