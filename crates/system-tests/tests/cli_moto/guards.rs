//! The guardrails on the environment the main test deployed, as far as moto represents them:
//! termination protection on every stack but the application's, stack policies denying the
//! replacement or deletion of the protected resources, the deployer's and the user's tags on
//! every stack, and each security group's outbound rules exactly as stated. moto does not
//! enforce stack policies (the fake CloudFormation does, `crates/deploy/tests/guards_fake.rs`)
//! and never creates standalone `AWS::EC2::SecurityGroupEgress` resources, so the load
//! balancer's rule to the instances is checked on the rendered template (`stacks/tests`).

use serde_json::Value;

use super::{Aws, ENV, stack_name};

/// The user tag the main test's settings file sets (`super::SETTINGS`).
pub(super) const USER_TAG: (&str, &str) = ("cost-center", "4711");

pub(super) async fn guarded_and_tagged(aws: &Aws) {
    for (role, protected) in [
        ("network", vec!["PrivateSubnetA", "PrivateSubnetB"]),
        ("artifacts", vec![]),
        (
            "database-access",
            vec!["DatabaseSecret", "DatabaseSubnetGroup"],
        ),
        ("database", vec!["Database"]),
        ("application", vec![]),
    ] {
        let name = stack_name(role);
        let answer = aws
            .cfn
            .describe_stacks()
            .stack_name(&name)
            .send()
            .await
            .expect("describe stack");
        let stack = &answer.stacks()[0];
        assert_eq!(
            stack.enable_termination_protection(),
            Some(role != "application"),
            "{name}: termination protection on every stack holding state"
        );
        let tag = |key: &str| {
            stack
                .tags()
                .iter()
                .find(|t| t.key() == Some(key))
                .and_then(|t| t.value().map(str::to_owned))
        };
        assert_eq!(
            tag("managed-by").as_deref(),
            Some("techchallenge"),
            "{name}"
        );
        assert_eq!(tag("environment").as_deref(), Some(ENV), "{name}");
        assert_eq!(tag(USER_TAG.0).as_deref(), Some(USER_TAG.1), "{name}");

        let policy = aws
            .cfn
            .get_stack_policy()
            .stack_name(&name)
            .send()
            .await
            .expect("get stack policy");
        let policy: Value = policy
            .stack_policy_body()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        let denied: Vec<String> = policy["Statement"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| {
                s["Effect"] == "Deny"
                    && s["Action"] == serde_json::json!(["Update:Replace", "Update:Delete"])
            })
            .flat_map(|s| s["Resource"].as_array().cloned().unwrap_or_default())
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect();
        let expected: Vec<String> = protected
            .iter()
            .map(|id| format!("LogicalResourceId/{id}"))
            .collect();
        assert_eq!(denied, expected, "{name}: the policy denies exactly these");
        if protected.is_empty() {
            assert_eq!(policy, Value::Null, "{name}: nothing to protect, no policy");
        }
    }

    // Egress: each group states its own, and EC2's default allow-all rule is gone.
    let app = aws.resources("application").await;
    let access = aws.resources("database-access").await;
    for (group, expected) in [
        (&app["LoadBalancerSecurityGroup"], ("-1", "127.0.0.1/32")),
        (&app["InstanceSecurityGroup"], ("tcp", "0.0.0.0/0")),
        (&access["DatabaseSecurityGroup"], ("-1", "127.0.0.1/32")),
        (
            &access["DatabaseClientSecurityGroup"],
            ("-1", "127.0.0.1/32"),
        ),
    ] {
        let answer = aws
            .ec2
            .describe_security_groups()
            .group_ids(group)
            .send()
            .await
            .expect("describe security group");
        let egress: Vec<(String, Vec<String>, Option<i32>)> = answer.security_groups()[0]
            .ip_permissions_egress()
            .iter()
            .map(|p| {
                (
                    p.ip_protocol().unwrap_or_default().to_owned(),
                    p.ip_ranges()
                        .iter()
                        .filter_map(|r| r.cidr_ip().map(str::to_owned))
                        .collect(),
                    p.from_port(),
                )
            })
            .collect();
        assert!(
            !egress
                .iter()
                .any(|(proto, cidrs, _)| proto == "-1" && cidrs.iter().any(|c| c == "0.0.0.0/0")),
            "{group}: EC2's default allow-all egress survived: {egress:?}"
        );
        assert!(
            egress
                .iter()
                .any(|(proto, cidrs, _)| proto == expected.0
                    && cidrs.iter().any(|c| c == expected.1)),
            "{group}: expected {expected:?} in {egress:?}"
        );
    }
}
