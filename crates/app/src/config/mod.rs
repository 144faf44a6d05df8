//! Typed settings of the app, read the way 0.11.0 read them (`conf.toml` in the working directory,
//! then `VTT_` environment variables) plus the keys 0.11.0 lacked (pool size, TLS, secret id,
//! timeouts). Every value is checked here, once, so the rest of the app never sees a bad one.

mod source;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

pub use source::{Origin, RawValues};

/// Keys we read, in lower case. The first eight are 0.11.0's.
const KNOWN: &[&str] = &[
    "dbuser",
    "dbpassword",
    "dbname",
    "dbport",
    "dbhost",
    "dbtype",
    "listenhost",
    "listenport",
    "dbpoolsize",
    "dbsslmode",
    "dbsslrootcert",
    "dbsecretid",
    "dbtimeoutms",
    "shutdowntimeoutsecs",
];

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read or parsed.
    #[error("cannot use configuration file {}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A value is out of range or of the wrong kind.
    #[error("invalid {key} (from {origin}): {reason}")]
    Invalid {
        /// The key (lower case).
        key: String,
        /// Where the value came from.
        origin: Origin,
        /// What is wrong and what would be accepted.
        reason: String,
    },
}

/// A string that must never be printed: `Debug`, `Display` and `Serialize` all mask it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value, for the one place that needs it (the database login).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("********")
    }
}

/// Which store serves the tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DbType {
    /// PostgreSQL through a pool.
    Postgres,
    /// The embedded single-file store (0.11.0's `boltdb`).
    Boltdb,
}

/// How the PostgreSQL connection uses TLS; libpq's names and meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Never TLS (what 0.11.0 always did).
    Disable,
    /// TLS when the server offers it, without checking the certificate.
    Prefer,
    /// TLS always, without checking the certificate.
    Require,
    /// TLS, certificate chain checked against the CA bundle, host name not checked.
    VerifyCa,
    /// TLS, certificate chain and host name checked (what RDS should use).
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// Everything about the database.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DbSettings {
    /// Login user (may be replaced by the secret's `username`).
    pub db_user: String,
    /// Login password (may be replaced by the secret's `password`).
    pub db_password: Secret,
    /// Database name; for the embedded store, the file name (with `.redb` appended).
    pub db_name: String,
    /// Server host name or address.
    pub db_host: String,
    /// Server port.
    pub db_port: u16,
    /// Which store to use.
    pub db_type: DbType,
    /// Most connections the pool opens.
    pub db_pool_size: usize,
    /// TLS mode.
    pub db_ssl_mode: SslMode,
    /// CA bundle (PEM) for `verify-ca` / `verify-full`; the Mozilla roots when absent.
    pub db_ssl_root_cert: Option<PathBuf>,
    /// AWS Secrets Manager secret holding `{"username": ..., "password": ...}`.
    pub db_secret_id: Option<String>,
    /// Limit for connecting, waiting for a pooled connection, and each query.
    #[serde(rename = "DbTimeoutMs", serialize_with = "as_millis")]
    pub db_timeout: Duration,
}

/// Everything the app reads from its configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Database settings.
    pub db: DbSettings,
    /// Host name or address to listen on.
    pub listen_host: String,
    /// Port to listen on.
    pub listen_port: u16,
    /// How long a SIGTERM waits for in-flight requests before giving up.
    pub shutdown_timeout: Duration,
    /// Warnings found while reading (unknown variables and such), to log once logging is up.
    pub warnings: Vec<String>,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Settings {
    /// Reads `conf.toml` in `dir` (optional) and the `VTT_` variables of the process.
    pub fn load(dir: &Path) -> Result<Settings, ConfigError> {
        Self::load_from(dir, std::env::vars_os())
    }

    /// Like [`Settings::load`] with the environment given, for tests.
    pub fn load_from(
        dir: &Path,
        env: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Result<Settings, ConfigError> {
        let mut raw = RawValues::default();
        for (k, v) in [
            ("DbUser", "postgres"),
            ("DbPassword", "postgres"),
            ("DbName", "postgres"),
            ("DbPort", "5432"),
            ("DbHost", "localhost"),
            ("DbType", "postgres"),
            ("ListenHost", "127.0.0.1"),
            ("ListenPort", "3000"),
            ("DbPoolSize", "8"),
            ("DbSslMode", "prefer"),
            ("DbTimeoutMs", "2000"),
            ("ShutdownTimeoutSecs", "20"),
        ] {
            raw.set_default(k, v);
        }
        raw.read_file(&dir.join("conf.toml"), KNOWN)?;
        raw.read_env(env, KNOWN)?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: RawValues) -> Result<Settings, ConfigError> {
        let r = Reader(&raw);
        let db_type = match r.text("dbtype").to_ascii_lowercase().as_str() {
            "postgres" => DbType::Postgres,
            "boltdb" => DbType::Boltdb,
            _ => return Err(r.invalid("dbtype", "must be \"postgres\" or \"boltdb\"")),
        };
        let db_name = r.text("dbname");
        if db_name.is_empty() {
            return Err(r.invalid("dbname", "must not be empty"));
        }
        // 0.11.0's default port was the word "postgres" (the service name); read it as 5432.
        let db_port = match r.text("dbport").as_str() {
            p if p.eq_ignore_ascii_case("postgres") => 5432,
            _ => r.number::<u16>("dbport", 1, u16::MAX.into())?,
        };
        let db_ssl_mode = SslMode::parse(&r.text("dbsslmode")).ok_or_else(|| {
            r.invalid(
                "dbsslmode",
                "must be one of disable, prefer, require, verify-ca, verify-full",
            )
        })?;
        let db_ssl_root_cert = r.optional("dbsslrootcert").map(PathBuf::from);
        if let Some(path) = &db_ssl_root_cert {
            if !path.is_file() {
                return Err(r.invalid(
                    "dbsslrootcert",
                    &format!("{} is not a readable file", path.display()),
                ));
            }
        }
        let db = DbSettings {
            db_user: r.text("dbuser"),
            db_password: Secret::new(r.text("dbpassword")),
            db_name,
            db_host: r.text("dbhost"),
            db_port,
            db_type,
            db_pool_size: r.number("dbpoolsize", 1, 1000)?,
            db_ssl_mode,
            db_ssl_root_cert,
            db_secret_id: r.optional("dbsecretid"),
            db_timeout: Duration::from_millis(r.number("dbtimeoutms", 50, 600_000)?),
        };
        let listen_host = r.text("listenhost");
        if listen_host.is_empty() {
            return Err(r.invalid("listenhost", "must not be empty"));
        }
        Ok(Settings {
            db,
            listen_host,
            listen_port: r.number("listenport", 0, u16::MAX.into())?,
            shutdown_timeout: Duration::from_secs(r.number("shutdowntimeoutsecs", 0, 3600)?),
            warnings: raw.warnings,
        })
    }
}

/// Typed access to raw values with errors that name the key and where it came from.
struct Reader<'a>(&'a RawValues);

impl Reader<'_> {
    fn text(&self, key: &str) -> String {
        self.0.get(key).map(|(v, _)| v.clone()).unwrap_or_default()
    }

    fn optional(&self, key: &str) -> Option<String> {
        Some(self.text(key)).filter(|v| !v.is_empty())
    }

    fn invalid(&self, key: &str, reason: &str) -> ConfigError {
        let (value, origin) = self
            .0
            .get(key)
            .cloned()
            .unwrap_or((String::new(), Origin::Default));
        let shown = if key == "dbpassword" {
            "********".to_owned()
        } else {
            format!("{value:?}")
        };
        ConfigError::Invalid {
            key: key.to_owned(),
            origin,
            reason: format!("{shown} {reason}"),
        }
    }

    fn number<T: TryFrom<u64>>(&self, key: &str, min: u64, max: u64) -> Result<T, ConfigError> {
        let reason = format!("must be a whole number from {min} to {max}");
        self.text(key)
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| self.invalid(key, &reason))
    }
}

#[cfg(test)]
mod tests;
