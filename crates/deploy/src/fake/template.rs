//! What the fake reads from a template: its resources, the outputs and exports a deployed stack
//! would have, and the exports it imports. Only literal values and simple `Ref`/`Fn::Sub` are
//! understood; anything else gets a placeholder value, which is all the tests need.

use serde_json::Value;

use crate::cloudformation::{ResourceChange, StackOutput};
use crate::names::ExportName;

/// `(logical id, type, properties)` of every resource.
pub(crate) fn resources(body: &str) -> Vec<(String, String, Value)> {
    let template: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    template
        .get("Resources")
        .and_then(Value::as_object)
        .map(|r| {
            r.iter()
                .map(|(id, res)| {
                    let ty = res
                        .get("Type")
                        .and_then(Value::as_str)
                        .unwrap_or("AWS::CloudFormation::WaitConditionHandle");
                    (
                        id.clone(),
                        ty.to_owned(),
                        res.get("Properties").cloned().unwrap_or(Value::Null),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `(name, default)` of every template parameter that has a default.
pub(crate) fn parameter_defaults(body: &str) -> Vec<(String, String)> {
    let template: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    template["Parameters"]
        .as_object()
        .map(|p| {
            p.iter()
                .filter_map(|(k, v)| v["Default"].as_str().map(|d| (k.clone(), d.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// RDS's answer to deleting an instance whose deletion protection is on, as CloudFormation
/// reports it on the resource.
pub(crate) const PROTECTED_DELETE_REASON: &str = "Resource handler returned message: \"Cannot delete protected DB Instance, please disable deletion protection and try again. (Service: Rds, Status Code: 400)\" (HandlerErrorCode: InvalidRequest)";

/// The logical ids of the `AWS::RDS::DBInstance`s in `body` whose `DeletionProtection` is on with
/// `params` (a `Ref` resolves to the parameter's value, else its default): RDS refuses to delete
/// them, in a rollback as in a stack delete.
pub(crate) fn deletion_protected(body: &str, params: &[(String, String)]) -> Vec<String> {
    let template: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let on = |value: &Value| match value {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true",
        Value::Object(o) => o.get("Ref").and_then(Value::as_str).is_some_and(|name| {
            let given = params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str());
            let default = template["Parameters"][name]["Default"].as_str();
            given.or(default) == Some("true")
        }),
        _ => false,
    };
    resources(body)
        .into_iter()
        .filter(|(_, ty, props)| ty == "AWS::RDS::DBInstance" && on(&props["DeletionProtection"]))
        .map(|(id, _, _)| id)
        .collect()
}

fn substitute(text: &str, stack: &str, params: &[(String, String)]) -> String {
    let mut out = text
        .replace("${AWS::StackName}", stack)
        .replace("${AWS::Region}", "us-east-1");
    for (k, v) in params {
        out = out.replace(&format!("${{{k}}}"), v);
    }
    out
}

fn resolve(
    value: &Value,
    stack: &str,
    params: &[(String, String)],
    fallback: &str,
) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("Ref") {
                return Some(
                    params
                        .iter()
                        .find(|(k, _)| k == r)
                        .map_or_else(|| format!("fake-{r}"), |(_, v)| v.clone()),
                );
            }
            if let Some(Value::String(s)) = o.get("Fn::Sub") {
                return Some(substitute(s, stack, params));
            }
            Some(fallback.to_owned())
        }
        _ => Some(fallback.to_owned()),
    }
}

/// The ARN of the alarm `logical_id` of a stack: its `AlarmName` when literal (or a simple
/// `Fn::Sub`), else the name CloudFormation would generate, `STACK-LOGICALID`.
fn alarm_arn(stack: &str, logical_id: &str, props: &Value, params: &[(String, String)]) -> String {
    let name = match &props["AlarmName"] {
        Value::Null => format!("{stack}-{logical_id}"),
        given => resolve(given, stack, params, &format!("{stack}-{logical_id}"))
            .unwrap_or_else(|| format!("{stack}-{logical_id}")),
    };
    format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}")
}

/// The ARNs of the CloudWatch alarms a stack created from `body` has.
pub(crate) fn alarm_arns(body: &str, stack: &str, params: &[(String, String)]) -> Vec<String> {
    resources(body)
        .into_iter()
        .filter(|(_, ty, _)| ty == "AWS::CloudWatch::Alarm")
        .map(|(id, _, props)| alarm_arn(stack, &id, &props, params))
        .collect()
}

/// An output's value: `Fn::GetAtt [ALARM, Arn]` of one of the template's alarms is its ARN.
fn output_value(
    template: &Value,
    value: &Value,
    stack: &str,
    params: &[(String, String)],
    fallback: &str,
) -> Option<String> {
    if let Some([Value::String(id), Value::String(attribute)]) = value
        .get("Fn::GetAtt")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        && attribute == "Arn"
        && template["Resources"][id]["Type"] == "AWS::CloudWatch::Alarm"
    {
        let props = &template["Resources"][id]["Properties"];
        return Some(alarm_arn(stack, id, props, params));
    }
    resolve(value, stack, params, fallback)
}

/// The outputs a stack created from `body` would report.
pub(crate) fn outputs(body: &str, stack: &str, params: &[(String, String)]) -> Vec<StackOutput> {
    let template: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let Some(outputs) = template.get("Outputs").and_then(Value::as_object) else {
        return Vec::new();
    };
    outputs
        .iter()
        .map(|(key, o)| StackOutput {
            key: key.clone(),
            value: o
                .get("Value")
                .and_then(|v| {
                    output_value(&template, v, stack, params, &format!("fake-{stack}-{key}"))
                })
                .unwrap_or_default(),
            export_name: o
                .get("Export")
                .and_then(|e| e.get("Name"))
                .and_then(|n| resolve(n, stack, params, &format!("{stack}-{key}")))
                .map(ExportName::new),
            description: o
                .get("Description")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
        .collect()
}

/// The export names a template imports with `Fn::ImportValue`.
pub(crate) fn imports(body: &str, stack: &str, params: &[(String, String)]) -> Vec<String> {
    fn walk(v: &Value, stack: &str, params: &[(String, String)], out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                for (k, inner) in o {
                    if k == "Fn::ImportValue"
                        && let Some(name) = resolve(inner, stack, params, "")
                        && !name.is_empty()
                    {
                        out.push(name);
                    } else {
                        walk(inner, stack, params, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|i| walk(i, stack, params, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(
        &serde_json::from_str(body).unwrap_or(Value::Null),
        stack,
        params,
        &mut out,
    );
    out
}

/// A change set's changes computed by comparing two templates resource by resource.
pub(crate) fn changes(old: Option<&str>, new: &str) -> Vec<ResourceChange> {
    use crate::cloudformation::{ChangeAction, PropertyChange, Replacement};
    use crate::names::LogicalId;
    let old = old.map(resources).unwrap_or_default();
    let new = resources(new);
    let context = |p: &Value| Some(serde_json::json!({ "Properties": p }).to_string());
    let change = |action, id: &str, ty: &str| ResourceChange {
        action,
        logical_id: LogicalId::new(id),
        physical_id: None,
        resource_type: ty.to_owned(),
        replacement: None,
        details: Vec::new(),
        before_context: None,
        after_context: None,
    };
    let mut out = Vec::new();
    for (id, ty, props) in &new {
        match old.iter().find(|(o, _, _)| o == id) {
            None => out.push(ResourceChange {
                after_context: context(props),
                ..change(ChangeAction::Add, id, ty)
            }),
            Some((_, _, before)) if before != props => {
                let keys: std::collections::BTreeSet<&String> = before
                    .as_object()
                    .into_iter()
                    .chain(props.as_object())
                    .flat_map(|m| m.keys())
                    .collect();
                let details = keys
                    .into_iter()
                    .filter(|k| before.get(k.as_str()) != props.get(k.as_str()))
                    .map(|k| PropertyChange {
                        path: format!("/Properties/{k}"),
                        before: before.get(k.as_str()).map(Value::to_string),
                        after: props.get(k.as_str()).map(Value::to_string),
                        requires_recreation: Replacement::Never,
                        cause: Some("DirectModification".to_owned()),
                    })
                    .collect();
                out.push(ResourceChange {
                    replacement: Some(Replacement::Never),
                    details,
                    before_context: context(before),
                    after_context: context(props),
                    ..change(ChangeAction::Modify, id, ty)
                });
            }
            Some(_) => {}
        }
    }
    for (id, ty, props) in &old {
        if !new.iter().any(|(n, _, _)| n == id) {
            out.push(ResourceChange {
                before_context: context(props),
                ..change(ChangeAction::Remove, id, ty)
            });
        }
    }
    out
}
