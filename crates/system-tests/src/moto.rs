//! The moto emulator: its address (`TEST_MOTO_URL`, exported by `scripts/lib/moto.sh`), reset
//! once per test binary so each suite starts from nothing, SDK configuration pointed at it, and
//! the helpers every moto test needs because moto is shared state (unique names, bounded time).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Once;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The region every moto test uses (moto answers `Fn::GetAZs ""` with us-east-1a and 1b).
pub const REGION: &str = "us-east-1";

/// moto's URL, after resetting moto once for this test binary; `None` (see
/// [`crate::services::unavailable`]) when moto is not running.
pub fn url() -> Option<String> {
    static RESET: Once = Once::new();
    let url = crate::services::env(
        "TEST_MOTO_URL",
        "start moto with `source scripts/lib/moto.sh`, or run scripts/test",
    )?;
    RESET.call_once(|| reset(&url));
    Some(url)
}

/// `POST /moto-api/reset`: wipes every emulated resource. Hand-written HTTP/1.1: one call does
/// not justify an HTTP client.
pub fn reset(url: &str) {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut conn =
        TcpStream::connect(host).unwrap_or_else(|e| panic!("moto is not reachable at {url}: {e}"));
    write!(
        conn,
        "POST /moto-api/reset HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap_or_else(|e| panic!("moto reset: {e}"));
    let mut answer = String::new();
    conn.read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("moto reset: {e}"));
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "moto reset: {answer}"
    );
}

/// SDK configuration for moto at `url`: region [`REGION`] and moto's test credentials.
pub async fn sdk_config(url: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
        .load()
        .await
}

/// A prefix unique to this run and `test`, for names in moto's shared state.
pub fn run_prefix(test: &str) -> String {
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("mt{run}-{test}")
}

/// Runs `test`, failing with a clear message if it takes longer than `limit`: an emulator that
/// stops answering must not hang the suite.
pub async fn bounded<T>(limit: Duration, what: &str, test: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, test)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {limit:?} against moto"))
}
