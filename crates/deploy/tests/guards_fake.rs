//! Stack guards against the scripted fake, which enforces them as CloudFormation does (DeleteStack
//! refused while termination protection is on; an update the stack policy denies fails and rolls
//! back): created stacks get them, a deployed stack lacking them gets them (and the plan says
//! so), `--allow-data-loss` relaxes the policy for exactly the accepted resources and restores it,
//! destroy and the ROLLBACK_COMPLETE recovery lift termination protection and say so.

mod common;

use common::*;
use serde_json::Value;
use techchallenge_deploy::fake::DENIED_BY_POLICY;
use techchallenge_deploy::{
    ChangeAction, ChangeSetKind, CloudFormation, DeployOptions, Event, GuardChange, LogicalId,
    Method, Outcome, PlanAction, Replacement, ResourceChange, StackInput, StackSpec,
    TemplateSource,
};

/// The network and database, both termination-protected; the application unprotected.
fn guarded() -> Vec<StackSpec> {
    vec![
        network().termination_protected(),
        database("db.t3.micro").termination_protected(),
        application(),
    ]
}

fn guard_events(sink: &techchallenge_deploy::CollectingSink) -> Vec<(String, GuardChange)> {
    sink.events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Guard { stack, change } => Some((stack.to_string(), change)),
            _ => None,
        })
        .collect()
}

/// The resources the stack's policy denies replacing or deleting.
fn denied(fake: &techchallenge_deploy::fake::FakeCloudFormation, stack: &str) -> Vec<String> {
    let policy: Value = fake
        .policy_of(stack)
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or(Value::Null);
    policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Effect"] == "Deny")
        .flat_map(|s| s["Resource"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect()
}

fn replaced(id: &str, ty: &str) -> ResourceChange {
    ResourceChange {
        action: ChangeAction::Modify,
        logical_id: LogicalId::new(id),
        physical_id: None,
        resource_type: ty.to_owned(),
        replacement: Some(Replacement::Always),
        details: Vec::new(),
        before_context: None,
        after_context: None,
    }
}

#[tokio::test(start_paused = true)]
async fn created_stacks_get_termination_protection_and_a_policy_on_their_protected_resources() {
    let Setup { fake, sink, engine } = setup();
    let plan = engine
        .plan(&guarded(), Method::ChangeSet)
        .await
        .expect("plan");
    let text = plan.to_string();
    assert!(text.contains("guard: termination protection on"), "{text}");
    assert!(
        text.contains(
            "guard: stack policy denies replacing or deleting Database, DbSecret, DbSubnetGroup"
        ),
        "{text}"
    );
    deploy(&engine, &plan, "create").await;

    assert!(fake.termination_protection_of("net"));
    assert!(fake.termination_protection_of("db"));
    assert!(!fake.termination_protection_of("app"));
    assert_eq!(
        denied(&fake, "db"),
        [
            "LogicalResourceId/Database",
            "LogicalResourceId/DbSecret",
            "LogicalResourceId/DbSubnetGroup"
        ]
    );
    assert_eq!(fake.policy_of("app"), None, "nothing to protect, no policy");
    let events = guard_events(&sink);
    assert!(events.contains(&("net".to_owned(), GuardChange::ProtectionOn)));
    assert!(
        events
            .iter()
            .any(|(s, g)| s == "db" && matches!(g, GuardChange::PolicySet { .. }))
    );
    // The guards go on once the stack exists: a failed first create can still roll back and be
    // deleted without lifting anything.
    let calls = fake.calls();
    assert!(
        position(&calls, "UpdateTerminationProtection db")
            > position(&calls, "settled db CREATE_COMPLETE")
    );

    let again = engine
        .plan(&guarded(), Method::ChangeSet)
        .await
        .expect("plan");
    assert!(again.is_empty(), "guards in place: nothing to do\n{again}");
}

#[tokio::test(start_paused = true)]
async fn a_deployed_stack_lacking_its_guards_gets_them_and_the_plan_says_so() {
    let Setup { fake, engine, .. } = setup();
    let unguarded = vec![network(), database("db.t3.micro").termination_protected()];
    create(&engine, &unguarded, Method::ChangeSet).await;
    // Someone relaxes the database's policy by hand, and the network was never protected.
    fake.set_stack_policy(
        &name("db"),
        r#"{"Statement":[{"Effect":"Allow","Action":"Update:*","Principal":"*","Resource":"*"}]}"#,
    )
    .await
    .expect("set policy");

    let specs = vec![
        network().termination_protected(),
        database("db.t3.micro").termination_protected(),
    ];
    let plan = engine.plan(&specs, Method::ChangeSet).await.expect("plan");
    assert!(!plan.is_empty(), "{plan}");
    assert_eq!(plan.stacks[0].action, PlanAction::NoChanges);
    assert_eq!(plan.stacks[0].guards, [GuardChange::ProtectionOn]);
    assert!(matches!(
        plan.stacks[1].guards.as_slice(),
        [GuardChange::PolicySet { .. }]
    ));
    assert_eq!(
        fake.calls_of("CreateChangeSet").len(),
        2,
        "no change set for guards alone"
    );

    let report = deploy(&engine, &plan, "guards only").await;
    assert!(all_ended(&report.stacks, Outcome::NoChanges));
    assert!(fake.termination_protection_of("net"));
    assert_eq!(denied(&fake, "db").len(), 3);
    assert!(
        engine
            .plan(&specs, Method::ChangeSet)
            .await
            .expect("plan")
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn allow_data_loss_relaxes_the_policy_for_the_accepted_resource_alone_then_restores_it() {
    let Setup { fake, sink, engine } = setup();
    create(&engine, &guarded(), Method::ChangeSet).await;
    fake.script_changes("db", vec![replaced("Database", "AWS::RDS::DBInstance")]);
    let specs = vec![
        network().termination_protected(),
        database("db.t3.large").termination_protected(),
    ];
    let plan = engine.plan(&specs, Method::ChangeSet).await.expect("plan");
    let before = fake.calls().len();
    let report = deploy_with(
        &engine,
        &plan,
        DeployOptions {
            allow_data_loss: true,
            ..DeployOptions::default()
        },
        "accepted replacement",
    )
    .await;
    assert_eq!(report.stacks[1].outcome, Outcome::Updated);

    let calls = fake.calls()[before..].to_vec();
    let relax = position(&calls, "SetStackPolicy db");
    assert!(
        relax < position(&calls, "ExecuteChangeSet db"),
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .rposition(|c| c == "SetStackPolicy db")
            .unwrap_or(0)
            > relax,
        "restored after the update: {calls:#?}"
    );
    assert_eq!(denied(&fake, "db").len(), 3, "the full policy is back");
    let events = guard_events(&sink);
    assert!(events.contains(&(
        "db".to_owned(),
        GuardChange::PolicyLifted {
            allows: vec![LogicalId::new("Database")]
        }
    )));
}

#[tokio::test(start_paused = true)]
async fn an_update_the_policy_denies_fails_and_rolls_back_as_on_cloudformation() {
    // What the policy is for: an update made outside the engine (console, another tool) that
    // would replace the database fails on it.
    let Setup { fake, engine, .. } = setup();
    create(&engine, &guarded(), Method::ChangeSet).await;
    fake.script_changes("db", vec![replaced("Database", "AWS::RDS::DBInstance")]);
    let input = StackInput {
        stack: name("db"),
        template: TemplateSource::Body(database_template("db.t3.large")),
        parameters: Vec::new(),
        tags: Vec::new(),
        capabilities: Vec::new(),
        request_token: None,
        express: false,
        rollback: None,
    };
    let id = fake
        .create_change_set(&input, "console", ChangeSetKind::Update)
        .await
        .expect("change set");
    fake.execute_change_set(&name("db"), &id, None)
        .await
        .expect("execute");
    for _ in 0..20 {
        fake.describe_stack(&name("db")).await.expect("describe");
    }
    assert_eq!(
        fake.status_of("db").as_deref(),
        Some("UPDATE_ROLLBACK_COMPLETE")
    );
    let events = fake
        .describe_stack_events(&name("db"))
        .await
        .expect("events");
    assert!(
        events.iter().any(|e| e.logical_id.as_str() == "Database"
            && e.reason.as_deref() == Some(DENIED_BY_POLICY)),
        "{events:#?}"
    );
}

#[tokio::test(start_paused = true)]
async fn destroy_lifts_termination_protection_after_confirmation_and_says_so() {
    let Setup { fake, sink, engine } = setup();
    let specs = guarded();
    create(&engine, &specs, Method::ChangeSet).await;
    let err = fake
        .delete_stack(&name("net"), None)
        .await
        .expect_err("a protected stack cannot be deleted");
    assert!(
        err.to_string()
            .contains("cannot be deleted while TerminationProtection is enabled"),
        "{err}"
    );

    let report = engine.destroy(&specs).await.expect("destroy");
    assert!(all_ended(&report.stacks, Outcome::Deleted));
    let calls = fake.calls();
    for stack in ["net", "db"] {
        assert!(
            position(&calls, &format!("UpdateTerminationProtection {stack}"))
                < position(&calls, &format!("DeleteStack {stack}"))
        );
    }
    let lifted: Vec<String> = guard_events(&sink)
        .into_iter()
        .filter(|(_, g)| matches!(g, GuardChange::ProtectionLifted { .. }))
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        lifted,
        ["db", "net"],
        "only the protected stacks, in deletion order"
    );
}

#[tokio::test(start_paused = true)]
async fn a_protected_stack_left_in_rollback_complete_is_still_recreated() {
    let Setup { fake, sink, engine } = setup();
    fake.put_stack("net", &network_template(), "ROLLBACK_COMPLETE");
    fake.set_termination_protection("net", true);
    let specs = vec![network().termination_protected()];
    let plan = engine.plan(&specs, Method::ChangeSet).await.expect("plan");
    assert_eq!(plan.stacks[0].action, PlanAction::Recreate);
    let report = deploy_with(
        &engine,
        &plan,
        DeployOptions {
            confirm_recreate: true,
            ..DeployOptions::default()
        },
        "recreate",
    )
    .await;
    assert_eq!(report.stacks[0].outcome, Outcome::Created);
    assert!(fake.termination_protection_of("net"), "protected again");
    let events = guard_events(&sink);
    assert!(
        matches!(events.first(), Some((s, GuardChange::ProtectionLifted { why })) if s == "net" && why.contains("failed create")),
        "{events:#?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_relaxed_policy_is_restored_when_the_update_fails() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &guarded(), Method::ChangeSet).await;
    fake.script_changes("db", vec![replaced("Database", "AWS::RDS::DBInstance")]);
    let specs = vec![
        network().termination_protected(),
        database("db.t3.large").termination_protected(),
    ];
    let plan = engine.plan(&specs, Method::ChangeSet).await.expect("plan");
    fake.script(
        "db",
        techchallenge_deploy::fake::Script::FailResource {
            logical_id: "Database".to_owned(),
            reason: "Resource handler returned message: \"insufficient capacity\"".to_owned(),
        },
    );
    let err = engine
        .deploy(
            &plan,
            DeployOptions {
                allow_data_loss: true,
                ..DeployOptions::default()
            },
        )
        .await
        .expect_err("the update fails");
    assert!(err.to_string().contains("insufficient capacity"), "{err}");
    assert_eq!(denied(&fake, "db").len(), 3, "the full policy is back");
}

#[tokio::test(start_paused = true)]
async fn a_resource_no_longer_protected_can_go_in_the_same_deploy() {
    // The deployed policy still denies deleting DbSecret; the new spec neither protects nor
    // keeps it. The new policy goes on before the update, so CloudFormation lets it go.
    let Setup { fake, engine, .. } = setup();
    create(&engine, &guarded(), Method::ChangeSet).await;
    let mut template: Value =
        serde_json::from_str(&database_template("db.t3.micro")).expect("JSON");
    if let Some(resources) = template["Resources"].as_object_mut() {
        resources.remove("DbSecret");
    }
    let mut db = StackSpec::new(name("db"), template.to_string())
        .depends_on(name("net"))
        .parameter(techchallenge_deploy::Parameter::new(
            "DeletionProtection",
            "true",
        ))
        .protect("Database", "the PostgreSQL instance holding every task")
        .protect("DbSubnetGroup", "the database's subnets")
        .termination_protected();
    db.parameters_before_delete
        .push(techchallenge_deploy::Parameter::new(
            "DeletionProtection",
            "false",
        ));
    let specs = vec![network().termination_protected(), db];
    let plan = engine.plan(&specs, Method::ChangeSet).await.expect("plan");
    assert!(plan.risks().is_empty(), "{plan}");
    let report = deploy(&engine, &plan, "the secret goes").await;
    assert_eq!(report.stacks[1].outcome, Outcome::Updated);
    assert_eq!(
        denied(&fake, "db"),
        [
            "LogicalResourceId/Database",
            "LogicalResourceId/DbSubnetGroup"
        ]
    );
}

/// A hook that refuses every deletion, as emptying a bucket can fail.
struct FailingHook;

#[async_trait::async_trait]
impl techchallenge_deploy::StackHook for FailingHook {
    async fn before_delete(
        &self,
        _stack: &techchallenge_deploy::StackDescription,
    ) -> Result<(), techchallenge_deploy::HookError> {
        Err("AccessDenied emptying the bucket".into())
    }
}

#[tokio::test(start_paused = true)]
async fn a_destroy_that_fails_before_the_deletion_leaves_the_stack_protected() {
    let Setup { fake, engine, .. } = setup();
    let specs = vec![network().termination_protected()];
    create(&engine, &specs, Method::ChangeSet).await;
    let err = engine
        .destroy_selected_with(&specs, &[name("net")], std::sync::Arc::new(FailingHook))
        .await
        .expect_err("the hook fails");
    assert!(err.to_string().contains("AccessDenied"), "{err}");
    assert!(fake.termination_protection_of("net"), "still protected");
    assert!(
        fake.calls_of("UpdateTerminationProtection").len() == 1,
        "only switched on"
    );
}
