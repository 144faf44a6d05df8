//! What `serve` and `updatedb` do, given checked settings: resolve the database login (and host
//! and port, when the secret has them), open the store, then serve or migrate. The binary only parses arguments and reports the outcome.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::{DbSettings, DbType, Settings};
use crate::routes::{AppState, app};
use crate::secrets::{AwsSecret, SecretError, apply_secret};
use crate::server::{Stopped, serve as serve_router, termination_signal};
use crate::store::login::{LoginSource, REREAD_INTERVAL};
use crate::store::migrate::{UpdateOptions, update_database};
use crate::store::{EmbeddedStore, PgStore, Store, StoreError};

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The Secrets Manager secret could not be used.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// `DbHost` is empty and no secret is configured to supply one.
    #[error(
        "no database host: DbHost is empty and DbSecretId is not set; set DbHost to the \
         database server's name or address (or DbSecretId to a secret with a \"host\")"
    )]
    NoHost,
    /// `DbHost` is empty and the secret has no `host` (yet).
    #[error(
        "no database host: DbHost is empty and secret {secret_id} has no \"host\" yet \
         (CloudFormation's secret attachment writes it once the RDS instance exists); set DbHost \
         or wait for the database"
    )]
    NoHostInSecret {
        /// The secret id.
        secret_id: String,
    },
    /// The store could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The listen address cannot be used.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// host:port
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

/// Reads the secret `db` names, if any, into `db`, then checks there is a host to connect to.
pub async fn resolve_login(db: &mut DbSettings) -> Result<(), CommandError> {
    apply_secret(db).await?;
    check_host(db)
}

/// Fails when `db` has no host (an empty `DbHost` that no secret replaced).
pub fn check_host(db: &DbSettings) -> Result<(), CommandError> {
    if !db.db_host.is_empty() {
        return Ok(());
    }
    Err(match &db.db_secret_id {
        Some(id) => CommandError::NoHostInSecret {
            secret_id: id.clone(),
        },
        None => CommandError::NoHost,
    })
}

/// The embedded store's file for `db`.
pub fn embedded_path(db: &DbSettings) -> PathBuf {
    PathBuf::from(format!("{}.redb", db.db_name))
}

/// The store `db` describes (embedded stores are created and seeded when new). For
/// PostgreSQL with a secret, `db` gets the login read from it, and the store re-reads the secret
/// when the database later rejects that login.
pub async fn open_store(db: &mut DbSettings) -> Result<Arc<dyn Store>, CommandError> {
    Ok(match db.db_type {
        DbType::Postgres => {
            let login = match db.db_secret_id.clone() {
                Some(id) => {
                    LoginSource::from_secret(
                        db.clone(),
                        Box::new(AwsSecret::new(id)),
                        REREAD_INTERVAL,
                    )
                    .await?
                }
                None => LoginSource::fixed(db.clone()),
            };
            *db = (*login.settings()).clone();
            check_host(db)?;
            Arc::new(PgStore::with_login(Arc::new(login))?)
        }
        DbType::Boltdb => {
            let path = embedded_path(db);
            let (store, note) =
                tokio::task::spawn_blocking(move || EmbeddedStore::open(&path, false))
                    .await
                    .map_err(|e| StoreError::Setup(e.to_string()))??;
            tracing::info!(file = %embedded_path(db).display(), "embedded store: {note}");
            Arc::new(store)
        }
    })
}

/// `serve`: runs until SIGTERM/SIGINT and the drain that follows.
pub async fn serve(mut settings: Settings) -> Result<Stopped, CommandError> {
    let store = open_store(&mut settings.db).await?;
    let addr = format!("{}:{}", settings.listen_host, settings.listen_port);
    let listener = TcpListener::bind((settings.listen_host.as_str(), settings.listen_port))
        .await
        .map_err(|source| CommandError::Bind {
            addr: addr.clone(),
            source,
        })?;
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
    tracing::info!(address = %local, store = ?settings.db.db_type, "listening");
    let router = app(AppState::new(store, settings.db.clone()));
    serve_router(
        listener,
        router,
        termination_signal(),
        settings.shutdown_timeout,
    )
    .await
    .map_err(CommandError::Serve)
}

/// `updatedb`: returns what was done, one line per step.
pub async fn updatedb(
    mut settings: Settings,
    opts: UpdateOptions,
) -> Result<Vec<String>, CommandError> {
    let db = &mut settings.db;
    match db.db_type {
        DbType::Postgres => {
            resolve_login(db).await?;
            Ok(update_database(db, opts).await?)
        }
        DbType::Boltdb => {
            let path = embedded_path(db);
            let shown = path.display().to_string();
            let (_, note) =
                tokio::task::spawn_blocking(move || EmbeddedStore::open(&path, opts.reset))
                    .await
                    .map_err(|e| StoreError::Setup(e.to_string()))??;
            Ok(vec![format!("{shown}: {note}")])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn postgres_settings(conf: &str) -> DbSettings {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("conf.toml"), conf).expect("write conf");
        Settings::load_from(dir.path(), Vec::new())
            .expect("an empty DbHost is valid configuration")
            .db
    }

    #[test]
    fn empty_host_without_a_secret_says_what_to_set() {
        let db = postgres_settings("DbHost = \"\"");
        assert_eq!(db.db_host, "");
        let err = check_host(&db).expect_err("no host");
        assert!(matches!(err, CommandError::NoHost), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("no database host") && text.contains("set DbHost"),
            "{text}"
        );
    }

    #[test]
    fn empty_host_and_a_secret_without_one_names_the_secret() {
        let db = postgres_settings("DbHost = \"\"\nDbSecretId = \"prod/db\"");
        let err = check_host(&db).expect_err("no host");
        let text = err.to_string();
        assert!(
            text.contains("prod/db")
                && text.contains("no \"host\"")
                && text.contains("set DbHost or wait for the database"),
            "{text}"
        );
    }

    #[test]
    fn a_host_is_enough() {
        let db = postgres_settings("DbHost = \"db.example\"\nDbSecretId = \"prod/db\"");
        assert!(check_host(&db).is_ok());
    }

    #[tokio::test]
    async fn embedded_store_needs_no_host() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = postgres_settings("DbHost = \"\"\nDbType = \"boltdb\"");
        db.db_name = dir.path().join("tasks").display().to_string();
        assert!(open_store(&mut db).await.is_ok());
    }
}
