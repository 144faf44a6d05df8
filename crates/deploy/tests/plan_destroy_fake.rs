//! Plan, data-loss guard and destroy against the scripted fake: a replaced database is refused
//! without allow_data_loss and allowed with it, the diff shows before → after and widening,
//! destroy goes in reverse order, lifts deletion protection first, and refuses while an export
//! is still imported, naming the importer.

mod common;

use common::*;
use techchallenge_deploy::{
    ApiError, ChangeAction, DeployOptions, Error, LogicalId, Loss, Method, Outcome, PlanAction,
    PropertyChange, Replacement, ResourceChange, StackAction, WideningKind,
};

/// What CloudFormation reports when a DB instance's subnet group changes: replacement True.
fn database_replacement() -> Vec<ResourceChange> {
    vec![ResourceChange {
        action: ChangeAction::Modify,
        logical_id: LogicalId::new("Database"),
        physical_id: Some("db-abcdefghijklmnop".to_owned()),
        resource_type: "AWS::RDS::DBInstance".to_owned(),
        replacement: Some(Replacement::Always),
        details: vec![PropertyChange {
            path: "/Properties/DBSubnetGroupName".to_owned(),
            before: Some("db-dbsubnetgroup-1".to_owned()),
            after: Some("db-dbsubnetgroup-2".to_owned()),
            requires_recreation: Replacement::Always,
            cause: Some("ResourceReference".to_owned()),
        }],
        before_context: None,
        after_context: None,
    }]
}

#[tokio::test(start_paused = true)]
async fn replacing_the_database_is_refused_without_allow_data_loss() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &network_and_database(), Method::ChangeSet).await;

    fake.script_changes("db", database_replacement());
    let specs = vec![network(), database("db.t3.large")];
    let plan = engine.plan(&specs, Method::ChangeSet).await.expect("plan");
    let risks = plan.risks();
    assert_eq!(risks.len(), 1);
    assert_eq!(
        (risks[0].logical_id.as_str(), risks[0].loss),
        ("Database", Loss::Replaced)
    );
    let text = plan.to_string();
    assert!(
        text.contains("~ Database (AWS::RDS::DBInstance) [REPLACEMENT]"),
        "{text}"
    );
    assert!(text.contains("/Properties/DBSubnetGroupName: db-dbsubnetgroup-1 → db-dbsubnetgroup-2 (requires replacement)"), "{text}");
    assert!(text.contains("!! data loss"), "{text}");

    let err = plan.check_data_loss(false).expect_err("refused");
    assert!(
        err.to_string()
            .contains("the PostgreSQL instance holding every task"),
        "{err}"
    );
    let executed = fake.calls_of("ExecuteChangeSet").len();
    let err = deploy_err(&engine, &plan, "refused").await;
    assert!(matches!(err, Error::DataLoss { .. }));
    assert_eq!(
        fake.calls_of("ExecuteChangeSet").len(),
        executed,
        "nothing executed"
    );

    let report = deploy_with(
        &engine,
        &plan,
        DeployOptions {
            allow_data_loss: true,
            ..DeployOptions::default()
        },
        "allowed",
    )
    .await;
    assert_eq!(report.stacks[1].outcome, Outcome::Updated);
}

#[tokio::test(start_paused = true)]
async fn deleting_a_protected_subnet_group_is_a_risk_too() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &network_and_database(), Method::Direct).await;
    let mut removal = database_replacement();
    removal[0].action = ChangeAction::Remove;
    removal[0].logical_id = LogicalId::new("DbSubnetGroup");
    removal[0].replacement = None;
    fake.script_changes("db", removal);
    // Another template, so the stack is not recognised as unchanged before any change set.
    let plan = engine
        .plan(&[database("db.t3.small")], Method::Direct)
        .await
        .expect("plan");
    assert_eq!(plan.risks()[0].loss, Loss::Deleted);
    assert!(
        plan.check_data_loss(false)
            .expect_err("refused")
            .to_string()
            .contains("the database's subnets")
    );
}

#[tokio::test(start_paused = true)]
async fn plan_flags_security_group_widening() {
    let Setup { engine, .. } = setup();
    create(&engine, &all(), Method::ChangeSet).await;
    let mut app = application();
    app.template_body = application_template("10.0.0.0/8").replace(
        "\"SecurityGroupIngress\":[",
        "\"SecurityGroupIngress\":[{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,\"CidrIp\":\"0.0.0.0/0\"},",
    );
    let plan = engine.plan(&[app], Method::ChangeSet).await.expect("plan");
    assert_eq!(plan.stacks[0].action, PlanAction::Update);
    assert!(plan.widens_permissions());
    let widenings: Vec<_> = plan.stacks[0]
        .widenings()
        .map(|(_, w)| (w.kind, w.detail.clone()))
        .collect();
    assert!(
        widenings.contains(&(
            WideningKind::SecurityGroup,
            "ingress tcp 22-22 from 0.0.0.0/0 (open to the world)".to_owned()
        )),
        "{widenings:?}"
    );
    assert!(
        plan.to_string()
            .contains("! widens security group: ingress tcp 22-22")
    );
    engine.discard(&plan).await.expect("discard");
}

#[tokio::test(start_paused = true)]
async fn a_declined_create_plan_leaves_nothing_behind() {
    let Setup { fake, engine, .. } = setup();
    let plan = engine
        .plan(&[network()], Method::ChangeSet)
        .await
        .expect("plan");
    assert_eq!(fake.status_of("net").as_deref(), Some("REVIEW_IN_PROGRESS"));
    engine.discard(&plan).await.expect("discard");
    assert_eq!(fake.calls_of("DeleteChangeSet").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn destroy_is_refused_while_an_export_is_imported_and_names_the_importer() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &all(), Method::ChangeSet).await;

    let err = engine.destroy(&[network()]).await.expect_err("refused");
    let Error::ExportInUse {
        stack,
        export,
        importers,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!((stack.as_str(), export.as_str()), ("net", "net-VpcId"));
    let importers: Vec<_> = importers.iter().map(|s| s.as_str()).collect();
    assert_eq!(importers, ["app", "db"]);
    assert!(
        err.to_string().contains("still imported by app, db"),
        "{err}"
    );
    assert!(fake.calls_of("DeleteStack").is_empty(), "nothing deleted");
}

#[tokio::test(start_paused = true)]
async fn where_list_imports_is_unavailable_declared_dependents_block_destroy() {
    let Setup { fake, engine, .. } = setup();
    create(&engine, &all(), Method::ChangeSet).await;
    // moto answers ListImports with an HTML 500 page.
    fake.fail_next(
        "ListImports",
        1,
        ApiError::Service {
            code: "HTTP 500".to_owned(),
            message: "the endpoint answered with an error it did not describe".to_owned(),
        },
    );
    let err = engine
        .destroy_selected(&all(), &[name("net")])
        .await
        .expect_err("refused");
    let Error::ExportInUse { importers, .. } = &err else {
        panic!("{err}")
    };
    let importers: Vec<_> = importers.iter().map(|s| s.as_str()).collect();
    assert_eq!(importers, ["app", "db"]);
    assert!(fake.calls_of("DeleteStack").is_empty());
}

#[tokio::test(start_paused = true)]
async fn destroy_goes_in_reverse_order_and_lifts_deletion_protection_first() {
    let Setup { fake, sink, engine } = setup();
    create(&engine, &all(), Method::ChangeSet).await;
    let report = engine.destroy(&all()).await.expect("destroy");
    assert_eq!(
        outcomes(&report.stacks),
        [
            ("app", Outcome::Deleted),
            ("db", Outcome::Deleted),
            ("net", Outcome::Deleted)
        ]
    );
    let calls = fake.calls();
    assert!(position(&calls, "settled app DELETE_COMPLETE") < position(&calls, "DeleteStack db"));
    assert!(position(&calls, "UpdateStack db") < position(&calls, "DeleteStack db"));
    assert!(position(&calls, "settled db DELETE_COMPLETE") < position(&calls, "DeleteStack net"));
    assert!(started_with(&sink, StackAction::PrepareDelete));
    assert_eq!(fake.status_of("net"), None);

    // Destroying again finds nothing: a success.
    let report = engine.destroy(&all()).await.expect("idempotent");
    assert!(all_ended(&report.stacks, Outcome::AlreadyGone));
}

#[tokio::test(start_paused = true)]
async fn status_and_outputs_report_each_stack() {
    let Setup { engine, .. } = setup();
    create(&engine, &[network()], Method::Direct).await;
    let states = engine
        .status(&[name("net"), name("db")])
        .await
        .expect("status");
    let net = states[0].description.as_ref().expect("net exists");
    assert_eq!(net.status.as_str(), "CREATE_COMPLETE");
    assert!(states[1].description.is_none());
    let outputs = engine
        .outputs(&[name("net"), name("db")])
        .await
        .expect("outputs");
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].1[0].key, "VpcId");
}

/// The CLI may spawn engine operations: their futures must be `Send`.
#[test]
fn engine_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let Setup { engine, .. } = setup();
    let specs = all();
    let plan_future = engine.plan(&specs, Method::ChangeSet);
    assert_send(&plan_future);
    let destroy_future = engine.destroy(&specs);
    assert_send(&destroy_future);
    let names = [name("net")];
    let status_future = engine.status(&names);
    assert_send(&status_future);
}
