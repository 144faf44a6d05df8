//! AWS access from the global flags: `--region`, `--profile` and `--endpoint-url` (or
//! `AWS_ENDPOINT_URL`) on top of the standard credential chain, turned into the engine's
//! CloudFormation and the S3 artifact store in one place. Tests hand in fakes instead.

use std::sync::Arc;

use techchallenge_deploy::artifact::ArtifactStore;
use techchallenge_deploy::{AwsOptions, CloudFormation, EngineOptions};
use techchallenge_stacks::Settings;

use crate::cli::GlobalArgs;

/// The AWS services a command uses.
#[derive(Clone)]
pub struct Services {
    /// CloudFormation, as the engine sees it.
    pub cfn: Arc<dyn CloudFormation>,
    /// S3, for the application build.
    pub store: Arc<dyn ArtifactStore>,
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

/// The AWS options the flags and settings ask for (flags win over the settings file's region).
pub fn options(global: &GlobalArgs, settings: &Settings) -> AwsOptions {
    AwsOptions {
        region: global.region.clone().or_else(|| settings.region.clone()),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
    }
}

/// Connects (lazily: the SDK makes no call until the first request).
pub async fn connect(backend: Backend, global: &GlobalArgs, settings: &Settings) -> Services {
    match backend {
        Backend::Fixed(services) => services,
        Backend::Aws => {
            let (cfn, store) = techchallenge_deploy::sdk_clients(&options(global, settings)).await;
            Services {
                cfn: Arc::new(cfn),
                store: Arc::new(store),
                engine_options: EngineOptions::default(),
            }
        }
    }
}
