//! `no-managed-ssm-policy`: instances get Session Manager's minimal permissions, not
//! `AmazonSSMManagedInstanceCore`, which also lets anything on the instance read every SSM
//! parameter of the account (`ssm:GetParameter*` on `*`). Checked on roles' AWS managed
//! policies (by name: their documents are not in the template) and on every policy document
//! the template writes (roles' inline policies, `AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy`).

use serde_json::Value;

use super::pattern::matches_ignoring_case;
use super::{RenderedStack, Violation, resources, violation};

const RULE: &str = "no-managed-ssm-policy";

/// AWS managed policies that grant `ssm:GetParameter*` on `*`.
const MANAGED: [&str; 7] = [
    "AmazonSSMManagedInstanceCore",
    "AmazonEC2RoleforSSM",
    "AmazonSSMFullAccess",
    "AmazonSSMReadOnlyAccess",
    "ReadOnlyAccess",
    "PowerUserAccess",
    "AdministratorAccess",
];

/// The actions that read parameters (what `ssm:GetParameter*` stands for).
const PARAMETER_READS: [&str; 4] = [
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
];

/// Checks the roles and policies of one stack.
pub(super) fn check(s: &RenderedStack, v: &mut Vec<Violation>) {
    for (id, r) in resources(&s.template) {
        let kind = r.get("Type").and_then(Value::as_str).unwrap_or_default();
        if !kind.starts_with("AWS::IAM::") {
            continue;
        }
        let props = r.get("Properties").unwrap_or(&Value::Null);
        for arn in props
            .get("ManagedPolicyArns")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = forbidden_managed(arn) {
                v.push(violation(
                    RULE,
                    s,
                    id,
                    &format!(
                        "attaches the AWS managed policy {name}, which grants ssm:GetParameter* on every parameter; grant Session Manager's minimal actions inline instead"
                    ),
                ));
            }
        }
        let inline = props
            .get("Policies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("PolicyDocument"));
        for document in inline.chain(props.get("PolicyDocument")) {
            if let Some(action) = reads_every_parameter(document) {
                v.push(violation(
                    RULE,
                    s,
                    id,
                    &format!(
                        "allows {action} on every parameter (Resource `*`); name the parameters it needs, or none"
                    ),
                ));
            }
        }
    }
}

/// The name of a forbidden AWS managed policy `arn` names (a string, `Fn::Sub` or `Fn::Join`).
fn forbidden_managed(arn: &Value) -> Option<&'static str> {
    let mut text = String::new();
    strings(arn, &mut text);
    if !text.contains(":iam::aws:policy/") {
        return None;
    }
    MANAGED
        .into_iter()
        .find(|name| text.ends_with(&format!("/{name}")))
}

/// Every string inside `v`, concatenated in order.
fn strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => items.iter().for_each(|x| strings(x, out)),
        Value::Object(map) => map.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// The first parameter-reading action an `Allow` statement of `document` grants on `*` (or on
/// everything but some resources, with `NotResource`).
fn reads_every_parameter(document: &Value) -> Option<&'static str> {
    let statements = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => vec![],
    };
    statements.into_iter().find_map(|st| {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            return None;
        }
        let everywhere =
            st.get("NotResource").is_some() || names(st.get("Resource")).iter().any(|r| r == "*");
        if !everywhere {
            return None;
        }
        let granted = |action: &str| match st.get("NotAction") {
            Some(not) => !names(Some(not))
                .iter()
                .any(|p| matches_ignoring_case(p, action)),
            None => names(st.get("Action"))
                .iter()
                .any(|p| matches_ignoring_case(p, action)),
        };
        PARAMETER_READS.into_iter().find(|a| granted(a))
    })
}

/// A policy element's names: one string or a list of strings.
fn names(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => vec![],
    }
}
