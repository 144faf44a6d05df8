//! Drift detection over the real SDK against moto, whose launcher answers it as AWS answers a
//! detection that could not check resources (patch 9 of `scripts/lib/moto_server.py`): the
//! engine reports the deployed stack as not checked, with the emulator's reason, at once and
//! without an HTTP 500 for the SDK to retry; a stack that does not exist is not deployed. Without
//! moto the test skips with a note, unless `TESTS_REQUIRE_SERVICES=1`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use techchallenge_deploy::{
    DeployOptions, Engine, EngineOptions, Method, NullSink, SdkCloudFormation, StackDrift,
    StackName, StackSpec,
};
use techchallenge_system_tests::moto::{self, bounded, run_prefix};

#[tokio::test]
async fn drift_on_moto_fails_fast_and_says_why() {
    let Some(url) = moto::url() else { return };
    bounded(Duration::from_secs(60), "the drift scenario", scenario(url)).await;
}

async fn scenario(url: String) {
    let run = run_prefix("drift");
    let deployed = StackName::new(format!("{run}-network")).expect("valid");
    let missing = StackName::new(format!("{run}-missing")).expect("valid");
    let template = json!({"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.30.0.0/16"}}}});
    let cfn = SdkCloudFormation::from_config(&moto::sdk_config(&url).await);
    let options = EngineOptions {
        poll_interval: Duration::from_millis(200),
        timeout: Duration::from_secs(30),
        ..EngineOptions::default()
    };
    let engine = Engine::new(Arc::new(cfn), Arc::new(NullSink), options);
    let specs = vec![
        StackSpec::new(deployed.clone(), template.to_string()),
        StackSpec::new(missing.clone(), template.to_string()),
    ];
    let plan = engine
        .plan(&specs[..1], Method::Direct)
        .await
        .expect("plan");
    engine
        .deploy(&plan, DeployOptions::default())
        .await
        .expect("create the stack");

    let errors_before = moto::server_errors(&url).len();
    let started = Instant::now();
    let results = engine.drift(&specs).await.expect("drift");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered at once, not retried: {:?}",
        started.elapsed()
    );
    let StackDrift::NotChecked { stack, reason } = &results[0] else {
        panic!("{results:?}")
    };
    assert_eq!(stack, &deployed);
    assert!(
        reason.contains("cannot compare deployed resources"),
        "{reason}"
    );
    assert_eq!(results[1], StackDrift::NotDeployed { stack: missing });
    let new_errors = moto::server_errors(&url).split_off(errors_before);
    assert!(new_errors.is_empty(), "{new_errors:?}");
}
