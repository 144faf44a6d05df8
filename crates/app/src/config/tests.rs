//! Tests of configuration layering and of every invalid value.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    pairs
        .iter()
        .map(|(k, v)| (OsString::from(k), OsString::from(v)))
        .collect()
}

fn load(file: Option<&str>, vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let dir = tempfile::tempdir().expect("tempdir");
    if let Some(text) = file {
        std::fs::write(dir.path().join("conf.toml"), text).expect("write conf");
    }
    Settings::load_from(dir.path(), env(vars))
}

#[test]
fn defaults_without_a_file() {
    let s = load(None, &[]).expect("defaults are valid");
    assert_eq!(s.db.db_user, "postgres");
    assert_eq!(s.db.db_password.expose(), "postgres");
    assert_eq!(s.db.db_port, 5432);
    assert_eq!(s.db.db_type, DbType::Postgres);
    assert_eq!(s.listen_host, "127.0.0.1");
    assert_eq!(s.listen_port, 3000);
    assert_eq!(s.db.db_pool_size, 8);
    assert_eq!(s.db.db_ssl_mode, SslMode::Prefer);
}

#[test]
fn shipped_file_with_quoted_keys_and_odd_case() {
    let file = r#"
"DbUser" = "app "
dbpassword = "changeme"
DBNAME = 'app'
"DbPort" = 5433
"DbType" = "boltdb"
ListenHost = "localhost"
"ListenPort" = "3001"
SomethingElse = [1, 2]
"#;
    let s = load(Some(file), &[]).expect("valid file");
    assert_eq!(s.db.db_user, "app");
    assert_eq!(s.db.db_name, "app");
    assert_eq!(s.db.db_port, 5433);
    assert_eq!(s.db.db_type, DbType::Boltdb);
    assert_eq!(s.listen_port, 3001);
}

#[test]
fn env_beats_file_and_mixed_case_is_accepted() {
    let s = load(
        Some("ListenPort = 1\nDbHost = \"file\""),
        &[
            ("VTT_ListenPort", "4000"),
            ("VTT_DBHOST", "envhost"),
            ("vtt_dbname", "lower"),
            ("VTT_DBUSER", ""),
        ],
    )
    .expect("valid");
    assert_eq!(s.listen_port, 4000);
    assert_eq!(s.db.db_host, "envhost");
    assert_eq!(s.db.db_name, "lower");
    assert_eq!(s.db.db_user, "postgres", "empty variables are ignored");
}

#[test]
fn upper_case_spelling_wins_with_a_warning() {
    let s = load(None, &[("VTT_DbHost", "mixed"), ("VTT_DBHOST", "upper")]).expect("valid");
    assert_eq!(s.db.db_host, "upper");
    assert!(
        s.warnings.iter().any(|w| w.contains("VTT_DbHost")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn unknown_variables_warn() {
    let s = load(None, &[("VTT_LISTENPROT", "1")]).expect("valid");
    assert!(s.warnings.iter().any(|w| w.contains("VTT_LISTENPROT")));
}

#[test]
fn legacy_port_word_means_5432() {
    let s = load(Some("DbPort = \"postgres\""), &[]).expect("valid");
    assert_eq!(s.db.db_port, 5432);
}

#[test]
fn empty_db_host_is_accepted() {
    // The deployer may leave the host to the secret; start-up checks a host was found.
    let s = load(Some("DbHost = \"\"\nDbSecretId = \"prod/db\""), &[]).expect("valid");
    assert_eq!(s.db.db_host, "");
    let s = load(Some("DbHost = \"  \""), &[]).expect("valid");
    assert_eq!(s.db.db_host, "");
}

#[test]
fn new_keys() {
    let s = load(
        None,
        &[
            ("VTT_DBPOOLSIZE", "3"),
            ("VTT_DBSSLMODE", "VERIFY-FULL"),
            ("VTT_DBSECRETID", "prod/db"),
            ("VTT_DBTIMEOUTMS", "500"),
            ("VTT_SHUTDOWNTIMEOUTSECS", "5"),
        ],
    )
    .expect("valid");
    assert_eq!(s.db.db_pool_size, 3);
    assert_eq!(s.db.db_ssl_mode, SslMode::VerifyFull);
    assert_eq!(s.db.db_secret_id.as_deref(), Some("prod/db"));
    assert_eq!(s.db.db_timeout, Duration::from_millis(500));
    assert_eq!(s.shutdown_timeout, Duration::from_secs(5));
}

#[test]
fn every_bad_value_is_a_clear_error() {
    let cases: &[(&str, &str, &str)] = &[
        ("VTT_DBTYPE", "mysql", "dbtype"),
        ("VTT_DBPORT", "0", "dbport"),
        ("VTT_DBPORT", "70000", "dbport"),
        ("VTT_DBPORT", "abc", "dbport"),
        ("VTT_LISTENPORT", "-1", "listenport"),
        ("VTT_LISTENPORT", "http", "listenport"),
        ("VTT_DBPOOLSIZE", "0", "dbpoolsize"),
        ("VTT_DBPOOLSIZE", "many", "dbpoolsize"),
        ("VTT_DBSSLMODE", "allow-ish", "dbsslmode"),
        ("VTT_DBSSLROOTCERT", "/nonexistent/ca.pem", "dbsslrootcert"),
        ("VTT_DBTIMEOUTMS", "1", "dbtimeoutms"),
        ("VTT_SHUTDOWNTIMEOUTSECS", "x", "shutdowntimeoutsecs"),
    ];
    for (var, value, key) in cases {
        match load(None, &[(var, value)]) {
            Err(ConfigError::Invalid { key: k, origin, .. }) => {
                assert_eq!(&k, key, "{var}={value}");
                assert_eq!(origin, Origin::Env((*var).to_owned()));
            }
            other => panic!("{var}={value}: expected an error, got {other:?}"),
        }
    }
}

#[test]
fn bad_files_are_clear_errors() {
    for text in [
        "DbUser = ",
        "DbUser = [1]",
        "[DbUser]\nx = 1",
        "DbUser = \"a\"\nDbUser = \"b\"",
    ] {
        let err = load(Some(text), &[]).expect_err(text);
        assert!(matches!(err, ConfigError::File { .. }), "{text:?}: {err}");
    }
    let err = load(Some("DbPort = 1.5"), &[]).expect_err("float port");
    assert!(err.to_string().contains("conf.toml"), "{err}");
}

#[test]
fn the_password_is_never_shown() {
    let s = load(None, &[("VTT_DBPASSWORD", "hunter2")]).expect("valid");
    assert!(!format!("{s:?}").contains("hunter2"));
    let json = serde_json::to_string(&s.db).expect("serialises");
    assert!(!json.contains("hunter2"), "{json}");
}

#[test]
fn non_utf8_variable_is_an_error() {
    use std::os::unix::ffi::OsStringExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let vars = vec![(
        OsString::from("VTT_DBHOST"),
        OsString::from_vec(vec![0xff, 0xfe]),
    )];
    assert!(Settings::load_from(dir.path(), vars).is_err());
}
