//! The auto scaling group in both public subnets behind the target group, replaced by ELB health
//! checks; how CloudFormation creates and updates it (one signal per instance once its app
//! answers; rolling updates that keep `min_instances` in service); and target-tracking scaling
//! on CPU and on requests per instance. With two policies the group scales out when either
//! asks and in only when both agree: traffic adds instances before their CPU shows it, and a
//! CPU-heavy trickle still gets them.

use cfn_template::resources::autoscaling::{
    AutoScalingGroup, LaunchTemplateSpecification, MetricsCollection, PredefinedMetric,
    PropagatedTag, ScalingPolicy, TargetTrackingConfiguration,
};
use cfn_template::resources::ec2::LaunchTemplate;
use cfn_template::{Expr, Handle, ResourceSignal, RollingUpdate, Template, TemplateError};

use super::load_balancer::Balancer;
use super::{GROUP_ID, timing};
use crate::naming::{Export, Naming, StackRole};
use crate::settings::ApplicationSettings;

/// Adds the group, its creation and update policies, and its scaling policies.
pub fn add(
    t: &mut Template,
    naming: &Naming,
    app: &ApplicationSettings,
    launch_template: &Handle<LaunchTemplate>,
    balancer: &Balancer,
) -> Result<Handle<AutoScalingGroup>, TemplateError> {
    let stack = naming.stack_name(StackRole::Application);
    let group = t.add(
        GROUP_ID,
        AutoScalingGroup {
            auto_scaling_group_name: Some(naming.auto_scaling_group().into()),
            launch_template: LaunchTemplateSpecification {
                launch_template_id: launch_template.r#ref(),
                version: launch_template.latest_version_number(),
            },
            min_size: app.min_instances.to_string(),
            max_size: app.max_instances.to_string(),
            desired_capacity: Some(app.desired_instances.to_string()),
            vpc_zone_identifier: vec![
                naming.import(Export::PublicSubnetA),
                naming.import(Export::PublicSubnetB),
            ],
            target_group_arns: vec![balancer.target_group.r#ref()],
            health_check_type: "ELB".into(),
            health_check_grace_period: timing::HEALTH_CHECK_GRACE_SECONDS,
            metrics_collection: vec![MetricsCollection {
                granularity: "1Minute".into(),
            }],
            tags: vec![PropagatedTag {
                key: "Name".into(),
                value: format!("{stack}-instance").into(),
                propagate_at_launch: true,
            }],
        },
    )?;
    let options = t.options(&group)?;
    options.resource_signal = Some(ResourceSignal {
        count: app.desired_instances,
        timeout: timing::creation_signal_timeout(),
    });
    // As few batches as MaxSize allows: each batch's new instances come up beside the
    // `min_instances` kept in service (the group grows to at most `max_instances`) and signal
    // before the old ones go. One batch for the default 2 → 4.
    options.rolling_update = Some(RollingUpdate {
        min_instances_in_service: app.min_instances,
        max_batch_size: app.max_instances - app.min_instances,
        pause_time: timing::signal_timeout(),
        wait_on_resource_signals: true,
        suspend_processes: [
            "HealthCheck",
            "ReplaceUnhealthy",
            "AZRebalance",
            "AlarmNotification",
            "ScheduledActions",
        ]
        .map(String::from)
        .to_vec(),
    });
    t.add(
        "CpuScalingPolicy",
        ScalingPolicy {
            auto_scaling_group_name: group.r#ref(),
            policy_type: "TargetTrackingScaling".into(),
            target_tracking_configuration: TargetTrackingConfiguration {
                predefined_metric_specification: PredefinedMetric {
                    predefined_metric_type: "ASGAverageCPUUtilization".into(),
                    resource_label: None,
                },
                target_value: f64::from(app.target_cpu_percent),
            },
        },
    )?;
    let requests = t.add(
        "RequestCountScalingPolicy",
        ScalingPolicy {
            auto_scaling_group_name: group.r#ref(),
            policy_type: "TargetTrackingScaling".into(),
            target_tracking_configuration: TargetTrackingConfiguration {
                predefined_metric_specification: PredefinedMetric {
                    predefined_metric_type: "ALBRequestCountPerTarget".into(),
                    // `app/LB/ID/targetgroup/TG/ID`: which load balancer's requests to which
                    // target group.
                    resource_label: Some(Expr::join(
                        "/",
                        [
                            balancer.load_balancer.full_name(),
                            balancer.target_group.full_name(),
                        ],
                    )),
                },
                target_value: f64::from(app.target_requests_per_instance),
            },
        },
    )?;
    // The label names a target group that must be attached to the load balancer, which its
    // listener does: without the dependency the policy could be created first and refused.
    t.options(&requests)?
        .depends_on(&balancer.attaching_listener);
    Ok(group)
}
