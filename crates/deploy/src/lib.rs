//! Deploy engine: plans, deploys, inspects and destroys CloudFormation stacks.
//!
//! It knows CloudFormation, not our particular stacks (the caller hands it rendered templates as
//! [`StackSpec`]s) and not the CLI: it never prints, it pushes [`Event`]s into a caller-supplied
//! [`EventSink`]. Every AWS call goes through the narrow [`CloudFormation`] trait, implemented with
//! the AWS SDK in [`SdkCloudFormation`] and, with the `fake` feature, by a scripted
//! `fake::FakeCloudFormation` for tests.
//!
//! Where things are: `engine/` holds the operations (`planning`, `deploying`, `destroying`,
//! `waiting`, `queries`), each an `impl Engine` block; the files beside it hold what they
//! exchange: the trait and its types (`cloudformation`, `sdk`), what the caller hands in
//! (`spec`, `hook`), what comes back (`plan`, `events`, `error`, `drift`), and the rules the
//! operations apply (`order`, `diff`, `data_loss`, `unchanged`, `guards`, `rollback`).
//!
//! # Call sequence: plan → show → confirm → execute
//!
//! ```no_run
//! use std::sync::Arc;
//! use techchallenge_deploy::{
//!     DeployOptions, Engine, EngineOptions, Method, NullSink, SdkCloudFormation, StackName,
//!     StackSpec,
//! };
//!
//! # async fn run(network_json: String, database_json: String) -> Result<(), techchallenge_deploy::Error> {
//! let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
//! let cfn = SdkCloudFormation::from_config(&config);
//! let engine = Engine::new(Arc::new(cfn), Arc::new(NullSink), EngineOptions::default());
//!
//! let network = StackName::new("dev-network")?;
//! let specs = vec![
//!     StackSpec::new(network.clone(), network_json),
//!     StackSpec::new(StackName::new("dev-database")?, database_json)
//!         .depends_on(network.clone())
//!         .protect("Database", "the PostgreSQL instance holding every task"),
//! ];
//!
//! let plan = engine.plan(&specs, Method::ChangeSet).await?;   // waits for running operations first
//! print!("{plan}");                                            // or render plan.stacks yourself
//! plan.check_data_loss(false)?;                                // refuse early, with the reason
//! let confirmed = true;                                        // ask the user (no default answer)
//! if plan.is_empty() || !confirmed {
//!     engine.discard(&plan).await?;                            // removes unexecuted change sets
//!     return Ok(());
//! }
//! let report = engine
//!     .deploy(&plan, DeployOptions { allow_data_loss: false, confirm_recreate: false })
//!     .await?;
//! for stack in &report.stacks {
//!     println!("{}: {:?} in {:?}", stack.stack, stack.outcome, stack.duration);
//! }
//! let _states = engine.status(&[network.clone()]).await?;
//! engine.destroy_selected(&specs, &[network]).await?;          // refused: dev-database imports it
//! engine.destroy(&specs).await?;                               // dependents first, waiting for each
//! # Ok(())
//! # }
//! ```

mod cloudformation;
mod data_loss;
mod diagnostics;
mod diff;
mod drift;
mod engine;
mod error;
mod events;
#[cfg(feature = "fake")]
pub mod fake;
mod guards;
mod hook;
mod names;
mod order;
mod plan;
mod rollback;
mod sdk;
mod spec;
mod status;
mod unchanged;

pub use cloudformation::{
    ApiError, ChangeAction, ChangeSetDescription, ChangeSetKind, CloudFormation, PropertyChange,
    Replacement, ResourceChange, StackDescription, StackEvent, StackInput, StackOutput,
    TemplateSource, Timestamp,
};
pub use diagnostics::{Diagnostics, Finding, LaunchFailure, NoDiagnostics};
pub use drift::{
    DetectionStatus, DifferenceKind, DriftDetection, DriftStatus, LastDrift, PropertyDifference,
    ResourceDrift, ResourceDriftStatus, StackDrift,
};
pub use engine::{
    DeployOptions, DeployReport, DestroyReport, DestroyedStack, Engine, EngineOptions, StackReport,
    StackState,
};
pub use error::{Error, ResourceFailure};
pub use events::{CollectingSink, Event, EventSink, NullSink, Outcome, StackAction};
pub use guards::GuardChange;
pub use hook::{HookError, NoHook, StackHook};
pub use names::{ChangeSetId, ExportName, InvalidName, LogicalId, RequestToken, StackName};
pub use plan::{
    DataLossRisk, Loss, Method, Plan, PlanAction, PlannedChange, StackPlan, Widening, WideningKind,
};
pub use rollback::{
    AlarmVerdict, MAX_MONITORING_MINUTES, MAX_TRIGGERS, RollbackConfiguration, RollbackWatch,
    alarm_name,
};
pub use sdk::SdkCloudFormation;
pub use spec::{Parameter, ParameterValue, ProtectedResource, StackSpec, Tag};
pub use status::{ResourceStatus, StackStatus};
