//! Builds the SDK client the way AWS users expect: the standard credential chain (environment,
//! profiles and `AWS_PROFILE`, SSO, ...), with `--region`, `--profile` and `--endpoint-url`
//! overriding; `AWS_ENDPOINT_URL` is honoured by `aws-config` itself (for emulators such as moto).

use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::sdk::SdkCloudFormation;

/// Where and as whom to reach AWS. `None` fields fall back to the environment and profile files.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// Region, e.g. `eu-west-1`.
    pub region: Option<String>,
    /// Named profile from `~/.aws/config`.
    pub profile: Option<String>,
    /// An endpoint for every service, e.g. `http://127.0.0.1:5000` for moto.
    pub endpoint_url: Option<String>,
}

/// Loads the shared SDK configuration for `options`.
pub async fn sdk_config(options: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// A CloudFormation client for `options`.
pub async fn cloudformation_client(options: &AwsOptions) -> aws_sdk_cloudformation::Client {
    aws_sdk_cloudformation::Client::new(&sdk_config(options).await)
}

/// The engine's CloudFormation implementation for `options`.
pub async fn sdk_cloudformation(options: &AwsOptions) -> SdkCloudFormation {
    SdkCloudFormation::new(cloudformation_client(options).await)
}

/// The engine's CloudFormation and the S3 artifact store, sharing one loaded configuration.
pub async fn sdk_clients(
    options: &AwsOptions,
) -> (SdkCloudFormation, crate::artifact::SdkArtifactStore) {
    let config = sdk_config(options).await;
    (
        SdkCloudFormation::new(aws_sdk_cloudformation::Client::new(&config)),
        crate::artifact::SdkArtifactStore::from_config(&config),
    )
}
