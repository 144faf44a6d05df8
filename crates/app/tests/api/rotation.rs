//! The database password changing under a running app (a rotation, or by hand), end to end: the
//! binary serves with a dedicated role whose login is in a moto secret; the role's password
//! changes, its backends are terminated so the pool must open new connections, and the app either
//! picks up the new password from the secret with one re-read and no restart, or, when the secret
//! still holds the old one, answers 503 and reads the secret once per interval, not per request.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use techchallenge_app::config::DbSettings;
use techchallenge_app::store::login::REREAD_INTERVAL;
use techchallenge_app::store::migrate::{UpdateOptions, update_database};
use tokio::task::JoinSet;

use crate::binary::app;
use crate::helpers::{admin, fresh_db, http, random_name};
use crate::secrets::{client, create_secret, moto_url};

/// A migrated database, a role that may use its tasks, and a secret holding the role's login.
struct Setup {
    moto: String,
    /// The superuser's settings for the test database.
    db: DbSettings,
    role: String,
    secret_id: String,
    first_password: String,
}

impl Setup {
    async fn new() -> Option<Setup> {
        let (Some(moto), Some(db)) = (moto_url(), fresh_db().await) else {
            return None;
        };
        update_database(&db, UpdateOptions::default())
            .await
            .expect("migrate");
        let role = random_name().replace("tc_test_", "tc_role_");
        let first_password = random_name();
        admin(&db)
            .await
            .batch_execute(&format!(
                "CREATE ROLE {role} LOGIN PASSWORD '{first_password}';
                 GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
                 GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};"
            ))
            .await
            .expect("create role");
        let setup = Setup {
            moto,
            db,
            role,
            secret_id: random_name(),
            first_password,
        };
        create_secret(
            &setup.moto,
            &setup.secret_id,
            &setup.secret_value(&setup.first_password),
        )
        .await;
        Some(setup)
    }

    /// The secret as an RDS attachment writes it, with `password`.
    fn secret_value(&self, password: &str) -> String {
        serde_json::json!({
            "username": self.role,
            "password": password,
            "engine": "postgres",
            "host": self.db.db_host,
            "port": self.db.db_port,
        })
        .to_string()
    }

    async fn put_secret(&self, password: &str) {
        client(&self.moto)
            .put_secret_value()
            .secret_id(&self.secret_id)
            .secret_string(self.secret_value(password))
            .send()
            .await
            .expect("put secret value in moto");
    }

    /// Gives the role `password` and ends its sessions, so the app's pool must log in again.
    async fn change_password(&self, password: &str) {
        let admin = admin(&self.db).await;
        admin
            .batch_execute(&format!("ALTER ROLE {} PASSWORD '{password}'", self.role))
            .await
            .expect("alter role");
        let started = Instant::now();
        loop {
            let left: i64 = admin
                .query_one(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                     WHERE usename = $1",
                    &[&self.role],
                )
                .await
                .expect("terminate the role's backends")
                .get(0);
            if left == 0 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "backends stay");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Let the app's connection tasks see their sockets close.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    /// `serve` with the configured login unusable, so only the secret's can work.
    fn serve(&self) -> Served {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = app(dir.path())
            .arg("serve")
            .envs([
                ("VTT_LISTENPORT", "0"),
                ("VTT_DBTYPE", "postgres"),
                ("VTT_DBNAME", self.db.db_name.as_str()),
                ("VTT_DBHOST", "configured-host.invalid"),
                ("VTT_DBPORT", "1"),
                ("VTT_DBUSER", "nobody"),
                ("VTT_DBPASSWORD", "wrong-password"),
                ("VTT_DBSECRETID", self.secret_id.as_str()),
                ("AWS_ENDPOINT_URL", self.moto.as_str()),
                ("AWS_ACCESS_KEY_ID", "test"),
                ("AWS_SECRET_ACCESS_KEY", "test"),
                ("AWS_REGION", "us-east-1"),
            ])
            .env_remove("AWS_PROFILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn serve");
        let stdout = child.stdout.take().expect("stdout");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("address=").nth(1) {
                    let _ = tx.send(
                        rest.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    );
                }
                lines.lock().expect("log").push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("serve logs its address: {:?}", log.lock()));
        Served {
            child,
            addr,
            log,
            _dir: dir,
        }
    }

    /// Drops the role once the app is gone.
    async fn clean_up(self) {
        admin(&self.db)
            .await
            .batch_execute(&format!(
                "DROP OWNED BY {role}; DROP ROLE {role};",
                role = self.role
            ))
            .await
            .expect("drop role");
    }
}

/// The running binary, killed when dropped.
struct Served {
    child: Child,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Served {
    async fn status(&self, path: &str) -> u16 {
        http(&self.addr, "GET", path, "").await.0
    }

    /// Statuses of `n` concurrent `GET path`, sorted.
    async fn statuses(&self, n: usize, path: &str) -> Vec<u16> {
        let mut set = JoinSet::new();
        for _ in 0..n {
            let addr = self.addr.clone();
            let path = path.to_owned();
            set.spawn(async move { http(&addr, "GET", &path, "").await.0 });
        }
        let mut out = set.join_all().await;
        out.sort_unstable();
        out
    }

    /// `techchallenge_secret_reads_total` from `/metrics`.
    async fn secret_reads(&self) -> u64 {
        let (status, body) = http(&self.addr, "GET", "/metrics", "").await;
        assert_eq!(status, 200, "{body}");
        body.lines()
            .find_map(|l| l.strip_prefix("techchallenge_secret_reads_total "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no secret_reads_total in {body}"))
    }

    /// The log so far.
    fn log(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }

    /// Log lines containing `text`.
    fn lines_with(&self, text: &str) -> usize {
        self.log
            .lock()
            .expect("log")
            .iter()
            .filter(|l| l.contains(text))
            .count()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_changed_password_is_read_again_from_the_secret_without_a_restart() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let served = setup.serve();
    let (status, body) = http(&served.addr, "GET", "/api/task/", "").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("1st Task"), "{body}");
    assert_eq!(served.secret_reads().await, 1);

    let second_password = random_name();
    setup.change_password(&second_password).await;
    setup.put_secret(&second_password).await;

    // The first request after the change finds no usable connection, re-reads, and succeeds;
    // so do the ones after it, concurrent or not, without reading again.
    let (status, body) = http(&served.addr, "POST", "/api/task/", r#"{"title":"after"}"#).await;
    assert_eq!(status, 200, "{body}\n{}", served.log());
    assert_eq!(served.statuses(8, "/api/task/").await, vec![200; 8]);
    assert_eq!(served.status("/healthcheck/").await, 200);
    assert_eq!(served.secret_reads().await, 2, "{}", served.log());
    assert_eq!(served.lines_with("holds a new one"), 1, "{}", served.log());

    // The new connections really log in as the role, with the new password.
    let sessions: i64 = admin(&setup.db)
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = $1",
            &[&setup.role],
        )
        .await
        .expect("sessions")
        .get(0);
    assert!(sessions >= 1, "{sessions}");

    let log = served.log();
    assert!(!log.contains(&setup.first_password) && !log.contains(&second_password));
    drop(served);
    setup.clean_up().await;
}

#[tokio::test]
async fn a_secret_with_the_rejected_password_is_read_once_per_interval() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let served = setup.serve();
    assert_eq!(served.status("/api/task/").await, 200);
    assert_eq!(served.secret_reads().await, 1);

    // The database's password changes; the secret keeps the old one.
    let second_password = random_name();
    setup.change_password(&second_password).await;
    let failing_since = Instant::now();
    assert_eq!(served.statuses(8, "/api/task/").await, vec![503; 8]);
    for _ in 0..4 {
        assert_eq!(served.status("/healthcheck/").await, 503);
        assert_eq!(served.status("/api/task/").await, 503);
    }
    assert_eq!(served.secret_reads().await, 2, "{}", served.log());
    assert_eq!(
        served.lines_with("the secret still holds that login"),
        1,
        "{}",
        served.log()
    );

    // Fixing the secret does not help before the interval is over: it is not read again...
    setup.put_secret(&second_password).await;
    assert_eq!(served.status("/api/task/").await, 503);
    assert_eq!(served.secret_reads().await, 2);

    // ...and heals the app at the first failure after it.
    let due = failing_since + REREAD_INTERVAL + Duration::from_millis(1500);
    tokio::time::sleep_until(due.into()).await;
    assert_eq!(served.status("/api/task/").await, 200, "{}", served.log());
    assert_eq!(served.secret_reads().await, 3);

    let log = served.log();
    assert!(!log.contains(&setup.first_password) && !log.contains(&second_password));
    drop(served);
    setup.clean_up().await;
}
