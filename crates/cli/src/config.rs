//! The deployer's settings: the settings file (TOML; `--config FILE`, else `./techchallenge.toml`
//! when present) and the flags over it, split into the two kinds the code uses:
//! - the template settings ([`Settings`], from the stacks crate), which the templates are
//!   rendered from and which the stacks crate validates;
//! - the deploy-time settings only this binary uses: where AWS is ([`AwsOptions`]) and which
//!   build to ship (`application.app_binary`).
//!
//! The file keeps one layout for both (`region` at the top, `app_binary` in `[application]`);
//! this module takes the deploy-time keys out of the parsed document and hands the rest to the
//! stacks crate's types, which refuse unknown keys. Errors keep the file's line and column.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IntoDeserializer;
use techchallenge_stacks::Settings;
use toml::de::{DeTable, DeValue};

use crate::aws::AwsOptions;
use crate::cli::GlobalArgs;
use crate::error::UsageError;

#[cfg(test)]
mod tests;

/// The default settings file, read when present.
const DEFAULT_CONFIG: &str = "techchallenge.toml";

/// Why `--app-release-url` and `application.app_release_url` are gone, and what to do instead.
pub const REMOVED_RELEASE_URL: &str = "deploying an upstream release zip (app_release_url) was removed: TechChallengeApp 0.11.0 connects to PostgreSQL without TLS, which RDS PostgreSQL 15+ refuses, and its `updatedb -s` drops every task on each start; deploy our build instead, the drop-in replacement (`cargo build --release -p techchallenge-app`, or --app-binary PATH)";

/// Everything a command is configured with, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// What the templates are rendered from.
    pub settings: Settings,
    /// Where and as whom to reach AWS (`region`, `--region`, `--profile`, `--endpoint-url`).
    pub aws: AwsOptions,
    /// The build to deploy (`application.app_binary`, `--app-binary`); `None`: the workspace's
    /// release build.
    pub app_binary: Option<PathBuf>,
    /// A throw-away environment (`ephemeral = true`): deployed in CloudFormation's express mode.
    pub ephemeral: bool,
}

/// The deploy-time keys of the settings file.
#[derive(Debug, Default)]
struct DeployKeys {
    region: Option<String>,
    app_binary: Option<PathBuf>,
    ephemeral: Option<bool>,
}

/// Loads the settings file (explicit, or `techchallenge.toml` when present), applies the flags
/// and validates everything.
pub fn load(global: &GlobalArgs) -> Result<Config, UsageError> {
    if global.app_release_url.is_some() {
        return Err(UsageError(format!(
            "--app-release-url: {REMOVED_RELEASE_URL}"
        )));
    }
    let (settings, keys) = match &global.config {
        Some(path) => read(path)?,
        None if Path::new(DEFAULT_CONFIG).exists() => read(Path::new(DEFAULT_CONFIG))?,
        None => (Settings::default(), DeployKeys::default()),
    };
    let mut config = Config {
        settings,
        aws: AwsOptions {
            region: keys.region,
            profile: global.profile.clone(),
            endpoint_url: global.endpoint_url.clone(),
        },
        app_binary: keys.app_binary,
        ephemeral: keys.ephemeral.unwrap_or(false),
    };
    apply_flags(&mut config, global);
    if let Some(region) = &config.aws.region {
        check_region(region)?;
    }
    config
        .settings
        .validate()
        .map_err(|e| UsageError(e.to_string()))?;
    Ok(config)
}

/// Reads and parses one settings file.
fn read(path: &Path) -> Result<(Settings, DeployKeys), UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read settings file {}: {e}", path.display())))?;
    parse(&text, &path.display().to_string())
}

/// Parses settings-file text; `origin` names it in errors.
fn parse(text: &str, origin: &str) -> Result<(Settings, DeployKeys), UsageError> {
    let fail = |mut e: toml::de::Error| {
        e.set_input(Some(text));
        UsageError(format!(
            "settings file {origin}: {}",
            e.to_string().trim_end()
        ))
    };
    let mut document = DeTable::parse(text).map_err(fail)?;
    let root = document.get_mut();
    let mut keys = DeployKeys {
        region: take(root, "region").map_err(fail)?,
        app_binary: None,
        ephemeral: take(root, "ephemeral").map_err(fail)?,
    };
    if let Some(application) = root.get_mut("application")
        && let DeValue::Table(application) = application.get_mut()
    {
        if application.contains_key("app_release_url") {
            return Err(UsageError(format!(
                "settings file {origin}: application.app_release_url: {REMOVED_RELEASE_URL}"
            )));
        }
        keys.app_binary = take(application, "app_binary").map_err(fail)?;
    }
    let settings = Settings::deserialize(toml::de::Deserializer::from(document)).map_err(fail)?;
    Ok((settings, keys))
}

/// Removes `key` from `table` and deserialises its value.
fn take<'i, T: Deserialize<'i>>(
    table: &mut DeTable<'i>,
    key: &str,
) -> Result<Option<T>, toml::de::Error> {
    table
        .remove(key)
        .map(|value| T::deserialize(value.into_deserializer()))
        .transpose()
}

/// Flags win over the file.
fn apply_flags(config: &mut Config, global: &GlobalArgs) {
    let settings = &mut config.settings;
    let app = &mut settings.application;
    let db = &mut settings.database;
    if let Some(v) = &global.environment {
        settings.environment.clone_from(v);
    }
    if let Some(v) = &global.region {
        config.aws.region = Some(v.clone());
    }
    if let Some(v) = &global.instance_type {
        app.instance_type.clone_from(v);
    }
    if let Some(v) = global.min_instances {
        app.min_instances = v;
    }
    if let Some(v) = global.max_instances {
        app.max_instances = v;
    }
    if let Some(v) = global.desired_instances {
        app.desired_instances = v;
    }
    if let Some(v) = &global.certificate_arn {
        app.certificate_arn = Some(v.clone());
    }
    if let Some(v) = &global.db_instance_class {
        db.instance_class.clone_from(v);
    }
    if let Some(v) = global.db_storage_gib {
        db.allocated_storage_gib = v;
    }
    if let Some(v) = &global.app_binary {
        config.app_binary = Some(v.clone());
    }
}

/// A region code such as `us-east-1`: refused early, naming the key, rather than by the SDK.
fn check_region(region: &str) -> Result<(), UsageError> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(UsageError(format!(
            "invalid setting `region` = {region:?}: use an AWS region code such as us-east-1 or eu-west-2"
        )))
    }
}
