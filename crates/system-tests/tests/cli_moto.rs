//! End to end on the moto emulator (started by `scripts/test` through `scripts/lib/moto.sh`, which
//! exports `TEST_MOTO_URL`): the real `techchallenge` binary deploys all five stacks with
//! `--yes --method direct` (moto cannot execute change sets), then the REAL objects are checked
//! through the EC2, ELBv2, RDS, Auto Scaling, IAM and S3 APIs; a second deploy is a no-op that
//! uploads nothing; a changed instance count updates in place; a changed build is uploaded under
//! a new key and gives a new launch template version; `status` and `outputs` report it all;
//! `destroy all` then leaves nothing but the database's final snapshot (`cli_moto/destroy.rs`).
//! One test function: moto is shared state, reset at the start. Without moto it is skipped with
//! a note, unless `TESTS_REQUIRE_SERVICES=1`. It runs the `techchallenge` binary as a user
//! would, the build `cargo test` makes of it alongside this test (see `builds`).
//!
//! The build is a small generated file, not the real app: what boots on the instances is tested
//! by the boot-script tests; here only its upload and the key the instances are told matter.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use serde_json::Value;
use techchallenge_system_tests::{builds, moto};

#[path = "cli_moto/destroy.rs"]
mod destroy;
#[path = "cli_moto/fleet.rs"]
mod fleet;
#[path = "cli_moto/guards.rs"]
mod guards;

const ENV: &str = "e2e";

fn techchallenge(url: &str, args: &[&str]) -> Output {
    let deployer = builds::deployer_binary().expect("the deployer's build");
    let out = Command::new(deployer)
        .args(args)
        .args(["--env", ENV, "--region", "us-east-1", "--endpoint-url", url])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run techchallenge");
    eprintln!(
        "$ techchallenge {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The name of the e2e environment's stack with this role.
fn stack_name(role: &str) -> String {
    format!("techchallenge-{ENV}-{role}")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "exit {:?}", out.status.code());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn deploy(url: &str, binary: &Path, extra: &[&str]) -> String {
    let binary = binary.to_str().expect("utf-8 path");
    let mut args = vec![
        "deploy",
        "all",
        "--yes",
        "--method",
        "direct",
        "--app-binary",
        binary,
    ];
    // Every deploy uses the same settings file: the user's tags (checked in `guards.rs`).
    let settings =
        std::env::temp_dir().join(format!("techchallenge-{ENV}-{}.toml", std::process::id()));
    std::fs::write(
        &settings,
        format!(
            "[tags]\n{} = \"{}\"\n",
            guards::USER_TAG.0,
            guards::USER_TAG.1
        ),
    )
    .expect("write the settings file");
    let settings = settings.to_str().expect("utf-8 path").to_owned();
    args.extend_from_slice(&["--config", &settings]);
    args.extend_from_slice(extra);
    ok(&techchallenge(url, &args))
}

fn sha256_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("f");
    std::fs::write(&p, bytes).expect("write");
    techchallenge_sha(&p)
}

/// The same hash the deployer computes, with the artifact crate's public helper.
fn techchallenge_sha(path: &Path) -> String {
    techchallenge_artifact::sha256_file(path).expect("hash").0
}

struct Aws {
    cfn: aws_sdk_cloudformation::Client,
    ec2: aws_sdk_ec2::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    rds: aws_sdk_rds::Client,
    asg: aws_sdk_autoscaling::Client,
    iam: aws_sdk_iam::Client,
    s3: aws_sdk_s3::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    secrets: aws_sdk_secretsmanager::Client,
    config: aws_config::SdkConfig,
}

impl Aws {
    async fn new(url: &str) -> Self {
        let config = moto::sdk_config(url).await;
        let s3 = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build();
        Self {
            cfn: aws_sdk_cloudformation::Client::new(&config),
            ec2: aws_sdk_ec2::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            rds: aws_sdk_rds::Client::new(&config),
            asg: aws_sdk_autoscaling::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            config: config.clone(),
        }
    }

    /// Writes `lines` to a log stream (created if new), each at its timestamp.
    async fn write_log(&self, group: &str, stream: &str, lines: &[(i64, &str)]) {
        let _ = self
            .logs
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await;
        let events = lines
            .iter()
            .map(|(t, m)| {
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(*t)
                    .message(*m)
                    .build()
                    .expect("log event")
            })
            .collect::<Vec<_>>();
        self.logs
            .put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await
            .expect("put log events");
    }

    /// Logical id → physical id of a stack's resources.
    async fn resources(&self, role: &str) -> HashMap<String, String> {
        let answer = self
            .cfn
            .describe_stack_resources()
            .stack_name(stack_name(role))
            .send()
            .await
            .expect("describe stack resources");
        answer
            .stack_resources()
            .iter()
            .filter_map(|r| {
                Some((
                    r.logical_resource_id()?.to_owned(),
                    r.physical_resource_id()?.to_owned(),
                ))
            })
            .collect()
    }

    /// The auto scaling group named `name`.
    async fn group(&self, name: &str) -> aws_sdk_autoscaling::types::AutoScalingGroup {
        let answer = self
            .asg
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .expect("describe auto scaling groups");
        answer.auto_scaling_groups()[0].clone()
    }

    /// A group's one ingress rule, which must be TCP on a single port: the port, its CIDR
    /// ranges and its peer groups.
    async fn only_tcp_rule(&self, group: &str) -> (i32, Vec<String>, Vec<String>) {
        let answer = self
            .ec2
            .describe_security_groups()
            .group_ids(group)
            .send()
            .await
            .expect("describe security group");
        let rules = answer.security_groups()[0].ip_permissions();
        assert_eq!(
            rules.len(),
            1,
            "{group}: exactly one ingress rule: {rules:?}"
        );
        let rule = &rules[0];
        assert_eq!(rule.ip_protocol(), Some("tcp"), "{rule:?}");
        assert_eq!(rule.from_port(), rule.to_port(), "one port: {rule:?}");
        let cidrs = rule
            .ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip().map(str::to_owned))
            .collect();
        let peers = rule
            .user_id_group_pairs()
            .iter()
            .filter_map(|p| p.group_id().map(str::to_owned))
            .collect();
        (rule.from_port().unwrap_or_default(), cidrs, peers)
    }

    /// The latest launch template version: its number and decoded UserData.
    async fn launch_template(&self, id: &str) -> (i64, String, Option<String>) {
        let answer = self
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(id)
            .versions("$Latest")
            .send()
            .await
            .expect("launch template versions");
        let v = &answer.launch_template_versions()[0];
        let data = v.launch_template_data().expect("data");
        let user_data = base64::engine::general_purpose::STANDARD
            .decode(data.user_data().expect("user data"))
            .expect("base64");
        let tokens = data
            .metadata_options()
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str().to_owned());
        (
            v.version_number().expect("version"),
            String::from_utf8(user_data).expect("utf-8"),
            tokens,
        )
    }

    async fn keys(&self, bucket: &str) -> Vec<String> {
        let answer = self
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .expect("list objects");
        answer
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect()
    }
}

/// The value of `name='...'` in the boot script.
fn assignment(user_data: &str, name: &str) -> String {
    let prefix = format!("{name}='");
    let line = user_data
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {name}= in UserData"));
    line[prefix.len()..line.len() - 1].to_owned()
}

#[tokio::test]
async fn deploys_all_stacks_to_moto_and_the_real_objects_match_the_architecture() {
    let Some(url) = moto::url() else { return };
    if builds::deployer_binary().is_none() {
        return;
    }
    let aws = Aws::new(&url).await;
    let dir = tempfile::tempdir().expect("tempdir");
    // Small builds the deployer's check accepts: Debian's `true` (x86-64, glibc 2.34 at most),
    // with a different tail each, so each has its own checksum.
    let build = |name: &str, tail: &[u8]| {
        let path = dir.path().join(name);
        let mut bytes = std::fs::read("/usr/bin/true").expect("read /usr/bin/true");
        bytes.extend_from_slice(tail);
        std::fs::write(&path, bytes).expect("write build");
        path
    };
    let v1 = build("TechChallengeApp-v1", b"build one");

    // Deploy everything.
    let out = deploy(&url, &v1, &[]);
    assert!(out.contains("Application URL: http://"), "{out}");
    assert!(out.contains("application build uploaded to s3://"), "{out}");
    for role in [
        "network",
        "artifacts",
        "database-access",
        "database",
        "application",
    ] {
        assert!(
            out.contains(&format!("techchallenge-{ENV}-{role}: created in")),
            "{role}: {out}"
        );
    }

    let net = aws.resources("network").await;
    let db = aws.resources("database").await;
    let access = aws.resources("database-access").await;
    let app = aws.resources("application").await;
    let artifacts = aws.resources("artifacts").await;

    // The VPC.
    let vpc_id = &net["Vpc"];
    let vpcs = aws
        .ec2
        .describe_vpcs()
        .vpc_ids(vpc_id)
        .send()
        .await
        .expect("vpc");
    assert_eq!(vpcs.vpcs()[0].cidr_block(), Some("10.0.0.0/16"));

    // 2 public + 2 private subnets, each pair in 2 different AZs, all in the VPC.
    let subnet_ids: Vec<&String> = [
        "PublicSubnetA",
        "PublicSubnetB",
        "PrivateSubnetA",
        "PrivateSubnetB",
    ]
    .iter()
    .map(|id| &net[*id])
    .collect();
    let subnets = aws
        .ec2
        .describe_subnets()
        .set_subnet_ids(Some(subnet_ids.iter().map(|s| s.to_string()).collect()))
        .send()
        .await
        .expect("subnets");
    let az = |id: &str| {
        subnets
            .subnets()
            .iter()
            .find(|s| s.subnet_id() == Some(id))
            .and_then(|s| {
                assert_eq!(s.vpc_id(), Some(vpc_id.as_str()));
                s.availability_zone().map(str::to_owned)
            })
            .expect("subnet found")
    };
    assert_eq!(subnets.subnets().len(), 4);
    assert_ne!(az(&net["PublicSubnetA"]), az(&net["PublicSubnetB"]));
    assert_ne!(az(&net["PrivateSubnetA"]), az(&net["PrivateSubnetB"]));
    let public: BTreeSet<String> =
        [net["PublicSubnetA"].clone(), net["PublicSubnetB"].clone()].into();
    let private: BTreeSet<String> =
        [net["PrivateSubnetA"].clone(), net["PrivateSubnetB"].clone()].into();

    // Security-group rules, exactly.
    let alb_sg = &app["LoadBalancerSecurityGroup"];
    let instance_sg = &app["InstanceSecurityGroup"];
    assert_eq!(
        aws.only_tcp_rule(alb_sg).await,
        (80, vec!["0.0.0.0/0".to_owned()], vec![]),
        "the load balancer: 80 from anywhere, nothing else"
    );
    assert_eq!(
        aws.only_tcp_rule(instance_sg).await,
        (3000, vec![], vec![alb_sg.clone()]),
        "the instances: 3000 from the load balancer's group only, no CIDR"
    );
    assert_eq!(
        aws.only_tcp_rule(&access["DatabaseSecurityGroup"]).await,
        (
            5432,
            vec![],
            vec![access["DatabaseClientSecurityGroup"].clone()]
        ),
        "the database: 5432 from the client group the instances carry, no CIDR"
    );

    // Internet-facing ALB in the public subnets; listener 80 → target group 3000, /healthcheck/.
    let lb_arn = &app["LoadBalancer"];
    let lbs = aws
        .elb
        .describe_load_balancers()
        .load_balancer_arns(lb_arn)
        .send()
        .await
        .expect("load balancer");
    let lb = &lbs.load_balancers()[0];
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    let lb_subnets: BTreeSet<String> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.subnet_id().map(str::to_owned))
        .collect();
    assert_eq!(lb_subnets, public);
    let listeners = aws
        .elb
        .describe_listeners()
        .load_balancer_arn(lb_arn)
        .send()
        .await
        .expect("listeners");
    assert_eq!(listeners.listeners().len(), 1);
    let listener = &listeners.listeners()[0];
    assert_eq!(listener.port(), Some(80));
    let tg_arn = listener.default_actions()[0]
        .target_group_arn()
        .expect("forwards to a target group");
    assert_eq!(tg_arn, app["TargetGroup"]);
    let tgs = aws
        .elb
        .describe_target_groups()
        .target_group_arns(tg_arn)
        .send()
        .await
        .expect("target group");
    let tg = &tgs.target_groups()[0];
    assert_eq!(tg.port(), Some(3000));
    assert_eq!(tg.health_check_path(), Some("/healthcheck/"));

    // RDS: Multi-AZ, in the private subnet group.
    let dbs = aws
        .rds
        .describe_db_instances()
        .db_instance_identifier(&db["Database"])
        .send()
        .await
        .expect("db instance");
    let instance = &dbs.db_instances()[0];
    assert_eq!(instance.multi_az(), Some(true));
    // Created unprotected (a failed create can roll back), protected right after.
    assert_eq!(instance.deletion_protection(), Some(true));
    assert_eq!(instance.publicly_accessible(), Some(false));
    let db_subnets: BTreeSet<String> = instance
        .db_subnet_group()
        .expect("subnet group")
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier().map(str::to_owned))
        .collect();
    assert_eq!(db_subnets, private);
    // The secret's attachment wrote the instance's address into the secret (the moto launcher
    // does what AWS does there): the instances learn it there, without importing anything from
    // the database stack, which is what lets the application stack run beside it.
    let secret = aws
        .secrets
        .get_secret_value()
        .secret_id(&access["DatabaseSecret"])
        .send()
        .await
        .expect("the database secret");
    let secret: Value =
        serde_json::from_str(secret.secret_string().unwrap_or_default()).expect("secret json");
    assert_eq!(
        secret["host"].as_str(),
        instance.endpoint().and_then(|e| e.address())
    );
    assert_eq!(secret["port"], 5432);
    assert_eq!(secret["username"], "postgres");
    // moto ignores VPCSecurityGroups on RDS (the instance shows the default group), so the
    // database's attachment to its group is asserted on the template the deployer sends.
    let rendered = ok(&techchallenge(
        &url,
        &["render", "database", "--format", "json"],
    ));
    let template: Value = serde_json::from_str(&rendered).expect("template json");
    assert_eq!(
        template["Resources"]["Database"]["Properties"]["VPCSecurityGroups"],
        serde_json::json!([{"Fn::ImportValue":
            format!("techchallenge-{ENV}-database-access-DatabaseSecurityGroup")}])
    );

    // Auto scaling group across both public subnets, with its instances.
    let group_name = &app["AppGroup"];
    let group = aws.group(group_name).await;
    let group_subnets: BTreeSet<String> = group
        .vpc_zone_identifier()
        .expect("subnets")
        .split(',')
        .map(str::to_owned)
        .collect();
    assert_eq!(group_subnets, public);
    assert_eq!(group.min_size(), Some(2));
    assert_eq!(group.instances().len(), 2, "{:?}", group.instances());

    // Launch template: IMDSv2 required; UserData names the uploaded build.
    let lt_id = &app["LaunchTemplate"];
    let (version1, user_data, tokens) = aws.launch_template(lt_id).await;
    assert_eq!(tokens.as_deref(), Some("required"));
    let bucket = assignment(&user_data, "bucket");
    let key = assignment(&user_data, "key");
    assert_eq!(bucket, artifacts["ArtifactBucket"]);
    let sha1 = techchallenge_sha(&v1);
    assert_eq!(key, format!("app/{sha1}/TechChallengeApp"));
    assert_eq!(assignment(&user_data, "sha256"), sha1);
    assert_eq!(aws.keys(&bucket).await, std::slice::from_ref(&key));
    let object = aws
        .s3
        .get_object()
        .bucket(&bucket)
        .key(&key)
        .send()
        .await
        .expect("artifact in the bucket");
    let body = object.body.collect().await.expect("body").into_bytes();
    assert_eq!(sha256_hex(&body), sha1);

    // IAM: the instance role trusts EC2 and has its one inline policy.
    let role = aws
        .iam
        .get_role()
        .role_name(&app["InstanceRole"])
        .send()
        .await
        .expect("role");
    let trust = role
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap_or_default();
    assert!(trust.contains("ec2.amazonaws.com"), "{trust}");
    let policies = aws
        .iam
        .list_role_policies()
        .role_name(&app["InstanceRole"])
        .send()
        .await
        .expect("role policies");
    assert_eq!(policies.policy_names(), ["application"]);

    fleet::logs_instances_and_diagnostics(
        &aws,
        &url,
        group.instances()[0].instance_id().expect("id"),
    )
    .await;

    // A second deploy: a no-op success that uploads nothing, recognised without change sets
    // (moto's request recorder is the witness): at most three CloudFormation calls per stack,
    // one look-up of the build in the bucket, nothing else.
    moto::start_recording(&url);
    let out = deploy(&url, &v1, &[]);
    let calls = moto::stop_recording(&url);
    let stacks = [
        "network",
        "artifacts",
        "database-access",
        "database",
        "application",
    ]
    .map(|role| format!(" techchallenge-{ENV}-{role}"));
    for stack in &stacks {
        let of_stack = calls.iter().filter(|c| c.ends_with(stack)).count();
        assert!((1..=3).contains(&of_stack), "{stack}: {calls:#?}");
    }
    assert!(!calls.iter().any(|c| c.contains("ChangeSet")), "{calls:#?}");
    let elsewhere: Vec<_> = calls
        .iter()
        .filter(|c| !stacks.iter().any(|s| c.ends_with(s)))
        .collect();
    assert_eq!(elsewhere.len(), 1, "one look-up of the build: {calls:#?}");
    assert!(
        elsewhere[0].starts_with("HEAD ") && elsewhere[0].ends_with(&key),
        "{calls:#?}"
    );
    eprintln!("no-op deploy: {} requests: {calls:#?}", calls.len());
    assert!(out.contains("No changes"), "{out}");
    assert!(out.contains("nothing uploaded"), "{out}");
    assert!(!out.contains("uploaded to s3://"), "{out}");
    assert_eq!(aws.keys(&bucket).await, std::slice::from_ref(&key));

    // A changed instance count updates the application stack in place.
    let out = deploy(&url, &v1, &["--desired-instances", "3"]);
    assert!(
        out.contains(&format!("techchallenge-{ENV}-application: updated in")),
        "{out}"
    );
    assert!(
        out.contains(&format!("techchallenge-{ENV}-network: no changes")),
        "{out}"
    );
    assert_eq!(aws.group(group_name).await.desired_capacity(), Some(3));
    assert_eq!(
        aws.resources("application").await["LoadBalancer"],
        *lb_arn,
        "updated in place, not replaced"
    );

    // A changed build: uploaded under a new key, named by a new launch template version.
    let v2 = build("TechChallengeApp-v2", b"build two");
    let out = deploy(&url, &v2, &["--desired-instances", "3"]);
    assert!(out.contains("application build uploaded to s3://"), "{out}");
    let sha2 = techchallenge_sha(&v2);
    let key2 = format!("app/{sha2}/TechChallengeApp");
    let keys: BTreeSet<String> = aws.keys(&bucket).await.into_iter().collect();
    assert_eq!(keys, [key.clone(), key2.clone()].into());
    // The stack now carries the new build's key and hash as its parameters.
    let stacks = aws
        .cfn
        .describe_stacks()
        .stack_name(format!("techchallenge-{ENV}-application"))
        .send()
        .await
        .expect("describe application");
    let parameters: HashMap<&str, &str> = stacks.stacks()[0]
        .parameters()
        .iter()
        .filter_map(|p| Some((p.parameter_key()?, p.parameter_value()?)))
        .collect();
    assert_eq!(parameters["AppArtifactKey"], key2);
    assert_eq!(parameters["AppArtifactSha256"], sha2);
    // moto applies no update to an AWS::EC2::LaunchTemplate (it stays at version 1 with the old
    // UserData: see aws-emulator.md, "real updates: partial"), so a new version is proven where it
    // comes from: the template's UserData substitutes the key parameter, the group follows
    // LatestVersionNumber, and a rolling update replaces instances in batches of MaxSize minus
    // the minimum kept in service.
    let (version2, _, _) = aws.launch_template(lt_id).await;
    eprintln!("launch template version on moto: {version1} -> {version2}");
    let rendered = ok(&techchallenge(
        &url,
        &["render", "application", "--format", "json"],
    ));
    let template: Value = serde_json::from_str(&rendered).expect("template json");
    let user_data =
        template["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"]
            .to_string();
    assert!(user_data.contains("key='${AppArtifactKey}'"), "{user_data}");
    assert_eq!(
        template["Resources"]["AppGroup"]["Properties"]["LaunchTemplate"]["Version"],
        serde_json::json!({"Fn::GetAtt": ["LaunchTemplate", "LatestVersionNumber"]})
    );
    let rolling = &template["Resources"]["AppGroup"]["UpdatePolicy"]["AutoScalingRollingUpdate"];
    assert_eq!(rolling["MaxBatchSize"], 2, "{rolling}");
    assert_eq!(rolling["MinInstancesInService"], 2, "{rolling}");
    assert_eq!(rolling["WaitOnResourceSignals"], true, "{rolling}");

    // status and outputs report it.
    let status = ok(&techchallenge(&url, &["status"]));
    for role in ["network", "artifacts", "database-access"] {
        assert!(
            status.contains(&format!("techchallenge-{ENV}-{role}: CREATE_COMPLETE")),
            "{status}"
        );
    }
    // The database was updated once, right after its create, to switch on deletion protection.
    for role in ["database", "application"] {
        assert!(
            status.contains(&format!("techchallenge-{ENV}-{role}: UPDATE_COMPLETE")),
            "{status}"
        );
    }
    assert!(status.contains("Url = http://"), "{status}");
    let outputs = ok(&techchallenge(&url, &["outputs", "--json"]));
    let outputs: Value = serde_json::from_str(&outputs).expect("outputs json");
    assert!(
        outputs["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://")),
        "{outputs}"
    );
    assert_eq!(
        outputs["stacks"][format!("techchallenge-{ENV}-artifacts")]["ArtifactBucket"],
        Value::String(bucket.clone())
    );
    let text = ok(&techchallenge(&url, &["outputs"]));
    assert!(text.starts_with("Application URL: http://"), "{text}");

    // The artifacts stack cannot go while stacks import its exports (the database its alarm
    // topic, the application its buckets): refused, the importer named.
    let refused = techchallenge(&url, &["destroy", "artifacts", "--yes"]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&format!(
            "techchallenge-{ENV}-database still imports its exports"
        )) || stderr.contains(&format!(
            "techchallenge-{ENV}-application still imports its exports"
        )),
        "{stderr}"
    );
    assert_eq!(aws.keys(&bucket).await.len(), 2, "nothing emptied");

    guards::guarded_and_tagged(&aws).await;
    destroy::destroys_everything(&aws, &url).await;
}
