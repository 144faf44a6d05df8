//! Where the pool's new connections get their login, and a fresh login when the database
//! rejects it.
//!
//! With `DbSecretId` set, the login (user, password, host, port) is read from AWS Secrets Manager
//! at start-up. When the password changes afterwards (a rotation, or by hand), connections already
//! open keep working but new ones fail authentication, and without this the app would answer 503
//! until restarted. So when opening a connection fails with SQLSTATE 28P01 or 28000, the store
//! asks [`LoginSource::refresh`] to read the secret again and, when it now holds a different
//! login, opens the connection again with it.
//!
//! Re-reads are single-flight and rate-limited: concurrent failures wait for one read and use its
//! result, and a read happens at most once per [`REREAD_INTERVAL`], so a password that is simply
//! wrong costs one Secrets Manager call per interval, not one per request. When the secret still
//! holds the login that failed, nothing is retried: the request gets 503 and a warning says what
//! to check. No log line carries the password.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use deadpool_postgres::Connect;
use prometheus_client::metrics::counter::Counter;
use tokio::task::JoinHandle;
use tokio_postgres::Socket;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};

use super::postgres::{describe, pg_config};
use crate::config::DbSettings;
use crate::secrets::{LoginFetcher, SecretError, merge_login};

/// Least time between two reads of the secret after the database rejected the login.
pub const REREAD_INTERVAL: Duration = Duration::from_secs(10);

/// Longest a start-up read of the secret may take.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);

/// Longest a re-read may take; requests wait for it, so it is shorter than the start-up one.
const REREAD_TIMEOUT: Duration = Duration::from_secs(5);

/// What [`LoginSource::refresh`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// The login is not the one that was rejected (just read, or read by a concurrent caller):
    /// try again with it.
    Changed,
    /// The secret still holds the rejected login (logged as a warning).
    Unchanged,
    /// The secret was read less than the interval ago and not read again.
    Throttled,
    /// The secret could not be read, or lacks a host to connect to (logged as a warning).
    Failed,
    /// The login does not come from a secret; there is nothing to re-read.
    Fixed,
}

/// The settings new connections use, and how to get new ones.
pub struct LoginSource {
    /// As configured, before any secret: what a secret without `host`/`port` falls back to.
    configured: DbSettings,
    current: RwLock<Current>,
    reread: Option<Reread>,
    reads: Counter,
}

/// The settings in use, and a number that grows each time they change.
struct Current {
    db: Arc<DbSettings>,
    generation: u64,
}

/// The secret, and when it was last re-read. The mutex is also what makes re-reads
/// single-flight: callers queue on it and find the answer of the read before them.
struct Reread {
    fetcher: Box<dyn LoginFetcher>,
    interval: Duration,
    last: tokio::sync::Mutex<Option<Instant>>,
}

impl LoginSource {
    /// A login that never changes (no secret, or tests).
    pub fn fixed(db: DbSettings) -> LoginSource {
        LoginSource {
            current: RwLock::new(Current {
                db: Arc::new(db.clone()),
                generation: 0,
            }),
            configured: db,
            reread: None,
            reads: Counter::default(),
        }
    }

    /// Reads the login from `fetcher` now (counted as a read) over the `configured` settings,
    /// and re-reads it, at most once per `interval`, when [`refresh`](Self::refresh) is asked.
    /// The start-up read does not count toward the interval.
    pub async fn from_secret(
        configured: DbSettings,
        fetcher: Box<dyn LoginFetcher>,
        interval: Duration,
    ) -> Result<LoginSource, SecretError> {
        let reads = Counter::default();
        reads.inc();
        let login = fetcher.fetch(STARTUP_TIMEOUT).await?;
        let mut db = configured.clone();
        let (host_from, port_from) = merge_login(&mut db, login);
        tracing::info!(
            secret_id = %fetcher.secret_id(),
            user = %db.db_user,
            host = %db.db_host,
            host_from,
            port = db.db_port,
            port_from,
            "database login read from AWS Secrets Manager"
        );
        Ok(LoginSource {
            configured,
            current: RwLock::new(Current {
                db: Arc::new(db),
                generation: 0,
            }),
            reread: Some(Reread {
                fetcher,
                interval,
                last: tokio::sync::Mutex::new(None),
            }),
            reads,
        })
    }

    /// The settings a new connection uses now.
    pub fn settings(&self) -> Arc<DbSettings> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .db
            .clone()
    }

    /// Grows each time the settings change; a caller notes it before connecting and hands it
    /// to [`refresh`](Self::refresh), which can then tell whether someone else already fixed
    /// the login.
    pub fn generation(&self) -> u64 {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .generation
    }

    /// Reads of the secret so far (start-up and re-reads, failed ones included), for `/metrics`.
    pub fn reads(&self) -> Counter {
        self.reads.clone()
    }

    /// Called when the database rejected the login of [`generation`](Self::generation) `seen`:
    /// reads the secret again unless another caller just did, or did less than the interval ago.
    pub async fn refresh(&self, seen: u64) -> Refresh {
        let Some(reread) = &self.reread else {
            return Refresh::Fixed;
        };
        let id = reread.fetcher.secret_id();
        let mut last = reread.last.lock().await;
        if self.generation() != seen {
            return Refresh::Changed;
        }
        if last.is_some_and(|at| at.elapsed() < reread.interval) {
            tracing::debug!(secret_id = %id, "login rejected; secret read recently, not again");
            return Refresh::Throttled;
        }
        *last = Some(Instant::now());
        self.reads.inc();
        let login = match reread.fetcher.fetch(REREAD_TIMEOUT).await {
            Ok(login) => login,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "the database rejected the login and reading secret {id} again failed; \
                     keeping the current login"
                );
                return Refresh::Failed;
            }
        };
        let mut next = self.configured.clone();
        merge_login(&mut next, login);
        if next.db_host.is_empty() {
            tracing::warn!(
                "the database rejected the login, and secret {id} now has no \"host\" while \
                 DbHost is empty; keeping the current login"
            );
            return Refresh::Failed;
        }
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        let old = current.db.clone();
        if same_login(&old, &next) {
            tracing::warn!(
                secret_id = %id,
                user = %old.db_user,
                host = %old.db_host,
                port = old.db_port,
                "the database rejected the login in secret {id}, and the secret still holds that \
                 login, so there is nothing to retry with (requests needing a new connection get \
                 503); check that the role's password in the database matches the secret's \
                 current (AWSCURRENT) value, as a rotation that stopped half-way or a password \
                 changed by hand without updating the secret leaves them apart, and that the user \
                 exists and may log in; the secret is read again at the next failure after {:?}",
                reread.interval
            );
            return Refresh::Unchanged;
        }
        tracing::info!(
            secret_id = %id,
            user = %next.db_user,
            host = %next.db_host,
            port = next.db_port,
            user_changed = old.db_user != next.db_user,
            password_changed = old.db_password != next.db_password,
            host_changed = old.db_host != next.db_host,
            port_changed = old.db_port != next.db_port,
            "the database rejected the login; secret {id} holds a new one, connecting with it"
        );
        current.db = Arc::new(next);
        current.generation += 1;
        Refresh::Changed
    }
}

/// Whether `a` and `b` log in the same way to the same server.
fn same_login(a: &DbSettings, b: &DbSettings) -> bool {
    a.db_user == b.db_user
        && a.db_password == b.db_password
        && a.db_host == b.db_host
        && a.db_port == b.db_port
}

/// The pool's way of opening connections: with the settings the [`LoginSource`] holds at that
/// moment, not the ones the pool was built with (deadpool's `Manager` keeps a fixed config, which
/// this ignores).
pub(crate) struct LoginConnect<T> {
    /// Where the settings come from.
    pub(crate) login: Arc<LoginSource>,
    /// TLS, or `NoTls`.
    pub(crate) tls: T,
}

type Connected = Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error>;

impl<T> Connect for LoginConnect<T>
where
    T: MakeTlsConnect<Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    fn connect(
        &self,
        _fixed: &tokio_postgres::Config,
    ) -> Pin<Box<dyn Future<Output = Connected> + Send + '_>> {
        let db = self.login.settings();
        let config = pg_config(&db, &db.db_name);
        let tls = self.tls.clone();
        Box::pin(async move {
            let (client, connection) = config.connect(tls).await?;
            let task = tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %describe(&e), "database connection ended");
                }
            });
            Ok((client, task))
        })
    }
}

#[cfg(test)]
mod tests;
