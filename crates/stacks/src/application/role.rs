//! The instances' IAM role and instance profile: Session Manager instead of SSH, reading the
//! database secret, fetching builds from the artifacts bucket, signalling its own stack, and
//! writing to the stack's two log groups. Nothing else.

use cfn_template::resources::Tag;
use cfn_template::resources::iam::{
    InlinePolicy, InstanceProfile, Role, Statement, policy_document,
};
use cfn_template::{Expr, Handle, Template, TemplateError};

use super::logs::LogGroups;
use crate::naming::{Export, Naming, StackRole};

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
