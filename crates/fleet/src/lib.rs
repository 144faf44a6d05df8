//! What the deployer asks AWS about the running fleet, beyond CloudFormation: which Amazon
//! Linux image the instances launch from ([`ImageCatalog`], the public SSM parameter AWS keeps
//! pointing at the newest image). Each question is a small trait, implemented with the official
//! SDK and, with the `fake` feature, in memory for tests.
//!
//! Not for: deploying (the engine's job) or deciding what to do with the answers (the CLI's).

mod error;
#[cfg(feature = "fake")]
pub mod fake;
mod images;

pub use error::FleetError;
pub use images::{ImageCatalog, SsmImageCatalog};
