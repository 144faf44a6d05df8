//! The commands in-process against the engine's scripted fake CloudFormation and an in-memory
//! artifact store: what moto cannot show (per-resource events, rollback with its reason,
//! change-set execution, Ctrl-C) and what needs a scripted user: the prompt with no default
//! answer, `--yes`, refusing without a terminal, the plan's text, the data-loss refusal, the
//! failure report, `--json` events, destroy emptying the bucket after confirming.

mod common;

use std::time::Duration;

use common::{FIRST_IMAGE, World};
use serde_json::Value;
use techchallenge_cli::{Console, run};
use techchallenge_deploy::fake::Script;
use techchallenge_deploy::{ChangeAction, LogicalId, Replacement, ResourceChange};
use techchallenge_stacks::application::AMI_PARAMETER;

#[tokio::test(start_paused = true)]
async fn the_prompt_has_no_default_answer() {
    let w = World::new();
    let (code, out) = w.run(&["deploy"], "\nmaybe\nyes\n", true).await;
    assert_eq!(code, 0, "{}", out.stderr());
    let asked = out.stderr();
    assert_eq!(
        asked.matches("Please answer yes or no.").count(),
        2,
        "{asked}"
    );
    assert_eq!(asked.matches("Type yes or no:").count(), 3, "{asked}");
    assert!(asked.contains("widen security groups or IAM"), "{asked}");
    assert_eq!(w.fake.calls_of("ExecuteChangeSet").len(), 5);
}

#[tokio::test(start_paused = true)]
async fn no_means_nothing_changes() {
    let w = World::new();
    let (code, out) = w.run(&["deploy"], "no\n", true).await;
    assert_eq!(code, 1);
    assert!(out.stderr().contains("Not deployed: nothing was changed."));
    assert_eq!(w.executed(), 0);
    assert!(w.store.calls().iter().all(|c| !c.starts_with("PutObject")));
}

#[tokio::test(start_paused = true)]
async fn without_a_terminal_it_refuses_and_names_yes() {
    let w = World::new();
    let (code, out) = w.run(&["deploy"], "yes\n", false).await;
    assert_eq!(code, 2, "{}", out.stderr());
    assert!(
        out.stderr().contains("stdin is not a terminal"),
        "{}",
        out.stderr()
    );
    assert!(out.stderr().contains("--yes"));
    assert_eq!(w.executed(), 0);
    // --yes needs no terminal.
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    let text = out.stdout();
    assert!(
        text.contains("application build uploaded to s3://fake-ArtifactBucket/app/"),
        "{text}"
    );
    assert!(
        text.contains(
            "techchallenge-dev-database  Database (AWS::RDS::DBInstance)  CREATE_COMPLETE"
        ),
        "{text}"
    );
    assert!(text.contains("Application URL:"), "{text}");
    assert!(
        text.contains("techchallenge-dev-application: created in"),
        "{text}"
    );
    // The bucket got the build before the application stack was started.
    let key = w.store.keys("fake-ArtifactBucket");
    assert_eq!(key.len(), 1);
    // Again: nothing to do, exit 0, nothing uploaded.
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 0);
    assert!(out.stdout().contains("No changes"), "{}", out.stdout());
    assert!(
        out.stdout().contains("nothing uploaded"),
        "{}",
        out.stdout()
    );
    assert_eq!(
        w.store
            .calls()
            .iter()
            .filter(|c| c.starts_with("PutObject"))
            .count(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn plan_shows_a_readable_diff_and_changes_nothing() {
    let w = World::new();
    let (code, out) = w.run(&["plan"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    let text = out.stdout();
    assert!(text.contains("techchallenge-dev-network: create"), "{text}");
    assert!(text.contains("  + Vpc (AWS::EC2::VPC)"), "{text}");
    assert!(
        text.contains("/Properties/CidrBlock: 10.0.0.0/16"),
        "{text}"
    );
    assert!(
        text.contains("techchallenge-dev-application: create (from the template"),
        "{text}"
    );
    assert!(
        text.contains(
            "! widens security group: ingress tcp 80-80 from 0.0.0.0/0 (open to the world)"
        ),
        "{text}"
    );
    assert!(text.contains("Plan: "), "{text}");
    assert!(text.contains("Application build: app/"), "{text}");
    assert_eq!(w.executed(), 0);
    assert!(w.store.calls().is_empty(), "plan uploads nothing");
    assert!(
        !w.fake.calls_of("DeleteChangeSet").is_empty(),
        "its change set is removed again"
    );
}

fn replace_database() -> Vec<ResourceChange> {
    vec![ResourceChange {
        action: ChangeAction::Modify,
        logical_id: LogicalId::new("Database"),
        physical_id: Some("db".to_owned()),
        resource_type: "AWS::RDS::DBInstance".to_owned(),
        replacement: Some(Replacement::Always),
        details: Vec::new(),
        before_context: None,
        after_context: None,
    }]
}

#[tokio::test(start_paused = true)]
async fn a_plan_that_replaces_the_database_is_refused_without_the_flag() {
    let w = World::new();
    assert_eq!(w.run(&["deploy", "--yes"], "", false).await.0, 0);
    w.fake
        .script_changes("techchallenge-dev-database", replace_database());
    let (code, out) = w
        .run(
            &["deploy", "--yes", "--db-instance-class", "db.t4g.small"],
            "",
            false,
        )
        .await;
    assert_eq!(code, 1);
    let err = out.stderr();
    assert!(err.contains("Refusing a change that loses data"), "{err}");
    assert!(
        err.contains("Database in techchallenge-dev-database would be replaced"),
        "{err}"
    );
    assert!(err.contains("--allow-data-loss"), "{err}");
    assert!(out.stdout().contains("[REPLACEMENT]"), "{}", out.stdout());
}

#[tokio::test(start_paused = true)]
async fn a_failure_reports_the_resource_the_state_and_what_next() {
    let w = World::new();
    w.fake.script(
        "techchallenge-dev-application",
        Script::FailResource {
            logical_id: "LoadBalancer".to_owned(),
            reason: "Resource handler returned message: \"too many load balancers\"".to_owned(),
        },
    );
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 1);
    let err = out.stderr();
    assert!(
        err.contains("techchallenge-dev-application failed and was left in ROLLBACK_COMPLETE"),
        "{err}"
    );
    assert!(err.contains("LoadBalancer (AWS::ElasticLoadBalancingV2::LoadBalancer) CREATE_FAILED: Resource handler returned message: \"too many load balancers\""), "{err}");
    assert!(err.contains("Next: "), "{err}");
    // ROLLBACK_COMPLETE: the next deploy asks to delete and re-create; --yes does it.
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(
        out.stdout().contains("deleting to re-create"),
        "{}",
        out.stdout()
    );
}

#[tokio::test(start_paused = true)]
async fn json_prints_one_event_per_line() {
    let w = World::new();
    let (code, out) = w.run(&["deploy", "--yes", "--json"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    let types: Vec<String> = out
        .stdout()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            v["type"].as_str().expect("type").to_owned()
        })
        .collect();
    assert!(types.iter().any(|t| t == "plan"), "{types:?}");
    assert_eq!(types.last().map(String::as_str), Some("summary"));
    for t in ["stack_started", "resource", "stack_finished", "artifact"] {
        assert!(types.iter().any(|x| x == t), "{t} in {types:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn ctrl_c_leaves_cloudformation_working_and_a_rerun_attaches() {
    let w = World::new();
    w.fake
        .script("techchallenge-dev-network", Script::Slow { polls: 50 });
    let (console, out) = Console::scripted("", false);
    let interrupt = console.interrupt.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(10)).await;
        interrupt.notify_one();
    });
    let code = w.run_with(&["deploy", "--yes"], &console).await;
    assert_eq!(code, 130);
    assert!(
        out.stderr().contains("CloudFormation carries on"),
        "{}",
        out.stderr()
    );
    assert!(w.fake.calls_of("CancelUpdateStack").is_empty());
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(
        out.stdout().contains("attaching and waiting"),
        "{}",
        out.stdout()
    );
}

#[tokio::test(start_paused = true)]
async fn destroy_says_what_goes_and_empties_the_bucket_after_confirming() {
    let w = World::new();
    assert_eq!(w.run(&["deploy", "--yes"], "", false).await.0, 0);
    // The database was created unprotected (so a failed create can roll back), then protected.
    assert_eq!(
        w.fake.parameters_of("techchallenge-dev-database"),
        [("DeletionProtection".to_owned(), "true".to_owned())]
    );
    let updates_by_deploy = w.fake.calls_of("UpdateStack").len();
    // Refused while the application still uses the database (through its secret, not an
    // import) or imports from the database-access stack: named, nothing asked, nothing deleted.
    let (code, out) = w.run(&["destroy", "database", "--yes"], "", false).await;
    assert_eq!(code, 1);
    assert!(
        out.stderr()
            .contains("techchallenge-dev-application still uses it"),
        "{}",
        out.stderr()
    );
    let (code, out) = w
        .run(&["destroy", "database-access", "--yes"], "", false)
        .await;
    assert_eq!(code, 1);
    assert!(
        out.stderr().contains("still imports its exports"),
        "{}",
        out.stderr()
    );
    // Declined: nothing deleted, nothing emptied.
    let (code, out) = w.run(&["destroy"], "no\n", true).await;
    assert_eq!(code, 1);
    let text = out.stdout();
    assert!(text.contains("final snapshot"), "{text}");
    assert!(text.contains("buckets are emptied first"), "{text}");
    assert!(
        text.contains("Termination protection is lifted from techchallenge-dev-database, techchallenge-dev-database-access, techchallenge-dev-artifacts, techchallenge-dev-network only after you confirm"),
        "{text}"
    );
    assert!(w.store.calls().iter().all(|c| !c.starts_with("Empty")));
    assert!(w.fake.calls_of("DeleteStack").is_empty());
    assert!(
        w.fake.calls_of("UpdateTerminationProtection").len() == 4,
        "only switched on"
    );
    assert!(
        w.fake
            .termination_protection_of("techchallenge-dev-network")
    );
    // Confirmed: deletion protection lifted, bucket emptied, everything gone.
    let (code, out) = w.run(&["destroy"], "yes\n", true).await;
    assert_eq!(code, 0, "{}", out.stderr());
    let text = out.stdout();
    for role in ["network", "artifacts", "database-access", "database"] {
        assert!(
            text.contains(&format!(
                "techchallenge-dev-{role}: termination protection lifted (destroy confirmed)"
            )),
            "{text}"
        );
    }
    assert!(!text.contains("techchallenge-dev-application: termination protection"));
    for bucket in ["fake-ArtifactBucket", "fake-AccessLogBucket"] {
        assert!(
            w.store.calls().contains(&format!("Empty {bucket}")),
            "{:?}",
            w.store.calls()
        );
    }
    assert!(w.store.keys("fake-ArtifactBucket").is_empty());
    let params = w.fake.calls_of("UpdateStack");
    assert_eq!(
        params.len() - updates_by_deploy,
        1,
        "deletion protection lifted once: {params:?}"
    );
    for role in ["network", "artifacts", "database", "application"] {
        assert!(
            w.fake
                .status_of(&format!("techchallenge-dev-{role}"))
                .is_none()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_build_the_instances_could_not_run_is_refused_before_anything_happens() {
    let w = World::new();
    let dir = tempfile::tempdir().expect("tempdir");
    // An arm64 Linux executable (its ELF header is what the check reads).
    let mut arm64 = vec![0u8; 64];
    arm64[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    arm64[16] = 3; // ET_DYN
    arm64[18] = 183; // EM_AARCH64
    arm64[20] = 1;
    arm64[52] = 64;
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "script",
            b"#!/bin/sh\nexec app\n".to_vec(),
            "not a Linux (ELF) executable",
        ),
        (
            "arm64",
            arm64,
            "built for arm64 (aarch64), but the instances run x86_64",
        ),
        // Debian 12's chpasswd needs GLIBC_2.36.
        (
            "new-glibc",
            std::fs::read("/usr/sbin/chpasswd").expect("Debian's chpasswd"),
            "newer than the glibc 2.34 of Amazon Linux 2023",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let path = path.to_str().expect("utf-8");
        for command in ["deploy", "plan"] {
            let (console, out) = Console::scripted("", false);
            let args = ["techchallenge", command, "--yes", "--app-binary", path];
            let args: Vec<&str> = args
                .into_iter()
                .filter(|a| command == "deploy" || *a != "--yes")
                .collect();
            let code = run(args, &console, w.backend()).await;
            assert_eq!(code, 2, "{name}: {}", out.stderr());
            assert!(
                out.stderr().contains("cannot run on the instances"),
                "{}",
                out.stderr()
            );
            assert!(out.stderr().contains(expected), "{name}: {}", out.stderr());
        }
    }
    assert!(
        w.store.calls().is_empty(),
        "nothing uploaded: {:?}",
        w.store.calls()
    );
    assert!(
        w.fake.calls().is_empty(),
        "no AWS call: {:?}",
        w.fake.calls()
    );
}

#[tokio::test(start_paused = true)]
async fn the_image_is_resolved_once_kept_and_updated_only_when_asked() {
    let w = World::new();
    let app = "techchallenge-dev-application";
    let image_of = |w: &World| {
        w.fake
            .parameters_of(app)
            .into_iter()
            .find(|(k, _)| k == "ImageId")
            .map(|(_, v)| v)
    };
    // First deploy: the newest image, looked up once.
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(
        out.stdout()
            .contains(&format!("Image: {FIRST_IMAGE}, the newest")),
        "{}",
        out.stdout()
    );
    assert_eq!(image_of(&w).as_deref(), Some(FIRST_IMAGE));
    assert_eq!(w.images.lookups().len(), 1);

    // AWS publishes a new image: an unrelated deploy keeps the old one, without looking.
    w.images.publish(AMI_PARAMETER, "ami-0bbbbbbbbbbbbbbb2");
    let (code, out) = w
        .run(&["deploy", "--yes", "--desired-instances", "3"], "", false)
        .await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(
        out.stdout()
            .contains(&format!("Image: {FIRST_IMAGE}, as deployed")),
        "{}",
        out.stdout()
    );
    assert_eq!(
        image_of(&w).as_deref(),
        Some(FIRST_IMAGE),
        "no replacement nobody asked for"
    );
    assert_eq!(w.images.lookups().len(), 1);

    // plan says a newer image exists and how to roll it out.
    let (code, out) = w.run(&["plan"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(
        out.stdout()
            .contains("A newer Amazon Linux 2023 image is available: ami-0bbbbbbbbbbbbbbb2"),
        "{}",
        out.stdout()
    );

    // --update-image: the plan shows the change and that it replaces every instance.
    let (code, out) = w
        .run(
            &[
                "deploy",
                "--yes",
                "--update-image",
                "--desired-instances",
                "3",
            ],
            "",
            false,
        )
        .await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(
        out.stdout().contains(&format!(
            "Image: {FIRST_IMAGE} -> ami-0bbbbbbbbbbbbbbb2 (--update-image): every instance is replaced"
        )),
        "{}",
        out.stdout()
    );
    assert_eq!(image_of(&w).as_deref(), Some("ami-0bbbbbbbbbbbbbbb2"));
}

#[tokio::test(start_paused = true)]
async fn express_mode_only_when_asked_and_never_for_the_database() {
    let express_calls = |w: &World| -> Vec<String> {
        w.fake
            .calls()
            .into_iter()
            .filter(|c| c.ends_with(" EXPRESS"))
            .collect()
    };
    // Not by default: every environment holds tasks.
    let w = World::new();
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(express_calls(&w).is_empty(), "{:#?}", w.fake.calls());
    assert!(!out.stdout().contains("Express mode"), "{}", out.stdout());

    // --express: every stack but the database's, and the plan says so.
    let w = World::new();
    let (code, out) = w.run(&["deploy", "--yes", "--express"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    let calls = express_calls(&w);
    for role in ["network", "artifacts", "database-access", "application"] {
        assert!(
            calls
                .iter()
                .any(|c| c.contains(&format!(" techchallenge-dev-{role} "))),
            "{role}: {calls:#?}"
        );
    }
    assert!(
        !calls
            .iter()
            .any(|c| c.contains(" techchallenge-dev-database ")),
        "{calls:#?}"
    );
    assert!(
        out.stdout()
            .contains("Express mode (throw-away environment): techchallenge-dev-network"),
        "{}",
        out.stdout()
    );

    // `ephemeral = true` in the settings file does the same.
    let w = World::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = dir.path().join("techchallenge.toml");
    std::fs::write(&settings, "ephemeral = true\n").expect("write settings");
    let settings = settings.to_str().expect("utf-8");
    let (code, out) = w
        .run(&["deploy", "--yes", "--config", settings], "", false)
        .await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert_eq!(
        express_calls(&w).len(),
        calls.len(),
        "{:#?}",
        w.fake.calls()
    );

    // A value that is not a boolean is refused, naming the key.
    std::fs::write(dir.path().join("bad.toml"), "ephemeral = \"yes\"\n").expect("write");
    let bad = dir.path().join("bad.toml");
    let (code, out) = w
        .run(
            &["plan", "--config", bad.to_str().expect("utf-8")],
            "",
            false,
        )
        .await;
    assert_eq!(code, 2, "{}", out.stderr());
    assert!(out.stderr().contains("ephemeral"), "{}", out.stderr());
}

#[tokio::test(start_paused = true)]
async fn the_application_stack_is_created_while_rds_creates_the_database() {
    let w = World::new();
    // RDS takes long: the database stack's create is still running for many polls.
    w.fake
        .script("techchallenge-dev-database", Script::Slow { polls: 40 });
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    let calls = w.fake.calls();
    let at = |line: &str| {
        calls
            .iter()
            .position(|c| c == line)
            .unwrap_or_else(|| panic!("no {line:?} in {calls:#?}"))
    };
    let access_done = at("settled techchallenge-dev-database-access CREATE_COMPLETE");
    let app_started = at("ExecuteChangeSet techchallenge-dev-application");
    let app_done = at("settled techchallenge-dev-application CREATE_COMPLETE");
    let db_started = at("ExecuteChangeSet techchallenge-dev-database");
    let db_done = at("settled techchallenge-dev-database CREATE_COMPLETE");
    // Both wait for database-access only; the application's whole create runs inside the
    // database's.
    assert!(access_done < db_started && access_done < app_started);
    assert!(app_started < db_done && app_done < db_done, "{calls:#?}");
}

#[tokio::test(start_paused = true)]
async fn the_application_alone_is_refused_while_its_database_is_missing() {
    let w = World::new();
    for stack in ["network", "artifacts", "database-access"] {
        let (code, out) = w.run(&["deploy", stack, "--yes"], "", false).await;
        assert_eq!(code, 0, "{stack}: {}", out.stderr());
    }
    let before = w.executed();
    let (code, out) = w.run(&["deploy", "application", "--yes"], "", false).await;
    assert_eq!(code, 1, "{}", out.stderr());
    assert!(
        out.stderr().contains(
            "techchallenge-dev-application uses techchallenge-dev-database, which is not deployed"
        ),
        "{}",
        out.stderr()
    );
    assert_eq!(w.executed(), before, "nothing deployed");
}
