//! What the CLI prints as JSON: its own lines beside the engine's events with `--json` (the same
//! `{"type": ...}` shape, one object per line), the outputs object of `outputs --json` and the
//! report of `drift --json`.
//! Typed, so a reader finds every field here and a field cannot be misspelt in one place.

use serde::ser::{Serialize, SerializeMap, Serializer};
use techchallenge_artifact::{Artifact, Upload};
use techchallenge_deploy::{DestroyedStack, Plan, StackDrift, StackName, StackOutput, StackReport};
use techchallenge_fleet::LogEvent;

use crate::image::ImageChoice;
use crate::view::URL_OUTPUT;

/// One line of the CLI's own, between the engine's events.
#[derive(Debug, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Line<'a> {
    /// The plan, before anything is asked or changed.
    Plan {
        /// The plan as the engine made it.
        plan: &'a Plan,
    },
    /// The image the application's instances get, and where it comes from.
    Image {
        /// The choice (`source`: kept, first, updated).
        image: &'a ImageChoice,
    },
    /// What happened to the application build.
    Artifact {
        /// Uploaded, or already there.
        outcome: Upload,
        /// The artifacts bucket.
        bucket: &'a str,
        /// The build's key.
        key: &'a str,
        /// Its SHA-256.
        sha256: &'a str,
        /// Its size.
        bytes: u64,
    },
    /// The artifacts bucket was emptied before its stack was deleted.
    BucketEmptied {
        /// The bucket.
        bucket: &'a str,
        /// Object versions and delete markers deleted.
        deleted: u64,
    },
    /// The end of a deploy.
    #[serde(rename = "summary")]
    DeploySummary {
        /// Whether anything was deployed (`false`: no changes).
        changed: bool,
        /// Each stack's outcome and duration, when something was deployed.
        stacks: Option<&'a [StackReport]>,
        /// Every stack's outputs, the URL first.
        outputs: Outputs<'a>,
        /// Milliseconds the whole command took.
        duration: u64,
    },
    /// The end of a destroy.
    #[serde(rename = "summary")]
    DestroySummary {
        /// Each stack's outcome and duration.
        stacks: &'a [DestroyedStack],
    },
    /// One log line (`logs --json`).
    Log {
        /// The event: instance id, timestamp (ms), message.
        #[serde(flatten)]
        event: &'a LogEvent,
    },
    /// The command failed; `message` is what a person would read.
    Error {
        /// The error, with its causes.
        message: String,
    },
}

/// `plan --json`: the plan, and the build the application stack would be given.
#[derive(Debug, serde::Serialize)]
pub struct PlanReport<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// The build, hashed, when the application stack is planned.
    pub artifact: Option<&'a Artifact>,
    /// The image the instances get, and where it comes from.
    pub image: Option<&'a ImageChoice>,
    /// The newest image, when the instances keep an older one.
    pub newer_image: Option<&'a str>,
}

/// `drift --json`: whether every deployed stack is in sync, and each stack's result.
#[derive(Debug, serde::Serialize)]
pub struct DriftReport<'a> {
    /// True when no deployed stack drifted and every one could be checked (exit 0).
    pub in_sync: bool,
    /// Each selected stack's result (`result`: in_sync, drifted, not_checked, not_deployed).
    pub stacks: &'a [StackDrift],
}

/// `{"url": ..., "stacks": {"STACK": {"KEY": "VALUE"}}}`, stacks and outputs in the order given.
#[derive(Debug, serde::Serialize)]
pub struct Outputs<'a> {
    /// The application's URL, when the application stack is deployed.
    url: Option<&'a str>,
    /// Each deployed stack's outputs.
    stacks: StackOutputs<'a>,
}

impl<'a> Outputs<'a> {
    /// The outputs of the deployed stacks, as `Engine::outputs` returns them.
    pub fn new(outputs: &'a [(StackName, Vec<StackOutput>)]) -> Self {
        let url = outputs
            .iter()
            .flat_map(|(_, o)| o)
            .find(|o| o.key == URL_OUTPUT)
            .map(|o| o.value.as_str());
        Self {
            url,
            stacks: StackOutputs(outputs),
        }
    }
}

/// Stack name → (output key → value), keeping the engine's order.
#[derive(Debug)]
struct StackOutputs<'a>(&'a [(StackName, Vec<StackOutput>)]);

impl Serialize for StackOutputs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (stack, outputs) in self.0 {
            map.serialize_entry(stack.as_str(), &OutputValues(outputs))?;
        }
        map.end()
    }
}

/// Output key → value.
struct OutputValues<'a>(&'a [StackOutput]);

impl Serialize for OutputValues<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for output in self.0 {
            map.serialize_entry(&output.key, &output.value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_keep_the_engine_order_and_find_the_url() {
        let output = |key: &str, value: &str| StackOutput {
            key: key.to_owned(),
            value: value.to_owned(),
            description: None,
            export_name: None,
        };
        let stacks = vec![
            (
                StackName::new("b-app").expect("valid"),
                vec![output(URL_OUTPUT, "http://x/"), output("A", "1")],
            ),
            (
                StackName::new("a-net").expect("valid"),
                vec![output("Z", "2")],
            ),
        ];
        let json = serde_json::to_string(&Outputs::new(&stacks)).expect("serialises");
        assert_eq!(
            json,
            r#"{"url":"http://x/","stacks":{"b-app":{"Url":"http://x/","A":"1"},"a-net":{"Z":"2"}}}"#
        );
    }

    #[test]
    fn both_summaries_are_typed_summary_lines() {
        let destroy = serde_json::to_value(Line::DestroySummary { stacks: &[] }).expect("json");
        assert_eq!(
            destroy,
            serde_json::json!({"type": "summary", "stacks": []})
        );
        let error = serde_json::to_value(Line::Error {
            message: "no".into(),
        })
        .expect("json");
        assert_eq!(error, serde_json::json!({"type": "error", "message": "no"}));
    }
}
