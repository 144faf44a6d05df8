//! `explicit-egress`: every security group says inline what it may reach. CloudFormation keeps
//! EC2's default allow-all egress rule on a group whose template states no inline egress rule
//! (an empty `SecurityGroupEgress` counts as none, and separate `AWS::EC2::SecurityGroupEgress`
//! resources do not remove it), so a group without one can reach anything; and no rule, inline
//! or separate, may allow all traffic to the whole internet.

use serde_json::Value;

use super::groups::{Direction, GroupRule};
use super::{RenderedStack, Violation, resources, violation};

const RULE: &str = "explicit-egress";

/// Every group of the stack has a non-empty inline `SecurityGroupEgress`.
pub(super) fn check_inline(s: &RenderedStack, v: &mut Vec<Violation>) {
    for (id, r) in resources(&s.template) {
        if r.get("Type").and_then(Value::as_str) != Some("AWS::EC2::SecurityGroup") {
            continue;
        }
        let stated = r
            .pointer("/Properties/SecurityGroupEgress")
            .and_then(Value::as_array)
            .is_some_and(|rules| !rules.is_empty());
        if !stated {
            v.push(violation(
                RULE,
                s,
                id,
                "state the group's egress in SecurityGroupEgress: without an inline rule EC2's default allows all outbound traffic (separate SecurityGroupEgress resources do not remove it); a group that reaches nothing of its own states IpProtocol -1 to 127.0.0.1/32",
            ));
        }
    }
}

/// No egress rule allows all protocols to `0.0.0.0/0` or `::/0`.
pub(super) fn check_rules(rules: &[GroupRule], v: &mut Vec<Violation>) {
    for rule in rules {
        if rule.direction == Direction::Egress && rule.is_all_traffic() && rule.is_world() {
            v.push(rule.violation(
                RULE,
                &format!(
                    "allows all outbound traffic to {}; state the ports and destinations the group needs",
                    rule.peer_text()
                ),
            ));
        }
    }
}
