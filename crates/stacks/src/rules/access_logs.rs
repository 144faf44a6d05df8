//! `access-logs`: every load balancer writes access logs to a bucket
//! (`access_logs.s3.enabled` = `true` and `access_logs.s3.bucket` set), so there is a record
//! of who asked what when a request needs explaining.

use serde_json::Value;

use super::{RenderedStack, Violation, resources, violation};

const RULE: &str = "access-logs";

pub(super) fn check(s: &RenderedStack, v: &mut Vec<Violation>) {
    for (id, r) in resources(&s.template) {
        if r.get("Type").and_then(Value::as_str)
            != Some("AWS::ElasticLoadBalancingV2::LoadBalancer")
        {
            continue;
        }
        let attributes = r
            .pointer("/Properties/LoadBalancerAttributes")
            .and_then(Value::as_array);
        let value = |key: &str| {
            attributes
                .into_iter()
                .flatten()
                .find(|a| a.get("Key").and_then(Value::as_str) == Some(key))
                .and_then(|a| a.get("Value"))
        };
        let enabled =
            value("access_logs.s3.enabled").is_some_and(|x| x == &Value::Bool(true) || x == "true");
        let bucket = value("access_logs.s3.bucket").is_some_and(|b| match b {
            Value::String(name) => !name.trim().is_empty(),
            Value::Null => false,
            _ => true,
        });
        if !(enabled && bucket) {
            v.push(violation(
                RULE,
                s,
                id,
                "write access logs: set access_logs.s3.enabled to \"true\" and access_logs.s3.bucket to the artifacts stack's access-log bucket",
            ));
        }
    }
}
