//! CloudWatch Logs: log groups with a retention, so nothing is kept forever by accident.

use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::expr::Expr;
use crate::template::{Handle, Resource};

/// `AWS::Logs::LogGroup`.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    /// Name.
    pub log_group_name: Option<Expr>,
    /// Days kept.
    pub retention_in_days: u32,
    /// KMS key ARN for encryption with a customer key.
    pub kms_key_id: Option<Expr>,
}

impl Resource for LogGroup {
    const TYPE: &'static str = "AWS::Logs::LogGroup";
}

impl Handle<LogGroup> {
    /// The log group's ARN.
    pub fn arn(&self) -> Expr {
        self.get_att("Arn")
    }
}
