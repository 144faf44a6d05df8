//! KMS: customer-managed keys, for what AWS-managed keys cannot serve (a topic that another
//! service publishes to must be encrypted with a key whose policy lets that service use it).

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::template::{Handle, Resource};

/// `AWS::KMS::Key`, symmetric. `Ref` returns its key id.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Key {
    /// What the key is for.
    pub description: String,
    /// Yearly automatic rotation of the key material.
    pub enable_key_rotation: bool,
    /// The key policy: who may administer and use the key.
    pub key_policy: Expr,
    /// Days between the key's deletion (with its stack) and the end of its material (7 to 30).
    pub pending_window_in_days: Option<u32>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for Key {
    const TYPE: &'static str = "AWS::KMS::Key";
}

impl Handle<Key> {
    /// The key's ARN.
    pub fn arn(&self) -> Expr {
        self.get_att("Arn")
    }
}
