//! The bucket the application's load balancer writes its access logs to. It lives in the
//! artifacts stack, which outlives application deploys and is created before the application
//! stack (which imports its name): Elastic Load Balancing checks that it may write to the bucket
//! when the load balancer's `access_logs.s3.*` attributes are set, so the bucket policy must be
//! in place by then, and it is.
//!
//! Encrypted with SSE-S3 (AES256): the only encryption log delivery supports. Private, versioned,
//! no ACLs; logs expire after [`RETENTION_DAYS`]. Its policy admits plain HTTP for nobody, and
//! log delivery's `s3:PutObject` under `alb/AWSLogs/ACCOUNT/` only: the region's Elastic Load
//! Balancing account where it has one, the log-delivery service principal elsewhere
//! (`elb_accounts.rs`), as two policies of which exactly one exists in any region.

use cfn_template::resources::Tag;
use cfn_template::resources::iam::{Statement, policy_document};
use cfn_template::resources::s3::{Bucket, BucketPolicy};
use cfn_template::{Expr, Handle, Template, TemplateError};

use super::deny_insecure_transport;
use super::elb_accounts::{self, ElbLogDelivery};
use crate::naming::{Export, Naming, StackRole};

/// The bucket's logical id.
pub const BUCKET_ID: &str = "AccessLogBucket";
/// The prefix the load balancer writes under (`access_logs.s3.prefix`).
pub const ACCESS_LOG_PREFIX: &str = "alb";
/// Days a log is kept: a quarter's worth of traffic to look back on, then gone.
pub const RETENTION_DAYS: i64 = 90;
/// The service principal that delivers logs in regions without an ELB account.
pub const LOG_DELIVERY_SERVICE: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

/// Adds the bucket, its policies and the export of its name.
pub fn add(t: &mut Template, naming: &Naming) -> Result<Handle<Bucket>, TemplateError> {
    let stack = naming.stack_name(StackRole::Artifacts);
    let mut bucket = Bucket::private(vec![Tag::name(format!("{stack}-access-logs"))]);
    // Logs are written once and never overwritten, so versions become noncurrent only when
    // their expiry deletes them: those go a day later.
    bucket.lifecycle_configuration = Some(Expr::map([(
        "Rules",
        Expr::List(vec![Expr::map([
            ("Id", Expr::from("expire-access-logs")),
            ("Status", Expr::from("Enabled")),
            ("ExpirationInDays", Expr::Int(RETENTION_DAYS)),
            (
                "NoncurrentVersionExpiration",
                Expr::map([("NoncurrentDays", Expr::Int(1))]),
            ),
            (
                "AbortIncompleteMultipartUpload",
                Expr::map([("DaysAfterInitiation", Expr::Int(1))]),
            ),
        ])]),
    )]));
    let bucket = t.add(BUCKET_ID, bucket)?;
    let delivery = elb_accounts::add(t)?;
    add_policies(t, &bucket, &delivery)?;
    let (id, output) = naming.export_output(
        Export::AccessLogBucket,
        bucket.r#ref(),
        "Bucket holding the load balancer's access logs",
    );
    t.output(&id, output)?;
    Ok(bucket)
}

/// One policy per kind of log-delivery principal, each under its condition.
fn add_policies(
    t: &mut Template,
    bucket: &Handle<Bucket>,
    delivery: &ElbLogDelivery,
) -> Result<(), TemplateError> {
    let logs = Expr::sub(format!(
        "arn:${{AWS::Partition}}:s3:::${{{BUCKET_ID}}}/{ACCESS_LOG_PREFIX}/AWSLogs/${{AWS::AccountId}}/*"
    ));
    let deny = deny_insecure_transport(bucket.arn(), Expr::sub(format!("${{{BUCKET_ID}.Arn}}/*")));
    let delivery_by = |principal: Expr| {
        let mut allow = Statement::allow(&["s3:PutObject"], vec![logs.clone()]);
        allow.principal = Some(principal);
        allow
    };
    let by_account = t.add(
        "AccessLogBucketPolicy",
        BucketPolicy {
            bucket: bucket.r#ref(),
            policy_document: policy_document(&[
                deny.clone(),
                delivery_by(Expr::map([("AWS", delivery.account_principal())])),
            ]),
        },
    )?;
    t.options(&by_account)?.only_if(&delivery.has_account);
    let by_service = t.add(
        "AccessLogBucketPolicyLogDelivery",
        BucketPolicy {
            bucket: bucket.r#ref(),
            policy_document: policy_document(&[
                deny,
                delivery_by(Expr::map([("Service", Expr::from(LOG_DELIVERY_SERVICE))])),
            ]),
        },
    )?;
    t.options(&by_service)?.only_if(&delivery.lacks_account);
    Ok(())
}
