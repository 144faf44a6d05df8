//! The engine's [`Diagnostics`] over the services the stacks run on: for the application stack,
//! the auto scaling group's activities, each instance's boot log (CloudWatch Logs) and the load
//! balancer's target health; for the database stack, the instance's RDS events. Which stack is
//! which, and the physical names to look at, come from the caller ([`Watched`]): the templates
//! fix them, so nothing has to be looked up in CloudFormation.
//!
//! Best effort by design: evidence that cannot be read (a missing permission, a resource not
//! created yet) becomes a [`Finding::Unavailable`], never an error of the deploy.

use async_trait::async_trait;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use techchallenge_deploy::{Diagnostics, Finding, LaunchFailure, StackName, Timestamp};

use crate::FleetError;
use crate::launch_errors::{WAIT_ADVICE, hopeless};

/// How many lines of each instance's boot log a report shows.
const BOOT_LOG_LINES: i32 = 15;
/// How many instances' boot logs a report shows.
const BOOT_LOGS: usize = 3;

/// The application stack's resources, by their physical names.
#[derive(Debug, Clone)]
pub struct ApplicationResources {
    /// The stack.
    pub stack: StackName,
    /// The auto scaling group.
    pub group: String,
    /// The load balancer (its target groups' health is read).
    pub load_balancer: String,
    /// The CloudWatch Logs group of the boot logs (streams named by instance id).
    pub boot_log_group: String,
}

/// The database stack's resources.
#[derive(Debug, Clone)]
pub struct DatabaseResources {
    /// The stack.
    pub stack: StackName,
    /// The RDS instance identifier.
    pub instance: String,
}

/// Which stacks to explain, and where their evidence is.
#[derive(Debug, Clone, Default)]
pub struct Watched {
    /// The application stack, if it is deployed in this run.
    pub application: Option<ApplicationResources>,
    /// The database stack.
    pub database: Option<DatabaseResources>,
}

/// [`Diagnostics`] over the AWS SDKs.
#[derive(Debug, Clone)]
pub struct FleetDiagnostics {
    watched: Watched,
    autoscaling: aws_sdk_autoscaling::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    rds: aws_sdk_rds::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
}

impl FleetDiagnostics {
    /// Diagnostics for `watched`, with clients for a loaded SDK configuration.
    pub fn from_config(config: &aws_types::SdkConfig, watched: Watched) -> Self {
        Self {
            watched,
            autoscaling: aws_sdk_autoscaling::Client::new(config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(config),
            rds: aws_sdk_rds::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
        }
    }

    /// The group's activities since `since`, newest first.
    async fn activities(
        &self,
        group: &str,
        since: &Timestamp,
    ) -> Result<Vec<aws_sdk_autoscaling::types::Activity>, FleetError> {
        let answer = self
            .autoscaling
            .describe_scaling_activities()
            .auto_scaling_group_name(group)
            .max_records(20)
            .send()
            .await
            .map_err(|e| FleetError::from_sdk("Auto Scaling", "DescribeScalingActivities", &e))?;
        Ok(answer
            .activities()
            .iter()
            .filter(|a| {
                a.start_time()
                    .is_none_or(|t| t.to_millis().unwrap_or(i64::MAX) >= since.epoch_millis)
            })
            .cloned()
            .collect())
    }

    /// The ids of the group's instances now.
    async fn instances(&self, group: &str) -> Result<Vec<String>, FleetError> {
        Ok(crate::instances::members(&self.autoscaling, group)
            .await?
            .iter()
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect())
    }

    /// The last lines of an instance's boot log (empty when it shipped none).
    async fn boot_log(&self, group: &str, instance: &str) -> Result<Vec<String>, FleetError> {
        let answer = self
            .logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(instance)
            .start_from_head(false)
            .limit(BOOT_LOG_LINES)
            .send()
            .await;
        match answer {
            Ok(a) => Ok(a
                .events()
                .iter()
                .filter_map(|e| e.message().map(str::to_owned))
                .collect()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(Vec::new())
            }
            Err(e) => Err(FleetError::from_sdk("CloudWatch Logs", "GetLogEvents", &e)),
        }
    }

    /// The health of every target of the load balancer's target groups.
    async fn target_health(&self, load_balancer: &str) -> Result<Vec<Finding>, FleetError> {
        let balancers = self
            .elb
            .describe_load_balancers()
            .names(load_balancer)
            .send()
            .await
            .map_err(|e| FleetError::from_sdk("ELB", "DescribeLoadBalancers", &e))?;
        let mut out = Vec::new();
        for arn in balancers
            .load_balancers()
            .iter()
            .filter_map(|b| b.load_balancer_arn())
        {
            let groups = self
                .elb
                .describe_target_groups()
                .load_balancer_arn(arn)
                .send()
                .await
                .map_err(|e| FleetError::from_sdk("ELB", "DescribeTargetGroups", &e))?;
            for group in groups
                .target_groups()
                .iter()
                .filter_map(|g| g.target_group_arn())
            {
                let health = self
                    .elb
                    .describe_target_health()
                    .target_group_arn(group)
                    .send()
                    .await
                    .map_err(|e| FleetError::from_sdk("ELB", "DescribeTargetHealth", &e))?;
                for d in health.target_health_descriptions() {
                    let th = d.target_health();
                    out.push(Finding::TargetHealth {
                        instance_id: d
                            .target()
                            .and_then(|t| t.id())
                            .unwrap_or_default()
                            .to_owned(),
                        state: th
                            .and_then(|h| h.state())
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                        reason: th.and_then(|h| h.reason()).map(|r| r.as_str().to_owned()),
                        description: th.and_then(|h| h.description()).map(str::to_owned),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The database instance's events since `since`.
    async fn database_events(
        &self,
        instance: &str,
        since: &Timestamp,
    ) -> Result<Vec<Finding>, FleetError> {
        let answer = self
            .rds
            .describe_events()
            .source_identifier(instance)
            .source_type(aws_sdk_rds::types::SourceType::DbInstance)
            .start_time(DateTime::from_millis(since.epoch_millis))
            .send()
            .await
            .map_err(|e| FleetError::from_sdk("RDS", "DescribeEvents", &e))?;
        Ok(answer
            .events()
            .iter()
            .map(|e| Finding::DatabaseEvent {
                time: e.date().map(rfc3339).unwrap_or_default(),
                message: e.message().unwrap_or_default().to_owned(),
            })
            .collect())
    }

    async fn explain_application(
        &self,
        app: &ApplicationResources,
        since: &Timestamp,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut instances = Vec::new();
        match self.activities(&app.group, since).await {
            Ok(activities) => {
                for a in activities.iter().rev() {
                    instances.extend(launched_instance(a.description().unwrap_or_default()));
                    out.push(Finding::ScalingActivity {
                        time: a.start_time().map(rfc3339).unwrap_or_default(),
                        status: a
                            .status_code()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                        description: a.description().unwrap_or_default().to_owned(),
                        message: a.status_message().map(str::to_owned),
                    });
                }
            }
            Err(e) => out.push(unavailable("the auto scaling group's activities", &e)),
        }
        let launched_count = instances.len();
        match self.instances(&app.group).await {
            Ok(now) => instances.extend(now),
            Err(e) => out.push(unavailable("the auto scaling group's instances", &e)),
        }
        // The instances launched since the operation began, newest first (they are the ones a
        // failure is about), then the group's members not among them (in a rolling update the
        // old, healthy instances come last).
        instances[..launched_count].reverse();
        let mut seen = std::collections::HashSet::new();
        instances.retain(|i| seen.insert(i.clone()));
        for instance in instances.iter().take(BOOT_LOGS) {
            match self.boot_log(&app.boot_log_group, instance).await {
                Ok(lines) if lines.is_empty() => out.push(Finding::Unavailable {
                    what: format!("{instance}'s boot log"),
                    reason: format!(
                        "{} has no stream {instance} yet (the instance has not started its boot script)",
                        app.boot_log_group
                    ),
                }),
                Ok(lines) => out.push(Finding::BootLog {
                    instance_id: instance.clone(),
                    lines,
                }),
                Err(e) => out.push(unavailable(&format!("{instance}'s boot log"), &e)),
            }
        }
        match self.target_health(&app.load_balancer).await {
            Ok(health) => out.extend(health),
            Err(e) => out.push(unavailable("the load balancer's target health", &e)),
        }
        out
    }
}

#[async_trait]
impl Diagnostics for FleetDiagnostics {
    async fn explain(&self, stack: &StackName, since: &Timestamp) -> Vec<Finding> {
        if let Some(app) = self
            .watched
            .application
            .as_ref()
            .filter(|a| &a.stack == stack)
        {
            return self.explain_application(app, since).await;
        }
        if let Some(db) = self.watched.database.as_ref().filter(|d| &d.stack == stack) {
            return self
                .database_events(&db.instance, since)
                .await
                .unwrap_or_else(|e| vec![unavailable("the database's events", &e)]);
        }
        Vec::new()
    }

    async fn watch(&self, stack: &StackName, since: &Timestamp) -> Vec<LaunchFailure> {
        let Some(app) = self
            .watched
            .application
            .as_ref()
            .filter(|a| &a.stack == stack)
        else {
            return Vec::new();
        };
        let activities = match self.activities(&app.group, since).await {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!("watching launches: {e}");
                return Vec::new();
            }
        };
        activities
            .iter()
            .filter(|a| {
                a.status_code().is_some_and(|s| {
                    matches!(
                        s,
                        aws_sdk_autoscaling::types::ScalingActivityStatusCode::Failed
                            | aws_sdk_autoscaling::types::ScalingActivityStatusCode::Cancelled
                    )
                })
            })
            .map(|a| {
                let reason = a
                    .status_message()
                    .or(a.description())
                    .unwrap_or_default()
                    .to_owned();
                let advice = hopeless(&reason);
                LaunchFailure {
                    activity_id: a.activity_id().unwrap_or_default().to_owned(),
                    hopeless: advice.is_some(),
                    advice: advice.unwrap_or(WAIT_ADVICE).to_owned(),
                    reason,
                }
            })
            .collect()
    }
}

/// The instance an activity launched ("Launching a new EC2 instance: i-0123...").
fn launched_instance(description: &str) -> Option<String> {
    description
        .split_whitespace()
        .find(|w| w.starts_with("i-"))
        .map(|w| w.trim_end_matches(['.', ',']).to_owned())
}

fn rfc3339(t: &DateTime) -> String {
    t.fmt(Format::DateTime).unwrap_or_default()
}

fn unavailable(what: &str, e: &FleetError) -> Finding {
    Finding::Unavailable {
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::launched_instance;

    #[test]
    fn the_launched_instance_is_read_from_the_activity() {
        assert_eq!(
            launched_instance("Launching a new EC2 instance: i-0123456789abcdef0"),
            Some("i-0123456789abcdef0".to_owned())
        );
        assert_eq!(
            launched_instance("Launching a new EC2 instance.  Status Reason: ..."),
            None
        );
    }
}
