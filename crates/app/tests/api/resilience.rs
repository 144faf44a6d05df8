//! The database going away while the app serves: health turns bad and recovers, no request hangs.
//!
//! Restarting the shared PostgreSQL cluster would disturb the tests running beside this one, so
//! the app reaches the real server through a small TCP proxy this test controls: stopping it
//! kills every connection and refuses new ones (what the app sees in a restart or fail-over);
//! "blackhole" accepts connections and never answers (a dead host that sends no reset).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use techchallenge_app::store::PgStore;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::helpers::{Reply, TestApp, fresh_db};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Forward,
    Blackhole,
}

/// A TCP proxy on a fixed local port that can be stopped and started again.
struct Proxy {
    port: u16,
    upstream: String,
    running: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let mut p = Proxy {
            port,
            upstream,
            running: None,
        };
        p.run(listener, Mode::Forward);
        p
    }

    fn run(&mut self, listener: TcpListener, mode: Mode) {
        let upstream = self.upstream.clone();
        self.running = Some(tokio::spawn(async move {
            // Dropping this set (when the task is aborted) aborts every connection task.
            let mut connections = JoinSet::new();
            let mut held = Vec::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                match mode {
                    Mode::Blackhole => held.push(client),
                    Mode::Forward => {
                        let upstream = upstream.clone();
                        connections.spawn(async move {
                            if let Ok(mut server) = TcpStream::connect(&upstream).await {
                                let _ =
                                    tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            }
                        });
                    }
                }
            }
        }));
    }

    /// Kills every connection and stops listening.
    async fn stop(&mut self) {
        if let Some(task) = self.running.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port.
    async fn resume(&mut self, mode: Mode) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("rebind proxy port");
        self.run(listener, mode);
    }
}

/// Calls `path`, asserting it answers within `limit`.
async fn timed(app: &TestApp, path: &str, limit: Duration) -> Reply {
    let started = Instant::now();
    let r = tokio::time::timeout(limit, app.get(path))
        .await
        .unwrap_or_else(|_| panic!("{path} hung for {limit:?}"));
    assert!(started.elapsed() <= limit);
    r
}

async fn wait_for(app: &TestApp, status: StatusCode, within: Duration) {
    let started = Instant::now();
    loop {
        let r = timed(app, "/healthcheck/", Duration::from_secs(3)).await;
        if r.status == status {
            return;
        }
        assert!(
            started.elapsed() < within,
            "health still {} after {within:?}",
            r.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn restart_and_blackhole_are_reported_and_healed() {
    let Some(mut db) = fresh_db().await else {
        return;
    };
    techchallenge_app::store::migrate::update_database(&db, Default::default())
        .await
        .expect("migrate");
    let mut proxy = Proxy::start(format!("{}:{}", db.db_host, db.db_port)).await;
    db.db_host = "127.0.0.1".into();
    db.db_port = proxy.port;
    db.db_timeout = Duration::from_millis(700);
    let app = TestApp::with_store(
        Arc::new(PgStore::new(&db).expect("pool")),
        Some(db.clone()),
        None,
    );
    let limit = Duration::from_secs(3);

    // Warm the pool so there are connections to lose.
    for _ in 0..4 {
        assert_eq!(
            timed(&app, "/api/task/", limit).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(timed(&app, "/healthcheck/", limit).await.body, "OK");

    // "Restart": connections die, new ones are refused.
    proxy.stop().await;
    let r = timed(&app, "/healthcheck/", limit).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "Error: db connection down")
    );
    for _ in 0..3 {
        let r = timed(&app, "/api/task/", limit).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
        assert!(
            r.json()["error"]
                .as_str()
                .is_some_and(|e| e.contains("unavailable"))
        );
        assert!(
            !r.body.contains("127.0.0.1"),
            "no internal detail leaks: {}",
            r.body
        );
    }
    let started = Instant::now();
    let r = tokio::time::timeout(
        limit,
        app.call(
            axum::http::Method::POST,
            "/api/task/",
            r#"{"title":"lost?"}"#,
        ),
    )
    .await
    .expect("POST does not hang");
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(started.elapsed() < limit);
    assert_eq!(
        timed(&app, "/livez", limit).await.status,
        StatusCode::OK,
        "liveness does not follow the db"
    );

    // Back up: the pool heals on its own.
    proxy.resume(Mode::Forward).await;
    wait_for(&app, StatusCode::OK, Duration::from_secs(10)).await;
    assert_eq!(
        timed(&app, "/api/task/", limit).await.status,
        StatusCode::OK
    );

    // A host that accepts and never answers: still no hang, health bad within the timeout.
    proxy.stop().await;
    proxy.resume(Mode::Blackhole).await;
    let r = timed(&app, "/healthcheck/", limit).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    let r = timed(&app, "/api/task/", limit).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);

    proxy.stop().await;
    proxy.resume(Mode::Forward).await;
    wait_for(&app, StatusCode::OK, Duration::from_secs(10)).await;
    let r = timed(&app, "/api/task/", limit).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json().as_array().map(Vec::len),
        Some(3),
        "data intact after the outage"
    );
    proxy.stop().await;
}
