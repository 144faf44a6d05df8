//! Where tasks live. One [`Store`] trait, so handlers neither know nor care whether PostgreSQL or
//! the embedded file answers, and tests run the same API suite against both.

pub mod batch;
pub mod embedded;
pub mod login;
pub mod migrate;
pub mod postgres;
pub mod tls;

use async_trait::async_trait;
use prometheus_client::metrics::counter::Counter;

use crate::task::{NewTask, Task, TaskChanges};

pub use embedded::EmbeddedStore;
pub use postgres::PgStore;

/// Why a store operation failed. The text is for the log only, never for clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached in time (down, restarting, pool exhausted).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: the request was fine, the store was not.
    #[error("store failure: {0}")]
    Internal(String),
    /// The settings cannot work (bad CA bundle, and such); reported at start-up.
    #[error("{0}")]
    Setup(String),
}

/// A snapshot of the connection pool, for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolState {
    /// Most connections the pool may open.
    pub max_size: usize,
    /// Connections open now.
    pub size: usize,
    /// Open connections not in use.
    pub idle: usize,
    /// Requests waiting for a connection.
    pub waiting: usize,
}

/// The operations the API needs.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// All tasks, by id.
    async fn list(&self) -> Result<Vec<Task>, StoreError>;
    /// One task.
    async fn get(&self, id: i64) -> Result<Option<Task>, StoreError>;
    /// Stores a new task and returns it with its id.
    async fn create(&self, task: NewTask) -> Result<Task, StoreError>;
    /// Applies `changes` to task `id`; `None` if there is no such task.
    async fn update(&self, id: i64, changes: TaskChanges) -> Result<Option<Task>, StoreError>;
    /// Deletes task `id`; `false` if there was no such task.
    async fn delete(&self, id: i64) -> Result<bool, StoreError>;
    /// Succeeds when the store answers a trivial query.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Pool figures, for stores that have a pool.
    fn pool_state(&self) -> Option<PoolState> {
        None
    }
    /// The count of reads of the database login secret, for stores that read one.
    fn secret_reads(&self) -> Option<Counter> {
        None
    }
}

/// The three rows 0.11.0 seeded a new table with.
pub const SEED_TITLES: [&str; 3] = ["1st Task", "2nd Task", "3rd Task"];
