//! The one place that talks to the AWS SDK: implements [`CloudFormation`] with
//! `aws-sdk-cloudformation`, converts every SDK type to ours, and classifies SDK errors.
//! An optional field that should always be there becomes `ApiError::UnexpectedResponse`, never a panic.

use async_trait::async_trait;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types as sdk;

use crate::cloudformation::ApiError;
use crate::cloudformation::{
    ChangeAction, ChangeSetDescription, ChangeSetKind, CloudFormation, PropertyChange, Replacement,
    ResourceChange, StackDescription, StackEvent, StackInput, StackOutput, TemplateSource,
    Timestamp,
};
use crate::names::{ChangeSetId, ExportName, LogicalId, RequestToken, StackName};
use crate::spec::{Parameter, ParameterValue, Tag};
use crate::status::{ResourceStatus, StackStatus};

/// [`CloudFormation`] over the official SDK client.
#[derive(Debug, Clone)]
pub struct SdkCloudFormation {
    client: Client,
}

impl SdkCloudFormation {
    /// Wraps a client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// A client for a loaded SDK configuration (region, credentials, endpoint: the caller's
    /// choice; the CLI builds it from its flags and the standard credential chain).
    pub fn from_config(config: &aws_types::SdkConfig) -> Self {
        Self::new(Client::new(config))
    }
}

/// Sorts an SDK error into what the engine reacts to.
pub(crate) fn classify<E>(err: SdkError<E, HttpResponse>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let Some(code) = err.code().map(str::to_owned) else {
        // An answer without an error code (e.g. an emulator's HTML 500 page) is still an answer.
        if let SdkError::ServiceError(service) = &err {
            return ApiError::Service {
                code: format!("HTTP {}", service.raw().status().as_u16()),
                message: "the endpoint answered with an error it did not describe".to_owned(),
            };
        }
        let message = error_chain(&err);
        tracing::debug!(error = %DisplayErrorContext(&err), "CloudFormation call failed");
        // For a connection that failed, the innermost causes say it ("tcp connect error:
        // Connection refused"); the layers above only say "dispatch failure".
        let unreachable = match &err {
            SdkError::DispatchFailure(d) => d.is_io() || d.is_timeout(),
            SdkError::TimeoutError(_) => true,
            _ => false,
        };
        if unreachable {
            let parts: Vec<&str> = message.split(": ").collect();
            let start = parts.len().saturating_sub(2);
            return ApiError::Unreachable {
                message: parts[start..].join(": "),
            };
        }
        return ApiError::Transport { message };
    };
    let message = err.message().unwrap_or_default().to_owned();
    if matches!(
        code.as_str(),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded"
    ) || message.contains("Rate exceeded")
    {
        ApiError::Throttling { message }
    } else if message.contains("No updates are to be performed")
        || message.contains("didn't contain changes")
    {
        ApiError::NoUpdates
    } else if message.contains("does not exist")
        || code.starts_with("ChangeSetNotFound")
        || code == "StackNotFoundException"
    {
        ApiError::NotFound { message }
    } else if code == "AlreadyExistsException" {
        ApiError::AlreadyExists { message }
    } else if matches!(
        code.as_str(),
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation"
    ) {
        ApiError::AccessDenied { message }
    } else if matches!(code.as_str(), "ExpiredToken" | "ExpiredTokenException") {
        // Not `RequestExpired`: that is the request's timestamp (a clock off by minutes), not
        // the credentials; AWS's own message, shown as it is, says so.
        ApiError::Expired { message }
    } else if matches!(
        code.as_str(),
        "InvalidClientTokenId" | "UnrecognizedClientException" | "SignatureDoesNotMatch"
    ) {
        ApiError::BadCredentials { message }
    } else {
        ApiError::Service { code, message }
    }
}

/// An error and its causes in their own words, without the SDK's debug dump (which `-v` logs):
/// each cause once, the innermost last.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

fn missing(operation: &'static str, what: &str) -> ApiError {
    ApiError::UnexpectedResponse {
        operation,
        detail: format!("no {what}"),
    }
}

/// A stack name as `operation` answered it; one we could not have asked for is an unexpected answer.
fn answered_name(operation: &'static str, name: &str) -> Result<StackName, ApiError> {
    StackName::new(name).map_err(|e| ApiError::UnexpectedResponse {
        operation,
        detail: e.to_string(),
    })
}

/// The token to ask for the next page, or `None` after the last one (CloudFormation may end
/// with an empty token rather than none).
fn next_page(token: Option<&str>) -> Option<String> {
    token.filter(|t| !t.is_empty()).map(str::to_owned)
}

/// The idempotency token as the SDK takes it.
fn request_token(token: Option<&RequestToken>) -> Option<String> {
    token.map(|t| t.as_str().to_owned())
}

/// Awaits a call whose answer carries nothing the engine needs: only its failure matters.
async fn acknowledged<O, E>(
    call: impl Future<Output = Result<O, SdkError<E, HttpResponse>>>,
) -> Result<(), ApiError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    call.await.map(|_| ()).map_err(classify)
}

fn timestamp(t: &DateTime) -> Timestamp {
    Timestamp::from_epoch_millis(t.to_millis().unwrap_or(i64::MAX))
}

fn parameters(params: &[Parameter]) -> Vec<sdk::Parameter> {
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

fn tags(input: &StackInput) -> Vec<sdk::Tag> {
    input
        .tags
        .iter()
        .map(|t| sdk::Tag::builder().key(&t.key).value(&t.value).build())
        .collect()
}

/// Express mode when the input asks for it; CloudFormation's default (standard) otherwise.
fn deployment_config(input: &StackInput) -> Option<sdk::DeploymentConfig> {
    input.express.then(|| {
        sdk::DeploymentConfig::builder()
            .mode(sdk::DeploymentConfigMode::Express)
            .build()
    })
}

fn capabilities(input: &StackInput) -> Vec<sdk::Capability> {
    input
        .capabilities
        .iter()
        .map(|c| sdk::Capability::from(c.as_str()))
        .collect()
}

pub(crate) fn stack(s: &sdk::Stack) -> Result<StackDescription, ApiError> {
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
    })
}

pub(crate) fn event(e: &sdk::StackEvent) -> Result<StackEvent, ApiError> {
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

fn replacement(r: &str) -> Replacement {
    match r {
        "True" | "Always" => Replacement::Always,
        "Conditional" | "Conditionally" => Replacement::Conditional,
        _ => Replacement::Never,
    }
}

pub(crate) fn resource_change(c: &sdk::ResourceChange) -> Result<ResourceChange, ApiError> {
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

#[async_trait]
impl CloudFormation for SdkCloudFormation {
    async fn describe_stack(
        &self,
        stack: &StackName,
    ) -> Result<Option<StackDescription>, ApiError> {
        match self
            .client
            .describe_stacks()
            .stack_name(stack.as_str())
            .send()
            .await
        {
            Ok(out) => out.stacks().first().map(self::stack).transpose(),
            Err(e) => match classify(e) {
                ApiError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn create_stack(&self, input: &StackInput) -> Result<String, ApiError> {
        let TemplateSource::Body(body) = &input.template else {
            return Err(ApiError::Service {
                code: "InvalidRequest".into(),
                message: "CreateStack needs a template body".into(),
            });
        };
        let out = self
            .client
            .create_stack()
            .stack_name(input.stack.as_str())
            .template_body(body)
            .set_parameters(Some(parameters(&input.parameters)))
            .set_tags(Some(tags(input)))
            .set_capabilities(Some(capabilities(input)))
            .set_deployment_config(deployment_config(input))
            .set_client_request_token(request_token(input.request_token.as_ref()))
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .stack_id()
            .ok_or_else(|| missing("CreateStack", "StackId"))?
            .to_owned())
    }

    async fn update_stack(&self, input: &StackInput) -> Result<String, ApiError> {
        let req = self.client.update_stack().stack_name(input.stack.as_str());
        let req = match &input.template {
            TemplateSource::Body(body) => req.template_body(body),
            TemplateSource::UsePrevious => req.use_previous_template(true),
        };
        let out = req
            .set_parameters(Some(parameters(&input.parameters)))
            .set_tags(Some(tags(input)))
            .set_capabilities(Some(capabilities(input)))
            .set_deployment_config(deployment_config(input))
            .set_client_request_token(request_token(input.request_token.as_ref()))
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .stack_id()
            .ok_or_else(|| missing("UpdateStack", "StackId"))?
            .to_owned())
    }

    async fn delete_stack(
        &self,
        stack: &StackName,
        token: Option<&RequestToken>,
    ) -> Result<(), ApiError> {
        acknowledged(
            self.client
                .delete_stack()
                .stack_name(stack.as_str())
                .set_client_request_token(request_token(token))
                .send(),
        )
        .await
    }

    async fn cancel_update_stack(&self, stack: &StackName) -> Result<(), ApiError> {
        acknowledged(
            self.client
                .cancel_update_stack()
                .stack_name(stack.as_str())
                .send(),
        )
        .await
    }

    async fn create_change_set(
        &self,
        input: &StackInput,
        name: &str,
        kind: ChangeSetKind,
    ) -> Result<ChangeSetId, ApiError> {
        let req = self
            .client
            .create_change_set()
            .stack_name(input.stack.as_str())
            .change_set_name(name)
            .change_set_type(match kind {
                ChangeSetKind::Create => sdk::ChangeSetType::Create,
                ChangeSetKind::Update => sdk::ChangeSetType::Update,
            });
        let req = match &input.template {
            TemplateSource::Body(body) => req.template_body(body),
            TemplateSource::UsePrevious => req.use_previous_template(true),
        };
        let out = req
            .set_parameters(Some(parameters(&input.parameters)))
            .set_tags(Some(tags(input)))
            .set_capabilities(Some(capabilities(input)))
            .set_deployment_config(deployment_config(input))
            .send()
            .await
            .map_err(classify)?;
        Ok(ChangeSetId::new(
            out.id().ok_or_else(|| missing("CreateChangeSet", "Id"))?,
        ))
    }

    async fn describe_change_set(
        &self,
        stack: &StackName,
        change_set: &ChangeSetId,
    ) -> Result<ChangeSetDescription, ApiError> {
        const OP: &str = "DescribeChangeSet";
        let mut next: Option<String> = None;
        let mut description: Option<ChangeSetDescription> = None;
        loop {
            let out = self
                .client
                .describe_change_set()
                .stack_name(stack.as_str())
                .change_set_name(change_set.as_str())
                .include_property_values(true)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(classify)?;
            let changes = out
                .changes()
                .iter()
                .filter_map(|c| c.resource_change())
                .map(resource_change)
                .collect::<Result<Vec<_>, _>>()?;
            match &mut description {
                Some(d) => d.changes.extend(changes),
                None => {
                    description = Some(ChangeSetDescription {
                        id: ChangeSetId::new(out.change_set_id().unwrap_or(change_set.as_str())),
                        status: out
                            .status()
                            .ok_or_else(|| missing(OP, "Status"))?
                            .as_str()
                            .to_owned(),
                        status_reason: out.status_reason().map(str::to_owned),
                        execution_status: out.execution_status().map(|s| s.as_str().to_owned()),
                        changes,
                    })
                }
            }
            next = next_page(out.next_token());
            if next.is_none() {
                break;
            }
        }
        description.ok_or_else(|| missing(OP, "response"))
    }

    async fn execute_change_set(
        &self,
        stack: &StackName,
        change_set: &ChangeSetId,
        token: Option<&RequestToken>,
    ) -> Result<(), ApiError> {
        acknowledged(
            self.client
                .execute_change_set()
                .stack_name(stack.as_str())
                .change_set_name(change_set.as_str())
                .set_client_request_token(request_token(token))
                .send(),
        )
        .await
    }

    async fn delete_change_set(
        &self,
        stack: &StackName,
        change_set: &ChangeSetId,
    ) -> Result<(), ApiError> {
        acknowledged(
            self.client
                .delete_change_set()
                .stack_name(stack.as_str())
                .change_set_name(change_set.as_str())
                .send(),
        )
        .await
    }

    async fn describe_stack_events(&self, stack: &StackName) -> Result<Vec<StackEvent>, ApiError> {
        let out = self
            .client
            .describe_stack_events()
            .stack_name(stack.as_str())
            .send()
            .await
            .map_err(classify)?;
        out.stack_events().iter().map(event).collect()
    }

    async fn get_template(&self, stack: &StackName) -> Result<String, ApiError> {
        let out = self
            .client
            .get_template()
            .stack_name(stack.as_str())
            .template_stage(sdk::TemplateStage::Original)
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .template_body()
            .ok_or_else(|| missing("GetTemplate", "TemplateBody"))?
            .to_owned())
    }

    async fn list_imports(&self, export: &ExportName) -> Result<Vec<StackName>, ApiError> {
        let mut next: Option<String> = None;
        let mut importers = Vec::new();
        loop {
            let out = match self
                .client
                .list_imports()
                .export_name(export.as_str())
                .set_next_token(next.take())
                .send()
                .await
            {
                Ok(out) => out,
                // CloudFormation answers "Export 'x' is not imported by any stack." as a ValidationError.
                Err(e) => match classify(e) {
                    ApiError::Service { message, .. }
                        if message.contains("is not imported by any stack") =>
                    {
                        return Ok(importers);
                    }
                    other => return Err(other),
                },
            };
            for name in out.imports() {
                importers.push(answered_name("ListImports", name)?);
            }
            next = next_page(out.next_token());
            if next.is_none() {
                return Ok(importers);
            }
        }
    }
}
