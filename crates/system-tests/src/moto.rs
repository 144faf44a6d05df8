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

/// `POST /moto-api/reset`: wipes every emulated resource.
pub fn reset(url: &str) {
    moto_api(url, "POST", "/moto-api/reset");
}

/// Starts moto's request recorder (`/moto-api/recorder/`), emptied first. Only one test may
/// record at a time; cargo runs test binaries one after another, so a recording made while its
/// binary's other tests are idle holds only the requests of the code under test.
pub fn start_recording(url: &str) {
    moto_api(url, "POST", "/moto-api/recorder/reset-recording");
    moto_api(url, "POST", "/moto-api/recorder/start-recording");
}

/// Stops the recorder and returns each request received since [`start_recording`], oldest
/// first, as `"Action StackName"` for query-protocol calls (CloudFormation, EC2, ...),
/// the `X-Amz-Target` for JSON ones (SSM, Secrets Manager, ...) and `"METHOD /path"` for S3.
pub fn stop_recording(url: &str) -> Vec<String> {
    moto_api(url, "POST", "/moto-api/recorder/stop-recording");
    moto_api(url, "GET", "/moto-api/recorder/download-recording")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(recorded_call)
        .collect()
}

/// Every HTTP 5xx moto answered since its last reset, oldest first, as
/// `"STATUS METHOD PATH ACTION"` (the Action of a query-protocol call, else the `X-Amz-Target`),
/// from the launcher's `/techchallenge-test/errors`. The SDKs retry such answers for seconds, so
/// a test that must not wait on retries asserts that none is added while its code runs. Unlike
/// the recorder, this log is always on and shared by every test of the binary.
pub fn server_errors(url: &str) -> Vec<String> {
    let answer = moto_api(url, "GET", "/techchallenge-test/errors");
    let answer: serde_json::Value = serde_json::from_str(&answer)
        .unwrap_or_else(|e| panic!("moto /techchallenge-test/errors: {e}: {answer}"));
    let field = |error: &serde_json::Value, name: &str| match &error[name] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    answer["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let call = match field(e, "action") {
                action if !action.is_empty() => action,
                _ => field(e, "target"),
            };
            format!(
                "{} {} {} {call}",
                field(e, "status"),
                field(e, "method"),
                field(e, "path")
            )
        })
        .collect()
}

fn recorded_call(line: &str) -> String {
    use base64::Engine as _;
    let entry: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("moto recording line {line}: {e}"));
    let mut body = entry["body"].as_str().unwrap_or_default().to_owned();
    if entry["body_encoded"].as_bool() == Some(true) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&body)
            .unwrap_or_default();
        body = String::from_utf8_lossy(&bytes).into_owned();
    }
    let field = |name: &str| {
        body.split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    };
    if let Some(action) = field("Action") {
        return format!("{action} {}", field("StackName").unwrap_or_default());
    }
    let headers = &entry["headers"];
    if let Some(target) = headers["X-Amz-Target"]
        .as_str()
        .or(headers["x-amz-target"].as_str())
    {
        return target.to_owned();
    }
    let raw = entry["url"].as_str().unwrap_or_default();
    let path = raw
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(raw);
    format!("{} {path}", entry["method"].as_str().unwrap_or_default())
}

/// One call of moto's own API; panics with moto's answer unless it is 200. Hand-written
/// HTTP/1.0 (no chunked answers): a few calls do not justify an HTTP client.
fn moto_api(url: &str, method: &str, path: &str) -> String {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut conn =
        TcpStream::connect(host).unwrap_or_else(|e| panic!("moto is not reachable at {url}: {e}"));
    write!(
        conn,
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap_or_else(|e| panic!("moto {path}: {e}"));
    let mut answer = String::new();
    conn.read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("moto {path}: {e}"));
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "moto {path}: {answer}"
    );
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
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
