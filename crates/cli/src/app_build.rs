//! Which application build to deploy, found, checked and hashed: `--app-binary PATH`, or by
//! default the workspace's release build. A build the instances' image could not run (another
//! OS or processor, a newer glibc, a library the image lacks) is refused here, before anything
//! is planned or uploaded. The key is `app/SHA256/TechChallengeApp`, so an unchanged build
//! keeps its key and is never uploaded twice.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use techchallenge_artifact::{AMAZON_LINUX_2023_X86_64, Artifact, check_build};
use techchallenge_stacks::artifacts::ARTIFACT_PREFIX;

use crate::error::UsageError;

/// The executable's name on the instances and in the key.
const BINARY_NAME: &str = "TechChallengeApp";

/// A build ready to upload.
pub struct AppBuild {
    /// The build, hashed, with its key.
    pub artifact: Artifact,
}

/// Refuses a build the instances could not run (a usage error: exit 2), before anything is
/// uploaded or planned.
fn check(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("reading the application build {}", path.display()))?;
    match check_build(&bytes, &AMAZON_LINUX_2023_X86_64) {
        Ok(fit) => {
            tracing::debug!(build = %path.display(), ?fit, "the build fits the image");
            Ok(())
        }
        Err(mismatch) => Err(UsageError(format!(
            "the application build {} cannot run on the instances: {mismatch}",
            path.display()
        ))
        .into()),
    }
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

/// Finds and hashes the build: `app_binary` (from `--app-binary` or the settings file), else the
/// workspace's release build.
pub async fn resolve(app_binary: Option<&Path>) -> Result<AppBuild> {
    let path = match app_binary {
        Some(path) => {
            if !path.is_file() {
                anyhow::bail!(UsageError(format!(
                    "the application build {} does not exist: pass --app-binary with the path of a TechChallengeApp executable, or build one with `cargo build --release -p techchallenge-app`",
                    path.display()
                )));
            }
            path.to_path_buf()
        }
        None => default_candidates()
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| {
                UsageError(format!(
                    "no application build at target/release/{BINARY_NAME}: run `cargo build --release -p techchallenge-app` first, or pass --app-binary PATH"
                ))
            })?,
    };
    check(&path)?;
    let artifact = Artifact::from_file(&path, ARTIFACT_PREFIX, BINARY_NAME)
        .await
        .with_context(|| format!("hashing the application build {}", path.display()))?;
    Ok(AppBuild { artifact })
}
