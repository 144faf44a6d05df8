//! What watches the environment: the alarm topic and its key, the load balancer's access-log
//! bucket and who may write to it, the alarms on traffic and on the database, and scaling on
//! traffic.

mod common;

use common::{default_stacks, rendered, resources_of_type, stack};
use serde_json::{Value, json};
use techchallenge_stacks::Settings;
use techchallenge_stacks::artifacts::elb_accounts::ELB_ACCOUNTS;

fn statements(policy: &Value) -> Vec<Value> {
    policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn the_access_log_bucket_is_private_sse_s3_versioned_and_expires_logs() {
    let stacks = default_stacks();
    let artifacts = stack(&stacks, "-artifacts");
    let bucket = &artifacts["Resources"]["AccessLogBucket"]["Properties"];
    assert_eq!(
        bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
            ["SSEAlgorithm"],
        "AES256",
        "log delivery supports SSE-S3 only"
    );
    assert_eq!(
        bucket["PublicAccessBlockConfiguration"],
        json!({"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true})
    );
    assert_eq!(bucket["VersioningConfiguration"]["Status"], "Enabled");
    assert_eq!(
        bucket["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "BucketOwnerEnforced"
    );
    let rule = &bucket["LifecycleConfiguration"]["Rules"][0];
    assert_eq!(rule["ExpirationInDays"], 90);
    assert_eq!(rule["NoncurrentVersionExpiration"]["NoncurrentDays"], 1);
    assert_eq!(
        artifacts["Outputs"]["AccessLogBucket"]["Export"]["Name"],
        "techchallenge-dev-artifacts-AccessLogBucket"
    );
}

#[test]
fn log_delivery_may_write_under_alb_only_as_the_regions_elb_account_or_the_service() {
    let stacks = default_stacks();
    let artifacts = stack(&stacks, "-artifacts");
    let mapping = &artifacts["Mappings"]["ElbLogDeliveryAccounts"];
    assert_eq!(
        mapping.as_object().map(|m| m.len()),
        Some(ELB_ACCOUNTS.len())
    );
    assert_eq!(mapping["us-east-1"]["Account"], "127311923021");
    assert_eq!(mapping["eu-west-2"]["Account"], "652711504416");
    assert_eq!(
        artifacts["Conditions"]["RegionLacksElbAccount"],
        json!({"Fn::Not": [{"Condition": "RegionHasElbAccount"}]})
    );
    let compared =
        serde_json::to_string(&artifacts["Conditions"]["RegionHasElbAccount"]).unwrap_or_default();
    for (region, _) in ELB_ACCOUNTS {
        assert!(compared.contains(&format!("\"{region}\"")), "{region}");
    }

    let objects = json!([{"Fn::Sub": "arn:${AWS::Partition}:s3:::${AccessLogBucket}/alb/AWSLogs/${AWS::AccountId}/*"}]);
    // Exactly one of the two policies exists in any region.
    let by_account = &artifacts["Resources"]["AccessLogBucketPolicy"];
    let by_service = &artifacts["Resources"]["AccessLogBucketPolicyLogDelivery"];
    assert_eq!(by_account["Condition"], "RegionHasElbAccount");
    assert_eq!(by_service["Condition"], "RegionLacksElbAccount");
    for (policy, principal) in [
        (
            by_account,
            json!({"AWS": {"Fn::Sub": ["arn:${AWS::Partition}:iam::${ElbAccount}:root", {
                "ElbAccount": {"Fn::FindInMap": ["ElbLogDeliveryAccounts", {"Ref": "AWS::Region"}, "Account"]}
            }]}}),
        ),
        (
            by_service,
            json!({"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
        ),
    ] {
        let s = statements(policy);
        assert_eq!(s.len(), 2, "{s:#?}");
        assert_eq!(s[0]["Effect"], "Deny");
        assert_eq!(s[0]["Condition"]["Bool"]["aws:SecureTransport"], "false");
        assert_eq!(s[1]["Effect"], "Allow");
        assert_eq!(s[1]["Action"], json!(["s3:PutObject"]));
        assert_eq!(s[1]["Resource"], objects);
        assert_eq!(s[1]["Principal"], principal);
    }
}

#[test]
fn the_alarm_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use() {
    let stacks = default_stacks();
    let artifacts = stack(&stacks, "-artifacts");
    let topic = &artifacts["Resources"]["AlarmTopic"]["Properties"];
    assert_eq!(topic["TopicName"], "techchallenge-dev-alarms");
    assert_eq!(
        topic["KmsMasterKeyId"],
        json!({"Fn::GetAtt": ["AlarmTopicKey", "Arn"]})
    );
    let key = &artifacts["Resources"]["AlarmTopicKey"]["Properties"];
    assert_eq!(key["EnableKeyRotation"], true);
    let key_statements = key["KeyPolicy"]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let text = serde_json::to_string(&key_statements).unwrap_or_default();
    assert!(!text.contains("\"Principal\":\"*\""), "{text}");
    assert!(key_statements.iter().any(|s| {
        s["Principal"]["Service"] == "cloudwatch.amazonaws.com"
            && s["Action"] == json!(["kms:Decrypt", "kms:GenerateDataKey*"])
    }));

    let policy = statements(&artifacts["Resources"]["AlarmTopicPolicy"]);
    assert_eq!(policy.len(), 1);
    assert_eq!(
        policy[0]["Principal"]["Service"],
        "cloudwatch.amazonaws.com"
    );
    assert_eq!(policy[0]["Action"], json!(["sns:Publish"]));
    assert_eq!(
        policy[0]["Condition"]["StringEquals"]["aws:SourceAccount"],
        json!({"Fn::Sub": "${AWS::AccountId}"})
    );
    assert_eq!(
        policy[0]["Condition"]["ArnLike"]["aws:SourceArn"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"})
    );
    assert_eq!(
        artifacts["Outputs"]["AlarmTopic"]["Export"]["Name"],
        "techchallenge-dev-artifacts-AlarmTopic"
    );
}

#[test]
fn the_topic_has_an_email_subscription_only_when_an_address_is_set() {
    let stacks = default_stacks();
    assert!(resources_of_type(stack(&stacks, "-artifacts"), "AWS::SNS::Subscription").is_empty());
    let mut settings = Settings::default();
    settings.monitoring.notification_email = Some("ops@example.com".into());
    let stacks = rendered(&settings);
    let subscriptions = resources_of_type(stack(&stacks, "-artifacts"), "AWS::SNS::Subscription");
    assert_eq!(subscriptions.len(), 1);
    let p = &subscriptions[0].1["Properties"];
    assert_eq!(p["Protocol"], "email");
    assert_eq!(p["Endpoint"], "ops@example.com");
    assert_eq!(p["TopicArn"], json!({"Ref": "AlarmTopic"}));
}

/// The alarms of a stack by metric name (the metric-math alarm by the metrics it divides).
fn alarms_by_metric(template: &Value) -> Vec<(String, String, Value)> {
    resources_of_type(template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|(id, alarm)| {
            let p = &alarm["Properties"];
            let metric = p["MetricName"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    p["Metrics"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|q| q["MetricStat"]["Metric"]["MetricName"].as_str())
                        .collect::<Vec<_>>()
                        .join("/")
                });
            (id.clone(), metric, p.clone())
        })
        .collect()
}

fn alarm_on<'a>(alarms: &'a [(String, String, Value)], metric: &str) -> &'a Value {
    match alarms.iter().find(|(_, m, _)| m == metric) {
        Some((_, _, p)) => p,
        None => panic!("no alarm on {metric}: {alarms:#?}"),
    }
}

#[test]
fn every_alarm_is_named_by_environment_and_notifies_the_topic_both_ways() {
    let stacks = default_stacks();
    for suffix in ["-application", "-database"] {
        for (id, _, p) in alarms_by_metric(stack(&stacks, suffix)) {
            let topic = json!([{"Fn::ImportValue": "techchallenge-dev-artifacts-AlarmTopic"}]);
            assert_eq!(p["AlarmActions"], topic, "{id}");
            assert_eq!(p["OKActions"], topic, "{id}");
            let name = p["AlarmName"].as_str().unwrap_or_default();
            assert!(name.starts_with("techchallenge-dev-"), "{id}: {name}");
            let period = p["Period"]
                .as_u64()
                .or_else(|| p["Metrics"][0]["MetricStat"]["Period"].as_u64());
            assert!(period.is_some_and(|s| s % 60 == 0), "{id}: {period:?}");
        }
    }
}

#[test]
fn the_application_has_the_four_traffic_alarms_as_rollback_triggers() {
    let stacks = default_stacks();
    let app = stack(&stacks, "-application");
    let alarms = alarms_by_metric(app);
    assert_eq!(alarms.len(), 4, "{alarms:#?}");
    let lb = json!({"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]});
    let tg = json!({"Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"]});

    let elb = alarm_on(&alarms, "HTTPCode_ELB_5XX_Count");
    assert_eq!(elb["AlarmName"], "techchallenge-dev-alb-5xx");
    assert_eq!(
        elb["Dimensions"],
        json!([{"Name": "LoadBalancer", "Value": lb}])
    );
    assert_eq!(elb["Statistic"], "Sum");
    assert_eq!(elb["TreatMissingData"], "notBreaching");

    let rate = alarm_on(&alarms, "HTTPCode_Target_5XX_Count/RequestCount");
    let returned: Vec<_> = rate["Metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|q| q["ReturnData"] == true)
        .collect();
    assert_eq!(returned.len(), 1);
    assert_eq!(
        returned[0]["Expression"],
        "100 * FILL(errors, 0) / requests"
    );
    let both = json!([{"Name": "LoadBalancer", "Value": lb}, {"Name": "TargetGroup", "Value": tg}]);
    assert_eq!(
        rate["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"],
        both
    );
    assert_eq!(rate["TreatMissingData"], "notBreaching");

    let unhealthy = alarm_on(&alarms, "UnHealthyHostCount");
    assert_eq!(unhealthy["Statistic"], "Maximum");
    assert_eq!(unhealthy["Dimensions"], both);
    // Longer than the slowest boot that succeeds (start allowance + boot deadline: 14 min).
    assert_eq!(unhealthy["EvaluationPeriods"], 15);
    assert_eq!(unhealthy["DatapointsToAlarm"], 15);

    let p99 = alarm_on(&alarms, "TargetResponseTime");
    assert_eq!(p99["ExtendedStatistic"], "p99");
    assert!(p99.get("Statistic").is_none());

    // Every traffic alarm's ARN is an output the stack definition names as a rollback trigger.
    let architecture = techchallenge_stacks::Architecture::new(&Settings::default());
    let outputs = architecture
        .ok()
        .and_then(|a| {
            a.stack(techchallenge_stacks::StackRole::Application)
                .map(|s| s.rollback_alarm_outputs.clone())
        })
        .unwrap_or_default();
    assert!((1..=5).contains(&outputs.len()), "{outputs:?}");
    let mut watched: Vec<String> = outputs
        .iter()
        .filter_map(|o| app["Outputs"][o]["Value"]["Fn::GetAtt"][0].as_str())
        .map(str::to_owned)
        .collect();
    watched.sort();
    let mut ids: Vec<String> = alarms.iter().map(|(id, _, _)| id.clone()).collect();
    ids.sort();
    assert_eq!(watched, ids);
    assert!(
        outputs
            .iter()
            .all(|o| app["Outputs"][o]["Value"]["Fn::GetAtt"][1] == "Arn")
    );
}

#[test]
fn the_database_alarms_follow_its_class_and_storage() {
    let stacks = default_stacks();
    let alarms = alarms_by_metric(stack(&stacks, "-database"));
    assert_eq!(alarms.len(), 3, "{alarms:#?}");
    let db = json!([{"Name": "DBInstanceIdentifier", "Value": {"Ref": "Database"}}]);
    for (_, _, p) in &alarms {
        assert_eq!(p["Namespace"], "AWS/RDS");
        assert_eq!(p["Dimensions"], db);
    }
    assert_eq!(alarm_on(&alarms, "CPUUtilization")["Threshold"], 80.0);
    // 10% of the default 20 GiB.
    let storage = alarm_on(&alarms, "FreeStorageSpace");
    assert_eq!(storage["Threshold"], 2_147_483_648.0);
    assert_eq!(storage["ComparisonOperator"], "LessThanThreshold");
    // db.t4g.micro: 1 GiB, of which RDS leaves about three quarters to PostgreSQL.
    assert_eq!(alarm_on(&alarms, "DatabaseConnections")["Threshold"], 67.0);

    let mut settings = Settings::default();
    settings.database.instance_class = "db.r6g.large".into();
    settings.database.allocated_storage_gib = 100;
    let stacks = rendered(&settings);
    let alarms = alarms_by_metric(stack(&stacks, "-database"));
    assert_eq!(
        alarm_on(&alarms, "FreeStorageSpace")["Threshold"],
        10.0 * 1024.0 * 1024.0 * 1024.0
    );
    assert_eq!(
        alarm_on(&alarms, "DatabaseConnections")["Threshold"],
        1080.0
    );
    // The database stack imports the topic, so it depends on the artifacts stack.
    assert!(
        techchallenge_stacks::StackRole::Database
            .depends_on()
            .contains(&techchallenge_stacks::StackRole::Artifacts)
    );
}

#[test]
fn the_load_balancer_logs_to_the_access_log_bucket_under_alb() {
    let stacks = default_stacks();
    let app = stack(&stacks, "-application");
    let attributes = &app["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"];
    let value = |key: &str| {
        attributes
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["Key"] == key)
            .map(|a| a["Value"].clone())
    };
    assert_eq!(value("access_logs.s3.enabled"), Some(json!("true")));
    assert_eq!(
        value("access_logs.s3.bucket"),
        Some(json!({"Fn::ImportValue": "techchallenge-dev-artifacts-AccessLogBucket"}))
    );
    assert_eq!(value("access_logs.s3.prefix"), Some(json!("alb")));
}

#[test]
fn the_group_also_scales_on_requests_per_instance() {
    let mut settings = Settings::default();
    settings.application.target_requests_per_instance = 250;
    for certificate in [
        None,
        Some("arn:aws:acm:us-east-1:123456789012:certificate/abc"),
    ] {
        settings.application.certificate_arn = certificate.map(str::to_owned);
        let stacks = rendered(&settings);
        let app = stack(&stacks, "-application");
        let policy = &app["Resources"]["RequestCountScalingPolicy"];
        let tracking = &policy["Properties"]["TargetTrackingConfiguration"];
        assert_eq!(
            tracking["PredefinedMetricSpecification"],
            json!({
                "PredefinedMetricType": "ALBRequestCountPerTarget",
                "ResourceLabel": {"Fn::Join": ["/", [
                    {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]},
                    {"Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"]}
                ]]}
            })
        );
        assert_eq!(tracking["TargetValue"], 250.0);
        // After the listener that attaches the target group to the load balancer.
        let listener = if certificate.is_some() {
            "HttpsListener"
        } else {
            "HttpListener"
        };
        assert_eq!(policy["DependsOn"], json!([listener]));
        assert!(app["Resources"]["CpuScalingPolicy"].is_object());
    }
}
