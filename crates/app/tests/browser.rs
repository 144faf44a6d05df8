//! The page in a real browser: Debian's headless Chromium, driven through ChromeDriver (WebDriver),
//! adds, completes and deletes a task, and no request leaves localhost.
//!
//! "Nothing leaves localhost" is enforced, not just observed: Chromium runs with every host name
//! but localhost mapped to nothing and a dead proxy for every non-loopback address, so a page
//! that needed an outside host would visibly fail; then the test also checks that every resource
//! the page loaded came from the app's own origin and that the served files name no other host.

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use techchallenge_app::config::{DbSettings, DbType, Secret, SslMode};
use techchallenge_app::server::serve;
use techchallenge_app::store::{EmbeddedStore, Store};
use techchallenge_app::{AppState, app};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn browser_available() -> bool {
    if std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists() {
        return true;
    }
    techchallenge_system_tests::services::unavailable(&format!(
        "{CHROMIUM} or {CHROMEDRIVER} is missing (scripts/setup installs them)"
    ));
    false
}

fn settings() -> DbSettings {
    DbSettings {
        db_user: "postgres".into(),
        db_password: Secret::new("unused"),
        db_name: "app".into(),
        db_host: "localhost".into(),
        db_port: 5432,
        db_type: DbType::Boltdb,
        db_pool_size: 1,
        db_ssl_mode: SslMode::Disable,
        db_ssl_root_cert: None,
        db_secret_id: None,
        db_timeout: Duration::from_secs(2),
    }
}

async fn start_driver() -> (Driver, String) {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (driver, format!("http://127.0.0.1:{port}"))
}

async fn connect(webdriver: &str, profile: &std::path::Path) -> Client {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        // Only localhost resolves, and anything not on loopback goes to a proxy that is not there.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
    ];
    let mut args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    // Both rustls back-ends are compiled in (the AWS SDK brings aws-lc-rs); pick one for the client.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": CHROMIUM, "args": args }),
    );
    ClientBuilder::rustls()
        .expect("rustls client")
        .capabilities(caps)
        .connect(webdriver)
        .await
        .expect("WebDriver session")
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn titles(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for li in c
        .find_all(Locator::Css("#tasks li .title"))
        .await
        .expect("find")
    {
        out.push(li.text().await.expect("text"));
    }
    out
}

#[tokio::test]
async fn add_complete_and_delete_a_task_offline() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, _) = EmbeddedStore::open(&dir.path().join("app.redb"), false).expect("store");
    let store: Arc<dyn Store> = Arc::new(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let router = app(AppState::new(store.clone(), settings()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        router,
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(5),
    ));

    let (_driver, webdriver) = start_driver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let c = connect(&webdriver, profile.path()).await;

    c.goto(&format!("{base}/")).await.expect("open page");
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("body[data-loaded='true']"))
        .await
        .expect("page loads tasks");
    assert_eq!(titles(&c).await, ["1st Task", "2nd Task", "3rd Task"]);

    // Add.
    c.find(Locator::Css("#title"))
        .await
        .expect("input")
        .send_keys("Written in a browser")
        .await
        .expect("type");
    c.find(Locator::Css("#add"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click add");
    wait_until("the new task to be listed", || async {
        titles(&c).await.len() == 4
    })
    .await;
    assert_eq!(titles(&c).await[3], "Written in a browser");
    let stored = store.list().await.expect("list");
    let task = stored
        .iter()
        .find(|t| t.title == "Written in a browser")
        .expect("stored")
        .clone();
    assert!(!task.complete);
    let item = format!("#tasks li[data-id='{}']", task.id);

    // Complete.
    c.find(Locator::Css(&format!("{item} .complete")))
        .await
        .expect("checkbox")
        .click()
        .await
        .expect("click");
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(&format!("{item}.done")))
        .await
        .expect("marked done");
    assert!(
        store
            .get(task.id)
            .await
            .expect("get")
            .expect("exists")
            .complete,
        "completion reached the store"
    );

    // Delete.
    c.find(Locator::Css(&format!("{item} .delete")))
        .await
        .expect("delete button")
        .click()
        .await
        .expect("click");
    wait_until("the task to disappear", || async {
        c.find_all(Locator::Css(&item))
            .await
            .map(|v| v.is_empty())
            .unwrap_or(false)
    })
    .await;
    assert_eq!(
        store.get(task.id).await.expect("get"),
        None,
        "deletion reached the store"
    );
    assert_eq!(titles(&c).await, ["1st Task", "2nd Task", "3rd Task"]);

    // Every resource the page loaded came from this server.
    let loaded: Value = c
        .execute("return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);", vec![])
        .await
        .expect("resource list");
    let loaded = loaded.as_array().expect("array").clone();
    assert!(
        loaded.len() >= 4,
        "page, script, style and API calls: {loaded:?}"
    );
    for url in &loaded {
        let url = url.as_str().unwrap_or_default();
        assert!(
            url.starts_with(&format!("{base}/")),
            "request outside the app: {url}"
        );
    }
    c.close().await.expect("close browser");

    // And the served page, script and style name no other host at all.
    for path in ["/", "/js/app.js", "/css/site.css"] {
        let (_, body) = get(&base, path).await;
        assert!(
            !body.contains("://") && !body.contains("url(") && !body.contains("@import"),
            "{path} refers elsewhere"
        );
    }
    let _ = stop.send(());
    server.await.expect("join").expect("serve");
}

async fn get(base: &str, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    (
        out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0),
        out,
    )
}
