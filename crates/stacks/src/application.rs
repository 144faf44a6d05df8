//! The application stack: an internet-facing load balancer in both public subnets in front of
//! an auto scaling group of instances (at least one per AZ) that run the TechChallenge app.
//! The load balancer takes port 80 (and 443 with a certificate) from anywhere; instances take
//! 3000 from the load balancer only, and reach the database through its client group.

use cfn_template::resources::Tag;
use cfn_template::resources::autoscaling::{
    AutoScalingGroup, LaunchTemplateSpecification, MetricsCollection, PredefinedMetric,
    PropagatedTag, ScalingPolicy, TargetTrackingConfiguration,
};
use cfn_template::resources::ec2::{
    BlockDeviceMapping, Ebs, IamInstanceProfileRef, LaunchTemplate, LaunchTemplateData,
    MetadataOptions, Monitoring, NetworkInterface, SecurityGroup, SecurityGroupEgress,
    SecurityGroupIngress, SecurityGroupRule, TagSpecification,
};
use cfn_template::resources::elbv2::{
    Action, Attribute, Certificate, HealthCheck, Listener, LoadBalancer, Matcher, TargetGroup,
};
use cfn_template::resources::iam::{
    InlinePolicy, InstanceProfile, Role, Statement, policy_document,
};
use cfn_template::{
    Expr, Output, Parameter, ParameterType, ResourceSignal, RollingUpdate, Template, TemplateError,
};

use crate::naming::{Export, Naming, StackRole};
use crate::settings::Settings;

/// The port the application listens on.
pub const APP_PORT: i64 = 3000;
/// The health check path of the target group.
pub const HEALTH_CHECK_PATH: &str = "/healthcheck/";
/// Status codes the target group counts as healthy on [`HEALTH_CHECK_PATH`] (see the template).
pub const HEALTHY_CODES: &str = "200,503";
/// The public SSM parameter naming the current Amazon Linux 2023 image in every region.
pub const AMI_PARAMETER: &str =
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
/// The boot script, with `${Name}` placeholders filled by `Fn::Sub`.
pub const BOOT_SCRIPT: &str = include_str!("../assets/boot.sh");
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
    let stack = naming.stack_name(StackRole::Application);
    let tag = |what: &str| vec![Tag::name(format!("{stack}-{what}"))];
    let mut t = Template::new(format!(
        "TechChallenge {env} application: internet-facing load balancer and an auto scaling group in two availability zones"
    ));
    let image = t.parameter(
        "ImageId",
        Parameter::new(ParameterType::SsmImageId, "Amazon Linux 2023 image, resolved from AWS's public SSM parameter in the stack's region")
            .default_value(AMI_PARAMETER),
    )?;

    t.parameter(
        ARTIFACT_KEY_PARAMETER,
        Parameter::new(
            ParameterType::String,
            "S3 key of the application build in the artifacts bucket (set by techchallenge deploy)",
        ),
    )?;
    t.parameter(
        ARTIFACT_SHA256_PARAMETER,
        Parameter::new(ParameterType::String, "SHA-256 of the application build, verified by each instance (set by techchallenge deploy)"),
    )?;

    // Security groups: rules between the two groups live in their own resources (they refer to each other).
    let mut alb_ingress = vec![SecurityGroupRule::tcp_from_cidr(
        80,
        "0.0.0.0/0",
        "HTTP from anywhere: the application's public entry point",
    )];
    if app.certificate_arn.is_some() {
        alb_ingress.push(SecurityGroupRule::tcp_from_cidr(
            443,
            "0.0.0.0/0",
            "HTTPS from anywhere: the application's public entry point",
        ));
    }
    let alb_group = t.add(
        "LoadBalancerSecurityGroup",
        SecurityGroup {
            group_description: format!(
                "{stack}: load balancer, open to the world on its listener ports only"
            ),
            vpc_id: naming.import(Export::VpcId),
            security_group_ingress: alb_ingress,
            security_group_egress: vec![],
            tags: tag("alb"),
        },
    )?;
    let instance_group = t.add(
        "InstanceSecurityGroup",
        SecurityGroup {
            group_description: format!("{stack}: application instances, reachable from the load balancer only"),
            vpc_id: naming.import(Export::VpcId),
            security_group_ingress: vec![],
            security_group_egress: vec![SecurityGroupRule::tcp_to_cidr(
                443,
                "0.0.0.0/0",
                "HTTPS to AWS APIs (Secrets Manager, CloudFormation, SSM) and the application download",
            )],
            tags: tag("instances"),
        },
    )?;
    t.add(
        "InstanceIngressFromLoadBalancer",
        SecurityGroupIngress {
            group_id: instance_group.group_id(),
            rule: SecurityGroupRule::tcp_from_group(
                APP_PORT,
                alb_group.group_id(),
                "Application port from the load balancer only",
            ),
        },
    )?;
    t.add(
        "LoadBalancerEgressToInstances",
        SecurityGroupEgress {
            group_id: alb_group.group_id(),
            rule: SecurityGroupRule::tcp_to_group(
                APP_PORT,
                instance_group.group_id(),
                "Requests and health checks to the instances",
            ),
        },
    )?;

    let public_subnets = vec![
        naming.import(Export::PublicSubnetA),
        naming.import(Export::PublicSubnetB),
    ];
    let load_balancer = t.add(
        "LoadBalancer",
        LoadBalancer {
            name: Some(naming.short("alb").into()),
            kind: "application".into(),
            scheme: "internet-facing".into(),
            subnets: public_subnets.clone(),
            security_groups: vec![alb_group.group_id()],
            load_balancer_attributes: vec![
                Attribute::new("routing.http.drop_invalid_header_fields.enabled", "true"),
                Attribute::new("routing.http.desync_mitigation_mode", "defensive"),
            ],
            tags: tag("alb"),
        },
    )?;
    let target_group = t.add(
        "TargetGroup",
        TargetGroup {
            name: None,
            port: APP_PORT as u32,
            protocol: "HTTP".into(),
            target_type: "instance".into(),
            vpc_id: naming.import(Export::VpcId),
            health_check: HealthCheck {
                path: HEALTH_CHECK_PATH.into(),
                protocol: "HTTP".into(),
                interval_seconds: 10,
                timeout_seconds: 5,
                healthy_threshold_count: 2,
                unhealthy_threshold_count: 3,
            },
            // 200: ready. 503 is the app's "alive, but the database is not answering": every
            // instance shares that database, so replacing instances cannot help and the auto
            // scaling group (ELB health checks) must not churn the whole fleet during an outage
            // or a Multi-AZ failover. No answer, a timeout or any other status is unhealthy.
            matcher: Some(Matcher {
                http_code: HEALTHY_CODES.into(),
            }),
            target_group_attributes: vec![Attribute::new(
                "deregistration_delay.timeout_seconds",
                "30",
            )],
            tags: tag("targets"),
        },
    )?;
    let http_action = match &app.certificate_arn {
        Some(arn) => {
            t.add(
                "HttpsListener",
                Listener {
                    load_balancer_arn: load_balancer.r#ref(),
                    port: 443,
                    protocol: "HTTPS".into(),
                    ssl_policy: Some(TLS_POLICY.into()),
                    certificates: Some(vec![Certificate {
                        certificate_arn: arn.as_str().into(),
                    }]),
                    default_actions: vec![Action::forward(target_group.r#ref())],
                },
            )?;
            Action::redirect_to_https()
        }
        None => Action::forward(target_group.r#ref()),
    };
    t.add(
        "HttpListener",
        Listener {
            load_balancer_arn: load_balancer.r#ref(),
            port: 80,
            protocol: "HTTP".into(),
            ssl_policy: None,
            certificates: None,
            default_actions: vec![http_action],
        },
    )?;

    let role = t.add("InstanceRole", instance_role(&stack, naming))?;
    let profile = t.add(
        "InstanceProfile",
        InstanceProfile {
            roles: vec![role.r#ref()],
        },
    )?;
    let boot = Expr::sub_with(
        BOOT_SCRIPT,
        [
            // The artifact parameters are substituted by name; imports need local variables.
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
        ],
    );
    let launch_template = t.add(
        "LaunchTemplate",
        LaunchTemplate {
            launch_template_name: Some(naming.physical("app").into()),
            launch_template_data: LaunchTemplateData {
                image_id: image.r#ref(),
                instance_type: app.instance_type.as_str().into(),
                iam_instance_profile: Some(IamInstanceProfileRef { arn: profile.arn() }),
                network_interfaces: vec![NetworkInterface {
                    device_index: 0,
                    // Public subnets have no NAT: a public address is how instances reach AWS APIs.
                    associate_public_ip_address: true,
                    groups: vec![
                        instance_group.group_id(),
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
                user_data: Some(Expr::base64(boot)),
                monitoring: Some(Monitoring { enabled: true }),
                tag_specifications: ["instance", "volume"]
                    .into_iter()
                    .map(|kind| TagSpecification {
                        resource_type: kind.into(),
                        tags: tag("instance"),
                    })
                    .collect(),
            },
        },
    )?;
    let group = t.add(
        GROUP_ID,
        AutoScalingGroup {
            auto_scaling_group_name: Some(naming.physical("app").into()),
            launch_template: LaunchTemplateSpecification {
                launch_template_id: launch_template.r#ref(),
                version: launch_template.latest_version_number(),
            },
            min_size: app.min_instances.to_string(),
            max_size: app.max_instances.to_string(),
            desired_capacity: Some(app.desired_instances.to_string()),
            vpc_zone_identifier: public_subnets,
            target_group_arns: vec![target_group.r#ref()],
            health_check_type: "ELB".into(),
            health_check_grace_period: 300,
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
        timeout: "PT15M".into(),
    });
    options.rolling_update = Some(RollingUpdate {
        min_instances_in_service: app.min_instances,
        max_batch_size: 1,
        pause_time: "PT15M".into(),
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
                [("Dns".to_owned(), load_balancer.dns_name())],
            ),
            description: "Where the application answers".into(),
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

/// The instances' role: Session Manager instead of SSH, reading the database secret, and
/// signalling its own stack. Nothing else.
fn instance_role(stack: &str, naming: &Naming) -> Role {
    let stack_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{stack}/*"
    ));
    Role {
        assume_role_policy_document: policy_document(&[Statement::trust_service(
            "ec2.amazonaws.com",
        )]),
        description: format!("{stack}: application instances"),
        managed_policy_arns: vec![Expr::sub(
            "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
        )],
        policies: vec![InlinePolicy {
            policy_name: "application".into(),
            policy_document: policy_document(&[
                Statement::allow(
                    &["secretsmanager:GetSecretValue"],
                    vec![naming.import(Export::DatabaseSecretArn)],
                ),
                Statement::allow(&["cloudformation:SignalResource"], vec![stack_arn]),
                Statement::allow(
                    &["s3:GetObject"],
                    vec![Expr::sub_with(
                        format!(
                            "arn:${{AWS::Partition}}:s3:::${{Bucket}}/{}*",
                            crate::artifacts::ARTIFACT_PREFIX
                        ),
                        [("Bucket".to_owned(), naming.import(Export::ArtifactBucket))],
                    )],
                ),
            ]),
        }],
        tags: vec![Tag::name(format!("{stack}-instance-role"))],
    }
}
