//! What the CLI's in-process tests share: a `World` of fakes (CloudFormation, the artifact
//! store, the image catalog, the diagnostics, the logs and the instances) and a way to run one
//! command line against it with a scripted console.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use techchallenge_artifact::MemoryArtifactStore;
use techchallenge_cli::{Backend, Captured, Console, Services, run};
use techchallenge_deploy::EngineOptions;
use techchallenge_deploy::fake::{FakeCloudFormation, FakeDiagnostics};
use techchallenge_fleet::fake::{FakeImageCatalog, FakeInstances, FakeLogs};
use techchallenge_stacks::application::AMI_PARAMETER;

/// The newest Amazon Linux image when the tests start.
pub const FIRST_IMAGE: &str = "ami-0aaaaaaaaaaaaaaa1";

pub struct World {
    pub fake: Arc<FakeCloudFormation>,
    pub store: Arc<MemoryArtifactStore>,
    pub images: Arc<FakeImageCatalog>,
    pub diagnostics: Arc<FakeDiagnostics>,
    pub logs: Arc<FakeLogs>,
    pub instances: Arc<FakeInstances>,
    _dir: tempfile::TempDir,
    binary: String,
}

impl World {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        // A small build the instances could run (the deployer checks before uploading):
        // Debian's `true`, an x86-64 program needing glibc 2.34 at most.
        let binary = dir.path().join("TechChallengeApp");
        std::fs::copy("/usr/bin/true", &binary).expect("copy /usr/bin/true as the build");
        Self {
            fake: Arc::new(FakeCloudFormation::new()),
            store: Arc::new(MemoryArtifactStore::new()),
            images: Arc::new(FakeImageCatalog::with(AMI_PARAMETER, FIRST_IMAGE)),
            diagnostics: Arc::new(FakeDiagnostics::new()),
            logs: Arc::new(FakeLogs::new()),
            instances: Arc::new(FakeInstances::default()),
            binary: binary.to_str().expect("utf-8").to_owned(),
            _dir: dir,
        }
    }

    pub fn backend(&self) -> Backend {
        Backend::Fixed(Box::new(Services {
            cfn: self.fake.clone(),
            store: self.store.clone(),
            images: self.images.clone(),
            diagnostics: self.diagnostics.clone(),
            logs: self.logs.clone(),
            instances: self.instances.clone(),
            region: Some("eu-west-2".to_owned()),
            engine_options: EngineOptions {
                poll_interval: Duration::from_secs(1),
                timeout: Duration::from_secs(600),
                request_token: Some("t".to_owned()),
                ..EngineOptions::default()
            },
        }))
    }

    pub async fn run_with(&self, args: &[&str], console: &Console) -> u8 {
        let mut all = vec!["techchallenge"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--app-binary", &self.binary]);
        run(all, console, self.backend()).await
    }

    pub async fn run(&self, args: &[&str], input: &str, tty: bool) -> (u8, Captured) {
        let (console, captured) = Console::scripted(input, tty);
        let code = self.run_with(args, &console).await;
        (code, captured)
    }

    pub fn executed(&self) -> usize {
        self.fake.calls_of("ExecuteChangeSet").len() + self.fake.calls_of("CreateStack").len()
    }
}
