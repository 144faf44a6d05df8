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

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use techchallenge_stacks::{Architecture, Settings};

/// Only one boot at a time may own port 3000.
static PORT_3000: Mutex<()> = Mutex::new(());

const STUBS: [(&str, &str); 5] = [
    ("aws", include_str!("boot/stubs/aws")),
    ("id", include_str!("boot/stubs/id")),
    ("useradd", include_str!("boot/stubs/useradd")),
    ("dnf", include_str!("boot/stubs/dnf")),
    ("systemctl", include_str!("boot/stubs/systemctl")),
];
const REGION: &str = "us-east-1";
const STACK: &str = "techchallenge-dev-application";
const BUCKET: &str = "techchallenge-dev-artifacts-boottest";
const INSTANCE_ID: &str = "i-0b00757e57c0ffee1";
const APP_PORT: u16 = 3000;

// ---------------------------------------------------------------------------------------------
// The tests

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
    if !release_binary().is_file() {
        if std::env::var("TESTS_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!(
                "{} is missing: scripts/test builds it before the tests",
                release_binary().display()
            );
        }
        eprintln!("note: {} not built; skipping", release_binary().display());
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
    let written = files_under(&boot.root);
    for (path, _) in &written {
        let relative = path.strip_prefix(&boot.root).unwrap_or(path);
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
    let architecture = Architecture::new(&Settings::default())
        .unwrap_or_else(|e| panic!("the architecture renders: {e}"));
    for stack in &architecture.stacks {
        for text in [stack.template.to_json(), stack.template.to_yaml()] {
            let text = text.unwrap_or_else(|e| panic!("{} renders: {e}", stack.name));
            assert!(!contains(text.as_bytes(), &password), "{}", stack.name);
        }
    }
    // The application stack's parameters: exactly the build's key, checksum and kind (plus the
    // image id's SSM default), so nothing else can carry a value; and those values are clean.
    let app = application_template();
    let names: Vec<&String> = app["Parameters"]
        .as_object()
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        [
            "AppArtifactKey",
            "AppArtifactKind",
            "AppArtifactSha256",
            "ImageId"
        ]
    );
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
    let written = files_under(&boot.root);
    assert!(
        written.len() >= 5,
        "the walk sees what the boot wrote: {written:#?}"
    );
    let names: Vec<String> = written
        .iter()
        .map(|(p, _)| {
            p.strip_prefix(&boot.root)
                .unwrap_or(p)
                .display()
                .to_string()
        })
        .collect();
    for expected in [
        "etc/systemd/system/techchallenge.service",
        "opt/techchallenge/etc/conf.toml",
        "var/log/techchallenge-boot.log",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected}: {names:#?}"
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
        Err(e) if std::env::var("TESTS_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("shellcheck (scripts/setup installs it): {e}")
        }
        Err(e) => eprintln!("note: no shellcheck ({e}); skipping"),
    }
}

// ---------------------------------------------------------------------------------------------
// Services and fixtures

/// The local PostgreSQL and moto, as `scripts/lib/postgres.sh` and `scripts/lib/moto.sh` export them.
struct Services {
    db_url: String,
    db_port: u16,
    moto_url: String,
    /// The server's certificate (Debian's snakeoil), served as the RDS CA bundle.
    server_cert: PathBuf,
    /// The DNS name in that certificate: the DbHost under which verify-full succeeds.
    cert_name: String,
}

impl Services {
    /// The services, or `None` (with a note) when they are absent and tests may skip; panics
    /// when `TESTS_REQUIRE_SERVICES=1`, as in CI.
    fn from_env() -> Option<Services> {
        let db_url = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
        let moto_url = std::env::var("TEST_MOTO_URL").unwrap_or_default();
        if db_url.is_empty() || moto_url.is_empty() {
            if std::env::var("TESTS_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("TEST_DATABASE_URL and TEST_MOTO_URL must be set: TESTS_REQUIRE_SERVICES=1");
            }
            eprintln!("note: TEST_DATABASE_URL or TEST_MOTO_URL not set; skipping a boot test");
            return None;
        }
        // The systemctl stub mounts the fake root's /opt in a namespace and drops to nobody.
        let root = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Uid:"))
                    .map(|ids| ids.split_whitespace().next() == Some("0"))
            })
            .unwrap_or(false);
        if !root {
            if std::env::var("TESTS_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!(
                    "the boot tests run as root (as scripts/test does): TESTS_REQUIRE_SERVICES=1"
                );
            }
            eprintln!("note: not root; skipping a boot test");
            return None;
        }
        let db_port = db_url
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("TEST_DATABASE_URL names a port: {db_url}"));
        let mut services = Services {
            db_url,
            db_port,
            moto_url,
            server_cert: PathBuf::new(),
            cert_name: String::new(),
        };
        assert_eq!(
            services.psql("postgres", "SHOW ssl"),
            "on",
            "the test cluster serves TLS (Debian's default)"
        );
        services.server_cert = PathBuf::from(services.psql("postgres", "SHOW ssl_cert_file"));
        services.cert_name = certificate_dns_name(&services.server_cert);
        Some(services)
    }

    /// Stand-ins for a test that must fail before it touches any service.
    fn offline() -> Services {
        Services {
            db_url: String::new(),
            db_port: 5432,
            moto_url: String::new(),
            server_cert: PathBuf::new(),
            cert_name: "db.invalid".into(),
        }
    }

    /// Runs one SQL statement as the administrator in `database`; its unaligned output.
    fn psql(&self, database: &str, sql: &str) -> String {
        let base = self
            .db_url
            .rsplit_once('/')
            .map_or(self.db_url.as_str(), |(b, _)| b);
        let out = Command::new("psql")
            .args([
                &format!("{base}/{database}"),
                "-qAtX",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ])
            .output()
            .unwrap_or_else(|e| panic!("psql: {e}"));
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// One Secrets Manager call on moto (JSON protocol; moto routes on the credential scope).
    fn moto(&self, action: &str, body: &Value) -> Value {
        let port = self
            .moto_url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
            .unwrap_or_else(|| panic!("TEST_MOTO_URL names a port: {}", self.moto_url));
        let body = body.to_string();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
             Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: secretsmanager.{action}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let (status, answer) = http_exchange(port, &request);
        assert_eq!(status, 200, "moto {action}: {answer}");
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("moto {action}: {e}: {answer}"))
    }
}

/// The DNS name in a certificate's subjectAltName (Debian's snakeoil names this machine).
fn certificate_dns_name(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
        .arg(cert)
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split("DNS:")
        .nth(1)
        .map(|s| {
            s.split([',', '\n'])
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| panic!("{} has a DNS name: {text}", cert.display()))
}

/// A login, database and secret of the test's own, dropped at the end.
struct TestDatabase {
    services_url: String,
    name: String,
    user: String,
    password: String,
    secret_arn: String,
}

impl TestDatabase {
    fn create(services: &Services) -> TestDatabase {
        let tag = unique_tag();
        // Distinctive, so finding it anywhere can only mean it leaked.
        let password = format!("BootLeakCanary-{tag}-Zq7");
        let name = format!("tc_boot_{tag}");
        let user = format!("tc_boot_user_{tag}");
        services.psql(
            "postgres",
            &format!("CREATE ROLE {user} LOGIN PASSWORD '{password}'"),
        );
        services.psql("postgres", &format!("CREATE DATABASE {name} OWNER {user}"));
        let created = services.moto(
            "CreateSecret",
            &json!({
                "Name": format!("techchallenge-boot-{tag}"),
                "SecretString": json!({"username": user, "password": password}).to_string(),
            }),
        );
        let secret_arn = created["ARN"].as_str().unwrap_or_default().to_owned();
        assert!(
            secret_arn.starts_with("arn:aws:secretsmanager:"),
            "{created}"
        );
        TestDatabase {
            services_url: services.db_url.clone(),
            name,
            user,
            password,
            secret_arn,
        }
    }

    /// For tests that never reach the database.
    fn unused() -> TestDatabase {
        TestDatabase {
            services_url: String::new(),
            name: "unused".into(),
            user: "unused".into(),
            password: format!("BootLeakCanary-{}-Zq7", unique_tag()),
            secret_arn: format!(
                "arn:aws:secretsmanager:{REGION}:123456789012:secret:unused-AbCdEf"
            ),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.services_url.is_empty() {
            return;
        }
        let base = self
            .services_url
            .rsplit_once('/')
            .map_or(self.services_url.as_str(), |(b, _)| b);
        for sql in [
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            format!("DROP ROLE IF EXISTS {}", self.user),
        ] {
            let _ = Command::new("psql")
                .args([&format!("{base}/postgres"), "-qAtX", "-c", &sql])
                .output();
        }
    }
}

/// Which build the stack names.
#[derive(Clone, Copy, PartialEq)]
enum Build {
    /// The release binary, with its own checksum.
    Real,
    /// The release binary, but the stack names another checksum.
    WrongChecksum,
}

/// Everything one run of the boot script needs, in one temporary directory:
/// `root/` (the fake root), `bin/` (stubs), `buckets/`, `state/` (what the stubs record).
struct Boot {
    _dir: tempfile::TempDir,
    root: PathBuf,
    bin: PathBuf,
    buckets: PathBuf,
    state: PathBuf,
    hosts: PathBuf,
    imds_url: String,
    moto_url: String,
    build_bytes: Vec<u8>,
    sha256: String,
    key: String,
    /// The application stack's parameter values, as the deployer passes them.
    parameters: BTreeMap<String, String>,
    /// UserData as rendered, placeholders and all.
    user_data_template: String,
    /// UserData as the instance gets it.
    script: String,
    db: TestDatabase,
}

impl Boot {
    fn prepare(services: &Services, build: Build) -> Boot {
        let binary = release_binary();
        let build_bytes = std::fs::read(&binary).unwrap_or_else(|e| {
            panic!(
                "the release binary {} (build it with `cargo build --release -p techchallenge-app`, \
                 or set TECHCHALLENGE_APP_BINARY): {e}",
                binary.display()
            )
        });
        let real_sha = sha256_of(&binary);
        let sha256 = match build {
            Build::Real => real_sha.clone(),
            Build::WrongChecksum => {
                let wrong = format!("{}1", "0".repeat(63));
                assert_ne!(wrong, real_sha);
                wrong
            }
        };
        // The deployer's key scheme: app/SHA256/FILE (of the build it uploaded).
        let key = format!("app/{real_sha}/TechChallengeApp");

        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let at = |p: &str| dir.path().join(p);
        let (root, bin, buckets, state) = (at("root"), at("bin"), at("buckets"), at("state"));
        for d in [
            &root,
            &bin,
            &state,
            &buckets.join(BUCKET).join(format!("app/{real_sha}")),
        ] {
            std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
        }
        std::fs::copy(&binary, buckets.join(BUCKET).join(&key))
            .unwrap_or_else(|e| panic!("copy the build into the stub bucket: {e}"));
        for (name, text) in STUBS {
            write_executable(&bin.join(name), text);
        }
        let hosts = at("hosts");
        std::fs::write(
            &hosts,
            format!("127.0.0.1 localhost {}\n", services.cert_name),
        )
        .unwrap_or_else(|e| panic!("write hosts: {e}"));

        let ca = std::fs::read(&services.server_cert).unwrap_or_default();
        let imds_url = serve_metadata(ca);
        let db = if services.db_url.is_empty() {
            TestDatabase::unused()
        } else {
            TestDatabase::create(services)
        };

        let parameters: BTreeMap<String, String> = [
            ("AppArtifactKey", key.clone()),
            ("AppArtifactSha256", sha256.clone()),
            ("AppArtifactKind", "binary".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let imports: BTreeMap<&str, String> = [
            ("ArtifactBucket", BUCKET.to_owned()),
            ("DatabaseEndpoint", services.cert_name.clone()),
            ("DatabasePort", services.db_port.to_string()),
            ("DatabaseName", db.name.clone()),
            ("DatabaseSecretArn", db.secret_arn.clone()),
        ]
        .into_iter()
        .collect();
        let (user_data_template, variables) = user_data_sub();
        // Fn::Sub as CloudFormation does it: its own variables (here imports), then the
        // template's parameters, then pseudo parameters; anything else is an error.
        let script = fn_sub(&user_data_template, &mut |name| {
            if let Some(value) = variables.get(name) {
                let export = value["Fn::ImportValue"].as_str().unwrap_or_default();
                let suffix = export.rsplit('-').next().unwrap_or_default();
                return Some(
                    imports
                        .get(suffix)
                        .unwrap_or_else(|| panic!("no test value for the import {export}"))
                        .clone(),
                );
            }
            match name {
                "AWS::Region" => Some(REGION.to_owned()),
                "AWS::StackName" => Some(STACK.to_owned()),
                _ => parameters.get(name).cloned(),
            }
        });
        Boot {
            _dir: dir,
            root,
            bin,
            buckets,
            state,
            hosts,
            imds_url,
            moto_url: services.moto_url.clone(),
            build_bytes,
            sha256,
            key,
            parameters,
            user_data_template,
            script,
            db,
        }
    }

    /// Runs the script as cloud-init would (bash, as root, a minimal environment plus the
    /// test hooks), waiting at most three minutes.
    fn run(&self) -> RunResult {
        let script = self.state.join("user-data");
        std::fs::write(&script, &self.script).unwrap_or_else(|e| panic!("write: {e}"));
        let output = self.state.join("user-data.out");
        let out = std::fs::File::create(&output).unwrap_or_else(|e| panic!("create: {e}"));
        let err = out.try_clone().unwrap_or_else(|e| panic!("dup: {e}"));
        let path = format!(
            "{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            self.bin.display()
        );
        // On EC2 the instance profile gives credentials and the real endpoints answer; here
        // only the app (through the systemctl stub) talks to moto, so it gets these.
        let app_env = format!(
            "AWS_ENDPOINT_URL={} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test",
            self.moto_url
        );
        let mut child = Command::new("bash")
            .arg(&script)
            .env_clear()
            .env("PATH", path)
            .env("LANG", "C.UTF-8")
            .env("TECHCHALLENGE_ROOT", &self.root)
            .env("TECHCHALLENGE_IMDS", &self.imds_url)
            .env(
                "TECHCHALLENGE_RDS_CA_URL",
                format!("{}/rds-ca.pem", self.imds_url),
            )
            .env("BOOT_STUB_STATE", &self.state)
            .env("BOOT_STUB_BUCKETS", &self.buckets)
            .env("BOOT_STUB_HOSTS", &self.hosts)
            .env("BOOT_STUB_APP_ENV", app_env)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("run bash: {e}"));
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if started.elapsed() < Duration::from_secs(180) => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        let output = std::fs::read_to_string(&output).unwrap_or_default();
        RunResult {
            success: status.is_some_and(|s| s.success()),
            output: match status {
                Some(_) => output,
                None => format!("(timed out after 180 s)\n{output}"),
            },
        }
    }

    /// A file the stubs wrote, or "" when there is none.
    fn stub_file(&self, name: &str) -> String {
        std::fs::read_to_string(self.state.join(name)).unwrap_or_default()
    }

    /// The recorded `signal-resource` calls, one argument list each.
    fn signals(&self) -> Vec<Vec<String>> {
        self.stub_file("signals")
            .lines()
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .collect()
    }
}

struct RunResult {
    success: bool,
    output: String,
}

fn assert_signal(args: &[String], status: &str) {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    assert_eq!(value("--status"), Some(status), "{args:?}");
    assert_eq!(value("--unique-id"), Some(INSTANCE_ID), "{args:?}");
    assert_eq!(value("--logical-resource-id"), Some("AppGroup"), "{args:?}");
    assert_eq!(value("--stack-name"), Some(STACK), "{args:?}");
    assert_eq!(value("--region"), Some(REGION), "{args:?}");
}

/// The app the systemctl stub starts, known by the pid file it writes. Set up before the boot
/// runs, so the app is stopped (TERM, then KILL) when the test ends, however far it got.
struct AppProcess {
    pidfile: PathBuf,
}

impl AppProcess {
    fn watch(pidfile: PathBuf) -> AppProcess {
        AppProcess { pidfile }
    }

    fn read_pid(&self) -> Option<u32> {
        std::fs::read_to_string(&self.pidfile)
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// The app's pid, waiting briefly for the stub to write it.
    fn pid(&self) -> u32 {
        let started = Instant::now();
        loop {
            match self.read_pid() {
                Some(pid) => return pid,
                None if started.elapsed() < Duration::from_secs(10) => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                None => panic!(
                    "the systemctl stub wrote no pid to {}",
                    self.pidfile.display()
                ),
            }
        }
    }
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let Some(pid) = self.read_pid() else { return };
        let alive = |pid: u32| Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid);
        for signal in ["-TERM", "-KILL"] {
            if !alive(pid) {
                return;
            }
            let _ = Command::new("kill")
                .args([signal, &pid.to_string()])
                .status();
            let started = Instant::now();
            while alive(pid) && started.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z'))
        })
        .unwrap_or(true)
}

/// systemd's own check of the unit (unknown keys, bad values, unknown system call groups), where
/// `systemd-analyze` exists. Its only allowed complaint: the binary is not at its /opt path on
/// this machine (it is under the fake root, where the systemctl stub ran it).
fn verify_unit(unit: &Path) {
    let Ok(out) = Command::new("systemd-analyze")
        .arg("verify")
        .arg(unit)
        .output()
    else {
        eprintln!("note: no systemd-analyze here; the unit's syntax is not checked");
        return;
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let complaints: Vec<&str> = text
        .lines()
        .filter(|l| {
            !l.trim().is_empty()
                && !l.ends_with(
                    "Command /opt/techchallenge/current/TechChallengeApp is not executable: \
                     No such file or directory",
                )
        })
        .collect();
    assert_eq!(complaints, Vec::<&str>::new(), "systemd-analyze verify");
}

// ---------------------------------------------------------------------------------------------
// Rendering

fn application_template() -> Value {
    let architecture = Architecture::new(&Settings::default())
        .unwrap_or_else(|e| panic!("the architecture renders: {e}"));
    let rendered = architecture
        .rendered()
        .unwrap_or_else(|e| panic!("the architecture renders: {e}"));
    rendered
        .into_iter()
        .find(|s| s.name == STACK)
        .map(|s| s.template)
        .unwrap_or_else(|| panic!("no stack {STACK}"))
}

/// The launch template's UserData: `Fn::Base64` of `Fn::Sub [script, variables]`.
fn user_data_sub() -> (String, serde_json::Map<String, Value>) {
    let app = application_template();
    let user_data =
        &app["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"];
    let sub = &user_data["Fn::Base64"]["Fn::Sub"];
    let script = sub[0]
        .as_str()
        .unwrap_or_else(|| panic!("UserData is Fn::Base64 of Fn::Sub [script, vars]: {user_data}"));
    let variables = sub[1].as_object().cloned().unwrap_or_default();
    (script.to_owned(), variables)
}

/// `Fn::Sub` on `text`: `${Name}` becomes `value(Name)` (which must know it), `${!Literal}`
/// becomes `${Literal}`.
fn fn_sub(text: &str, value: &mut dyn FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .unwrap_or_else(|| panic!("unterminated ${{ in UserData: {}", &rest[start..]));
        let name = &after[..end];
        match name.strip_prefix('!') {
            Some(literal) => {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            }
            None => out.push_str(
                &value(name).unwrap_or_else(|| panic!("Fn::Sub cannot resolve ${{{name}}}")),
            ),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/// The release build: `TECHCHALLENGE_APP_BINARY`, else `<workspace>/target/release/TechChallengeApp`
/// (where `scripts/test` builds it before running the tests).
fn release_binary() -> PathBuf {
    match std::env::var_os("TECHCHALLENGE_APP_BINARY") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/TechChallengeApp"),
    }
}

fn unique_tag() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}{:x}", std::process::id(), nanos % (1 << 40))
}

fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("sha256sum: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let sum = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(sum.len(), 64, "sha256sum {}: {text}", path.display());
    sum
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or_default()
}

fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every regular file under `dir` (hidden ones too; symbolic links are not followed), with its bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(path),
                Ok(t) if t.is_file() => {
                    let bytes =
                        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    files.push((path, bytes));
                }
                _ => {}
            }
        }
    }
    files.sort();
    files
}

fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|(_, bytes)| contains(bytes, needle))
        .map(|(p, _)| p)
        .collect()
}

fn assert_port_free(port: u16) {
    if let Err(e) = TcpListener::bind(("0.0.0.0", port)) {
        panic!(
            "port {port} is in use ({e}): the boot test starts the app there, as on an instance"
        );
    }
}

/// A GET to 127.0.0.1:`port`; status and body.
fn http_get(port: u16, path: &str) -> (u16, String) {
    http_exchange(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    )
}

/// Sends one raw HTTP/1.1 request and reads the answer to the end; status and body.
fn http_exchange(port: u16, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"));
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("send to {port}: {e}"));
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    // Bodies may be chunked; the tests only look for substrings, which survive that.
    (status, body)
}

/// Serves IMDSv2 (a token from `PUT /latest/api/token` is required for the instance id) and
/// the CA bundle at `/rds-ca.pem`, on a loopback port of its own; returns its base URL.
fn serve_metadata(ca: Vec<u8>) -> String {
    let listener =
        TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind metadata server: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let token = format!("token-{}", unique_tag());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer_metadata(stream, &token, &ca);
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn answer_metadata(stream: TcpStream, token: &str, ca: &[u8]) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let authorised = headers.get("x-aws-ec2-metadata-token").map(String::as_str) == Some(token);
    let (status, body): (&str, &[u8]) = match (method, path) {
        ("PUT", "/latest/api/token")
            if headers.contains_key("x-aws-ec2-metadata-token-ttl-seconds") =>
        {
            ("200 OK", token.as_bytes())
        }
        ("GET", "/latest/meta-data/instance-id") if authorised => {
            ("200 OK", INSTANCE_ID.as_bytes())
        }
        ("GET", "/latest/meta-data/instance-id") => ("401 Unauthorized", b"".as_slice()),
        ("GET", "/rds-ca.pem") => ("200 OK", ca),
        _ => ("404 Not Found", b"".as_slice()),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}
