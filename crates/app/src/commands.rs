//! What `serve` and `updatedb` do, given checked settings: resolve the database login, open the
//! store, then serve or migrate. The binary only parses arguments and reports the outcome.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::{DbSettings, DbType, Settings};
use crate::routes::{AppState, app};
use crate::secrets::{SecretError, apply_secret};
use crate::server::{Stopped, serve as serve_router, termination_signal};
use crate::store::migrate::{UpdateOptions, update_database};
use crate::store::{EmbeddedStore, PgStore, Store, StoreError};

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The Secrets Manager secret could not be used.
    #[error(transparent)]
    Secret(#[from] SecretError),
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

/// The embedded store's file for `db`.
pub fn embedded_path(db: &DbSettings) -> PathBuf {
    PathBuf::from(format!("{}.redb", db.db_name))
}

/// The store `db` describes (embedded stores are created and seeded when new).
pub async fn open_store(db: &mut DbSettings) -> Result<Arc<dyn Store>, CommandError> {
    Ok(match db.db_type {
        DbType::Postgres => {
            apply_secret(db).await?;
            Arc::new(PgStore::new(db)?)
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
            apply_secret(db).await?;
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
