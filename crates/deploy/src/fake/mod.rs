//! A scripted, in-memory CloudFormation for tests (ours and the CLI's), and scripted diagnostics
//! ([`FakeDiagnostics`]). It answers with the
//! statuses, status reasons and error messages real CloudFormation gives, and moves each running
//! operation one step further every time the stack is described, so a test with tokio's clock
//! paused runs a whole deploy instantly. Scripts decide how the next operation on a stack ends.
//! In timed mode ([`FakeCloudFormation::timed`], `timing.rs`) operations take virtual time
//! instead, resource by resource, for the deploy-time model.

mod diagnostics;
mod drift;
mod guards;
mod ops;
mod rollback;
mod template;
mod ticks;
mod timing;

pub use diagnostics::FakeDiagnostics;
pub use drift::DriftScript;
pub use guards::DENIED_BY_POLICY;
pub use timing::{ResourceWork, Timing};

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::cloudformation::ApiError;
use crate::cloudformation::{
    ChangeSetDescription, ChangeSetKind, ResourceChange, StackEvent, StackInput, StackOutput,
    Timestamp,
};
use crate::drift::{DriftStatus, ResourceDrift};
use crate::names::{LogicalId, RequestToken};
use crate::rollback::RollbackConfiguration;
use crate::spec::Tag;
use crate::status::{ResourceStatus, StackStatus};

/// How the next operation on a stack ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Script {
    /// Every resource completes (the default).
    Succeed,
    /// This resource fails with this reason (as CloudFormation words it); the stack rolls back.
    FailResource {
        /// The failing resource's logical id.
        logical_id: String,
        /// CloudFormation's status reason, e.g. `Resource handler returned message: "..."`.
        reason: String,
    },
    /// Succeeds, after this many extra polls in progress (a slow operation).
    Slow {
        /// Extra polls before the final status.
        polls: usize,
    },
    /// An update during which this alarm goes into ALARM: when it is one of the stack's rollback
    /// triggers, every resource updates, then CloudFormation rolls the update back with a stack
    /// status reason naming the alarm's ARN (`UPDATE_ROLLBACK_COMPLETE`); otherwise the update
    /// succeeds, as an alarm nobody watches changes nothing.
    AlarmFires {
        /// The alarm's ARN.
        alarm_arn: String,
    },
}

/// One step of a running operation, applied on one `DescribeStacks`.
#[derive(Debug, Clone, Default)]
struct Tick {
    /// `(logical id, type, status, reason)`; the stack's own events use its name and stack type.
    events: Vec<(String, String, String, Option<String>)>,
    status: Option<(String, Option<String>)>,
    /// Last tick of a successful create/update: apply the pending template and compute outputs.
    commit: bool,
    /// Last tick of a successful delete: the stack disappears.
    remove: bool,
    /// Timed mode: when the tick is due, from the operation's start (`None`: on the next poll).
    at: Option<Duration>,
}

#[derive(Debug, Clone)]
struct FakeStack {
    id: String,
    status: String,
    status_reason: Option<String>,
    template: String,
    parameters: Vec<(String, String)>,
    tags: Vec<Tag>,
    pending: Option<(String, Vec<(String, String)>)>,
    outputs: Vec<StackOutput>,
    events: Vec<StackEvent>,
    created: i64,
    updated: Option<i64>,
    ticks: VecDeque<Tick>,
    /// When the running operation started (what timed ticks are due from).
    started: Instant,
    token: Option<RequestToken>,
    /// Polls left during which the operation does not show yet (old status, no new events).
    lag: usize,
    /// The status shown while lagging.
    lag_status: String,
    /// How many of the newest events are hidden while lagging.
    hidden: usize,
    /// Termination protection (see `guards.rs`).
    termination_protection: bool,
    /// The stack policy, once one was set.
    policy: Option<String>,
    /// The rollback configuration, once an operation gave one.
    rollback: Option<RollbackConfiguration>,
    /// The last drift detection's result (`DriftInformation`).
    drift_status: DriftStatus,
    /// When it ran (fake clock).
    drift_checked: Option<i64>,
    /// The drifted resources it found.
    drifted: Vec<ResourceDrift>,
}

#[derive(Debug, Clone)]
struct FakeChangeSet {
    stack: String,
    kind: ChangeSetKind,
    input: StackInput,
    description: ChangeSetDescription,
    polls: usize,
    /// Timed mode: when it is computed.
    ready_at: Option<Instant>,
}

#[derive(Debug, Default)]
struct State {
    stacks: BTreeMap<String, FakeStack>,
    change_sets: BTreeMap<String, FakeChangeSet>,
    scripts: HashMap<String, VecDeque<Script>>,
    scripted_changes: HashMap<String, VecDeque<Vec<ResourceChange>>>,
    errors: HashMap<String, VecDeque<ApiError>>,
    imports: HashMap<String, Vec<String>>,
    lags: HashMap<String, usize>,
    calls: Vec<String>,
    clock: i64,
    ids: u64,
    timing: Option<Arc<Timing>>,
    /// Timed mode: when each resource type last completes, across stacks.
    completions: HashMap<String, Instant>,
    /// CloudWatch alarms the test declared (see `rollback.rs`).
    alarms: HashSet<String>,
    /// `(operation, input)` of every create, update and change set, in order.
    inputs: Vec<(String, StackInput)>,
    /// What drift detection finds, per stack (see `drift.rs`).
    drift: HashMap<String, drift::DriftScript>,
    /// Running and finished drift detections by id.
    detections: HashMap<String, drift::Detection>,
}

/// The scripted fake. Share it as `Arc<FakeCloudFormation>`: the engine holds one handle, the test another.
#[derive(Debug, Default)]
pub struct FakeCloudFormation {
    state: Mutex<State>,
}

const STACK_TYPE: &str = "AWS::CloudFormation::Stack";

impl FakeCloudFormation {
    /// An empty account.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty account in timed mode (see [`Timing`]): operations take virtual time, so run it
    /// under tokio's paused clock.
    pub fn timed(timing: Timing) -> Self {
        let fake = Self::default();
        fake.lock().timing = Some(Arc::new(timing));
        fake
    }

    /// Timed mode: waits one API round trip (virtual time) before a call is answered.
    async fn round_trip(&self) {
        let latency = self.lock().timing.as_ref().map(|t| t.api_call);
        if let Some(latency) = latency {
            tokio::time::sleep(latency).await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the state from the others.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next operation on `stack` follows `script` (scripts queue up, one per operation).
    pub fn script(&self, stack: &str, script: Script) {
        self.lock()
            .scripts
            .entry(stack.to_owned())
            .or_default()
            .push_back(script);
    }

    /// The next change set made for `stack` reports exactly these changes (e.g. a replacement).
    pub fn script_changes(&self, stack: &str, changes: Vec<ResourceChange>) {
        self.lock()
            .scripted_changes
            .entry(stack.to_owned())
            .or_default()
            .push_back(changes);
    }

    /// The next operation on `stack` shows itself only after `polls` describes: until then the
    /// stack reports its previous status and no new events, as CloudFormation may right after
    /// ExecuteChangeSet or UpdateStack returns.
    pub fn lag_next_operation(&self, stack: &str, polls: usize) {
        self.lock().lags.insert(stack.to_owned(), polls);
    }

    /// The next `times` calls of `operation` (`"DescribeStacks"`, `"CreateStack"`, ...) fail with `error`.
    pub fn fail_next(&self, operation: &str, times: usize, error: ApiError) {
        let mut state = self.lock();
        let queue = state.errors.entry(operation.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(error, times));
    }

    /// The next `times` calls of `operation` are throttled, as CloudFormation words it.
    pub fn throttle_next(&self, operation: &str, times: usize) {
        self.fail_next(
            operation,
            times,
            ApiError::Throttling {
                message: "Rate exceeded".to_owned(),
            },
        );
    }

    /// Declares that `importers` import `export` (in addition to what deployed templates import).
    pub fn set_imports(&self, export: &str, importers: &[&str]) {
        self.lock().imports.insert(
            export.to_owned(),
            importers.iter().map(|s| (*s).to_owned()).collect(),
        );
    }

    /// Puts a settled stack into the account, e.g. one in `ROLLBACK_COMPLETE`.
    pub fn put_stack(&self, name: &str, template: &str, status: &str) {
        let mut state = self.lock();
        let now = state.tick_clock();
        let outputs = if StackStatus::new(status).is_usable() {
            template::outputs(template, name, &[])
        } else {
            Vec::new()
        };
        let stack = FakeStack::new(name, template, Vec::new(), status, now, outputs);
        state.stacks.insert(name.to_owned(), stack);
    }

    /// Puts a stack whose operation (started elsewhere, e.g. before a Ctrl-C) is still running:
    /// it reports `in_progress` for `polls` more describes, then `final_status`.
    pub fn put_running(
        &self,
        name: &str,
        template: &str,
        in_progress: &str,
        polls: usize,
        final_status: &str,
    ) {
        let mut state = self.lock();
        let now = state.tick_clock();
        let mut stack = FakeStack::new(name, template, Vec::new(), in_progress, now, Vec::new());
        stack.pending = Some((template.to_owned(), Vec::new()));
        stack
            .ticks
            .extend(std::iter::repeat_n(Tick::default(), polls));
        stack.ticks.push_back(Tick {
            events: vec![(
                name.to_owned(),
                STACK_TYPE.to_owned(),
                final_status.to_owned(),
                None,
            )],
            status: Some((final_status.to_owned(), None)),
            commit: StackStatus::new(final_status).is_good(),
            ..Tick::default()
        });
        state.stacks.insert(name.to_owned(), stack);
    }

    /// Every call received, as `"Operation stack"`, plus `"settled stack STATUS"` when an operation ends.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    /// The calls of one operation, e.g. `calls_of("ExecuteChangeSet")`.
    pub fn calls_of(&self, operation: &str) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| c.split(' ').next() == Some(operation))
            .collect()
    }

    /// The current status of a stack, if it exists.
    pub fn status_of(&self, stack: &str) -> Option<String> {
        self.lock().stacks.get(stack).map(|s| s.status.clone())
    }

    /// The deployed parameters of a stack.
    pub fn parameters_of(&self, stack: &str) -> Vec<(String, String)> {
        self.lock()
            .stacks
            .get(stack)
            .map(|s| s.parameters.clone())
            .unwrap_or_default()
    }
}

impl State {
    fn tick_clock(&mut self) -> i64 {
        self.clock += 1;
        1_764_000_000_000 + self.clock * 1000
    }

    fn next_id(&mut self) -> u64 {
        self.ids += 1;
        self.ids
    }

    fn take_error(&mut self, operation: &str) -> Option<ApiError> {
        self.errors.get_mut(operation).and_then(VecDeque::pop_front)
    }

    /// Adds an event to a stack (newest first, as the API lists them).
    fn push_event(&mut self, stack: &str, event: (String, String, String, Option<String>)) {
        let at = self.tick_clock();
        let n = self.next_id();
        if let Some(s) = self.stacks.get_mut(stack) {
            let (logical_id, resource_type, status, reason) = event;
            s.events.insert(
                0,
                StackEvent {
                    event_id: format!("event-{n}"),
                    physical_id: Some(format!("fake-{logical_id}")),
                    logical_id: LogicalId::new(logical_id),
                    resource_type,
                    status: ResourceStatus::new(status),
                    reason,
                    timestamp: Timestamp::from_epoch_millis(at),
                    request_token: s.token.clone(),
                },
            );
        }
    }

    /// Moves a running operation on: one step, or in timed mode every step now due.
    fn advance(&mut self, name: &str) {
        loop {
            let Some(stack) = self.stacks.get(name) else {
                return;
            };
            match stack.ticks.front().map(|t| t.at) {
                None => return,
                Some(None) => return self.apply_next_tick(name),
                Some(Some(at)) if stack.started + at <= Instant::now() => {
                    self.apply_next_tick(name);
                }
                Some(Some(_)) => return,
            }
        }
    }

    fn apply_next_tick(&mut self, name: &str) {
        let Some(tick) = self.stacks.get_mut(name).and_then(|s| s.ticks.pop_front()) else {
            return;
        };
        for event in tick.events {
            self.push_event(name, event);
        }
        let now = self.tick_clock();
        let Some(stack) = self.stacks.get_mut(name) else {
            return;
        };
        if let Some((status, reason)) = tick.status {
            stack.status = status;
            stack.status_reason = reason;
        }
        if tick.commit {
            if let Some((template, params)) = stack.pending.take() {
                stack.template = template;
                stack.parameters = params;
            }
            stack.outputs = template::outputs(&stack.template, name, &stack.parameters);
            if stack.status.starts_with("UPDATE") {
                stack.updated = Some(now);
            }
        }
        if stack.ticks.is_empty() {
            let line = format!("settled {name} {}", stack.status);
            self.calls.push(line);
        }
        if tick.remove {
            self.stacks.remove(name);
        }
    }
}

impl FakeStack {
    fn new(
        name: &str,
        template: &str,
        parameters: Vec<(String, String)>,
        status: &str,
        now: i64,
        outputs: Vec<StackOutput>,
    ) -> Self {
        Self {
            id: format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/{now}"),
            status: status.to_owned(),
            status_reason: None,
            template: template.to_owned(),
            parameters,
            tags: Vec::new(),
            pending: None,
            outputs,
            events: Vec::new(),
            created: now,
            updated: None,
            ticks: VecDeque::new(),
            started: Instant::now(),
            token: None,
            lag: 0,
            lag_status: String::new(),
            hidden: 0,
            termination_protection: false,
            policy: None,
            rollback: None,
            drift_status: DriftStatus::NotChecked,
            drift_checked: None,
            drifted: Vec::new(),
        }
    }
}
