//! The one place that talks to the AWS SDK: implements [`CloudFormation`] with
//! `aws-sdk-cloudformation` and classifies SDK errors; `convert` turns every SDK type into ours.

mod convert;
mod drift;

use async_trait::async_trait;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types as sdk;

use crate::cloudformation::ApiError;
use crate::cloudformation::{
    ChangeSetDescription, ChangeSetKind, CloudFormation, StackDescription, StackEvent, StackInput,
    TemplateSource,
};
use crate::drift::{DriftDetection, ResourceDrift};
use crate::names::{ChangeSetId, ExportName, RequestToken, StackName};
use convert::{
    answered_name, capabilities, deployment_config, event, missing, next_page, parameters,
    request_token, resource_change, rollback_configuration, stack, tags,
};

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

/// Awaits a call whose answer carries nothing the engine needs: only its failure matters.
async fn acknowledged<O, E>(
    call: impl Future<Output = Result<O, SdkError<E, HttpResponse>>>,
) -> Result<(), ApiError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    call.await.map(|_| ()).map_err(classify)
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
            .set_rollback_configuration(rollback_configuration(input))
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
            .set_rollback_configuration(rollback_configuration(input))
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
            .set_rollback_configuration(rollback_configuration(input))
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

    async fn update_termination_protection(
        &self,
        stack: &StackName,
        enabled: bool,
    ) -> Result<(), ApiError> {
        acknowledged(
            self.client
                .update_termination_protection()
                .stack_name(stack.as_str())
                .enable_termination_protection(enabled)
                .send(),
        )
        .await
    }

    async fn get_stack_policy(&self, stack: &StackName) -> Result<Option<String>, ApiError> {
        let out = self
            .client
            .get_stack_policy()
            .stack_name(stack.as_str())
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .stack_policy_body()
            .filter(|b| !b.trim().is_empty())
            .map(str::to_owned))
    }

    async fn set_stack_policy(&self, stack: &StackName, body: &str) -> Result<(), ApiError> {
        acknowledged(
            self.client
                .set_stack_policy()
                .stack_name(stack.as_str())
                .stack_policy_body(body)
                .send(),
        )
        .await
    }

    async fn detect_stack_drift(&self, stack: &StackName) -> Result<String, ApiError> {
        drift::detect(&self.client, stack).await
    }

    async fn describe_stack_drift_detection_status(
        &self,
        _stack: &StackName,
        id: &str,
    ) -> Result<DriftDetection, ApiError> {
        drift::detection_status(&self.client, id).await
    }

    async fn describe_stack_resource_drifts(
        &self,
        stack: &StackName,
    ) -> Result<Vec<ResourceDrift>, ApiError> {
        drift::resource_drifts(&self.client, stack).await
    }
}
