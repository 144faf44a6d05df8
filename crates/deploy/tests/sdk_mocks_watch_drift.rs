//! The SDK implementation of rollback triggers and drift against `aws-smithy-mocks`: the
//! `RollbackConfiguration` on CreateChangeSet, UpdateStack and CreateStack (none when the input
//! has none; an empty list when it asks to remove them), `DriftInformation` from DescribeStacks,
//! a detection's status, and the drifted resources (filtered to MODIFIED and DELETED, all pages).

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::config::retry::RetryConfig;
use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::create_stack::CreateStackOutput;
use aws_sdk_cloudformation::operation::describe_stack_drift_detection_status::DescribeStackDriftDetectionStatusOutput;
use aws_sdk_cloudformation::operation::describe_stack_resource_drifts::DescribeStackResourceDriftsOutput;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudformation::operation::detect_stack_drift::DetectStackDriftOutput;
use aws_sdk_cloudformation::operation::update_stack::UpdateStackOutput;
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types as sdk;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use techchallenge_deploy::{
    ChangeSetKind, CloudFormation, DetectionStatus, DifferenceKind, DriftStatus,
    ResourceDriftStatus, RollbackConfiguration, SdkCloudFormation, StackInput, StackName,
    TemplateSource,
};

const ALARM: &str = "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:dev-5xx";

fn cfn(rules: &[&Rule]) -> SdkCloudFormation {
    let client = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, rules, |c| c
        .retry_config(RetryConfig::disabled()));
    SdkCloudFormation::new(client)
}

fn stack() -> StackName {
    StackName::new("dev-application").expect("valid")
}

fn input(rollback: Option<RollbackConfiguration>) -> StackInput {
    StackInput {
        stack: stack(),
        template: TemplateSource::Body("{}".to_owned()),
        parameters: Vec::new(),
        tags: Vec::new(),
        capabilities: Vec::new(),
        request_token: None,
        express: false,
        rollback,
    }
}

/// The triggers' `(ARN, type)` and the minutes of a request's configuration.
fn triggers(config: Option<&sdk::RollbackConfiguration>) -> Option<(Vec<(&str, &str)>, i32)> {
    config.map(|c| {
        (
            c.rollback_triggers()
                .iter()
                .map(|t| (t.arn().unwrap_or_default(), t.r#type().unwrap_or_default()))
                .collect(),
            c.monitoring_time_in_minutes().unwrap_or(-1),
        )
    })
}

#[tokio::test]
async fn the_rollback_configuration_goes_with_change_sets_updates_and_creates() {
    let watched = RollbackConfiguration {
        alarm_arns: vec![ALARM.to_owned()],
        monitoring_minutes: 15,
    };
    let change_set = mock!(Client::create_change_set)
        .match_requests(|r| {
            triggers(r.rollback_configuration())
                == Some((vec![(ALARM, "AWS::CloudWatch::Alarm")], 15))
        })
        .then_output(|| CreateChangeSetOutput::builder().id("cs-arn").build());
    let id = cfn(&[&change_set])
        .create_change_set(&input(Some(watched.clone())), "cs", ChangeSetKind::Update)
        .await;
    assert!(id.is_ok(), "{id:?}");
    assert_eq!(change_set.num_calls(), 1);

    // An empty list is sent as one (it removes the stack's triggers), not left out.
    let cleared = mock!(Client::update_stack)
        .match_requests(|r| triggers(r.rollback_configuration()) == Some((Vec::new(), 0)))
        .then_output(|| UpdateStackOutput::builder().stack_id("arn:stack").build());
    let none = RollbackConfiguration {
        alarm_arns: Vec::new(),
        monitoring_minutes: 0,
    };
    let id = cfn(&[&cleared]).update_stack(&input(Some(none))).await;
    assert!(id.is_ok(), "{id:?}");
    assert_eq!(cleared.num_calls(), 1);

    // No configuration: CloudFormation keeps the stack's.
    let create = mock!(Client::create_stack)
        .match_requests(|r| r.rollback_configuration().is_none())
        .then_output(|| CreateStackOutput::builder().stack_id("arn:stack").build());
    let id = cfn(&[&create]).create_stack(&input(None)).await;
    assert!(id.is_ok(), "{id:?}");
    assert_eq!(create.num_calls(), 1);
}

#[tokio::test]
async fn describe_stacks_reads_the_last_drift_check() {
    let rule = mock!(Client::describe_stacks).then_output(|| {
        DescribeStacksOutput::builder()
            .stacks(
                sdk::Stack::builder()
                    .stack_name("dev-application")
                    .stack_id("arn:stack")
                    .stack_status(sdk::StackStatus::UpdateComplete)
                    .creation_time(DateTime::from_secs(1_764_000_000))
                    .drift_information(
                        sdk::StackDriftInformation::builder()
                            .stack_drift_status(sdk::StackDriftStatus::Drifted)
                            .last_check_timestamp(DateTime::from_secs(1_764_000_600))
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let d = cfn(&[&rule])
        .describe_stack(&stack())
        .await
        .expect("ok")
        .expect("exists");
    assert_eq!(d.drift_status, DriftStatus::Drifted);
    assert_eq!(
        d.drift_checked.map(|t| t.epoch_millis),
        Some(1_764_000_600_000)
    );
}

#[tokio::test]
async fn a_detection_is_started_and_its_status_read() {
    let detect = mock!(Client::detect_stack_drift)
        .match_requests(|r| r.stack_name() == Some("dev-application"))
        .then_output(|| {
            DetectStackDriftOutput::builder()
                .stack_drift_detection_id("d-1")
                .build()
        });
    let status = mock!(Client::describe_stack_drift_detection_status)
        .match_requests(|r| r.stack_drift_detection_id() == Some("d-1"))
        .then_output(|| {
            DescribeStackDriftDetectionStatusOutput::builder()
                .stack_id("arn:stack")
                .stack_drift_detection_id("d-1")
                .detection_status(sdk::StackDriftDetectionStatus::DetectionFailed)
                .detection_status_reason("Failed to detect drift on resource [Group]")
                .stack_drift_status(sdk::StackDriftStatus::Drifted)
                .timestamp(DateTime::from_secs(1_764_000_000))
                .build()
        });
    let cfn = cfn(&[&detect, &status]);
    let id = cfn.detect_stack_drift(&stack()).await.expect("started");
    assert_eq!(id, "d-1");
    let d = cfn
        .describe_stack_drift_detection_status(&stack(), &id)
        .await
        .expect("status");
    assert_eq!(d.status, DetectionStatus::Failed);
    assert_eq!(d.drift_status, Some(DriftStatus::Drifted));
    assert_eq!(
        d.reason.as_deref(),
        Some("Failed to detect drift on resource [Group]")
    );
}

#[tokio::test]
async fn drifted_resources_are_asked_for_by_status_and_every_page_is_read() {
    let modified_and_deleted = |r: &aws_sdk_cloudformation::operation::describe_stack_resource_drifts::DescribeStackResourceDriftsInput| {
        r.stack_resource_drift_status_filters()
            == [
                sdk::StackResourceDriftStatus::Modified,
                sdk::StackResourceDriftStatus::Deleted,
            ]
    };
    let first = mock!(Client::describe_stack_resource_drifts)
        .match_requests(move |r| modified_and_deleted(r) && r.next_token().is_none())
        .then_output(|| {
            DescribeStackResourceDriftsOutput::builder()
                .stack_resource_drifts(
                    sdk::StackResourceDrift::builder()
                        .stack_id("arn:stack")
                        .logical_resource_id("AlbSecurityGroup")
                        .physical_resource_id("sg-1")
                        .resource_type("AWS::EC2::SecurityGroup")
                        .stack_resource_drift_status(sdk::StackResourceDriftStatus::Modified)
                        .property_differences(
                            sdk::PropertyDifference::builder()
                                .property_path("/SecurityGroupIngress/1")
                                .expected_value("")
                                .actual_value("{\"CidrIp\":\"0.0.0.0/0\",\"FromPort\":22}")
                                .difference_type(sdk::DifferenceType::Add)
                                .build(),
                        )
                        .timestamp(DateTime::from_secs(1_764_000_000))
                        .build(),
                )
                .next_token("page-2")
                .build()
        });
    let second = mock!(Client::describe_stack_resource_drifts)
        .match_requests(move |r| modified_and_deleted(r) && r.next_token() == Some("page-2"))
        .then_output(|| {
            DescribeStackResourceDriftsOutput::builder()
                .stack_resource_drifts(
                    sdk::StackResourceDrift::builder()
                        .stack_id("arn:stack")
                        .logical_resource_id("LogGroup")
                        .resource_type("AWS::Logs::LogGroup")
                        .stack_resource_drift_status(sdk::StackResourceDriftStatus::Deleted)
                        .timestamp(DateTime::from_secs(1_764_000_000))
                        .build(),
                )
                .build()
        });
    let drifts = cfn(&[&first, &second])
        .describe_stack_resource_drifts(&stack())
        .await
        .expect("drifts");
    assert_eq!(drifts.len(), 2);
    assert_eq!(drifts[0].status, ResourceDriftStatus::Modified);
    assert_eq!(drifts[0].differences[0].kind, DifferenceKind::Add);
    assert_eq!(drifts[0].differences[0].path, "/SecurityGroupIngress/1");
    assert!(drifts[0].differences[0].actual.contains("0.0.0.0/0"));
    assert_eq!(drifts[1].logical_id.as_str(), "LogGroup");
    assert_eq!(drifts[1].status, ResourceDriftStatus::Deleted);
    assert!(drifts[1].differences.is_empty());
}
