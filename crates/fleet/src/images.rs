//! The image instances launch from. AWS publishes the newest Amazon Linux 2023 image of each
//! region under a public SSM parameter; the deployer reads it only when it needs an image (the
//! first deploy, or when asked to update), so an unrelated deploy never replaces the instances.

use async_trait::async_trait;

use crate::FleetError;

/// Looks up the image a public SSM parameter names.
#[async_trait]
pub trait ImageCatalog: Send + Sync {
    /// The image id `parameter` names now, e.g. `ami-0123456789abcdef0`.
    async fn latest_image(&self, parameter: &str) -> Result<String, FleetError>;
}

/// [`ImageCatalog`] over SSM `GetParameter`.
#[derive(Debug, Clone)]
pub struct SsmImageCatalog {
    client: aws_sdk_ssm::Client,
}

impl SsmImageCatalog {
    /// A catalog for a loaded SDK configuration.
    pub fn from_config(config: &aws_types::SdkConfig) -> Self {
        Self {
            client: aws_sdk_ssm::Client::new(config),
        }
    }
}

#[async_trait]
impl ImageCatalog for SsmImageCatalog {
    async fn latest_image(&self, parameter: &str) -> Result<String, FleetError> {
        let answer = self
            .client
            .get_parameter()
            .name(parameter)
            .send()
            .await
            .map_err(|e| FleetError::from_sdk("SSM", "GetParameter", &e))?;
        answer
            .parameter()
            .and_then(|p| p.value())
            .filter(|v| v.starts_with("ami-"))
            .map(str::to_owned)
            .ok_or_else(|| FleetError {
                service: "SSM",
                operation: "GetParameter",
                message: format!("{parameter} names no image id"),
            })
    }
}
