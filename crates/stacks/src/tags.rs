//! The tags every stack and every taggable resource carries: who manages it (`managed-by`), which
//! project and environment it belongs to, and the user's own tags from the settings file's
//! `[tags]` table (cost allocation, owner, ...). CloudFormation copies stack tags to most
//! resources it creates; the launch template repeats them for the instances and volumes the
//! Auto Scaling group launches, which stack tags do not reach.

use std::collections::BTreeMap;

use crate::settings::{Settings, SettingsError};

/// The `managed-by` tag's key.
pub const MANAGED_BY_KEY: &str = "managed-by";
/// Its value: this deployer.
pub const MANAGED_BY: &str = "techchallenge";
/// The project tag's key and value.
pub const PROJECT: (&str, &str) = ("project", "techchallenge");
/// The environment tag's key (its value is the environment's name).
pub const ENVIRONMENT_KEY: &str = "environment";
/// The stack-role tag's key, on stacks only (its value is the stack's role).
pub const STACK_ROLE_KEY: &str = "stack-role";

/// Keys the deployer sets itself, which a user tag may not override.
const RESERVED: [&str; 5] = ["managed-by", "project", "environment", "stack-role", "Name"];
/// The most user tags: AWS allows 50 per resource, and ours take up to five of them.
pub const MAX_USER_TAGS: usize = 40;

/// The tags for every stack and resource of an environment, ours first, then the user's.
pub fn common(settings: &Settings) -> Vec<(String, String)> {
    let mut tags = vec![
        (MANAGED_BY_KEY.to_owned(), MANAGED_BY.to_owned()),
        (PROJECT.0.to_owned(), PROJECT.1.to_owned()),
        (ENVIRONMENT_KEY.to_owned(), settings.environment.clone()),
    ];
    tags.extend(settings.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    tags
}

/// Checks the user's tags against what every service here accepts.
pub(crate) fn check(tags: &BTreeMap<String, String>) -> Result<(), SettingsError> {
    let invalid = |value: String, reason: String| SettingsError {
        key: "tags",
        value,
        reason,
    };
    if tags.len() > MAX_USER_TAGS {
        return Err(invalid(
            format!("{} tags", tags.len()),
            format!(
                "use at most {MAX_USER_TAGS} (AWS allows 50 per resource; the deployer sets up to 5)"
            ),
        ));
    }
    // The characters every service here accepts in tags (EC2 accepts more, IAM and others not).
    let allowed = |s: &str| {
        s.chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c))
    };
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 || !allowed(key) {
            return Err(invalid(
                format!("{key:?}"),
                "use a key of 1 to 128 letters, digits, spaces and _ . : / = + - @".into(),
            ));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid(
                format!("{key:?}"),
                "keys starting with `aws:` are reserved for AWS".into(),
            ));
        }
        if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(key)) {
            return Err(invalid(
                format!("{key:?}"),
                format!(
                    "the deployer sets {key} itself; reserved keys are {}",
                    RESERVED.join(", ")
                ),
            ));
        }
        if value.chars().count() > 256 || !allowed(value) {
            return Err(invalid(
                format!("{key} = {value:?}"),
                "use a value of at most 256 letters, digits, spaces and _ . : / = + - @".into(),
            ));
        }
    }
    Ok(())
}
