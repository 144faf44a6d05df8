//! Tags: the deployer's (`managed-by`, `project`, `environment`) and the user's `[tags]` reach
//! the instances and volumes the Auto Scaling group launches, which stack tags do not reach
//! (CloudFormation copies stack tags to the resources it creates itself; the CLI's
//! `specs.rs` sets them on every stack, tested in `crates/cli`).

mod common;

use common::{rendered, stack};
use serde_json::Value;
use techchallenge_stacks::{Settings, tags};

fn settings_with_tags() -> Settings {
    let mut settings = Settings {
        environment: "prod".into(),
        ..Settings::default()
    };
    settings.tags.insert("cost-center".into(), "4711".into());
    settings
}

#[test]
fn launched_instances_and_volumes_carry_the_common_and_the_user_tags() {
    let settings = settings_with_tags();
    let stacks = rendered(&settings);
    let app = stack(&stacks, "-application");
    let specs =
        app["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["TagSpecifications"]
            .as_array()
            .cloned()
            .unwrap_or_default();
    let kinds: Vec<&str> = specs
        .iter()
        .filter_map(|s| s["ResourceType"].as_str())
        .collect();
    assert_eq!(kinds, ["instance", "volume"]);
    for spec in &specs {
        let tag = |key: &str| {
            spec["Tags"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|t| t["Key"] == key)
                .map(|t| t["Value"].clone())
                .unwrap_or(Value::Null)
        };
        assert_eq!(tag("managed-by"), "techchallenge", "{spec}");
        assert_eq!(tag("project"), "techchallenge");
        assert_eq!(tag("environment"), "prod");
        assert_eq!(tag("cost-center"), "4711");
    }
}

#[test]
fn common_tags_are_ours_first_then_the_users() {
    let keys: Vec<String> = tags::common(&settings_with_tags())
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        ["managed-by", "project", "environment", "cost-center"]
    );
}
