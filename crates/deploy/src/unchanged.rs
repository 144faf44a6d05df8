//! Whether a deployed stack already is what a spec asks for, decided from `DescribeStacks` and
//! `GetTemplate` alone: a deploy with nothing to do then needs no change set (several seconds and
//! three more calls per stack on CloudFormation). Anything this cannot compare with certainty (a
//! NoEcho parameter, a template that is not JSON) counts as changed, so the change set decides.

use serde_json::Value;

use crate::cloudformation::StackDescription;
use crate::spec::{ParameterValue, StackSpec};

/// True when deploying `spec` over `deployed`, whose template is `deployed_template`, would
/// change nothing: the same template (as JSON, so formatting does not count), the same
/// parameter values (an omitted one compared with the template's default, `UsePreviousValue`
/// always the same) and the same tags.
pub(crate) fn is_unchanged(
    spec: &StackSpec,
    deployed: &StackDescription,
    deployed_template: &str,
) -> bool {
    let (Ok(ours), Ok(theirs)) = (
        serde_json::from_str::<Value>(&spec.template_body),
        serde_json::from_str::<Value>(deployed_template),
    ) else {
        return false;
    };
    ours == theirs && same_parameters(spec, &ours, deployed) && same_tags(spec, deployed)
}

fn same_parameters(spec: &StackSpec, template: &Value, deployed: &StackDescription) -> bool {
    let declared = template["Parameters"].as_object();
    let declared_keys: Vec<&String> = declared.map(|d| d.keys().collect()).unwrap_or_default();
    // A deployed parameter the template no longer declares would be dropped by an update.
    if deployed
        .parameters
        .iter()
        .any(|(key, _)| !declared_keys.contains(&key))
    {
        return false;
    }
    declared_keys.into_iter().all(|key| {
        let now = deployed
            .parameters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str());
        let wanted = spec.parameters.iter().find(|p| &p.key == key);
        match wanted {
            // CloudFormation shows NoEcho values as `****`: they cannot be compared.
            Some(p) if p.sensitive => false,
            Some(p) => match &p.value {
                ParameterValue::UsePrevious => now.is_some(),
                ParameterValue::Value(v) => now == Some(v.as_str()),
            },
            None => {
                let default = &template["Parameters"][key.as_str()]["Default"];
                let default = match default {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                };
                default.is_some() && now.map(str::to_owned) == default
            }
        }
    })
}

fn same_tags(spec: &StackSpec, deployed: &StackDescription) -> bool {
    let mut ours: Vec<(&str, &str)> = spec
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    let mut theirs: Vec<(&str, &str)> = deployed
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    ours.sort_unstable();
    theirs.sort_unstable();
    ours == theirs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudformation::Timestamp;
    use crate::names::StackName;
    use crate::spec::{Parameter, Tag};
    use crate::status::StackStatus;

    const TEMPLATE: &str = r#"{"Parameters":{"Image":{"Type":"String"},"Size":{"Type":"String","Default":"small"}},"Resources":{"Q":{"Type":"AWS::SQS::Queue"}}}"#;

    fn spec() -> StackSpec {
        StackSpec::new(StackName::new("dev-app").expect("valid name"), TEMPLATE)
            .parameter(Parameter::new("Image", "ami-1"))
            .tag("project", "tc")
    }

    fn deployed(parameters: &[(&str, &str)], tags: &[(&str, &str)]) -> StackDescription {
        StackDescription {
            name: StackName::new("dev-app").expect("valid name"),
            id: "arn".into(),
            status: StackStatus::new("UPDATE_COMPLETE"),
            status_reason: None,
            created: Timestamp::from_epoch_millis(0),
            last_updated: None,
            termination_protection: false,
            drift_status: crate::drift::DriftStatus::NotChecked,
            drift_checked: None,
            outputs: Vec::new(),
            parameters: parameters
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            tags: tags
                .iter()
                .map(|(k, v)| Tag {
                    key: (*k).to_owned(),
                    value: (*v).to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_same_template_parameters_and_tags_are_unchanged_whatever_the_formatting() {
        let d = deployed(
            &[("Image", "ami-1"), ("Size", "small")],
            &[("project", "tc")],
        );
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<Value>(TEMPLATE).expect("valid JSON"),
        )
        .expect("serializes");
        assert!(is_unchanged(&spec(), &d, &pretty));
    }

    #[test]
    fn any_difference_counts_as_a_change() {
        let same = deployed(
            &[("Image", "ami-1"), ("Size", "small")],
            &[("project", "tc")],
        );
        let other_template = TEMPLATE.replace("SQS::Queue", "SNS::Topic");
        assert!(!is_unchanged(&spec(), &same, &other_template));
        assert!(!is_unchanged(&spec(), &same, "Resources: {}"));

        let new_image = deployed(
            &[("Image", "ami-0"), ("Size", "small")],
            &[("project", "tc")],
        );
        assert!(!is_unchanged(&spec(), &new_image, TEMPLATE));
        // Omitted from the spec, so an update would reset it to the template's default.
        let not_default = deployed(
            &[("Image", "ami-1"), ("Size", "large")],
            &[("project", "tc")],
        );
        assert!(!is_unchanged(&spec(), &not_default, TEMPLATE));
        let retired = deployed(
            &[("Image", "ami-1"), ("Size", "small"), ("Old", "x")],
            &[("project", "tc")],
        );
        assert!(!is_unchanged(&spec(), &retired, TEMPLATE));

        let other_tag = deployed(
            &[("Image", "ami-1"), ("Size", "small")],
            &[("project", "x")],
        );
        assert!(!is_unchanged(&spec(), &other_tag, TEMPLATE));
        let no_tags = deployed(&[("Image", "ami-1"), ("Size", "small")], &[]);
        assert!(!is_unchanged(&spec(), &no_tags, TEMPLATE));
    }

    #[test]
    fn a_previous_value_is_the_same_and_a_secret_cannot_be_compared() {
        let d = deployed(
            &[("Image", "ami-1"), ("Size", "small")],
            &[("project", "tc")],
        );
        let mut keep = spec();
        keep.parameters = vec![Parameter::use_previous("Image")];
        assert!(is_unchanged(&keep, &d, TEMPLATE));

        let masked = deployed(
            &[("Image", "****"), ("Size", "small")],
            &[("project", "tc")],
        );
        let mut secret = spec();
        secret.parameters = vec![Parameter::sensitive("Image", "ami-1")];
        assert!(!is_unchanged(&secret, &masked, TEMPLATE));
    }
}
