//! The CLI's guardrails on the fake CloudFormation: every stack carries the deployer's tags and
//! the user's `[tags]`; the stacks holding state end up termination-protected, those with
//! protected resources under a stack policy, and the application stack under neither.

mod common;

use common::World;
use techchallenge_deploy::{CloudFormation, StackName};

#[tokio::test(start_paused = true)]
async fn every_stack_is_tagged_and_the_stateful_ones_are_guarded() {
    let w = World::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = dir.path().join("techchallenge.toml");
    std::fs::write(&settings, "[tags]\ncost-center = \"4711\"\n").expect("write settings");
    let settings = settings.to_str().expect("utf-8");
    let (code, out) = w
        .run(&["deploy", "--yes", "--config", settings], "", false)
        .await;
    assert_eq!(code, 0, "{}", out.stderr());
    let text = out.stdout();
    assert!(
        text.contains("techchallenge-dev-database: termination protection on"),
        "{text}"
    );

    for role in [
        "network",
        "artifacts",
        "database-access",
        "database",
        "application",
    ] {
        let stack = format!("techchallenge-dev-{role}");
        let name = StackName::new(stack.clone()).expect("name");
        let description = w
            .fake
            .describe_stack(&name)
            .await
            .expect("describe")
            .expect("exists");
        let tag = |key: &str| {
            description
                .tags
                .iter()
                .find(|t| t.key == key)
                .map(|t| t.value.clone())
        };
        assert_eq!(
            tag("managed-by").as_deref(),
            Some("techchallenge"),
            "{stack}"
        );
        assert_eq!(tag("environment").as_deref(), Some("dev"));
        assert_eq!(tag("stack-role").as_deref(), Some(role));
        assert_eq!(tag("cost-center").as_deref(), Some("4711"));

        let stateless = role == "application";
        assert_eq!(description.termination_protection, !stateless, "{stack}");
        let policy = w.fake.policy_of(&stack);
        match role {
            "network" | "database-access" | "database" => {
                assert!(
                    policy.is_some_and(|p| p.contains("Update:Replace")),
                    "{stack}"
                );
            }
            _ => assert_eq!(policy, None, "{stack}: no protected resources, no policy"),
        }
    }
    // A second deploy finds everything in place: nothing to do.
    let (code, out) = w.run(&["plan", "--config", settings], "", false).await;
    assert_eq!(code, 0, "{}", out.stderr());
    assert!(out.stdout().contains("No changes"), "{}", out.stdout());
}

#[tokio::test(start_paused = true)]
async fn a_bad_user_tag_is_refused_before_anything_happens() {
    let w = World::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = dir.path().join("techchallenge.toml");
    std::fs::write(&settings, "[tags]\n\"aws:owner\" = \"me\"\n").expect("write settings");
    let (code, out) = w
        .run(
            &[
                "deploy",
                "--yes",
                "--config",
                settings.to_str().expect("utf-8"),
            ],
            "",
            false,
        )
        .await;
    assert_eq!(code, 2, "{}", out.stderr());
    assert!(
        out.stderr().contains("invalid setting `tags`")
            && out.stderr().contains("reserved for AWS"),
        "{}",
        out.stderr()
    );
    assert!(w.fake.calls().is_empty(), "nothing asked of CloudFormation");
}
