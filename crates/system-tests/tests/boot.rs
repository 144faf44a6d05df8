//! The instances' boot, under a real systemd (issue 10). Each scenario renders the application
//! stack with the stacks crate, fills the launch template's UserData as CloudFormation's
//! `Fn::Sub` would, and boots it in a systemd-nspawn container (`boot/instance.rs`) that runs it
//! once, as root, from a boot-time unit as cloud-init does. The script talks to real things: the
//! real `aws` command (PyPI's AWS CLI) against moto for S3, Secrets Manager, RDS and CloudFormation's
//! SignalResource (added to moto by the project's launcher, which refuses a signal nobody waits
//! for as CloudFormation does), the local PostgreSQL over TLS with verify-full (Debian's
//! certificate plays the RDS CA bundle), and a metadata server on loopback for IMDSv2.
//! What stands in for EC2 is listed in `boot/instance.rs`.
//!
//! Scenarios, each asserting what happened (the unit's state, the signals CloudFormation
//! received, the boot log, rows in the table):
//! first boot; the database refusing connections for 60 s; an instance booting while RDS still
//! creates the database (it waits, then serves); a database that never appears; another
//! instance holding the migration lock for 100 s; a secret that can never be read; a wrong build checksum; a
//! scale-out boot nobody waits for; a reboot.
//!
//! The containers share the host's network: the first-boot scenario serves on the real port
//! 3000; the others run side by side, each on a port of its own (the boot script's test hook).
//! Needs root, `systemd-nspawn` and the root file system `scripts/setup` builds, PostgreSQL,
//! moto and the app's release build; `scripts/test` provides all of it.

#[path = "boot/database.rs"]
mod database;
#[path = "boot/helpers.rs"]
mod helpers;
#[path = "boot/http.rs"]
mod http;
#[path = "boot/instance.rs"]
mod instance;
#[path = "boot/metadata.rs"]
mod metadata;
#[path = "boot/proxy.rs"]
mod proxy;
#[path = "boot/scenario.rs"]
mod scenario;
#[path = "boot/services.rs"]
mod services;
#[path = "boot/template.rs"]
mod template;

use std::sync::Mutex;
use std::time::Duration;

use helpers::{contains, files_containing, sha256_of};
use http::{assert_port_free, http_get, http_request};
use scenario::{BUCKET, Boot, Options};
use services::Services;
use template::{application_template, architecture, fn_sub, user_data_sub};

/// Only one test at a time may own port 3000.
static PORT_3000: Mutex<()> = Mutex::new(());

/// The region and application stack the rendered templates name.
const REGION: &str = "us-east-1";
const STACK: &str = "techchallenge-dev-application";
/// The port the app listens on, as on an instance.
const APP_PORT: u16 = 3000;
/// The boot script's own deadline (see `application::timing`), plus room for the instance.
const BOOT_LIMIT: Duration = Duration::from_secs(660 + 60);

/// `SELECT` one value from the test's database.
fn rows(services: &Services, boot: &Boot, sql: &str) -> String {
    services.psql(&boot.db.name, sql)
}

#[test]
fn first_boot_installs_migrates_serves_in_its_sandbox_and_signals_success() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let _port = PORT_3000.lock().unwrap_or_else(|e| e.into_inner());
    assert_port_free(APP_PORT);
    let mut boot = Boot::prepare(
        &services,
        Options {
            port_3000: true,
            ..Options::default()
        },
    );
    assert!(boot.boot(BOOT_LIMIT), "{}", boot.story());

    // CloudFormation heard SUCCESS once, from this instance.
    assert_eq!(boot.received(), ["SUCCESS"], "{}", boot.story());
    assert!(boot.signals().refused.is_empty());

    // The real systemd accepted the sandboxed unit and runs it, first time, as its own user.
    let unit = boot.instance.unit("techchallenge.service");
    assert_eq!(
        (unit.active.as_str(), unit.sub.as_str(), unit.restarts),
        ("active", "running", 0),
        "{}",
        boot.story()
    );
    let user = boot
        .instance
        .exec(&["stat", "-c", "%U", &format!("/proc/{}", unit.main_pid)]);
    assert_eq!(
        String::from_utf8_lossy(&user.stdout).trim(),
        "techchallenge",
        "runs unprivileged"
    );
    assert!(boot.instance.file("/etc/passwd").contains("techchallenge:"));

    // Installed under its checksum, `current` pointing at it, byte for byte the build.
    let release = format!(
        "opt/techchallenge/releases/{}/TechChallengeApp",
        boot.sha256
    );
    assert_eq!(sha256_of(&boot.instance.root.join(&release)), boot.sha256);
    assert_eq!(
        std::fs::read_link(boot.instance.root.join("opt/techchallenge/current")).ok(),
        Some(format!("releases/{}", boot.sha256).into())
    );

    // The configuration names the secret, verifies TLS, and holds no password; no host either:
    // the app reads it from the secret, where the secret attachment wrote it.
    let conf = boot.instance.file("/opt/techchallenge/etc/conf.toml");
    for line in [
        format!("\"DbSecretId\" = \"{}\"", boot.db.secret_arn),
        "\"DbSslMode\" = \"verify-full\"".to_owned(),
        "\"DbHost\" = \"\"".to_owned(),
        "\"ListenPort\" = \"3000\"".to_owned(),
    ] {
        assert!(conf.lines().any(|l| l == line), "{line} in:\n{conf}");
    }
    assert!(!conf.contains(&boot.db.password), "{conf}");

    // Migrated once, seeded, serving through the database over TLS.
    assert_eq!(
        rows(&services, &boot, "SELECT title FROM tasks ORDER BY id"),
        "1st Task\n2nd Task\n3rd Task"
    );
    let (status, body) = http_get(APP_PORT, "/api/task/");
    assert_eq!(status, 200, "{body}");
    let tls = services.psql(
        "postgres",
        &format!(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
             WHERE usename = '{}' AND ssl",
            boot.db.user
        ),
    );
    assert_ne!(tls, "0", "the app's database connections use TLS");

    // The boot log tells the story; the password is nowhere on the instance's disk, in its
    // journal, or in the app's environment and command line.
    let log = boot.boot_log();
    for step in ["verified", "answers /healthcheck/", "signalled SUCCESS"] {
        assert!(log.contains(step), "{step}:\n{log}");
    }
    // The whole boot log reached CloudWatch Logs, line for line; the app writes its own log.
    assert_eq!(
        boot.shipped_boot_log(),
        log.lines().map(str::to_owned).collect::<Vec<_>>()
    );
    assert!(
        boot.instance
            .file("/var/log/techchallenge/app.log")
            .contains("listening"),
        "{}",
        boot.story()
    );
    let password = &boot.db.password;
    assert_eq!(
        files_containing(boot.instance.written(), password),
        Vec::<std::path::PathBuf>::new()
    );
    let journal = boot
        .instance
        .exec(&["journalctl", "--no-pager", "-o", "cat"]);
    assert!(journal.stdout.len() > 1000, "the journal is readable");
    assert!(!contains(&journal.stdout, password));
    for what in ["environ", "cmdline"] {
        let proc = boot
            .instance
            .exec(&["cat", &format!("/proc/{}/{what}", unit.main_pid)]);
        assert!(!proc.stdout.is_empty(), "/proc/PID/{what} is readable");
        assert!(!contains(&proc.stdout, password), "{what}");
    }
}

#[test]
fn a_database_that_refuses_connections_for_60_s_still_ends_in_success() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let late = proxy::delayed_database(services.db_port, Duration::from_secs(60));
    let mut boot = Boot::prepare(
        &services,
        Options {
            db_port: Some(late),
            ..Options::default()
        },
    );
    assert!(boot.boot(BOOT_LIMIT), "{}", boot.story());
    assert!(boot.elapsed() >= Duration::from_secs(60));
    assert_eq!(boot.received(), ["SUCCESS"], "{}", boot.story());
    let unit = boot.instance.unit("techchallenge.service");
    assert_eq!(unit.active, "active");
    assert!(
        unit.restarts >= 1,
        "systemd retried the service while the database refused: {unit:?}"
    );
    assert!(
        boot.instance
            .file("/var/log/techchallenge/app.log")
            .contains("refused"),
        "the app's own log says why it could not start: {}",
        boot.story()
    );
}

#[test]
fn an_instance_booting_while_rds_creates_the_database_waits_for_it_then_serves() {
    let Some(services) = Services::from_env() else {
        return;
    };
    // The environment's first create: the application stack runs beside the database stack.
    let mut boot = Boot::prepare(
        &services,
        Options {
            database_later: true,
            ..Options::default()
        },
    );
    boot.start();
    // RDS takes 15-20 minutes on AWS; here the database appears after 40 s.
    std::thread::sleep(Duration::from_secs(40));
    let waiting = format!(
        "waiting for the database {} (not created yet)",
        boot.db_instance
    );
    assert!(boot.boot_log().contains(&waiting), "{}", boot.story());
    assert_eq!(boot.received(), Vec::<String>::new(), "no signal yet");
    assert_eq!(
        boot.instance.unit("techchallenge.service").active,
        "inactive",
        "the app is not started before the database exists: {}",
        boot.story()
    );
    boot.create_database();
    assert!(boot.wait(BOOT_LIMIT), "{}", boot.story());
    assert!(boot.elapsed() >= Duration::from_secs(40));
    assert_eq!(boot.received(), ["SUCCESS"], "{}", boot.story());
    let log = boot.boot_log();
    assert!(
        log.contains(&format!("the database {} is available", boot.db_instance)),
        "{log}"
    );
    assert_eq!(
        rows(&services, &boot, "SELECT count(*) FROM tasks"),
        "3",
        "migrated and seeded once, at the host the secret gave"
    );
}

#[test]
fn a_database_that_never_appears_fails_the_boot_after_the_wait_saying_why() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let mut boot = Boot::prepare(
        &services,
        Options {
            database_later: true,
            database_wait: Some(25),
            ..Options::default()
        },
    );
    assert!(!boot.boot(BOOT_LIMIT), "{}", boot.story());
    assert_eq!(boot.received(), ["FAILURE"], "{}", boot.story());
    let reason = format!(
        "the database {} was still not created yet after",
        boot.db_instance
    );
    assert!(boot.boot_log().contains(&reason), "{}", boot.story());
    assert!(
        boot.shipped_boot_log().iter().any(|l| l.contains(&reason)),
        "the reason reaches CloudWatch Logs before the rollback: {}",
        boot.story()
    );
}

#[test]
fn a_migration_lock_held_for_100_s_by_another_instance_is_waited_for_without_a_start_timeout() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let mut boot = Boot::prepare(&services, Options::default());
    // Another instance migrating: it holds the app's advisory lock ("TCAPP" in ASCII) for
    // 100 s, longer than systemd's default start timeout of 90 s.
    let lock_key = i64::from_be_bytes(*b"\0\0\0TCAPP");
    let holder = std::process::Command::new("psql")
        .args([
            &techchallenge_system_tests::postgres::admin_url(&services.db_url, &boot.db.name),
            "-qAtX",
            "-c",
            &format!("SELECT pg_advisory_lock({lock_key})"),
            "-c",
            "SELECT pg_sleep(100)",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("psql: {e}"));
    let _holder = KillOnDrop(holder);
    std::thread::sleep(Duration::from_secs(1));
    assert!(boot.boot(BOOT_LIMIT), "{}", boot.story());
    assert!(
        boot.elapsed() >= Duration::from_secs(99),
        "{:?}",
        boot.elapsed()
    );
    assert_eq!(boot.received(), ["SUCCESS"], "{}", boot.story());
    let unit = boot.instance.unit("techchallenge.service");
    assert_eq!(
        (unit.active.as_str(), unit.restarts),
        ("active", 0),
        "waited for the lock in one start, no timeout: {}",
        boot.story()
    );
    assert!(
        !boot
            .instance
            .journal("techchallenge.service")
            .contains("timed out")
    );
    assert_eq!(
        rows(&services, &boot, "SELECT count(*) FROM tasks"),
        "3",
        "migrated and seeded once"
    );
}

#[test]
fn a_secret_that_can_never_be_read_fails_the_boot_within_its_deadline_saying_why() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let deadline = 45;
    let mut boot = Boot::prepare(
        &services,
        Options {
            missing_secret: true,
            boot_deadline: Some(deadline),
            ..Options::default()
        },
    );
    assert!(
        !boot.boot(BOOT_LIMIT),
        "the boot must fail: {}",
        boot.story()
    );
    assert!(
        boot.elapsed() < Duration::from_secs(u64::from(deadline) + 40),
        "FAILURE came after the deadline: {:?}",
        boot.elapsed()
    );
    assert_eq!(boot.received(), ["FAILURE"], "{}", boot.story());
    let log = boot.boot_log();
    assert!(
        log.contains("did not answer /healthcheck/ within 45s"),
        "{log}"
    );
    assert!(
        log.contains("reading secret") && log.contains(&boot.db.secret_arn),
        "the reason is in the boot log: {log}"
    );
    let unit = boot.instance.unit("techchallenge.service");
    assert!(unit.restarts >= 1, "systemd kept retrying: {unit:?}");
    // The instance is about to be terminated by the rollback: its story is in CloudWatch Logs.
    let shipped = boot.shipped_boot_log();
    for line in ["did not answer /healthcheck/", "reading secret"] {
        assert!(
            shipped.iter().any(|l| l.contains(line)),
            "{line} in the shipped boot log: {shipped:#?}"
        );
    }
    assert!(!shipped.iter().any(|l| l.contains(&boot.db.password)));
}

#[test]
fn a_wrong_checksum_signals_failure_and_installs_or_starts_nothing() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let mut boot = Boot::prepare(
        &services,
        Options {
            wrong_checksum: true,
            ..Options::default()
        },
    );
    assert!(!boot.boot(BOOT_LIMIT), "{}", boot.story());
    assert_eq!(boot.received(), ["FAILURE"], "{}", boot.story());
    let log = boot.boot_log();
    for line in [
        "checksum mismatch",
        "nothing installed",
        "signalled FAILURE",
    ] {
        assert!(log.contains(line), "{line}: {log}");
    }
    for never in [
        "/opt/techchallenge",
        "/etc/systemd/system/techchallenge.service",
    ] {
        assert!(!boot.instance.exists(never), "{never} exists");
    }
    assert!(!boot.instance.file("/etc/passwd").contains("techchallenge:"));
    assert_eq!(
        boot.instance.unit("techchallenge.service").active,
        "inactive"
    );
}

#[test]
fn a_scale_out_boot_nobody_waits_for_ends_well_and_serves() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let mut boot = Boot::prepare(
        &services,
        Options {
            awaited_signals: 0,
            ..Options::default()
        },
    );
    assert!(
        boot.boot(BOOT_LIMIT),
        "exit 0 although the signal is refused: {}",
        boot.story()
    );
    assert!(boot.received().is_empty());
    assert_eq!(
        boot.signals().refused,
        [("SUCCESS".to_owned(), boot.instance_id.clone())]
    );
    assert!(
        boot.boot_log().contains("not waiting for a signal"),
        "{}",
        boot.story()
    );
    let (status, body) = http_get(boot.port, "/healthcheck/");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn after_a_reboot_the_app_comes_back_by_itself_with_every_task() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let mut boot = Boot::prepare(&services, Options::default());
    assert!(boot.boot(BOOT_LIMIT), "{}", boot.story());
    let (status, body) = http_request(
        boot.port,
        "POST",
        "/api/task/",
        &[("Content-Type", "application/json".to_owned())],
        br#"{"title":"written before the reboot","priority":5}"#,
    );
    assert_eq!(status, 200, "{body}");

    boot.instance.reboot();
    let mut healthy = false;
    for _ in 0..120 {
        if std::net::TcpStream::connect(("127.0.0.1", boot.port)).is_ok()
            && http_get(boot.port, "/healthcheck/").0 == 200
        {
            healthy = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        healthy,
        "the app came back after the reboot: {}",
        boot.story()
    );
    let titles = rows(&services, &boot, "SELECT title FROM tasks ORDER BY id");
    assert_eq!(
        titles, "1st Task\n2nd Task\n3rd Task\nwritten before the reboot",
        "no task lost, none seeded twice"
    );
    // The boot script ran once (cloud-init runs user data once per instance); the service
    // migrated again at start, harmlessly.
    assert_eq!(
        boot.boot_log()
            .matches("techchallenge boot: starting")
            .count(),
        1
    );
    assert_eq!(boot.received(), ["SUCCESS"]);
    let unit = boot.instance.unit("techchallenge.service");
    assert_eq!(unit.active, "active", "{}", boot.story());
}

#[test]
fn user_data_fits_in_16_kib_after_base64_with_long_values() {
    // EC2 refuses UserData over 16 KiB once base64-encoded. Measure the script with every
    // placeholder filled with a 256-character value, longer than any real one.
    let (template, variables) = user_data_sub();
    let filled = fn_sub(&template, &mut |_| Some("x".repeat(256)));
    let encoded = filled.len().div_ceil(3) * 4;
    assert!(
        encoded <= 16 * 1024,
        "UserData is {encoded} bytes after base64 (limit 16384)"
    );
    // Every placeholder is one CloudFormation knows: a variable, a parameter or a pseudo one.
    let app = application_template();
    let mut unknown = Vec::new();
    fn_sub(&template, &mut |name| {
        let known = variables.contains_key(name)
            || app["Parameters"].get(name).is_some()
            || matches!(name, "AWS::Region" | "AWS::StackName");
        if !known {
            unknown.push(name.to_owned());
        }
        Some(String::new())
    });
    assert_eq!(unknown, Vec::<String>::new());
}

#[test]
fn the_password_is_in_no_template_parameter_or_user_data() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let boot = Boot::prepare(&services, Options::default());
    let password = &boot.db.password;
    // The search can fail: it finds the password where it legitimately is, the secret.
    let secret = services.moto(
        "GetSecretValue",
        &serde_json::json!({"SecretId": boot.db.secret_arn}),
    );
    assert!(contains(secret.to_string().as_bytes(), password));
    assert!(!contains(boot.user_data_template.as_bytes(), password));
    assert!(!contains(boot.script.as_bytes(), password));
    for stack in &architecture().stacks {
        for text in [stack.template.to_json(), stack.template.to_yaml()] {
            let text = text.unwrap_or_else(|e| panic!("{} renders: {e}", stack.name));
            assert!(!contains(text.as_bytes(), password), "{}", stack.name);
        }
    }
    // The application stack's parameters: exactly the build's key and checksum (plus the
    // image id), so nothing else can carry a value; and those values are clean.
    let app = application_template();
    let names: Vec<&String> = app["Parameters"]
        .as_object()
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    assert_eq!(names, ["AppArtifactKey", "AppArtifactSha256", "ImageId"]);
    for (name, value) in &boot.parameters {
        assert!(!contains(value.as_bytes(), password), "{name}");
    }
    assert!(boot.script.contains(&format!("bucket='{BUCKET}'")));
    assert!(boot.script.contains(&format!("region='{REGION}'")));
    assert!(boot.script.contains(&boot.key));
    assert!(!boot.build_bytes.is_empty());
}

/// Kills a helper process when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
