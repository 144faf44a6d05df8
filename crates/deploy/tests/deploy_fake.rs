//! The engine's deploy path against the scripted fake: dependency order and parallelism,
//! per-resource events, no-changes as success, the direct method, failures with rollback and
//! their reasons, ROLLBACK_COMPLETE recovery, throttling with backoff, Ctrl-C and re-attach.

mod common;

use std::time::Duration;

use common::*;
use techchallenge_deploy::fake::Script;
use techchallenge_deploy::{
    ApiError, DeployOptions, Error, Event, Method, Outcome, PlanAction, StackAction, StackSpec,
};

#[tokio::test(start_paused = true)]
async fn creates_in_dependency_order_with_per_resource_events() {
    let Setup { fake, sink, engine } = setup();
    let plan = engine.plan(&all(), Method::ChangeSet).await.expect("plan");
    let order: Vec<_> = plan
        .stacks
        .iter()
        .map(|s| (s.stack.as_str(), s.action, s.from_template))
        .collect();
    // Only the network can have a change set now; the others import exports that do not exist yet.
    assert_eq!(
        order,
        [
            ("net", PlanAction::Create, false),
            ("db", PlanAction::Create, true),
            ("app", PlanAction::Create, true)
        ]
    );
    let report = deploy(&engine, &plan, "deploy").await;
    assert_eq!(
        outcomes(&report.stacks),
        [
            ("net", Outcome::Created),
            ("db", Outcome::Created),
            ("app", Outcome::Created)
        ]
    );
    assert!(report.stacks.iter().all(|s| s.duration > Duration::ZERO));
    let net = report.stacks.first().expect("net");
    assert_eq!(
        net.outputs[0].export_name.as_ref().map(|e| e.as_str()),
        Some("net-VpcId")
    );

    let calls = fake.calls();
    assert!(
        position(&calls, "settled net CREATE_COMPLETE") < position(&calls, "ExecuteChangeSet db")
    );
    assert!(
        position(&calls, "settled db CREATE_COMPLETE") < position(&calls, "ExecuteChangeSet app")
    );
    assert_eq!(fake.calls_of("ExecuteChangeSet").len(), 3);

    let resource_events: Vec<_> = sink
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Resource { stack, event } if stack.as_str() == "db" => {
                Some(format!("{} {}", event.logical_id, event.status))
            }
            _ => None,
        })
        .collect();
    assert!(
        resource_events.contains(&"Database CREATE_IN_PROGRESS".to_owned()),
        "{resource_events:?}"
    );
    assert!(resource_events.contains(&"Database CREATE_COMPLETE".to_owned()));
    assert_eq!(
        resource_events.last().map(String::as_str),
        Some("db CREATE_COMPLETE")
    );
    assert!(finished_with(&sink, Outcome::Created));
}

#[tokio::test(start_paused = true)]
async fn independent_stacks_run_in_parallel_and_dependents_wait_for_all() {
    let Setup { fake, engine, .. } = setup();
    let a = techchallenge_deploy::StackSpec::new(name("a"), network_template());
    let b = techchallenge_deploy::StackSpec::new(name("b"), network_template());
    let c = techchallenge_deploy::StackSpec::new(name("c"), network_template())
        .depends_on(name("a"))
        .depends_on(name("b"));
    fake.script("a", Script::Slow { polls: 3 });
    let plan = engine.plan(&[c, a, b], Method::Direct).await.expect("plan");
    deploy(&engine, &plan, "deploy").await;
    let calls = fake.calls();
    // b starts while a is still running; c starts only after both settled.
    assert!(position(&calls, "CreateStack b") < position(&calls, "settled a CREATE_COMPLETE"));
    assert!(position(&calls, "CreateStack a") < position(&calls, "settled b CREATE_COMPLETE"));
    assert!(position(&calls, "CreateStack c") > position(&calls, "settled a CREATE_COMPLETE"));
    assert!(position(&calls, "CreateStack c") > position(&calls, "settled b CREATE_COMPLETE"));
}

#[tokio::test(start_paused = true)]
async fn a_second_deploy_has_no_changes_and_succeeds() {
    let Setup { fake, sink, engine } = setup();
    let plan = engine.plan(&all(), Method::ChangeSet).await.expect("plan");
    deploy(&engine, &plan, "first deploy").await;
    let before = fake.calls().len();

    let again = engine
        .plan(&all(), Method::ChangeSet)
        .await
        .expect("plan again");
    assert!(again.is_empty(), "{again}");
    assert!(again.to_string().contains("net: no changes"));
    let report = deploy(&engine, &again, "no-op deploy is Ok").await;
    assert!(all_ended(&report.stacks, Outcome::NoChanges));
    // Recognised from DescribeStacks and GetTemplate alone: no change set, two calls a stack,
    // and a third, GetStackPolicy, for the stack whose resources a stack policy protects.
    let no_op = fake.calls()[before..].to_vec();
    for stack in ["net", "db", "app"] {
        let of_stack: Vec<_> = no_op
            .iter()
            .filter(|c| c.split(' ').nth(1) == Some(stack))
            .cloned()
            .collect();
        let mut expected = vec![format!("DescribeStacks {stack}")];
        if stack == "db" {
            expected.push(format!("GetStackPolicy {stack}"));
        }
        expected.push(format!("GetTemplate {stack}"));
        assert_eq!(of_stack, expected, "{no_op:#?}");
    }
    assert_eq!(no_op.len(), 7, "{no_op:#?}");
    let outputs = &report.stacks.iter().find(|s| s.stack.as_str() == "net");
    assert!(
        outputs.is_some_and(|s| !s.outputs.is_empty()),
        "the no-op still reports the outputs: {report:?}"
    );
    assert!(finished_with(&sink, Outcome::NoChanges));
}

#[tokio::test(start_paused = true)]
async fn without_permission_to_read_templates_a_change_set_decides() {
    let Setup { fake, engine, .. } = setup();
    let plan = engine.plan(&all(), Method::ChangeSet).await.expect("plan");
    deploy(&engine, &plan, "first deploy").await;
    fake.fail_next(
        "GetTemplate",
        3,
        ApiError::AccessDenied {
            message: "not authorized to perform: cloudformation:GetTemplate".to_owned(),
        },
    );
    let made = fake.calls_of("CreateChangeSet").len();
    let again = engine
        .plan(&all(), Method::ChangeSet)
        .await
        .expect("plan again");
    assert!(again.is_empty(), "{again}");
    assert_eq!(fake.calls_of("CreateChangeSet").len(), made + 3);
    assert_eq!(
        fake.calls_of("DeleteChangeSet").len(),
        3,
        "empty ones removed"
    );
}

#[tokio::test(start_paused = true)]
async fn a_changed_tag_or_parameter_still_goes_through_a_change_set() {
    let Setup { fake, engine, .. } = setup();
    let plan = engine.plan(&all(), Method::ChangeSet).await.expect("plan");
    deploy(&engine, &plan, "first deploy").await;

    let retagged: Vec<StackSpec> = all()
        .into_iter()
        .map(|s| {
            if s.name.as_str() == "net" {
                s.tag("cost-centre", "42")
            } else {
                s
            }
        })
        .collect();
    let plan = engine
        .plan(&retagged, Method::ChangeSet)
        .await
        .expect("plan");
    let actions: Vec<_> = plan.stacks.iter().map(|s| s.action).collect();
    assert_eq!(
        actions,
        [
            PlanAction::Update,
            PlanAction::NoChanges,
            PlanAction::NoChanges
        ]
    );
    assert_eq!(
        fake.calls_of("CreateChangeSet").len(),
        4,
        "three creates, one update"
    );
    deploy(&engine, &plan, "tag deploy").await;
    assert_eq!(fake.calls_of("ExecuteChangeSet").len(), 4);
}

#[tokio::test(start_paused = true)]
async fn direct_method_creates_updates_and_treats_no_updates_as_success() {
    let Setup { fake, engine, .. } = setup();
    let plan = engine.plan(&all(), Method::Direct).await.expect("plan");
    assert!(plan.stacks.iter().all(|s| s.change_set.is_none()));
    deploy(&engine, &plan, "deploy").await;
    assert_eq!(fake.calls_of("CreateStack").len(), 3);
    assert!(fake.calls_of("ExecuteChangeSet").is_empty());

    // A changed setting: previewed through a change set, applied with UpdateStack.
    let specs = vec![network(), database("db.t3.small"), application()];
    let plan = engine
        .plan(&specs, Method::Direct)
        .await
        .expect("plan update");
    let db = plan
        .stacks
        .iter()
        .find(|s| s.stack.as_str() == "db")
        .expect("db");
    assert_eq!(db.action, PlanAction::Update);
    let class = &db.changes[0].properties[0];
    assert_eq!(
        (class.before.as_deref(), class.after.as_deref()),
        (Some("\"db.t3.micro\""), Some("\"db.t3.small\""))
    );
    let report = deploy(&engine, &plan, "update").await;
    let outcomes: Vec<_> = report.stacks.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::NoChanges, Outcome::Updated, Outcome::NoChanges]
    );
    assert_eq!(fake.calls_of("UpdateStack"), ["UpdateStack db"]);

    // UpdateStack answering "No updates are to be performed." is a success.
    let stale = engine
        .plan(&[network()], Method::Direct)
        .await
        .expect("plan");
    let mut forced = stale.clone();
    forced.stacks[0].action = PlanAction::Update;
    let report = deploy(&engine, &forced, "no updates is Ok").await;
    assert_eq!(report.stacks[0].outcome, Outcome::NoChanges);
}

const DB_FAILURE: &str = "Resource handler returned message: \"Cannot find version 11.22 for postgres (Service: Rds, Status Code: 400, Request ID: 5f1c)\" (RequestToken: 8b1d, HandlerErrorCode: InvalidRequest)";

#[tokio::test(start_paused = true)]
async fn a_failed_create_reports_the_resource_reason_state_and_next_step() {
    let Setup { fake, sink, engine } = setup();
    fake.script(
        "db",
        Script::FailResource {
            logical_id: "Database".to_owned(),
            reason: DB_FAILURE.to_owned(),
        },
    );
    let plan = engine.plan(&all(), Method::ChangeSet).await.expect("plan");
    let err = deploy_err(&engine, &plan, "must fail").await;
    let Error::StackFailed {
        stack,
        status,
        failures,
        next_step,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(stack.as_str(), "db");
    assert_eq!(status.as_str(), "ROLLBACK_COMPLETE");
    assert_eq!(failures[0].logical_id.as_str(), "Database");
    assert_eq!(failures[0].status.as_str(), "CREATE_FAILED");
    assert!(failures[0].reason.contains("Cannot find version 11.22"));
    assert!(next_step.contains("re-creating"), "{next_step}");
    assert!(err.to_string().contains("Cannot find version 11.22"));
    assert!(
        sink.events().iter().any(|e| matches!(e,
        Event::StackSkipped { stack, reason } if stack.as_str() == "app" && reason == "db failed"))
    );
    assert!(
        fake.calls_of("ExecuteChangeSet")
            .iter()
            .all(|c| c != "ExecuteChangeSet app")
    );
    assert!(
        sink.events()
            .iter()
            .any(|e| matches!(e, Event::StackFailed { stack, .. } if stack.as_str() == "db"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_update_rolls_back_and_says_the_stack_still_works() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &network_and_database(), Method::ChangeSet).await;
    fake.script(
        "db",
        Script::FailResource {
            logical_id: "Database".to_owned(),
            reason: "Resource handler returned message: \"Invalid DB Instance class: db.t9.huge\""
                .to_owned(),
        },
    );
    let plan = engine
        .plan(&[network(), database("db.t9.huge")], Method::ChangeSet)
        .await
        .expect("plan");
    let err = deploy_err(&engine, &plan, "fails").await;
    let Error::StackFailed {
        status,
        failures,
        next_step,
        ..
    } = err
    else {
        panic!("{err}")
    };
    assert_eq!(status.as_str(), "UPDATE_ROLLBACK_COMPLETE");
    assert!(failures[0].reason.contains("Invalid DB Instance class"));
    assert!(next_step.contains("still works"));
}

#[tokio::test(start_paused = true)]
async fn rollback_complete_is_recreated_only_when_confirmed() {
    let Setup { fake, sink, engine } = setup();
    fake.put_stack("net", &network_template(), "ROLLBACK_COMPLETE");
    let plan = engine
        .plan(&[network()], Method::ChangeSet)
        .await
        .expect("plan");
    assert_eq!(plan.stacks[0].action, PlanAction::Recreate);
    assert_eq!(plan.needs_recreate().len(), 1);

    let err = deploy_err(&engine, &plan, "refused").await;
    assert!(matches!(err, Error::NeedsRecreate { .. }), "{err}");
    assert!(fake.calls_of("DeleteStack").is_empty());

    let report = deploy_with(
        &engine,
        &plan,
        DeployOptions {
            confirm_recreate: true,
            ..DeployOptions::default()
        },
        "recreated",
    )
    .await;
    assert_eq!(report.stacks[0].outcome, Outcome::Created);
    assert_eq!(fake.status_of("net").as_deref(), Some("CREATE_COMPLETE"));
    let calls = fake.calls();
    assert!(
        position(&calls, "settled net DELETE_COMPLETE") < position(&calls, "CreateChangeSet net")
    );
    assert!(started_with(&sink, StackAction::Recreate));
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_with_backoff() {
    let Setup { fake, sink, engine } = setup();
    fake.throttle_next("DescribeStacks", 3);
    fake.throttle_next("ExecuteChangeSet", 1);
    let plan = engine
        .plan(&[network()], Method::ChangeSet)
        .await
        .expect("plan despite throttling");
    deploy(&engine, &plan, "deploy despite throttling").await;
    let waits: Vec<u128> = sink
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Throttled { retry_in, .. } => Some(retry_in.as_millis()),
            _ => None,
        })
        .collect();
    assert_eq!(waits, [500, 1000, 2000, 500]);

    // Throttled past the attempt limit: the error says so.
    fake.throttle_next("DescribeStacks", 50);
    let err = engine
        .plan(&[network()], Method::ChangeSet)
        .await
        .expect_err("gives up");
    assert!(err.to_string().contains("throttled"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn after_ctrl_c_a_rerun_attaches_to_the_running_operation() {
    let Setup { fake, sink, engine } = setup();
    fake.script("net", Script::Slow { polls: 10 });
    let plan = engine
        .plan(&[network()], Method::ChangeSet)
        .await
        .expect("plan");
    // Ctrl-C: the deploy future is dropped mid-wait; CloudFormation carries on.
    let interrupted = tokio::time::timeout(
        Duration::from_secs(3),
        engine.deploy(&plan, DeployOptions::default()),
    )
    .await;
    assert!(interrupted.is_err(), "still running when interrupted");
    assert_eq!(fake.status_of("net").as_deref(), Some("CREATE_IN_PROGRESS"));

    let plan = engine
        .plan(&[network()], Method::ChangeSet)
        .await
        .expect("re-run plan attaches");
    assert!(sink.events().iter().any(
        |e| matches!(e, Event::WaitingForInProgress { stack, .. } if stack.as_str() == "net")
    ));
    assert_eq!(plan.stacks[0].action, PlanAction::NoChanges);
    deploy(&engine, &plan, "re-run deploy").await;
    // Waited on, not restarted: one execution, and no change set before it settled.
    assert_eq!(fake.calls_of("ExecuteChangeSet").len(), 1);
    let calls = fake.calls();
    let settled = position(&calls, "settled net CREATE_COMPLETE");
    let while_running = &calls[position(&calls, "ExecuteChangeSet net") + 1..settled];
    assert!(
        while_running.iter().all(|c| c.starts_with("DescribeStack")),
        "{while_running:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn deploy_waits_for_an_operation_started_elsewhere() {
    let Setup { fake, sink, engine } = setup();
    fake.put_running(
        "net",
        &network_template(),
        "UPDATE_IN_PROGRESS",
        4,
        "UPDATE_COMPLETE",
    );
    let plan = engine
        .plan(&[network()], Method::Direct)
        .await
        .expect("plan");
    assert!(matches!(
        sink.events().first(),
        Some(Event::WaitingForInProgress { .. })
    ));
    assert_eq!(plan.stacks[0].action, PlanAction::NoChanges);
    let calls = fake.calls();
    assert!(position(&calls, "settled net UPDATE_COMPLETE") < position(&calls, "GetTemplate net"));
}

#[tokio::test(start_paused = true)]
async fn waiting_gives_up_after_the_timeout_with_the_state() {
    let mut opts = options();
    opts.timeout = Duration::from_secs(5);
    let Setup { fake, engine, .. } = setup_with(opts);
    fake.script("net", Script::Slow { polls: 100 });
    let plan = engine
        .plan(&[network()], Method::Direct)
        .await
        .expect("plan");
    let err = deploy_err(&engine, &plan, "times out").await;
    assert!(
        matches!(&err, Error::Timeout { status, .. } if status.as_str() == "CREATE_IN_PROGRESS"),
        "{err}"
    );
    assert!(err.to_string().contains("re-run to attach"));
}

#[tokio::test(start_paused = true)]
async fn a_lingering_old_status_right_after_starting_is_not_taken_for_the_result() {
    let Setup { fake, engine, .. } = setup();
    // Create through a change set: the stack still says REVIEW_IN_PROGRESS for two polls.
    let plan = engine
        .plan(&[network()], Method::ChangeSet)
        .await
        .expect("plan");
    fake.lag_next_operation("net", 2);
    let report = deploy(&engine, &plan, "create").await;
    assert_eq!(report.stacks[0].outcome, Outcome::Created);
    assert_eq!(fake.status_of("net").as_deref(), Some("CREATE_COMPLETE"));

    // Update: the stack still says CREATE_COMPLETE for two polls; that is not the update's result.
    let mut changed = network();
    changed.template_body = changed.template_body.replace("10.0.1.0/24", "10.0.2.0/24");
    let plan = engine
        .plan(&[changed], Method::ChangeSet)
        .await
        .expect("plan");
    fake.lag_next_operation("net", 2);
    let report = deploy(&engine, &plan, "update").await;
    assert_eq!(report.stacks[0].outcome, Outcome::Updated);
    assert_eq!(fake.status_of("net").as_deref(), Some("UPDATE_COMPLETE"));
}
