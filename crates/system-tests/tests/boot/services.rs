//! The real services a boot talks to: the local PostgreSQL (playing RDS, its TLS certificate
//! playing the RDS CA bundle) and moto (playing Secrets Manager), found through the variables
//! `scripts/lib/postgres.sh` and `scripts/lib/moto.sh` export (through the support library,
//! whose gate decides what a test does when something it needs is missing).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use techchallenge_system_tests::services::require_root;
use techchallenge_system_tests::{moto, postgres};

use super::REGION;
use super::http::http_exchange;

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
    /// The services, or `None` (see [`missing`]) when they are absent or the test is not root.
    pub fn from_env() -> Option<Services> {
        let db_url = postgres::url()?;
        let moto_url = moto::url()?;
        // The systemctl stub mounts the fake root's /opt in a namespace and drops to nobody.
        if !require_root("the fake-root boot test") {
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

    /// Stand-ins for a test that must fail before it touches any service.
    pub fn offline() -> Services {
        Services {
            db_url: String::new(),
            db_port: 5432,
            moto_url: String::new(),
            server_cert: PathBuf::new(),
            cert_name: "db.invalid".into(),
        }
    }

    /// Runs one SQL statement as the administrator in `database`; its unaligned output.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        postgres::psql(&self.db_url, database, sql)
    }

    /// One Secrets Manager call on moto (JSON protocol; moto routes on the credential scope).
    pub fn moto(&self, action: &str, body: &Value) -> Value {
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
