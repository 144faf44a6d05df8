//! The launch template every instance starts from: the Amazon Linux 2023 image, the instance
//! type, the role, a public address in a public subnet (no NAT: that is how instances reach AWS
//! APIs), IMDSv2 only, an encrypted disk, and the boot script as UserData with the stack's
//! values filled in by `Fn::Sub`.

use cfn_template::resources::ec2::{
    BlockDeviceMapping, Ebs, IamInstanceProfileRef, LaunchTemplate, LaunchTemplateData,
    MetadataOptions, Monitoring, NetworkInterface, TagSpecification,
};
use cfn_template::resources::iam::InstanceProfile;
use cfn_template::{Expr, Handle, Parameter, ParameterType, Template, TemplateError};

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
/// Parameter: the AMI id the instances launch from.
pub const IMAGE_PARAMETER: &str = "ImageId";
/// The boot script, with `${Name}` placeholders filled by `Fn::Sub`.
pub const BOOT_SCRIPT: &str = include_str!("../../assets/boot.sh");

/// Adds the image parameter and the launch template.
pub fn add(
    t: &mut Template,
    naming: &Naming,
    app: &ApplicationSettings,
    groups: &Groups,
    profile: &Handle<InstanceProfile>,
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
                iam_instance_profile: Some(IamInstanceProfileRef { arn: profile.arn() }),
                network_interfaces: vec![NetworkInterface {
                    device_index: 0,
                    associate_public_ip_address: true,
                    groups: vec![
                        groups.instances.group_id(),
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
                user_data: Some(Expr::base64(boot_script(naming))),
                monitoring: Some(Monitoring { enabled: true }),
                tag_specifications: ["instance", "volume"]
                    .into_iter()
                    .map(|kind| TagSpecification {
                        resource_type: kind.into(),
                        tags: name_tag(naming, "instance"),
                    })
                    .collect(),
            },
        },
    )
}

/// The boot script with its placeholders: the build parameters and pseudo parameters are
/// substituted by name; the values imported from other stacks need local variables.
fn boot_script(naming: &Naming) -> Expr {
    Expr::sub_with(
        BOOT_SCRIPT,
        [
            (
                "ArtifactBucket".to_owned(),
                naming.import(Export::ArtifactBucket),
            ),
            ("DbHost".to_owned(), naming.import(Export::DatabaseEndpoint)),
            ("DbPort".to_owned(), naming.import(Export::DatabasePort)),
            ("DbName".to_owned(), naming.import(Export::DatabaseName)),
            (
                "DbSecretArn".to_owned(),
                naming.import(Export::DatabaseSecretArn),
            ),
            (
                "BootDeadlineSeconds".to_owned(),
                timing::BOOT_DEADLINE_SECONDS.to_string().into(),
            ),
        ],
    )
}
