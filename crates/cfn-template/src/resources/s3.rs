//! S3: private, encrypted, versioned buckets (load balancer access logs, application artifacts).

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::template::{Handle, Resource};

/// `AWS::S3::Bucket`. `Ref` returns its name.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    /// Encryption at rest.
    pub bucket_encryption: Expr,
    /// Blocks every kind of public access.
    pub public_access_block_configuration: Expr,
    /// `Enabled` keeps every version of every object.
    pub versioning_configuration: Expr,
    /// Bucket-owner-enforced: no ACLs.
    pub ownership_controls: Option<Expr>,
    /// Expiry rules.
    pub lifecycle_configuration: Option<Expr>,
    /// Where the bucket's own access logs go.
    pub logging_configuration: Option<Expr>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for Bucket {
    const TYPE: &'static str = "AWS::S3::Bucket";
}

impl Handle<Bucket> {
    /// The bucket's ARN.
    pub fn arn(&self) -> Expr {
        self.get_att("Arn")
    }
}

impl Bucket {
    /// A private bucket: SSE-S3 encryption, all public access blocked, versioning on, no ACLs.
    pub fn private(tags: Vec<Tag>) -> Self {
        Self {
            bucket_encryption: Expr::map([(
                "ServerSideEncryptionConfiguration",
                Expr::List(vec![Expr::map([(
                    "ServerSideEncryptionByDefault",
                    Expr::map([("SSEAlgorithm", Expr::from("AES256"))]),
                )])]),
            )]),
            public_access_block_configuration: Expr::map([
                ("BlockPublicAcls", Expr::Bool(true)),
                ("BlockPublicPolicy", Expr::Bool(true)),
                ("IgnorePublicAcls", Expr::Bool(true)),
                ("RestrictPublicBuckets", Expr::Bool(true)),
            ]),
            versioning_configuration: Expr::map([("Status", Expr::from("Enabled"))]),
            ownership_controls: Some(Expr::map([(
                "Rules",
                Expr::List(vec![Expr::map([(
                    "ObjectOwnership",
                    Expr::from("BucketOwnerEnforced"),
                )])]),
            )])),
            lifecycle_configuration: None,
            logging_configuration: None,
            tags,
        }
    }
}

/// `AWS::S3::BucketPolicy`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketPolicy {
    /// The bucket.
    pub bucket: Expr,
    /// The policy document.
    pub policy_document: Expr,
}

impl Resource for BucketPolicy {
    const TYPE: &'static str = "AWS::S3::BucketPolicy";
}
