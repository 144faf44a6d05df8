//! `Engine::drift`: CloudFormation's drift detection on every deployed stack of a set, to show
//! what was changed outside CloudFormation before an update overwrites it without saying so. The detections
//! are started on all stacks first and then polled together, so they run in parallel on
//! CloudFormation's side; a drifted stack's modified and deleted resources are then listed with
//! their differing properties. Read-only: nothing is changed, no operation is waited for.

use tokio::time::Instant;

use super::Engine;
use crate::drift::{DRIFT_CHECKABLE, DetectionStatus, DriftDetection, DriftStatus, StackDrift};
use crate::error::Error;
use crate::names::StackName;
use crate::spec::StackSpec;

impl Engine {
    /// Detects drift on each stack of `specs` that exists, in the order given, polling every
    /// `poll_interval` for at most `timeout`. A stack that does not exist is `NotDeployed`; one
    /// busy with an operation, or whose detection fails or outlasts the timeout, is
    /// `NotChecked` with the reason. API failures other than those end the whole check.
    pub async fn drift(&self, specs: &[StackSpec]) -> Result<Vec<StackDrift>, Error> {
        let mut results: Vec<Option<StackDrift>> = vec![None; specs.len()];
        let mut running: Vec<(usize, String)> = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let stack = &spec.name;
            let current = self
                .describe(stack)
                .await?
                .filter(|d| !d.status.is_review() && d.status.as_str() != "DELETE_COMPLETE");
            match current {
                None => {
                    results[i] = Some(StackDrift::NotDeployed {
                        stack: stack.clone(),
                    });
                }
                Some(d) if d.status.is_in_progress() => {
                    results[i] = Some(StackDrift::NotChecked {
                        stack: stack.clone(),
                        reason: format!(
                            "{} is running on it; check again once it has ended",
                            d.status
                        ),
                    });
                }
                Some(d) if !DRIFT_CHECKABLE.contains(&d.status.as_str()) => {
                    results[i] = Some(StackDrift::NotChecked {
                        stack: stack.clone(),
                        reason: format!(
                            "it is in {}; CloudFormation detects drift only on stacks in {}",
                            d.status,
                            DRIFT_CHECKABLE.join(", ")
                        ),
                    });
                }
                Some(_) => {
                    let id = self
                        .call(stack, "DetectStackDrift", || {
                            self.cfn.detect_stack_drift(stack)
                        })
                        .await?;
                    running.push((i, id));
                }
            }
        }
        let started = Instant::now();
        while !running.is_empty() {
            let mut still = Vec::new();
            for (i, id) in running {
                let stack = &specs[i].name;
                let detection = self
                    .call(stack, "DescribeStackDriftDetectionStatus", || {
                        self.cfn.describe_stack_drift_detection_status(stack, &id)
                    })
                    .await?;
                if detection.status == DetectionStatus::InProgress {
                    still.push((i, id));
                } else {
                    results[i] = Some(self.drift_result(stack, detection).await?);
                }
            }
            running = still;
            if running.is_empty() {
                break;
            }
            if started.elapsed() >= self.options.timeout {
                for (i, _) in running.drain(..) {
                    results[i] = Some(StackDrift::NotChecked {
                        stack: specs[i].name.clone(),
                        reason: format!(
                            "drift detection still running after {}s",
                            started.elapsed().as_secs()
                        ),
                    });
                }
                break;
            }
            tokio::time::sleep(self.options.poll_interval).await;
        }
        Ok(results
            .into_iter()
            .zip(specs)
            .map(|(result, spec)| {
                result.unwrap_or_else(|| StackDrift::NotChecked {
                    stack: spec.name.clone(),
                    reason: "drift detection did not report".to_owned(),
                })
            })
            .collect())
    }

    /// What a finished detection means. A failed detection may still have found drift in the
    /// resources it could check (CloudFormation keeps those results): that drift is reported,
    /// with the reason the rest could not be checked.
    async fn drift_result(
        &self,
        stack: &StackName,
        detection: DriftDetection,
    ) -> Result<StackDrift, Error> {
        let failed = (detection.status == DetectionStatus::Failed).then(|| {
            detection
                .reason
                .clone()
                .unwrap_or_else(|| "CloudFormation gave no reason".to_owned())
        });
        match detection.drift_status {
            Some(DriftStatus::Drifted) => {
                let resources = self
                    .call(stack, "DescribeStackResourceDrifts", || {
                        self.cfn.describe_stack_resource_drifts(stack)
                    })
                    .await?;
                Ok(StackDrift::Drifted {
                    stack: stack.clone(),
                    resources,
                    unchecked: failed,
                })
            }
            _ if failed.is_some() => Ok(StackDrift::NotChecked {
                stack: stack.clone(),
                reason: failed.unwrap_or_default(),
            }),
            Some(DriftStatus::Unknown) => Ok(StackDrift::NotChecked {
                stack: stack.clone(),
                reason: detection
                    .reason
                    .unwrap_or_else(|| "CloudFormation could not check every resource".to_owned()),
            }),
            _ => Ok(StackDrift::InSync {
                stack: stack.clone(),
            }),
        }
    }
}
