//! The embedded store for `DbType = "boltdb"`: one redb file, so the app runs with no database
//! server at all (0.11.0's shipped default). redb commits are fsynced and crash-safe; the file is
//! `<DbName>.redb` in the working directory (bbolt's format is not kept, and the suffix keeps us
//! from tripping over a 0.11.0 bbolt file of the same name).
//!
//! redb's API is blocking, so each operation runs on tokio's blocking pool.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use redb::{Database, ReadableTable, TableDefinition, TableError, TableHandle};

use super::{SEED_TITLES, Store, StoreError};
use crate::task::{NewTask, Task, TaskChanges};

/// Task id → task as JSON.
const TASKS: TableDefinition<u64, &[u8]> = TableDefinition::new("tasks");
/// Counters; `next_id` never goes back, so deleted ids are not reused (as bbolt's sequence).
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Tasks in a local redb file.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

impl EmbeddedStore {
    /// Opens (creating if needed) the file at `path`; with `reset`, drops the tasks first. A new
    /// tasks table is seeded; an existing one is left alone. Returns the store and what was done.
    pub fn open(path: &Path, reset: bool) -> Result<(EmbeddedStore, String), StoreError> {
        let db = Database::create(path)
            .map_err(|e| StoreError::Setup(format!("{}: {e}", path.display())))?;
        let tx = db.begin_write().map_err(err)?;
        if reset {
            tx.delete_table(TASKS).map_err(err)?;
            tx.delete_table(META).map_err(err)?;
        }
        let existed = tx
            .list_tables()
            .map_err(err)?
            .any(|t| t.name() == TASKS.name());
        let note = if existed {
            "table tasks already exists (rows untouched)".to_owned()
        } else {
            let mut tasks = tx.open_table(TASKS).map_err(err)?;
            let mut meta = tx.open_table(META).map_err(err)?;
            for (i, title) in SEED_TITLES.iter().enumerate() {
                let id = i as u64 + 1;
                let task = Task {
                    id: id as i64,
                    priority: 0,
                    title: (*title).to_owned(),
                    complete: false,
                };
                tasks.insert(id, encode(&task)?.as_slice()).map_err(err)?;
            }
            meta.insert("next_id", SEED_TITLES.len() as u64 + 1)
                .map_err(err)?;
            "created table tasks and seeded it".to_owned()
        };
        tx.commit().map_err(err)?;
        Ok((EmbeddedStore { db: Arc::new(db) }, note))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(err)?
    }
}

fn encode(task: &Task) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(task).map_err(err)
}

fn decode(bytes: &[u8]) -> Result<Task, StoreError> {
    serde_json::from_slice(bytes).map_err(err)
}

fn key(id: i64) -> Option<u64> {
    u64::try_from(id).ok()
}

/// Reading a table that a reset removed and nothing recreated yet reads as empty.
fn missing_is_empty<T>(r: Result<T, TableError>) -> Result<Option<T>, StoreError> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(err(e)),
    }
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn list(&self) -> Result<Vec<Task>, StoreError> {
        self.blocking(|db| {
            let tx = db.begin_read().map_err(err)?;
            let Some(table) = missing_is_empty(tx.open_table(TASKS))? else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            for entry in table.iter().map_err(err)? {
                let (_, v) = entry.map_err(err)?;
                out.push(decode(v.value())?);
            }
            Ok(out)
        })
        .await
    }

    async fn get(&self, id: i64) -> Result<Option<Task>, StoreError> {
        let Some(k) = key(id) else { return Ok(None) };
        self.blocking(move |db| {
            let tx = db.begin_read().map_err(err)?;
            let Some(table) = missing_is_empty(tx.open_table(TASKS))? else {
                return Ok(None);
            };
            let found = table.get(k).map_err(err)?;
            found.map(|v| decode(v.value())).transpose()
        })
        .await
    }

    async fn create(&self, new: NewTask) -> Result<Task, StoreError> {
        self.blocking(move |db| {
            let tx = db.begin_write().map_err(err)?;
            let task = {
                let mut meta = tx.open_table(META).map_err(err)?;
                let id = meta
                    .get("next_id")
                    .map_err(err)?
                    .map(|v| v.value())
                    .unwrap_or(1);
                meta.insert("next_id", id + 1).map_err(err)?;
                let task = Task {
                    id: i64::try_from(id).map_err(err)?,
                    priority: new.priority,
                    title: new.title,
                    complete: new.complete,
                };
                tx.open_table(TASKS)
                    .map_err(err)?
                    .insert(id, encode(&task)?.as_slice())
                    .map_err(err)?;
                task
            };
            tx.commit().map_err(err)?;
            Ok(task)
        })
        .await
    }

    async fn update(&self, id: i64, changes: TaskChanges) -> Result<Option<Task>, StoreError> {
        let Some(k) = key(id) else { return Ok(None) };
        self.blocking(move |db| {
            let tx = db.begin_write().map_err(err)?;
            let updated = {
                let mut table = tx.open_table(TASKS).map_err(err)?;
                let current = table
                    .get(k)
                    .map_err(err)?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                match current {
                    None => None,
                    Some(mut task) => {
                        changes.apply_to(&mut task);
                        table.insert(k, encode(&task)?.as_slice()).map_err(err)?;
                        Some(task)
                    }
                }
            };
            tx.commit().map_err(err)?;
            Ok(updated)
        })
        .await
    }

    async fn delete(&self, id: i64) -> Result<bool, StoreError> {
        let Some(k) = key(id) else { return Ok(false) };
        self.blocking(move |db| {
            let tx = db.begin_write().map_err(err)?;
            let removed = tx
                .open_table(TASKS)
                .map_err(err)?
                .remove(k)
                .map_err(err)?
                .is_some();
            tx.commit().map_err(err)?;
            Ok(removed)
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.blocking(|db| db.begin_read().map(|_| ()).map_err(err))
            .await
    }
}
