//! The database login read from AWS Secrets Manager (moto at `TEST_MOTO_URL`), end to end
//! through the binary: the secret's password is used even when the configured one is wrong, the
//! secret's host and port (as an RDS secret attachment writes them) replace the configured ones,
//! and a missing or malformed secret, or no host anywhere, is a clear error that never shows the
//! secret.

use std::process::Command;

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};

use crate::binary::pg_env;
use crate::helpers::{fresh_db, random_name};

/// moto's URL, or `None` when the test skips.
pub fn moto_url() -> Option<String> {
    techchallenge_system_tests::moto::url()
}

/// A Secrets Manager client for moto at `url`.
pub fn client(url: &str) -> aws_sdk_secretsmanager::Client {
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

/// Creates secret `name` holding `value` in moto.
pub async fn create_secret(url: &str, name: &str, value: &str) {
    client(url)
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .expect("create secret in moto");
}

fn updatedb(url: &str, env: &[(String, String)]) -> (Option<i32>, String) {
    updatedb_with_conf(url, env, None)
}

/// `updatedb -s` in a fresh directory holding `conf` as its `conf.toml`, if given.
fn updatedb_with_conf(
    url: &str,
    env: &[(String, String)],
    conf: Option<&str>,
) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    if let Some(text) = conf {
        std::fs::write(dir.path().join("conf.toml"), text).expect("write conf.toml");
    }
    let mut c = Command::new(env!("CARGO_BIN_EXE_TechChallengeApp"));
    c.current_dir(dir.path())
        .args(["updatedb", "-s"])
        .env("AWS_ENDPOINT_URL", url)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("run");
    (
        o.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[tokio::test]
async fn password_comes_from_the_secret() {
    let (Some(url), Some(db)) = (moto_url(), fresh_db().await) else {
        return;
    };
    let id = random_name();
    let secret = format!(
        r#"{{"username":"{}","password":"{}"}}"#,
        db.db_user,
        db.db_password.expose()
    );
    create_secret(&url, &id, &secret).await;
    let mut env = pg_env(&db);
    env.retain(|(k, _)| k != "VTT_DBPASSWORD" && k != "VTT_DBUSER");
    env.push(("VTT_DBPASSWORD".into(), "wrong-password".into()));
    env.push(("VTT_DBUSER".into(), "nobody".into()));
    env.push(("VTT_DBSECRETID".into(), id.clone()));
    let (code, out) = updatedb(&url, &env);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("seeded"), "{out}");
    assert!(
        !out.contains(db.db_password.expose()) || db.db_password.expose() == db.db_user,
        "{out}"
    );

    // Without the secret the wrong password fails: the secret really was used.
    env.retain(|(k, _)| k != "VTT_DBSECRETID");
    let (code, _) = updatedb(&url, &env);
    assert_eq!(code, Some(1));
}

#[tokio::test]
async fn missing_or_malformed_secrets_are_clear_errors() {
    let (Some(url), Some(db)) = (moto_url(), fresh_db().await) else {
        return;
    };
    let mut env = pg_env(&db);
    env.push(("VTT_DBSECRETID".into(), "no-such-secret".into()));
    let (code, out) = updatedb(&url, &env);
    assert_eq!(code, Some(1));
    assert!(
        out.contains("no-such-secret") && out.contains("ResourceNotFound"),
        "{out}"
    );

    let id = random_name();
    create_secret(
        &url,
        &id,
        r#"{"username":"postgres","pass":"hunter2-very-secret"}"#,
    )
    .await;
    env.pop();
    env.push(("VTT_DBSECRETID".into(), id));
    let (code, out) = updatedb(&url, &env);
    assert_eq!(code, Some(1));
    assert!(out.contains("no \"password\""), "{out}");
    assert!(!out.contains("hunter2-very-secret"), "{out}");
}

#[tokio::test]
async fn host_and_port_come_from_the_secret() {
    let (Some(url), Some(db)) = (moto_url(), fresh_db().await) else {
        return;
    };
    // What an RDS secret attachment writes: the port as a number, plus keys we ignore.
    let id = random_name();
    let secret = serde_json::json!({
        "username": db.db_user,
        "password": db.db_password.expose(),
        "engine": "postgres",
        "host": db.db_host,
        "port": db.db_port,
        "dbInstanceIdentifier": "techchallenge-test-database",
    });
    create_secret(&url, &id, &secret.to_string()).await;
    let mut env = pg_env(&db);
    env.retain(|(k, _)| k != "VTT_DBHOST" && k != "VTT_DBPORT");
    // Neither of these could reach the database: only the secret's host and port can.
    env.push(("VTT_DBHOST".into(), "configured-host.invalid".into()));
    env.push(("VTT_DBPORT".into(), "1".into()));
    env.push(("VTT_DBSECRETID".into(), id.clone()));
    let (code, out) = updatedb(&url, &env);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("seeded"), "{out}");
    assert!(
        out.contains("host_from=\"secret\"") && out.contains("port_from=\"secret\""),
        "{out}"
    );
    assert!(!out.contains("configured-host.invalid"), "{out}");

    // An empty DbHost in conf.toml is filled from the secret; a string port works too.
    let id = random_name();
    let secret = serde_json::json!({
        "username": db.db_user,
        "password": db.db_password.expose(),
        "host": db.db_host,
        "port": db.db_port.to_string(),
    });
    create_secret(&url, &id, &secret.to_string()).await;
    env.retain(|(k, _)| k != "VTT_DBHOST" && k != "VTT_DBSECRETID");
    env.push(("VTT_DBSECRETID".into(), id));
    let (code, out) = updatedb_with_conf(&url, &env, Some("DbHost = \"\""));
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn no_host_anywhere_is_a_clear_error() {
    let (Some(url), Some(db)) = (moto_url(), fresh_db().await) else {
        return;
    };
    // The secret before the attachment has run: login only.
    let id = random_name();
    let secret = format!(
        r#"{{"username":"{}","password":"hunter2-very-secret"}}"#,
        db.db_user
    );
    create_secret(&url, &id, &secret).await;
    let mut env = pg_env(&db);
    env.retain(|(k, _)| k != "VTT_DBHOST");
    env.push(("VTT_DBSECRETID".into(), id.clone()));
    let (code, out) = updatedb_with_conf(&url, &env, Some("DbHost = \"\""));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("no database host")
            && out.contains(&id)
            && out.contains("no \"host\" yet")
            && out.contains("set DbHost or wait for the database"),
        "{out}"
    );
    assert!(!out.contains("hunter2-very-secret"), "{out}");

    // Without a secret, the message says what to set.
    env.retain(|(k, _)| k != "VTT_DBSECRETID");
    let (code, out) = updatedb_with_conf(&url, &env, Some("DbHost = \"\""));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("no database host") && out.contains("DbSecretId is not set"),
        "{out}"
    );
}
