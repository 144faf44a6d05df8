//! Guards CloudFormation itself enforces, beside the engine's own data-loss check, so that a
//! console slip or another tool cannot do what `deploy` would refuse:
//! - **termination protection**: `DeleteStack` is refused until it is lifted;
//! - **a stack policy** denying `Update:Replace` and `Update:Delete` on the spec's protected
//!   resources, for every update (ours, the console's, another tool's). Stack policies do not
//!   apply to `DeleteStack`; termination protection covers that.
//!
//! The engine turns both on after a stack's first create and whenever a deployed stack lacks
//! them, lifts termination protection only for `destroy` (after the user confirmed) or to
//! re-create a stack a failed create left empty, and relaxes the policy for exactly the
//! resources an update replaces or deletes once the user accepted that with
//! `--allow-data-loss`, restoring it afterwards.

use std::fmt;

use serde::Serialize;
use serde_json::{Value, json};

use crate::names::LogicalId;

/// The stack policy that lets every update through except replacing or deleting `denied`
/// resources; `None` when nothing is denied (a stack without protected resources has no policy).
pub(crate) fn stack_policy<'a>(denied: impl IntoIterator<Item = &'a LogicalId>) -> Option<String> {
    let resources: Vec<String> = denied
        .into_iter()
        .map(|id| format!("LogicalResourceId/{id}"))
        .collect();
    if resources.is_empty() {
        return None;
    }
    Some(
        json!({
            "Statement": [
                { "Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*" },
                {
                    "Effect": "Deny",
                    "Action": ["Update:Replace", "Update:Delete"],
                    "Principal": "*",
                    "Resource": resources,
                },
            ]
        })
        .to_string(),
    )
}

/// A policy that allows every update: what a stack's policy is relaxed to while an accepted
/// update replaces or deletes all of its protected resources (a policy can be replaced, never
/// removed).
pub(crate) fn allow_all_policy() -> String {
    json!({
        "Statement": [
            { "Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*" }
        ]
    })
    .to_string()
}

/// True when two policy documents say the same (compared as JSON, so formatting does not count).
pub(crate) fn same_policy(deployed: Option<&str>, wanted: &str) -> bool {
    let parse = |s: &str| serde_json::from_str::<Value>(s).ok();
    match (deployed.and_then(parse), parse(wanted)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// A change to a stack's guards: planned (shown before asking) and reported as it happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "guard", rename_all = "snake_case")]
pub enum GuardChange {
    /// Termination protection switched on: `DeleteStack` is refused until it is lifted.
    ProtectionOn,
    /// Termination protection lifted, and why.
    ProtectionLifted {
        /// E.g. "destroy confirmed".
        why: String,
    },
    /// The stack policy set: replacing or deleting these resources is denied to every update.
    PolicySet {
        /// The protected resources.
        denies: Vec<LogicalId>,
    },
    /// The stack policy relaxed for one update, for these resources only (accepted with
    /// `--allow-data-loss`); restored when the update ends.
    PolicyLifted {
        /// The resources the update may replace or delete.
        allows: Vec<LogicalId>,
    },
}

impl fmt::Display for GuardChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids = |ids: &[LogicalId]| {
            ids.iter()
                .map(LogicalId::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Self::ProtectionOn => write!(f, "termination protection on"),
            Self::ProtectionLifted { why } => write!(f, "termination protection lifted ({why})"),
            Self::PolicySet { denies } => write!(
                f,
                "stack policy denies replacing or deleting {}",
                ids(denies)
            ),
            Self::PolicyLifted { allows } => write!(
                f,
                "stack policy lifted for {} during this update (--allow-data-loss); restored after it",
                ids(allows)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_denies_replacing_and_deleting_only_the_protected_resources() {
        let ids = [LogicalId::new("Database"), LogicalId::new("Secret")];
        let policy: Value =
            serde_json::from_str(&stack_policy(&ids).expect("a policy")).expect("JSON");
        let deny = &policy["Statement"][1];
        assert_eq!(deny["Effect"], "Deny");
        assert_eq!(deny["Action"], json!(["Update:Replace", "Update:Delete"]));
        assert_eq!(
            deny["Resource"],
            json!(["LogicalResourceId/Database", "LogicalResourceId/Secret"])
        );
        assert_eq!(policy["Statement"][0]["Action"], "Update:*");
        assert_eq!(stack_policy(&[]), None);
    }

    #[test]
    fn policies_compare_as_json() {
        let ids = [LogicalId::new("Database")];
        let ours = stack_policy(&ids).expect("a policy");
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(&ours).expect("JSON"))
                .expect("JSON");
        assert!(same_policy(Some(&pretty), &ours));
        assert!(!same_policy(Some(&allow_all_policy()), &ours));
        assert!(!same_policy(None, &ours));
        assert!(!same_policy(Some("not json"), &ours));
    }
}
