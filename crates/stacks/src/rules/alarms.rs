//! `alarms`: what users would notice and what would take the database down is watched, and
//! someone hears of it. Every load balancer has alarms on its own 5xx, its targets' 5xx, its
//! unhealthy targets and its targets' response time; every database instance on its CPU, free
//! storage and connections; and every alarm has an action (the alarm topic).

use serde_json::Value;

use super::{RenderedStack, Violation, resources, violation};

const RULE: &str = "alarms";

/// The traffic metrics every load balancer needs an alarm on, and why.
pub(super) const TRAFFIC: [(&str, &str); 4] = [
    (
        "HTTPCode_ELB_5XX_Count",
        "the load balancer's own 5xx (no healthy target)",
    ),
    (
        "HTTPCode_Target_5XX_Count",
        "the targets' 5xx (their rate, by metric math over RequestCount)",
    ),
    ("UnHealthyHostCount", "targets failing their health checks"),
    ("TargetResponseTime", "the targets' response time (p99)"),
];

/// The metrics every database instance needs an alarm on, and why.
const DATABASE: [(&str, &str); 3] = [
    ("CPUUtilization", "CPU held high"),
    ("FreeStorageSpace", "storage running out"),
    ("DatabaseConnections", "connections nearing max_connections"),
];

/// Namespace of the load balancer's metrics.
pub(super) const ELB_NAMESPACE: &str = "AWS/ApplicationELB";
const RDS_NAMESPACE: &str = "AWS/RDS";

/// The `(namespace, metric name)` pairs an alarm reads: its metric, or every metric of its
/// metric-math queries.
pub(super) fn metrics_of(alarm: &Value) -> Vec<(&str, &str)> {
    let p = alarm.get("Properties").unwrap_or(&Value::Null);
    fn pair(m: &Value) -> Option<(&str, &str)> {
        Some((
            m.get("Namespace")?.as_str()?,
            m.get("MetricName")?.as_str()?,
        ))
    }
    let queries = p.get("Metrics").and_then(Value::as_array);
    pair(p)
        .into_iter()
        .chain(
            queries
                .into_iter()
                .flatten()
                .filter_map(|q| q.pointer("/MetricStat/Metric").and_then(pair)),
        )
        .collect()
}

/// The alarms of a stack.
pub(super) fn alarms(s: &RenderedStack) -> impl Iterator<Item = (&str, &Value)> {
    resources(&s.template)
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::CloudWatch::Alarm"))
}

pub(super) fn check(s: &RenderedStack, v: &mut Vec<Violation>) {
    for (id, r) in resources(&s.template) {
        let (namespace, needed, refers): (_, &[(&str, &str)], _) =
            match r.get("Type").and_then(Value::as_str).unwrap_or_default() {
                "AWS::ElasticLoadBalancingV2::LoadBalancer" => (
                    ELB_NAMESPACE,
                    &TRAFFIC,
                    format!("\"Fn::GetAtt\":[\"{id}\",\"LoadBalancerFullName\"]"),
                ),
                "AWS::RDS::DBInstance" => {
                    (RDS_NAMESPACE, &DATABASE, format!("{{\"Ref\":\"{id}\"}}"))
                }
                _ => continue,
            };
        for (metric, what) in needed {
            let watched = alarms(s).any(|(_, alarm)| {
                metrics_of(alarm).contains(&(namespace, metric))
                    && serde_json::to_string(alarm)
                        .unwrap_or_default()
                        .contains(&refers)
            });
            if !watched {
                v.push(violation(
                    RULE,
                    s,
                    id,
                    &format!(
                        "add a CloudWatch alarm on its {namespace} {metric} ({what}) in the same stack"
                    ),
                ));
            }
        }
    }
    for (id, alarm) in alarms(s) {
        let has_action = alarm
            .pointer("/Properties/AlarmActions")
            .and_then(Value::as_array)
            .is_some_and(|actions| !actions.is_empty());
        if !has_action {
            v.push(violation(
                RULE,
                s,
                id,
                "give it an AlarmActions (the alarm topic, imported from the artifacts stack), or nobody hears when it fires",
            ));
        }
    }
}
