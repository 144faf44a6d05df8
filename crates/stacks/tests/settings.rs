//! Settings: defaults with no file, TOML, flags over the file, and errors that name the key.

use techchallenge_stacks::{Overrides, Settings, SettingsError};

fn error_of(text: &str) -> String {
    match Settings::from_toml(text, "test.toml")
        .and_then(|s| s.with_overrides(Overrides::default()))
    {
        Ok(_) => panic!("{text} should be refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn defaults_deploy_the_seed_architecture_without_a_file() {
    let s = Settings::default().with_overrides(Overrides::default());
    let Ok(s) = s else {
        panic!("defaults must be valid")
    };
    assert_eq!(s.environment, "dev");
    assert_eq!(s.application.min_instances, 2);
    assert_eq!(s.network.vpc_cidr, "10.0.0.0/16");
}

#[test]
fn a_file_sets_values_and_flags_win() -> Result<(), SettingsError> {
    let dir = tempfile::tempdir().map_err(|e| SettingsError::Read {
        path: "tmp".into(),
        reason: e.to_string(),
    })?;
    let path = dir.path().join("techchallenge.toml");
    std::fs::write(&path, "environment = \"prod\"\n[application]\nmin_instances = 3\nmax_instances = 6\ndesired_instances = 3\n")
        .map_err(|e| SettingsError::Read { path: "tmp".into(), reason: e.to_string() })?;
    let s = Settings::from_file(&path)?.with_overrides(Overrides {
        desired_instances: Some(4),
        region: Some("eu-west-2".into()),
        ..Overrides::default()
    })?;
    assert_eq!(s.environment, "prod");
    assert_eq!(s.application.min_instances, 3);
    assert_eq!(s.application.desired_instances, 4);
    assert_eq!(s.region.as_deref(), Some("eu-west-2"));
    Ok(())
}

#[test]
fn unknown_keys_and_wrong_types_name_the_key() {
    let e = error_of("[application]\nmin_instance = 2\n");
    assert!(e.contains("unknown field `min_instance`"), "{e}");
    let e = error_of("[database]\nallocated_storage_gib = \"big\"\n");
    assert!(e.contains("allocated_storage_gib"), "{e}");
}

#[test]
fn invalid_values_name_the_key_and_say_what_is_accepted() {
    for (text, key) in [
        ("environment = \"Prod_1\"", "`environment`"),
        ("region = \"mars\"", "`region`"),
        ("[network]\nvpc_cidr = \"8.8.0.0/16\"", "`network.vpc_cidr`"),
        (
            "[database]\ninstance_class = \"t3.micro\"",
            "`database.instance_class`",
        ),
        (
            "[database]\nallocated_storage_gib = 5",
            "`database.allocated_storage_gib`",
        ),
        (
            "[database]\nengine_version = \"9.6\"",
            "`database.engine_version`",
        ),
        (
            "[database]\nbackup_retention_days = 0",
            "`database.backup_retention_days`",
        ),
        (
            "[application]\nmin_instances = 1",
            "`application.min_instances`",
        ),
        (
            "[application]\nmax_instances = 1",
            "`application.max_instances`",
        ),
        (
            "[application]\ndesired_instances = 9",
            "`application.desired_instances`",
        ),
        (
            "[application]\ninstance_type = \"huge\"",
            "`application.instance_type`",
        ),
        (
            "[application]\ncertificate_arn = \"abc\"",
            "`application.certificate_arn`",
        ),
        (
            "[application]\napp_release_url = \"ftp://x/a.zip\"",
            "`application.app_release_url`",
        ),
    ] {
        let e = error_of(text);
        assert!(
            e.starts_with(&format!("invalid setting {key}")),
            "{text}: {e}"
        );
        assert!(e.contains(": use "), "the error says what to use: {e}");
    }
}
