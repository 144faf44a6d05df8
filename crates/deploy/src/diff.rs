//! Turns CloudFormation's change-set description (or, before a change set is possible, the
//! template's resource list) into the plan's readable diff, and spots security-group and IAM
//! widening by comparing the rules and statements before and after.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::cloudformation::{ChangeAction, PropertyChange, Replacement, ResourceChange};
use crate::error::Error;
use crate::names::{LogicalId, StackName};
use crate::plan::{PlannedChange, Widening, WideningKind};

/// The resources of a template, for a plan made without a change set: every one is added.
pub(crate) fn from_template(
    stack: &StackName,
    template_body: &str,
) -> Result<Vec<PlannedChange>, Error> {
    let template: Value =
        serde_json::from_str(template_body).map_err(|e| Error::InvalidTemplate {
            stack: stack.clone(),
            reason: e.to_string(),
        })?;
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    Ok(resources
        .iter()
        .map(|(id, resource)| {
            let properties = resource.get("Properties");
            let change = ResourceChange {
                action: ChangeAction::Add,
                logical_id: LogicalId::new(id.as_str()),
                physical_id: None,
                resource_type: resource
                    .get("Type")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned(),
                replacement: None,
                details: Vec::new(),
                before_context: None,
                after_context: properties.map(Value::to_string),
            };
            planned(&change)
        })
        .collect())
}

/// One change set entry as the plan shows it.
pub(crate) fn planned(change: &ResourceChange) -> PlannedChange {
    let before = parse_context(change.before_context.as_deref());
    let after = parse_context(change.after_context.as_deref());
    let properties = if change.details.is_empty() && change.action == ChangeAction::Add {
        // CloudFormation gives an added resource no details: list its properties instead.
        after
            .as_ref()
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .map(|(k, v)| PropertyChange {
                        path: format!("/Properties/{k}"),
                        before: None,
                        after: Some(compact(v)),
                        requires_recreation: Replacement::Never,
                        cause: None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        change.details.clone()
    };
    let widening = if change.action == ChangeAction::Remove {
        Vec::new()
    } else {
        widening(
            &change.resource_type,
            before.as_ref(),
            after.as_ref(),
            &change.details,
        )
    };
    PlannedChange {
        action: change.action,
        logical_id: change.logical_id.clone(),
        resource_type: change.resource_type.clone(),
        replacement: change.replacement,
        properties,
        widening,
    }
}

/// Contexts come as `{"Properties": {...}}` or as the properties themselves; accept both.
fn parse_context(context: Option<&str>) -> Option<Value> {
    let value: Value = serde_json::from_str(context?).ok()?;
    match value.get("Properties") {
        Some(p) => Some(p.clone()),
        None => Some(value),
    }
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Describes one security group rule, flagging the ones open to the whole internet.
fn sg_rule(direction: &str, rule: &Value) -> String {
    let field = |k: &str| rule.get(k).map(compact);
    let protocol = field("IpProtocol").unwrap_or_else(|| "?".to_owned());
    let ports = match (field("FromPort"), field("ToPort")) {
        (Some(a), Some(b)) => format!(" {a}-{b}"),
        _ => String::new(),
    };
    let peer_key = if direction == "ingress" { "from" } else { "to" };
    let peer = [
        "CidrIp",
        "CidrIpv6",
        "SourceSecurityGroupId",
        "DestinationSecurityGroupId",
        "SourcePrefixListId",
        "DestinationPrefixListId",
    ]
    .iter()
    .find_map(|k| field(k))
    .unwrap_or_else(|| "?".to_owned());
    let world = if peer == "0.0.0.0/0" || peer == "::/0" {
        " (open to the world)"
    } else {
        ""
    };
    format!("{direction} {protocol}{ports} {peer_key} {peer}{world}")
}

/// What a resource grants, one string per rule, statement or managed policy.
fn grants(resource_type: &str, props: Option<&Value>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Some(props) = props else { return out };
    let each = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    match resource_type {
        "AWS::EC2::SecurityGroup" => {
            for rule in each(props.get("SecurityGroupIngress")) {
                out.insert(sg_rule("ingress", &rule));
            }
            for rule in each(props.get("SecurityGroupEgress")) {
                out.insert(sg_rule("egress", &rule));
            }
        }
        "AWS::EC2::SecurityGroupIngress" => {
            out.insert(sg_rule("ingress", props));
        }
        "AWS::EC2::SecurityGroupEgress" => {
            out.insert(sg_rule("egress", props));
        }
        t if t.starts_with("AWS::IAM::") => {
            let statements = |doc: Option<&Value>, label: &str, out: &mut BTreeSet<String>| {
                for s in each(doc.and_then(|d| d.get("Statement"))) {
                    out.insert(format!("{label} {}", s));
                }
            };
            statements(props.get("AssumeRolePolicyDocument"), "trust", &mut out);
            statements(props.get("PolicyDocument"), "statement", &mut out);
            for policy in each(props.get("Policies")) {
                statements(policy.get("PolicyDocument"), "statement", &mut out);
            }
            for arn in each(props.get("ManagedPolicyArns")) {
                out.insert(format!("managed policy {}", compact(&arn)));
            }
            for role in each(props.get("Roles")) {
                out.insert(format!("role {}", compact(&role)));
            }
        }
        _ => {}
    }
    out
}

fn widening(
    resource_type: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    details: &[PropertyChange],
) -> Vec<Widening> {
    let kind = if resource_type.starts_with("AWS::EC2::SecurityGroup") {
        WideningKind::SecurityGroup
    } else if resource_type.starts_with("AWS::IAM::") {
        WideningKind::Iam
    } else {
        return Vec::new();
    };
    if after.is_none() && !details.is_empty() {
        // No property values: say which permission-bearing property changes.
        return details
            .iter()
            .map(|d| Widening {
                kind,
                detail: format!("{} changes (values not shown)", d.path),
            })
            .collect();
    }
    let old = grants(resource_type, before);
    grants(resource_type, after)
        .difference(&old)
        .map(|g| Widening {
            kind,
            detail: g.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(resource_type: &str, before: Option<Value>, after: Option<Value>) -> ResourceChange {
        ResourceChange {
            action: if before.is_some() {
                ChangeAction::Modify
            } else {
                ChangeAction::Add
            },
            logical_id: LogicalId::new("X"),
            physical_id: None,
            resource_type: resource_type.to_owned(),
            replacement: Some(Replacement::Never),
            details: Vec::new(),
            before_context: before.map(|b| json!({ "Properties": b }).to_string()),
            after_context: after.map(|a| json!({ "Properties": a }).to_string()),
        }
    }

    #[test]
    fn new_world_open_ingress_is_flagged() {
        let before = json!({"SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}]});
        let after = json!({"SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000, "CidrIp": "0.0.0.0/0"}]});
        let p = planned(&change(
            "AWS::EC2::SecurityGroup",
            Some(before),
            Some(after),
        ));
        assert_eq!(p.widening.len(), 1);
        assert_eq!(
            p.widening[0].detail,
            "ingress tcp 3000-3000 from 0.0.0.0/0 (open to the world)"
        );
    }

    #[test]
    fn narrowing_is_not_widening_and_iam_additions_are() {
        let rule =
            json!({"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"});
        let p = planned(&change(
            "AWS::EC2::SecurityGroup",
            Some(json!({"SecurityGroupIngress": [rule]})),
            Some(json!({})),
        ));
        assert!(p.widening.is_empty());
        let p = planned(&change(
            "AWS::IAM::Role",
            Some(json!({"ManagedPolicyArns": []})),
            Some(json!({"ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]})),
        ));
        assert_eq!(p.widening[0].kind, WideningKind::Iam);
        assert!(p.widening[0].detail.contains("AdministratorAccess"));
    }

    #[test]
    fn template_plan_lists_every_resource_as_added() {
        let body = json!({"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}}).to_string();
        let changes = from_template(&StackName::new("s").expect("valid"), &body).expect("json");
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].action, ChangeAction::Add);
        assert_eq!(
            changes[0].properties[0].after.as_deref(),
            Some("10.0.0.0/16")
        );
    }
}
