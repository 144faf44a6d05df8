//! Auto Scaling: the group of application instances and the policy that sizes it.

use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::expr::Expr;
use crate::template::Resource;

/// `AWS::AutoScaling::AutoScalingGroup`. `Ref` returns its name.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingGroup {
    /// Name, unique in the region.
    pub auto_scaling_group_name: Option<Expr>,
    /// Which launch template version to use.
    pub launch_template: LaunchTemplateSpecification,
    /// Smallest size (strings, as CloudFormation documents them).
    pub min_size: String,
    /// Largest size.
    pub max_size: String,
    /// Starting size.
    pub desired_capacity: Option<String>,
    /// Subnets, one per AZ.
    #[serde(rename = "VPCZoneIdentifier")]
    pub vpc_zone_identifier: Vec<Expr>,
    /// Target groups instances register in.
    #[serde(rename = "TargetGroupARNs")]
    pub target_group_arns: Vec<Expr>,
    /// `ELB` replaces instances the load balancer finds unhealthy.
    pub health_check_type: String,
    /// Seconds a new instance has before its health counts.
    pub health_check_grace_period: u32,
    /// Group metrics published to CloudWatch.
    pub metrics_collection: Vec<MetricsCollection>,
    /// Tags, propagated to instances.
    pub tags: Vec<PropagatedTag>,
}

impl Resource for AutoScalingGroup {
    const TYPE: &'static str = "AWS::AutoScaling::AutoScalingGroup";
}

/// A launch template and version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateSpecification {
    /// Launch template id.
    pub launch_template_id: Expr,
    /// Version (use the template's latest version number).
    pub version: Expr,
}

/// Which group metrics to publish.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricsCollection {
    /// `1Minute`.
    pub granularity: String,
}

/// An auto scaling group tag.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PropagatedTag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: Expr,
    /// Whether instances get it too.
    pub propagate_at_launch: bool,
}

/// `AWS::AutoScaling::ScalingPolicy` of type `TargetTrackingScaling`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingPolicy {
    /// The group.
    pub auto_scaling_group_name: Expr,
    /// `TargetTrackingScaling`.
    pub policy_type: String,
    /// The metric and target value.
    pub target_tracking_configuration: TargetTrackingConfiguration,
}

impl Resource for ScalingPolicy {
    const TYPE: &'static str = "AWS::AutoScaling::ScalingPolicy";
}

/// A target-tracking configuration with a predefined metric.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTrackingConfiguration {
    /// The metric.
    pub predefined_metric_specification: PredefinedMetric,
    /// The value to keep the metric at.
    pub target_value: f64,
}

/// A predefined scaling metric.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PredefinedMetric {
    /// e.g. `ASGAverageCPUUtilization` or `ALBRequestCountPerTarget`.
    pub predefined_metric_type: String,
    /// For per-target metrics: `app/LB/ID/targetgroup/TG/ID`.
    pub resource_label: Option<Expr>,
}
