//! `stack-protection`: the stacks holding state are termination-protected, and the resources
//! whose loss loses data (the database instance, its secret, its subnet group) are protected,
//! which puts them under the stack policy the deployer sets (updates may not replace or delete
//! them). Checked only where the stack's settings are known: templates read back from a
//! directory carry no stack settings.

use serde_json::Value;

use super::{RenderedStack, Violation, resources, violation};

const RULE: &str = "stack-protection";

/// Resource types whose stack must be termination-protected: deleting the stack deletes them.
const STATEFUL: [&str; 6] = [
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::S3::Bucket",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBSubnetGroup",
    "AWS::SecretsManager::Secret",
];

/// Resource types the stack policy must cover: replacing one loses data or locks the
/// application out.
const UNREPLACEABLE: [&str; 3] = [
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBSubnetGroup",
    "AWS::SecretsManager::Secret",
];

/// How a stack is deployed beyond its template: what the `stack-protection` and
/// `rollback-triggers` rules check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackGuards {
    /// CloudFormation termination protection.
    pub termination_protection: bool,
    /// Logical ids of the protected resources (the stack policy denies replacing or deleting
    /// them; the deployer's data-loss check refuses plans that would).
    pub protected: Vec<String>,
    /// Keys of the outputs holding the ARNs of the alarms CloudFormation watches during updates
    /// (`StackDefinition::rollback_alarm_outputs`).
    pub rollback_alarm_outputs: Vec<String>,
}

pub(super) fn check(s: &RenderedStack, v: &mut Vec<Violation>) {
    let Some(guards) = &s.guards else {
        return;
    };
    let of_type = |types: &[&str]| -> Vec<String> {
        resources(&s.template)
            .filter(|(_, r)| {
                r.get("Type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| types.contains(&t))
            })
            .map(|(id, _)| id.to_owned())
            .collect()
    };
    if let Some(first) = of_type(&STATEFUL).first()
        && !guards.termination_protection
    {
        v.push(violation(
            RULE,
            s,
            first,
            "the stack holds state: switch on termination protection (StackDefinition::termination_protection) so that deleting it needs `techchallenge destroy`",
        ));
    }
    for id in of_type(&UNREPLACEABLE) {
        if !guards.protected.contains(&id) {
            v.push(violation(
                RULE,
                s,
                &id,
                "protect it (architecture.rs, protected_resources): the stack policy then denies replacing or deleting it, and plans that would are refused without --allow-data-loss",
            ));
        }
    }
}
