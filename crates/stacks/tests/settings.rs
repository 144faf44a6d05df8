//! Template settings: the defaults are valid, and every invalid value is refused naming its key
//! and saying what is accepted. (Reading the settings file and applying flags is the CLI's job:
//! `crates/cli/src/config/tests.rs`.)

use techchallenge_stacks::Settings;

/// Settings from TOML text, as the CLI deserialises the file's template part.
fn parse(text: &str) -> Settings {
    match toml::from_str(text) {
        Ok(s) => s,
        Err(e) => panic!("{text} parses: {e}"),
    }
}

fn error_of(text: &str) -> String {
    match parse(text).validate() {
        Ok(()) => panic!("{text} should be refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn defaults_deploy_the_seed_architecture_without_a_file() {
    let s = Settings::default();
    assert_eq!(s.validate(), Ok(()));
    assert_eq!(s.environment, "dev");
    assert_eq!(s.application.min_instances, 2);
    assert_eq!(s.network.vpc_cidr, "10.0.0.0/16");
}

#[test]
fn invalid_values_name_the_key_and_say_what_is_accepted() {
    for (text, key) in [
        ("environment = \"Prod_1\"", "`environment`"),
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
            "[application]\nmin_instances = 3\nmax_instances = 3\ndesired_instances = 3",
            "`application.max_instances`",
        ),
        (
            "[application]\ninstance_type = \"t4g.micro\"",
            "`application.instance_type`",
        ),
        (
            "[database]\nengine_version = \"17.\"",
            "`database.engine_version`",
        ),
        (
            "[application]\ncertificate_arn = \"abc\"",
            "`application.certificate_arn`",
        ),
        (
            "[application]\ntarget_requests_per_instance = 0",
            "`application.target_requests_per_instance`",
        ),
        (
            "[monitoring]\nnotification_email = \"ops\"",
            "`monitoring.notification_email`",
        ),
        (
            "[monitoring]\nrollback_window_minutes = 181",
            "`monitoring.rollback_window_minutes`",
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

#[test]
fn aws_rules_are_named_in_the_refusal() {
    // CloudFormation requires MinInstancesInService (min_instances) below MaxSize.
    let e = error_of("[application]\nmin_instances = 2\nmax_instances = 2");
    assert!(e.contains("MinInstancesInService below MaxSize"), "{e}");
    assert!(e.contains("use 3 to 100"), "{e}");
    // Graviton families cannot start the x86_64 AMI and build.
    for arm in [
        "t4g.micro",
        "m7g.large",
        "c7gn.xlarge",
        "x2gd.medium",
        "a1.large",
        "im4gn.large",
    ] {
        let e = error_of(&format!("[application]\ninstance_type = \"{arm}\""));
        assert!(e.contains("Graviton (arm64)"), "{arm}: {e}");
    }
    for x86 in [
        "t3.micro",
        "m7i.large",
        "c6a.large",
        "g4dn.xlarge",
        "x2iedn.xlarge",
        "r5.large",
    ] {
        let mut s = Settings::default();
        s.application.instance_type = x86.to_owned();
        assert_eq!(s.validate(), Ok(()), "{x86}");
    }
}

#[test]
fn the_engine_version_is_a_major_by_default_and_may_pin_a_minor() {
    assert_eq!(Settings::default().database.engine_version, "17");
    for ok in ["14", "16", "17", "17.9", "18.1"] {
        let mut s = Settings::default();
        s.database.engine_version = ok.to_owned();
        assert_eq!(s.validate(), Ok(()), "{ok}");
    }
    let e = error_of("[database]\nengine_version = \"13\"");
    assert!(e.contains("major version"), "{e}");
}

#[test]
fn user_tags_are_checked_against_what_aws_accepts() {
    let ok = parse("[tags]\ncost-center = \"4711\"\nowner = \"team@example.com\"");
    assert_eq!(ok.validate(), Ok(()));
    for (text, why) in [
        ("[tags]\n\"aws:foo\" = \"x\"", "reserved for AWS"),
        ("[tags]\n\"AWS:foo\" = \"x\"", "reserved for AWS"),
        (
            "[tags]\nmanaged-by = \"me\"",
            "the deployer sets managed-by itself",
        ),
        ("[tags]\nName = \"x\"", "the deployer sets Name itself"),
        ("[tags]\nowner = \"a;b\"", "value of at most 256"),
        ("[tags]\n\"\" = \"x\"", "key of 1 to 128"),
    ] {
        let e = error_of(text);
        assert!(e.starts_with("invalid setting `tags`"), "{text}: {e}");
        assert!(e.contains(why), "{text}: {e}");
    }
    let long_key = format!("[tags]\n{} = \"x\"", "k".repeat(129));
    assert!(error_of(&long_key).contains("key of 1 to 128"));
    let long_value = format!("[tags]\nk = \"{}\"", "v".repeat(257));
    assert!(error_of(&long_value).contains("value of at most 256"));
    let many: String = (0..41).map(|i| format!("t{i} = \"x\"\n")).collect();
    assert!(error_of(&format!("[tags]\n{many}")).contains("at most 40"));
}

#[test]
fn monitoring_takes_one_address_and_a_window_cloudformation_accepts() {
    let s = Settings::default();
    assert_eq!(s.monitoring.notification_email, None);
    assert_eq!(s.monitoring.rollback_window_minutes, 0);
    let ok = parse(
        "[monitoring]\nnotification_email = \"ops+alarms@mail.example.com\"\nrollback_window_minutes = 180",
    );
    assert_eq!(ok.validate(), Ok(()));
    for bad in [
        "",
        "ops@",
        "@example.com",
        "ops@localhost",
        "ops@example..com",
        "ops@-example.com",
        "two words@example.com",
        "a@b@example.com",
        ".ops@example.com",
        "ops,dev@example.com",
    ] {
        let e = error_of(&format!("[monitoring]\nnotification_email = \"{bad}\""));
        assert!(
            e.starts_with("invalid setting `monitoring.notification_email`"),
            "{bad:?}: {e}"
        );
    }
    let long = format!("{}@example.com", "a".repeat(65));
    let e = error_of(&format!("[monitoring]\nnotification_email = \"{long}\""));
    assert!(e.contains("one e-mail address"), "{e}");
    assert!(error_of("[monitoring]\nrollback_window_minutes = 181").contains("0 to 180"));
}

#[test]
fn scaling_on_traffic_has_a_default_target_and_a_range() {
    assert_eq!(
        Settings::default().application.target_requests_per_instance,
        1000
    );
    for ok in [10, 100_000] {
        let mut s = Settings::default();
        s.application.target_requests_per_instance = ok;
        assert_eq!(s.validate(), Ok(()), "{ok}");
    }
    let e = error_of("[application]\ntarget_requests_per_instance = 100001");
    assert!(e.contains("use 10 to 100000"), "{e}");
}
