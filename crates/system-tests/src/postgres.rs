//! The local PostgreSQL (`TEST_DATABASE_URL`, exported by `scripts/lib/postgres.sh`: the
//! administrator over TCP with a password, as the app logs in to RDS) and an administrator's
//! `psql` for setting up logins and databases of a test's own.

use std::process::Command;

/// The administrator's URL, or `None` (see [`crate::services::unavailable`]).
pub fn url() -> Option<String> {
    crate::services::env(
        "TEST_DATABASE_URL",
        "start PostgreSQL with `source scripts/lib/postgres.sh`, or run scripts/test",
    )
}

/// `url` (the administrator's URL of some database) pointed at `database` instead.
pub fn admin_url(url: &str, database: &str) -> String {
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    format!("{base}/{database}")
}

/// The server's port in `url`.
pub fn port(url: &str) -> u16 {
    url.rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the database URL names a port: {url}"))
}

/// Runs one SQL statement as the administrator in `database`; its unaligned output.
pub fn psql(url: &str, database: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            &admin_url(url, database),
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
