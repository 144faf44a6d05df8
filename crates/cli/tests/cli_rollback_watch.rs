//! The rollback watch on the fake CloudFormation: the application's first create is not watched
//! (and says so), its next update passes its alarms as rollback triggers and says which, and an
//! alarm firing mid-update is reported by name with exit 1.

mod common;

use common::World;
use techchallenge_deploy::fake::Script;
use techchallenge_deploy::{CloudFormation, StackName};
use techchallenge_stacks::{Architecture, Settings, StackRole};

const APPLICATION: &str = "techchallenge-dev-application";

/// The application stack's alarm ARNs, read from its deployed outputs as the engine reads them.
async fn alarm_arns(w: &World) -> Vec<String> {
    let architecture = Architecture::new(&Settings::default()).expect("architecture");
    let def = architecture
        .stack(StackRole::Application)
        .expect("application stack");
    assert!(
        !def.rollback_alarm_outputs.is_empty(),
        "the application stack names its alarm outputs"
    );
    let deployed = w
        .fake
        .describe_stack(&StackName::new(APPLICATION).expect("name"))
        .await
        .expect("describe")
        .expect("deployed");
    def.rollback_alarm_outputs
        .iter()
        .filter_map(|key| deployed.outputs.iter().find(|o| o.key == *key))
        .map(|o| o.value.clone())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn an_update_is_watched_by_the_applications_alarms_and_a_firing_one_is_named() {
    let w = World::new();
    let (code, out) = w.run(&["deploy", "--yes"], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(
        out.stdout().contains(&format!(
            "{APPLICATION}: not watched by alarms: first create"
        )),
        "{}",
        out.stdout()
    );
    let alarms = alarm_arns(&w).await;
    assert!(
        !alarms.is_empty(),
        "the alarms are outputs of the deployed stack"
    );

    // The next update: the plan says which alarms watch it, the change set carries them.
    w.fake.script(
        APPLICATION,
        Script::AlarmFires {
            alarm_arn: alarms[0].clone(),
        },
    );
    let (code, out) = w
        .run(&["deploy", "--yes", "--desired-instances", "3"], "", false)
        .await;
    let text = out.stdout();
    assert!(text.contains("  rollback watch: alarms "), "{text}");
    let name = alarms[0].rsplit(':').next().expect("alarm name");
    assert!(
        text.contains(&format!("{APPLICATION}: watching {} alarm", alarms.len()))
            && text.contains(name),
        "{text}"
    );
    let sent = w
        .fake
        .inputs_of("CreateChangeSet")
        .into_iter()
        .filter(|i| i.stack.as_str() == APPLICATION)
        .map(|i| i.rollback)
        .collect::<Vec<_>>();
    assert_eq!(
        sent.first(),
        Some(&None),
        "the first create sends no triggers"
    );
    assert_eq!(
        sent.last()
            .and_then(Option::as_ref)
            .map(|r| r.alarm_arns.clone()),
        Some(alarms.clone())
    );
    // The alarm fires mid-update: rolled back, reported by name, exit 1.
    assert_eq!(code, 1, "{}", out.stderr());
    let report = out.stderr();
    assert!(
        report.contains(&format!(
            "{APPLICATION} failed and was left in UPDATE_ROLLBACK_COMPLETE"
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!("Rolled back by alarm {name}")),
        "{report}"
    );
    assert!(!report.contains("no failing resource"), "{report}");
}

#[tokio::test(start_paused = true)]
async fn a_fix_ships_without_the_watch_while_an_alarm_fires() {
    // An alarm already in ALARM rolls every watched update back, the fix included: the report
    // says how to ship it, and --no-rollback-watch sends an empty trigger list (removing the
    // stack's triggers) so the update goes through; the next deploy watches again.
    let w = World::new();
    assert_eq!(w.run(&["deploy", "--yes"], "", false).await.0, 0);
    let alarms = alarm_arns(&w).await;
    w.fake.script(
        APPLICATION,
        Script::AlarmFires {
            alarm_arn: alarms[0].clone(),
        },
    );
    let (code, out) = w
        .run(&["deploy", "--yes", "--desired-instances", "3"], "", false)
        .await;
    assert_eq!(code, 1);
    assert!(
        out.stderr().contains("--no-rollback-watch"),
        "{}",
        out.stderr()
    );

    w.fake.script(
        APPLICATION,
        Script::AlarmFires {
            alarm_arn: alarms[0].clone(),
        },
    );
    let (code, out) = w
        .run(
            &[
                "deploy",
                "--yes",
                "--desired-instances",
                "3",
                "--no-rollback-watch",
            ],
            "",
            false,
        )
        .await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(
        out.stdout().contains(&format!(
            "{APPLICATION}: not watched by alarms: --no-rollback-watch"
        )),
        "{}",
        out.stdout()
    );
    let last = w
        .fake
        .inputs_of("CreateChangeSet")
        .into_iter()
        .filter(|i| i.stack.as_str() == APPLICATION)
        .filter_map(|i| i.rollback)
        .next_back()
        .expect("a rollback configuration");
    assert!(
        last.alarm_arns.is_empty(),
        "the triggers are removed: {last:?}"
    );
}
