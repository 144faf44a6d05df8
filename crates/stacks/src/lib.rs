//! The TechChallenge architecture as typed Rust: the network, artifacts, database-access,
//! database and application stacks, the template settings that vary between deployments, and the
//! architecture's own rules that `techchallenge validate` checks on rendered templates. It
//! depends on the template model only: no AWS calls, no command line, no deploy-time settings
//! (region, credentials, the build to ship: those belong to the CLI).
//!
//! ```
//! use techchallenge_stacks::{Architecture, Settings};
//!
//! let architecture = Architecture::new(&Settings::default())?;
//! for stack in &architecture.stacks {
//!     let yaml = stack.template.to_yaml()?;
//!     assert!(yaml.contains("AWSTemplateFormatVersion"), "{}", stack.name);
//! }
//! # Ok::<(), cfn_template::TemplateError>(())
//! ```

mod alarms;
pub mod application;
mod architecture;
pub mod artifacts;
pub mod database;
pub mod database_access;
mod naming;
pub mod network;
pub mod rules;
mod settings;
pub mod tags;

pub use architecture::{Architecture, ProtectedResource, StackDefinition};
pub use naming::{Export, Naming, StackRole};
pub use settings::{
    ApplicationSettings, DatabaseSettings, MonitoringSettings, NetworkSettings, Settings,
    SettingsError,
};
