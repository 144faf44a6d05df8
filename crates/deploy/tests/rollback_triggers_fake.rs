//! Rollback triggers against the scripted fake, which checks them as CloudFormation does (at
//! most five, at most 180 minutes, every alarm existing) and rolls a watched update back when a
//! trigger alarm fires: a first create is never watched (and says so); an update is watched by
//! the alarms the deployed stack's outputs name, skipping outputs it lacks, and waited for through
//! its monitoring time; a firing alarm is named in the failure; a limit CloudFormation would
//! refuse is refused before any call.

mod common;

use common::*;
use serde_json::json;
use techchallenge_deploy::fake::Script;
use techchallenge_deploy::{
    ApiError, ChangeSetKind, CloudFormation, Error, Event, Method, RollbackConfiguration,
    StackInput, StackSpec, TemplateSource,
};

const ERRORS: &str = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx";
const LATENCY: &str = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-latency";

fn alarm(name: &str) -> serde_json::Value {
    json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmName": name, "Threshold": 5}})
}

/// A web stack: `version` changes its load balancer; `latency` adds the second alarm.
fn web_template(version: u32, latency: bool) -> String {
    let mut t = json!({
        "Resources": {
            "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Name": format!("web-{version}")}},
            "ErrorsAlarm": alarm("web-5xx")
        },
        "Outputs": {"ErrorsAlarmArn": {"Value": {"Fn::GetAtt": ["ErrorsAlarm", "Arn"]}}}
    });
    if latency {
        t["Resources"]["LatencyAlarm"] = alarm("web-latency");
        t["Outputs"]["LatencyAlarmArn"] = json!({"Value": {"Fn::GetAtt": ["LatencyAlarm", "Arn"]}});
    }
    t.to_string()
}

fn web(version: u32, latency: bool) -> StackSpec {
    let mut spec = StackSpec::new(name("web"), web_template(version, latency));
    spec.rollback_alarm_outputs = vec!["ErrorsAlarmArn".to_owned(), "LatencyAlarmArn".to_owned()];
    spec.rollback_monitoring_minutes = 10;
    spec
}

fn sent(input: &StackInput) -> Option<(Vec<&str>, u32)> {
    input.rollback.as_ref().map(|r| {
        (
            r.alarm_arns.iter().map(String::as_str).collect(),
            r.monitoring_minutes,
        )
    })
}

fn watch_events(sink: &techchallenge_deploy::CollectingSink) -> Vec<Event> {
    sink.events()
        .into_iter()
        .filter(|e| matches!(e, Event::Watching { .. } | Event::NotWatched { .. }))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn triggers_go_with_updates_only_and_only_for_the_outputs_present() {
    let Setup { fake, sink, engine } = setup();
    // First create: no triggers sent (its alarms do not exist yet), and the engine says so.
    let plan = engine
        .plan(&[web(1, false)], Method::ChangeSet)
        .await
        .expect("plan");
    assert!(
        plan.lines()
            .iter()
            .any(|l| l.contains("not watched by alarms: first create")),
        "{plan}"
    );
    deploy(&engine, &plan, "create").await;
    assert_eq!(sent(&fake.inputs_of("CreateChangeSet")[0]), None);
    assert!(
        matches!(&watch_events(&sink)[..], [Event::NotWatched { reason, .. }] if reason.contains("first create"))
    );

    // An update of a stack deployed before its second alarm: watched by the one it has.
    let plan = engine
        .plan(&[web(2, true)], Method::ChangeSet)
        .await
        .expect("plan");
    assert!(
        plan.lines()
            .iter()
            .any(|l| l.contains(
                "rollback watch: alarms web-5xx watched during the update and 10 minutes after"
            ) && l.contains("LatencyAlarmArn not on the deployed stack yet")),
        "{plan}"
    );
    deploy(&engine, &plan, "update").await;
    assert_eq!(
        sent(&fake.inputs_of("CreateChangeSet")[1]),
        Some((vec![ERRORS], 10))
    );
    assert!(matches!(
        watch_events(&sink).last(),
        Some(Event::Watching { alarms, minutes: 10, .. }) if alarms == &["web-5xx"]
    ));

    // The next update, direct this time, is watched by both.
    let plan = engine
        .plan(&[web(3, true)], Method::Direct)
        .await
        .expect("plan");
    deploy(&engine, &plan, "direct update").await;
    assert_eq!(
        sent(&fake.inputs_of("UpdateStack")[0]),
        Some((vec![ERRORS, LATENCY], 10))
    );
    assert_eq!(
        fake.rollback_configuration_of("web"),
        Some(RollbackConfiguration {
            alarm_arns: vec![ERRORS.to_owned(), LATENCY.to_owned()],
            monitoring_minutes: 10
        })
    );
    // A stack that declares no alarm outputs is never sent a configuration.
    create(&engine, &[network()], Method::ChangeSet).await;
    assert!(
        fake.inputs_of("CreateChangeSet")
            .iter()
            .filter(|i| i.stack.as_str() == "net")
            .all(|i| i.rollback.is_none())
    );
}

#[tokio::test(start_paused = true)]
async fn an_alarm_firing_mid_update_rolls_it_back_and_is_named() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &[web(1, true)], Method::ChangeSet).await;
    fake.script(
        "web",
        Script::AlarmFires {
            alarm_arn: LATENCY.to_owned(),
        },
    );
    let plan = engine
        .plan(&[web(2, true)], Method::ChangeSet)
        .await
        .expect("plan");
    let err = deploy_err(&engine, &plan, "the latency alarm fires").await;
    assert_eq!(
        fake.status_of("web").as_deref(),
        Some("UPDATE_ROLLBACK_COMPLETE")
    );
    let Error::StackFailed {
        status,
        alarms: Some(verdict),
        next_step,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(status.as_str(), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(verdict.fired, [LATENCY]);
    assert!(
        verdict
            .reason
            .as_deref()
            .is_some_and(|r| r.contains(LATENCY))
    );
    assert!(
        err.to_string().contains("rolled back by alarm web-latency"),
        "{err}"
    );
    assert!(
        next_step.contains("web-latency went into ALARM")
            && next_step.contains("--no-rollback-watch"),
        "{next_step}"
    );

    // An alarm that is no trigger of the stack changes nothing: the update goes through.
    fake.put_alarm("arn:aws:cloudwatch:us-east-1:123456789012:alarm:unwatched");
    fake.script(
        "web",
        Script::AlarmFires {
            alarm_arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:unwatched".to_owned(),
        },
    );
    let plan = engine
        .plan(&[web(2, true)], Method::ChangeSet)
        .await
        .expect("plan");
    deploy(&engine, &plan, "an unwatched alarm").await;
    assert_eq!(fake.status_of("web").as_deref(), Some("UPDATE_COMPLETE"));
}

#[tokio::test(start_paused = true)]
async fn the_wait_allows_for_the_monitoring_time() {
    // The engine waits 600 s for an operation; a watched update stays in progress for its
    // monitoring time (10 minutes) after the resources: here 700 polls of a second.
    let Setup { fake, engine, .. } = setup();
    create(&engine, &[web(1, true)], Method::ChangeSet).await;
    fake.script("web", Script::Slow { polls: 700 });
    let plan = engine
        .plan(&[web(2, true)], Method::ChangeSet)
        .await
        .expect("plan");
    deploy(
        &engine,
        &plan,
        "a watched update inside its monitoring time",
    )
    .await;
    assert_eq!(fake.status_of("web").as_deref(), Some("UPDATE_COMPLETE"));
}

#[tokio::test(start_paused = true)]
async fn a_watched_rollback_naming_no_alarm_lists_the_alarms_to_check() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &[web(1, true)], Method::ChangeSet).await;
    fake.script(
        "web",
        Script::FailResource {
            logical_id: "Alb".to_owned(),
            reason: "Resource handler returned message: \"Name already taken\"".to_owned(),
        },
    );
    let plan = engine
        .plan(&[web(2, true)], Method::ChangeSet)
        .await
        .expect("plan");
    let err = deploy_err(&engine, &plan, "the load balancer fails").await;
    let Error::StackFailed {
        alarms: Some(verdict),
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(verdict.fired.is_empty());
    assert!(
        err.to_string()
            .contains("rolled back while watching alarms web-5xx, web-latency (check them)"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn limits_cloudformation_would_refuse_are_refused_before_any_call() {
    let Setup { fake, engine, .. } = setup();
    let mut six = web(1, true);
    six.rollback_alarm_outputs = (1..=6).map(|i| format!("Alarm{i}Arn")).collect();
    let err = engine
        .plan(&[six], Method::ChangeSet)
        .await
        .expect_err("six triggers");
    assert!(
        matches!(err, Error::InvalidRollbackConfiguration { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("at most 5"), "{err}");
    let mut long = web(1, true);
    long.rollback_monitoring_minutes = 181;
    let err = engine
        .plan(&[long], Method::ChangeSet)
        .await
        .expect_err("181 minutes");
    assert!(
        err.to_string().contains("over CloudFormation's 180"),
        "{err}"
    );
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
}

#[tokio::test(start_paused = true)]
async fn the_fake_refuses_what_cloudformation_refuses() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &[network()], Method::ChangeSet).await;
    let input = |arns: &[&str], minutes| StackInput {
        stack: name("net"),
        template: TemplateSource::UsePrevious,
        parameters: Vec::new(),
        tags: Vec::new(),
        capabilities: Vec::new(),
        request_token: None,
        express: false,
        rollback: Some(RollbackConfiguration {
            alarm_arns: arns.iter().map(|a| (*a).to_owned()).collect(),
            monitoring_minutes: minutes,
        }),
    };
    let missing = fake
        .create_change_set(&input(&[ERRORS], 0), "cs1", ChangeSetKind::Update)
        .await;
    assert!(refused(missing, "missing alarm").contains(ERRORS));
    fake.put_alarm(ERRORS);
    let too_long = fake
        .create_change_set(&input(&[ERRORS], 181), "cs2", ChangeSetKind::Update)
        .await;
    assert!(refused(too_long, "181 minutes").contains("monitoringTimeInMinutes"));
    let six = [ERRORS; 6];
    let too_many = fake.update_stack(&input(&six, 0)).await;
    assert!(refused(too_many, "six triggers").contains("rollbackTriggers"));
    let fine = fake
        .create_change_set(&input(&[ERRORS], 180), "cs3", ChangeSetKind::Update)
        .await;
    assert!(fine.is_ok(), "{fine:?}");
}

/// CloudFormation's `ValidationError` message, or a panic saying what was not refused.
fn refused<T: std::fmt::Debug>(result: Result<T, ApiError>, what: &str) -> String {
    match result {
        Err(ApiError::Service { code, message }) if code == "ValidationError" => message,
        other => panic!("{what}: {other:?}"),
    }
}
