//! Reading the database login from AWS Secrets Manager at start-up, so no password needs to be
//! on an instance's disk (and again when the database rejects it, see [`crate::store::login`]).
//! The secret is the JSON CloudFormation's `GenerateSecretString` makes:
//! `{"username": "...", "password": "..."}` (`username` optional). Once an
//! `AWS::SecretsManager::SecretTargetAttachment` has linked it to an RDS instance, the same secret
//! also holds the connection details (`"host"`, `"port"` as a number, `"engine"`,
//! `"dbInstanceIdentifier"`); `host` and `port` then replace the configured `DbHost`/`DbPort`.
//! Credentials, region and endpoint come from the SDK's standard chain (so `AWS_ENDPOINT_URL`
//! works for emulators).
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbLogin {
    /// User name, when the secret has one.
    pub username: Option<String>,
    /// The password.
    pub password: Secret,
    /// Database host, once the secret attachment has written it (never empty).
    pub host: Option<String>,
    /// Database port, once the secret attachment has written it (1–65535).
    pub port: Option<u16>,
}

/// The fields we read. Anything else in the secret (`engine`, `dbInstanceIdentifier`, ...) is
/// ignored; `port` is taken as it comes, since the attachment writes a number and people a string.
#[derive(Deserialize)]
struct Shape {
    username: Option<String>,
    password: Option<String>,
    host: Option<String>,
    port: Option<serde_json::Value>,
}

/// Parses the secret string.
pub fn parse_secret(id: &str, text: &str) -> Result<DbLogin, SecretError> {
    let shape = |reason| SecretError::Shape {
        id: id.to_owned(),
        reason,
    };
    // serde's messages can quote the input; replace them with our own.
    let parsed: Shape = serde_json::from_str(text).map_err(|_| {
        shape(
            "is not a JSON object with string \"username\", \"password\" and \"host\" fields \
             (and a numeric \"port\")",
        )
    })?;
    let password = parsed
        .password
        .ok_or_else(|| shape("has no \"password\" field"))?;
    if password.is_empty() {
        return Err(shape("has an empty \"password\""));
    }
    let bad_port = || shape("has a \"port\" that is not a whole number from 1 to 65535");
    let port = match parsed.port {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => Some(parse_port(&value).ok_or_else(bad_port)?),
    };
    Ok(DbLogin {
        username: parsed.username.filter(|u| !u.is_empty()),
        password: Secret::new(password),
        host: parsed
            .host
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty()),
        port,
    })
}

/// A port from a JSON number or a string of digits, when it is 1–65535.
fn parse_port(value: &serde_json::Value) -> Option<u16> {
    let n = match value {
        serde_json::Value::Number(n) => n.as_u64()?,
        serde_json::Value::String(s) => s.trim().parse::<u64>().ok()?,
        _ => return None,
    };
    u16::try_from(n).ok().filter(|p| *p != 0)
}

/// Something that hands out the database login: Secrets Manager in the app, a stand-in in unit
/// tests of the re-read logic ([`crate::store::login`]), which must not need AWS.
#[async_trait::async_trait]
pub trait LoginFetcher: Send + Sync + 'static {
    /// The secret's id, for log lines and error messages.
    fn secret_id(&self) -> &str;
    /// Reads the login now, giving up after `timeout`.
    async fn fetch(&self, timeout: Duration) -> Result<DbLogin, SecretError>;
}

/// A secret in AWS Secrets Manager. The SDK client is made on first use and kept, so a re-read
/// does not walk the credential chain again.
pub struct AwsSecret {
    id: String,
    client: tokio::sync::OnceCell<aws_sdk_secretsmanager::Client>,
}

impl AwsSecret {
    /// The secret `id` (a name or an ARN).
    pub fn new(id: impl Into<String>) -> AwsSecret {
        AwsSecret {
            id: id.into(),
            client: tokio::sync::OnceCell::new(),
        }
    }
}

#[async_trait::async_trait]
impl LoginFetcher for AwsSecret {
    fn secret_id(&self) -> &str {
        &self.id
    }

    async fn fetch(&self, timeout: Duration) -> Result<DbLogin, SecretError> {
        let id = self.id.as_str();
        let fetch = |reason: String| SecretError::Fetch {
            id: id.to_owned(),
            reason,
        };
        let call = async {
            let client = self
                .client
                .get_or_init(|| async {
                    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
                    aws_sdk_secretsmanager::Client::new(&config)
                })
                .await;
            client.get_secret_value().secret_id(id).send().await
        };
        let output = tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| fetch(format!("no answer within {timeout:?}")))?
            .map_err(|e| {
                fetch(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string())
            })?;
        let text = output.secret_string().ok_or_else(|| SecretError::Shape {
            id: id.to_owned(),
            reason: "holds binary data, not a JSON string",
        })?;
        parse_secret(id, text)
    }
}

/// Fetches secret `id` and returns the login in it.
pub async fn fetch_login(id: &str, timeout: Duration) -> Result<DbLogin, SecretError> {
    AwsSecret::new(id).fetch(timeout).await
}

/// When `db` names a secret, replaces its password, and its user, host and port when the secret
/// has them.
pub async fn apply_secret(db: &mut DbSettings) -> Result<(), SecretError> {
    let Some(id) = db.db_secret_id.clone() else {
        return Ok(());
    };
    let login = fetch_login(&id, Duration::from_secs(15)).await?;
    let (host_from, port_from) = merge_login(db, login);
    tracing::info!(
        secret_id = %id,
        user = %db.db_user,
        host = %db.db_host,
        host_from,
        port = db.db_port,
        port_from,
        "database login read from AWS Secrets Manager"
    );
    Ok(())
}

/// Puts `login` into `db`; returns where the host and the port now come from ("secret" or
/// "config"), for the log.
pub(crate) fn merge_login(db: &mut DbSettings, login: DbLogin) -> (&'static str, &'static str) {
    if let Some(user) = login.username {
        db.db_user = user;
    }
    db.db_password = login.password;
    let host_from = match login.host {
        Some(host) => {
            db.db_host = host;
            "secret"
        }
        None => "config",
    };
    let port_from = match login.port {
        Some(port) => {
            db.db_port = port;
            "secret"
        }
        None => "config",
    };
    (host_from, port_from)
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
            r#"{"password":"hunter2","host":5}"#,
            r#"{"password":"hunter2","port":"hunter2"}"#,
            r#"{"password":"hunter2","port":0}"#,
            r#"{"password":"hunter2","port":65536}"#,
            r#"{"password":"hunter2","port":-5432}"#,
            r#"{"password":"hunter2","port":5432.5}"#,
            r#"{"password":"hunter2","port":"70000"}"#,
            r#"{"password":"hunter2","port":""}"#,
            r#"{"password":"hunter2","port":true}"#,
            r#"{"password":"hunter2","port":[5432]}"#,
        ] {
            let err = parse_secret("s", text).expect_err(text);
            assert!(!err.to_string().contains("hunter2"), "{err}");
            assert!(matches!(err, SecretError::Shape { .. }), "{text}: {err}");
        }
    }

    #[test]
    fn rds_attachment_shape_with_a_numeric_port() {
        let text = r#"{"username":"postgres","password":"p4ss","engine":"postgres",
            "host":"db.abc.eu-west-1.rds.amazonaws.com","port":5432,
            "dbInstanceIdentifier":"techchallenge-dev-database"}"#;
        let l = parse_secret("s", text).expect("valid");
        assert_eq!(l.username.as_deref(), Some("postgres"));
        assert_eq!(l.password.expose(), "p4ss");
        assert_eq!(
            l.host.as_deref(),
            Some("db.abc.eu-west-1.rds.amazonaws.com")
        );
        assert_eq!(l.port, Some(5432));
    }

    #[test]
    fn port_as_a_string_and_edges_of_the_range() {
        let l = parse_secret("s", r#"{"password":"p","host":"h","port":"6543"}"#).expect("valid");
        assert_eq!((l.host.as_deref(), l.port), (Some("h"), Some(6543)));
        let l = parse_secret("s", r#"{"password":"p","port":1}"#).expect("valid");
        assert_eq!(l.port, Some(1));
        let l = parse_secret("s", r#"{"password":"p","port":" 65535 "}"#).expect("valid");
        assert_eq!(l.port, Some(65535));
        let err = parse_secret("s", r#"{"password":"p","port":"abc"}"#).expect_err("bad port");
        assert!(err.to_string().contains("1 to 65535"), "{err}");
    }

    #[test]
    fn empty_or_missing_host_and_port_are_none() {
        for text in [
            r#"{"password":"p"}"#,
            r#"{"password":"p","host":""}"#,
            r#"{"password":"p","host":"  ","port":null}"#,
            r#"{"password":"p","host":null}"#,
        ] {
            let l = parse_secret("s", text).expect(text);
            assert_eq!((l.host, l.port), (None, None), "{text}");
        }
    }

    fn configured() -> DbSettings {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = crate::config::Settings::load_from(dir.path(), Vec::new())
            .expect("defaults are valid")
            .db;
        db.db_host = "configured.example".into();
        db.db_port = 6000;
        db
    }

    #[test]
    fn host_and_port_from_the_secret_replace_the_configured_ones() {
        let mut db = configured();
        let login = parse_secret(
            "s",
            r#"{"username":"app","password":"p","host":"db.example","port":5433}"#,
        )
        .expect("valid");
        assert_eq!(merge_login(&mut db, login), ("secret", "secret"));
        assert_eq!((db.db_user.as_str(), db.db_password.expose()), ("app", "p"));
        assert_eq!((db.db_host.as_str(), db.db_port), ("db.example", 5433));
    }

    #[test]
    fn without_host_and_port_the_configured_ones_stay() {
        let mut db = configured();
        let login = parse_secret("s", r#"{"password":"p","host":""}"#).expect("valid");
        assert_eq!(merge_login(&mut db, login), ("config", "config"));
        assert_eq!(db.db_user, "postgres");
        assert_eq!(
            (db.db_host.as_str(), db.db_port),
            ("configured.example", 6000)
        );
    }
}
