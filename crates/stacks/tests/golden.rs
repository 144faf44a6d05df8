//! Golden templates: the rendered YAML of each of the five stacks with the default settings, kept in
//! `tests/golden/`, so every change to what CloudFormation receives shows up in review as a diff.
//! After an intended change, refresh them with `UPDATE_GOLDEN=1 cargo test -p techchallenge-stacks --test golden`.

use std::path::PathBuf;

use techchallenge_stacks::{Architecture, Settings, StackRole};

fn check(role: StackRole) {
    let architecture = match Architecture::new(&Settings::default()) {
        Ok(a) => a,
        Err(e) => panic!("the architecture must build: {e}"),
    };
    let Some(stack) = architecture.stack(role) else {
        panic!("no {role} stack")
    };
    let rendered = match stack.template.to_yaml() {
        Ok(y) => y,
        Err(e) => panic!("{role} must render: {e}"),
    };
    matches_golden(&format!("{role}.yaml"), &rendered);
}

/// `rendered` is what `tests/golden/NAME` holds (or, with `UPDATE_GOLDEN=1`, becomes it).
fn matches_golden(name: &str, rendered: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Err(e) = std::fs::write(&path, rendered) {
            panic!("cannot write {}: {e}", path.display());
        }
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        golden == rendered,
        "{} changed; if the change is intended, run \
         UPDATE_GOLDEN=1 cargo test -p techchallenge-stacks --test golden and review the diff",
        path.display()
    );
}

#[test]
fn network() {
    check(StackRole::Network);
}

#[test]
fn artifacts() {
    check(StackRole::Artifacts);
}

#[test]
fn database_access() {
    check(StackRole::DatabaseAccess);
}

#[test]
fn database() {
    check(StackRole::Database);
}

#[test]
fn application() {
    check(StackRole::Application);
}

/// The CloudWatch agent's configuration the boot script installs: it cannot run here, so what it
/// is given is reviewed as a golden file.
#[test]
fn cloudwatch_agent_config() {
    let naming = techchallenge_stacks::Naming::new("dev");
    let rendered = techchallenge_stacks::application::cloudwatch_agent_config(&naming) + "\n";
    matches_golden("cloudwatch-agent.json", &rendered);
    let config: serde_json::Value = serde_json::from_str(&rendered).unwrap_or_default();
    let file = &config["logs"]["logs_collected"]["files"]["collect_list"][0];
    assert_eq!(
        file["file_path"],
        techchallenge_stacks::application::APP_LOG_FILE
    );
    assert_eq!(file["log_group_name"], "/techchallenge/dev/app");
    assert_eq!(file["log_stream_name"], "{instance_id}");
}
