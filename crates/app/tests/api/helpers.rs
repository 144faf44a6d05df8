//! Shared test scaffolding: a fresh, randomly named PostgreSQL database per test (so tests run in
//! parallel), an embedded store in a temporary directory, and a request helper that drives the
//! router without a socket.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use rand::Rng;
use techchallenge_app::config::{DbSettings, DbType, Secret, SslMode};
use techchallenge_app::store::migrate::{UpdateOptions, update_database};
use techchallenge_app::store::{EmbeddedStore, PgStore, Store};
use techchallenge_app::{AppState, app};
use tower::ServiceExt;

/// The server URL, or `None` (with a note) when tests may skip; panics when services are
/// required (the workspace's one gate, in the system-tests crate).
pub fn database_url() -> Option<String> {
    techchallenge_system_tests::postgres::url()
}

/// Settings for the server in `TEST_DATABASE_URL`, database `name`.
pub fn settings_for(url: &str, name: &str) -> DbSettings {
    let config: tokio_postgres::Config = url.parse().expect("TEST_DATABASE_URL parses");
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    DbSettings {
        db_user: config.get_user().unwrap_or("postgres").to_owned(),
        db_password: Secret::new(String::from_utf8_lossy(
            config.get_password().unwrap_or_default(),
        )),
        db_name: name.to_owned(),
        db_host: host,
        db_port: config.get_ports().first().copied().unwrap_or(5432),
        db_type: DbType::Postgres,
        db_pool_size: 4,
        db_ssl_mode: SslMode::Disable,
        db_ssl_root_cert: None,
        db_secret_id: None,
        db_timeout: Duration::from_secs(2),
    }
}

/// A random database name, not yet created.
pub fn random_name() -> String {
    let n: u64 = rand::rng().random();
    format!("tc_test_{n:016x}")
}

/// Creates an empty database with a random name and returns its settings.
pub async fn fresh_db() -> Option<DbSettings> {
    let url = database_url()?;
    let name = random_name();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect to TEST_DATABASE_URL");
    tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    Some(settings_for(&url, &name))
}

/// A plain connection to the test database, for setting up and inspecting tables.
pub async fn admin(db: &DbSettings) -> tokio_postgres::Client {
    techchallenge_app::store::postgres::connect_one(db, &db.db_name)
        .await
        .expect("connect")
}

/// Which store a test runs against.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// PostgreSQL in a fresh database, migrated.
    Pg,
    /// The embedded store in a temporary directory.
    Embedded,
}

/// The router and what backs it.
pub struct TestApp {
    pub router: Router,
    pub db: Option<DbSettings>,
    _dir: Option<tempfile::TempDir>,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
    /// The content type.
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl TestApp {
    /// A migrated app of `kind`, or `None` when PostgreSQL tests are skipped.
    pub async fn spawn(kind: Kind) -> Option<TestApp> {
        match kind {
            Kind::Pg => {
                let db = fresh_db().await?;
                update_database(&db, UpdateOptions::default())
                    .await
                    .expect("migrate");
                let store: Arc<dyn Store> = Arc::new(PgStore::new(&db).expect("pool"));
                Some(TestApp::with_store(store, Some(db), None))
            }
            Kind::Embedded => {
                let dir = tempfile::tempdir().expect("tempdir");
                let (store, _) =
                    EmbeddedStore::open(&dir.path().join("app.redb"), false).expect("open");
                Some(TestApp::with_store(Arc::new(store), None, Some(dir)))
            }
        }
    }

    /// An app over `store`.
    pub fn with_store(
        store: Arc<dyn Store>,
        db: Option<DbSettings>,
        dir: Option<tempfile::TempDir>,
    ) -> TestApp {
        let shown = db.clone().unwrap_or_else(|| {
            let mut s = settings_for(
                "postgres://postgres:secret-pw@127.0.0.1:5432/postgres",
                "app",
            );
            s.db_type = DbType::Boltdb;
            s
        });
        let router = app(AppState::new(store, shown));
        TestApp {
            router,
            db,
            _dir: dir,
        }
    }

    /// Sends one request.
    pub async fn call(&self, method: Method, path: &str, body: impl Into<Body>) -> Reply {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(body.into())
            .expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, Body::empty()).await
    }

    /// The titles listed by `GET /api/task/`.
    pub async fn titles(&self) -> Vec<String> {
        let r = self.get("/api/task/").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()
            .as_array()
            .expect("array")
            .iter()
            .map(|t| t["title"].as_str().expect("title").to_owned())
            .collect()
    }
}

/// Sends a raw HTTP/1.1 request to `addr` and returns (status, body).
pub async fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to app");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    let status = out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
