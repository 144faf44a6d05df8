//! `techchallenge destroy all` against the environment the main test deployed and updated on
//! moto: the command succeeds, quickly and without one request answered HTTP 5xx (which the SDK
//! would retry for seconds), and then nothing of the environment is left but the final snapshot
//! RDS keeps of the database. Before it, the launcher's termination protection and stack policies
//! are checked through the SDK, as AWS behaves (scripts/lib/moto_server.py, patches 6 and 7).
//!
//! To extend: [`termination_protection`] leaves each stack's protection as it found it, so once
//! the deployer enables protection itself, `destroy all` below must lift it, and the checks
//! after it prove that it did.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_ec2::types::Filter;
use serde_json::json;
use techchallenge_system_tests::moto;

use super::{Aws, ENV, ok, stack_name, techchallenge};

const ROLES: [&str; 5] = [
    "network",
    "artifacts",
    "database-access",
    "database",
    "application",
];

/// A generous bound: on moto the whole destroy takes about a second; one HTTP 500 retried by
/// the SDK alone costs several.
const DESTROY_LIMIT: Duration = Duration::from_secs(30);

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// What the environment is made of, noted before the destroy so that its absence can be checked
/// after it by identity, not only by tag.
struct Environment {
    vpc: String,
    subnets: Vec<String>,
    security_groups: Vec<String>,
    load_balancer: String,
    target_group: String,
    group: String,
    launch_template: String,
    instances: Vec<String>,
    interfaces: Vec<String>,
    secret: String,
    database: String,
    bucket: String,
    roles: Vec<String>,
    instance_profile: String,
}

impl Environment {
    async fn read(aws: &Aws) -> Self {
        let net = aws.resources("network").await;
        let access = aws.resources("database-access").await;
        let db = aws.resources("database").await;
        let app = aws.resources("application").await;
        let artifacts = aws.resources("artifacts").await;
        let vpc = net["Vpc"].clone();
        let group = app["AppGroup"].clone();
        let instances = aws
            .ec2
            .describe_instances()
            .filters(filter("tag:aws:autoscaling:groupName", &group))
            .send()
            .await
            .expect("the group's instances")
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect();
        let interfaces = aws
            .ec2
            .describe_network_interfaces()
            .filters(filter("vpc-id", &vpc))
            .send()
            .await
            .expect("the VPC's network interfaces")
            .network_interfaces()
            .iter()
            .filter_map(|i| i.network_interface_id().map(str::to_owned))
            .collect();
        Self {
            subnets: [
                "PublicSubnetA",
                "PublicSubnetB",
                "PrivateSubnetA",
                "PrivateSubnetB",
            ]
            .map(|id| net[id].clone())
            .into(),
            security_groups: vec![
                access["DatabaseSecurityGroup"].clone(),
                access["DatabaseClientSecurityGroup"].clone(),
                app["LoadBalancerSecurityGroup"].clone(),
                app["InstanceSecurityGroup"].clone(),
            ],
            load_balancer: app["LoadBalancer"].clone(),
            target_group: app["TargetGroup"].clone(),
            launch_template: app["LaunchTemplate"].clone(),
            secret: access["DatabaseSecret"].clone(),
            database: db["Database"].clone(),
            bucket: artifacts["ArtifactBucket"].clone(),
            roles: vec![
                app["InstanceRole"].clone(),
                access["DatabaseMonitoringRole"].clone(),
            ],
            instance_profile: app["InstanceProfile"].clone(),
            vpc,
            group,
            instances,
            interfaces,
        }
    }
}

/// Destroys everything the main test deployed and checks that nothing is left.
pub(super) async fn destroys_everything(aws: &Aws, url: &str) {
    let before = Environment::read(aws).await;
    assert!(
        !before.instances.is_empty() && !before.interfaces.is_empty(),
        "the checks below would prove nothing: no instance or network interface to delete"
    );
    termination_protection(aws).await;
    policy_and_protection_at_create(aws).await;

    let errors_before = moto::server_errors(url);
    if !errors_before.is_empty() {
        eprintln!("HTTP 5xx answered before the destroy: {errors_before:#?}");
    }
    moto::start_recording(url);
    let started = Instant::now();
    let out = techchallenge(url, &["destroy", "all", "--yes"]);
    let took = started.elapsed();
    let calls = moto::stop_recording(url);
    let mut errors = moto::server_errors(url);
    let errors = errors.split_off(errors_before.len().min(errors.len()));
    let mut per_call: BTreeMap<&str, usize> = BTreeMap::new();
    for call in &calls {
        *per_call.entry(call.as_str()).or_default() += 1;
    }
    eprintln!(
        "destroy all: {took:.2?}, {} requests: {per_call:#?}",
        calls.len()
    );
    let out = ok(&out);
    assert!(
        errors.is_empty(),
        "moto answered HTTP 5xx during the destroy (the SDK retries those): {errors:#?}"
    );
    assert!(took < DESTROY_LIMIT, "destroy all took {took:?}");
    for role in ROLES {
        let stack = stack_name(role);
        assert!(
            out.contains(&format!("{stack}: deleted in")),
            "{role}: {out}"
        );
        let deletes = calls
            .iter()
            .filter(|c| **c == format!("DeleteStack {stack}"))
            .count();
        assert_eq!(deletes, 1, "{stack} deleted once: {calls:#?}");
    }

    nothing_left(aws, &before).await;
}

/// The launcher's termination protection on a deployed stack, through the SDK: switched on,
/// reported by DescribeStacks, DeleteStack refused with AWS's error and the stack untouched,
/// then put back as it was.
async fn termination_protection(aws: &Aws) {
    let network = stack_name("network");
    let protected = |on: bool| {
        aws.cfn
            .update_termination_protection()
            .stack_name(&network)
            .enable_termination_protection(on)
            .send()
    };
    let describe = || async {
        aws.cfn
            .describe_stacks()
            .stack_name(&network)
            .send()
            .await
            .expect("describe the network stack")
            .stacks()[0]
            .clone()
    };
    let found = describe().await;
    let was = found.enable_termination_protection().unwrap_or(false);

    let answer = protected(true).await.expect("UpdateTerminationProtection");
    assert_eq!(answer.stack_id(), found.stack_id());
    assert_eq!(describe().await.enable_termination_protection(), Some(true));
    let refused = aws
        .cfn
        .delete_stack()
        .stack_name(&network)
        .send()
        .await
        .expect_err("a protected stack cannot be deleted");
    assert_eq!(refused.code(), Some("ValidationError"), "{refused:?}");
    assert_eq!(
        refused.message(),
        Some(
            format!("Stack [{network}] cannot be deleted while TerminationProtection is enabled")
                .as_str()
        )
    );
    assert_eq!(describe().await.stack_status(), found.stack_status());

    protected(was).await.expect("UpdateTerminationProtection");
    assert_eq!(describe().await.enable_termination_protection(), Some(was));
}

/// CreateStack's EnableTerminationProtection and StackPolicyBody, and SetStackPolicy, on a
/// stack of its own (outside the environment): each reads back as written.
async fn policy_and_protection_at_create(aws: &Aws) {
    let probe = moto::run_prefix("destroy-probe");
    let policy = |effect: &str| {
        json!({"Statement": [{
            "Effect": effect, "Action": "Update:*", "Principal": "*", "Resource": "*"
        }]})
    };
    let template =
        json!({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}});
    aws.cfn
        .create_stack()
        .stack_name(&probe)
        .template_body(template.to_string())
        .enable_termination_protection(true)
        .stack_policy_body(policy("Deny").to_string())
        .send()
        .await
        .expect("create the probe stack");
    let read_policy = || async {
        let answer = aws
            .cfn
            .get_stack_policy()
            .stack_name(&probe)
            .send()
            .await
            .expect("GetStackPolicy");
        serde_json::from_str::<serde_json::Value>(answer.stack_policy_body().unwrap_or("null"))
            .expect("policy json")
    };
    assert_eq!(read_policy().await, policy("Deny"));
    aws.cfn
        .set_stack_policy()
        .stack_name(&probe)
        .stack_policy_body(policy("Allow").to_string())
        .send()
        .await
        .expect("SetStackPolicy");
    assert_eq!(read_policy().await, policy("Allow"));

    let described = aws
        .cfn
        .describe_stacks()
        .stack_name(&probe)
        .send()
        .await
        .expect("describe the probe");
    assert_eq!(
        described.stacks()[0].enable_termination_protection(),
        Some(true)
    );
    let refused = aws.cfn.delete_stack().stack_name(&probe).send().await;
    assert_eq!(
        refused.expect_err("protected").code(),
        Some("ValidationError")
    );
    aws.cfn
        .update_termination_protection()
        .stack_name(&probe)
        .enable_termination_protection(false)
        .send()
        .await
        .expect("lift the protection");
    aws.cfn
        .delete_stack()
        .stack_name(&probe)
        .send()
        .await
        .expect("delete the probe");
    let gone = aws.cfn.describe_stacks().stack_name(&probe).send().await;
    assert!(gone.is_err(), "the probe is deleted: {gone:?}");
}

/// No stack, network, load balancer, group, instance, secret, database, bucket, role or log
/// group of the environment is left; RDS keeps the database's final snapshot.
async fn nothing_left(aws: &Aws, before: &Environment) {
    // Stacks: only DELETE_COMPLETE ones, and each of the five among them.
    let mut summaries = Vec::new();
    let mut next = None;
    loop {
        let page = aws
            .cfn
            .list_stacks()
            .set_next_token(next)
            .send()
            .await
            .expect("list stacks");
        summaries.extend(page.stack_summaries().iter().filter_map(|s| {
            let name = s.stack_name()?;
            name.starts_with(&format!("techchallenge-{ENV}-"))
                .then(|| (name.to_owned(), s.stack_status().cloned()))
        }));
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    assert!(
        summaries
            .iter()
            .all(|(_, status)| *status == Some(StackStatus::DeleteComplete)),
        "{summaries:?}"
    );
    let deleted: BTreeSet<&str> = summaries.iter().map(|(n, _)| n.as_str()).collect();
    for role in ROLES {
        assert!(deleted.contains(stack_name(role).as_str()), "{summaries:?}");
    }
    let exports = aws.cfn.list_exports().send().await.expect("exports");
    let exports: Vec<_> = exports
        .exports()
        .iter()
        .filter_map(|e| e.name())
        .filter(|n| n.starts_with(&format!("techchallenge-{ENV}-")))
        .collect();
    assert!(exports.is_empty(), "{exports:?}");

    // The network: nothing tagged for the environment, nothing left in the VPC.
    let ec2 = &aws.ec2;
    let tagged = filter("tag:environment", ENV);
    let vpcs = ec2
        .describe_vpcs()
        .filters(tagged.clone())
        .send()
        .await
        .expect("vpcs");
    assert!(vpcs.vpcs().is_empty(), "{:?}", vpcs.vpcs());
    let subnets = ec2
        .describe_subnets()
        .filters(filter("vpc-id", &before.vpc))
        .send()
        .await
        .expect("subnets");
    let tagged_subnets = ec2
        .describe_subnets()
        .filters(tagged.clone())
        .send()
        .await
        .expect("tagged subnets");
    let left: Vec<_> = subnets
        .subnets()
        .iter()
        .chain(tagged_subnets.subnets())
        .filter_map(|s| s.subnet_id())
        .collect();
    assert!(left.is_empty(), "subnets left: {left:?}");
    let all_subnets = ec2.describe_subnets().send().await.expect("all subnets");
    assert!(
        !all_subnets
            .subnets()
            .iter()
            .any(|s| before.subnets.iter().any(|id| s.subnet_id() == Some(id))),
        "{:?}",
        before.subnets
    );
    let groups = ec2
        .describe_security_groups()
        .filters(filter("vpc-id", &before.vpc))
        .send()
        .await
        .expect("security groups");
    let tagged_groups = ec2
        .describe_security_groups()
        .filters(tagged.clone())
        .send()
        .await
        .expect("tagged security groups");
    let all_groups = ec2
        .describe_security_groups()
        .send()
        .await
        .expect("all security groups");
    let left: Vec<_> = groups
        .security_groups()
        .iter()
        .chain(tagged_groups.security_groups())
        .chain(all_groups.security_groups().iter().filter(|g| {
            before
                .security_groups
                .iter()
                .any(|id| g.group_id() == Some(id))
        }))
        .filter_map(|g| g.group_id())
        .collect();
    assert!(left.is_empty(), "security groups left: {left:?}");
    let interfaces = ec2
        .describe_network_interfaces()
        .filters(filter("vpc-id", &before.vpc))
        .send()
        .await
        .expect("network interfaces");
    assert!(
        interfaces.network_interfaces().is_empty(),
        "network interfaces left (of {:?}): {:?}",
        before.interfaces,
        interfaces.network_interfaces()
    );
    let tables = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", &before.vpc))
        .send()
        .await
        .expect("route tables");
    assert!(
        tables.route_tables().is_empty(),
        "{:?}",
        tables.route_tables()
    );
    let gateways = ec2
        .describe_internet_gateways()
        .filters(tagged.clone())
        .send()
        .await
        .expect("internet gateways");
    assert!(
        gateways.internet_gateways().is_empty(),
        "{:?}",
        gateways.internet_gateways()
    );

    // The application: load balancer, target group, group, launch template, instances.
    let balancers = aws
        .elb
        .describe_load_balancers()
        .send()
        .await
        .expect("load balancers");
    assert!(
        !balancers
            .load_balancers()
            .iter()
            .any(|b| b.load_balancer_arn() == Some(&before.load_balancer)),
        "{:?}",
        balancers.load_balancers()
    );
    let target_groups = aws
        .elb
        .describe_target_groups()
        .send()
        .await
        .expect("target groups");
    assert!(
        !target_groups
            .target_groups()
            .iter()
            .any(|t| t.target_group_arn() == Some(&before.target_group)),
        "{:?}",
        target_groups.target_groups()
    );
    let groups = aws
        .asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&before.group)
        .send()
        .await
        .expect("auto scaling groups");
    assert!(
        groups.auto_scaling_groups().is_empty(),
        "{:?}",
        groups.auto_scaling_groups()
    );
    let templates = ec2
        .describe_launch_templates()
        .send()
        .await
        .expect("launch templates");
    assert!(
        !templates
            .launch_templates()
            .iter()
            .any(|t| t.launch_template_id() == Some(&before.launch_template)),
        "{:?}",
        templates.launch_templates()
    );
    // EC2 lists terminated instances for a while: each must be terminated.
    let instances = ec2
        .describe_instances()
        .set_instance_ids(Some(before.instances.clone()))
        .send()
        .await
        .expect("instances");
    let states: BTreeMap<String, String> = instances
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .map(|i| {
            (
                i.instance_id().unwrap_or_default().to_owned(),
                i.state()
                    .and_then(|s| s.name())
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        states.len() == before.instances.len() && states.values().all(|s| s == "terminated"),
        "{states:?}"
    );

    // The database's secret, instance and subnet group; its final snapshot stays.
    let secrets = aws
        .secrets
        .list_secrets()
        .include_planned_deletion(true)
        .send()
        .await
        .expect("secrets");
    assert!(
        !secrets
            .secret_list()
            .iter()
            .any(|s| s.arn() == Some(&before.secret)),
        "deleted without recovery window: {:?}",
        secrets.secret_list()
    );
    let databases = aws
        .rds
        .describe_db_instances()
        .send()
        .await
        .expect("db instances");
    assert!(
        !databases
            .db_instances()
            .iter()
            .any(|d| d.db_instance_identifier() == Some(&before.database)),
        "{:?}",
        databases.db_instances()
    );
    let subnet_groups = aws
        .rds
        .describe_db_subnet_groups()
        .send()
        .await
        .expect("db subnet groups");
    assert!(
        !subnet_groups
            .db_subnet_groups()
            .iter()
            .flat_map(|g| g.subnets())
            .any(|s| {
                before
                    .subnets
                    .iter()
                    .any(|id| s.subnet_identifier() == Some(id))
            }),
        "{:?}",
        subnet_groups.db_subnet_groups()
    );
    let snapshots = aws
        .rds
        .describe_db_snapshots()
        .db_instance_identifier(&before.database)
        .send()
        .await
        .expect("db snapshots");
    let snapshots: Vec<_> = snapshots
        .db_snapshots()
        .iter()
        .map(|s| {
            (
                s.db_snapshot_identifier().unwrap_or_default().to_owned(),
                s.snapshot_type().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        snapshots.len(),
        1,
        "one final snapshot of {}: {snapshots:?}",
        before.database
    );
    assert_eq!(snapshots[0].1, "manual", "{snapshots:?}");
    eprintln!("final snapshot kept: {}", snapshots[0].0);

    // The bucket, the roles, the log groups.
    let buckets = aws.s3.list_buckets().send().await.expect("buckets");
    assert!(
        !buckets
            .buckets()
            .iter()
            .any(|b| b.name() == Some(&before.bucket)),
        "{:?}",
        buckets.buckets()
    );
    let roles = aws.iam.list_roles().send().await.expect("roles");
    let left: Vec<_> = roles
        .roles()
        .iter()
        .map(|r| r.role_name())
        .filter(|n| before.roles.iter().any(|r| r == n))
        .collect();
    assert!(left.is_empty(), "roles left: {left:?}");
    let profiles = aws
        .iam
        .list_instance_profiles()
        .send()
        .await
        .expect("instance profiles");
    assert!(
        !profiles
            .instance_profiles()
            .iter()
            .any(|p| p.instance_profile_name() == before.instance_profile),
        "{:?}",
        profiles.instance_profiles()
    );
    let logs = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/techchallenge/{ENV}/"))
        .send()
        .await
        .expect("log groups");
    assert!(logs.log_groups().is_empty(), "{:?}", logs.log_groups());
}
