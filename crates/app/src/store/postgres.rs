//! The PostgreSQL store: a deadpool pool of tokio-postgres connections with prepared statements.
//!
//! Every query has a deadline, and a connection that timed out or broke is dropped from the pool
//! instead of being reused, so a database restart or fail-over heals on its own and no request
//! waits longer than the configured timeout. Inserts go through [`super::batch`], which commits
//! concurrent ones together. New connections take their login from a [`LoginSource`], so a
//! password that changed in the secret is picked up without a restart.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
};
use prometheus_client::metrics::counter::Counter;
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};

use super::batch::InsertQueue;
use super::login::{LoginConnect, LoginSource, Refresh};
use super::{PoolState, Store, StoreError};
use crate::config::{DbSettings, SslMode};
use crate::task::{NewTask, Task, TaskChanges};

/// The queries, in one place (column order as 0.11.0's table).
mod sql {
    pub const LIST: &str = "SELECT id, completed, priority, title FROM tasks ORDER BY id";
    pub const GET: &str = "SELECT id, completed, priority, title FROM tasks WHERE id = $1";
    /// Several tasks in one statement; `ORDER BY n` makes ids ascend in input order.
    pub const INSERT_MANY: &str = "INSERT INTO tasks (completed, priority, title) \
        SELECT c, p, t FROM unnest($1::boolean[], $2::integer[], $3::text[]) \
        WITH ORDINALITY AS u(c, p, t, n) ORDER BY n RETURNING id";
    pub const UPDATE: &str = "UPDATE tasks SET completed = COALESCE($2, completed), \
        priority = COALESCE($3, priority), title = COALESCE($4, title) \
        WHERE id = $1 RETURNING id, completed, priority, title";
    pub const DELETE: &str = "DELETE FROM tasks WHERE id = $1";
    pub const PING: &str = "SELECT 1";
}

/// Tasks in PostgreSQL.
pub struct PgStore {
    core: Arc<Core>,
    inserts: InsertQueue,
}

/// The pool, the per-query deadline and the login, shared with the insert batcher's workers.
pub(crate) struct Core {
    pool: Pool,
    pub(crate) timeout: Duration,
    login: Arc<LoginSource>,
}

/// The tokio-postgres settings for `db`, connecting to database `dbname`.
pub fn pg_config(db: &DbSettings, dbname: &str) -> tokio_postgres::Config {
    let mut c = tokio_postgres::Config::new();
    c.host(&db.db_host)
        .port(db.db_port)
        .user(&db.db_user)
        .password(db.db_password.expose())
        .dbname(dbname)
        .application_name("TechChallengeApp")
        .connect_timeout(db.db_timeout)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .ssl_mode(match db.db_ssl_mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
    c
}

/// Opens one connection outside the pool (for migrations), driving it on a background task.
pub async fn connect_one(
    db: &DbSettings,
    dbname: &str,
) -> Result<tokio_postgres::Client, StoreError> {
    let config = pg_config(db, dbname);
    let connected = match super::tls::connector(db)? {
        None => {
            tokio::time::timeout(db.db_timeout, async {
                let (client, conn) = config.connect(NoTls).await?;
                tokio::spawn(conn);
                Ok::<_, tokio_postgres::Error>(client)
            })
            .await
        }
        Some(tls) => {
            tokio::time::timeout(db.db_timeout, async {
                let (client, conn) = config.connect(tls).await?;
                tokio::spawn(conn);
                Ok::<_, tokio_postgres::Error>(client)
            })
            .await
        }
    };
    match connected {
        Err(_) => Err(StoreError::Unavailable(format!(
            "connecting to {}:{} timed out",
            db.db_host, db.db_port
        ))),
        Ok(r) => r.map_err(classify),
    }
}

impl PgStore {
    /// Builds the pool for a login that never changes. No connection is opened until the first
    /// request.
    pub fn new(db: &DbSettings) -> Result<PgStore, StoreError> {
        PgStore::with_login(Arc::new(LoginSource::fixed(db.clone())))
    }

    /// Builds the pool; connections use the settings `login` holds when they are opened, and
    /// `login` is asked for a new one when the database rejects it.
    pub fn with_login(login: Arc<LoginSource>) -> Result<PgStore, StoreError> {
        let db = &*login.settings();
        let config = pg_config(db, &db.db_name);
        let mgr_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match super::tls::connector(db)? {
            None => {
                let connect = LoginConnect {
                    login: login.clone(),
                    tls: NoTls,
                };
                Manager::from_connect(config, connect, mgr_config)
            }
            Some(tls) => {
                let connect = LoginConnect {
                    login: login.clone(),
                    tls,
                };
                Manager::from_connect(config, connect, mgr_config)
            }
        };
        let pool = Pool::builder(manager)
            .max_size(db.db_pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(db.db_timeout))
            .create_timeout(Some(db.db_timeout))
            .recycle_timeout(Some(db.db_timeout))
            .build()
            .map_err(|e| StoreError::Setup(format!("cannot build the connection pool: {e}")))?;
        let core = Arc::new(Core {
            pool,
            timeout: db.db_timeout,
            login,
        });
        // Half the pool at most writes, so reads always find connections.
        let writers = (db.db_pool_size / 2).max(1);
        let inserts = InsertQueue::start(core.clone(), writers)?;
        Ok(PgStore { core, inserts })
    }
}

impl Core {
    /// A pooled connection. When opening a new one fails authentication, the login is
    /// refreshed (see [`LoginSource::refresh`]) and, if it changed, the connection is tried once
    /// more with the new one.
    pub(crate) async fn client(&self) -> Result<Object, StoreError> {
        let seen = self.login.generation();
        match self.pool.get().await {
            Err(PoolError::Backend(e)) if login_rejected(&e) => {
                if self.login.refresh(seen).await == Refresh::Changed {
                    return self.pool.get().await.map_err(pool_error);
                }
                Err(classify(e))
            }
            got => got.map_err(pool_error),
        }
    }

    /// Turns the outcome of a query on `client` into ours; a client that timed out or failed at
    /// the connection level is detached from the pool so the next request gets a fresh one.
    /// Inserts `tasks` in one statement (one transaction, one WAL flush) and returns their ids
    /// in the same order.
    pub(crate) async fn insert_many(&self, tasks: &[NewTask]) -> Result<Vec<i32>, StoreError> {
        let complete: Vec<bool> = tasks.iter().map(|t| t.complete).collect();
        let priority: Vec<i32> = tasks.iter().map(|t| t.priority).collect();
        let title: Vec<&str> = tasks.iter().map(|t| t.title.as_str()).collect();
        let client = self.client().await?;
        let outcome = tokio::time::timeout(self.timeout, async {
            let st = client.prepare_cached(sql::INSERT_MANY).await?;
            let rows = client.query(&st, &[&complete, &priority, &title]).await?;
            rows.iter()
                .map(|r| r.try_get::<_, i32>(0))
                .collect::<Result<Vec<_>, _>>()
        })
        .await;
        let mut ids = self.finish(client, outcome)?;
        if ids.len() != tasks.len() {
            return Err(StoreError::Internal(format!(
                "inserted {} rows for {} tasks",
                ids.len(),
                tasks.len()
            )));
        }
        // Rows are inserted, and ids drawn from the sequence, in ordinality order.
        ids.sort_unstable();
        Ok(ids)
    }

    pub(crate) fn finish<T>(
        &self,
        client: Object,
        outcome: Result<Result<T, tokio_postgres::Error>, tokio::time::error::Elapsed>,
    ) -> Result<T, StoreError> {
        match outcome {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                let err = classify(e);
                if matches!(err, StoreError::Unavailable(_)) {
                    drop(Object::take(client));
                }
                Err(err)
            }
            Err(_) => {
                drop(Object::take(client));
                Err(StoreError::Unavailable(format!(
                    "query took longer than {:?}",
                    self.timeout
                )))
            }
        }
    }
}

fn pool_error(e: PoolError) -> StoreError {
    match e {
        PoolError::Timeout(_) => {
            StoreError::Unavailable("no database connection within the timeout".into())
        }
        PoolError::Backend(e) => classify(e),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Whether the server refused the login: a wrong password (or no such user: PostgreSQL does not
/// say which), or a user that may not log in.
fn login_rejected(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|code| {
        *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
    })
}

/// Connection-level failures, server shutdowns and a refused login are "unavailable" (the
/// database cannot serve us now); the rest is internal.
fn classify(e: tokio_postgres::Error) -> StoreError {
    let unavailable = e.is_closed()
        || login_rejected(&e)
        || match e.code() {
            None => true, // I/O, TLS or protocol failure talking to the server
            Some(code) => {
                code.code().starts_with("08")
                    || [
                        SqlState::ADMIN_SHUTDOWN,
                        SqlState::CRASH_SHUTDOWN,
                        SqlState::CANNOT_CONNECT_NOW,
                    ]
                    .contains(code)
                    || code.code().starts_with("53") // insufficient resources, too many connections
            }
        };
    let text = describe(&e);
    if unavailable {
        StoreError::Unavailable(text)
    } else {
        StoreError::Internal(text)
    }
}

/// The error with its causes ("error performing TLS handshake: invalid peer certificate: ...").
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.code().code(), db.message());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn task_of(row: &Row) -> Result<Task, tokio_postgres::Error> {
    Ok(Task {
        id: i64::from(row.try_get::<_, i32>(0)?),
        complete: row.try_get(1)?,
        priority: row.try_get(2)?,
        title: row.try_get(3)?,
    })
}

#[async_trait]
impl Store for PgStore {
    async fn list(&self) -> Result<Vec<Task>, StoreError> {
        let client = self.core.client().await?;
        let outcome = tokio::time::timeout(self.core.timeout, async {
            let st = client.prepare_cached(sql::LIST).await?;
            client
                .query(&st, &[])
                .await?
                .iter()
                .map(task_of)
                .collect::<Result<Vec<_>, _>>()
        })
        .await;
        self.core.finish(client, outcome)
    }

    async fn get(&self, id: i64) -> Result<Option<Task>, StoreError> {
        let Ok(id) = i32::try_from(id) else {
            return Ok(None);
        };
        let client = self.core.client().await?;
        let outcome = tokio::time::timeout(self.core.timeout, async {
            let st = client.prepare_cached(sql::GET).await?;
            client
                .query_opt(&st, &[&id])
                .await?
                .as_ref()
                .map(task_of)
                .transpose()
        })
        .await;
        self.core.finish(client, outcome)
    }

    async fn create(&self, task: NewTask) -> Result<Task, StoreError> {
        self.inserts.insert(task, self.core.timeout).await
    }

    async fn update(&self, id: i64, c: TaskChanges) -> Result<Option<Task>, StoreError> {
        let Ok(id) = i32::try_from(id) else {
            return Ok(None);
        };
        let client = self.core.client().await?;
        let outcome = tokio::time::timeout(self.core.timeout, async {
            let st = client.prepare_cached(sql::UPDATE).await?;
            let row = client
                .query_opt(&st, &[&id, &c.complete, &c.priority, &c.title])
                .await?;
            row.as_ref().map(task_of).transpose()
        })
        .await;
        self.core.finish(client, outcome)
    }

    async fn delete(&self, id: i64) -> Result<bool, StoreError> {
        let Ok(id) = i32::try_from(id) else {
            return Ok(false);
        };
        let client = self.core.client().await?;
        let outcome = tokio::time::timeout(self.core.timeout, async {
            let st = client.prepare_cached(sql::DELETE).await?;
            client.execute(&st, &[&id]).await
        })
        .await;
        Ok(self.core.finish(client, outcome)? > 0)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.core.client().await?;
        let outcome = tokio::time::timeout(self.core.timeout, async {
            let st = client.prepare_cached(sql::PING).await?;
            client.query_one(&st, &[]).await.map(|_| ())
        })
        .await;
        self.core.finish(client, outcome)
    }

    fn secret_reads(&self) -> Option<Counter> {
        Some(self.core.login.reads())
    }

    fn pool_state(&self) -> Option<PoolState> {
        let s = self.core.pool.status();
        Some(PoolState {
            max_size: s.max_size,
            size: s.size,
            idle: s.available,
            waiting: s.waiting,
        })
    }
}
