//! Conversions between the SDK's types and the engine's, in both directions. An optional field
//! that should always be there becomes `ApiError::UnexpectedResponse`, never a panic.

use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types as sdk;

use crate::cloudformation::ApiError;
use crate::cloudformation::{
    ChangeAction, PropertyChange, Replacement, ResourceChange, StackDescription, StackEvent,
    StackInput, StackOutput, Timestamp,
};
use crate::drift::DriftStatus;
use crate::names::{ExportName, LogicalId, RequestToken, StackName};
use crate::spec::{Parameter, ParameterValue, Tag};
use crate::status::{ResourceStatus, StackStatus};

pub(super) fn missing(operation: &'static str, what: &str) -> ApiError {
    ApiError::UnexpectedResponse {
        operation,
        detail: format!("no {what}"),
    }
}

/// A stack name as `operation` answered it; one we could not have asked for is an unexpected answer.
pub(super) fn answered_name(operation: &'static str, name: &str) -> Result<StackName, ApiError> {
    StackName::new(name).map_err(|e| ApiError::UnexpectedResponse {
        operation,
        detail: e.to_string(),
    })
}

/// The token to ask for the next page, or `None` after the last one (CloudFormation may end
/// with an empty token rather than none).
pub(super) fn next_page(token: Option<&str>) -> Option<String> {
    token.filter(|t| !t.is_empty()).map(str::to_owned)
}

/// The idempotency token as the SDK takes it.
pub(super) fn request_token(token: Option<&RequestToken>) -> Option<String> {
    token.map(|t| t.as_str().to_owned())
}

pub(super) fn timestamp(t: &DateTime) -> Timestamp {
    Timestamp::from_epoch_millis(t.to_millis().unwrap_or(i64::MAX))
}

pub(super) fn parameters(params: &[Parameter]) -> Vec<sdk::Parameter> {
    params
        .iter()
        .map(|p| {
            let b = sdk::Parameter::builder().parameter_key(&p.key);
            match &p.value {
                ParameterValue::Value(v) => b.parameter_value(v),
                ParameterValue::UsePrevious => b.use_previous_value(true),
            }
            .build()
        })
        .collect()
}

pub(super) fn tags(input: &StackInput) -> Vec<sdk::Tag> {
    input
        .tags
        .iter()
        .map(|t| sdk::Tag::builder().key(&t.key).value(&t.value).build())
        .collect()
}

/// Express mode when the input asks for it; CloudFormation's default (standard) otherwise.
pub(super) fn deployment_config(input: &StackInput) -> Option<sdk::DeploymentConfig> {
    input.express.then(|| {
        sdk::DeploymentConfig::builder()
            .mode(sdk::DeploymentConfigMode::Express)
            .build()
    })
}

/// The input's rollback triggers as the SDK takes them; `None` sends no configuration, so
/// CloudFormation keeps the stack's (an empty list removes them).
pub(super) fn rollback_configuration(input: &StackInput) -> Option<sdk::RollbackConfiguration> {
    input.rollback.as_ref().map(|r| {
        let triggers = r
            .alarm_arns
            .iter()
            .map(|arn| {
                sdk::RollbackTrigger::builder()
                    .arn(arn)
                    .r#type("AWS::CloudWatch::Alarm")
                    .build()
            })
            .collect();
        sdk::RollbackConfiguration::builder()
            .set_rollback_triggers(Some(triggers))
            .monitoring_time_in_minutes(i32::try_from(r.monitoring_minutes).unwrap_or(i32::MAX))
            .build()
    })
}

pub(super) fn capabilities(input: &StackInput) -> Vec<sdk::Capability> {
    input
        .capabilities
        .iter()
        .map(|c| sdk::Capability::from(c.as_str()))
        .collect()
}

pub(super) fn stack(s: &sdk::Stack) -> Result<StackDescription, ApiError> {
    const OP: &str = "DescribeStacks";
    let name = s.stack_name().ok_or_else(|| missing(OP, "StackName"))?;
    Ok(StackDescription {
        name: answered_name(OP, name)?,
        id: s
            .stack_id()
            .ok_or_else(|| missing(OP, "StackId"))?
            .to_owned(),
        status: StackStatus::new(
            s.stack_status()
                .ok_or_else(|| missing(OP, "StackStatus"))?
                .as_str(),
        ),
        status_reason: s.stack_status_reason().map(str::to_owned),
        created: timestamp(
            s.creation_time()
                .ok_or_else(|| missing(OP, "CreationTime"))?,
        ),
        last_updated: s.last_updated_time().map(timestamp),
        outputs: s
            .outputs()
            .iter()
            .map(|o| {
                Ok(StackOutput {
                    key: o
                        .output_key()
                        .ok_or_else(|| missing(OP, "OutputKey"))?
                        .to_owned(),
                    value: o.output_value().unwrap_or_default().to_owned(),
                    export_name: o.export_name().map(ExportName::new),
                    description: o.description().map(str::to_owned),
                })
            })
            .collect::<Result<_, ApiError>>()?,
        parameters: s
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_owned(),
                    p.parameter_value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
        tags: s
            .tags()
            .iter()
            .filter_map(|t| {
                Some(Tag {
                    key: t.key()?.to_owned(),
                    value: t.value().unwrap_or_default().to_owned(),
                })
            })
            .collect(),
        termination_protection: s.enable_termination_protection().unwrap_or(false),
        drift_status: s
            .drift_information()
            .and_then(|d| d.stack_drift_status())
            .map_or(DriftStatus::NotChecked, |d| DriftStatus::parse(d.as_str())),
        drift_checked: s
            .drift_information()
            .and_then(|d| d.last_check_timestamp())
            .map(timestamp),
    })
}

pub(super) fn event(e: &sdk::StackEvent) -> Result<StackEvent, ApiError> {
    const OP: &str = "DescribeStackEvents";
    Ok(StackEvent {
        event_id: e
            .event_id()
            .ok_or_else(|| missing(OP, "EventId"))?
            .to_owned(),
        logical_id: LogicalId::new(
            e.logical_resource_id()
                .ok_or_else(|| missing(OP, "LogicalResourceId"))?,
        ),
        physical_id: e
            .physical_resource_id()
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
        resource_type: e.resource_type().unwrap_or_default().to_owned(),
        status: ResourceStatus::new(
            e.resource_status()
                .ok_or_else(|| missing(OP, "ResourceStatus"))?
                .as_str(),
        ),
        reason: e.resource_status_reason().map(str::to_owned),
        timestamp: timestamp(e.timestamp().ok_or_else(|| missing(OP, "Timestamp"))?),
        request_token: e.client_request_token().map(RequestToken::new),
    })
}

pub(super) fn replacement(r: &str) -> Replacement {
    match r {
        "True" | "Always" => Replacement::Always,
        "Conditional" | "Conditionally" => Replacement::Conditional,
        _ => Replacement::Never,
    }
}

pub(super) fn resource_change(c: &sdk::ResourceChange) -> Result<ResourceChange, ApiError> {
    const OP: &str = "DescribeChangeSet";
    let action = match c.action().ok_or_else(|| missing(OP, "Action"))?.as_str() {
        "Add" => ChangeAction::Add,
        "Modify" => ChangeAction::Modify,
        "Remove" => ChangeAction::Remove,
        "Import" => ChangeAction::Import,
        _ => ChangeAction::Dynamic,
    };
    let details = c
        .details()
        .iter()
        .filter_map(|d| {
            let target = d.target()?;
            let path = target
                .path()
                .map(str::to_owned)
                .or_else(|| target.name().map(|n| format!("/Properties/{n}")))
                .or_else(|| target.attribute().map(|a| a.as_str().to_owned()))?;
            Some(PropertyChange {
                path,
                before: target.before_value().map(str::to_owned),
                after: target.after_value().map(str::to_owned),
                requires_recreation: target
                    .requires_recreation()
                    .map_or(Replacement::Never, |r| replacement(r.as_str())),
                cause: d.change_source().map(|s| s.as_str().to_owned()),
            })
        })
        .collect();
    Ok(ResourceChange {
        action,
        logical_id: LogicalId::new(
            c.logical_resource_id()
                .ok_or_else(|| missing(OP, "LogicalResourceId"))?,
        ),
        physical_id: c.physical_resource_id().map(str::to_owned),
        resource_type: c
            .resource_type()
            .ok_or_else(|| missing(OP, "ResourceType"))?
            .to_owned(),
        replacement: c.replacement().map(|r| replacement(r.as_str())),
        details,
        before_context: c.before_context().map(str::to_owned),
        after_context: c.after_context().map(str::to_owned),
    })
}
