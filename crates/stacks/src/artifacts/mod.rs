//! The artifacts stack: what the environment shares and keeps across application deploys. It
//! is independent of every other stack and deployed first, beside the network:
//! - the private, encrypted, versioned bucket the application is deployed from (object key by
//!   content hash); instances fetch from it with their role, so they need no route to the
//!   outside world's download sites;
//! - the bucket the load balancer writes its access logs to (`access_logs`);
//! - the topic every alarm notifies (`alarm_topic`).
//!
//! Destroying it needs both buckets emptied first (they are versioned): the artifact bucket's
//! builds and the access logs.

pub mod access_logs;
pub mod alarm_topic;
pub mod elb_accounts;

use cfn_template::resources::Tag;
use cfn_template::resources::iam::{Statement, policy_document};
use cfn_template::resources::s3::{Bucket, BucketPolicy};
use cfn_template::{Expr, Template, TemplateError};

use crate::naming::{Export, Naming, StackRole};
use crate::settings::Settings;

/// Where in the bucket application builds go: `app/SHA256/FILE`.
pub const ARTIFACT_PREFIX: &str = "app/";

/// Builds the artifacts template.
pub fn template(settings: &Settings, naming: &Naming) -> Result<Template, TemplateError> {
    let stack = naming.stack_name(StackRole::Artifacts);
    let mut t = Template::new(format!(
        "TechChallenge {} artifacts: the bucket the application is deployed from, the load balancer's access logs and the alarm topic",
        naming.environment()
    ));
    let mut bucket = Bucket::private(vec![Tag::name(format!("{stack}-bucket"))]);
    // Old builds are noncurrent only when re-uploaded; expire those after 30 days.
    bucket.lifecycle_configuration = Some(Expr::map([(
        "Rules",
        Expr::List(vec![Expr::map([
            ("Id", Expr::from("expire-noncurrent-builds")),
            ("Status", Expr::from("Enabled")),
            (
                "NoncurrentVersionExpiration",
                Expr::map([("NoncurrentDays", Expr::Int(30))]),
            ),
            (
                "AbortIncompleteMultipartUpload",
                Expr::map([("DaysAfterInitiation", Expr::Int(1))]),
            ),
        ])]),
    )]));
    let bucket = t.add("ArtifactBucket", bucket)?;
    t.add(
        "ArtifactBucketPolicy",
        BucketPolicy {
            bucket: bucket.r#ref(),
            policy_document: policy_document(&[deny_insecure_transport(
                bucket.arn(),
                Expr::sub("${ArtifactBucket.Arn}/*"),
            )]),
        },
    )?;
    let (id, output) = naming.export_output(
        Export::ArtifactBucket,
        bucket.r#ref(),
        "Bucket holding the application's builds",
    );
    t.output(&id, output)?;
    access_logs::add(&mut t, naming)?;
    alarm_topic::add(&mut t, naming, &settings.monitoring)?;
    Ok(t)
}

/// Denies every request to a bucket and its objects that does not come over TLS.
fn deny_insecure_transport(bucket_arn: Expr, objects_arn: Expr) -> Statement {
    let mut deny = Statement::allow(&["s3:*"], vec![bucket_arn, objects_arn]);
    deny.effect = "Deny";
    deny.principal = Some(Expr::from("*"));
    deny.condition = Some(Expr::map([(
        "Bool",
        Expr::map([("aws:SecureTransport", Expr::from("false"))]),
    )]));
    deny
}
