//! The artifacts stack: a private, encrypted, versioned bucket that the deployment owns and
//! uploads the application to (object key by content hash). Instances fetch from it with their
//! role, so they need no route to the outside world's download sites.

use cfn_template::resources::Tag;
use cfn_template::resources::iam::{Statement, policy_document};
use cfn_template::resources::s3::{Bucket, BucketPolicy};
use cfn_template::{Expr, Template, TemplateError};

use crate::naming::{Export, Naming, StackRole};

/// Where in the bucket application builds go: `app/SHA256/FILE`.
pub const ARTIFACT_PREFIX: &str = "app/";

/// Builds the artifacts template.
pub fn template(naming: &Naming) -> Result<Template, TemplateError> {
    let stack = naming.stack_name(StackRole::Artifacts);
    let mut t = Template::new(format!(
        "TechChallenge {} artifacts: the private bucket the application is deployed from",
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
    let mut deny_plain_http = Statement::allow(
        &["s3:*"],
        vec![bucket.arn(), Expr::sub("${ArtifactBucket.Arn}/*")],
    );
    deny_plain_http.effect = "Deny";
    deny_plain_http.principal = Some(Expr::from("*"));
    deny_plain_http.condition = Some(Expr::map([(
        "Bool",
        Expr::map([("aws:SecureTransport", Expr::from("false"))]),
    )]));
    t.add(
        "ArtifactBucketPolicy",
        BucketPolicy {
            bucket: bucket.r#ref(),
            policy_document: policy_document(&[deny_plain_http]),
        },
    )?;
    let (id, output) = naming.export_output(
        Export::ArtifactBucket,
        bucket.r#ref(),
        "Bucket holding the application's builds",
    );
    t.output(&id, output)?;
    Ok(t)
}
