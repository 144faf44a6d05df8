//! The deploy engine over the real SDK against the moto emulator: creates an exporting and an
//! importing stack in order with the direct method (moto cannot execute change sets), shows their
//! outputs and exports, finds a second deploy a no-op, applies a changed parameter, reports status
//! and outputs, and refuses to destroy a stack whose export is imported. moto is shared state:
//! it is reset once per test binary, and the stacks are named after the run. Bounded in time.
//! Without moto the test skips with a note, unless `TESTS_REQUIRE_SERVICES=1`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use techchallenge_deploy::{
    CollectingSink, DeployOptions, DeployReport, Engine, EngineOptions, Error, Method, Outcome,
    Parameter, Plan, PlanAction, SdkCloudFormation, StackName, StackSpec,
};
use techchallenge_system_tests::moto::{self, bounded, run_prefix};

/// Deploys `plan`; `what` names the step if it fails.
async fn deploy(engine: &Engine, plan: &Plan, what: &str) -> DeployReport {
    engine
        .deploy(plan, DeployOptions::default())
        .await
        .unwrap_or_else(|err| panic!("{what}: {err}"))
}

/// Each stack's name and outcome, in report order.
fn outcomes(report: &DeployReport) -> Vec<(&str, Outcome)> {
    report
        .stacks
        .iter()
        .map(|s| (s.stack.as_str(), s.outcome))
        .collect()
}

fn exporter_template(export: &str, parameter_name: &str) -> String {
    json!({
        "Parameters": {"Greeting": {"Type": "String"}},
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.20.0.0/16"}},
            "GreetingParameter": {"Type": "AWS::SSM::Parameter", "Properties": {
                "Name": parameter_name, "Type": "String", "Value": {"Ref": "Greeting"}}}
        },
        "Outputs": {
            "VpcId": {"Value": {"Ref": "Vpc"}, "Export": {"Name": export}},
            "Greeting": {"Value": {"Ref": "Greeting"}}
        }
    })
    .to_string()
}

fn importer_template(export: &str) -> String {
    json!({
        "Resources": {
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Fn::ImportValue": export}, "CidrBlock": "10.20.1.0/24"}}
        },
        "Outputs": {"SubnetId": {"Value": {"Ref": "Subnet"}}}
    })
    .to_string()
}

#[tokio::test]
async fn deploys_updates_reports_and_protects_exports_on_moto() {
    let Some(url) = moto::url() else { return };
    bounded(
        Duration::from_secs(240),
        "the stacks scenario",
        stacks_scenario(url),
    )
    .await;
}

async fn stacks_scenario(url: String) {
    let run = run_prefix("cfn");
    let exporter = StackName::new(format!("{run}-exporter")).expect("valid");
    let importer = StackName::new(format!("{run}-importer")).expect("valid");
    let export = format!("{run}-VpcId");
    let exporter_spec = |greeting: &str| {
        StackSpec::new(
            exporter.clone(),
            exporter_template(&export, &format!("/{run}/greeting")),
        )
        .parameter(Parameter::new("Greeting", greeting))
        .tag("project", "techchallenge")
    };
    let importer_spec =
        StackSpec::new(importer.clone(), importer_template(&export)).depends_on(exporter.clone());

    let cfn = SdkCloudFormation::from_config(&moto::sdk_config(&url).await);
    let sink = Arc::new(CollectingSink::new());
    let options = EngineOptions {
        poll_interval: Duration::from_millis(200),
        timeout: Duration::from_secs(60),
        ..EngineOptions::default()
    };
    let engine = Engine::new(Arc::new(cfn), sink.clone(), options);

    // Create, in dependency order (the importer fails on moto if its export does not exist yet).
    let specs = vec![importer_spec.clone(), exporter_spec("hello")];
    let plan = engine
        .plan(&specs, Method::Direct)
        .await
        .expect("plan create");
    assert!(
        plan.stacks.iter().all(|s| s.action == PlanAction::Create),
        "{plan}"
    );
    assert_eq!(plan.stacks[0].stack, exporter);
    let report = deploy(&engine, &plan, "create").await;
    assert_eq!(
        outcomes(&report),
        [
            (exporter.as_str(), Outcome::Created),
            (importer.as_str(), Outcome::Created)
        ]
    );

    // Outputs and exports are visible.
    let outputs = engine
        .outputs(&[exporter.clone(), importer.clone()])
        .await
        .expect("outputs");
    let vpc = outputs[0]
        .1
        .iter()
        .find(|o| o.key == "VpcId")
        .expect("VpcId output");
    assert!(vpc.value.starts_with("vpc-"), "{vpc:?}");
    assert_eq!(
        vpc.export_name.as_ref().map(|e| e.as_str()),
        Some(export.as_str())
    );
    assert!(
        outputs[1]
            .1
            .iter()
            .any(|o| o.key == "SubnetId" && o.value.starts_with("subnet-")),
        "{outputs:?}"
    );

    // A second deploy is a no-op success.
    let plan = engine
        .plan(&specs, Method::Direct)
        .await
        .expect("plan again");
    assert!(plan.is_empty(), "{plan}");
    let report = deploy(&engine, &plan, "no-op deploy").await;
    assert!(
        outcomes(&report)
            .iter()
            .all(|(_, o)| *o == Outcome::NoChanges),
        "{report:?}"
    );

    // UpdateStack itself answering "No updates are to be performed." is a success too.
    let mut forced = plan.clone();
    forced.stacks[0].action = PlanAction::Update;
    let report = deploy(&engine, &forced, "no-op UpdateStack").await;
    assert_eq!(report.stacks[0].outcome, Outcome::NoChanges);

    // A changed parameter updates the exporter only.
    let specs = vec![importer_spec.clone(), exporter_spec("bonjour")];
    let plan = engine
        .plan(&specs, Method::Direct)
        .await
        .expect("plan update");
    assert_eq!(plan.stacks[0].action, PlanAction::Update, "{plan}");
    assert_eq!(plan.stacks[1].action, PlanAction::NoChanges, "{plan}");
    let report = deploy(&engine, &plan, "update").await;
    assert_eq!(report.stacks[0].outcome, Outcome::Updated);

    // Status and outputs report the update.
    let states = engine
        .status(&[exporter.clone(), importer.clone()])
        .await
        .expect("status");
    let ex = states[0].description.as_ref().expect("exporter exists");
    assert_eq!(ex.status.as_str(), "UPDATE_COMPLETE");
    // moto reports no LastUpdatedTime; last_changed() falls back to the creation time.
    assert!(!ex.last_changed().rfc3339.is_empty());
    assert!(
        ex.outputs
            .iter()
            .any(|o| o.key == "Greeting" && o.value == "bonjour"),
        "{:?}",
        ex.outputs
    );
    assert_eq!(
        states[1].description.as_ref().map(|d| d.status.as_str()),
        Some("CREATE_COMPLETE")
    );

    // Destroying the exporter alone is refused while the importer imports its export.
    // (ListImports, which the project's moto launcher adds, names it; the fallback to declared
    // dependencies where ListImports is unavailable is tested on the fake.)
    let known = vec![importer_spec.clone(), exporter_spec("bonjour")];
    let err = engine
        .destroy_selected(&known, std::slice::from_ref(&exporter))
        .await
        .expect_err("refused");
    match &err {
        Error::ExportInUse { importers, .. } => {
            assert_eq!(importers, std::slice::from_ref(&importer))
        }
        other => panic!("expected ExportInUse, got {other}"),
    }
    assert!(
        engine
            .status(std::slice::from_ref(&exporter))
            .await
            .expect("status")[0]
            .description
            .is_some(),
        "still there"
    );

    // The importer itself can go.
    let report = engine
        .destroy(&[importer_spec])
        .await
        .expect("destroy importer");
    assert_eq!(report.stacks[0].outcome, Outcome::Deleted);
}
