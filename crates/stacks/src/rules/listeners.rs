//! `debug-routes-not-routed`: the app's `/debug` (its settings) and `/metrics` are for the
//! instance itself, never for the internet. Every listener that forwards to targets, by default
//! or by a rule, answers those paths first with a fixed 404 of its own: a listener rule whose
//! only conditions are path patterns covering them, evaluated before (lower priority number than)
//! every rule that forwards. A listener that only redirects or answers by itself is fine.

use std::collections::BTreeMap;

use serde_json::Value;

use super::pattern::covers;
use super::{RenderedStack, Violation, resources, violation};

const RULE: &str = "debug-routes-not-routed";

/// The paths no forwarding listener may pass on.
const INTERNAL_PATHS: [&str; 4] = ["/debug", "/debug/*", "/metrics", "/metrics/*"];

/// A listener rule as this check sees it.
struct ListenerRule<'a> {
    id: &'a str,
    /// Lower is evaluated first; a rule without a valid priority sorts where it hurts most.
    priority: Option<u64>,
    forwards: bool,
    /// The path patterns it answers with a 404, when it is such a rule.
    answers_404: Vec<&'a str>,
}

/// Checks every listener of one stack (listener rules name their listener with `Ref`).
pub(super) fn check(s: &RenderedStack, v: &mut Vec<Violation>) {
    let mut listeners: BTreeMap<&str, bool> = BTreeMap::new();
    let mut rules: BTreeMap<&str, Vec<ListenerRule<'_>>> = BTreeMap::new();
    for (id, r) in resources(&s.template) {
        let props = r.get("Properties").unwrap_or(&Value::Null);
        match r.get("Type").and_then(Value::as_str).unwrap_or_default() {
            "AWS::ElasticLoadBalancingV2::Listener" => {
                listeners.insert(id, forwards(props.get("DefaultActions")));
            }
            "AWS::ElasticLoadBalancingV2::ListenerRule" => {
                let Some(listener) = props.pointer("/ListenerArn/Ref").and_then(Value::as_str)
                else {
                    continue;
                };
                rules.entry(listener).or_default().push(ListenerRule {
                    id,
                    priority: props.get("Priority").and_then(|p| {
                        p.as_u64()
                            .or_else(|| p.as_str().and_then(|t| t.parse().ok()))
                    }),
                    forwards: forwards(props.get("Actions")),
                    answers_404: answers_404(props),
                });
            }
            _ => {}
        }
    }
    for (listener, default_forwards) in listeners {
        let on = rules.get(listener).map(Vec::as_slice).unwrap_or_default();
        if !default_forwards && !on.iter().any(|r| r.forwards) {
            continue;
        }
        for path in INTERNAL_PATHS {
            let first_404 = on
                .iter()
                .filter(|r| r.answers_404.iter().any(|p| covers(p, path)))
                .min_by_key(|r| r.priority.unwrap_or(u64::MAX));
            let Some(first_404) = first_404 else {
                v.push(violation(
                    RULE,
                    s,
                    listener,
                    &format!(
                        "forwards {path} to the instances; add a ListenerRule with a path-pattern condition for it and a fixed-response 404 action"
                    ),
                ));
                continue;
            };
            let before = first_404.priority.unwrap_or(u64::MAX);
            for forward in on
                .iter()
                .filter(|r| r.forwards && r.priority.unwrap_or(0) <= before)
            {
                v.push(violation(
                    RULE,
                    s,
                    forward.id,
                    &format!(
                        "forwards before {} answers {path} with a 404; give it a higher priority number",
                        first_404.id
                    ),
                ));
            }
        }
    }
}

/// Whether a list of actions forwards to targets.
fn forwards(actions: Option<&Value>) -> bool {
    actions
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|a| a.get("Type").and_then(Value::as_str) == Some("forward"))
}

/// The path patterns a rule answers with a fixed 404: only when it forwards nowhere, has a
/// `fixed-response` 404 action and no condition but one `path-pattern` (any other condition
/// narrows what it answers).
fn answers_404(props: &Value) -> Vec<&str> {
    let actions = props.get("Actions").and_then(Value::as_array);
    let is_404 = actions.into_iter().flatten().any(|a| {
        a.get("Type").and_then(Value::as_str) == Some("fixed-response")
            && a.pointer("/FixedResponseConfig/StatusCode")
                .is_some_and(|c| c == "404" || c == 404)
    });
    let conditions = props
        .get("Conditions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let [condition] = conditions else {
        return vec![];
    };
    if !is_404
        || forwards(props.get("Actions"))
        || condition.get("Field").and_then(Value::as_str) != Some("path-pattern")
    {
        return vec![];
    }
    condition
        .pointer("/PathPatternConfig/Values")
        .or_else(|| condition.get("Values"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}
