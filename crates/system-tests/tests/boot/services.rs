//! The real services a boot talks to: the local PostgreSQL (playing RDS, its TLS certificate
//! playing the RDS CA bundle) and moto (playing Secrets Manager, S3 and CloudFormation's
//! SignalResource, through the project's launcher), found through the variables
//! `scripts/lib/postgres.sh` and `scripts/lib/moto.sh` export (through the support library,
//! whose gate decides what a test does when something it needs is missing).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use techchallenge_system_tests::services::require_root;
use techchallenge_system_tests::{moto, postgres};

use super::REGION;
use super::http::http_request;

/// The local PostgreSQL and moto, as `scripts/lib/postgres.sh` and `scripts/lib/moto.sh` export them.
pub struct Services {
    /// The administrator's URL of the test cluster (`TEST_DATABASE_URL`); empty when offline.
    pub db_url: String,
    pub db_port: u16,
    /// moto's endpoint (`TEST_MOTO_URL`); empty when offline.
    pub moto_url: String,
    /// The server's certificate (Debian's snakeoil), served as the RDS CA bundle.
    pub server_cert: PathBuf,
    /// The DNS name in that certificate: the DbHost under which verify-full succeeds.
    pub cert_name: String,
}

impl Services {
    /// The services, or `None` (see `services::unavailable`) when they are absent or the test
    /// is not root (systemd-nspawn needs root).
    pub fn from_env() -> Option<Services> {
        let db_url = postgres::url()?;
        let moto_url = moto::url()?;
        if !require_root("the boot test (systemd-nspawn)") {
            return None;
        }
        let db_port = postgres::port(&db_url);
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

    /// Runs one SQL statement as the administrator in `database`; its unaligned output.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        postgres::psql(&self.db_url, database, sql)
    }

    /// moto's port.
    pub fn moto_port(&self) -> u16 {
        self.moto_url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
            .unwrap_or_else(|| panic!("TEST_MOTO_URL names a port: {}", self.moto_url))
    }

    /// One Secrets Manager call on moto (JSON protocol; moto routes on the credential scope).
    pub fn moto(&self, action: &str, body: &Value) -> Value {
        let (status, answer) = http_request(
            self.moto_port(),
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-amz-json-1.1".to_owned()),
                ("X-Amz-Target", format!("secretsmanager.{action}")),
                ("Authorization", signed_for("secretsmanager")),
            ],
            body.to_string().as_bytes(),
        );
        assert_eq!(status, 200, "moto {action}: {answer}");
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("moto {action}: {e}: {answer}"))
    }

    /// One CloudWatch Logs call on moto (JSON protocol).
    fn logs(&self, action: &str, body: &Value) -> (u16, String) {
        http_request(
            self.moto_port(),
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-amz-json-1.1".to_owned()),
                ("X-Amz-Target", format!("Logs_20140328.{action}")),
                ("Authorization", signed_for("logs")),
            ],
            body.to_string().as_bytes(),
        )
    }

    /// Creates a log group in moto's CloudWatch Logs (if new).
    pub fn create_log_group(&self, group: &str) {
        let (status, answer) = self.logs("CreateLogGroup", &json!({"logGroupName": group}));
        assert!(
            status == 200 || answer.contains("ResourceAlreadyExists"),
            "CreateLogGroup {group}: {status} {answer}"
        );
    }

    /// The messages of one log stream, oldest first (empty when it does not exist).
    pub fn log_events(&self, group: &str, stream: &str) -> Vec<String> {
        let (status, answer) = self.logs(
            "GetLogEvents",
            &json!({"logGroupName": group, "logStreamName": stream, "startFromHead": true}),
        );
        if status != 200 {
            return Vec::new();
        }
        let events: Value = serde_json::from_str(&answer).unwrap_or_default();
        events["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["message"].as_str().map(str::to_owned))
            .collect()
    }

    /// Creates `bucket` in moto's S3 (if new) and puts `bytes` under `key`.
    pub fn s3_put(&self, bucket: &str, key: &str, bytes: &[u8]) {
        let s3 = [("Authorization", signed_for("s3"))];
        let (status, answer) =
            http_request(self.moto_port(), "PUT", &format!("/{bucket}"), &s3, b"");
        assert!(
            status == 200 || status == 409,
            "CreateBucket {bucket}: {status} {answer}"
        );
        let (status, answer) = http_request(
            self.moto_port(),
            "PUT",
            &format!("/{bucket}/{key}"),
            &s3,
            bytes,
        );
        assert_eq!(status, 200, "PutObject {bucket}/{key}: {answer}");
    }

    /// Creates a stack named `stack` in moto whose `AppGroup` can be signalled (moto's
    /// SignalResource, added by the launcher, needs the stack to exist, as AWS does).
    pub fn create_stack(&self, stack: &str) {
        let template =
            r#"{"Resources":{"AppGroup":{"Type":"AWS::CloudFormation::WaitConditionHandle"}}}"#;
        let body = format!(
            "Action=CreateStack&Version=2010-05-15&StackName={stack}&TemplateBody={}",
            url_encode(template)
        );
        let (status, answer) = self.query("cloudformation", &body);
        assert_eq!(status, 200, "CreateStack {stack}: {answer}");
    }

    /// One query-protocol call (CloudFormation, RDS) on moto: a form-encoded POST.
    fn query(&self, service: &str, body: &str) -> (u16, String) {
        http_request(
            self.moto_port(),
            "POST",
            "/",
            &[
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("Authorization", signed_for(service)),
            ],
            body.as_bytes(),
        )
    }

    /// Creates an RDS instance named `identifier` in moto (available at once), so that the
    /// boot script's wait for the database ends.
    pub fn create_db_instance(&self, identifier: &str) {
        let body = format!(
            "Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier={identifier}\
             &DBInstanceClass=db.t4g.micro&Engine=postgres&AllocatedStorage=20\
             &MasterUsername=postgres&MasterUserPassword=not-used-here"
        );
        let (status, answer) = self.query("rds", &body);
        assert_eq!(status, 200, "CreateDBInstance {identifier}: {answer}");
    }

    /// Makes `stack`'s `AppGroup` wait for `count` signals, as CloudFormation does during a
    /// create or rolling update (none: an instance launched by scale-out).
    pub fn await_signals(&self, stack: &str, count: u32) {
        let body = json!({"stack": stack, "resource": "AppGroup", "count": count}).to_string();
        let (status, answer) = http_request(
            self.moto_port(),
            "POST",
            "/techchallenge-test/signals/await",
            &[],
            body.as_bytes(),
        );
        assert_eq!(status, 200, "await signals: {answer}");
    }

    /// The signals `stack` received and refused: `(status, unique id)` each.
    pub fn signals(&self, stack: &str) -> Signals {
        let (status, answer) = http_request(
            self.moto_port(),
            "GET",
            "/techchallenge-test/signals",
            &[],
            b"",
        );
        assert_eq!(status, 200, "signals: {answer}");
        let all: Value = serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
        let of = |list: &str| -> Vec<(String, String)> {
            all[list]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|s| s["stack"] == stack)
                .map(|s| {
                    let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
                    (text("status"), text("unique_id"))
                })
                .collect()
        };
        Signals {
            received: of("received"),
            refused: of("refused"),
        }
    }
}

/// What CloudFormation (moto) heard from an instance: `(SUCCESS|FAILURE, instance id)` each.
#[derive(Debug, PartialEq, Eq)]
pub struct Signals {
    /// Signals taken, while the stack waited for them.
    pub received: Vec<(String, String)>,
    /// Signals refused, because nothing waited for them.
    pub refused: Vec<(String, String)>,
}

/// An Authorization header naming `service`: moto routes on the credential scope and checks
/// no signature.
fn signed_for(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )
}

/// Percent-encoding for a form value.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Services {}

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
