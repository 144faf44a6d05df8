//! The drift calls over the SDK (`DetectStackDrift`, `DescribeStackDriftDetectionStatus`,
//! `DescribeStackResourceDrifts`) and their conversions, kept beside `mod.rs` so that file stays
//! about deploying.

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types as sdk;

use super::classify;
use super::convert::{missing, next_page};
use crate::cloudformation::ApiError;
use crate::drift::{
    DetectionStatus, DifferenceKind, DriftDetection, DriftStatus, PropertyDifference,
    ResourceDrift, ResourceDriftStatus,
};
use crate::names::{LogicalId, StackName};

/// `DetectStackDrift` on the whole stack.
pub(super) async fn detect(client: &Client, stack: &StackName) -> Result<String, ApiError> {
    let out = client
        .detect_stack_drift()
        .stack_name(stack.as_str())
        .send()
        .await
        .map_err(classify)?;
    Ok(out
        .stack_drift_detection_id()
        .ok_or_else(|| missing("DetectStackDrift", "StackDriftDetectionId"))?
        .to_owned())
}

/// `DescribeStackDriftDetectionStatus` of one detection.
pub(super) async fn detection_status(
    client: &Client,
    id: &str,
) -> Result<DriftDetection, ApiError> {
    const OP: &str = "DescribeStackDriftDetectionStatus";
    let out = client
        .describe_stack_drift_detection_status()
        .stack_drift_detection_id(id)
        .send()
        .await
        .map_err(classify)?;
    Ok(DriftDetection {
        id: out.stack_drift_detection_id().unwrap_or(id).to_owned(),
        status: DetectionStatus::parse(
            out.detection_status()
                .ok_or_else(|| missing(OP, "DetectionStatus"))?
                .as_str(),
        ),
        drift_status: out
            .stack_drift_status()
            .map(|s| DriftStatus::parse(s.as_str())),
        drifted_resources: out
            .drifted_stack_resource_count()
            .and_then(|n| u32::try_from(n).ok()),
        reason: out.detection_status_reason().map(str::to_owned),
    })
}

/// `DescribeStackResourceDrifts` for the modified and deleted resources, all pages.
pub(super) async fn resource_drifts(
    client: &Client,
    stack: &StackName,
) -> Result<Vec<ResourceDrift>, ApiError> {
    let mut next: Option<String> = None;
    let mut drifts = Vec::new();
    loop {
        let out = client
            .describe_stack_resource_drifts()
            .stack_name(stack.as_str())
            .stack_resource_drift_status_filters(sdk::StackResourceDriftStatus::Modified)
            .stack_resource_drift_status_filters(sdk::StackResourceDriftStatus::Deleted)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(classify)?;
        for d in out.stack_resource_drifts() {
            drifts.push(resource_drift(d)?);
        }
        next = next_page(out.next_token());
        if next.is_none() {
            return Ok(drifts);
        }
    }
}

fn resource_drift(d: &sdk::StackResourceDrift) -> Result<ResourceDrift, ApiError> {
    const OP: &str = "DescribeStackResourceDrifts";
    Ok(ResourceDrift {
        logical_id: LogicalId::new(
            d.logical_resource_id()
                .ok_or_else(|| missing(OP, "LogicalResourceId"))?,
        ),
        physical_id: d.physical_resource_id().map(str::to_owned),
        resource_type: d
            .resource_type()
            .ok_or_else(|| missing(OP, "ResourceType"))?
            .to_owned(),
        status: ResourceDriftStatus::parse(
            d.stack_resource_drift_status()
                .ok_or_else(|| missing(OP, "StackResourceDriftStatus"))?
                .as_str(),
        ),
        differences: d
            .property_differences()
            .iter()
            .map(|p| PropertyDifference {
                path: p.property_path().unwrap_or_default().to_owned(),
                expected: p.expected_value().unwrap_or_default().to_owned(),
                actual: p.actual_value().unwrap_or_default().to_owned(),
                kind: p.difference_type().map_or(DifferenceKind::NotEqual, |k| {
                    DifferenceKind::parse(k.as_str())
                }),
            })
            .collect(),
    })
}
