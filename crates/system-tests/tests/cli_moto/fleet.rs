//! `logs`, `instances` and the failure diagnostics against the application stack the main test
//! deployed to moto.

use std::process::Command;

use techchallenge_system_tests::builds;

use super::{Aws, ENV, ok, techchallenge};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The application stack's log groups, `logs` (with --since, --boot, --instance, --follow),
/// `instances`, and the diagnostics a failure would print, against what moto runs. The
/// instances' writing is played by the test (moto runs no UserData and no CloudWatch agent).
pub(super) async fn logs_instances_and_diagnostics(aws: &Aws, url: &str, instance: &str) {
    let app_group = format!("/techchallenge/{ENV}/app");
    let boot_group = format!("/techchallenge/{ENV}/boot");
    let groups = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/techchallenge/{ENV}/"))
        .send()
        .await
        .expect("log groups");
    let mut retention: Vec<(String, Option<i32>)> = groups
        .log_groups()
        .iter()
        .map(|g| {
            (
                g.log_group_name().unwrap_or_default().to_owned(),
                g.retention_in_days(),
            )
        })
        .collect();
    retention.sort();
    assert_eq!(
        retention,
        [
            (app_group.clone(), Some(30)),
            (boot_group.clone(), Some(30))
        ],
        "the application stack owns both groups, kept 30 days"
    );

    let now = now_ms();
    aws.write_log(
        &app_group,
        instance,
        &[
            (now - 7_200_000, "two hours ago"),
            (now - 60_000, "listening"),
        ],
    )
    .await;
    aws.write_log(
        &app_group,
        "i-0other",
        &[(now - 30_000, "the other instance")],
    )
    .await;
    aws.write_log(
        &boot_group,
        instance,
        &[(now - 120_000, "techchallenge boot: starting")],
    )
    .await;
    let text = ok(&techchallenge(url, &["logs"]));
    assert!(!text.contains("two hours ago"), "{text}");
    let mine = text
        .find(&format!("{instance}  listening"))
        .expect("this instance's line");
    let other = text
        .find("i-0other  the other instance")
        .expect("the other's line");
    assert!(mine < other, "newest last: {text}");
    assert!(ok(&techchallenge(url, &["logs", "--since", "3h"])).contains("two hours ago"));
    let only = ok(&techchallenge(url, &["logs", "--instance", instance]));
    assert!(!only.contains("i-0other"), "{only}");
    let boot = ok(&techchallenge(url, &["logs", "--boot"]));
    assert!(boot.contains("techchallenge boot: starting"), "{boot}");

    // --follow prints a line written while it runs.
    let deployer = builds::deployer_binary().expect("the deployer's build");
    let mut follow = Command::new(deployer)
        .args([
            "logs",
            "--follow",
            "--env",
            ENV,
            "--region",
            "us-east-1",
            "--endpoint-url",
            url,
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("follow");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    aws.write_log(
        &app_group,
        instance,
        &[(now_ms(), "written while following")],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let _ = Command::new("kill")
        .args(["-INT", &follow.id().to_string()])
        .status();
    let mut followed = String::new();
    if let Some(mut out) = follow.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut out, &mut followed);
    }
    let status = follow.wait().expect("follow ends");
    assert!(followed.contains("written while following"), "{followed}");
    assert!(status.success(), "Ctrl-C ends --follow: {status:?}");

    // instances: the group's instances as EC2 and Auto Scaling see them.
    let listed = ok(&techchallenge(url, &["instances"]));
    assert!(
        listed.contains(instance) && listed.contains("InService"),
        "{listed}"
    );
    assert!(
        listed.contains("aws ssm start-session --target i-"),
        "{listed}"
    );

    // The evidence a failed deploy would print, read from moto's real objects.
    use techchallenge_deploy::{Diagnostics, Finding, StackName, Timestamp};
    let naming = techchallenge_stacks::Naming::new(ENV);
    let app = StackName::new(format!("techchallenge-{ENV}-application")).expect("name");
    let diagnostics = techchallenge_fleet::FleetDiagnostics::from_config(
        &aws.config,
        techchallenge_fleet::Watched {
            application: Some(techchallenge_fleet::ApplicationResources {
                stack: app.clone(),
                group: naming.auto_scaling_group(),
                load_balancer: naming.load_balancer(),
                boot_log_group: naming.log_group("boot"),
            }),
            database: None,
        },
    );
    let findings = diagnostics
        .explain(&app, &Timestamp::from_epoch_millis(now - 600_000))
        .await;
    assert!(
        findings
            .iter()
            .any(|f| matches!(f, Finding::BootLog { instance_id, lines }
            if instance_id == instance && lines.iter().any(|l| l.contains("starting")))),
        "{findings:#?}"
    );
    assert!(
        findings.iter().any(
            |f| matches!(f, Finding::TargetHealth { instance_id, .. } if instance_id == instance)
        ),
        "{findings:#?}"
    );
    assert!(
        !findings
            .iter()
            .any(|f| matches!(f, Finding::Unavailable { what, .. } if !what.contains("boot log"))),
        "every service answered: {findings:#?}"
    );
}
