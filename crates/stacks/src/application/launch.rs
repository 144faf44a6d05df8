//! The launch template every instance starts from: the Amazon Linux 2023 image, the instance
//! type, the role, a public address in a public subnet (no NAT: that is how instances reach AWS
//! APIs), IMDSv2 only, an encrypted disk, and the boot script as UserData with the stack's
//! values filled in by `Fn::Sub`.

use cfn_template::resources::Tag;
use cfn_template::resources::ec2::{
    BlockDeviceMapping, Ebs, IamInstanceProfileRef, LaunchTemplate, LaunchTemplateData,
    MetadataOptions, Monitoring, NetworkInterface, TagSpecification,
};
use cfn_template::resources::iam::InstanceProfile;
use cfn_template::{
    Expr, Handle, Parameter, ParameterHandle, ParameterType, Template, TemplateError,
};

use super::logs::LogGroups;
use super::security_groups::Groups;
use super::{name_tag, timing};
use crate::naming::{Export, Naming};
use crate::settings::ApplicationSettings;

/// The public SSM parameter naming the current Amazon Linux 2023 image in every region. The
/// deployer reads it for the first deploy and when asked to update the image, and passes the
/// image id as [`IMAGE_PARAMETER`]: were the template to name the SSM parameter itself,
/// CloudFormation would resolve it at every update, and the day AWS publishes a new image any
/// unrelated change would replace every instance.
pub const AMI_PARAMETER: &str =
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
/// Where the app's output goes on an instance (the unit appends to it; the agent ships it).
pub const APP_LOG_FILE: &str = "/var/log/techchallenge/app.log";
/// The instance tag naming the build (its SHA-256) an instance runs.
pub const BUILD_TAG: &str = "techchallenge:build-sha256";
/// Parameter: the AMI id the instances launch from.
pub const IMAGE_PARAMETER: &str = "ImageId";
/// The boot script, with `${Name}` placeholders filled by `Fn::Sub`.
pub const BOOT_SCRIPT: &str = include_str!("../../assets/boot.sh");

/// What the launch template refers to in the rest of the stack.
pub struct Parts<'a> {
    /// The security groups (the instances').
    pub groups: &'a Groups,
    /// The instance profile.
    pub profile: &'a Handle<InstanceProfile>,
    /// The log groups the boot script and the app write to.
    pub logs: &'a LogGroups,
    /// The build's SHA-256 parameter (the instances are tagged with it).
    pub build_sha256: &'a ParameterHandle,
    /// The environment's common tags (`tags::common`): stack tags do not reach the instances
    /// and volumes the group launches, so the launch template carries them.
    pub tags: &'a [(String, String)],
}

/// Adds the image parameter and the launch template.
pub fn add(
    t: &mut Template,
    naming: &Naming,
    app: &ApplicationSettings,
    parts: Parts<'_>,
) -> Result<Handle<LaunchTemplate>, TemplateError> {
    let image = t.parameter(
        IMAGE_PARAMETER,
        Parameter::new(
            ParameterType::ImageId,
            "Amazon Linux 2023 image the instances launch from: resolved by techchallenge deploy from AWS's public SSM parameter on the first deploy, then kept until deploy --update-image",
        ),
    )?;
    t.add(
        "LaunchTemplate",
        LaunchTemplate {
            launch_template_name: Some(naming.physical("app").into()),
            launch_template_data: LaunchTemplateData {
                image_id: image.r#ref(),
                instance_type: app.instance_type.as_str().into(),
                iam_instance_profile: Some(IamInstanceProfileRef {
                    arn: parts.profile.arn(),
                }),
                network_interfaces: vec![NetworkInterface {
                    device_index: 0,
                    associate_public_ip_address: true,
                    groups: vec![
                        parts.groups.instances.group_id(),
                        naming.import(Export::DatabaseClientSecurityGroup),
                    ],
                    delete_on_termination: true,
                }],
                metadata_options: MetadataOptions {
                    http_tokens: "required".into(),
                    http_endpoint: "enabled".into(),
                    http_put_response_hop_limit: 1,
                },
                block_device_mappings: vec![BlockDeviceMapping {
                    device_name: "/dev/xvda".into(),
                    ebs: Ebs {
                        volume_size: 8,
                        volume_type: "gp3".into(),
                        encrypted: true,
                        delete_on_termination: true,
                    },
                }],
                user_data: Some(Expr::base64(boot_script(naming, parts.logs))),
                monitoring: Some(Monitoring { enabled: true }),
                tag_specifications: ["instance", "volume"]
                    .into_iter()
                    .map(|kind| TagSpecification {
                        resource_type: kind.into(),
                        tags: instance_tags(naming, parts.build_sha256, parts.tags),
                    })
                    .collect(),
            },
        },
    )
}

/// The instance's (and its volume's) tags: its name, the build it runs (which
/// `techchallenge instances` shows) and the environment's common tags.
fn instance_tags(
    naming: &Naming,
    build_sha256: &ParameterHandle,
    common: &[(String, String)],
) -> Vec<Tag> {
    let mut tags = name_tag(naming, "instance");
    tags.push(Tag {
        key: BUILD_TAG.into(),
        value: build_sha256.r#ref(),
    });
    tags.extend(common.iter().map(|(key, value)| Tag {
        key: key.clone(),
        value: value.clone().into(),
    }));
    tags
}

/// The script as UserData: without its comment lines and blank lines (the shebang stays). EC2
/// takes at most 16 KiB of UserData once base64-encoded, and the comments are for people
/// reading `assets/boot.sh`. (Its heredocs hold no line that starts with `#`.)
fn compact(script: &str) -> String {
    let mut lines = script.lines();
    let mut out = String::with_capacity(script.len());
    if let Some(shebang) = lines.next() {
        out.push_str(shebang);
        out.push('\n');
    }
    for line in lines {
        let trimmed = line.trim_start();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The CloudWatch agent's configuration on the instances: the app's log file to the app log
/// group, one stream per instance id (the agent fills in `{instance_id}`). The group's
/// retention is the stack's (`-1`: the agent leaves it alone).
pub fn cloudwatch_agent_config(naming: &Naming) -> String {
    let config = serde_json::json!({
        "agent": {"metrics_collection_interval": 60},
        "logs": {
            "force_flush_interval": 5,
            "logs_collected": {"files": {"collect_list": [{
                "file_path": APP_LOG_FILE,
                "log_group_name": naming.log_group("app"),
                "log_stream_name": "{instance_id}",
                "retention_in_days": -1,
            }]}},
        },
    });
    serde_json::to_string_pretty(&config).unwrap_or_default()
}

/// The boot script with its placeholders: the build parameters and pseudo parameters are
/// substituted by name; the values imported from other stacks and the log groups need local
/// variables.
fn boot_script(naming: &Naming, logs: &LogGroups) -> Expr {
    Expr::sub_with(
        compact(BOOT_SCRIPT),
        [
            (
                "ArtifactBucket".to_owned(),
                naming.import(Export::ArtifactBucket),
            ),
            ("DbInstance".to_owned(), naming.database_instance().into()),
            ("DbName".to_owned(), naming.import(Export::DatabaseName)),
            (
                "DbSecretArn".to_owned(),
                naming.import(Export::DatabaseSecretArn),
            ),
            ("BootLogGroup".to_owned(), logs.boot.r#ref()),
            ("AppLogFile".to_owned(), APP_LOG_FILE.into()),
            ("AppLogGroup".to_owned(), logs.app.r#ref()),
            (
                "CloudWatchAgentConfig".to_owned(),
                cloudwatch_agent_config(naming).into(),
            ),
            (
                "BootDeadlineSeconds".to_owned(),
                timing::BOOT_DEADLINE_SECONDS.to_string().into(),
            ),
            (
                "DatabaseWaitSeconds".to_owned(),
                timing::DATABASE_WAIT_SECONDS.to_string().into(),
            ),
        ],
    )
}
