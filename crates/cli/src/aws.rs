//! AWS access from the global flags: `--region`, `--profile` and `--endpoint-url` (or
//! `AWS_ENDPOINT_URL`) on top of the standard credential chain (environment, profiles and
//! `AWS_PROFILE`, SSO, ...), loaded once and turned into the engine's CloudFormation and the S3
//! artifact store. Tests hand in fakes instead.

use std::sync::Arc;

use crate::error::UsageError;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use techchallenge_artifact::{ArtifactStore, SdkArtifactStore};
use techchallenge_deploy::{CloudFormation, Diagnostics, EngineOptions, SdkCloudFormation};
use techchallenge_fleet::{
    AwsInstances, CloudWatchLogs, FleetDiagnostics, ImageCatalog, InstanceSource, LogSource,
    SsmImageCatalog, Watched,
};

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
    /// The evidence when a deploy fails (Auto Scaling, ELB, RDS, CloudWatch Logs).
    pub diagnostics: Arc<dyn Diagnostics>,
    /// The instances' logs.
    pub logs: Arc<dyn LogSource>,
    /// The application's instances.
    pub instances: Arc<dyn InstanceSource>,
    /// The region the calls go to, for commands the user is told to run (`None`: unknown).
    pub region: Option<String>,
    /// Polling, timeout and retry settings of the engine.
    pub engine_options: EngineOptions,
}

/// Where the services come from.
pub enum Backend {
    /// Real AWS (or an emulator through `--endpoint-url`), from the flags and the credential chain.
    Aws,
    /// Given: fakes in tests.
    Fixed(Box<Services>),
}

/// Connects: loads the configuration and checks, before any call, that there is a region and
/// credentials, saying what to do when there is not; `watched` says which stacks' failures the
/// diagnostics explain, and where their evidence is.
pub async fn connect(
    backend: Backend,
    options: &AwsOptions,
    watched: Watched,
) -> anyhow::Result<Services> {
    match backend {
        Backend::Fixed(services) => Ok(*services),
        Backend::Aws => {
            let config = sdk_config(options).await;
            preflight(&config, options).await?;
            Ok(Services {
                cfn: Arc::new(SdkCloudFormation::from_config(&config)),
                store: Arc::new(SdkArtifactStore::from_config(&config)),
                images: Arc::new(SsmImageCatalog::from_config(&config)),
                diagnostics: Arc::new(FleetDiagnostics::from_config(&config, watched)),
                logs: Arc::new(CloudWatchLogs::from_config(&config)),
                instances: Arc::new(AwsInstances::from_config(&config)),
                region: config.region().map(ToString::to_string),
                engine_options: EngineOptions {
                    // Longer than the application stack can take: its instances may wait for the
                    // database's creation, within the group's creation signal timeout.
                    timeout: std::time::Duration::from_secs(u64::from(
                        techchallenge_stacks::application::timing::CREATION_SIGNAL_TIMEOUT_SECONDS
                            + 30 * 60,
                    )),
                    ..EngineOptions::default()
                },
            })
        }
    }
}

/// The region and the credentials, checked once before any call: the SDK's own errors for a
/// missing region or credentials are nested provider errors that say little about what to do.
async fn preflight(config: &SdkConfig, options: &AwsOptions) -> anyhow::Result<()> {
    if config.region().is_none() {
        return Err(UsageError(
            "no AWS region: pass --region REGION, set `region` in techchallenge.toml, or configure one (`aws configure set region eu-west-2`, or AWS_REGION)".to_owned(),
        )
        .into());
    }
    let profile = options
        .profile
        .as_deref()
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default();
    let Some(provider) = config.credentials_provider() else {
        anyhow::bail!(no_credentials(&profile));
    };
    match provider.provide_credentials().await {
        Ok(credentials) => {
            if credentials
                .expiry()
                .is_some_and(|e| e <= std::time::SystemTime::now())
            {
                anyhow::bail!(
                    "your AWS credentials have expired: sign in again (`aws sso login{profile}`, or refresh the session's keys) and re-run"
                );
            }
            Ok(())
        }
        Err(e) => {
            let detail = innermost(&e);
            tracing::debug!(error = ?e, "loading credentials failed");
            match e {
                CredentialsError::CredentialsNotLoaded(_) => {
                    anyhow::bail!(no_credentials(&profile))
                }
                _ if detail.to_lowercase().contains("expired") => anyhow::bail!(
                    "your AWS session has expired ({detail}): sign in again with `aws sso login{profile}` and re-run"
                ),
                CredentialsError::ProviderTimedOut(_) => anyhow::bail!(
                    "loading AWS credentials timed out: the credential source (SSO, a role, the instance metadata service) did not answer; check the network and the profile{profile}"
                ),
                _ => anyhow::bail!(
                    "AWS credentials could not be loaded: {detail}. Check the profile (`aws configure list{profile}`)"
                ),
            }
        }
    }
}

fn no_credentials(profile: &str) -> String {
    format!(
        "no AWS credentials found{}: configure access keys with `aws configure`, or an IAM Identity Center (SSO) profile with `aws configure sso` and `aws sso login`, then choose it with --profile NAME or AWS_PROFILE",
        if profile.is_empty() {
            String::new()
        } else {
            format!(" for{profile}")
        }
    )
}

/// The innermost cause of an error, in its own words: the credential providers wrap it in
/// several layers that only say "an error occurred while loading credentials".
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}
