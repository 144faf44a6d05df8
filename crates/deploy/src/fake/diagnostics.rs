//! Scripted [`Diagnostics`] for tests: the evidence a failure on each stack would show, and the
//! launches that fail while a stack waits, as the real implementation would report them.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::cloudformation::Timestamp;
use crate::diagnostics::{Diagnostics, Finding, LaunchFailure};
use crate::names::StackName;

/// The scripted diagnostics. Share it as `Arc<FakeDiagnostics>`.
#[derive(Debug, Default)]
pub struct FakeDiagnostics {
    findings: Mutex<HashMap<String, Vec<Finding>>>,
    launches: Mutex<HashMap<String, Vec<LaunchFailure>>>,
    calls: Mutex<Vec<String>>,
}

impl FakeDiagnostics {
    /// No evidence for any stack yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// What `explain` answers for `stack`.
    pub fn explain_with(&self, stack: &str, findings: Vec<Finding>) {
        if let Ok(mut f) = self.findings.lock() {
            f.insert(stack.to_owned(), findings);
        }
    }

    /// A launch of `stack`'s that failed: `watch` reports it from now on.
    pub fn launch_fails(&self, stack: &str, failure: LaunchFailure) {
        if let Ok(mut l) = self.launches.lock() {
            l.entry(stack.to_owned()).or_default().push(failure);
        }
    }

    /// Every call: `"explain STACK"`, `"watch STACK"`.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn record(&self, call: String) {
        if let Ok(mut c) = self.calls.lock() {
            c.push(call);
        }
    }
}

#[async_trait]
impl Diagnostics for FakeDiagnostics {
    async fn explain(&self, stack: &StackName, _since: &Timestamp) -> Vec<Finding> {
        self.record(format!("explain {stack}"));
        self.findings
            .lock()
            .ok()
            .and_then(|f| f.get(stack.as_str()).cloned())
            .unwrap_or_default()
    }

    async fn watch(&self, stack: &StackName, _since: &Timestamp) -> Vec<LaunchFailure> {
        self.record(format!("watch {stack}"));
        self.launches
            .lock()
            .ok()
            .and_then(|l| l.get(stack.as_str()).cloned())
            .unwrap_or_default()
    }
}
