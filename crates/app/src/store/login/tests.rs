//! The re-read rules without AWS: a stand-in secret whose value, delay and failures the tests set,
//! and which counts how often it is read.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::config::Secret;
use crate::secrets::DbLogin;

struct FakeSecret {
    login: Mutex<Option<DbLogin>>,
    delay: Duration,
    reads: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl LoginFetcher for FakeSecret {
    fn secret_id(&self) -> &str {
        "fake"
    }
    async fn fetch(&self, _timeout: Duration) -> Result<DbLogin, SecretError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        self.login
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| SecretError::Fetch {
                id: "fake".into(),
                reason: "unreachable".into(),
            })
    }
}

fn login(password: &str, host: Option<&str>, port: Option<u16>) -> DbLogin {
    DbLogin {
        username: Some("app".into()),
        password: Secret::new(password),
        host: host.map(str::to_owned),
        port,
    }
}

fn configured() -> DbSettings {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = crate::config::Settings::load_from(dir.path(), Vec::new())
        .expect("defaults are valid")
        .db;
    db.db_host = "configured.example".into();
    db.db_port = 6000;
    db
}

/// A source read from a fake secret holding `first`, and a handle to change the secret.
async fn source(
    first: DbLogin,
    delay: Duration,
    interval: Duration,
) -> (Arc<LoginSource>, Arc<FakeSecret>) {
    let reads = Arc::new(AtomicUsize::new(0));
    let fake = Arc::new(FakeSecret {
        login: Mutex::new(Some(first)),
        delay,
        reads: reads.clone(),
    });
    let shared = SharedFake(fake.clone());
    let source = LoginSource::from_secret(configured(), Box::new(shared), interval)
        .await
        .expect("start-up read");
    (Arc::new(source), fake)
}

/// Lets the test keep a handle on the fake the source owns.
struct SharedFake(Arc<FakeSecret>);

#[async_trait::async_trait]
impl LoginFetcher for SharedFake {
    fn secret_id(&self) -> &str {
        self.0.secret_id()
    }
    async fn fetch(&self, timeout: Duration) -> Result<DbLogin, SecretError> {
        self.0.fetch(timeout).await
    }
}

fn set(fake: &FakeSecret, value: Option<DbLogin>) {
    *fake.login.lock().unwrap_or_else(PoisonError::into_inner) = value;
}

fn reads(fake: &FakeSecret) -> usize {
    fake.reads.load(Ordering::SeqCst)
}

#[tokio::test]
async fn concurrent_failures_cause_one_read_and_all_retry_with_it() {
    let (source, fake) = source(
        login("old", None, None),
        Duration::from_millis(50),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!((reads(&fake), source.reads().get()), (1, 1));
    set(&fake, Some(login("new", None, None)));
    let seen = source.generation();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let source = source.clone();
        tasks.spawn(async move { source.refresh(seen).await });
    }
    while let Some(outcome) = tasks.join_next().await {
        assert_eq!(outcome.expect("task"), Refresh::Changed);
    }
    assert_eq!((reads(&fake), source.reads().get()), (2, 2));
    assert_eq!(source.settings().db_password.expose(), "new");
    assert_eq!(source.generation(), seen + 1);
}

#[tokio::test]
async fn the_same_login_is_not_retried_and_reads_are_rate_limited() {
    let interval = Duration::from_millis(300);
    let (source, fake) = source(login("pw", None, None), Duration::ZERO, interval).await;
    let seen = source.generation();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let source = source.clone();
        tasks.spawn(async move { source.refresh(seen).await });
    }
    let mut outcomes = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        outcomes.push(outcome.expect("task"));
    }
    let count = |r| outcomes.iter().filter(|o| **o == r).count();
    assert_eq!(
        (count(Refresh::Unchanged), count(Refresh::Throttled)),
        (1, 9),
        "{outcomes:?}"
    );
    assert_eq!(reads(&fake), 2);
    assert_eq!(source.generation(), seen);

    // Within the interval a new value is not even looked at; after it, it is.
    set(&fake, Some(login("fixed", None, None)));
    assert_eq!(source.refresh(seen).await, Refresh::Throttled);
    assert_eq!(reads(&fake), 2);
    tokio::time::sleep(interval).await;
    assert_eq!(source.refresh(seen).await, Refresh::Changed);
    assert_eq!((reads(&fake), source.reads().get()), (3, 3));
    assert_eq!(source.settings().db_password.expose(), "fixed");
}

#[tokio::test]
async fn host_and_port_are_refreshed_and_fall_back_to_the_configured_ones() {
    let (source, fake) = source(
        login("pw", Some("old.example"), Some(5432)),
        Duration::ZERO,
        Duration::ZERO,
    )
    .await;
    let s = source.settings();
    assert_eq!((s.db_host.as_str(), s.db_port), ("old.example", 5432));

    // Same password, new host: a different login, worth one retry.
    set(&fake, Some(login("pw", Some("new.example"), Some(5433))));
    assert_eq!(source.refresh(source.generation()).await, Refresh::Changed);
    let s = source.settings();
    assert_eq!((s.db_host.as_str(), s.db_port), ("new.example", 5433));

    // A secret without host and port means the configured ones, not the previous secret's.
    set(&fake, Some(login("pw", None, None)));
    assert_eq!(source.refresh(source.generation()).await, Refresh::Changed);
    let s = source.settings();
    assert_eq!(
        (s.db_host.as_str(), s.db_port),
        ("configured.example", 6000)
    );
}

#[tokio::test]
async fn a_failed_read_keeps_the_login_and_counts() {
    let (source, fake) = source(login("pw", None, None), Duration::ZERO, Duration::ZERO).await;
    set(&fake, None);
    let seen = source.generation();
    assert_eq!(source.refresh(seen).await, Refresh::Failed);
    assert_eq!(source.reads().get(), 2);
    assert_eq!(source.settings().db_password.expose(), "pw");
    assert_eq!(source.generation(), seen);
}

#[tokio::test]
async fn a_stale_generation_retries_without_reading() {
    let (source, fake) = source(login("a", None, None), Duration::ZERO, Duration::ZERO).await;
    set(&fake, Some(login("b", None, None)));
    assert_eq!(source.refresh(0).await, Refresh::Changed);
    assert_eq!(reads(&fake), 2);
    // A caller that failed with generation 0 finds generation 1 and retries at once.
    assert_eq!(source.refresh(0).await, Refresh::Changed);
    assert_eq!(reads(&fake), 2);
}

#[tokio::test]
async fn a_fixed_login_has_nothing_to_reread() {
    let source = LoginSource::fixed(configured());
    assert_eq!(source.refresh(0).await, Refresh::Fixed);
    assert_eq!(source.reads().get(), 0);
}
