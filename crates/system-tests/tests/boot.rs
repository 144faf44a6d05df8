//! The instances' boot script, run for real (issue 5, instance side). Each test renders the
//! application template with this crate, takes the launch template's UserData, fills its
//! placeholders as CloudFormation's `Fn::Sub` would, and runs it with bash against a fake root
//! (a temporary directory) with stubbed `aws`, `id`, `useradd`, `dnf` and `systemctl` first on
//! PATH (tests/boot/stubs/), a small metadata server standing in for IMDSv2 (tokens required),
//! the local PostgreSQL (TLS with Debian's "snakeoil" certificate, which plays the RDS CA bundle)
//! and moto's Secrets Manager holding the test password.
//!
//! Proves: the build is installed only once its checksum matches, the configuration names the
//! secret but holds no password, `updatedb -s` migrated the database, the app answers
//! `/healthcheck/` on port 3000 over verify-full TLS, CloudFormation gets SUCCESS with the
//! instance id, a wrong checksum signals FAILURE and installs nothing, and the password appears
//! nowhere: not in UserData, the templates, the stack parameters, nor any file the boot wrote.
//!
//! The successful boots listen on port 3000, as instances do; no other test in the workspace
//! binds 3000 (the app's tests use port 0), and these take a lock so they never overlap.
//! Needs `target/release/TechChallengeApp` (or `TECHCHALLENGE_APP_BINARY`), PostgreSQL
//! (`TEST_DATABASE_URL`) and moto (`TEST_MOTO_URL`), and root (the systemctl stub mounts the fake
//! root's /opt in a private mount namespace and runs the app as nobody); `scripts/test`, run as
//! root, provides all of it.
//!
//! The scenarios are below; what they stand on is in `boot/` (named by `#[path]`: this
//! file is the test binary's root, and Cargo builds each top-level file in tests/ as its own):
//! - `template`: the application stack's UserData and `Fn::Sub` filling its placeholders;
//! - `fake_root`: one boot (`Boot`): the temporary root, the stubs, running the script, and
//!   what the stubs recorded (calls, CloudFormation signals, files written);
//! - `services`, `database`: the local PostgreSQL and moto, and a database and secret of the
//!   test's own whose password is the canary;
//! - `metadata`: the IMDSv2 stand-in; `http`: asking the app and moto; `app`: the running app
//!   and systemd's check of its unit; `helpers`: checksums, modes, the byte search.

#[path = "boot/app.rs"]
mod app;
#[path = "boot/database.rs"]
mod database;
#[path = "boot/fake_root.rs"]
mod fake_root;
#[path = "boot/helpers.rs"]
mod helpers;
#[path = "boot/http.rs"]
mod http;
#[path = "boot/metadata.rs"]
mod metadata;
#[path = "boot/services.rs"]
mod services;
#[path = "boot/template.rs"]
mod template;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::json;

use app::{AppProcess, verify_unit};
use fake_root::{Boot, Build, STUBS, assert_signal};
use helpers::{contains, files_containing, mode, sha256_of};
use http::{assert_port_free, http_get};
use services::Services;
use techchallenge_system_tests::builds;
use techchallenge_system_tests::services::unavailable as missing;
use template::{application_template, architecture, fn_sub, user_data_sub};

/// Only one boot at a time may own port 3000.
static PORT_3000: Mutex<()> = Mutex::new(());

/// The region, application stack and artifact bucket the rendered stack and the stubs agree on.
const REGION: &str = "us-east-1";
const STACK: &str = "techchallenge-dev-application";
const BUCKET: &str = "techchallenge-dev-artifacts-boottest";
/// The instance id the metadata server gives, which CloudFormation must hear back.
const INSTANCE_ID: &str = "i-0b00757e57c0ffee1";
/// The port the app listens on, as on an instance.
const APP_PORT: u16 = 3000;

#[test]
fn the_boot_installs_configures_migrates_serves_and_signals_success() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let _port = PORT_3000.lock().unwrap_or_else(|e| e.into_inner());
    assert_port_free(APP_PORT);
    let boot = Boot::prepare(&services, Build::Real);
    let app = AppProcess::watch(boot.state.join("app.pid"));
    let run = boot.run();
    assert!(
        run.success,
        "the boot script failed:\n{}\n{}",
        run.output,
        boot.stub_file("exec-start-pre.log")
    );
    assert!(app.pid() > 1);

    // Installed under its checksum, `current` pointing at it, byte for byte the build.
    let app_home = boot.root.join("opt/techchallenge");
    let release = app_home.join("releases").join(&boot.sha256);
    let installed = std::fs::read(release.join("TechChallengeApp")).unwrap_or_default();
    assert!(
        installed == boot.build_bytes,
        "the installed binary is the build"
    );
    assert_eq!(sha256_of(&release.join("TechChallengeApp")), boot.sha256);
    assert_eq!(mode(&release.join("TechChallengeApp")), 0o755);
    assert_eq!(
        std::fs::read_link(app_home.join("current")).ok(),
        Some(PathBuf::from(format!("releases/{}", boot.sha256)))
    );
    assert_eq!(
        std::fs::read(app_home.join("etc/rds-ca.pem")).ok(),
        std::fs::read(&services.server_cert).ok(),
        "the CA bundle is the one served"
    );

    // The configuration: every key, TLS verified, the secret named, no password.
    let conf_text = std::fs::read_to_string(app_home.join("etc/conf.toml")).unwrap_or_default();
    let conf: toml::Table = match conf_text.parse() {
        Ok(t) => t,
        Err(e) => panic!("conf.toml is TOML: {e}\n{conf_text}"),
    };
    let expected = [
        ("DbType", "postgres".to_owned()),
        ("DbHost", services.cert_name.clone()),
        ("DbPort", services.db_port.to_string()),
        ("DbName", boot.db.name.clone()),
        ("DbSecretId", boot.db.secret_arn.clone()),
        ("DbSslMode", "verify-full".to_owned()),
        (
            "DbSslRootCert",
            "/opt/techchallenge/etc/rds-ca.pem".to_owned(),
        ),
        ("ListenHost", "0.0.0.0".to_owned()),
        ("ListenPort", APP_PORT.to_string()),
    ];
    for (key, value) in &expected {
        assert_eq!(
            conf.get(*key).and_then(toml::Value::as_str),
            Some(value.as_str()),
            "{key} in conf.toml:\n{conf_text}"
        );
    }
    assert_eq!(conf.len(), expected.len(), "no other keys:\n{conf_text}");
    assert!(
        conf.keys()
            .all(|k| !k.to_lowercase().contains("password") && !k.eq_ignore_ascii_case("dbuser")),
        "{conf_text}"
    );
    assert!(!conf_text.contains(&boot.db.password));

    // The unit: unprivileged, sandboxed, migrate then serve.
    let unit = std::fs::read_to_string(boot.root.join("etc/systemd/system/techchallenge.service"))
        .unwrap_or_default();
    for line in [
        "User=techchallenge",
        "WorkingDirectory=/opt/techchallenge/etc",
        "ExecStartPre=/opt/techchallenge/current/TechChallengeApp updatedb -s",
        "ExecStart=/opt/techchallenge/current/TechChallengeApp serve",
        "Restart=always",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=",
        "WantedBy=multi-user.target",
    ] {
        assert!(
            unit.lines().any(|l| l == line),
            "{line} in the unit:\n{unit}"
        );
    }

    verify_unit(&boot.root.join("etc/systemd/system/techchallenge.service"));

    // The commands the boot ran, in order; no package installed for a binary build.
    let calls = boot.stub_file("calls");
    let calls: Vec<&str> = calls.lines().collect();
    let position = |prefix: &str| calls.iter().position(|c| c.starts_with(prefix));
    let order = [
        "aws s3 cp",
        "useradd --system",
        "systemctl daemon-reload",
        "systemctl enable --now techchallenge.service",
        "aws cloudformation signal-resource",
    ]
    .map(|p| position(p).unwrap_or_else(|| panic!("{p} was not called: {calls:#?}")));
    assert!(order.is_sorted(), "{calls:#?}");
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("useradd") && c.contains("--shell /sbin/nologin")),
        "{calls:#?}"
    );
    assert!(!calls.iter().any(|c| c.starts_with("dnf")), "{calls:#?}");
    assert!(
        calls
            .iter()
            .any(|c| c.contains(&format!("s3://{BUCKET}/{}", boot.key))),
        "the build is fetched from the bucket and key the stack names: {calls:#?}"
    );

    // Migrated: the tasks table exists, seeded, owned by the login from the secret.
    let titles = services.psql(&boot.db.name, "SELECT title FROM tasks ORDER BY id");
    assert_eq!(titles, "1st Task\n2nd Task\n3rd Task", "seeded tasks");

    // Serving on 0.0.0.0:3000, answering its health check through the database over TLS.
    let (status, body) = http_get(APP_PORT, "/healthcheck/");
    assert_eq!(status, 200, "{body}");
    let (status, body) = http_get(APP_PORT, "/api/task/");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("1st Task"), "{body}");
    let app_log = boot.stub_file("app.log");
    assert!(
        app_log.contains("0.0.0.0:3000"),
        "listens on all addresses: {app_log}"
    );
    let tls = services.psql(
        "postgres",
        &format!(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
             WHERE usename = '{}' AND ssl",
            boot.db.user
        ),
    );
    assert_ne!(tls, "0", "the app's database connections use TLS");

    // CloudFormation heard SUCCESS once, for this instance.
    let signals = boot.signals();
    assert_eq!(signals.len(), 1, "{signals:#?}");
    assert_signal(&signals[0], "SUCCESS");
}

#[test]
fn a_wrong_checksum_signals_failure_and_installs_or_starts_nothing() {
    // Needs no database, secret or port: it must stop before any of them matters.
    if builds::app_binary().is_none() {
        return;
    }
    let services = Services::offline();
    let boot = Boot::prepare(&services, Build::WrongChecksum);
    let run = boot.run();
    assert!(
        !run.success,
        "a wrong checksum must fail the boot:\n{}",
        run.output
    );
    assert!(run.output.contains("checksum mismatch"), "{}", run.output);
    let log = std::fs::read_to_string(boot.root.join("var/log/techchallenge-boot.log"))
        .unwrap_or_default();
    for line in ["checksum mismatch", "signalled FAILURE"] {
        assert!(log.contains(line), "the boot log is complete: {log}");
    }

    let signals = boot.signals();
    assert_eq!(signals.len(), 1, "{signals:#?}\n{}", run.output);
    assert_signal(&signals[0], "FAILURE");

    let calls = boot.stub_file("calls");
    for never in ["systemctl", "useradd", "dnf"] {
        assert!(
            !calls.lines().any(|c| c.starts_with(never)),
            "{never} ran: {calls}"
        );
    }
    assert!(!boot.state.join("app.pid").exists());
    for relative in boot.written() {
        assert!(
            relative.starts_with("var/log"),
            "nothing but the boot log is left behind, found {}",
            relative.display()
        );
    }
    assert!(!boot.root.join("opt").exists(), "nothing installed");
    assert!(!boot.root.join("etc/systemd").exists(), "no unit");
}

#[test]
fn the_password_is_nowhere_but_in_the_secret() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let _port = PORT_3000.lock().unwrap_or_else(|e| e.into_inner());
    let boot = Boot::prepare(&services, Build::Real);
    let password = boot.db.password.clone();

    // The search is able to fail: it finds the password where it legitimately is (moto's
    // secret), and in a file hidden deep in a directory it walks.
    let secret = services.moto("GetSecretValue", &json!({"SecretId": boot.db.secret_arn}));
    assert!(
        contains(secret.to_string().as_bytes(), &password),
        "the search finds the password in the secret"
    );
    let control = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let hidden = control.path().join(".a/b/c");
    std::fs::create_dir_all(&hidden).unwrap_or_else(|e| panic!("mkdir: {e}"));
    std::fs::write(hidden.join(".log"), format!("x{password}y"))
        .unwrap_or_else(|e| panic!("write: {e}"));
    assert_eq!(
        files_containing(control.path(), &password).len(),
        1,
        "the walk finds a hidden file"
    );

    // UserData as rendered and as the instance receives it.
    assert!(!contains(boot.user_data_template.as_bytes(), &password));
    assert!(!contains(boot.script.as_bytes(), &password));
    // Every rendered template, JSON and YAML.
    for stack in &architecture().stacks {
        for text in [stack.template.to_json(), stack.template.to_yaml()] {
            let text = text.unwrap_or_else(|e| panic!("{} renders: {e}", stack.name));
            assert!(!contains(text.as_bytes(), &password), "{}", stack.name);
        }
    }
    // The application stack's parameters: exactly the build's key and checksum (plus the
    // image id's SSM default), so nothing else can carry a value; and those values are clean.
    let app = application_template();
    let names: Vec<&String> = app["Parameters"]
        .as_object()
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    assert_eq!(names, ["AppArtifactKey", "AppArtifactSha256", "ImageId"]);
    for (name, value) in &boot.parameters {
        assert!(!contains(value.as_bytes(), &password), "{name}");
    }

    // Boot, then search every file it wrote (unit, configuration, log, the app's own output).
    assert_port_free(APP_PORT);
    let app = AppProcess::watch(boot.state.join("app.pid"));
    let run = boot.run();
    assert!(run.success, "the boot script failed:\n{}", run.output);
    let (status, _) = http_get(APP_PORT, "/healthcheck/");
    assert_eq!(
        status, 200,
        "the app logged in with the password from the secret"
    );
    assert!(!contains(run.output.as_bytes(), &password));
    let written = boot.written();
    assert!(
        written.len() >= 5,
        "the walk sees what the boot wrote: {written:#?}"
    );
    for expected in [
        "etc/systemd/system/techchallenge.service",
        "opt/techchallenge/etc/conf.toml",
        "var/log/techchallenge-boot.log",
    ] {
        assert!(
            written.iter().any(|n| n == Path::new(expected)),
            "{expected}: {written:#?}"
        );
    }
    assert_eq!(
        files_containing(&boot.root, &password),
        Vec::<PathBuf>::new()
    );
    assert_eq!(
        files_containing(&boot.state, &password),
        Vec::<PathBuf>::new()
    );
    // Nor in the running app's command line or environment: it holds the password in memory.
    for what in ["cmdline", "environ"] {
        let data = std::fs::read(format!("/proc/{}/{what}", app.pid())).unwrap_or_default();
        assert!(!data.is_empty(), "/proc/{}/{what} is readable", app.pid());
        assert!(!contains(&data, &password), "{what}");
    }
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
fn the_stubs_pass_shellcheck() {
    // scripts/checks/10-shellcheck.sh covers scripts/ and the boot script; the stubs live here.
    let stubs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/boot/stubs");
    let files: Vec<PathBuf> = STUBS.iter().map(|(name, _)| stubs.join(name)).collect();
    match Command::new("shellcheck").args(&files).output() {
        Ok(out) => assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        ),
        Err(e) => missing(&format!("no shellcheck ({e}; scripts/setup installs it)")),
    }
}
