//! The deploy-time model (`scripts/bench-deploy-model`): the real `techchallenge deploy`, engine
//! and templates against the fake CloudFormation in timed mode, under tokio's paused clock, so
//! that deploys taking half an hour on AWS are modelled in a second. For a cold create, a new
//! build and a deploy with nothing to do it prints our time, a baseline's and the ratio.
//!
//! Every duration below is cited from `../shared/reference/aws-timings.md` or marked as an
//! assumption where that file has no citable figure.

use std::sync::Arc;
use std::time::Duration;

use techchallenge_artifact::MemoryArtifactStore;
use techchallenge_cli::{Backend, Console, Services, run};
use techchallenge_deploy::fake::{FakeCloudFormation, FakeDiagnostics, ResourceWork, Timing};
use techchallenge_deploy::{ApiError, EngineOptions};
use techchallenge_fleet::fake::{FakeImageCatalog, FakeInstances, FakeLogs};
use techchallenge_stacks::application::AMI_PARAMETER;
use tokio::time::Instant;

const MINUTE: Duration = Duration::from_secs(60);

/// RDS Multi-AZ create: "15–20 min, roughly 20 minutes or more" (hashicorp/terraform #498; AWS RDS
/// cookbook). The upper figure.
const RDS_MULTI_AZ_CREATE: Duration = Duration::from_secs(20 * 60);
/// RDS modify: "1–2 min" with a reboot or failover (AWS RDS Multi-AZ documentation); turning
/// deletion protection on needs neither, so the lower figure bounds it.
const RDS_MODIFY: Duration = MINUTE;
/// Assumption (no citable figure): an application load balancer becomes active in 3 min.
const LOAD_BALANCER_CREATE: Duration = Duration::from_secs(3 * 60);
/// Assumption: CloudFormation's instance profile create waits about 2 min for IAM propagation.
const INSTANCE_PROFILE_CREATE: Duration = Duration::from_secs(2 * 60);
/// Assumption ("typically under a minute", aws-timings.md): EC2 launch to the boot script's start.
const INSTANCE_START: Duration = MINUTE;
/// Assumption: the boot script installs the 20 MB build and the CloudWatch agent, and the app
/// migrates and answers, in 30 s.
const BOOT_TO_APP: Duration = Duration::from_secs(30);
/// Ours: an instance waiting for the database looks every 10 s, and systemd restarts the
/// service 5 s after a start that found no host in the secret yet.
const DATABASE_NOTICED: Duration = Duration::from_secs(15);
/// "~20 s after the app answers" with our 10 s × 2 health checks (aws-timings.md, arithmetic).
const TARGET_HEALTHY: Duration = Duration::from_secs(20);
/// Ours: the target group's deregistration delay (stacks `timing.rs`; ALB default 300 s).
const DEREGISTRATION: Duration = Duration::from_secs(20);
/// Assumption ("seconds", aws-timings.md): VPCs, subnets, routes, groups, buckets, secrets, roles.
const SMALL_RESOURCE: Duration = Duration::from_secs(5);
/// "~13 s per deployment" of CloudFormation overhead (Stedi engineering benchmark).
const OPERATION_OVERHEAD: Duration = Duration::from_secs(13);
/// Assumption (not citable, aws-timings.md): a change set is computed in 5 s.
const CHANGE_SET: Duration = Duration::from_secs(5);
/// Assumption: one API round trip, 100 ms.
const API_CALL: Duration = Duration::from_millis(100);

fn number(v: &serde_json::Value) -> u32 {
    match v {
        serde_json::Value::String(s) => s.parse().unwrap_or(1),
        other => other
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1),
    }
}

/// How long CloudFormation works on one resource.
fn resource_time(work: &ResourceWork<'_>) -> Duration {
    let launch_to_healthy = INSTANCE_START + BOOT_TO_APP + TARGET_HEALTHY;
    match (work.resource_type, work.creating) {
        ("AWS::RDS::DBInstance", true) => RDS_MULTI_AZ_CREATE,
        ("AWS::RDS::DBInstance", false) => RDS_MODIFY,
        ("AWS::ElasticLoadBalancingV2::LoadBalancer", true) => LOAD_BALANCER_CREATE,
        ("AWS::IAM::InstanceProfile", true) => INSTANCE_PROFILE_CREATE,
        ("AWS::AutoScaling::AutoScalingGroup", true) => {
            // Instances signal once the app answers, and the app answers once the database
            // exists: a database still being created (in another stack) holds them up.
            // The database's operation starts no later than the group's (it needs less before
            // it), so its completion is known here; were it not, the model would be wrong.
            let app_ready = work.starts + launch_to_healthy;
            let database = work
                .completions
                .get("AWS::RDS::DBInstance")
                .unwrap_or_else(|| panic!("the group is created before the database is scheduled"));
            app_ready.max(*database + DATABASE_NOTICED + BOOT_TO_APP + TARGET_HEALTHY) - work.starts
        }
        ("AWS::AutoScaling::AutoScalingGroup", false) => {
            // A rolling update: batches of MaxBatchSize, each launching, signalling, then
            // draining the instances it replaces.
            let properties = &work.resource["Properties"];
            let desired = number(&properties["DesiredCapacity"]);
            let batch =
                number(&work.resource["UpdatePolicy"]["AutoScalingRollingUpdate"]["MaxBatchSize"])
                    .max(1);
            desired.div_ceil(batch) * (launch_to_healthy + DEREGISTRATION)
        }
        _ => SMALL_RESOURCE,
    }
}

fn timing() -> Timing {
    Timing {
        resource: Box::new(resource_time),
        api_call: API_CALL,
        change_set: CHANGE_SET,
        operation_overhead: OPERATION_OVERHEAD,
    }
}

/// One AWS account of fakes, CloudFormation timed.
struct Account {
    cfn: Arc<FakeCloudFormation>,
    store: Arc<MemoryArtifactStore>,
    dir: tempfile::TempDir,
}

impl Account {
    fn new() -> Self {
        Self {
            cfn: Arc::new(FakeCloudFormation::timed(timing())),
            store: Arc::new(MemoryArtifactStore::new()),
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")),
        }
    }

    /// A build the deployer accepts (an x86-64 program needing glibc ≤ 2.34): Debian's `true`
    /// or `false`, so that two builds differ.
    fn build(&self, program: &str) -> String {
        let path = self.dir.path().join(program).join("TechChallengeApp");
        std::fs::create_dir_all(path.parent().unwrap_or(self.dir.path()))
            .and_then(|()| std::fs::copy(format!("/usr/bin/{program}"), &path))
            .unwrap_or_else(|e| panic!("copy /usr/bin/{program} as a build: {e}"));
        path.to_string_lossy().into_owned()
    }

    /// Runs one command line; returns its modelled duration.
    async fn deploy(&self, args: &[&str], build: &str) -> Duration {
        let services = Services {
            cfn: self.cfn.clone(),
            store: self.store.clone(),
            images: Arc::new(FakeImageCatalog::with(
                AMI_PARAMETER,
                "ami-0aaaaaaaaaaaaaaa1",
            )),
            diagnostics: Arc::new(FakeDiagnostics::new()),
            logs: Arc::new(FakeLogs::new()),
            instances: Arc::new(FakeInstances::default()),
            region: Some("eu-west-2".to_owned()),
            engine_options: EngineOptions {
                request_token: Some("model".to_owned()),
                ..EngineOptions::default()
            },
        };
        let mut line = vec!["techchallenge", "deploy"];
        line.extend_from_slice(args);
        line.extend_from_slice(&["--yes", "--app-binary", build]);
        let (console, captured) = Console::scripted("", false);
        let started = Instant::now();
        let code = run(line.clone(), &console, Backend::Fixed(Box::new(services))).await;
        let took = started.elapsed();
        assert_eq!(code, 0, "{line:?} failed:\n{}", captured.stderr());
        took
    }

    /// CloudFormation calls so far (the fake logs each; "settled" lines are not calls).
    fn calls(&self) -> Vec<String> {
        self.cfn
            .calls()
            .into_iter()
            .filter(|c| !c.starts_with("settled "))
            .collect()
    }
}

fn minutes(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        format!("{}m {:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

fn row(scenario: &str, ours: Duration, baseline: Duration, what: &str) {
    println!(
        "{scenario:<13} {:>10}  {:>10}  {:>5.2}  baseline: {what}",
        minutes(ours),
        minutes(baseline),
        ours.as_secs_f64() / baseline.as_secs_f64()
    );
}

const STACKS: [&str; 5] = [
    "network",
    "artifacts",
    "database-access",
    "database",
    "application",
];

async fn model() {
    println!(
        "{:<13} {:>10}  {:>10}  {:>5}",
        "scenario", "ours", "baseline", "ratio"
    );

    // Cold create: ours in dependency order with independent stacks side by side (the
    // application beside the database), against the seed's serial order (`apply.py network`,
    // then database, then application: one stack after the other), here with our artifacts and
    // database-access stacks in the sequence too.
    let ours = Account::new();
    let v1 = ours.build("true");
    let cold = ours.deploy(&["all"], &v1).await;
    let serial = Account::new();
    let mut serial_time = Duration::ZERO;
    let mut extra_stacks = Duration::ZERO;
    for stack in STACKS {
        let took = serial.deploy(&[stack], &v1).await;
        serial_time += took;
        if matches!(stack, "artifacts" | "database-access") {
            extra_stacks += took;
        }
    }
    row(
        "cold create",
        cold,
        serial_time,
        "one stack after the other",
    );

    // A new build: our batches (max - min instances at once) against one instance at a time
    // (`--max-instances 3` leaves room for one new instance beside the two kept in service).
    let v2 = ours.build("false");
    let new_build = ours.deploy(&["all"], &v2).await;
    let one_by_one = Account::new();
    one_by_one
        .deploy(&["all", "--max-instances", "3"], &v1)
        .await;
    let single = one_by_one
        .deploy(&["all", "--max-instances", "3"], &v2)
        .await;
    row("new build", new_build, single, "one instance at a time");

    // Nothing to deploy: ours compares templates; the baseline makes a change set per stack,
    // as before (forced here by refusing GetTemplate, which the engine then does without).
    let before = ours.calls().len();
    let no_op = ours.deploy(&["all"], &v2).await;
    let our_calls = ours.calls().len() - before;
    let before = one_by_one.calls().len();
    one_by_one.cfn.fail_next(
        "GetTemplate",
        STACKS.len(),
        ApiError::AccessDenied {
            message: "not authorized to perform: cloudformation:GetTemplate".to_owned(),
        },
    );
    let change_sets = one_by_one
        .deploy(&["all", "--max-instances", "3"], &v2)
        .await;
    let baseline_calls: Vec<String> = one_by_one.calls()[before..]
        .iter()
        .filter(|c| !c.starts_with("GetTemplate "))
        .cloned()
        .collect();
    row("no-op deploy", no_op, change_sets, "a change set per stack");
    // The seed had three stacks: without our artifacts and database-access stacks' own time
    // (overheads it never paid) the serial baseline is shorter, and the ratio stricter.
    let three = serial_time - extra_stacks;
    println!(
        "cold create against the seed's three stacks only ({}): ratio {:.3}",
        minutes(three),
        cold.as_secs_f64() / three.as_secs_f64()
    );
    println!(
        "no-op CloudFormation calls: ours {our_calls} for {} stacks ({:.1} per stack), baseline {}; \
         plus one look-up of the build in the bucket each",
        STACKS.len(),
        our_calls as f64 / STACKS.len() as f64,
        baseline_calls.len()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let wall = std::time::Instant::now();
    runtime.block_on(model());
    println!(
        "(modelled in {:.1} s of wall time)",
        wall.elapsed().as_secs_f64()
    );
}
