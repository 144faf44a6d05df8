//! Shared fixtures for the engine tests: three small stacks shaped like ours (network exports,
//! database imports and holds protected data, application imports both), the fake and an engine,
//! and the steps and readings every scenario repeats (deploy a plan, create stacks, a report's
//! outcomes, whether an event was emitted), so each test file shows only what it checks.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use techchallenge_deploy::fake::FakeCloudFormation;
use techchallenge_deploy::{
    CollectingSink, DeployOptions, DeployReport, DestroyedStack, Engine, EngineOptions, Error,
    Event, Method, Outcome, Parameter, Plan, StackAction, StackName, StackReport, StackSpec,
};

pub fn name(s: &str) -> StackName {
    StackName::new(s).expect("valid stack name")
}

pub fn network_template() -> String {
    json!({
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "PrivateSubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24"}}
        },
        "Outputs": {
            "VpcId": {"Value": {"Ref": "Vpc"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-VpcId"}}}
        }
    })
    .to_string()
}

pub fn database_template(class: &str) -> String {
    json!({
        "Parameters": {"DeletionProtection": {"Type": "String", "Default": "true"}},
        "Resources": {
            "DbSubnetGroup": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {"SubnetIds": [{"Fn::ImportValue": "net-VpcId"}]}},
            "DbSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"GenerateSecretString": {"PasswordLength": 32}}},
            "Database": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceClass": class, "Engine": "postgres", "DeletionProtection": {"Ref": "DeletionProtection"}}}
        },
        "Outputs": {
            "Endpoint": {"Value": "db.example.internal", "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-Endpoint"}}}
        }
    })
    .to_string()
}

pub fn application_template(ingress_cidr: &str) -> String {
    json!({
        "Resources": {
            "AlbSecurityGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": "alb",
                "VpcId": {"Fn::ImportValue": "net-VpcId"},
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": ingress_cidr}]
            }},
            "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Scheme": "internet-facing", "DbHost": {"Fn::ImportValue": "db-Endpoint"}}}
        },
        "Outputs": {"Url": {"Value": "http://app.example.com"}}
    })
    .to_string()
}

pub fn network() -> StackSpec {
    StackSpec::new(name("net"), network_template())
}

pub fn database(class: &str) -> StackSpec {
    StackSpec::new(name("db"), database_template(class))
        .depends_on(name("net"))
        .parameter(Parameter::new("DeletionProtection", "true"))
        .protect("Database", "the PostgreSQL instance holding every task")
        .protect("DbSecret", "the database's master password")
        .protect("DbSubnetGroup", "the database's subnets")
        .before_delete(Parameter::new("DeletionProtection", "false"))
}

pub fn application() -> StackSpec {
    StackSpec::new(name("app"), application_template("0.0.0.0/0"))
        .depends_on(name("net"))
        .depends_on(name("db"))
}

/// The network and a database on `db.t3.micro`: the stacks holding data, without the application.
pub fn network_and_database() -> Vec<StackSpec> {
    vec![network(), database("db.t3.micro")]
}

pub fn all() -> Vec<StackSpec> {
    // Deliberately out of order: the engine sorts by dependency.
    vec![application(), database("db.t3.micro"), network()]
}

pub fn options() -> EngineOptions {
    EngineOptions {
        poll_interval: Duration::from_secs(1),
        timeout: Duration::from_secs(600),
        request_token: Some("test".to_owned()),
        ..EngineOptions::default()
    }
}

pub struct Setup {
    pub fake: Arc<FakeCloudFormation>,
    pub sink: Arc<CollectingSink>,
    pub engine: Engine,
}

pub fn setup() -> Setup {
    setup_with(options())
}

pub fn setup_with(options: EngineOptions) -> Setup {
    let fake = Arc::new(FakeCloudFormation::new());
    let sink = Arc::new(CollectingSink::new());
    let engine = Engine::new(fake.clone(), sink.clone(), options);
    Setup { fake, sink, engine }
}

/// Position of the first call equal to `line` in the fake's log.
pub fn position(calls: &[String], line: &str) -> usize {
    calls
        .iter()
        .position(|c| c == line)
        .unwrap_or_else(|| panic!("no call {line:?} in {calls:#?}"))
}

/// Deploys `plan` with the default options; `what` names the step if it fails.
pub async fn deploy(engine: &Engine, plan: &Plan, what: &str) -> DeployReport {
    deploy_with(engine, plan, DeployOptions::default(), what).await
}

/// Deploys `plan` with `options`; `what` names the step if it fails.
pub async fn deploy_with(
    engine: &Engine,
    plan: &Plan,
    options: DeployOptions,
    what: &str,
) -> DeployReport {
    engine
        .deploy(plan, options)
        .await
        .unwrap_or_else(|err| panic!("{what}: {err}"))
}

/// Deploys `plan` with the default options, expecting the engine to refuse or fail; `what` says
/// what should have stopped it.
pub async fn deploy_err(engine: &Engine, plan: &Plan, what: &str) -> Error {
    match engine.deploy(plan, DeployOptions::default()).await {
        Ok(report) => panic!("{what}: expected an error, the deploy succeeded: {report:?}"),
        Err(err) => err,
    }
}

/// Plans `specs` with `method` and deploys the plan: the "stacks already exist" starting point.
pub async fn create(engine: &Engine, specs: &[StackSpec], method: Method) -> DeployReport {
    let plan = engine.plan(specs, method).await.expect("plan");
    deploy(engine, &plan, "create").await
}

/// A row of a deploy or destroy report, read as the tests compare it.
pub trait Row {
    /// The stack's name and how it ended.
    fn row(&self) -> (&str, Outcome);
}

impl Row for StackReport {
    fn row(&self) -> (&str, Outcome) {
        (self.stack.as_str(), self.outcome)
    }
}

impl Row for DestroyedStack {
    fn row(&self) -> (&str, Outcome) {
        (self.stack.as_str(), self.outcome)
    }
}

/// Each stack's name and outcome, in report order.
pub fn outcomes<R: Row>(rows: &[R]) -> Vec<(&str, Outcome)> {
    rows.iter().map(Row::row).collect()
}

/// Whether every stack of a report ended with `outcome`.
pub fn all_ended<R: Row>(rows: &[R], outcome: Outcome) -> bool {
    rows.iter().all(|r| r.row().1 == outcome)
}

/// Whether the engine reported some stack finished with `outcome`.
pub fn finished_with(sink: &CollectingSink, outcome: Outcome) -> bool {
    sink.events()
        .iter()
        .any(|e| matches!(e, Event::StackFinished { outcome: o, .. } if *o == outcome))
}

/// Whether the engine reported some stack started `action`.
pub fn started_with(sink: &CollectingSink, action: StackAction) -> bool {
    sink.events()
        .iter()
        .any(|e| matches!(e, Event::StackStarted { action: a, .. } if *a == action))
}
