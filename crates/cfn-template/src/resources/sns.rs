//! SNS: the topic the alarms notify, who receives it, and who may publish to it.

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::template::{Handle, Resource};

/// `AWS::SNS::Topic`. `Ref` returns its ARN.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Topic {
    /// Name, unique in the account and region.
    pub topic_name: Option<Expr>,
    /// The subject line's prefix in e-mail notifications.
    pub display_name: Option<String>,
    /// KMS key (id, ARN or alias) that encrypts messages at rest.
    pub kms_master_key_id: Option<Expr>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for Topic {
    const TYPE: &'static str = "AWS::SNS::Topic";
}

impl Handle<Topic> {
    /// The topic's ARN (what `Ref` returns, named for the reader).
    pub fn arn(&self) -> Expr {
        self.r#ref()
    }

    /// The topic's name.
    pub fn topic_name(&self) -> Expr {
        self.get_att("TopicName")
    }
}

/// `AWS::SNS::Subscription`: delivers the topic's messages to an endpoint (an e-mail address
/// must confirm once before it receives anything).
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subscription {
    /// The topic.
    pub topic_arn: Expr,
    /// `email`, `https`, `sqs`, ...
    pub protocol: String,
    /// The address, URL or ARN that receives the messages.
    pub endpoint: Option<Expr>,
}

impl Resource for Subscription {
    const TYPE: &'static str = "AWS::SNS::Subscription";
}

/// `AWS::SNS::TopicPolicy`: who may act on the topics, beyond the account's own IAM principals.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicPolicy {
    /// The topics' ARNs.
    pub topics: Vec<Expr>,
    /// The policy document.
    pub policy_document: Expr,
}

impl Resource for TopicPolicy {
    const TYPE: &'static str = "AWS::SNS::TopicPolicy";
}
