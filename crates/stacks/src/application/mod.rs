//! The application stack: an internet-facing load balancer in both public subnets in front of
//! an auto scaling group of instances (at least one per AZ) that run the TechChallenge app.
//! The load balancer takes port 80 (and 443 with a certificate) from anywhere; instances take
//! 3000 from the load balancer only, and reach the database through its client group.
//!
//! [`template`] assembles it from named parts, one file each:
//! - `security_groups`: the load balancer's and the instances' groups and the rules between them;
//! - `load_balancer`: the load balancer, its target group and listeners;
//! - `logs`: the CloudWatch Logs groups of the boot and application logs;
//! - `role`: the instances' IAM role and instance profile;
//! - `launch`: the launch template and the boot script it runs (`assets/boot.sh`);
//! - `group`: the auto scaling group, its rolling updates, creation signals and scaling (on CPU
//!   and on requests per instance);
//! - `alarms`: the traffic alarms, which notify the alarm topic and are the stack's rollback
//!   triggers;
//! - `timing`: the boot deadline and the group's timeouts derived from it.

pub mod alarms;
mod group;
mod launch;
mod load_balancer;
pub mod logs;
mod role;
mod security_groups;
pub mod timing;

use cfn_template::{Expr, Output, Parameter, ParameterType, Template, TemplateError};

use crate::naming::{Naming, StackRole};
use crate::settings::Settings;

pub use launch::{
    AMI_PARAMETER, APP_LOG_FILE, BOOT_SCRIPT, BUILD_TAG, IMAGE_PARAMETER, cloudwatch_agent_config,
};

/// The port the application listens on.
pub const APP_PORT: i64 = 3000;
/// The health check path of the target group.
pub const HEALTH_CHECK_PATH: &str = "/healthcheck/";
/// Status codes the target group counts as healthy on [`HEALTH_CHECK_PATH`] (see
/// `load_balancer.rs`).
pub const HEALTHY_CODES: &str = "200,503";
/// Parameter: the S3 key of the application build in the artifacts bucket (`app/SHA256/FILE`).
pub const ARTIFACT_KEY_PARAMETER: &str = "AppArtifactKey";
/// Parameter: the build's SHA-256, checked by every instance before installing it.
pub const ARTIFACT_SHA256_PARAMETER: &str = "AppArtifactSha256";
/// The logical id of the auto scaling group, which instances signal when healthy.
pub const GROUP_ID: &str = "AppGroup";
/// TLS policy of the HTTPS listener: TLS 1.3 and 1.2 only.
pub const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// Builds the application template.
pub fn template(settings: &Settings, naming: &Naming) -> Result<Template, TemplateError> {
    let env = naming.environment();
    let app = &settings.application;
    let mut t = Template::new(format!(
        "TechChallenge {env} application: internet-facing load balancer and an auto scaling group in two availability zones"
    ));
    t.parameter(
        ARTIFACT_KEY_PARAMETER,
        Parameter::new(
            ParameterType::String,
            "S3 key of the application build in the artifacts bucket (set by techchallenge deploy)",
        ),
    )?;
    let build_sha256 = t.parameter(
        ARTIFACT_SHA256_PARAMETER,
        Parameter::new(
            ParameterType::String,
            "SHA-256 of the application build, verified by each instance (set by techchallenge deploy)",
        ),
    )?;

    let groups = security_groups::add(&mut t, naming, app)?;
    let balancer = load_balancer::add(&mut t, naming, app, &groups)?;
    let log_groups = logs::add(&mut t, naming, app)?;
    let profile = role::add(&mut t, naming, &log_groups)?;
    let launch_template = launch::add(
        &mut t,
        naming,
        app,
        launch::Parts {
            groups: &groups,
            profile: &profile,
            logs: &log_groups,
            build_sha256: &build_sha256,
            tags: &crate::tags::common(settings),
        },
    )?;
    let group = group::add(&mut t, naming, app, &launch_template, &balancer)?;
    alarms::add(&mut t, naming, &balancer)?;

    let scheme = if app.certificate_arn.is_some() {
        "https"
    } else {
        "http"
    };
    t.output(
        "Url",
        Output {
            value: Expr::sub_with(
                format!("{scheme}://${{Dns}}/"),
                [("Dns".to_owned(), balancer.load_balancer.dns_name())],
            ),
            description: "Where the application answers".into(),
            export: None,
        },
    )?;
    t.output(
        "BootLogGroup",
        Output {
            value: log_groups.boot.r#ref(),
            description: "The instances' boot logs, one stream per instance id".into(),
            export: None,
        },
    )?;
    t.output(
        "AppLogGroup",
        Output {
            value: log_groups.app.r#ref(),
            description: "The application's output, one stream per instance id".into(),
            export: None,
        },
    )?;
    t.output(
        "AutoScalingGroupName",
        Output {
            value: group.r#ref(),
            description: "The auto scaling group of the instances".into(),
            export: None,
        },
    )?;
    Ok(t)
}

/// The `Name` tag of one of the stack's resources: `STACK-WHAT`.
fn name_tag(naming: &Naming, what: &str) -> Vec<cfn_template::resources::Tag> {
    vec![cfn_template::resources::Tag::name(format!(
        "{}-{what}",
        naming.stack_name(StackRole::Application)
    ))]
}
