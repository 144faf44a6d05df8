//! The settings file and the flags: defaults with no file, TOML, flags over the file, the
//! deploy-time keys taken out of the template settings, and errors that name the key.

use std::path::PathBuf;

use clap::Parser;

use super::{Config, load};
use crate::cli::Cli;

/// Loads the configuration of a `render` command line with `file` (if any) as its settings.
fn config_of(file: Option<&str>, flags: &[&str]) -> Result<Config, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut args = vec!["techchallenge".to_owned(), "render".to_owned()];
    if let Some(text) = file {
        let path = dir.path().join("techchallenge.toml");
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        args.extend(["--config".to_owned(), path.display().to_string()]);
    }
    args.extend(flags.iter().map(|f| (*f).to_owned()));
    let cli = Cli::try_parse_from(args).map_err(|e| e.to_string())?;
    load(&cli.global).map_err(|e| e.to_string())
}

fn error_of(file: &str) -> String {
    match config_of(Some(file), &[]) {
        Ok(_) => panic!("{file} should be refused"),
        Err(e) => e,
    }
}

#[test]
fn no_file_means_the_default_settings() {
    let config = config_of(None, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.settings, techchallenge_stacks::Settings::default());
    assert_eq!(config.aws.region, None);
    assert_eq!(config.app_binary, None);
}

#[test]
fn a_file_sets_values_and_flags_win() {
    let config = config_of(
        Some("environment = \"prod\"\nregion = \"eu-west-1\"\n[application]\nmin_instances = 3\nmax_instances = 6\ndesired_instances = 3\napp_binary = \"build/app\"\n"),
        &["--desired-instances", "4", "--region", "eu-west-2"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.settings.environment, "prod");
    assert_eq!(config.settings.application.min_instances, 3);
    assert_eq!(config.settings.application.desired_instances, 4);
    assert_eq!(config.aws.region.as_deref(), Some("eu-west-2"));
    assert_eq!(config.app_binary, Some(PathBuf::from("build/app")));

    let config = config_of(Some("region = \"eu-west-1\"\n"), &["--app-binary", "x"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.aws.region.as_deref(), Some("eu-west-1"));
    assert_eq!(config.app_binary, Some(PathBuf::from("x")));
}

#[test]
fn unknown_keys_and_wrong_types_name_the_key_and_the_line() {
    let e = error_of("[application]\nmin_instance = 2\n");
    assert!(e.contains("unknown field `min_instance`"), "{e}");
    assert!(e.contains("line 2"), "{e}");
    let e = error_of("[database]\nallocated_storage_gib = \"big\"\n");
    assert!(e.contains("allocated_storage_gib"), "{e}");
    let e = error_of("region = 5\n");
    assert!(e.contains("region") && e.contains("line 1"), "{e}");
    let e = error_of("[application]\napp_binary = [1]\n");
    assert!(e.contains("app_binary") && e.contains("line 2"), "{e}");
    let e = error_of("[application\n");
    assert!(e.starts_with("settings file "), "{e}");
}

#[test]
fn invalid_values_name_the_key_and_say_what_is_accepted() {
    let e = error_of("region = \"mars\"");
    assert!(e.starts_with("invalid setting `region`"), "{e}");
    assert!(e.contains(": use "), "{e}");
    let e = config_of(None, &["--region", "EU"])
        .err()
        .unwrap_or_default();
    assert!(e.starts_with("invalid setting `region`"), "{e}");
    let e = config_of(None, &["--min-instances", "1"])
        .err()
        .unwrap_or_default();
    assert!(
        e.starts_with("invalid setting `application.min_instances` = 1"),
        "{e}"
    );
}

#[test]
fn the_removed_release_url_is_refused_with_the_reason() {
    let e = error_of("[application]\napp_release_url = \"https://example.com/a.zip\"\n");
    assert!(e.contains("application.app_release_url"), "{e}");
    assert!(e.contains("was removed"), "{e}");
    let e = config_of(None, &["--app-release-url", "https://example.com/a.zip"])
        .err()
        .unwrap_or_default();
    assert!(
        e.contains("--app-release-url") && e.contains("drop-in replacement"),
        "{e}"
    );
}
