//! Drift detection against the scripted fake: every deployed stack is checked (detections
//! started together, then polled), a drifted stack lists its modified and deleted resources
//! with the differing properties, a missing stack is not checked, a failed detection says why,
//! and the result then shows in `DescribeStacks`, which is all `plan` reads to warn about it:
//! a no-op plan of a drifted stack still makes no drift call.

mod common;

use common::*;
use techchallenge_deploy::fake::DriftScript;
use techchallenge_deploy::{
    DifferenceKind, DriftStatus, LogicalId, Method, PropertyDifference, ResourceDrift,
    ResourceDriftStatus, StackDrift,
};

fn resized_database() -> ResourceDrift {
    ResourceDrift {
        logical_id: LogicalId::new("Database"),
        physical_id: Some("dev-db".to_owned()),
        resource_type: "AWS::RDS::DBInstance".to_owned(),
        status: ResourceDriftStatus::Modified,
        differences: vec![PropertyDifference {
            path: "/DBInstanceClass".to_owned(),
            expected: "db.t3.micro".to_owned(),
            actual: "db.t3.large".to_owned(),
            kind: DifferenceKind::NotEqual,
        }],
    }
}

#[tokio::test(start_paused = true)]
async fn every_deployed_stack_is_checked_and_drift_is_listed() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &network_and_database(), Method::ChangeSet).await;
    fake.set_drift("db", DriftScript::Drifted(vec![resized_database()]));
    let results = engine.drift(&all()).await.expect("drift");
    let by_stack = |s: &str| {
        results
            .iter()
            .find(|r| r.stack().as_str() == s)
            .cloned()
            .expect("a result per stack")
    };
    assert_eq!(
        by_stack("app"),
        StackDrift::NotDeployed { stack: name("app") }
    );
    assert_eq!(by_stack("net"), StackDrift::InSync { stack: name("net") });
    assert_eq!(
        by_stack("db"),
        StackDrift::Drifted {
            stack: name("db"),
            resources: vec![resized_database()],
            unchecked: None
        }
    );
    // Results in the order given; detections started on both stacks before either is polled.
    assert_eq!(results[0].stack().as_str(), "app");
    let calls = fake.calls();
    assert!(
        position(&calls, "DetectStackDrift db")
            < position(&calls, "DescribeStackDriftDetectionStatus net")
    );
    assert_eq!(fake.calls_of("DetectStackDrift").len(), 2);
    assert_eq!(
        fake.calls_of("DescribeStackResourceDrifts"),
        ["DescribeStackResourceDrifts db"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_detection_says_why() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &[network()], Method::ChangeSet).await;
    fake.set_drift(
        "net",
        DriftScript::Fail {
            reason: "Failed to detect drift on resource [Vpc]".to_owned(),
        },
    );
    let results = engine.drift(&[network()]).await.expect("drift");
    assert_eq!(
        results,
        [StackDrift::NotChecked {
            stack: name("net"),
            reason: "Failed to detect drift on resource [Vpc]".to_owned()
        }]
    );
}

#[tokio::test(start_paused = true)]
async fn the_plan_knows_the_last_drift_without_asking_again() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &all(), Method::ChangeSet).await;
    fake.set_drift("db", DriftScript::Drifted(vec![resized_database()]));
    engine.drift(&all()).await.expect("drift");
    let drift_calls = fake.calls().iter().filter(|c| c.contains("Drift")).count();
    let before = fake.calls().len();

    let plan = engine.plan(&all(), Method::ChangeSet).await.expect("plan");
    assert!(plan.is_empty(), "{plan}");
    let db = plan.stacks.iter().find(|p| p.stack.as_str() == "db");
    assert_eq!(
        db.and_then(|p| p.last_drift.as_ref()).map(|d| d.status),
        Some(DriftStatus::Drifted)
    );
    let net = plan.stacks.iter().find(|p| p.stack.as_str() == "net");
    assert_eq!(
        net.and_then(|p| p.last_drift.as_ref()).map(|d| d.status),
        Some(DriftStatus::InSync)
    );
    // The same seven calls as any no-op plan (see deploy_fake.rs), none about drift.
    let no_op = &fake.calls()[before..];
    assert_eq!(no_op.len(), 7, "{no_op:#?}");
    assert_eq!(
        fake.calls().iter().filter(|c| c.contains("Drift")).count(),
        drift_calls
    );
}

#[tokio::test(start_paused = true)]
async fn a_stack_in_a_status_cloudformation_cannot_check_is_reported_and_the_others_checked() {
    // CloudFormation refuses DetectStackDrift on, e.g., a stack a failed create left in
    // ROLLBACK_COMPLETE (the fake refuses it too); that must not end the check of the others.
    let Setup { fake, engine, .. } = setup();
    create(&engine, &[network()], Method::ChangeSet).await;
    fake.put_stack("db", &database_template("db.t3.micro"), "ROLLBACK_COMPLETE");
    let results = engine
        .drift(&[network(), database("db.t3.micro")])
        .await
        .expect("drift");
    assert!(
        matches!(&results[0], StackDrift::InSync { stack } if stack.as_str() == "net"),
        "{results:?}"
    );
    assert!(
        matches!(&results[1], StackDrift::NotChecked { stack, reason } if stack.as_str() == "db" && reason.contains("ROLLBACK_COMPLETE")),
        "{results:?}"
    );
    assert!(
        fake.calls_of("DetectStackDrift")
            .iter()
            .all(|c| !c.ends_with(" db"))
    );
}
