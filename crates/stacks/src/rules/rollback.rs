//! `rollback-triggers`: an application update that breaks traffic is rolled back by
//! CloudFormation itself. Every alarm on the load balancer's metrics has its ARN in an output
//! that the stack's definition lists in `rollback_alarm_outputs` (the deployer reads those
//! outputs from the deployed stack and passes them as rollback triggers); every listed output
//! holds an alarm's ARN; and there are at most five, CloudFormation's limit. Checked only where
//! the stack's settings are known: templates read back from a directory carry none.

use serde_json::{Value, json};

use super::alarms::{ELB_NAMESPACE, alarms, metrics_of};
use super::{RenderedStack, Violation, violation};

const RULE: &str = "rollback-triggers";
/// The most rollback triggers CloudFormation accepts for one stack operation.
const MAX_TRIGGERS: usize = 5;

pub(super) fn check(s: &RenderedStack, v: &mut Vec<Violation>) {
    let Some(guards) = &s.guards else {
        return;
    };
    let outputs = s.template.get("Outputs").and_then(Value::as_object);
    let output_value = |key: &str| {
        outputs
            .and_then(|o| o.get(key))
            .and_then(|o| o.get("Value"))
    };
    for (id, alarm) in alarms(s) {
        if !metrics_of(alarm).iter().any(|(ns, _)| *ns == ELB_NAMESPACE) {
            continue;
        }
        let arn = json!({"Fn::GetAtt": [id, "Arn"]});
        let watched = guards
            .rollback_alarm_outputs
            .iter()
            .any(|key| output_value(key) == Some(&arn));
        if !watched {
            v.push(violation(
                RULE,
                s,
                id,
                "a traffic alarm: output its ARN (Fn::GetAtt Arn) and list the output in StackDefinition::rollback_alarm_outputs (architecture.rs), so that CloudFormation rolls back an update that fires it",
            ));
        }
    }
    let alarm_ids: Vec<&str> = alarms(s).map(|(id, _)| id).collect();
    for key in &guards.rollback_alarm_outputs {
        let is_alarm_arn = output_value(key)
            .and_then(|value| value.get("Fn::GetAtt"))
            .and_then(Value::as_array)
            .is_some_and(|att| {
                att.get(1).and_then(Value::as_str) == Some("Arn")
                    && att
                        .first()
                        .and_then(Value::as_str)
                        .is_some_and(|target| alarm_ids.contains(&target))
            });
        if !is_alarm_arn {
            v.push(violation(
                RULE,
                s,
                key,
                "listed in rollback_alarm_outputs, but the stack has no such output holding an alarm's ARN",
            ));
        }
    }
    if let Some(extra) = guards.rollback_alarm_outputs.get(MAX_TRIGGERS) {
        v.push(violation(
            RULE,
            s,
            extra,
            &format!(
                "{} rollback triggers listed; CloudFormation accepts at most {MAX_TRIGGERS}",
                guards.rollback_alarm_outputs.len()
            ),
        ));
    }
}
