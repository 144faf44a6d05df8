//! Reading the database login from AWS Secrets Manager at start-up, so no password needs to be
//! on an instance's disk. The secret is the JSON CloudFormation's `GenerateSecretString` makes:
//! `{"username": "...", "password": "..."}` (`username` optional). Credentials, region and
//! endpoint come from the SDK's standard chain (so `AWS_ENDPOINT_URL` works for emulators).
//!
//! Error messages never quote the secret's contents.

use std::time::Duration;

use aws_config::BehaviorVersion;
use serde::Deserialize;

use crate::config::{DbSettings, Secret};

/// Why the secret could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The service call failed (no credentials, no such secret, no access, unreachable).
    #[error("reading secret {id}: {reason}")]
    Fetch {
        /// The secret id.
        id: String,
        /// What the SDK said.
        reason: String,
    },
    /// The secret exists but is not what we expect.
    #[error("secret {id} {reason}")]
    Shape {
        /// The secret id.
        id: String,
        /// What is wrong (never the contents).
        reason: &'static str,
    },
}

/// The login held in the secret.
#[derive(Debug, PartialEq, Eq)]
pub struct DbLogin {
    /// User name, when the secret has one.
    pub username: Option<String>,
    /// The password.
    pub password: Secret,
}

#[derive(Deserialize)]
struct Shape {
    username: Option<String>,
    password: Option<String>,
}

/// Parses the secret string.
pub fn parse_secret(id: &str, text: &str) -> Result<DbLogin, SecretError> {
    let shape = |reason| SecretError::Shape {
        id: id.to_owned(),
        reason,
    };
    // serde's messages can quote the input; replace them with our own.
    let parsed: Shape = serde_json::from_str(text).map_err(|_| {
        shape("is not a JSON object with string \"username\" and \"password\" fields")
    })?;
    let password = parsed
        .password
        .ok_or_else(|| shape("has no \"password\" field"))?;
    if password.is_empty() {
        return Err(shape("has an empty \"password\""));
    }
    Ok(DbLogin {
        username: parsed.username.filter(|u| !u.is_empty()),
        password: Secret::new(password),
    })
}

/// Fetches secret `id` and returns the login in it.
pub async fn fetch_login(id: &str, timeout: Duration) -> Result<DbLogin, SecretError> {
    let fetch = |reason: String| SecretError::Fetch {
        id: id.to_owned(),
        reason,
    };
    let call = async {
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let client = aws_sdk_secretsmanager::Client::new(&config);
        client.get_secret_value().secret_id(id).send().await
    };
    let output = tokio::time::timeout(timeout, call)
        .await
        .map_err(|_| fetch(format!("no answer within {timeout:?}")))?
        .map_err(|e| fetch(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string()))?;
    let text = output.secret_string().ok_or_else(|| SecretError::Shape {
        id: id.to_owned(),
        reason: "holds binary data, not a JSON string",
    })?;
    parse_secret(id, text)
}

/// When `db` names a secret, replaces its password (and user, if the secret has one).
pub async fn apply_secret(db: &mut DbSettings) -> Result<(), SecretError> {
    let Some(id) = db.db_secret_id.clone() else {
        return Ok(());
    };
    let login = fetch_login(&id, Duration::from_secs(15)).await?;
    if let Some(user) = login.username {
        db.db_user = user;
    }
    db.db_password = login.password;
    tracing::info!(secret_id = %id, user = %db.db_user, "database login read from AWS Secrets Manager");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudformation_shape() {
        let l = parse_secret("s", r#"{"username":"postgres","password":"p4ss"}"#).expect("valid");
        assert_eq!(l.username.as_deref(), Some("postgres"));
        assert_eq!(l.password.expose(), "p4ss");
        let l = parse_secret("s", r#"{"password":"p4ss"}"#).expect("valid");
        assert_eq!(l.username, None);
    }

    #[test]
    fn bad_shapes_never_echo_the_contents() {
        for text in [
            "hunter2",
            r#"{"username":"u"}"#,
            r#"{"password":"","username":"u"}"#,
            r#"{"password":5}"#,
            r#"["hunter2"]"#,
            r#"{"username":5,"password":"hunter2"}"#,
        ] {
            let err = parse_secret("s", text).expect_err(text);
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }
}
