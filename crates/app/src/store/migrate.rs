//! `updatedb` for PostgreSQL: safe on every boot and from many instances at once.
//!
//! The database is created only when missing (a concurrent creator's "already exists" counts as
//! success); migrations run one at a time under a session advisory lock, each in its own
//! transaction, and are recorded in `tc_schema_migrations`. The `tasks` table keeps exactly
//! 0.11.0's columns, because 0.11.0 reads it with `SELECT *` into four fields: a fleet that is
//! half old and half new during a rolling update keeps working. Nothing is dropped without `reset`.

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Transaction};

use super::postgres::connect_one;
use super::{SEED_TITLES, StoreError};
use crate::config::DbSettings;

/// What `updatedb` should do.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpdateOptions {
    /// Create the database when it does not exist (0.11.0's default; `-s` turns it off).
    pub create_database: bool,
    /// Drop the tasks table (and the migration record) first. Destroys data.
    pub reset: bool,
}

/// Arbitrary constant naming our advisory lock ("TCAPP" in ASCII).
const LOCK_KEY: i64 = 0x0054_4341_5050;

/// Each migration: version, description, and whether it may seed.
const MIGRATIONS: &[(i32, &str)] = &[(1, "tasks table with 0.11.0's columns, seeded when new")];

/// Runs `updatedb` and returns one line per step, for the operator.
pub async fn update_database(
    db: &DbSettings,
    opts: UpdateOptions,
) -> Result<Vec<String>, StoreError> {
    let mut report = Vec::new();
    if opts.create_database {
        report.push(create_database(db).await?);
    }
    let mut client = connect_one(db, &db.db_name).await?;
    client
        .batch_execute("SET lock_timeout = '120s'")
        .await
        .map_err(internal)?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(|e| StoreError::Internal(format!("waiting for the migration lock: {e}")))?;
    let result = migrate(&mut client, opts, &mut report).await;
    // Closing the session releases the lock too; unlocking explicitly just makes it prompt.
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await;
    result.map(|()| report)
}

async fn migrate(
    client: &mut Client,
    opts: UpdateOptions,
    report: &mut Vec<String>,
) -> Result<(), StoreError> {
    if opts.reset {
        client
            .batch_execute("BEGIN; DROP TABLE IF EXISTS tasks CASCADE; DROP TABLE IF EXISTS tc_schema_migrations; COMMIT;")
            .await
            .map_err(internal)?;
        report.push("reset: dropped table tasks and the migration record".into());
    }
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS tc_schema_migrations (
                version integer PRIMARY KEY,
                description text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await
        .map_err(internal)?;
    let applied: Vec<i32> = client
        .query("SELECT version FROM tc_schema_migrations", &[])
        .await
        .map_err(internal)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for &(version, description) in MIGRATIONS {
        if applied.contains(&version) {
            report.push(format!("migration {version} already applied"));
            continue;
        }
        let tx = client.transaction().await.map_err(internal)?;
        let note = apply(&tx, version).await?;
        tx.execute(
            "INSERT INTO tc_schema_migrations (version, description) VALUES ($1, $2)",
            &[&version, &description],
        )
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        report.push(format!("migration {version} applied: {note}"));
    }
    // Someone may have dropped the table by hand after migration 1 was recorded.
    let tx = client.transaction().await.map_err(internal)?;
    let note = apply(&tx, 1).await?;
    tx.commit().await.map_err(internal)?;
    if note.starts_with("created") {
        report.push(format!("table tasks was missing: {note}"));
    }
    Ok(())
}

async fn apply(tx: &Transaction<'_>, version: i32) -> Result<String, StoreError> {
    match version {
        1 => {
            let exists: bool = tx
                .query_one("SELECT to_regclass('tasks') IS NOT NULL", &[])
                .await
                .map_err(internal)?
                .get(0);
            if exists {
                return Ok("table tasks already exists (kept as is, rows untouched)".into());
            }
            tx.batch_execute(
                "CREATE TABLE tasks (id SERIAL PRIMARY KEY, completed boolean NOT NULL, \
                 priority integer NOT NULL, title text NOT NULL)",
            )
            .await
            .map_err(internal)?;
            for title in SEED_TITLES {
                tx.execute(
                    "INSERT INTO tasks (completed, priority, title) VALUES (false, 0, $1)",
                    &[&title],
                )
                .await
                .map_err(internal)?;
            }
            Ok("created table tasks and seeded it".into())
        }
        other => Err(StoreError::Internal(format!(
            "no migration numbered {other}"
        ))),
    }
}

/// Creates database `db.db_name` unless it exists, connecting to the `postgres` database as 0.11.0 did.
async fn create_database(db: &DbSettings) -> Result<String, StoreError> {
    let client = connect_one(db, "postgres").await?;
    let exists = client
        .query_opt(
            "SELECT 1 FROM pg_database WHERE datname = $1",
            &[&db.db_name],
        )
        .await
        .map_err(internal)?
        .is_some();
    if exists {
        return Ok(format!("database {} already exists", db.db_name));
    }
    let quoted = format!("\"{}\"", db.db_name.replace('"', "\"\""));
    match client
        .batch_execute(&format!(
            "CREATE DATABASE {quoted} WITH ENCODING 'UTF8' TEMPLATE template0"
        ))
        .await
    {
        Ok(()) => Ok(format!("created database {}", db.db_name)),
        // Another instance created it between our check and our CREATE.
        Err(e)
            if e.code() == Some(&SqlState::DUPLICATE_DATABASE)
                || e.code() == Some(&SqlState::UNIQUE_VIOLATION) =>
        {
            Ok(format!("database {} already exists", db.db_name))
        }
        Err(e) => Err(internal(e)),
    }
}

fn internal(e: tokio_postgres::Error) -> StoreError {
    let text = super::postgres::describe(&e);
    if e.as_db_error().is_some() {
        StoreError::Internal(text)
    } else {
        StoreError::Unavailable(text)
    }
}
