//! Rollback triggers: CloudWatch alarms CloudFormation watches during a stack's update (and for
//! some minutes after), rolling the update back when one goes into ALARM.
//!
//! The alarms are the stack's own resources, so their ARNs are read from the deployed stack's
//! outputs (`StackSpec::rollback_alarm_outputs`). Hence:
//! - a **first create is never watched**: CloudFormation fails the whole operation when a
//!   trigger alarm does not exist, and the alarms come into being with the stack;
//! - an output missing on the deployed stack (deployed before its alarms existed) is skipped.
//!
//! What the engine sends, given that CloudFormation keeps a stack's triggers for later updates
//! once set, and that an empty list removes them:
//! - for a stack that declares alarm outputs, every update sends **exactly** the triggers read
//!   from its outputs, an empty list when none is there: triggers left by an earlier deploy
//!   whose alarms are gone would otherwise make every later update fail;
//! - for a stack that declares none, nothing is sent, so CloudFormation keeps whatever someone
//!   else set; creates send nothing either.

use serde::Serialize;

use crate::cloudformation::StackDescription;
use crate::error::Error;
use crate::spec::StackSpec;

/// CloudFormation's limit on rollback triggers per stack.
pub const MAX_TRIGGERS: usize = 5;
/// CloudFormation's limit on `MonitoringTimeInMinutes`.
pub const MAX_MONITORING_MINUTES: u32 = 180;

/// The `RollbackConfiguration` of a create, update or change set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollbackConfiguration {
    /// ARNs of the CloudWatch alarms to watch (at most [`MAX_TRIGGERS`]); empty removes the
    /// stack's triggers.
    pub alarm_arns: Vec<String>,
    /// Minutes to keep watching after the resources are done (at most [`MAX_MONITORING_MINUTES`]).
    pub monitoring_minutes: u32,
}

/// Whether an update of a stack that declares alarm outputs is watched, and by what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "watch", rename_all = "snake_case")]
pub enum RollbackWatch {
    /// CloudFormation watches these alarms during the update and `minutes` after it.
    Watched {
        /// The alarms' ARNs, in the spec's output order.
        alarms: Vec<String>,
        /// The monitoring time after the update.
        minutes: u32,
        /// Outputs the spec names that the deployed stack lacks (skipped).
        missing: Vec<String>,
    },
    /// Not watched, and why.
    NotWatched {
        /// Why, in words a user reads after "not watched: ".
        reason: String,
    },
}

impl RollbackWatch {
    /// What to send with the operation (see the module's notes): `None` keeps the stack's
    /// triggers (a create), an empty list removes them.
    pub(crate) fn configuration(&self, updating: bool) -> Option<RollbackConfiguration> {
        if !updating {
            return None;
        }
        Some(match self {
            Self::Watched {
                alarms, minutes, ..
            } => RollbackConfiguration {
                alarm_arns: alarms.clone(),
                monitoring_minutes: *minutes,
            },
            Self::NotWatched { .. } => RollbackConfiguration {
                alarm_arns: Vec::new(),
                monitoring_minutes: 0,
            },
        })
    }

    /// The watched alarms' names (empty when not watched).
    pub fn alarm_names(&self) -> Vec<String> {
        match self {
            Self::Watched { alarms, .. } => {
                alarms.iter().map(|a| alarm_name(a).to_owned()).collect()
            }
            Self::NotWatched { .. } => Vec::new(),
        }
    }

    /// One line for a plan: which alarms an update is watched by.
    pub fn describe(&self) -> String {
        match self {
            Self::Watched {
                minutes, missing, ..
            } => {
                let after = match minutes {
                    0 => String::new(),
                    m => format!(" and {m} minutes after"),
                };
                let skipped = if missing.is_empty() {
                    String::new()
                } else {
                    format!(" ({} not on the deployed stack yet)", missing.join(", "))
                };
                format!(
                    "alarms {} watched during the update{after}: one in ALARM rolls it back{skipped}",
                    self.alarm_names().join(", ")
                )
            }
            Self::NotWatched { reason } => format!("not watched by alarms: {reason}"),
        }
    }
}

/// The alarm's name from its ARN (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`); anything
/// else is shown as it is.
pub fn alarm_name(arn: &str) -> &str {
    arn.split_once(":alarm:").map_or(arn, |(_, name)| name)
}

/// Refuses, before any call, a spec CloudFormation would refuse: more than [`MAX_TRIGGERS`]
/// alarm outputs, or a monitoring time over [`MAX_MONITORING_MINUTES`].
pub(crate) fn validate(spec: &StackSpec) -> Result<(), Error> {
    let reason = if spec.rollback_alarm_outputs.len() > MAX_TRIGGERS {
        format!(
            "{} alarm outputs name rollback triggers ({}), and CloudFormation accepts at most {MAX_TRIGGERS}",
            spec.rollback_alarm_outputs.len(),
            spec.rollback_alarm_outputs.join(", ")
        )
    } else if spec.rollback_monitoring_minutes > MAX_MONITORING_MINUTES {
        format!(
            "a rollback monitoring time of {} minutes is over CloudFormation's {MAX_MONITORING_MINUTES}",
            spec.rollback_monitoring_minutes
        )
    } else {
        return Ok(());
    };
    Err(Error::InvalidRollbackConfiguration {
        stack: spec.name.clone(),
        reason,
    })
}

/// How an update of `spec` over `deployed` is watched; `None` when the spec declares no alarm
/// outputs (the engine leaves the stack's triggers alone).
pub(crate) fn watch(
    spec: &StackSpec,
    deployed: Option<&StackDescription>,
) -> Option<RollbackWatch> {
    if spec.rollback_alarm_outputs.is_empty() {
        return None;
    }
    if spec.rollback_watch_off {
        return Some(RollbackWatch::NotWatched {
            reason: "--no-rollback-watch (the stack's triggers are removed for this update; the next deploy sets them again)"
                .to_owned(),
        });
    }
    let Some(deployed) = deployed.filter(|d| !d.status.is_review()) else {
        return Some(RollbackWatch::NotWatched {
            reason: "first create (its alarms are created with it; its updates are watched)"
                .to_owned(),
        });
    };
    let mut alarms = Vec::new();
    let mut missing = Vec::new();
    for key in &spec.rollback_alarm_outputs {
        match deployed
            .outputs
            .iter()
            .find(|o| &o.key == key && !o.value.is_empty())
        {
            Some(o) => alarms.push(o.value.clone()),
            None => missing.push(key.clone()),
        }
    }
    Some(if alarms.is_empty() {
        RollbackWatch::NotWatched {
            reason: format!(
                "the deployed stack has none of its alarm outputs ({}) yet; this update creates them",
                missing.join(", ")
            ),
        }
    } else {
        RollbackWatch::Watched {
            alarms,
            minutes: spec.rollback_monitoring_minutes,
            missing,
        }
    })
}

/// What a rolled-back, watched update says about its alarms, for the failure report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlarmVerdict {
    /// ARNs of the alarms watched during the update.
    pub watched: Vec<String>,
    /// ARNs of those CloudFormation named while rolling back: the ones that fired.
    pub fired: Vec<String>,
    /// The status reason or stack event that named them.
    pub reason: Option<String>,
}

impl AlarmVerdict {
    /// Looks for a watched alarm's ARN, or its name as a whole word, in CloudFormation's reasons
    /// (the stack's status reason and stack-level events). Its wording is undocumented, so the
    /// alarm is matched, not a sentence.
    pub(crate) fn find(watched: &[String], reasons: &[String]) -> Self {
        let mut fired = Vec::new();
        let mut reason = None;
        for arn in watched {
            if let Some(r) = reasons
                .iter()
                .find(|r| r.contains(arn.as_str()) || names_word(r, alarm_name(arn)))
            {
                fired.push(arn.clone());
                reason.get_or_insert_with(|| r.clone());
            }
        }
        Self {
            watched: watched.to_vec(),
            fired,
            reason,
        }
    }
}

/// Whether `text` contains `word` not glued to other name characters (`HighErrors` is not
/// named by `HighErrorsCritical`).
fn names_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let glued = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_');
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(glued) && !after.is_some_and(glued)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:dev-app-5xx";

    #[test]
    fn names_come_from_arns() {
        assert_eq!(alarm_name(ARN), "dev-app-5xx");
        assert_eq!(alarm_name("plain"), "plain");
    }

    #[test]
    fn a_fired_alarm_is_found_by_arn_or_whole_name() {
        let watched = vec![ARN.to_owned(), ARN.replace("5xx", "latency")];
        let by_arn = AlarmVerdict::find(&watched, &[format!("Alarm {ARN} went into ALARM")]);
        assert_eq!(by_arn.fired, [ARN]);
        let by_name = AlarmVerdict::find(&watched, &["Rolled back: dev-app-latency.".to_owned()]);
        assert_eq!(by_name.fired, [ARN.replace("5xx", "latency")]);
        let glued = AlarmVerdict::find(&watched, &["dev-app-5xx-critical fired".to_owned()]);
        assert!(glued.fired.is_empty());
        assert_eq!(glued.watched.len(), 2);
    }
}
