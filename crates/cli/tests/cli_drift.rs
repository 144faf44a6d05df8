//! `drift` on the fake CloudFormation: it lists what was changed outside the deployer (exit 1)
//! or says everything is in sync (exit 0), says why a detection could not run (exit 1), and
//! `plan` then warns about a drifted stack from what DescribeStacks already says, with no drift
//! call of its own.

mod common;

use common::World;
use serde_json::Value;
use techchallenge_deploy::fake::DriftScript;
use techchallenge_deploy::{
    DifferenceKind, LogicalId, PropertyDifference, ResourceDrift, ResourceDriftStatus,
};

const APPLICATION: &str = "techchallenge-dev-application";
const DATABASE: &str = "techchallenge-dev-database";

fn resized_database() -> ResourceDrift {
    ResourceDrift {
        logical_id: LogicalId::new("Database"),
        physical_id: Some("techchallenge-dev-db".to_owned()),
        resource_type: "AWS::RDS::DBInstance".to_owned(),
        status: ResourceDriftStatus::Modified,
        differences: vec![PropertyDifference {
            path: "/DBInstanceClass".to_owned(),
            expected: "db.t4g.micro".to_owned(),
            actual: "db.t4g.large".to_owned(),
            kind: DifferenceKind::NotEqual,
        }],
    }
}

fn drift_calls(w: &World) -> usize {
    w.fake
        .calls()
        .iter()
        .filter(|c| c.contains("Drift"))
        .count()
}

#[tokio::test(start_paused = true)]
async fn drift_lists_console_edits_and_plan_then_warns() {
    let w = World::new();
    // Nothing deployed: nothing drifted.
    let (code, out) = w.run(&["drift"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(out.stdout().contains(&format!("{DATABASE}: not deployed")));

    assert_eq!(w.run(&["deploy", "--yes"], "", false).await.0, 0);
    w.fake
        .set_drift(DATABASE, DriftScript::Drifted(vec![resized_database()]));
    let (code, out) = w.run(&["drift"], "", false).await;
    assert_eq!(code, 1, "{}", out.stderr());
    let text = out.stdout();
    assert!(
        text.contains(&format!("{DATABASE}: DRIFTED (1 resource)")),
        "{text}"
    );
    assert!(
        text.contains("  ~ Database (AWS::RDS::DBInstance) MODIFIED"),
        "{text}"
    );
    assert!(
        text.contains("      /DBInstanceClass: db.t4g.micro → db.t4g.large"),
        "{text}"
    );
    assert!(text.contains(&format!("{APPLICATION}: IN_SYNC")), "{text}");

    let (code, out) = w.run(&["drift", "database", "--json"], "", false).await;
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&out.stdout()).expect("one JSON object");
    assert_eq!(json["in_sync"], false);
    assert_eq!(json["stacks"][0]["result"], "drifted");
    assert_eq!(
        json["stacks"][0]["resources"][0]["differences"][0]["actual"],
        "db.t4g.large"
    );

    // plan warns, from DescribeStacks alone.
    let before = drift_calls(&w);
    let (code, out) = w.run(&["plan"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(
        out.stdout().contains(&format!(
            "Warning: {DATABASE} was last found DRIFTED (checked "
        )) && out.stdout().contains(
            "a change set may overwrite console edits without showing them (this status dates from the last check): run `techchallenge drift` to see them"
        ),
        "{}",
        out.stdout()
    );
    assert!(!out.stdout().contains(&format!("Warning: {APPLICATION}")));
    assert_eq!(drift_calls(&w), before, "plan makes no drift call");

    // The edit undone: in sync again, exit 0, and no more warning.
    w.fake.set_drift(DATABASE, DriftScript::InSync);
    let (code, out) = w.run(&["drift"], "", false).await;
    assert_eq!(code, 0, "{}", out.stdout());
    let (_, out) = w.run(&["plan"], "", false).await;
    assert!(!out.stdout().contains("DRIFTED"), "{}", out.stdout());
}

#[tokio::test(start_paused = true)]
async fn a_detection_that_cannot_run_says_why_and_fails() {
    let w = World::new();
    assert_eq!(w.run(&["deploy", "--yes"], "", false).await.0, 0);
    w.fake.set_drift(
        APPLICATION,
        DriftScript::Fail {
            reason: "Drift detection is not supported by this endpoint".to_owned(),
        },
    );
    let (code, out) = w.run(&["drift", "application"], "", false).await;
    assert_eq!(code, 1);
    assert!(
        out.stdout().contains(&format!(
            "{APPLICATION}: not checked: Drift detection is not supported by this endpoint"
        )),
        "{}",
        out.stdout()
    );
}
