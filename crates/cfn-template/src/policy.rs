//! Resource attributes that are not properties: `Condition`, `DependsOn`, `DeletionPolicy`,
//! `UpdateReplacePolicy`, `UpdatePolicy` and `CreationPolicy`.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::names::LogicalId;

/// What CloudFormation does with a resource's data when it deletes or replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeletionPolicy {
    /// Delete it (the default for most resources).
    Delete,
    /// Keep the resource outside the stack.
    Retain,
    /// Take a final snapshot, then delete (databases, volumes).
    Snapshot,
}

/// `UpdatePolicy.AutoScalingRollingUpdate`: replace instances in batches while keeping capacity
/// in service, and roll back when new instances do not signal success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RollingUpdate {
    /// Instances kept in service during the update.
    pub min_instances_in_service: u32,
    /// Instances replaced at a time.
    pub max_batch_size: u32,
    /// How long to wait for signals from each batch (ISO 8601 duration, e.g. `PT15M`).
    pub pause_time: String,
    /// Whether new instances must signal success (cfn-signal) before the update continues.
    pub wait_on_resource_signals: bool,
    /// Processes suspended during the update so scaling does not fight it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suspend_processes: Vec<String>,
}

/// `CreationPolicy.ResourceSignal`: how many success signals to wait for, and how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceSignal {
    /// Signals required.
    pub count: u32,
    /// How long to wait (ISO 8601 duration).
    pub timeout: String,
}

/// The attributes of one resource besides its properties.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceOptions {
    /// The condition under which the resource exists (see `ResourceOptions::only_if`).
    pub condition: Option<LogicalId>,
    /// Resources that must be created first although no property refers to them.
    pub depends_on: BTreeSet<LogicalId>,
    /// What happens to the data on deletion.
    pub deletion_policy: Option<DeletionPolicy>,
    /// What happens to the data on replacement.
    pub update_replace_policy: Option<DeletionPolicy>,
    /// How an auto scaling group is updated.
    pub rolling_update: Option<RollingUpdate>,
    /// Signals to wait for on creation.
    pub resource_signal: Option<ResourceSignal>,
    /// cfn-lint checks that do not apply to this resource, rendered as its
    /// `Metadata.cfn-lint.config.ignore_checks` (cfn-lint's own way to scope an exception to one
    /// resource). The code that adds one says why.
    pub cfn_lint_ignore: Vec<String>,
}
