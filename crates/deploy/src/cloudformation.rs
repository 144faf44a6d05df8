//! The narrow trait over the CloudFormation calls the engine makes, with our own request and
//! response types. `sdk.rs` implements it with the AWS SDK, `fake/` (feature `fake`) with a scripted fake; the
//! engine sees only this file, so it can be tested without the network.

use async_trait::async_trait;
use serde::Serialize;

use crate::drift::{DriftDetection, DriftStatus, ResourceDrift};
use crate::names::{ChangeSetId, ExportName, LogicalId, RequestToken, StackName};
use crate::rollback::RollbackConfiguration;
use crate::spec::{Parameter, Tag};
use crate::status::{ResourceStatus, StackStatus};

/// A point in time as CloudFormation reported it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Timestamp {
    /// Milliseconds since the Unix epoch: what comparisons use.
    pub epoch_millis: i64,
    /// The same instant in RFC 3339 (`2026-11-28T01:02:03Z`): what users read.
    pub rfc3339: String,
}

impl Timestamp {
    /// Builds a timestamp from epoch milliseconds, formatting it once.
    pub fn from_epoch_millis(epoch_millis: i64) -> Self {
        use aws_sdk_cloudformation::primitives::{DateTime, DateTimeFormat};
        let rfc3339 = DateTime::from_millis(epoch_millis)
            .fmt(DateTimeFormat::DateTime)
            .unwrap_or_else(|_| epoch_millis.to_string());
        Self {
            epoch_millis,
            rfc3339,
        }
    }
}

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or_default();
        Self::from_epoch_millis(millis)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rfc3339)
    }
}

/// One stack output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackOutput {
    /// The output's key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// The export name, when the output is exported.
    pub export_name: Option<ExportName>,
    /// The template's description of the output.
    pub description: Option<String>,
}

/// What `DescribeStacks` says about one stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackDescription {
    /// The stack's name.
    pub name: StackName,
    /// Its ARN.
    pub id: String,
    /// Its status.
    pub status: StackStatus,
    /// Why it is in that status, when CloudFormation says.
    pub status_reason: Option<String>,
    /// When it was created.
    pub created: Timestamp,
    /// When it was last updated, if ever.
    pub last_updated: Option<Timestamp>,
    /// Its outputs.
    pub outputs: Vec<StackOutput>,
    /// Parameter keys and values as deployed (`****` for NoEcho ones).
    pub parameters: Vec<(String, String)>,
    /// The stack's tags as deployed.
    pub tags: Vec<Tag>,
    /// Whether termination protection is on (`DeleteStack` refused).
    pub termination_protection: bool,
    /// What the last drift detection found (`NOT_CHECKED` when none ran): lets `plan` warn
    /// about console edits without a drift call of its own.
    pub drift_status: DriftStatus,
    /// When drift was last checked, if ever.
    pub drift_checked: Option<Timestamp>,
}

impl StackDescription {
    /// The last change: the update time, or the creation time for a never-updated stack.
    pub fn last_changed(&self) -> &Timestamp {
        self.last_updated.as_ref().unwrap_or(&self.created)
    }
}

/// One entry of `DescribeStackEvents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackEvent {
    /// Unique id of the event.
    pub event_id: String,
    /// The resource's logical id (the stack's own name for stack-level events).
    pub logical_id: LogicalId,
    /// The resource's physical id, once it has one.
    pub physical_id: Option<String>,
    /// The resource type, e.g. `AWS::EC2::VPC`.
    pub resource_type: String,
    /// The resource's status.
    pub status: ResourceStatus,
    /// CloudFormation's reason, the useful part of a failure.
    pub reason: Option<String>,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The token of the operation that caused it.
    pub request_token: Option<RequestToken>,
}

impl StackEvent {
    /// Stack-level events are about the stack itself rather than one resource.
    pub fn is_stack_event(&self) -> bool {
        self.resource_type == "AWS::CloudFormation::Stack"
    }
}

/// Where the template of a create or update comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateSource {
    /// A template body (JSON).
    Body(String),
    /// `UsePreviousTemplate`: only parameters change.
    UsePrevious,
}

/// The input of `CreateStack`, `UpdateStack` and `CreateChangeSet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackInput {
    /// The stack's name.
    pub stack: StackName,
    /// Its template.
    pub template: TemplateSource,
    /// Its parameters.
    pub parameters: Vec<Parameter>,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// Capabilities acknowledged.
    pub capabilities: Vec<String>,
    /// Ties the operation to its events.
    pub request_token: Option<RequestToken>,
    /// Express mode (see `StackSpec::express`).
    pub express: bool,
    /// The rollback triggers to set (`RollbackConfiguration`); `None` sends none, so
    /// CloudFormation keeps the stack's current ones (see `rollback.rs` for what the engine sends).
    pub rollback: Option<RollbackConfiguration>,
}

/// Whether a change set creates a stack or updates one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ChangeSetKind {
    /// `CREATE`: the stack does not exist yet.
    Create,
    /// `UPDATE`: the stack exists.
    Update,
}

/// What a resource change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ChangeAction {
    /// A new resource.
    Add,
    /// An existing resource changes (maybe by replacement).
    Modify,
    /// The resource is deleted.
    Remove,
    /// An existing resource is imported.
    Import,
    /// Decided only at execution (e.g. a macro).
    Dynamic,
}

/// Whether a modification replaces the resource (CloudFormation's `Replacement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Replacement {
    /// Updated in place.
    Never,
    /// May be replaced, depending on values known only at execution.
    Conditional,
    /// Replaced: a new physical resource, the old one deleted.
    Always,
}

/// One property-level change in a change set (a `ResourceChangeDetail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PropertyChange {
    /// The property's path, e.g. `/Properties/DBInstanceClass` (or its name if no path).
    pub path: String,
    /// The value before, when property values were requested.
    pub before: Option<String>,
    /// The value after.
    pub after: Option<String>,
    /// Whether changing it recreates the resource (`Never`, `Conditional`, `Always`).
    pub requires_recreation: Replacement,
    /// What caused the change (`DirectModification`, `ResourceReference`, ...), when given.
    pub cause: Option<String>,
}

/// One resource's change in a change set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceChange {
    /// What happens to it.
    pub action: ChangeAction,
    /// Its logical id.
    pub logical_id: LogicalId,
    /// Its physical id, for existing resources.
    pub physical_id: Option<String>,
    /// Its type.
    pub resource_type: String,
    /// Whether a modification replaces it.
    pub replacement: Option<Replacement>,
    /// Property-level changes.
    pub details: Vec<PropertyChange>,
    /// The resource's properties before, as a JSON string (with `IncludePropertyValues`).
    pub before_context: Option<String>,
    /// The resource's properties after, as a JSON string.
    pub after_context: Option<String>,
}

/// What `DescribeChangeSet` says, all pages joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeSetDescription {
    /// The change set's ARN.
    pub id: ChangeSetId,
    /// `CREATE_PENDING`, `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `FAILED`, ...
    pub status: String,
    /// Why it has that status (the interesting part of a FAILED change set).
    pub status_reason: Option<String>,
    /// `AVAILABLE` once it can be executed.
    pub execution_status: Option<String>,
    /// The changes.
    pub changes: Vec<ResourceChange>,
}

impl ChangeSetDescription {
    /// Still being computed.
    pub fn is_pending(&self) -> bool {
        matches!(
            self.status.as_str(),
            "CREATE_PENDING" | "CREATE_IN_PROGRESS"
        )
    }

    /// CloudFormation reports an empty change set as FAILED, recognisable only by its reason.
    pub fn is_empty_change(&self) -> bool {
        self.status == "FAILED"
            && self.status_reason.as_deref().is_some_and(|r| {
                r.contains("didn't contain changes") || r.contains("No updates are to be performed")
            })
    }
}

/// How one CloudFormation call failed, classified so the engine can decide what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// `Throttling` / `Rate exceeded`: retried with backoff.
    #[error("CloudFormation throttled the request: {message}")]
    Throttling {
        /// The service's message.
        message: String,
    },
    /// The stack or change set does not exist.
    #[error("not found: {message}")]
    NotFound {
        /// The service's message.
        message: String,
    },
    /// `No updates are to be performed.`: a success for us.
    #[error("no updates are to be performed")]
    NoUpdates,
    /// The stack already exists (`AlreadyExistsException`).
    #[error("already exists: {message}")]
    AlreadyExists {
        /// The service's message.
        message: String,
    },
    /// Any other error the service answered with (`ValidationError`, `InsufficientCapabilities`, ...).
    #[error("{code}: {message}")]
    Service {
        /// The error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// The request never got an answer (network, credentials, timeout).
    #[error("could not reach CloudFormation: {message}")]
    Transport {
        /// What happened.
        message: String,
    },
    /// The endpoint could not be reached at all (connection refused, DNS, timeout).
    #[error(
        "could not reach AWS: {message}. Check the network, or --endpoint-url / AWS_ENDPOINT_URL if you set one"
    )]
    Unreachable {
        /// What happened, in the transport's words.
        message: String,
    },
    /// AWS refused the request for lack of a permission.
    #[error(
        "AWS refused the request: {message}. Allow that action for the identity you use, or use a profile that has it (--profile)"
    )]
    AccessDenied {
        /// AWS's message, which names the action and the identity.
        message: String,
    },
    /// The credentials have expired.
    #[error(
        "your AWS credentials have expired ({message}): sign in again (`aws sso login`, or refresh the session's keys) and re-run"
    )]
    Expired {
        /// AWS's message.
        message: String,
    },
    /// AWS does not know or accept the credentials.
    #[error(
        "AWS does not accept these credentials ({message}): check the access key (`aws configure`) or the profile (--profile, AWS_PROFILE)"
    )]
    BadCredentials {
        /// AWS's message.
        message: String,
    },
    /// The answer lacked something it should always have.
    #[error("unexpected response from {operation}: {detail}")]
    UnexpectedResponse {
        /// The API operation.
        operation: &'static str,
        /// What was missing or odd.
        detail: String,
    },
}

/// The calls the engine makes. All are async and may fail with an [`ApiError`].
#[async_trait]
pub trait CloudFormation: Send + Sync {
    /// `DescribeStacks` for one stack; `None` when it does not exist (or is fully deleted).
    async fn describe_stack(&self, stack: &StackName)
    -> Result<Option<StackDescription>, ApiError>;
    /// `CreateStack`; returns the stack id.
    async fn create_stack(&self, input: &StackInput) -> Result<String, ApiError>;
    /// `UpdateStack`; [`ApiError::NoUpdates`] when nothing changes.
    async fn update_stack(&self, input: &StackInput) -> Result<String, ApiError>;
    /// `DeleteStack`.
    async fn delete_stack(
        &self,
        stack: &StackName,
        token: Option<&RequestToken>,
    ) -> Result<(), ApiError>;
    /// `CancelUpdateStack`: CloudFormation rolls the running update back.
    async fn cancel_update_stack(&self, stack: &StackName) -> Result<(), ApiError>;
    /// `CreateChangeSet` with `IncludeNestedStacks` off; returns the change set's ARN.
    async fn create_change_set(
        &self,
        input: &StackInput,
        name: &str,
        kind: ChangeSetKind,
    ) -> Result<ChangeSetId, ApiError>;
    /// `DescribeChangeSet` with `IncludePropertyValues`, all pages.
    async fn describe_change_set(
        &self,
        stack: &StackName,
        change_set: &ChangeSetId,
    ) -> Result<ChangeSetDescription, ApiError>;
    /// `ExecuteChangeSet`.
    async fn execute_change_set(
        &self,
        stack: &StackName,
        change_set: &ChangeSetId,
        token: Option<&RequestToken>,
    ) -> Result<(), ApiError>;
    /// `DeleteChangeSet`.
    async fn delete_change_set(
        &self,
        stack: &StackName,
        change_set: &ChangeSetId,
    ) -> Result<(), ApiError>;
    /// `DescribeStackEvents`, newest first (the first page is enough for polling).
    async fn describe_stack_events(&self, stack: &StackName) -> Result<Vec<StackEvent>, ApiError>;
    /// `GetTemplate` (stage `Original`): the template body the stack was last deployed with, so
    /// that a deploy with nothing to do needs no change set.
    async fn get_template(&self, stack: &StackName) -> Result<String, ApiError>;
    /// `ListImports`: the stacks importing an export (empty when none does).
    async fn list_imports(&self, export: &ExportName) -> Result<Vec<StackName>, ApiError>;
    /// `UpdateTerminationProtection`.
    async fn update_termination_protection(
        &self,
        stack: &StackName,
        enabled: bool,
    ) -> Result<(), ApiError>;
    /// `GetStackPolicy`: the policy document, `None` when the stack has none.
    async fn get_stack_policy(&self, stack: &StackName) -> Result<Option<String>, ApiError>;
    /// `SetStackPolicy`: replaces the stack's policy (a policy can be replaced, never removed).
    async fn set_stack_policy(&self, stack: &StackName, body: &str) -> Result<(), ApiError>;
    /// `DetectStackDrift` on the whole stack; returns the detection's id.
    async fn detect_stack_drift(&self, stack: &StackName) -> Result<String, ApiError>;
    /// `DescribeStackDriftDetectionStatus`: how the detection `id` of `stack` is going.
    async fn describe_stack_drift_detection_status(
        &self,
        stack: &StackName,
        id: &str,
    ) -> Result<DriftDetection, ApiError>;
    /// `DescribeStackResourceDrifts` filtered to `MODIFIED` and `DELETED`, all pages: the
    /// drifted resources the stack's last detection found.
    async fn describe_stack_resource_drifts(
        &self,
        stack: &StackName,
    ) -> Result<Vec<ResourceDrift>, ApiError>;
}
