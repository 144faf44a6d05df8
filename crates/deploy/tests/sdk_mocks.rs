//! The SDK implementation against `aws-smithy-mocks`: conversions of DescribeStacks, GetTemplate,
//! DescribeChangeSet (property-level details, replacement, pagination), DescribeStackEvents,
//! ListImports (pagination, names checked), and the classification of errors (throttling,
//! "does not exist", "No updates", not imported).

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::config::retry::RetryConfig;
use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_events::{
    DescribeStackEventsError, DescribeStackEventsOutput,
};
use aws_sdk_cloudformation::operation::describe_stacks::{
    DescribeStacksError, DescribeStacksOutput,
};
use aws_sdk_cloudformation::operation::get_template::GetTemplateOutput;
use aws_sdk_cloudformation::operation::list_imports::{ListImportsError, ListImportsOutput};
use aws_sdk_cloudformation::operation::update_stack::UpdateStackError;
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types as sdk;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use techchallenge_deploy::{
    ApiError, ChangeAction, ChangeSetId, CloudFormation, ExportName, Replacement,
    SdkCloudFormation, StackInput, StackName, Tag, TemplateSource,
};

fn cfn(rules: &[&Rule]) -> SdkCloudFormation {
    let client = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, rules, |c| c
        .retry_config(RetryConfig::disabled()));
    SdkCloudFormation::new(client)
}

fn stack() -> StackName {
    StackName::new("dev-database").expect("valid")
}

fn error(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

#[tokio::test]
async fn describe_stacks_converts_status_times_outputs_and_parameters() {
    let rule = mock!(Client::describe_stacks).then_output(|| {
        DescribeStacksOutput::builder()
            .stacks(
                sdk::Stack::builder()
                    .stack_name("dev-database")
                    .stack_id("arn:aws:cloudformation:eu-west-1:123456789012:stack/dev-database/1")
                    .stack_status(sdk::StackStatus::UpdateRollbackComplete)
                    .stack_status_reason("The following resource(s) failed to update: [Database].")
                    .creation_time(DateTime::from_secs(1_764_000_000))
                    .last_updated_time(DateTime::from_secs(1_764_000_600))
                    .outputs(
                        sdk::Output::builder()
                            .output_key("Endpoint")
                            .output_value("db.abc.eu-west-1.rds.amazonaws.com")
                            .export_name("dev-database-Endpoint")
                            .build(),
                    )
                    .parameters(
                        sdk::Parameter::builder()
                            .parameter_key("DeletionProtection")
                            .parameter_value("true")
                            .build(),
                    )
                    .tags(sdk::Tag::builder().key("project").value("tc").build())
                    .build(),
            )
            .build()
    });
    let d = cfn(&[&rule])
        .describe_stack(&stack())
        .await
        .expect("ok")
        .expect("exists");
    assert_eq!(d.status.as_str(), "UPDATE_ROLLBACK_COMPLETE");
    assert!(d.status.is_usable() && d.status.is_failure());
    assert_eq!(
        d.status_reason.as_deref(),
        Some("The following resource(s) failed to update: [Database].")
    );
    assert_eq!(d.created.rfc3339, "2025-11-24T16:00:00Z");
    assert_eq!(d.last_changed().epoch_millis, 1_764_000_600_000);
    assert_eq!(
        d.outputs[0].export_name,
        Some(ExportName::new("dev-database-Endpoint"))
    );
    assert_eq!(
        d.parameters,
        [("DeletionProtection".to_owned(), "true".to_owned())]
    );
    assert_eq!(
        d.tags,
        [Tag {
            key: "project".to_owned(),
            value: "tc".to_owned()
        }]
    );
}

#[tokio::test]
async fn express_mode_is_sent_only_when_asked_for() {
    let express = |on: bool| {
        mock!(Client::create_stack)
            .match_requests(move |r| {
                let mode = r.deployment_config().and_then(|c| c.mode());
                mode == on.then_some(&sdk::DeploymentConfigMode::Express)
            })
            .then_output(|| {
                aws_sdk_cloudformation::operation::create_stack::CreateStackOutput::builder()
                    .stack_id("arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1")
                    .build()
            })
    };
    for on in [true, false] {
        let input = StackInput {
            stack: stack(),
            template: TemplateSource::Body("{}".to_owned()),
            parameters: Vec::new(),
            tags: Vec::new(),
            capabilities: Vec::new(),
            request_token: None,
            express: on,
            rollback: None,
        };
        let rule = express(on);
        let id = cfn(&[&rule]).create_stack(&input).await;
        assert!(id.is_ok(), "express {on}: {id:?}");
        assert_eq!(rule.num_calls(), 1);
    }
}

#[tokio::test]
async fn get_template_asks_for_the_original_template_and_returns_its_body() {
    let rule = mock!(Client::get_template)
        .match_requests(|r| {
            r.stack_name() == Some("dev-database")
                && r.template_stage() == Some(&sdk::TemplateStage::Original)
        })
        .then_output(|| {
            GetTemplateOutput::builder()
                .template_body(r#"{"Resources":{}}"#)
                .build()
        });
    let body = cfn(&[&rule]).get_template(&stack()).await.expect("ok");
    assert_eq!(body, r#"{"Resources":{}}"#);

    let empty = mock!(Client::get_template).then_output(|| GetTemplateOutput::builder().build());
    let err = cfn(&[&empty])
        .get_template(&stack())
        .await
        .expect_err("no body");
    assert!(matches!(err, ApiError::UnexpectedResponse { .. }), "{err}");
}

#[tokio::test]
async fn a_stack_that_does_not_exist_is_none_and_a_missing_status_is_unexpected() {
    let missing = mock!(Client::describe_stacks)
        .match_requests(|r| r.stack_name() == Some("dev-database"))
        .then_error(|| {
            DescribeStacksError::generic(error(
                "ValidationError",
                "Stack with id dev-database does not exist",
            ))
        });
    assert_eq!(
        cfn(&[&missing]).describe_stack(&stack()).await.expect("ok"),
        None
    );

    let odd = mock!(Client::describe_stacks).then_output(|| {
        DescribeStacksOutput::builder()
            .stacks(
                sdk::Stack::builder()
                    .stack_name("dev-database")
                    .stack_id("arn")
                    .creation_time(DateTime::from_secs(1))
                    .build(),
            )
            .build()
    });
    let err = cfn(&[&odd])
        .describe_stack(&stack())
        .await
        .expect_err("no status");
    assert!(
        matches!(&err, ApiError::UnexpectedResponse { operation: "DescribeStacks", detail } if detail.contains("StackStatus")),
        "{err}"
    );
}

#[tokio::test]
async fn describe_change_set_keeps_property_details_and_replacement_across_pages() {
    let rule = mock!(Client::describe_change_set)
        .match_requests(|r| r.include_property_values() == Some(true))
        .sequence()
        .output(|| {
            DescribeChangeSetOutput::builder()
                .change_set_id("arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs/1")
                .status(sdk::ChangeSetStatus::CreateComplete)
                .execution_status(sdk::ExecutionStatus::Available)
                .changes(
                    sdk::Change::builder()
                        .r#type(sdk::ChangeType::Resource)
                        .resource_change(
                            sdk::ResourceChange::builder()
                                .action(sdk::ChangeAction::Modify)
                                .logical_resource_id("Database")
                                .physical_resource_id("dev-db")
                                .resource_type("AWS::RDS::DBInstance")
                                .replacement(sdk::Replacement::True)
                                .details(
                                    sdk::ResourceChangeDetail::builder()
                                        .change_source(sdk::ChangeSource::DirectModification)
                                        .target(
                                            sdk::ResourceTargetDefinition::builder()
                                                .attribute(sdk::ResourceAttribute::Properties)
                                                .name("DBSubnetGroupName")
                                                .path("/Properties/DBSubnetGroupName")
                                                .requires_recreation(
                                                    sdk::RequiresRecreation::Always,
                                                )
                                                .before_value("old-group")
                                                .after_value("new-group")
                                                .build(),
                                        )
                                        .build(),
                                )
                                .before_context(
                                    r#"{"Properties":{"DBSubnetGroupName":"old-group"}}"#,
                                )
                                .after_context(
                                    r#"{"Properties":{"DBSubnetGroupName":"new-group"}}"#,
                                )
                                .build(),
                        )
                        .build(),
                )
                .next_token("page-2")
                .build()
        })
        .output(|| {
            DescribeChangeSetOutput::builder()
                .status(sdk::ChangeSetStatus::CreateComplete)
                .changes(
                    sdk::Change::builder()
                        .resource_change(
                            sdk::ResourceChange::builder()
                                .action(sdk::ChangeAction::Add)
                                .logical_resource_id("Alarm")
                                .resource_type("AWS::CloudWatch::Alarm")
                                .build(),
                        )
                        .build(),
                )
                .build()
        })
        .build();
    let d = cfn(&[&rule])
        .describe_change_set(&stack(), &ChangeSetId::new("cs"))
        .await
        .expect("ok");
    assert_eq!(d.status, "CREATE_COMPLETE");
    assert_eq!(d.execution_status.as_deref(), Some("AVAILABLE"));
    assert_eq!(d.changes.len(), 2, "both pages");
    let db = &d.changes[0];
    assert_eq!(
        (db.action, db.replacement),
        (ChangeAction::Modify, Some(Replacement::Always))
    );
    let p = &db.details[0];
    assert_eq!(p.path, "/Properties/DBSubnetGroupName");
    assert_eq!(
        (p.before.as_deref(), p.after.as_deref()),
        (Some("old-group"), Some("new-group"))
    );
    assert_eq!(p.requires_recreation, Replacement::Always);
    assert_eq!(p.cause.as_deref(), Some("DirectModification"));
    assert!(
        db.before_context
            .as_deref()
            .is_some_and(|c| c.contains("old-group"))
    );
    assert_eq!(d.changes[1].action, ChangeAction::Add);
}

#[tokio::test]
async fn an_empty_change_set_is_recognised_by_its_reason() {
    let rule = mock!(Client::describe_change_set).then_output(|| {
        DescribeChangeSetOutput::builder()
            .change_set_id("arn:cs")
            .status(sdk::ChangeSetStatus::Failed)
            .status_reason("The submitted information didn't contain changes. Submit different information to create a change set.")
            .build()
    });
    let d = cfn(&[&rule])
        .describe_change_set(&stack(), &ChangeSetId::new("cs"))
        .await
        .expect("ok");
    assert!(d.is_empty_change());
}

#[tokio::test]
async fn stack_events_carry_status_reason_and_request_token() {
    let rule = mock!(Client::describe_stack_events).then_output(|| {
        DescribeStackEventsOutput::builder()
            .stack_events(
                sdk::StackEvent::builder()
                    .event_id("Database-CREATE_FAILED-2026-11-28T01:00:00.000Z")
                    .stack_id("arn")
                    .stack_name("dev-database")
                    .logical_resource_id("Database")
                    .physical_resource_id("")
                    .resource_type("AWS::RDS::DBInstance")
                    .timestamp(DateTime::from_secs(1_764_291_600))
                    .resource_status(sdk::ResourceStatus::CreateFailed)
                    .resource_status_reason("Resource handler returned message: \"Cannot find version 11.22 for postgres\"")
                    .client_request_token("techchallenge-1-deploy-3-dev-database")
                    .build(),
            )
            .build()
    });
    let events = cfn(&[&rule])
        .describe_stack_events(&stack())
        .await
        .expect("ok");
    let e = &events[0];
    assert_eq!(e.logical_id.as_str(), "Database");
    assert!(e.status.is_failed());
    assert_eq!(e.physical_id, None, "an empty physical id means none yet");
    assert!(
        e.reason
            .as_deref()
            .is_some_and(|r| r.contains("Cannot find version"))
    );
    assert_eq!(
        e.request_token.as_ref().map(|t| t.as_str()),
        Some("techchallenge-1-deploy-3-dev-database")
    );
    assert_eq!(e.timestamp.rfc3339, "2025-11-28T01:00:00Z");
}

#[tokio::test]
async fn errors_are_classified() {
    let throttled = mock!(Client::describe_stack_events)
        .then_error(|| DescribeStackEventsError::generic(error("Throttling", "Rate exceeded")));
    let err = cfn(&[&throttled])
        .describe_stack_events(&stack())
        .await
        .expect_err("throttled");
    assert_eq!(
        err,
        ApiError::Throttling {
            message: "Rate exceeded".to_owned()
        }
    );

    let gone = mock!(Client::describe_stack_events).then_error(|| {
        DescribeStackEventsError::generic(error(
            "ValidationError",
            "Stack [dev-database] does not exist",
        ))
    });
    assert!(matches!(
        cfn(&[&gone]).describe_stack_events(&stack()).await,
        Err(ApiError::NotFound { .. })
    ));

    let no_updates = mock!(Client::update_stack).then_error(|| {
        UpdateStackError::generic(error("ValidationError", "No updates are to be performed."))
    });
    let input = StackInput {
        stack: stack(),
        template: TemplateSource::UsePrevious,
        parameters: Vec::new(),
        tags: Vec::new(),
        capabilities: Vec::new(),
        request_token: None,
        express: false,
        rollback: None,
    };
    assert_eq!(
        cfn(&[&no_updates]).update_stack(&input).await,
        Err(ApiError::NoUpdates)
    );

    let invalid = mock!(Client::update_stack).then_error(|| {
        UpdateStackError::generic(error(
            "ValidationError",
            "Template format error: Unresolved resource dependencies [Vpc]",
        ))
    });
    let err = cfn(&[&invalid])
        .update_stack(&input)
        .await
        .expect_err("invalid");
    assert!(
        matches!(&err, ApiError::Service { code, message } if code == "ValidationError" && message.contains("Unresolved"))
    );

    let unused = mock!(Client::list_imports).then_error(|| {
        ListImportsError::generic(error(
            "ValidationError",
            "Export 'dev-network-VpcId' is not imported by any stack.",
        ))
    });
    let importers = cfn(&[&unused])
        .list_imports(&ExportName::new("dev-network-VpcId"))
        .await
        .expect("ok");
    assert!(importers.is_empty());
}

#[tokio::test]
async fn list_imports_follows_pages_until_an_empty_token_and_checks_names() {
    let export = ExportName::new("dev-network-VpcId");
    let first = mock!(Client::list_imports)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            ListImportsOutput::builder()
                .imports("dev-database")
                .next_token("page-2")
                .build()
        });
    let second = mock!(Client::list_imports)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            ListImportsOutput::builder()
                .imports("dev-application")
                .next_token("")
                .build()
        });
    let importers = cfn(&[&first, &second])
        .list_imports(&export)
        .await
        .expect("both pages");
    let importers: Vec<_> = importers.iter().map(StackName::as_str).collect();
    assert_eq!(importers, ["dev-database", "dev-application"]);
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));

    let odd = mock!(Client::list_imports)
        .then_output(|| ListImportsOutput::builder().imports("not a stack!").build());
    let err = cfn(&[&odd])
        .list_imports(&export)
        .await
        .expect_err("a name CloudFormation could not have");
    assert!(
        matches!(
            &err,
            ApiError::UnexpectedResponse {
                operation: "ListImports",
                ..
            }
        ),
        "{err}"
    );
}
