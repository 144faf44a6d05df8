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
