//! Failures explained while they happen, against the scripted fake CloudFormation and scripted
//! diagnostics (the real ones, over Auto Scaling, ELB, RDS and CloudWatch Logs, are in
//! `techchallenge-fleet`): a FAILURE signal, a signal timeout, a database that fails to create,
//! and launches that fail while the stack waits, hopeless (an update is cancelled, a create is
//! reported at once) or not (only reported: never cancel what could still succeed).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Setup, application, create, deploy_err, network_and_database, options, setup_with};
use techchallenge_deploy::fake::{FakeDiagnostics, Script};
use techchallenge_deploy::{
    ApiError, DeployOptions, EngineOptions, Error, Event, Finding, LaunchFailure, Method, Outcome,
    StackSpec,
};

/// The engine of `setup` with scripted diagnostics, asked about launches every second.
fn with_diagnostics() -> (Setup, Arc<FakeDiagnostics>) {
    let diagnostics = Arc::new(FakeDiagnostics::new());
    let mut s = setup_with(EngineOptions {
        watch_interval: Duration::from_secs(1),
        ..options()
    });
    s.engine = s.engine.clone().with_diagnostics(diagnostics.clone());
    (s, diagnostics)
}

fn boot_log(instance: &str, last: &str) -> Finding {
    Finding::BootLog {
        instance_id: instance.to_owned(),
        lines: vec!["techchallenge boot: starting".to_owned(), last.to_owned()],
    }
}

/// EC2's words for a launch no retry can fix.
const ARCHITECTURE_MISMATCH: &str = "The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of the specified AMI.";

fn launch(id: &str, reason: &str, hopeless: bool) -> LaunchFailure {
    LaunchFailure {
        activity_id: id.to_owned(),
        reason: reason.to_owned(),
        hopeless,
        advice: "pick an x86_64 instance type".to_owned(),
    }
}

/// The position of the first event matching `f`.
fn first(events: &[Event], f: impl Fn(&Event) -> bool) -> usize {
    events
        .iter()
        .position(f)
        .unwrap_or_else(|| panic!("no such event in {events:#?}"))
}

fn is_stack_status(e: &Event, stack: &str, status: &str) -> bool {
    matches!(e, Event::Resource { stack: s, event }
        if s.as_str() == stack && event.is_stack_event() && event.status.as_str() == status)
}

async fn create_all(s: &Setup) -> Error {
    let specs: Vec<StackSpec> = [network_and_database(), vec![application()]].concat();
    let plan = s.engine.plan(&specs, Method::Direct).await.expect("plan");
    deploy_err(&s.engine, &plan, "must fail").await
}

#[tokio::test(start_paused = true)]
async fn a_failure_signal_is_explained_with_the_boot_log_before_the_rollback_ends() {
    let (s, diagnostics) = with_diagnostics();
    s.fake.script(
        "app",
        Script::FailResource {
            logical_id: "Alb".to_owned(),
            reason: "Received 1 FAILURE signal(s) out of 2. Unable to satisfy 100% MinSuccessfulInstancesPercent requirement".to_owned(),
        },
    );
    let log = boot_log(
        "i-0abc",
        "techchallenge boot: checksum mismatch for s3://b/app/x/TechChallengeApp",
    );
    diagnostics.explain_with("app", vec![log.clone()]);
    let err = create_all(&s).await;
    let Error::StackFailed {
        findings, failures, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(failures[0].reason.contains("FAILURE signal"), "{err}");
    assert_eq!(findings, std::slice::from_ref(&log));
    // Reported as soon as the failure showed, while the rollback still ran.
    let events = s.sink.events();
    let diagnosis = first(
        &events,
        |e| matches!(e, Event::Diagnosis { finding, .. } if finding == &log),
    );
    let rolled_back = first(&events, |e| is_stack_status(e, "app", "ROLLBACK_COMPLETE"));
    assert!(diagnosis < rolled_back, "{events:#?}");
    assert_eq!(
        diagnostics
            .calls()
            .iter()
            .filter(|c| *c == "explain app")
            .count(),
        1,
        "asked once"
    );
}

#[tokio::test(start_paused = true)]
async fn a_signal_timeout_is_explained_with_activities_and_target_health() {
    let (s, diagnostics) = with_diagnostics();
    s.fake.script(
        "app",
        Script::FailResource {
            logical_id: "Alb".to_owned(),
            reason: "Failed to receive 2 resource signal(s) within the specified duration"
                .to_owned(),
        },
    );
    let evidence = vec![
        Finding::ScalingActivity {
            time: "2026-11-30T10:00:00Z".to_owned(),
            status: "Successful".to_owned(),
            description: "Launching a new EC2 instance: i-0abc".to_owned(),
            message: None,
        },
        Finding::TargetHealth {
            instance_id: "i-0abc".to_owned(),
            state: "unhealthy".to_owned(),
            reason: Some("Target.Timeout".to_owned()),
            description: Some("Request timed out".to_owned()),
        },
    ];
    diagnostics.explain_with("app", evidence.clone());
    let err = create_all(&s).await;
    match &err {
        Error::StackFailed { findings, .. } => assert_eq!(findings, &evidence),
        other => panic!("{other}"),
    }
    let text = err.to_string();
    assert!(text.contains("within the specified duration"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_database_that_fails_to_create_is_explained_with_its_events() {
    let (s, diagnostics) = with_diagnostics();
    s.fake.script(
        "db",
        Script::FailResource {
            logical_id: "Database".to_owned(),
            reason: "Resource handler returned message: \"Cannot find version 11.22 for postgres\""
                .to_owned(),
        },
    );
    let event = Finding::DatabaseEvent {
        time: "2026-11-30T10:00:00Z".to_owned(),
        message: "DB instance creation failed: invalid engine version".to_owned(),
    };
    diagnostics.explain_with("db", vec![event.clone()]);
    let plan = s
        .engine
        .plan(&network_and_database(), Method::Direct)
        .await
        .expect("plan");
    let err = deploy_err(&s.engine, &plan, "must fail").await;
    match &err {
        Error::StackFailed { findings, .. } => assert_eq!(findings, &[event]),
        other => panic!("{other}"),
    }
}

/// Every stack created, then an update of the application that runs for `polls` polls and
/// whose launch fails as `failure` says: the plan of that update.
async fn slow_update(
    s: &Setup,
    diagnostics: &FakeDiagnostics,
    polls: usize,
    failure: LaunchFailure,
) -> techchallenge_deploy::Plan {
    create(
        &s.engine,
        &[network_and_database(), vec![application()]].concat(),
        Method::Direct,
    )
    .await;
    s.fake.script("app", Script::Slow { polls });
    diagnostics.launch_fails("app", failure);
    let changed = StackSpec::new(
        application().name.clone(),
        common::application_template("10.0.0.0/8"),
    )
    .depends_on(common::name("net"))
    .depends_on(common::name("db"));
    s.engine
        .plan(&[changed], Method::Direct)
        .await
        .expect("plan")
}

#[tokio::test(start_paused = true)]
async fn a_hopeless_launch_cancels_an_update_and_the_stack_rolls_back() {
    let (s, diagnostics) = with_diagnostics();
    let plan = slow_update(
        &s,
        &diagnostics,
        600,
        launch("act-1", ARCHITECTURE_MISMATCH, true),
    )
    .await;
    let err = s
        .engine
        .deploy(&plan, DeployOptions::default())
        .await
        .expect_err("cancelled");
    let Error::LaunchImpossible {
        cancelled, status, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(cancelled);
    assert_eq!(status.as_str(), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(
        s.fake.calls_of("CancelUpdateStack"),
        ["CancelUpdateStack app"]
    );
    assert!(
        err.to_string().contains("does not match the architecture"),
        "{err}"
    );
    let events = s.sink.events();
    let reported = first(&events, |e| matches!(e, Event::LaunchFailed { .. }));
    let cancelling = first(&events, |e| matches!(e, Event::Cancelling { .. }));
    assert!(reported < cancelling, "said so before cancelling");
}

#[tokio::test(start_paused = true)]
async fn a_cancel_refused_because_the_update_moved_on_leaves_the_wait_to_report_the_end() {
    let (s, diagnostics) = with_diagnostics();
    let plan = slow_update(
        &s,
        &diagnostics,
        20,
        launch("act-3", ARCHITECTURE_MISMATCH, true),
    )
    .await;
    // CloudFormation's answer when the update has already left UPDATE_IN_PROGRESS.
    s.fake.fail_next(
        "CancelUpdateStack",
        1,
        ApiError::Service {
            code: "ValidationError".to_owned(),
            message: "CancelUpdateStack cannot be called from current stack status".to_owned(),
        },
    );
    let report = s
        .engine
        .deploy(&plan, DeployOptions::default())
        .await
        .expect("the update ended well after all, and the report says so");
    assert_eq!(report.stacks[0].outcome, Outcome::Updated);
    assert_eq!(
        s.fake.calls_of("CancelUpdateStack"),
        ["CancelUpdateStack app"],
        "tried once, not again at every watch"
    );
}

#[tokio::test(start_paused = true)]
async fn a_launch_that_may_still_succeed_is_reported_and_not_cancelled() {
    let (s, diagnostics) = with_diagnostics();
    let plan = slow_update(
        &s,
        &diagnostics,
        20,
        launch(
            "act-2",
            "We currently do not have sufficient t3.micro capacity in the Availability Zone you requested (us-east-1a).",
            false,
        ),
    )
    .await;
    let report = s
        .engine
        .deploy(&plan, DeployOptions::default())
        .await
        .expect("AWS retries capacity shortages; the update succeeds");
    assert_eq!(report.stacks[0].outcome, Outcome::Updated);
    assert!(s.fake.calls_of("CancelUpdateStack").is_empty());
    let launches: Vec<_> = s
        .sink
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::LaunchFailed { .. }))
        .collect();
    assert_eq!(launches.len(), 1, "reported once: {launches:#?}");
}

#[tokio::test(start_paused = true)]
async fn a_hopeless_launch_during_a_create_is_reported_at_once_not_after_the_timeout() {
    let (s, diagnostics) = with_diagnostics();
    create(&s.engine, &network_and_database(), Method::Direct).await;
    s.fake.script("app", Script::Slow { polls: 900 });
    diagnostics.launch_fails(
        "app",
        launch(
            "act-3",
            "The requested configuration is currently not supported. Please check the documentation for supported configurations.",
            true,
        ),
    );
    let plan = s
        .engine
        .plan(&[application()], Method::Direct)
        .await
        .expect("plan");
    let started = tokio::time::Instant::now();
    let err = s
        .engine
        .deploy(&plan, DeployOptions::default())
        .await
        .expect_err("hopeless");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    let Error::LaunchImpossible {
        cancelled,
        next_step,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(!cancelled, "a create cannot be cancelled");
    assert!(next_step.contains("rolls the create back"), "{next_step}");
    assert!(s.fake.calls_of("CancelUpdateStack").is_empty());
}
