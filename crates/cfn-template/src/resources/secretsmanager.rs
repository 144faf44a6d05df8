//! Secrets Manager: the database master password, generated inside AWS so that no person and
//! no template ever holds it.

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::template::{Handle, Resource};

/// `AWS::SecretsManager::Secret`. `Ref` returns the secret's ARN.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Secret {
    /// Name, unique in the region.
    pub name: Option<Expr>,
    /// What it holds.
    pub description: String,
    /// How Secrets Manager generates the value.
    pub generate_secret_string: GenerateSecretString,
    /// KMS key (the AWS-managed key when absent).
    pub kms_key_id: Option<Expr>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for Secret {
    const TYPE: &'static str = "AWS::SecretsManager::Secret";
}

impl Handle<Secret> {
    /// A dynamic reference to one JSON key of the secret, for properties such as a database's
    /// master password: resolved by CloudFormation, never written anywhere.
    pub fn value(&self, json_key: &str) -> Expr {
        Expr::secrets_manager_value(self.id().as_str(), json_key)
    }
}

/// A JSON secret whose `generate_string_key` is generated.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateSecretString {
    /// The fixed part, e.g. `{"username":"postgres"}`.
    pub secret_string_template: String,
    /// The key that receives the generated string.
    pub generate_string_key: String,
    /// Length of the generated string.
    pub password_length: u32,
    /// Leaves out punctuation, which RDS partly refuses (`/`, `@`, `"`) and which breaks
    /// connection URLs; 32 letters and digits still carry about 190 bits.
    pub exclude_punctuation: bool,
}

/// `AWS::SecretsManager::SecretTargetAttachment`: adds the database's host, port and engine
/// to the secret, the shape RDS clients and rotation expect.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretTargetAttachment {
    /// The secret.
    pub secret_id: Expr,
    /// The database instance.
    pub target_id: Expr,
    /// `AWS::RDS::DBInstance`.
    pub target_type: String,
}

impl Resource for SecretTargetAttachment {
    const TYPE: &'static str = "AWS::SecretsManager::SecretTargetAttachment";
}
