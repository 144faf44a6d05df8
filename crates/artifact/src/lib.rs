//! The application build the instances boot from, as the deployer ships it: hashed while it is
//! read ([`Artifact`]), keyed by that hash in the artifacts bucket, and uploaded only when the
//! bucket does not hold that key yet ([`ensure_uploaded`]). S3 is reached through the small
//! [`ArtifactStore`] trait, implemented with the official `aws-sdk-s3` in [`SdkArtifactStore`]
//! (and, with the `fake` feature, in memory for tests). The store also empties the versioned
//! bucket before its stack is deleted. Before any of that, [`check_build`] makes sure the build
//! can run on the instances' image at all.
//!
//! Not for: deciding which build to deploy or where keys go (the caller passes the prefix), or
//! anything CloudFormation does (that is the deploy engine's job).

mod artifact;
mod error;
#[cfg(feature = "fake")]
mod memory;
mod platform;
mod s3;

use std::path::Path;

use async_trait::async_trait;
use serde::Serialize;

pub use artifact::{Artifact, sha256_file};
pub use error::ArtifactError;
#[cfg(feature = "fake")]
pub use memory::MemoryArtifactStore;
pub use platform::{AMAZON_LINUX_2023_X86_64, BuildFit, BuildMismatch, Platform, check_build};
pub use s3::SdkArtifactStore;

/// What [`ensure_uploaded`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Upload {
    /// The object was missing and is now uploaded.
    Uploaded,
    /// The bucket already held this key (same content hash): nothing was sent.
    Unchanged,
}

/// The S3 calls the deployer makes.
#[async_trait]
pub trait ArtifactStore: Send + Sync {
    /// `HeadObject`: whether the key exists.
    async fn exists(&self, bucket: &str, key: &str) -> Result<bool, ArtifactError>;
    /// `PutObject` of a local file, recording its SHA-256 as metadata.
    async fn put_file(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        sha256: &str,
    ) -> Result<(), ArtifactError>;
    /// Deletes every object version and delete marker; returns how many entries were deleted.
    async fn empty_bucket(&self, bucket: &str) -> Result<u64, ArtifactError>;
}

/// Uploads `artifact` to `bucket` unless the bucket already holds its key.
pub async fn ensure_uploaded(
    store: &dyn ArtifactStore,
    bucket: &str,
    artifact: &Artifact,
) -> Result<Upload, ArtifactError> {
    if store.exists(bucket, &artifact.key).await? {
        tracing::debug!(bucket, key = %artifact.key, "artifact already uploaded");
        return Ok(Upload::Unchanged);
    }
    store
        .put_file(bucket, &artifact.key, &artifact.path, &artifact.sha256)
        .await?;
    Ok(Upload::Uploaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn key_follows_the_content_and_uploads_happen_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app");
        std::fs::write(&path, b"abc").expect("write");
        let a = Artifact::from_file(&path, "app/", "TechChallengeApp")
            .await
            .expect("hash");
        assert_eq!(
            a.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(a.key, format!("app/{}/TechChallengeApp", a.sha256));
        let store = MemoryArtifactStore::new();
        assert_eq!(
            ensure_uploaded(&store, "b", &a).await.expect("upload"),
            Upload::Uploaded
        );
        assert_eq!(
            ensure_uploaded(&store, "b", &a).await.expect("again"),
            Upload::Unchanged
        );
        assert_eq!(
            store
                .calls()
                .iter()
                .filter(|c| c.starts_with("PutObject"))
                .count(),
            1
        );
    }
}
