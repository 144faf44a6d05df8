//! The environment's alarm topic: every alarm of the database and application stacks notifies
//! it, and through it the settings' `monitoring.notification_email` (subscribed only when set;
//! SNS asks the address to confirm once). It lives in the artifacts stack, deployed first and
//! kept across application deploys, so alarms always have somewhere to go.
//!
//! Encrypted at rest with a customer-managed key: CloudWatch cannot publish to a topic encrypted
//! with the AWS-managed `alias/aws/sns` key (whose policy no one can change), so the key's policy
//! lets `cloudwatch.amazonaws.com` use it, and the account administer it (without which KMS
//! refuses the policy). Its material rotates yearly. The topic's policy lets CloudWatch publish
//! only for this account's alarms in this region (`aws:SourceAccount`, `aws:SourceArn`), so no
//! other account's alarm can use the service to reach it.

use cfn_template::resources::Tag;
use cfn_template::resources::iam::{Statement, policy_document};
use cfn_template::resources::kms::Key;
use cfn_template::resources::sns::{Subscription, Topic, TopicPolicy};
use cfn_template::{DeletionPolicy, Expr, Handle, Template, TemplateError};

use crate::naming::{Export, Naming, StackRole};
use crate::settings::MonitoringSettings;

/// The topic's logical id.
pub const TOPIC_ID: &str = "AlarmTopic";
/// The service that publishes alarm state changes.
const CLOUDWATCH: &str = "cloudwatch.amazonaws.com";

/// Adds the key, the topic, its policy, the e-mail subscription when one is set, and the
/// export of the topic's ARN.
pub fn add(
    t: &mut Template,
    naming: &Naming,
    monitoring: &MonitoringSettings,
) -> Result<Handle<Topic>, TemplateError> {
    let stack = naming.stack_name(StackRole::Artifacts);
    let key = t.add(
        "AlarmTopicKey",
        Key {
            description: format!("Encrypts the messages of {stack}'s alarm topic"),
            enable_key_rotation: true,
            key_policy: key_policy(),
            pending_window_in_days: None,
            tags: vec![Tag::name(format!("{stack}-alarm-topic-key"))],
        },
    )?;
    // Explicit: the key goes with the stack (KMS deletes it after its pending window). It
    // protects only messages in flight, which SNS does not keep, so nothing is lost with it.
    let options = t.options(&key)?;
    options.deletion_policy = Some(DeletionPolicy::Delete);
    options.update_replace_policy = Some(DeletionPolicy::Delete);
    let topic = t.add(
        TOPIC_ID,
        Topic {
            topic_name: Some(naming.physical("alarms").into()),
            display_name: Some(format!("TechChallenge {} alarms", naming.environment())),
            kms_master_key_id: Some(key.arn()),
            tags: vec![Tag::name(format!("{stack}-alarms"))],
        },
    )?;
    let mut publish = Statement::allow(&["sns:Publish"], vec![topic.arn()]);
    publish.principal = Some(Expr::map([("Service", Expr::from(CLOUDWATCH))]));
    publish.condition = Some(Expr::map([
        (
            "StringEquals",
            Expr::map([("aws:SourceAccount", Expr::sub("${AWS::AccountId}"))]),
        ),
        (
            "ArnLike",
            Expr::map([(
                "aws:SourceArn",
                Expr::sub(
                    "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*",
                ),
            )]),
        ),
    ]));
    t.add(
        "AlarmTopicPolicy",
        TopicPolicy {
            topics: vec![topic.arn()],
            policy_document: policy_document(&[publish]),
        },
    )?;
    if let Some(email) = &monitoring.notification_email {
        t.add(
            "AlarmEmailSubscription",
            Subscription {
                topic_arn: topic.arn(),
                protocol: "email".into(),
                endpoint: Some(email.as_str().into()),
            },
        )?;
    }
    let (id, output) = naming.export_output(
        Export::AlarmTopic,
        topic.arn(),
        "Topic every alarm of the environment notifies",
    );
    t.output(&id, output)?;
    Ok(topic)
}

/// The account administers the key (IAM decides who in it may); CloudWatch may use it to
/// publish encrypted messages. No other principal, and no wildcard.
fn key_policy() -> Expr {
    let mut administer = Statement::allow(&["kms:*"], vec![Expr::from("*")]);
    administer.principal = Some(Expr::map([(
        "AWS",
        Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root"),
    )]));
    let mut cloudwatch = Statement::allow(
        &["kms:Decrypt", "kms:GenerateDataKey*"],
        vec![Expr::from("*")],
    );
    cloudwatch.principal = Some(Expr::map([("Service", Expr::from(CLOUDWATCH))]));
    policy_document(&[administer, cloudwatch])
}
