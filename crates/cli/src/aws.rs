//! AWS access from the global flags: `--region`, `--profile` and `--endpoint-url` (or
//! `AWS_ENDPOINT_URL`) on top of the standard credential chain (environment, profiles and
//! `AWS_PROFILE`, SSO, ...), loaded once and turned into the engine's CloudFormation and the S3
//! artifact store. Tests hand in fakes instead.

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use techchallenge_artifact::{ArtifactStore, SdkArtifactStore};
use techchallenge_deploy::{CloudFormation, EngineOptions, SdkCloudFormation};
use techchallenge_fleet::{ImageCatalog, SsmImageCatalog};

/// Where and as whom to reach AWS. `None` fields fall back to the environment and profile files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsOptions {
    /// Region, e.g. `eu-west-1` (`--region`, else the settings file's `region`).
    pub region: Option<String>,
    /// Named profile from `~/.aws/config` (`--profile`).
    pub profile: Option<String>,
    /// An endpoint for every service (`--endpoint-url`), e.g. `http://127.0.0.1:5000` for moto.
    pub endpoint_url: Option<String>,
}

/// Loads the shared SDK configuration for `options`; `AWS_ENDPOINT_URL` is honoured by
/// `aws-config` itself.
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

/// The AWS services a command uses.
#[derive(Clone)]
pub struct Services {
    /// CloudFormation, as the engine sees it.
    pub cfn: Arc<dyn CloudFormation>,
    /// S3, for the application build.
    pub store: Arc<dyn ArtifactStore>,
    /// SSM's public parameters, for the image instances launch from.
    pub images: Arc<dyn ImageCatalog>,
    /// Polling, timeout and retry settings of the engine.
    pub engine_options: EngineOptions,
}

/// Where the services come from.
pub enum Backend {
    /// Real AWS (or an emulator through `--endpoint-url`), from the flags and the credential chain.
    Aws,
    /// Given: fakes in tests.
    Fixed(Services),
}

/// Connects (lazily: the SDK makes no call until the first request).
pub async fn connect(backend: Backend, options: &AwsOptions) -> Services {
    match backend {
        Backend::Fixed(services) => services,
        Backend::Aws => {
            let config = sdk_config(options).await;
            Services {
                cfn: Arc::new(SdkCloudFormation::from_config(&config)),
                store: Arc::new(SdkArtifactStore::from_config(&config)),
                images: Arc::new(SsmImageCatalog::from_config(&config)),
                engine_options: EngineOptions::default(),
            }
        }
    }
}
