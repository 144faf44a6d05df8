//! Which application build to deploy, found and hashed: `--app-release-url` (downloaded into a
//! temporary directory), `--app-binary PATH`, or by default the workspace's release build. The
//! key is `app/SHA256/TechChallengeApp` for a binary and `app/SHA256/FILE.zip` for a release zip,
//! so an unchanged build keeps its key and is never uploaded twice.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use techchallenge_deploy::artifact::{self, Artifact, ArtifactKind};
use techchallenge_stacks::Settings;
use techchallenge_stacks::artifacts::ARTIFACT_PREFIX;

use crate::settings::UsageError;

/// The executable's name on the instances and in the key.
const BINARY_NAME: &str = "TechChallengeApp";

/// A build ready to upload. Holds the download directory, if any, until dropped.
pub struct AppBuild {
    /// The build, hashed, with its key.
    pub artifact: Artifact,
    _download: Option<tempfile::TempDir>,
}

/// Where the default build is looked for: `target/release/` of the current directory, of
/// `CARGO_TARGET_DIR`, and the directory of this executable (built side by side).
fn default_candidates() -> Vec<PathBuf> {
    let mut out = vec![PathBuf::from("target/release").join(BINARY_NAME)];
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        out.push(PathBuf::from(dir).join("release").join(BINARY_NAME));
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        out.push(dir.join(BINARY_NAME));
    }
    out
}

/// Finds (downloading if asked) and hashes the build the settings name.
pub async fn resolve(settings: &Settings) -> Result<AppBuild> {
    let app = &settings.application;
    if let Some(url) = &app.app_release_url {
        let dir = tempfile::tempdir().context("creating a download directory")?;
        let path = artifact::download(url, dir.path()).await?;
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("release.zip")
            .to_owned();
        let artifact = Artifact::from_file(&path, ArtifactKind::Zip, ARTIFACT_PREFIX, &file_name)
            .await
            .with_context(|| format!("hashing the release downloaded from {url}"))?;
        return Ok(AppBuild {
            artifact,
            _download: Some(dir),
        });
    }
    let path = match &app.app_binary {
        Some(path) => {
            if !path.is_file() {
                anyhow::bail!(UsageError(format!(
                    "the application build {} does not exist: pass --app-binary with the path of a TechChallengeApp executable, or build one with `cargo build --release -p techchallenge-app`",
                    path.display()
                )));
            }
            path.clone()
        }
        None => default_candidates()
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| {
                UsageError(format!(
                    "no application build at target/release/{BINARY_NAME}: run `cargo build --release -p techchallenge-app` first, or pass --app-binary PATH (or --app-release-url URL)"
                ))
            })?,
    };
    let artifact = Artifact::from_file(&path, ArtifactKind::Binary, ARTIFACT_PREFIX, BINARY_NAME)
        .await
        .with_context(|| format!("hashing the application build {}", path.display()))?;
    Ok(AppBuild {
        artifact,
        _download: None,
    })
}
