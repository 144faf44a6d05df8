//! The fake's drift detection. What a detection finds is scripted per stack
//! ([`FakeCloudFormation::set_drift`]; unscripted stacks are in sync) and stays so until the test
//! changes it, as a console edit stays until someone reverts it. A detection reports
//! `DETECTION_IN_PROGRESS` on its first poll, as CloudFormation does, then its result, which
//! `DescribeStacks` shows from then on (`DriftInformation`), as on AWS.

use super::{FakeCloudFormation, State};
use crate::cloudformation::ApiError;
use crate::drift::{DetectionStatus, DriftDetection, DriftStatus, ResourceDrift};
use crate::status::StackStatus;

/// What drift detection finds on a stack.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DriftScript {
    /// Every resource matches its template (the default).
    #[default]
    InSync,
    /// These resources were modified or deleted outside CloudFormation.
    Drifted(Vec<ResourceDrift>),
    /// The detection fails with this reason, as CloudFormation words it (no result).
    Fail {
        /// `DetectionStatusReason`.
        reason: String,
    },
}

/// A detection started by `DetectStackDrift`.
#[derive(Debug, Clone)]
pub(super) struct Detection {
    stack: String,
    polls: usize,
}

fn validation(message: String) -> ApiError {
    ApiError::Service {
        code: "ValidationError".to_owned(),
        message,
    }
}

impl State {
    /// `DetectStackDrift`: refused for a missing stack or one with an operation running.
    pub(super) fn detect_drift(&mut self, stack: &str) -> Result<String, ApiError> {
        let Some(s) = self.stacks.get(stack) else {
            return Err(ApiError::NotFound {
                message: format!("Stack with id {stack} does not exist"),
            });
        };
        let status = StackStatus::new(&s.status);
        if !crate::drift::DRIFT_CHECKABLE.contains(&status.as_str()) {
            return Err(validation(format!(
                "Drift detection is not supported for stack {stack} in {status} status"
            )));
        }
        let id = format!("drift-{}", self.next_id());
        self.detections.insert(
            id.clone(),
            Detection {
                stack: stack.to_owned(),
                polls: 0,
            },
        );
        Ok(id)
    }

    /// `DescribeStackDriftDetectionStatus`.
    pub(super) fn detection_status(&mut self, id: &str) -> Result<DriftDetection, ApiError> {
        let Some(detection) = self.detections.get_mut(id) else {
            return Err(validation(format!("Stack drift detection {id} not found")));
        };
        detection.polls += 1;
        let (stack, polls) = (detection.stack.clone(), detection.polls);
        if polls == 1 {
            return Ok(DriftDetection {
                id: id.to_owned(),
                status: DetectionStatus::InProgress,
                drift_status: None,
                drifted_resources: None,
                reason: None,
            });
        }
        let script = self.drift.get(&stack).cloned().unwrap_or_default();
        let (status, drift_status, resources, reason) = match script {
            DriftScript::InSync => (
                DetectionStatus::Complete,
                DriftStatus::InSync,
                Vec::new(),
                None,
            ),
            DriftScript::Drifted(resources) => (
                DetectionStatus::Complete,
                DriftStatus::Drifted,
                resources,
                None,
            ),
            DriftScript::Fail { reason } => (
                DetectionStatus::Failed,
                DriftStatus::Unknown,
                Vec::new(),
                Some(reason),
            ),
        };
        let now = self.tick_clock();
        if let Some(s) = self.stacks.get_mut(&stack) {
            s.drift_status = drift_status;
            s.drift_checked = Some(now);
            s.drifted = resources.clone();
        }
        Ok(DriftDetection {
            id: id.to_owned(),
            status,
            drift_status: Some(drift_status),
            drifted_resources: (status == DetectionStatus::Complete)
                .then(|| u32::try_from(resources.len()).unwrap_or(u32::MAX)),
            reason,
        })
    }

    /// `DescribeStackResourceDrifts` (modified and deleted): the last detection's findings.
    pub(super) fn resource_drifts(&self, stack: &str) -> Result<Vec<ResourceDrift>, ApiError> {
        self.stacks
            .get(stack)
            .map(|s| s.drifted.clone())
            .ok_or_else(|| ApiError::NotFound {
                message: format!("Stack with id {stack} does not exist"),
            })
    }
}

impl FakeCloudFormation {
    /// What drift detection finds on `stack` from now on.
    pub fn set_drift(&self, stack: &str, script: DriftScript) {
        self.lock().drift.insert(stack.to_owned(), script);
    }
}
