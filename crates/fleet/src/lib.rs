//! What the deployer asks AWS about the running fleet, beyond CloudFormation: which Amazon
//! Linux image the instances launch from ([`ImageCatalog`], the public SSM parameter AWS keeps
//! pointing at the newest image), which instances run ([`InstanceSource`]), what they logged
//! ([`LogSource`]), and, when a deploy fails, the evidence the deploy engine asks for through
//! its `Diagnostics` trait ([`FleetDiagnostics`]: scaling activities, boot logs, target health,
//! database events, and which failed launches waiting cannot fix). Each question is a small
//! trait, implemented with the official SDKs and, with the `fake` feature, in memory for tests.
//!
//! Not for: deploying (the engine's job) or deciding what to do with the answers (the CLI's).

mod diagnostics;
mod error;
#[cfg(feature = "fake")]
pub mod fake;
mod images;
mod instances;
mod launch_errors;
mod logs;

pub use diagnostics::{ApplicationResources, DatabaseResources, FleetDiagnostics, Watched};
pub use error::FleetError;
pub use images::{ImageCatalog, SsmImageCatalog};
pub use instances::{AwsInstances, Instance, InstanceSource};
pub use launch_errors::hopeless as hopeless_launch;
pub use logs::{CloudWatchLogs, LogEvent, LogSource};
