//! The `techchallenge` binary end to end: render, validate, and the exit codes and messages a
//! user sees for bad input.

use std::path::Path;
use std::process::{Command, Output};

fn techchallenge(args: &[&str], cwd: &Path) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_techchallenge"))
        .args(args)
        .current_dir(cwd)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("cannot run techchallenge: {e}"),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tempdir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    }
}

#[test]
fn render_writes_one_file_per_stack_and_is_byte_for_byte_repeatable() {
    let dir = tempdir();
    for (sub, format) in [("a", "yaml"), ("b", "yaml"), ("j", "json")] {
        let out = techchallenge(
            &["render", "all", "--format", format, "--out", sub],
            dir.path(),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    for stack in ["network", "database", "application"] {
        let name = format!("techchallenge-dev-{stack}");
        let a =
            std::fs::read(dir.path().join("a").join(format!("{name}.yaml"))).unwrap_or_default();
        let b =
            std::fs::read(dir.path().join("b").join(format!("{name}.yaml"))).unwrap_or_default();
        assert!(!a.is_empty());
        assert_eq!(a, b, "{name} renders the same bytes twice");
        let json = std::fs::read_to_string(dir.path().join("j").join(format!("{name}.json")))
            .unwrap_or_default();
        assert!(
            serde_json::from_str::<serde_json::Value>(&json).is_ok(),
            "{name}.json is JSON"
        );
    }
}

#[test]
fn render_one_stack_to_stdout_in_long_form() {
    let out = techchallenge(&["render", "database"], &std::env::temp_dir());
    assert!(out.status.success());
    let yaml = text(&out.stdout);
    assert!(
        yaml.starts_with("--- # techchallenge-dev-database\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains("Fn::GetAtt:\n      - Database\n      - Endpoint.Address"),
        "{yaml}"
    );
    assert!(
        !yaml.contains("techchallenge-dev-network\n"),
        "only the database stack"
    );
}

#[test]
fn validate_passes_the_rendered_architecture() {
    let out = techchallenge(
        &["validate", "--env", "qa", "--region", "eu-west-2"],
        &std::env::temp_dir(),
    );
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout)
            .starts_with("ok: 5 templates pass every architecture rule and 1 Guard rule file(s)")
    );
}

#[test]
fn validate_refuses_a_broken_template_naming_rule_and_resource() {
    let dir = tempdir();
    let out = techchallenge(
        &["render", "all", "--format", "json", "--out", "t"],
        dir.path(),
    );
    assert!(out.status.success());
    let path = dir.path().join("t/techchallenge-dev-application.json");
    let mut template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
            .unwrap_or_default();
    template["Resources"]["InstanceSecurityGroup"]["Properties"]["SecurityGroupIngress"] = serde_json::json!([
        {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000, "CidrIp": "0.0.0.0/0", "Description": "open"}
    ]);
    std::fs::write(&path, template.to_string()).unwrap_or_default();
    let out = techchallenge(&["validate", "--dir", "t"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("[world-ingress] techchallenge-dev-application/InstanceSecurityGroup: admits tcp port 3000 from anywhere"),
        "{stdout}"
    );
}

#[test]
fn validate_refuses_a_dangling_reference_in_a_file() {
    let dir = tempdir();
    assert!(
        techchallenge(&["render", "network", "--out", "t"], dir.path())
            .status
            .success()
    );
    let path = dir.path().join("t/techchallenge-dev-network.yaml");
    let yaml = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("Ref: InternetGateway\n", "Ref: InternetGatewayy\n");
    std::fs::write(&path, yaml).unwrap_or_default();
    let out = techchallenge(&["validate", "--dir", "t"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout)
            .contains("refers to InternetGatewayy, which is not a parameter or resource"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_settings_and_flags_exit_2_with_the_key_named() {
    let dir = tempdir();
    let out = techchallenge(&["render", "--min-instances", "1"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("invalid setting `application.min_instances` = 1"),
        "{}",
        text(&out.stderr)
    );

    std::fs::write(
        dir.path().join("techchallenge.toml"),
        "[database]\nmulti_az = false\n",
    )
    .unwrap_or_default();
    let out = techchallenge(&["render"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown field `multi_az`"),
        "{}",
        text(&out.stderr)
    );

    let out = techchallenge(&["render", "--config", "missing.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read settings file missing.toml"),
        "{}",
        text(&out.stderr)
    );

    let out = techchallenge(&["render", "everything"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("invalid value 'everything'"),
        "{}",
        text(&out.stderr)
    );

    let out = techchallenge(&["validate", "--dir", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("holds no *.json, *.yaml or *.yml template"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_settings_file_in_the_current_directory_is_used() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("techchallenge.toml"),
        "environment = \"demo\"\n",
    )
    .unwrap_or_default();
    let out = techchallenge(&["render", "network"], dir.path());
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("techchallenge-demo-network-VpcId"));
}

#[test]
fn guard_rules_run_built_in_and_from_the_user() {
    let dir = tempdir();
    assert!(
        techchallenge(
            &["render", "all", "--format", "json", "--out", "t"],
            dir.path()
        )
        .status
        .success()
    );
    let path = dir.path().join("t/techchallenge-dev-database.json");
    let mut template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
            .unwrap_or_default();
    template["Resources"]["Database"]["Properties"]["MultiAZ"] = serde_json::json!(false);
    std::fs::write(&path, template.to_string()).unwrap_or_default();
    let out = techchallenge(&["validate", "--dir", "t"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("[guard:RDS_MULTI_AZ_SUPPORT] techchallenge-dev-database/Database: the database must run Multi-AZ"),
        "{stdout}"
    );

    let rules = dir.path().join("strict.guard");
    std::fs::write(
        &rules,
        "let dbs = Resources.*[ Type == 'AWS::RDS::DBInstance' ]\nrule DB_CLASS_LARGE when %dbs !empty {\n    %dbs.Properties.DBInstanceClass == 'db.r7g.large' <<use db.r7g.large in production>>\n}\n",
    )
    .unwrap_or_default();
    let out = techchallenge(&["validate", "--guard-rules", "strict.guard"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("[guard:DB_CLASS_LARGE] techchallenge-dev-database/Database: use db.r7g.large in production"),
        "{}",
        text(&out.stdout)
    );

    std::fs::write(&rules, "rule broken {\n").unwrap_or_default();
    let out = techchallenge(&["validate", "--guard-rules", "strict.guard"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("Guard rules strict.guard do not parse"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_removed_release_zip_path_is_refused_with_the_reason() {
    let dir = tempdir();
    let out = techchallenge(
        &["render", "--app-release-url", "https://example.com/a.zip"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--app-release-url"), "{stderr}");
    assert!(stderr.contains("was removed"), "{stderr}");
    assert!(stderr.contains("drop-in replacement"), "{stderr}");
}

#[test]
fn settings_aws_would_refuse_are_refused_by_render_with_the_rule() {
    let dir = tempdir();
    for (flags, expected) in [
        (
            &[
                "--min-instances",
                "3",
                "--max-instances",
                "3",
                "--desired-instances",
                "3",
            ][..],
            "MinInstancesInService below MaxSize",
        ),
        (&["--instance-type", "m7g.large"][..], "Graviton (arm64)"),
    ] {
        let mut args = vec!["render"];
        args.extend_from_slice(flags);
        let out = techchallenge(&args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        assert!(
            text(&out.stderr).contains(expected),
            "{}",
            text(&out.stderr)
        );
    }
    std::fs::write(
        dir.path().join("techchallenge.toml"),
        "[database]\nengine_version = \"16\"\n",
    )
    .unwrap_or_default();
    let out = techchallenge(&["render", "database", "--format", "json"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"EngineVersion\": \"16\""));
}
