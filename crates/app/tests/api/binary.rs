//! The `TechChallengeApp` binary as an operator runs it: flags, exit codes, configuration errors,
//! SIGTERM, and two `updatedb -s` at once.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{admin, fresh_db, http};

const BIN: &str = env!("CARGO_BIN_EXE_TechChallengeApp");

/// A command for the binary in `dir`, with no inherited `VTT_` variables.
pub fn app(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir).env("RUST_LOG", "info");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().to_ascii_uppercase().starts_with("VTT_") {
            c.env_remove(k);
        }
    }
    c
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    app(dir)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run binary")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn version_help_and_unknown_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    for flag in ["-v", "--version"] {
        let o = run(dir.path(), &[flag], &[]);
        assert_eq!(o.status.code(), Some(0));
        assert!(
            String::from_utf8_lossy(&o.stdout).starts_with("TechChallengeApp version "),
            "{}",
            text(&o)
        );
    }
    for args in [&[][..], &["-h"], &["--help"], &["updatedb", "--help"]] {
        let o = run(dir.path(), args, &[]);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage"),
            "{args:?}: {}",
            text(&o)
        );
    }
    for args in [
        &["bogus"][..],
        &["serve", "--nope"],
        &["updatedb", "-x"],
        &["updatedb", "extra"],
    ] {
        let o = run(dir.path(), args, &[]);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(!text(&o).is_empty());
    }
}

#[test]
fn configuration_mistakes_exit_1_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (var, value, expect) in [
        ("VTT_DBTYPE", "mysql", "dbtype"),
        ("VTT_LISTENPORT", "http", "listenport"),
        ("VTT_DBSSLMODE", "sometimes", "dbsslmode"),
        ("VTT_DbPoolSize", "0", "VTT_DbPoolSize"),
    ] {
        let o = run(dir.path(), &["serve"], &[(var, value)]);
        assert_eq!(o.status.code(), Some(1), "{var}={value}");
        assert!(text(&o).contains(expect), "{var}={value}: {}", text(&o));
    }
    std::fs::write(dir.path().join("conf.toml"), "DbUser = \n").expect("write");
    let o = run(dir.path(), &["updatedb"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("conf.toml"), "{}", text(&o));
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let o = run(
        dir.path(),
        &["serve"],
        &[("VTT_DBTYPE", "boltdb"), ("VTT_LISTENPORT", &port)],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("cannot listen"), "{}", text(&o));
}

/// Starts `serve` and returns the child and its address, read from its "listening" log line.
pub fn start_serving(dir: &Path, env: &[(&str, &str)]) -> (Child, String) {
    let mut child = app(dir)
        .arg("serve")
        .envs(env.iter().copied())
        .env("VTT_LISTENPORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if !sent {
                if let Some(rest) = line.split("address=").nth(1) {
                    let _ = tx.send(
                        rest.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    );
                    sent = true;
                }
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("serve logs its address");
    (child, addr)
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        if started.elapsed() > within {
            let _ = child.kill();
            panic!("still running {within:?} after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn serves_the_embedded_store_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("conf.toml"),
        "\"DbType\" = \"boltdb\"\n\"DbName\" = \"app\"\n",
    )
    .expect("conf");
    let (mut child, addr) = start_serving(dir.path(), &[]);
    let (status, body) = http(&addr, "POST", "/api/task/", r#"{"title":"kept"}"#).await;
    assert_eq!(status, 200, "{body}");
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), Some(0));
    assert!(dir.path().join("app.redb").is_file());

    // The data survives a restart of the process.
    let (mut child, addr) = start_serving(dir.path(), &[]);
    let (status, body) = http(&addr, "GET", "/api/task/", "").await;
    assert_eq!(status, 200);
    assert!(body.contains("kept"), "{body}");
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), Some(0));
}

/// Settings of `db` as `VTT_` variables.
pub fn pg_env(db: &techchallenge_app::config::DbSettings) -> Vec<(String, String)> {
    vec![
        ("VTT_DBTYPE".into(), "postgres".into()),
        ("VTT_DBHOST".into(), db.db_host.clone()),
        ("VTT_DBPORT".into(), db.db_port.to_string()),
        ("VTT_DBUSER".into(), db.db_user.clone()),
        ("VTT_DBPASSWORD".into(), db.db_password.expose().to_owned()),
        ("VTT_DBNAME".into(), db.db_name.clone()),
    ]
}

#[tokio::test]
async fn two_updatedb_s_at_once() {
    let Some(db) = fresh_db().await else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let env = pg_env(&db);
    let children: Vec<Child> = (0..2)
        .map(|_| {
            app(dir.path())
                .args(["updatedb", "-s"])
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().expect("wait");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let count: i64 = admin(&db)
        .await
        .query_one("SELECT count(*) FROM tasks", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(count, 3);

    // And serve against it, then SIGTERM.
    let (mut child, addr) = start_serving(
        dir.path(),
        &env.iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        http(&addr, "GET", "/healthcheck/", "").await,
        (200, "OK".to_owned())
    );
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), Some(0));
}
