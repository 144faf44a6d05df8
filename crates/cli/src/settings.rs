//! Turns the global flags and the settings file into validated `Settings`: the one place where
//! command-line types meet the stacks crate.

use std::path::Path;

use anyhow::Result;
use techchallenge_stacks::{Overrides, Settings};

use crate::cli::GlobalArgs;

/// The default settings file, read when present.
const DEFAULT_CONFIG: &str = "techchallenge.toml";

/// A usage or settings problem: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Loads the settings file (explicit, or `techchallenge.toml` when present) and applies flags.
pub fn load(global: &GlobalArgs) -> Result<Settings> {
    let base = match &global.config {
        Some(path) => Settings::from_file(path).map_err(|e| UsageError(e.to_string()))?,
        None if Path::new(DEFAULT_CONFIG).exists() => {
            Settings::from_file(Path::new(DEFAULT_CONFIG)).map_err(|e| UsageError(e.to_string()))?
        }
        None => Settings::default(),
    };
    let overrides = Overrides {
        environment: global.environment.clone(),
        region: global.region.clone(),
        instance_type: global.instance_type.clone(),
        min_instances: global.min_instances,
        max_instances: global.max_instances,
        desired_instances: global.desired_instances,
        db_instance_class: global.db_instance_class.clone(),
        db_storage_gib: global.db_storage_gib,
        certificate_arn: global.certificate_arn.clone(),
        app_binary: global.app_binary.clone(),
        app_release_url: global.app_release_url.clone(),
    };
    let settings = base
        .with_overrides(overrides)
        .map_err(|e| UsageError(format!("{e}")))?;
    Ok(settings)
}
