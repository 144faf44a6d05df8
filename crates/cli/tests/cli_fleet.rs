//! What the CLI says about the running fleet, in-process against the fakes: a failed deploy
//! explained with the instances' own account (a FAILURE signal, a signal timeout, a launch that
//! cannot happen, a database that fails to create), in text and in `--json`; `logs` (`--since`,
//! `--boot`, `--instance`, `--json`, `--follow` picking up a line written while it runs); and
//! `instances` with the Session Manager command.

mod common;

use std::time::Duration;

use common::World;
use serde_json::Value;
use techchallenge_cli::Console;
use techchallenge_deploy::fake::Script;
use techchallenge_deploy::{Finding, LaunchFailure};
use techchallenge_fleet::Instance;
use techchallenge_fleet::fake::FakeInstances;

const APP: &str = "techchallenge-dev-application";
const APP_LOGS: &str = "/techchallenge/dev/app";
const BOOT_LOGS: &str = "/techchallenge/dev/boot";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn failure_signal() -> Script {
    Script::FailResource {
        logical_id: "AppGroup".to_owned(),
        reason: "Received 1 FAILURE signal(s) out of 2. Unable to satisfy 100% MinSuccessfulInstancesPercent requirement".to_owned(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_failure_signal_is_reported_with_the_instances_boot_log_and_in_json() {
    let w = World::new();
    w.fake.script(APP, failure_signal());
    w.diagnostics.explain_with(
        APP,
        vec![
            Finding::ScalingActivity {
                time: "2026-11-30T10:00:00Z".to_owned(),
                status: "Successful".to_owned(),
                description: "Launching a new EC2 instance: i-0abc".to_owned(),
                message: None,
            },
            Finding::BootLog {
                instance_id: "i-0abc".to_owned(),
                lines: vec![
                    "techchallenge boot: reading secret arn:aws:secretsmanager:...: AccessDeniedException".to_owned(),
                    "techchallenge boot: signalled FAILURE".to_owned(),
                ],
            },
            Finding::TargetHealth {
                instance_id: "i-0abc".to_owned(),
                state: "unhealthy".to_owned(),
                reason: Some("Target.FailedHealthChecks".to_owned()),
                description: Some("Health checks failed".to_owned()),
            },
        ],
    );
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 1);
    let err = out.stderr();
    for expected in [
        "Received 1 FAILURE signal(s)",
        "What the instances and services say:",
        "i-0abc's boot log ends with:",
        "AccessDeniedException",
        "target i-0abc: unhealthy (Target.FailedHealthChecks)",
        "Launching a new EC2 instance: i-0abc",
    ] {
        assert!(err.contains(expected), "{expected} in:\n{err}");
    }
    // The live progress showed the evidence as it came, before the end of the rollback.
    let live = out.stdout();
    let said = live
        .find("i-0abc's boot log ends with")
        .expect("shown live");
    let rolled = live.find("ROLLBACK_COMPLETE").unwrap_or(usize::MAX);
    assert!(said < rolled, "{live}");

    // The same facts as JSON events.
    let w = World::new();
    w.fake.script(APP, failure_signal());
    w.diagnostics.explain_with(
        APP,
        vec![Finding::BootLog {
            instance_id: "i-0abc".to_owned(),
            lines: vec!["checksum mismatch".to_owned()],
        }],
    );
    let (code, out) = w.run(&["deploy", "--yes", "--json"], "", false).await;
    assert_eq!(code, 1);
    let events: Vec<Value> = out
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let diagnosis = events
        .iter()
        .find(|e| e["type"] == "diagnosis")
        .expect("a diagnosis event");
    assert_eq!(diagnosis["stack"], APP);
    assert_eq!(diagnosis["finding"]["kind"], "boot_log");
    assert_eq!(diagnosis["finding"]["instance_id"], "i-0abc");
    assert_eq!(diagnosis["finding"]["lines"][0], "checksum mismatch");
    let error = events.iter().find(|e| e["type"] == "error").expect("error");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("checksum mismatch"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_signal_timeout_and_a_database_failure_say_what_the_services_saw() {
    let w = World::new();
    w.fake.script(
        APP,
        Script::FailResource {
            logical_id: "AppGroup".to_owned(),
            reason: "Failed to receive 2 resource signal(s) within the specified duration"
                .to_owned(),
        },
    );
    w.diagnostics.explain_with(
        APP,
        vec![Finding::Unavailable {
            what: "i-0abc's boot log".to_owned(),
            reason: "/techchallenge/dev/boot has no stream i-0abc yet".to_owned(),
        }],
    );
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 1);
    let err = out.stderr();
    assert!(err.contains("within the specified duration"), "{err}");
    assert!(
        err.contains("could not read i-0abc's boot log: /techchallenge/dev/boot has no stream"),
        "{err}"
    );

    let w = World::new();
    w.fake.script(
        "techchallenge-dev-database",
        Script::FailResource {
            logical_id: "Database".to_owned(),
            reason: "Resource handler returned message: \"Cannot find version 17.1 for postgres\""
                .to_owned(),
        },
    );
    w.diagnostics.explain_with(
        "techchallenge-dev-database",
        vec![Finding::DatabaseEvent {
            time: "2026-11-30T10:00:00Z".to_owned(),
            message: "Cannot find version 17.1 for postgres".to_owned(),
        }],
    );
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 1);
    assert!(
        out.stderr()
            .contains("database event 2026-11-30T10:00:00Z: Cannot find version 17.1"),
        "{}",
        out.stderr()
    );
}

#[tokio::test(start_paused = true)]
async fn a_launch_that_cannot_happen_is_reported_at_once_with_what_to_do() {
    let w = World::new();
    w.fake.script(APP, Script::Slow { polls: 5000 });
    w.diagnostics.launch_fails(
        APP,
        LaunchFailure {
            activity_id: "a-1".to_owned(),
            reason: "The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of the specified AMI.".to_owned(),
            hopeless: true,
            advice: "use an instance type of the image's architecture".to_owned(),
        },
    );
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 1);
    let err = out.stderr();
    for expected in [
        "instances cannot be launched, and waiting would not change that",
        "does not match the architecture",
        "Fix: use an instance type of the image's architecture.",
        "Stopped waiting",
    ] {
        assert!(err.contains(expected), "{expected} in:\n{err}");
    }
    assert!(
        out.stdout()
            .contains("a launch failed (waiting cannot fix this)"),
        "{}",
        out.stdout()
    );
}

#[tokio::test(start_paused = true)]
async fn logs_prints_every_instances_lines_filtered_by_age_kind_and_instance() {
    let w = World::new();
    let now = now_ms();
    w.logs
        .write(APP_LOGS, "i-0aaa", now - 3_600_000, "an hour ago");
    w.logs
        .write(APP_LOGS, "i-0aaa", now - 60_000, "a minute ago on a");
    w.logs
        .write(APP_LOGS, "i-0bbb", now - 30_000, "half a minute ago on b");
    w.logs.write(
        BOOT_LOGS,
        "i-0bbb",
        now - 20_000,
        "techchallenge boot: starting",
    );

    let (code, out) = w.run(&["logs"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    let text = out.stdout();
    assert!(!text.contains("an hour ago"), "default --since 10m: {text}");
    let a = text.find("a minute ago on a").expect("a's line");
    let b = text.find("half a minute ago on b").expect("b's line");
    assert!(a < b, "oldest first, newest last: {text}");
    assert!(text.contains(" i-0bbb  half a minute ago on b"), "{text}");

    let (_, out) = w.run(&["logs", "--since", "2h"], "", false).await;
    assert!(out.stdout().contains("an hour ago"), "{}", out.stdout());
    let (_, out) = w.run(&["logs", "--instance", "i-0bbb"], "", false).await;
    assert!(!out.stdout().contains("on a"), "{}", out.stdout());
    let (_, out) = w.run(&["logs", "--boot"], "", false).await;
    assert_eq!(out.stdout().lines().count(), 1, "{}", out.stdout());
    assert!(out.stdout().contains("techchallenge boot: starting"));
    let (_, out) = w
        .run(&["logs", "--json", "--instance", "i-0bbb"], "", false)
        .await;
    let line: Value = serde_json::from_str(out.stdout().trim()).expect("one JSON line");
    assert_eq!(line["type"], "log");
    assert_eq!(line["instance_id"], "i-0bbb");
    assert_eq!(line["message"], "half a minute ago on b");

    // Not a number, a unit of more than one byte, an age that overflows: a usage error each.
    for age in ["ten", "10é", "5µ", "99999999999999999d", "m", ""] {
        let (code, out) = w.run(&["logs", "--since", age], "", false).await;
        assert_eq!(code, 2, "{age}");
        assert!(out.stderr().contains("is not an age"), "{}", out.stderr());
    }
}

#[tokio::test(start_paused = true)]
async fn logs_follow_prints_lines_written_while_it_runs_until_ctrl_c() {
    let w = World::new();
    w.logs.write(APP_LOGS, "i-0aaa", now_ms() - 1000, "before");
    let (console, out) = Console::scripted("", false);
    let interrupt = console.interrupt.clone();
    let logs = w.logs.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        logs.write(APP_LOGS, "i-0aaa", now_ms(), "written while following");
        tokio::time::sleep(Duration::from_secs(2)).await;
        // Another instance's agent sends a line written before the newest one printed.
        logs.write(APP_LOGS, "i-0bbb", now_ms() - 3000, "arrived late");
        tokio::time::sleep(Duration::from_secs(2)).await;
        interrupt.notify_one();
    });
    let code = w.run_with(&["logs", "--follow"], &console).await;
    assert_eq!(code, 0);
    let text = out.stdout();
    for line in ["before", "written while following", "arrived late"] {
        assert_eq!(text.matches(line).count(), 1, "{line} once: {text}");
    }
}

#[tokio::test(start_paused = true)]
async fn logs_without_a_deployed_application_say_so() {
    let w = World::new();
    let (code, out) = w.run(&["logs"], "", false).await;
    assert_eq!(code, 1);
    assert!(
        out.stderr()
            .contains("the application stack is not deployed"),
        "{}",
        out.stderr()
    );
}

#[tokio::test(start_paused = true)]
async fn instances_lists_each_with_its_build_and_the_session_manager_command() {
    let mut w = World::new();
    w.instances = std::sync::Arc::new(FakeInstances::with(vec![
        Instance {
            instance_id: "i-0aaa".to_owned(),
            availability_zone: "eu-west-2a".to_owned(),
            lifecycle: "InService".to_owned(),
            health: "Healthy".to_owned(),
            launch_time: "2026-11-30T09:00:00Z".to_owned(),
            build_sha256: "f76f3925966e8701565c09df0d7c1b2e".to_owned(),
        },
        Instance {
            instance_id: "i-0bbb".to_owned(),
            availability_zone: "eu-west-2b".to_owned(),
            lifecycle: "Pending".to_owned(),
            health: "Healthy".to_owned(),
            launch_time: String::new(),
            build_sha256: String::new(),
        },
    ]));
    let (code, out) = w.run(&["instances"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    let text = out.stdout();
    assert!(text.starts_with("INSTANCE"), "{text}");
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("i-0aaa"))
        .expect("a row for i-0aaa")
        .split_whitespace()
        .collect();
    assert_eq!(
        row,
        [
            "i-0aaa",
            "eu-west-2a",
            "InService",
            "Healthy",
            "2026-11-30T09:00:00Z",
            "f76f3925966e"
        ]
    );
    assert!(
        text.contains("aws ssm start-session --target i-0aaa --region eu-west-2"),
        "{text}"
    );
    let (_, out) = w.run(&["instances", "--json"], "", false).await;
    let list: Value = serde_json::from_str(&out.stdout()).expect("json");
    assert_eq!(list[1]["lifecycle"], "Pending");
    let (code, out) = w.run(&["instances", "--shell", "i-0zzz"], "", false).await;
    assert_eq!(code, 2);
    assert!(
        out.stderr()
            .contains("is not an instance of techchallenge-dev-app"),
        "{}",
        out.stderr()
    );
}
