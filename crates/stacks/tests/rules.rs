//! A broken template is refused by the rule it breaks, naming the stack and resource.

mod common;

use common::{default_stacks, rendered, stack_mut};
use serde_json::json;
use techchallenge_stacks::Settings;
use techchallenge_stacks::rules::{self, RenderedStack, Violation};

fn broken(suffix: &str, change: impl FnOnce(&mut serde_json::Value)) -> Vec<Violation> {
    let mut stacks = default_stacks();
    change(stack_mut(&mut stacks, suffix));
    rules::check(&stacks)
}

/// The architecture with HTTPS: 443 forwards, 80 redirects.
fn https_stacks() -> Vec<RenderedStack> {
    let mut settings = Settings::default();
    settings.application.certificate_arn =
        Some("arn:aws:acm:us-east-1:123456789012:certificate/abc".into());
    rendered(&settings)
}

/// Asserts the rule's violation on exactly that stack and resource.
fn assert_violation(violations: &[Violation], rule: &str, stack: &str, resource: &str) {
    assert!(
        violations
            .iter()
            .any(|v| v.rule == rule && v.stack == stack && v.resource == resource),
        "expected [{rule}] on {stack}/{resource}, got {violations:#?}"
    );
}

fn assert_refused(violations: &[Violation], rule: &str, resource: &str) {
    assert!(
        violations
            .iter()
            .any(|v| v.rule == rule && v.resource == resource),
        "expected [{rule}] on {resource}, got {violations:#?}"
    );
}

#[test]
fn app_port_open_to_the_world_is_refused() {
    let v = broken("-application", |t| {
        t["Resources"]["InstanceSecurityGroup"]["Properties"]["SecurityGroupIngress"] = json!([{"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000, "CidrIp": "0.0.0.0/0", "Description": "oops"}]);
    });
    assert_refused(&v, "world-ingress", "InstanceSecurityGroup");
    assert_refused(&v, "app-port-from-alb", "InstanceSecurityGroup");
    let text = v
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("[world-ingress] techchallenge-dev-application/InstanceSecurityGroup: admits tcp port 3000 from anywhere"), "{text}");
}

#[test]
fn ssh_from_anywhere_is_refused_even_on_the_load_balancer() {
    let v = broken("-application", |t| {
        let ssh = json!({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0", "Description": "ssh"});
        if let Some(rules) =
            t["Resources"]["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"]
                .as_array_mut()
        {
            rules.push(ssh);
        }
    });
    assert_refused(&v, "world-ingress", "LoadBalancerSecurityGroup");
}

#[test]
fn database_open_to_the_vpc_is_refused() {
    let v = broken("-database-access", |t| {
        t["Resources"]["DatabaseIngressFromClients"]["Properties"] = json!({
            "GroupId": {"Fn::GetAtt": ["DatabaseSecurityGroup", "GroupId"]},
            "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "10.0.0.0/16",
            "Description": "whole VPC"
        });
    });
    assert_refused(&v, "db-port-from-instances", "DatabaseIngressFromClients");
}

#[test]
fn instance_port_from_the_database_group_is_refused() {
    let v = broken("-application", |t| {
        t["Resources"]["InstanceIngressFromLoadBalancer"]["Properties"]["SourceSecurityGroupId"] =
            json!({"Fn::ImportValue": "techchallenge-dev-database-DatabaseClientSecurityGroup"});
    });
    assert_refused(&v, "app-port-from-alb", "InstanceIngressFromLoadBalancer");
}

#[test]
fn rules_without_descriptions_are_refused() {
    let v = broken("-application", |t| {
        t["Resources"]["InstanceIngressFromLoadBalancer"]["Properties"]["Description"] = json!("");
    });
    assert_refused(&v, "rule-description", "InstanceIngressFromLoadBalancer");
}

#[test]
fn a_public_or_unprotected_database_is_refused() {
    let v = broken("-database", |t| {
        let db = &mut t["Resources"]["Database"];
        db["Properties"]["PubliclyAccessible"] = json!(true);
        db["Properties"]["StorageEncrypted"] = json!(false);
        db["Properties"]["MultiAZ"] = json!(false);
        db["Properties"]["BackupRetentionPeriod"] = json!(0);
        db["Properties"]["DeletionProtection"] = json!(false);
        db["DeletionPolicy"] = json!("Delete");
    });
    let on_db: Vec<_> = v
        .iter()
        .filter(|x| x.rule == "database-private" && x.resource == "Database")
        .collect();
    assert_eq!(on_db.len(), 6, "{on_db:#?}");
}

#[test]
fn a_plain_text_password_is_refused() {
    let v = broken("-database", |t| {
        t["Resources"]["Database"]["Properties"]["MasterUserPassword"] = json!("hunter2hunter2");
    });
    assert_refused(&v, "no-plaintext-secret", "Database");
    let v = broken("-database", |t| {
        t["Resources"]["Database"]["Properties"]["MasterUserPassword"] =
            json!({"Ref": "DeletionProtection"});
    });
    assert_refused(&v, "no-plaintext-secret", "Database");
}

#[test]
fn an_import_nobody_exports_is_refused() {
    let v = broken("-application", |t| {
        t["Resources"]["TargetGroup"]["Properties"]["VpcId"] =
            json!({"Fn::ImportValue": "techchallenge-dev-network-VpcIdd"});
    });
    assert_refused(&v, "imports-exported", "TargetGroup");
}

#[test]
fn a_duplicated_export_is_refused() {
    let v = broken("-database", |t| {
        t["Outputs"]["Copy"] =
            json!({"Value": "x", "Export": {"Name": "techchallenge-dev-network-VpcId"}});
    });
    assert_refused(&v, "unique-exports", "Copy");
}

#[test]
fn imdsv1_is_refused() {
    let v = broken("-application", |t| {
        t["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"] =
            json!("optional");
    });
    assert_refused(&v, "imdsv2", "LaunchTemplate");
}

#[test]
fn a_missing_world_listener_rule_is_reported() {
    let v = broken("-application", |t| {
        t["Resources"]["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"] =
            json!([]);
    });
    assert!(
        v.iter()
            .any(|x| x.rule == "world-ingress" && x.resource == "(missing)"),
        "{v:#?}"
    );
}

#[test]
fn a_dangling_reference_in_a_rendered_template_is_refused() {
    let mut stacks = default_stacks();
    stack_mut(&mut stacks, "-network")["Resources"]["PublicDefaultRoute"]["Properties"]["GatewayId"] =
        json!({"Ref": "InternetGatewayy"});
    let err = cfn_template::check_references(&stacks[0].template)
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "resource PublicDefaultRoute refers to InternetGatewayy, which is not a parameter or resource of this template"
        )
    );
}

#[test]
fn the_unbroken_architecture_breaks_no_rule_with_or_without_https() {
    for stacks in [default_stacks(), https_stacks()] {
        let v = rules::check(&stacks);
        assert!(v.is_empty(), "{v:#?}");
    }
}

#[test]
fn a_group_without_inline_egress_is_refused() {
    // An empty list leaves EC2's default allow-all egress, even beside a separate egress rule.
    let v = broken("-application", |t| {
        t["Resources"]["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupEgress"] =
            json!([]);
    });
    assert_violation(
        &v,
        "explicit-egress",
        "techchallenge-dev-application",
        "LoadBalancerSecurityGroup",
    );
    let v = broken("-database-access", |t| {
        if let Some(props) =
            t["Resources"]["DatabaseClientSecurityGroup"]["Properties"].as_object_mut()
        {
            props.remove("SecurityGroupEgress");
        }
    });
    assert_violation(
        &v,
        "explicit-egress",
        "techchallenge-dev-database-access",
        "DatabaseClientSecurityGroup",
    );
}

#[test]
fn all_traffic_to_the_world_is_refused_inline_or_separate() {
    let v = broken("-database-access", |t| {
        t["Resources"]["DatabaseSecurityGroup"]["Properties"]["SecurityGroupEgress"] = json!([
            {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0", "Description": "everything"}
        ]);
    });
    assert_violation(
        &v,
        "explicit-egress",
        "techchallenge-dev-database-access",
        "DatabaseSecurityGroup",
    );
    let v = broken("-application", |t| {
        t["Resources"]["LoadBalancerEgressToInstances"]["Properties"] = json!({
            "GroupId": {"Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"]},
            "IpProtocol": "-1", "CidrIpv6": "::/0", "Description": "everything"
        });
    });
    assert_violation(
        &v,
        "explicit-egress",
        "techchallenge-dev-application",
        "LoadBalancerEgressToInstances",
    );
}

#[test]
fn egress_rules_without_descriptions_are_refused() {
    let v = broken("-application", |t| {
        t["Resources"]["InstanceSecurityGroup"]["Properties"]["SecurityGroupEgress"][0]["Description"] =
            json!(" ");
    });
    assert_violation(
        &v,
        "rule-description",
        "techchallenge-dev-application",
        "InstanceSecurityGroup",
    );
}

#[test]
fn the_managed_ssm_policy_is_refused() {
    let v = broken("-application", |t| {
        t["Resources"]["InstanceRole"]["Properties"]["ManagedPolicyArns"] = json!([
            {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"}
        ]);
    });
    assert_violation(
        &v,
        "no-managed-ssm-policy",
        "techchallenge-dev-application",
        "InstanceRole",
    );
}

#[test]
fn reading_every_parameter_is_refused() {
    for action in [json!("ssm:GetParameter*"), json!(["s3:GetObject", "ssm:*"])] {
        let v = broken("-application", |t| {
            if let Some(statements) = t["Resources"]["InstanceRole"]["Properties"]["Policies"][0]
                ["PolicyDocument"]["Statement"]
                .as_array_mut()
            {
                statements.push(json!({"Effect": "Allow", "Action": action, "Resource": "*"}));
            }
        });
        assert_violation(
            &v,
            "no-managed-ssm-policy",
            "techchallenge-dev-application",
            "InstanceRole",
        );
    }
}

#[test]
fn a_forwarding_listener_without_the_404_rule_is_refused() {
    let v = broken("-application", |t| {
        if let Some(resources) = t["Resources"].as_object_mut() {
            resources.remove("HttpInternalPathsRule");
        }
    });
    assert_violation(
        &v,
        "debug-routes-not-routed",
        "techchallenge-dev-application",
        "HttpListener",
    );
    // With HTTPS, 443 forwards and must keep its rule; 80 only redirects and need not.
    let mut stacks = https_stacks();
    let app = stack_mut(&mut stacks, "-application");
    if let Some(resources) = app["Resources"].as_object_mut() {
        resources.remove("HttpsInternalPathsRule");
        resources.remove("HttpInternalPathsRule");
    }
    let v = rules::check(&stacks);
    assert_violation(
        &v,
        "debug-routes-not-routed",
        "techchallenge-dev-application",
        "HttpsListener",
    );
    assert!(
        !v.iter().any(|x| x.resource == "HttpListener"),
        "a redirecting listener is fine: {v:#?}"
    );
}

#[test]
fn a_404_rule_that_misses_a_path_or_comes_after_a_forward_is_refused() {
    let v = broken("-application", |t| {
        t["Resources"]["HttpInternalPathsRule"]["Properties"]["Conditions"][0]["PathPatternConfig"]
            ["Values"] = json!(["/debug", "/debug/*", "/metrics"]);
    });
    assert_violation(
        &v,
        "debug-routes-not-routed",
        "techchallenge-dev-application",
        "HttpListener",
    );
    let v = broken("-application", |t| {
        t["Resources"]["HttpInternalPathsRule"]["Properties"]["Priority"] = json!(20);
        t["Resources"]["EarlyForward"] = json!({
            "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "Properties": {
                "ListenerArn": {"Ref": "HttpListener"},
                "Priority": 10,
                "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
                "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}]
            }
        });
    });
    assert_violation(
        &v,
        "debug-routes-not-routed",
        "techchallenge-dev-application",
        "EarlyForward",
    );
}

/// The default stacks with `change` applied to the named stack's guards.
fn with_guards(suffix: &str, change: impl FnOnce(&mut rules::StackGuards)) -> Vec<Violation> {
    let mut stacks = default_stacks();
    let stack = stacks
        .iter_mut()
        .find(|s| s.name.ends_with(suffix))
        .expect("stack");
    change(
        stack
            .guards
            .as_mut()
            .expect("rendered stacks carry their guards"),
    );
    rules::check(&stacks)
}

#[test]
fn a_stateful_stack_without_termination_protection_is_refused() {
    for suffix in ["-network", "-artifacts", "-database-access", "-database"] {
        let v = with_guards(suffix, |g| g.termination_protection = false);
        assert!(
            v.iter()
                .any(|v| v.rule == "stack-protection" && v.stack.ends_with(suffix)),
            "{suffix}: {v:#?}"
        );
    }
    // The application holds no state: it needs no protection.
    assert!(with_guards("-application", |g| g.termination_protection = false).is_empty());
}

#[test]
fn an_unprotected_database_secret_or_subnet_group_is_refused() {
    let v = with_guards("-database", |g| g.protected.clear());
    assert_violation(
        &v,
        "stack-protection",
        "techchallenge-dev-database",
        "Database",
    );
    let v = with_guards("-database-access", |g| {
        g.protected.retain(|p| p != "DatabaseSecret")
    });
    assert_refused(&v, "stack-protection", "DatabaseSecret");
}

#[test]
fn templates_read_from_disk_skip_the_stack_settings_rule() {
    let mut stacks = default_stacks();
    for s in &mut stacks {
        s.guards = None;
    }
    assert!(rules::check(&stacks).is_empty());
}

/// Every violation is of `rule`: the change broke that guardrail and no other.
fn only(violations: &[Violation], rule: &str) {
    assert!(
        !violations.is_empty() && violations.iter().all(|v| v.rule == rule),
        "expected only [{rule}], got {violations:#?}"
    );
}

#[test]
fn a_missing_traffic_or_database_alarm_is_refused() {
    // The unhealthy-hosts alarm now watches another metric: still a traffic alarm (and still a
    // rollback trigger), but nothing watches unhealthy targets.
    let v = broken("-application", |t| {
        t["Resources"]["UnhealthyHostsAlarm"]["Properties"]["MetricName"] =
            json!("HealthyHostCount");
    });
    only(&v, "alarms");
    assert_violation(
        &v,
        "alarms",
        "techchallenge-dev-application",
        "LoadBalancer",
    );
    assert!(v[0].message.contains("UnHealthyHostCount"), "{v:#?}");

    let v = broken("-database", |t| {
        if let Some(resources) = t["Resources"].as_object_mut() {
            resources.remove("DatabaseStorageAlarm");
        }
    });
    only(&v, "alarms");
    assert_violation(&v, "alarms", "techchallenge-dev-database", "Database");
    assert!(v[0].message.contains("FreeStorageSpace"), "{v:#?}");
}

#[test]
fn an_alarm_without_an_action_is_refused() {
    let v = broken("-database", |t| {
        t["Resources"]["DatabaseCpuAlarm"]["Properties"]["AlarmActions"] = json!([]);
    });
    only(&v, "alarms");
    assert_violation(
        &v,
        "alarms",
        "techchallenge-dev-database",
        "DatabaseCpuAlarm",
    );
}

#[test]
fn a_traffic_alarm_that_is_no_rollback_trigger_is_refused() {
    let v = with_guards("-application", |g| {
        g.rollback_alarm_outputs
            .retain(|o| o != "ResponseTimeP99AlarmArn")
    });
    only(&v, "rollback-triggers");
    assert_violation(
        &v,
        "rollback-triggers",
        "techchallenge-dev-application",
        "ResponseTimeP99Alarm",
    );
    // A listed output that holds no alarm's ARN, and more triggers than CloudFormation takes.
    let v = with_guards("-application", |g| {
        g.rollback_alarm_outputs.push("Url".into());
        g.rollback_alarm_outputs.push("AppLogGroup".into());
    });
    only(&v, "rollback-triggers");
    assert_violation(
        &v,
        "rollback-triggers",
        "techchallenge-dev-application",
        "Url",
    );
    assert!(
        v.iter()
            .any(|x| x.resource == "AppLogGroup" && x.message.contains("at most 5")),
        "{v:#?}"
    );
}

#[test]
fn a_load_balancer_without_access_logs_is_refused() {
    for (key, value) in [
        ("access_logs.s3.enabled", json!("false")),
        ("access_logs.s3.bucket", json!("")),
    ] {
        let v = broken("-application", |t| {
            if let Some(attributes) =
                t["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"]
                    .as_array_mut()
            {
                for a in attributes.iter_mut().filter(|a| a["Key"] == key) {
                    a["Value"] = value.clone();
                }
            }
        });
        only(&v, "access-logs");
        assert_violation(
            &v,
            "access-logs",
            "techchallenge-dev-application",
            "LoadBalancer",
        );
    }
}
