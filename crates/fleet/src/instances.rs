//! The instances of the application's auto scaling group, for `techchallenge instances`: where
//! each runs, its lifecycle and health as the group sees them, when it was launched and which
//! build it runs (its build tag).

use async_trait::async_trait;
use aws_smithy_types::date_time::Format;
use serde::Serialize;

use crate::FleetError;

/// One instance of the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    /// Its id.
    pub instance_id: String,
    /// Its availability zone.
    pub availability_zone: String,
    /// The group's lifecycle state: `Pending`, `InService`, `Terminating`, ...
    pub lifecycle: String,
    /// The group's health status: `Healthy` or `Unhealthy`.
    pub health: String,
    /// When it was launched (RFC 3339; empty when EC2 does not say).
    pub launch_time: String,
    /// The SHA-256 of the build it runs, from its tag (empty when untagged).
    pub build_sha256: String,
}

/// Lists a group's instances.
#[async_trait]
pub trait InstanceSource: Send + Sync {
    /// The instances of `group`, by launch time; `build_tag` is the tag naming their build.
    async fn instances(&self, group: &str, build_tag: &str) -> Result<Vec<Instance>, FleetError>;
}

/// The instances of `group` as the group sees them.
pub(crate) async fn members(
    autoscaling: &aws_sdk_autoscaling::Client,
    group: &str,
) -> Result<Vec<aws_sdk_autoscaling::types::Instance>, FleetError> {
    let answer = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .map_err(|e| FleetError::from_sdk("Auto Scaling", "DescribeAutoScalingGroups", &e))?;
    Ok(answer
        .auto_scaling_groups()
        .iter()
        .flat_map(|g| g.instances().iter().cloned())
        .collect())
}

/// [`InstanceSource`] over Auto Scaling and EC2.
#[derive(Debug, Clone)]
pub struct AwsInstances {
    autoscaling: aws_sdk_autoscaling::Client,
    ec2: aws_sdk_ec2::Client,
}

impl AwsInstances {
    /// A source for a loaded SDK configuration.
    pub fn from_config(config: &aws_types::SdkConfig) -> Self {
        Self {
            autoscaling: aws_sdk_autoscaling::Client::new(config),
            ec2: aws_sdk_ec2::Client::new(config),
        }
    }
}

#[async_trait]
impl InstanceSource for AwsInstances {
    async fn instances(&self, group: &str, build_tag: &str) -> Result<Vec<Instance>, FleetError> {
        let mut out: Vec<Instance> = members(&self.autoscaling, group)
            .await?
            .iter()
            .map(|i| Instance {
                instance_id: i.instance_id().unwrap_or_default().to_owned(),
                availability_zone: i.availability_zone().unwrap_or_default().to_owned(),
                lifecycle: i
                    .lifecycle_state()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                health: i.health_status().unwrap_or_default().to_owned(),
                launch_time: String::new(),
                build_sha256: String::new(),
            })
            .collect();
        if out.is_empty() {
            return Ok(out);
        }
        let ids: Vec<String> = out.iter().map(|i| i.instance_id.clone()).collect();
        let described = self
            .ec2
            .describe_instances()
            .set_instance_ids(Some(ids))
            .send()
            .await
            .map_err(|e| FleetError::from_sdk("EC2", "DescribeInstances", &e))?;
        for ec2 in described.reservations().iter().flat_map(|r| r.instances()) {
            let Some(instance) = out
                .iter_mut()
                .find(|i| Some(i.instance_id.as_str()) == ec2.instance_id())
            else {
                continue;
            };
            instance.launch_time = ec2
                .launch_time()
                .and_then(|t| t.fmt(Format::DateTime).ok())
                .unwrap_or_default();
            instance.build_sha256 = ec2
                .tags()
                .iter()
                .find(|t| t.key() == Some(build_tag))
                .and_then(|t| t.value())
                .unwrap_or_default()
                .to_owned();
        }
        out.sort_by(|a, b| (&a.launch_time, &a.instance_id).cmp(&(&b.launch_time, &b.instance_id)));
        Ok(out)
    }
}
