//! `updatedb` against real PostgreSQL: an empty database, a table 0.11.0 created with rows in it,
//! several runs at once, `--reset`, and creating a missing database.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use techchallenge_app::config::DbSettings;
use techchallenge_app::store::PgStore;
use techchallenge_app::store::migrate::{UpdateOptions, update_database};

use crate::helpers::{TestApp, admin, database_url, fresh_db, random_name, settings_for};

async fn titles(db: &techchallenge_app::config::DbSettings) -> Vec<String> {
    let c = admin(db).await;
    c.query("SELECT title FROM tasks ORDER BY id", &[])
        .await
        .expect("select")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn empty_database_gets_a_seeded_table_once() {
    let Some(db) = fresh_db().await else { return };
    let report = update_database(&db, UpdateOptions::default())
        .await
        .expect("first run");
    assert!(report.iter().any(|l| l.contains("seeded")), "{report:?}");
    assert_eq!(titles(&db).await, ["1st Task", "2nd Task", "3rd Task"]);
    admin(&db)
        .await
        .execute("DELETE FROM tasks WHERE id = 1", &[])
        .await
        .expect("delete");
    let report = update_database(&db, UpdateOptions::default())
        .await
        .expect("second run");
    assert!(report.iter().all(|l| !l.contains("seeded")), "{report:?}");
    assert_eq!(
        titles(&db).await,
        ["2nd Task", "3rd Task"],
        "a second run neither re-seeds nor drops"
    );
}

#[tokio::test]
async fn table_made_by_0_11_keeps_its_rows_and_stays_usable_by_0_11() {
    let Some(db) = fresh_db().await else { return };
    let c = admin(&db).await;
    // Exactly what 0.11.0's updatedb created, then rows with a gap in the ids.
    c.batch_execute(
        "CREATE TABLE tasks ( id SERIAL PRIMARY KEY, completed boolean NOT NULL, priority integer NOT NULL, title text NOT NULL);
         INSERT INTO tasks (completed, priority, title) VALUES (false, 0, 'old one'), (true, 5, 'old two'), (false, 1, 'old three');
         DELETE FROM tasks WHERE id = 2;",
    )
    .await
    .expect("legacy table");
    update_database(&db, UpdateOptions::default())
        .await
        .expect("migrate");
    update_database(&db, UpdateOptions::default())
        .await
        .expect("migrate again");
    assert_eq!(
        titles(&db).await,
        ["old one", "old three"],
        "nothing lost, nothing seeded"
    );

    // 0.11.0 scans `SELECT *` into exactly (id, completed, priority, title).
    let rows = c.query("SELECT * FROM tasks", &[]).await.expect("select *");
    let names: Vec<&str> = rows[0].columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["id", "completed", "priority", "title"]);
    // 0.11.0's insert and delete still work, and ours sees them (and the other way round).
    let id: i32 = c
        .query_one(
            "INSERT INTO tasks (completed, priority, title) VALUES($1, $2, $3) returning id",
            &[&false, &0i32, &"from 0.11"],
        )
        .await
        .expect("0.11 insert")
        .get(0);
    assert_eq!(id, 4, "the sequence continues after the old rows");

    let app = TestApp::with_store(
        Arc::new(PgStore::new(&db).expect("pool")),
        Some(db.clone()),
        None,
    );
    assert_eq!(app.titles().await, ["old one", "old three", "from 0.11"]);
    let r = app
        .call(Method::POST, "/api/task/", r#"{"title":"from us"}"#)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["id"], 5);
    let r = app
        .call(Method::PUT, "/api/task/1/", r#"{"complete":true}"#)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let done: bool = c
        .query_one("SELECT completed FROM tasks WHERE id = 1", &[])
        .await
        .expect("read")
        .get(0);
    assert!(done);
    assert_eq!(
        c.execute("DELETE FROM tasks WHERE id=$1", &[&5i32])
            .await
            .expect("0.11 delete"),
        1
    );
}

#[tokio::test]
async fn concurrent_runs_on_a_new_database_agree() {
    let Some(url) = database_url() else { return };
    let db = settings_for(&url, &random_name());
    let opts = UpdateOptions {
        create_database: true,
        reset: false,
    };
    let runs: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn({
                let db = db.clone();
                async move { update_database(&db, opts).await }
            })
        })
        .collect();
    for run in runs {
        run.await
            .expect("join")
            .expect("every concurrent run succeeds");
    }
    assert_eq!(
        titles(&db).await,
        ["1st Task", "2nd Task", "3rd Task"],
        "seeded exactly once"
    );
}

/// A fresh database, migrated, and an administrator's connection to it.
async fn migrated_db() -> Option<(DbSettings, tokio_postgres::Client)> {
    let db = fresh_db().await?;
    update_database(&db, UpdateOptions::default())
        .await
        .expect("migrate");
    let client = admin(&db).await;
    Some((db, client))
}

#[tokio::test]
async fn reset_drops_and_reseeds() {
    let Some((db, client)) = migrated_db().await else {
        return;
    };
    client
        .execute(
            "INSERT INTO tasks (completed, priority, title) VALUES (false, 0, 'x')",
            &[],
        )
        .await
        .expect("insert");
    update_database(
        &db,
        UpdateOptions {
            create_database: false,
            reset: true,
        },
    )
    .await
    .expect("reset");
    assert_eq!(titles(&db).await, ["1st Task", "2nd Task", "3rd Task"]);
}

#[tokio::test]
async fn a_table_dropped_by_hand_is_recreated() {
    let Some((db, client)) = migrated_db().await else {
        return;
    };
    client
        .batch_execute("DROP TABLE tasks")
        .await
        .expect("drop");
    update_database(&db, UpdateOptions::default())
        .await
        .expect("migrate again");
    assert_eq!(titles(&db).await.len(), 3);
}

#[tokio::test]
async fn a_database_that_cannot_be_reached_is_a_clear_error() {
    let Some(url) = database_url() else { return };
    let mut db = settings_for(&url, &random_name());
    let err = update_database(&db, UpdateOptions::default())
        .await
        .expect_err("no such database");
    assert!(err.to_string().contains("does not exist"), "{err}");
    db.db_port = 1;
    let err = update_database(&db, UpdateOptions::default())
        .await
        .expect_err("nothing listens on port 1");
    assert!(err.to_string().contains("unavailable"), "{err}");
    db = settings_for(&url, "postgres");
    db.db_password = techchallenge_app::config::Secret::new("wrong");
    let err = update_database(&db, UpdateOptions::default())
        .await
        .expect_err("bad password");
    assert!(!err.to_string().contains("wrong"), "{err}");
}
