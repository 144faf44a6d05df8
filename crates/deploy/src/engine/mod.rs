//! The `Engine` handle: the CloudFormation implementation, the event sink and the options every
//! operation shares, plus the retry-with-backoff wrapper all calls go through. Each operation is
//! an `impl Engine` block in a file of its own below: planning, deploying, destroying, waiting
//! (shared by deploy and destroy), the read-only queries and drift detection.

mod deploying;
mod destroying;
mod drifting;
mod guarding;
mod parameters;
mod planning;
mod queries;
mod waiting;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use deploying::{DeployOptions, DeployReport, StackReport};
pub use destroying::{DestroyReport, DestroyedStack};
pub use queries::StackState;

use crate::cloudformation::ApiError;
use crate::cloudformation::CloudFormation;
use crate::diagnostics::{Diagnostics, NoDiagnostics};
use crate::error::Error;
use crate::events::{Event, EventSink};
use crate::names::{RequestToken, StackName};

/// How the engine polls, waits and retries. Tests shorten these and pause tokio's clock.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Time between two polls of a running operation; keep it ≤ 2 s so completion is noticed quickly.
    pub poll_interval: Duration,
    /// How long to wait for one stack operation before giving up (CloudFormation carries on).
    pub timeout: Duration,
    /// Prefix of the `ClientRequestToken`s and change set names; a unique one is made when `None`.
    pub request_token: Option<String>,
    /// First wait after a throttled call; doubled on each further throttle.
    pub initial_backoff: Duration,
    /// Longest wait between retries.
    pub max_backoff: Duration,
    /// How many throttled attempts of one call before giving up.
    pub max_attempts: u32,
    /// How often, while an operation runs, the diagnostics are asked for failed launches.
    pub watch_interval: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(60 * 60),
            request_token: None,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_attempts: 10,
            watch_interval: Duration::from_secs(10),
        }
    }
}

/// The deploy engine. Cheap to clone: everything is shared.
#[derive(Clone)]
pub struct Engine {
    pub(crate) cfn: Arc<dyn CloudFormation>,
    pub(crate) sink: Arc<dyn EventSink>,
    pub(crate) options: EngineOptions,
    pub(crate) diagnostics: Arc<dyn Diagnostics>,
    run_id: Arc<str>,
    counter: Arc<AtomicU64>,
}

impl Engine {
    /// An engine over `cfn` that reports progress to `sink`.
    pub fn new(
        cfn: Arc<dyn CloudFormation>,
        sink: Arc<dyn EventSink>,
        options: EngineOptions,
    ) -> Self {
        let run_id: Arc<str> = match &options.request_token {
            Some(prefix) => prefix.as_str().into(),
            None => {
                let millis = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or_default();
                format!("techchallenge-{millis}-{}", std::process::id()).into()
            }
        };
        Self {
            cfn,
            sink,
            options,
            diagnostics: Arc::new(NoDiagnostics),
            run_id,
            counter: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The same engine, asking `diagnostics` why operations fail and whether launches fail.
    pub fn with_diagnostics(mut self, diagnostics: Arc<dyn Diagnostics>) -> Self {
        self.diagnostics = diagnostics;
        self
    }

    /// The options in force.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    pub(crate) fn emit(&self, event: Event) {
        self.sink.emit(&event);
    }

    /// A fresh token for one operation on `stack`; also a valid change set name (starts with a letter).
    pub(crate) fn next_token(&self, stack: &StackName, what: &str) -> RequestToken {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut token = format!("{}-{what}-{n}-{stack}", self.run_id);
        token.truncate(128);
        RequestToken::new(token)
    }

    /// Runs one CloudFormation call, retrying with exponential backoff while it is throttled.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        stack: &StackName,
        operation: &'static str,
        mut f: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let mut backoff = self.options.initial_backoff;
        let mut attempt = 1;
        loop {
            match f().await {
                Err(ApiError::Throttling { message }) if attempt < self.options.max_attempts => {
                    tracing::debug!(%stack, operation, attempt, %message, "throttled, backing off");
                    self.emit(Event::Throttled {
                        stack: stack.clone(),
                        operation: operation.to_owned(),
                        retry_in: backoff,
                    });
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.options.max_backoff);
                    attempt += 1;
                }
                other => return other.map_err(|e| Error::api(operation, stack, e)),
            }
        }
    }
}
