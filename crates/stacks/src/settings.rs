//! Deployment settings: what can differ between two deployments of the same architecture.
//! Read from a TOML file, then overridden by flags; the defaults deploy the seed's architecture
//! with no file at all. Every value is checked, and an error names the key at fault.

use std::path::Path;

use serde::Deserialize;

/// The upstream TechChallengeApp release the seed deployed (for `--app-release-url`).
pub const UPSTREAM_RELEASE_URL: &str = "https://github.com/servian/TechChallengeApp/releases/download/v.0.11.0/TechChallengeApp_v.0.11.0_linux64.zip";

/// Everything a deployment can set.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Environment name: part of every stack, export and named resource, so several
    /// environments live side by side in one account and region.
    pub environment: String,
    /// AWS region; when absent, the AWS configuration's region is used.
    pub region: Option<String>,
    /// Network settings.
    pub network: NetworkSettings,
    /// Database settings.
    pub database: DatabaseSettings,
    /// Application settings.
    pub application: ApplicationSettings,
}

/// The VPC's address plan.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkSettings {
    /// The VPC's range: a /16 whose first four /24s become the subnets.
    pub vpc_cidr: String,
}

/// The RDS instance.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// Instance class, e.g. `db.t4g.micro`.
    pub instance_class: String,
    /// Storage in GiB (20 to 65536).
    pub allocated_storage_gib: u32,
    /// PostgreSQL version, `MAJOR.MINOR` (minor versions then upgrade automatically).
    pub engine_version: String,
    /// Days of automated backups (1 to 35).
    pub backup_retention_days: u32,
}

/// The load balancer and the instances.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApplicationSettings {
    /// EC2 instance type (x86_64), e.g. `t3.micro`.
    pub instance_type: String,
    /// Fewest instances: at least 2, one per AZ.
    pub min_instances: u32,
    /// Most instances.
    pub max_instances: u32,
    /// Instances at start.
    pub desired_instances: u32,
    /// Average CPU the scaling policy aims for, in percent.
    pub target_cpu_percent: u32,
    /// ACM certificate ARN: when set, the load balancer serves HTTPS on 443 and redirects 80.
    pub certificate_arn: Option<String>,
    /// The application build to deploy: a TechChallengeApp executable. Default: the workspace's
    /// release build (`target/release/TechChallengeApp`).
    pub app_binary: Option<std::path::PathBuf>,
    /// Deploy an upstream release zip instead (e.g. TechChallengeApp 0.11.0, as the seed did):
    /// `techchallenge deploy` downloads it and uploads it to the artifacts bucket.
    pub app_release_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            environment: "dev".into(),
            region: None,
            network: NetworkSettings::default(),
            database: DatabaseSettings::default(),
            application: ApplicationSettings::default(),
        }
    }
}

impl Default for NetworkSettings {
    fn default() -> Self {
        Self {
            vpc_cidr: "10.0.0.0/16".into(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            instance_class: "db.t4g.micro".into(),
            allocated_storage_gib: 20,
            engine_version: "17.9".into(),
            backup_retention_days: 7,
        }
    }
}

impl Default for ApplicationSettings {
    fn default() -> Self {
        Self {
            instance_type: "t3.micro".into(),
            min_instances: 2,
            max_instances: 4,
            desired_instances: 2,
            target_cpu_percent: 60,
            certificate_arn: None,
            app_binary: None,
            app_release_url: None,
        }
    }
}

/// Values given on the command line, applied over the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// `environment`
    pub environment: Option<String>,
    /// `region`
    pub region: Option<String>,
    /// `application.instance_type`
    pub instance_type: Option<String>,
    /// `application.min_instances`
    pub min_instances: Option<u32>,
    /// `application.max_instances`
    pub max_instances: Option<u32>,
    /// `application.desired_instances`
    pub desired_instances: Option<u32>,
    /// `database.instance_class`
    pub db_instance_class: Option<String>,
    /// `database.allocated_storage_gib`
    pub db_storage_gib: Option<u32>,
    /// `application.certificate_arn`
    pub certificate_arn: Option<String>,
    /// `application.app_binary`
    pub app_binary: Option<std::path::PathBuf>,
    /// `application.app_release_url`
    pub app_release_url: Option<String>,
}

/// A setting that cannot be used, naming its key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("cannot read settings file {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file is not valid TOML for these settings (unknown key, wrong type).
    #[error("settings file {path}: {reason}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's message, which names the key and line.
        reason: String,
    },
    /// A value outside what the architecture or AWS accepts.
    #[error("invalid setting `{key}` = {value}: {reason}")]
    Invalid {
        /// The key, dotted as in the file (`application.min_instances`).
        key: &'static str,
        /// The value given.
        value: String,
        /// What is accepted.
        reason: String,
    },
}

impl Settings {
    /// Reads settings from a TOML file (missing keys take their defaults).
    pub fn from_file(path: &Path) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Reads settings from TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, SettingsError> {
        toml::from_str(text).map_err(|e| SettingsError::Parse {
            path: origin.to_owned(),
            reason: e.to_string().trim_end().to_owned(),
        })
    }

    /// Applies command-line overrides, then checks every value.
    pub fn with_overrides(mut self, o: Overrides) -> Result<Self, SettingsError> {
        if let Some(v) = o.environment {
            self.environment = v;
        }
        if o.region.is_some() {
            self.region = o.region;
        }
        let app = &mut self.application;
        if let Some(v) = o.instance_type {
            app.instance_type = v;
        }
        if let Some(v) = o.min_instances {
            app.min_instances = v;
        }
        if let Some(v) = o.max_instances {
            app.max_instances = v;
        }
        if let Some(v) = o.desired_instances {
            app.desired_instances = v;
        }
        if o.certificate_arn.is_some() {
            app.certificate_arn = o.certificate_arn;
        }
        if o.app_binary.is_some() {
            app.app_binary = o.app_binary;
            app.app_release_url = None;
        }
        if o.app_release_url.is_some() {
            app.app_release_url = o.app_release_url;
            app.app_binary = None;
        }
        if let Some(v) = o.db_instance_class {
            self.database.instance_class = v;
        }
        if let Some(v) = o.db_storage_gib {
            self.database.allocated_storage_gib = v;
        }
        self.validate()?;
        Ok(self)
    }

    /// Checks every value against what the architecture and AWS accept.
    pub fn validate(&self) -> Result<(), SettingsError> {
        crate::settings_rules::validate(self)
    }
}
