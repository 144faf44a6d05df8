//! A database created with deletion protection on cannot roll back a failed first create: RDS
//! refuses to delete a protected instance, and CloudFormation leaves the stack in
//! `ROLLBACK_FAILED`, which only hand work clears. The fake refuses such deletes as RDS does
//! (its `deletion_protected` rule). A spec can therefore hold a parameter back for the first
//! create (`on_first_create`): the database is created unprotected, and protected by an update
//! as soon as the create succeeded.

mod common;

use common::{Setup, deploy_err, deploy_with, name, network, setup, started_with};
use serde_json::json;
use techchallenge_deploy::fake::Script;
use techchallenge_deploy::{
    DeployOptions, Error, Method, Outcome, Parameter, PlanAction, StackAction, StackSpec,
};

/// A database stack whose last resource (made after the instance) fails to create.
fn database(first_create_unprotected: bool) -> StackSpec {
    let template = json!({
        "Parameters": {"DeletionProtection": {"Type": "String", "Default": "true"}},
        "Resources": {
            "Database": {"Type": "AWS::RDS::DBInstance", "Properties": {
                "Engine": "postgres", "DeletionProtection": {"Ref": "DeletionProtection"}}},
            "DatabaseAlarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Threshold": 1}}
        }
    })
    .to_string();
    let spec = StackSpec::new(name("db"), template)
        .depends_on(name("net"))
        .parameter(Parameter::new("DeletionProtection", "true"))
        .protect("Database", "the PostgreSQL instance holding every task")
        .before_delete(Parameter::new("DeletionProtection", "false"));
    if first_create_unprotected {
        spec.on_first_create(Parameter::new("DeletionProtection", "false"))
    } else {
        spec
    }
}

fn fail_after_the_database(fake: &techchallenge_deploy::fake::FakeCloudFormation) {
    fake.script(
        "db",
        Script::FailResource {
            logical_id: "DatabaseAlarm".to_owned(),
            reason: "Resource handler returned message: \"Invalid threshold\"".to_owned(),
        },
    );
}

#[tokio::test(start_paused = true)]
async fn a_protected_database_cannot_roll_back_a_failed_create() {
    let Setup { fake, engine, .. } = setup();
    fail_after_the_database(&fake);
    let plan = engine
        .plan(&[network(), database(false)], Method::Direct)
        .await
        .expect("plan");
    let err = deploy_err(&engine, &plan, "the create fails").await;
    let Error::StackFailed {
        status, failures, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(status.as_str(), "ROLLBACK_FAILED", "{err}");
    assert!(
        failures
            .iter()
            .any(|f| f.reason.contains("Cannot delete protected DB Instance")),
        "{failures:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unprotected_first_create_rolls_back_is_retried_and_ends_protected() {
    let Setup { fake, sink, engine } = setup();
    fail_after_the_database(&fake);
    let specs = [network(), database(true)];
    let plan = engine.plan(&specs, Method::Direct).await.expect("plan");
    let err = deploy_err(&engine, &plan, "the create fails").await;
    assert!(
        matches!(&err, Error::StackFailed { status, .. } if status.as_str() == "ROLLBACK_COMPLETE"),
        "rolled back cleanly: {err}"
    );
    assert_eq!(
        fake.parameters_of("db"),
        [("DeletionProtection".to_owned(), "false".to_owned())],
        "created unprotected"
    );

    // The retry needs no hand work: re-created (after a yes), then protected.
    let plan = engine.plan(&specs, Method::Direct).await.expect("plan");
    assert_eq!(plan.stacks[1].action, PlanAction::Recreate);
    let report = deploy_with(
        &engine,
        &plan,
        DeployOptions {
            confirm_recreate: true,
            ..DeployOptions::default()
        },
        "re-created",
    )
    .await;
    assert_eq!(report.stacks[1].outcome, Outcome::Created);
    assert!(started_with(&sink, StackAction::CompleteCreate));
    assert_eq!(
        fake.parameters_of("db"),
        [("DeletionProtection".to_owned(), "true".to_owned())],
        "protected once it exists"
    );
    assert_eq!(fake.status_of("db").as_deref(), Some("UPDATE_COMPLETE"));

    // Now protected, a delete is refused by RDS until destroy lifts the protection.
    let report = engine
        .destroy(&specs)
        .await
        .expect("destroy lifts it first");
    assert!(report.stacks.iter().all(|s| s.outcome == Outcome::Deleted));
}
