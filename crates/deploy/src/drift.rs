//! Drift: how a deployed stack's resources differ from its template, after someone changed them
//! outside CloudFormation (a console edit, another tool). A later update computes its change set
//! from the templates, not from the resources, so it may overwrite such edits without saying
//! so (the properties it changes), or leave them in place: the engine lets
//! the caller see them first (`Engine::drift`), and `plan` reports a stack last found drifted.
//!
//! These are the trait's types (`DetectStackDrift`, `DescribeStackDriftDetectionStatus`,
//! `DescribeStackResourceDrifts`) and what `Engine::drift` returns.

use serde::Serialize;

use crate::cloudformation::Timestamp;
use crate::names::{LogicalId, StackName};

/// The stack statuses CloudFormation runs drift detection on; DetectStackDrift refuses the
/// others with a ValidationError (AWS's "Detect drift on an entire CloudFormation stack").
pub const DRIFT_CHECKABLE: [&str; 4] = [
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
];

/// A stack's drift status, as `DescribeStacks` (`DriftInformation`) and a detection report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DriftStatus {
    /// Every checked resource matches the template.
    InSync,
    /// At least one resource differs from the template.
    Drifted,
    /// No detection has run (or the stack is too new).
    #[default]
    NotChecked,
    /// CloudFormation could not check some resource (see the detection's reason).
    Unknown,
}

impl DriftStatus {
    /// From CloudFormation's spelling; a value it adds later reads as `Unknown`.
    pub fn parse(value: &str) -> Self {
        match value {
            "IN_SYNC" => Self::InSync,
            "DRIFTED" => Self::Drifted,
            "NOT_CHECKED" => Self::NotChecked,
            _ => Self::Unknown,
        }
    }

    /// CloudFormation's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InSync => "IN_SYNC",
            Self::Drifted => "DRIFTED",
            Self::NotChecked => "NOT_CHECKED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// Where a drift detection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DetectionStatus {
    /// `DETECTION_IN_PROGRESS`: poll again.
    InProgress,
    /// `DETECTION_COMPLETE`: every resource that supports drift detection was checked.
    Complete,
    /// `DETECTION_FAILED`: some resource could not be checked (results for the others may
    /// still exist); the reason says why.
    Failed,
}

impl DetectionStatus {
    /// From CloudFormation's spelling; a value it adds later counts as a failure, so the
    /// engine stops waiting and shows the reason instead of polling forever.
    pub fn parse(value: &str) -> Self {
        match value {
            "DETECTION_IN_PROGRESS" => Self::InProgress,
            "DETECTION_COMPLETE" => Self::Complete,
            _ => Self::Failed,
        }
    }
}

/// What `DescribeStackDriftDetectionStatus` says about one detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftDetection {
    /// The detection's id.
    pub id: String,
    /// Whether it is done.
    pub status: DetectionStatus,
    /// The stack's drift status, once known.
    pub drift_status: Option<DriftStatus>,
    /// How many resources drifted (known once complete).
    pub drifted_resources: Option<u32>,
    /// Why the detection has its status (the interesting part of a failure).
    pub reason: Option<String>,
}

/// How one resource drifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResourceDriftStatus {
    /// Some property differs from the template.
    Modified,
    /// The resource no longer exists.
    Deleted,
    /// It matches (not listed by the engine, which asks only for drifted ones).
    InSync,
    /// Not checked, or a status CloudFormation added later.
    NotChecked,
}

impl ResourceDriftStatus {
    /// From CloudFormation's spelling.
    pub fn parse(value: &str) -> Self {
        match value {
            "MODIFIED" => Self::Modified,
            "DELETED" => Self::Deleted,
            "IN_SYNC" => Self::InSync,
            _ => Self::NotChecked,
        }
    }
}

/// How one property differs (`PropertyDifference`'s `DifferenceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DifferenceKind {
    /// The resource has a value the template does not set.
    Add,
    /// The template sets a value the resource no longer has.
    Remove,
    /// Both have a value, and they differ.
    NotEqual,
}

impl DifferenceKind {
    /// From CloudFormation's spelling; anything else reads as a plain difference.
    pub fn parse(value: &str) -> Self {
        match value {
            "ADD" => Self::Add,
            "REMOVE" => Self::Remove,
            _ => Self::NotEqual,
        }
    }
}

/// One property of a drifted resource that differs from the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PropertyDifference {
    /// The property's JSON path, e.g. `/SecurityGroupIngress/1/CidrIp`.
    pub path: String,
    /// The value the template gives it.
    pub expected: String,
    /// The value the resource has.
    pub actual: String,
    /// Added, removed or changed.
    pub kind: DifferenceKind,
}

/// One drifted resource (`StackResourceDrift`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceDrift {
    /// Its logical id.
    pub logical_id: LogicalId,
    /// Its physical id.
    pub physical_id: Option<String>,
    /// Its type.
    pub resource_type: String,
    /// Modified or deleted.
    pub status: ResourceDriftStatus,
    /// The properties that differ (empty for a deleted resource).
    pub differences: Vec<PropertyDifference>,
}

/// What `Engine::drift` found for one stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum StackDrift {
    /// The stack does not exist: nothing to compare.
    NotDeployed {
        /// The stack.
        stack: StackName,
    },
    /// Every resource CloudFormation can check matches the template.
    InSync {
        /// The stack.
        stack: StackName,
    },
    /// Some resources differ from the template.
    Drifted {
        /// The stack.
        stack: StackName,
        /// The modified and deleted resources, with their differing properties.
        resources: Vec<ResourceDrift>,
        /// Why some resources could not be checked, when the detection failed part-way.
        unchecked: Option<String>,
    },
    /// The detection could not run or finish; the reason is CloudFormation's (or the engine's,
    /// for a stack busy with an operation).
    NotChecked {
        /// The stack.
        stack: StackName,
        /// Why.
        reason: String,
    },
}

impl StackDrift {
    /// The stack this is about.
    pub fn stack(&self) -> &StackName {
        match self {
            Self::NotDeployed { stack }
            | Self::InSync { stack }
            | Self::Drifted { stack, .. }
            | Self::NotChecked { stack, .. } => stack,
        }
    }
}

/// A stack's last drift result as `DescribeStacks` reports it, carried by the plan so that the
/// caller can warn about a drifted stack without another call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastDrift {
    /// `DRIFTED`, `IN_SYNC`, ...
    pub status: DriftStatus,
    /// When it was checked.
    pub checked: Option<Timestamp>,
}
