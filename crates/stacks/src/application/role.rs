//! The instances' IAM role and instance profile: Session Manager instead of SSH, reading the
//! database secret, fetching builds from the artifacts bucket, signalling its own stack, waiting
//! for its database, and writing to the stack's two log groups. Nothing else: no AWS managed
//! policy (`AmazonSSMManagedInstanceCore` would also grant `ssm:GetParameter*` on every
//! parameter of the account, which nothing on the instance reads; `no-managed-ssm-policy`).

use cfn_template::resources::Tag;
use cfn_template::resources::iam::{
    InlinePolicy, InstanceProfile, Role, Statement, policy_document,
};
use cfn_template::{Expr, Handle, Template, TemplateError};

use super::logs::LogGroups;
use crate::naming::{Export, Naming, StackRole};

/// The Session Manager channel actions the SSM agent needs. They name no resource type in
/// IAM, so the only resource they can be granted on is `*`.
const SESSION_MANAGER_CHANNELS: [&str; 4] = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
];

/// Adds the role and its instance profile; returns the profile the launch template names.
pub fn add(
    t: &mut Template,
    naming: &Naming,
    logs: &LogGroups,
) -> Result<Handle<InstanceProfile>, TemplateError> {
    let role = t.add("InstanceRole", instance_role(naming, logs))?;
    t.add(
        "InstanceProfile",
        InstanceProfile {
            roles: vec![role.r#ref()],
        },
    )
}

fn instance_role(naming: &Naming, logs: &LogGroups) -> Role {
    let stack = naming.stack_name(StackRole::Application);
    let stack_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{stack}/*"
    ));
    Role {
        assume_role_policy_document: policy_document(&[Statement::trust_service(
            "ec2.amazonaws.com",
        )]),
        description: format!("{stack}: application instances"),
        managed_policy_arns: vec![],
        policies: vec![InlinePolicy {
            policy_name: "application".into(),
            policy_document: policy_document(&[
                // Session Manager, and only it: AWS's documented minimal instance permissions
                // ("Create a custom IAM role for Session Manager",
                // https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html;
                // the same five actions as the managed policy AWSCloud9SSMInstanceProfile).
                // Without s3:GetEncryptionConfiguration and kms:Decrypt, which only session
                // logging to S3 and KMS-encrypted sessions need. The agent's heartbeat is
                // limited to instances of this account and region (its resource type is the
                // instance); the ssmmessages actions have no resource type, hence `*`.
                Statement::allow(
                    &["ssm:UpdateInstanceInformation"],
                    vec![Expr::sub(
                        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*",
                    )],
                ),
                Statement::allow(&SESSION_MANAGER_CHANNELS, vec![Expr::from("*")]),
                Statement::allow(
                    &["secretsmanager:GetSecretValue"],
                    vec![naming.import(Export::DatabaseSecretArn)],
                ),
                Statement::allow(&["cloudformation:SignalResource"], vec![stack_arn]),
                // The boot waits while the database is still being created (one instance).
                Statement::allow(
                    &["rds:DescribeDBInstances"],
                    vec![Expr::sub(format!(
                        "arn:${{AWS::Partition}}:rds:${{AWS::Region}}:${{AWS::AccountId}}:db:{}",
                        naming.database_instance()
                    ))],
                ),
                // The groups' ARNs end in `:*`, which covers their streams and no other group.
                Statement::allow(
                    &[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    vec![logs.boot.arn(), logs.app.arn()],
                ),
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
