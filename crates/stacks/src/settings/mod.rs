//! Template settings: what can differ between two renderings of the same architecture
//! (environment name, address plan, database and instance sizes). The defaults deploy the seed's
//! architecture with no settings file at all; [`Settings::validate`] (in `checks.rs`) checks every
//! value and names the key at fault.
//!
//! Not here: how to reach AWS and which build to ship. Those are the deployer's own settings
//! (the CLI's `config` module), which also reads the settings file and applies the flags.

mod checks;

use std::collections::BTreeMap;

use serde::Deserialize;

/// Everything the templates depend on. Deserialised from the settings file, where unknown keys
/// are refused.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Environment name: part of every stack, export and named resource, so several
    /// environments live side by side in one account and region.
    pub environment: String,
    /// Network settings.
    pub network: NetworkSettings,
    /// Database settings.
    pub database: DatabaseSettings,
    /// Application settings.
    pub application: ApplicationSettings,
    /// Alarms, their notifications and the rollback watch.
    pub monitoring: MonitoringSettings,
    /// The user's own tags (the `[tags]` table), added to every stack and taggable resource
    /// beside the deployer's `managed-by`, `project` and `environment`: for cost allocation,
    /// ownership and the like.
    pub tags: BTreeMap<String, String>,
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
    /// PostgreSQL version: a major (`17`, the default: RDS picks its current minor and upgrades
    /// minors automatically) or `MAJOR.MINOR` to pin one.
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
    /// Requests per instance per minute the second scaling policy aims for (the load
    /// balancer's `RequestCountPerTarget`): traffic scales the group out before CPU shows it.
    pub target_requests_per_instance: u32,
    /// ACM certificate ARN: when set, the load balancer serves HTTPS on 443 and redirects 80.
    pub certificate_arn: Option<String>,
    /// Days CloudWatch Logs keeps the instances' boot and application logs (one of the
    /// retention periods CloudWatch Logs offers).
    pub log_retention_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            environment: "dev".into(),
            network: NetworkSettings::default(),
            database: DatabaseSettings::default(),
            application: ApplicationSettings::default(),
            monitoring: MonitoringSettings::default(),
            tags: BTreeMap::new(),
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
            engine_version: "17".into(),
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
            target_requests_per_instance: 1000,
            certificate_arn: None,
            log_retention_days: 30,
        }
    }
}

/// Alarms: where they notify, and how long a deploy keeps watching them.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MonitoringSettings {
    /// An e-mail address subscribed to every alarm (SNS asks it to confirm once). None: the
    /// alarms still exist and roll back bad deploys, but notify nobody.
    pub notification_email: Option<String>,
    /// Minutes CloudFormation keeps watching the traffic alarms after an application update
    /// completes (0 to 180), rolling back if one fires. 0: watch during the update only, so a
    /// deploy takes no longer.
    pub rollback_window_minutes: u32,
}

/// A setting outside what the architecture or AWS accepts, naming its key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid setting `{key}` = {value}: {reason}")]
pub struct SettingsError {
    /// The key, dotted as in the settings file (`application.min_instances`).
    pub key: &'static str,
    /// The value given.
    pub value: String,
    /// What is accepted.
    pub reason: String,
}
