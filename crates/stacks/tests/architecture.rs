//! The rendered templates hold the architecture: every fact the seed README states, plus the
//! modernisations (any region, several environments, generated password, IMDSv2, no SSH).

mod common;

use common::{default_stacks, rendered, resources_of_type, stack};
use serde_json::{Value, json};
use techchallenge_stacks::rules;
use techchallenge_stacks::{Architecture, Settings};

#[test]
fn the_default_architecture_passes_every_rule() {
    let violations = rules::check(&default_stacks());
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn network_has_one_vpc_and_two_public_and_two_private_subnets_in_two_azs() {
    let stacks = default_stacks();
    let net = stack(&stacks, "-network");
    assert_eq!(resources_of_type(net, "AWS::EC2::VPC").len(), 1);
    let subnets = resources_of_type(net, "AWS::EC2::Subnet");
    assert_eq!(subnets.len(), 4);
    for (prefix, az_expected) in [
        ("PublicSubnetA", "0"),
        ("PublicSubnetB", "1"),
        ("PrivateSubnetA", "0"),
        ("PrivateSubnetB", "1"),
    ] {
        let subnet = &net["Resources"][prefix]["Properties"];
        assert_eq!(
            subnet["AvailabilityZone"],
            json!({"Fn::Select": [az_expected, {"Fn::GetAZs": ""}]}),
            "{prefix}"
        );
    }
    // Public subnets route to the internet gateway; private ones have no route out.
    let routes = resources_of_type(net, "AWS::EC2::Route");
    assert_eq!(routes.len(), 1);
    assert_eq!(
        routes[0].1["Properties"]["RouteTableId"],
        json!({"Ref": "PublicRouteTable"})
    );
    for (id, table) in [
        ("PublicSubnetA", "PublicRouteTable"),
        ("PublicSubnetB", "PublicRouteTable"),
        ("PrivateSubnetA", "PrivateRouteTable"),
        ("PrivateSubnetB", "PrivateRouteTable"),
    ] {
        let assoc = &net["Resources"][format!("{id}RouteTableAssociation")]["Properties"];
        assert_eq!(assoc["RouteTableId"], json!({"Ref": table}));
    }
}

#[test]
fn database_is_private_multi_az_encrypted_backed_up_and_protected() {
    let stacks = default_stacks();
    let db_stack = stack(&stacks, "-database");
    let db = &db_stack["Resources"]["Database"];
    let p = &db["Properties"];
    assert_eq!(p["Engine"], "postgres");
    assert_eq!(p["MultiAZ"], true);
    assert_eq!(p["PubliclyAccessible"], false);
    assert_eq!(p["StorageEncrypted"], true);
    assert!(p["BackupRetentionPeriod"].as_u64().unwrap_or(0) >= 1);
    assert_eq!(
        p["DeletionProtection"],
        json!({"Ref": "DeletionProtection"})
    );
    assert_eq!(
        db_stack["Parameters"]["DeletionProtection"]["Default"],
        "true"
    );
    assert_eq!(db["DeletionPolicy"], "Snapshot");
    assert_eq!(db["UpdateReplacePolicy"], "Snapshot");
    // Created into the database-access stack's subnet group and security group.
    assert_eq!(
        p["DBSubnetGroupName"],
        json!({"Fn::ImportValue": "techchallenge-dev-database-access-DatabaseSubnetGroup"})
    );
    assert_eq!(
        p["VPCSecurityGroups"],
        json!([{"Fn::ImportValue": "techchallenge-dev-database-access-DatabaseSecurityGroup"}])
    );
    let access = stack(&stacks, "-database-access");
    let group = &access["Resources"]["DatabaseSubnetGroup"]["Properties"]["SubnetIds"];
    assert_eq!(
        group,
        &json!([
            {"Fn::ImportValue": "techchallenge-dev-network-PrivateSubnetA"},
            {"Fn::ImportValue": "techchallenge-dev-network-PrivateSubnetB"}
        ])
    );
}

#[test]
fn the_master_password_is_generated_by_aws_and_only_referenced() {
    let stacks = default_stacks();
    let db_stack = stack(&stacks, "-database");
    let access = stack(&stacks, "-database-access");
    let secret = &access["Resources"]["DatabaseSecret"]["Properties"]["GenerateSecretString"];
    assert_eq!(secret["GenerateStringKey"], "password");
    let password = &db_stack["Resources"]["Database"]["Properties"]["MasterUserPassword"];
    assert_eq!(
        password,
        &json!({"Fn::Sub": [
            "{{resolve:secretsmanager:${SecretId}:SecretString:password}}",
            {"SecretId": {"Fn::ImportValue": "techchallenge-dev-database-access-DatabaseSecretArn"}}
        ]})
    );
    // The attachment writes the instance's host and port into that secret.
    let attachment = &db_stack["Resources"]["DatabaseSecretAttachment"]["Properties"];
    assert_eq!(
        attachment["SecretId"],
        json!({"Fn::ImportValue": "techchallenge-dev-database-access-DatabaseSecretArn"})
    );
    assert_eq!(attachment["TargetId"], json!({"Ref": "Database"}));
    for s in &stacks {
        // No parameter may carry a password, and no NoEcho trick is needed.
        let params = s.template["Parameters"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(
            params
                .keys()
                .all(|k| !k.to_lowercase().contains("password")),
            "{}",
            s.name
        );
    }
}

#[test]
fn application_has_an_internet_facing_alb_a_3000_target_group_and_an_asg_across_both_azs() {
    let stacks = default_stacks();
    let app = stack(&stacks, "-application");
    let r = &app["Resources"];
    let alb = &r["LoadBalancer"]["Properties"];
    assert_eq!(alb["Scheme"], "internet-facing");
    let public = json!([
        {"Fn::ImportValue": "techchallenge-dev-network-PublicSubnetA"},
        {"Fn::ImportValue": "techchallenge-dev-network-PublicSubnetB"}
    ]);
    assert_eq!(alb["Subnets"], public);
    let tg = &r["TargetGroup"]["Properties"];
    assert_eq!(tg["Port"], 3000);
    assert_eq!(tg["HealthCheckPath"], "/healthcheck/");
    // A database outage (503 from every instance) must not make the group replace the fleet.
    assert_eq!(tg["Matcher"]["HttpCode"], "200,503");
    let listener = &r["HttpListener"]["Properties"];
    assert_eq!(listener["Port"], 80);
    assert_eq!(
        listener["DefaultActions"][0]["TargetGroupArn"],
        json!({"Ref": "TargetGroup"})
    );
    let asg = &r["AppGroup"];
    let p = &asg["Properties"];
    assert_eq!(p["VPCZoneIdentifier"], public);
    assert!(
        p["MinSize"]
            .as_str()
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0)
            >= 2
    );
    assert_eq!(p["HealthCheckType"], "ELB");
    assert!(p["HealthCheckGracePeriod"].as_u64().unwrap_or(0) > 0);
    assert_eq!(
        p["LaunchTemplate"]["Version"],
        json!({"Fn::GetAtt": ["LaunchTemplate", "LatestVersionNumber"]})
    );
    // A new launch template version rolls out in batches as large as MaxSize allows beside
    // the minimum kept in service (2 → 4: one batch), each new instance counting only once its
    // boot script signals a healthy app; a FAILURE or no signal within PauseTime rolls the
    // update back.
    let rolling = &asg["UpdatePolicy"]["AutoScalingRollingUpdate"];
    assert_eq!(rolling["WaitOnResourceSignals"], true);
    assert_eq!(
        json!(rolling["MinInstancesInService"].to_string()),
        p["MinSize"]
    );
    let (min, max): (u32, u32) = (
        p["MinSize"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .expect("MinSize"),
        p["MaxSize"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .expect("MaxSize"),
    );
    assert_eq!(rolling["MaxBatchSize"], max - min);
    assert_eq!(rolling["MaxBatchSize"], 2);
    assert_eq!(rolling["PauseTime"], "PT15M");
    for kept_out in ["HealthCheck", "ReplaceUnhealthy", "AZRebalance"] {
        assert!(
            rolling["SuspendProcesses"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == kept_out)),
            "{kept_out}"
        );
    }
    // Creation waits for one SUCCESS per desired instance.
    let signals = &asg["CreationPolicy"]["ResourceSignal"];
    assert_eq!(signals["Count"], json!(2));
    assert_eq!(
        p["DesiredCapacity"],
        json!(signals["Count"].to_string()),
        "one signal per instance"
    );
    // An hour: on the first create, instances wait for RDS to create the database.
    assert_eq!(signals["Timeout"], "PT1H");
    assert_eq!(p["HealthCheckGracePeriod"], 3600);
    // Target tracking on CPU and on requests per instance (tests/monitoring.rs).
    let policies = resources_of_type(app, "AWS::AutoScaling::ScalingPolicy");
    assert_eq!(policies.len(), 2);
    for (_, policy) in policies {
        assert_eq!(policy["Properties"]["PolicyType"], "TargetTrackingScaling");
    }
    // Nothing imported from the database stack: the application stack is created while RDS
    // creates the instance; host and port come from the secret (database-access stack).
    let text = app.to_string();
    assert!(
        !text.contains("techchallenge-dev-database-Database"),
        "{text}"
    );
    assert!(text.contains("techchallenge-dev-database-access-DatabaseSecretArn"));
    // No launch configuration (new accounts cannot create them).
    assert!(resources_of_type(app, "AWS::AutoScaling::LaunchConfiguration").is_empty());
}

#[test]
fn instances_use_imdsv2_ssm_and_no_ssh_key() {
    let stacks = default_stacks();
    let app = stack(&stacks, "-application");
    let data = &app["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"];
    assert_eq!(data["MetadataOptions"]["HttpTokens"], "required");
    assert!(data.get("KeyName").is_none());
    assert_eq!(data["ImageId"], json!({"Ref": "ImageId"}));
    // The deployer resolves the image and keeps it (an SSM parameter type would make
    // CloudFormation re-resolve it at every update and replace the instances).
    assert_eq!(app["Parameters"]["ImageId"]["Type"], "AWS::EC2::Image::Id");
    assert!(app["Parameters"]["ImageId"].get("Default").is_none());
    let role = &app["Resources"]["InstanceRole"]["Properties"];
    // Session Manager's minimal permissions, no AWS managed policy.
    assert!(role.get("ManagedPolicyArns").is_none(), "{role}");
    let statements = role["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let actions = |st: &Value| -> Vec<String> {
        st["Action"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let all: Vec<String> = statements.iter().flat_map(actions).collect();
    for action in [
        "ssm:UpdateInstanceInformation",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ] {
        assert!(all.iter().any(|a| a == action), "{action} in {all:?}");
    }
    assert!(!all.iter().any(|a| a.starts_with("ssm:Get")), "{all:?}");
    // Least privilege: each inline statement names its resources; "*" only for the Session
    // Manager channels, which IAM scopes to no resource type.
    for st in &statements {
        if st["Resource"] == json!(["*"]) {
            assert!(
                actions(st).iter().all(|a| a.starts_with("ssmmessages:")),
                "{st}"
            );
        }
    }
    let everything = serde_json::to_string(&stacks.iter().map(|s| &s.template).collect::<Vec<_>>())
        .unwrap_or_default();
    assert!(!everything.contains("\"FromPort\":22"));
}

/// Region names: in a `Mappings` table keyed by region, and in the conditions that ask whether
/// the stack's region is one of that table's keys, and nowhere else.
#[test]
fn templates_hold_no_region_specific_ids() {
    for s in default_stacks() {
        let mut outside = s.template.clone();
        let keys: Vec<String> = outside["Mappings"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(Value::as_object)
            .flat_map(|table| table.keys().cloned())
            .collect();
        if let Some(root) = outside.as_object_mut() {
            root.remove("Mappings");
            if let Some(conditions) = root.remove("Conditions") {
                for region in compared_with_the_region(&conditions) {
                    assert!(
                        keys.contains(&region),
                        "{}: {region} is in no mapping",
                        s.name
                    );
                }
            }
        }
        let text = serde_json::to_string(&outside).unwrap_or_default();
        for bad in ["us-east-1", "ap-southeast-2", "us-east-1a", "127311923021"] {
            assert!(!text.contains(bad), "{} contains {bad}", s.name);
        }
        // A hard-coded id looks like PREFIX-<8 or 17 hex digits>.
        for prefix in ["ami-", "subnet-", "vpc-", "sg-"] {
            for (at, _) in text.match_indices(prefix) {
                let id: String = text[at + prefix.len()..]
                    .chars()
                    .take_while(char::is_ascii_hexdigit)
                    .collect();
                assert!(id.len() < 8, "{} contains the id {prefix}{id}", s.name);
            }
        }
    }
}

/// The literals conditions compare `AWS::Region` with.
fn compared_with_the_region(conditions: &Value) -> Vec<String> {
    let mut found = Vec::new();
    match conditions {
        Value::Object(map) => {
            if let Some([a, b]) = map
                .get("Fn::Equals")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                && a == &json!({"Ref": "AWS::Region"})
                && let Some(region) = b.as_str()
            {
                found.push(region.to_owned());
            }
            map.values()
                .for_each(|v| found.extend(compared_with_the_region(v)));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| found.extend(compared_with_the_region(v))),
        _ => {}
    }
    found
}

#[test]
fn environments_live_side_by_side() {
    let staging = Settings {
        environment: "staging".into(),
        ..Settings::default()
    };
    assert_eq!(staging.validate(), Ok(()));
    let a = Architecture::new(&Settings::default()).map(|a| a.stacks);
    let b = Architecture::new(&staging).map(|a| a.stacks);
    let (Ok(a), Ok(b)) = (a, b) else {
        panic!("both must render")
    };
    for (x, y) in a.iter().zip(&b) {
        assert_ne!(x.name, y.name);
        assert!(y.name.contains("staging"));
        let (Ok(tx), Ok(ty)) = (x.template.to_value(), y.template.to_value()) else {
            panic!("render")
        };
        let names = |t: &Value| -> Vec<String> {
            t["Outputs"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(_, o)| o["Export"]["Name"].as_str().map(str::to_owned))
                .collect()
        };
        for (ex, ey) in names(&tx).iter().zip(names(&ty)) {
            assert_ne!(ex, &ey);
            assert!(ey.contains("staging"), "{ey}");
        }
    }
    let app = rendered(&staging);
    let text = serde_json::to_string(&app.iter().map(|s| &s.template).collect::<Vec<_>>())
        .unwrap_or_default();
    for named in [
        "tc-staging-alb",
        "techchallenge-staging-database",
        "techchallenge-staging-app",
    ] {
        assert!(text.contains(named), "{named}");
    }
}

#[test]
fn https_option_adds_a_tls_listener_and_redirects_80() {
    let mut settings = Settings::default();
    settings.application.certificate_arn =
        Some("arn:aws:acm:us-east-1:123456789012:certificate/abc".into());
    assert_eq!(settings.validate(), Ok(()));
    let stacks = rendered(&settings);
    assert!(rules::check(&stacks).is_empty());
    let app = stack(&stacks, "-application");
    let https = &app["Resources"]["HttpsListener"]["Properties"];
    assert_eq!(https["Port"], 443);
    assert_eq!(https["SslPolicy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
    let http = &app["Resources"]["HttpListener"]["Properties"]["DefaultActions"][0];
    assert_eq!(http["Type"], "redirect");
    assert_eq!(http["RedirectConfig"]["Protocol"], "HTTPS");
}

#[test]
fn rendering_is_deterministic() {
    let a = serde_json::to_string(
        &default_stacks()
            .iter()
            .map(|s| &s.template)
            .collect::<Vec<_>>(),
    );
    let b = serde_json::to_string(
        &default_stacks()
            .iter()
            .map(|s| &s.template)
            .collect::<Vec<_>>(),
    );
    assert_eq!(a.ok(), b.ok());
}

#[test]
fn the_artifact_bucket_is_private_encrypted_versioned_and_tls_only() {
    let stacks = default_stacks();
    let artifacts = stack(&stacks, "-artifacts");
    let bucket = &artifacts["Resources"]["ArtifactBucket"]["Properties"];
    assert_eq!(
        bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
            ["SSEAlgorithm"],
        "AES256"
    );
    for key in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(bucket["PublicAccessBlockConfiguration"][key], true, "{key}");
    }
    assert_eq!(bucket["VersioningConfiguration"]["Status"], "Enabled");
    let policy = &artifacts["Resources"]["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        [0];
    assert_eq!(policy["Effect"], "Deny");
    assert_eq!(policy["Condition"]["Bool"]["aws:SecureTransport"], "false");
}

#[test]
fn instances_boot_from_the_artifact_named_by_the_stack_parameters() {
    let stacks = default_stacks();
    let app = stack(&stacks, "-application");
    for p in ["AppArtifactKey", "AppArtifactSha256"] {
        assert!(app["Parameters"].get(p).is_some(), "{p}");
    }
    let user_data = &app["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"]
        ["Fn::Base64"]["Fn::Sub"];
    let script = user_data[0].as_str().unwrap_or_default();
    for placeholder in [
        "${ArtifactBucket}",
        "${AppArtifactKey}",
        "${AppArtifactSha256}",
        "${DbSecretArn}",
    ] {
        assert!(script.contains(placeholder), "{placeholder}");
    }
    assert_eq!(
        user_data[1]["ArtifactBucket"],
        json!({"Fn::ImportValue": "techchallenge-dev-artifacts-ArtifactBucket"})
    );
    // The role may read builds from that bucket and nothing else in S3.
    let statements = &app["Resources"]["InstanceRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"];
    let s3: Vec<_> = statements
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Action"][0] == "s3:GetObject")
        .collect();
    assert_eq!(s3.len(), 1);
    assert_eq!(
        s3[0]["Resource"][0]["Fn::Sub"][0],
        "arn:${AWS::Partition}:s3:::${Bucket}/app/*"
    );
}
