//! The engine against the moto emulator (started by `scripts/test`, which exports
//! `TEST_MOTO_URL` and `AWS_ENDPOINT_URL`): creates an exporting and an importing stack in order
//! with the direct method (moto cannot execute change sets), shows their outputs and exports,
//! finds a second deploy a no-op, applies a changed parameter, reports status and outputs, and
//! refuses to destroy a stack whose export is imported. One test function: moto is shared state.
//! Without `TEST_MOTO_URL` it is skipped with a note, unless `TESTS_REQUIRE_SERVICES=1`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use techchallenge_deploy::{
    AwsOptions, CollectingSink, DeployOptions, Engine, EngineOptions, Error, Method, Outcome,
    Parameter, PlanAction, StackName, StackSpec, sdk_cloudformation,
};

/// `POST /moto-api/reset` with a hand-written HTTP/1.1 request: one call does not justify an HTTP client dependency.
fn reset_moto(url: &str) {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut conn = TcpStream::connect(host).expect("moto reachable at TEST_MOTO_URL");
    write!(conn, "POST /moto-api/reset HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .expect("send reset");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("read reset answer");
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "moto reset: {answer}"
    );
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
    let Ok(url) = std::env::var("TEST_MOTO_URL") else {
        if std::env::var("TESTS_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!(
                "TEST_MOTO_URL is not set but TESTS_REQUIRE_SERVICES=1: start moto with `source scripts/lib/moto.sh`"
            );
        }
        eprintln!(
            "skipped: TEST_MOTO_URL is not set (run through scripts/test, or `source scripts/lib/moto.sh`)"
        );
        return;
    };
    reset_moto(&url);

    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let exporter = StackName::new(format!("mt{run}-exporter")).expect("valid");
    let importer = StackName::new(format!("mt{run}-importer")).expect("valid");
    let export = format!("mt{run}-VpcId");
    let exporter_spec = |greeting: &str| {
        StackSpec::new(
            exporter.clone(),
            exporter_template(&export, &format!("/mt{run}/greeting")),
        )
        .parameter(Parameter::new("Greeting", greeting))
        .tag("project", "techchallenge")
    };
    let importer_spec =
        StackSpec::new(importer.clone(), importer_template(&export)).depends_on(exporter.clone());

    let cfn = sdk_cloudformation(&AwsOptions {
        endpoint_url: Some(url.clone()),
        ..AwsOptions::default()
    })
    .await;
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
    let report = engine
        .deploy(&plan, DeployOptions::default())
        .await
        .expect("create");
    let outcomes: Vec<_> = report
        .stacks
        .iter()
        .map(|s| (s.stack.clone(), s.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            (exporter.clone(), Outcome::Created),
            (importer.clone(), Outcome::Created)
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
    let report = engine
        .deploy(&plan, DeployOptions::default())
        .await
        .expect("no-op deploy");
    assert!(
        report
            .stacks
            .iter()
            .all(|s| s.outcome == Outcome::NoChanges)
    );

    // UpdateStack itself answering "No updates are to be performed." is a success too.
    let mut forced = plan.clone();
    forced.stacks[0].action = PlanAction::Update;
    let report = engine
        .deploy(&forced, DeployOptions::default())
        .await
        .expect("no-op UpdateStack");
    assert_eq!(report.stacks[0].outcome, Outcome::NoChanges);

    // A changed parameter updates the exporter only.
    let specs = vec![importer_spec.clone(), exporter_spec("bonjour")];
    let plan = engine
        .plan(&specs, Method::Direct)
        .await
        .expect("plan update");
    assert_eq!(plan.stacks[0].action, PlanAction::Update, "{plan}");
    assert_eq!(plan.stacks[1].action, PlanAction::NoChanges, "{plan}");
    let report = engine
        .deploy(&plan, DeployOptions::default())
        .await
        .expect("update");
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
    // (moto does not implement ListImports: the engine falls back to the declared dependency.)
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
