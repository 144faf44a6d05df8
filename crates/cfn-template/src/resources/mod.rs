//! Typed properties for every resource type the architecture uses, one module per AWS service.
//! Required properties are plain fields, optional ones `Option<_>` (omitted when `None`).
//! Attribute accessors (`Fn::GetAtt`) are methods on the resource's [`crate::Handle`].

pub mod autoscaling;
pub mod cloudwatch;
pub mod ec2;
pub mod elbv2;
pub mod iam;
pub mod kms;
pub mod logs;
pub mod rds;
pub mod s3;
pub mod secretsmanager;
pub mod sns;

use serde::Serialize;

use crate::expr::Expr;

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: Expr,
}

impl Tag {
    /// A tag from a key and a value.
    pub fn new(key: impl Into<String>, value: impl Into<Expr>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }

    /// The `Name` tag, which the console shows as the resource's name.
    pub fn name(value: impl Into<Expr>) -> Self {
        Self::new("Name", value)
    }
}
