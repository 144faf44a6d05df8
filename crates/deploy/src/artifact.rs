//! The application build the instances boot from: hashed while it is read, keyed by that hash in
//! the artifacts bucket, and uploaded only when the bucket does not hold that key yet. S3 is
//! reached through the small [`ArtifactStore`] trait: [`SdkArtifactStore`] (the official
//! `aws-sdk-s3`) in real runs, [`MemoryArtifactStore`] in tests. Also downloads a release zip
//! (`--app-release-url`) so it can be uploaded the same way, and empties the versioned bucket
//! before its stack is deleted.
//!
//! Not for: deciding which build to deploy or where keys go (the caller passes the prefix), or
//! anything CloudFormation does.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What can go wrong with an artifact.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The build could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A downloaded file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An S3 call failed.
    #[error("S3 {operation} on s3://{bucket}/{key} failed: {message}")]
    S3 {
        /// The API operation.
        operation: &'static str,
        /// The bucket.
        bucket: String,
        /// The key (empty for bucket-wide calls).
        key: String,
        /// The service's or the transport's message.
        message: String,
    },
    /// A release could not be downloaded.
    #[error("downloading {url} failed: {message}")]
    Download {
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
}

/// What the build is: our executable, or an upstream release archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    /// A TechChallengeApp executable.
    Binary,
    /// A release zip holding the executable and its assets.
    Zip,
}

impl ArtifactKind {
    /// The value of the application stack's `AppArtifactKind` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Binary => "binary",
            ArtifactKind::Zip => "zip",
        }
    }
}

/// A build ready to upload: where it is, its hash and the key it goes under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// The local file.
    pub path: PathBuf,
    /// Binary or zip.
    pub kind: ArtifactKind,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// The object key: `PREFIX` + `SHA256/` + file name.
    pub key: String,
}

impl Artifact {
    /// Hashes `path` (streaming, so a large build is never held in memory) and derives its key
    /// `{prefix}{sha256}/{file_name}`: a changed build gets a new key, an unchanged one the same.
    pub async fn from_file(
        path: &Path,
        kind: ArtifactKind,
        prefix: &str,
        file_name: &str,
    ) -> Result<Self, ArtifactError> {
        let owned = path.to_path_buf();
        let (sha256, size) = tokio::task::spawn_blocking(move || sha256_file(&owned))
            .await
            .map_err(|e| ArtifactError::Read {
                path: path.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            })??;
        Ok(Self {
            path: path.to_path_buf(),
            kind,
            key: format!("{prefix}{sha256}/{file_name}"),
            sha256,
            size,
        })
    }
}

/// SHA-256 (lower-case hex) and size of a file, read in 64 KiB chunks.
pub fn sha256_file(path: &Path) -> Result<(String, u64), ArtifactError> {
    let read_err = |source| ArtifactError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(read_err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// What `ensure_uploaded` did.
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

/// Downloads `url` into `dir` (file name: the URL's last path segment), streaming to disk.
pub async fn download(url: &str, dir: &Path) -> Result<PathBuf, ArtifactError> {
    let fail = |message: String| ArtifactError::Download {
        url: url.to_owned(),
        message,
    };
    let name = url
        .split(['?', '#'])
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .unwrap_or("release.zip")
        .to_owned();
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !response.status().is_success() {
        return Err(fail(format!("HTTP {}", response.status())));
    }
    let path = dir.join(name);
    let write_err = |source| ArtifactError::Write {
        path: path.clone(),
        source,
    };
    let mut file = tokio::fs::File::create(&path).await.map_err(write_err)?;
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(e.to_string()))? {
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
            .await
            .map_err(write_err)?;
    }
    tokio::io::AsyncWriteExt::flush(&mut file)
        .await
        .map_err(write_err)?;
    Ok(path)
}

/// [`ArtifactStore`] over the official S3 SDK.
#[derive(Debug, Clone)]
pub struct SdkArtifactStore {
    client: aws_sdk_s3::Client,
}

impl SdkArtifactStore {
    /// Wraps an S3 client.
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self { client }
    }

    /// A client for `config`; path-style addressing when an endpoint is overridden (emulators
    /// such as moto answer on one host, not on `BUCKET.host`).
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        let mut builder = aws_sdk_s3::config::Builder::from(config);
        if config.endpoint_url().is_some() {
            builder = builder.force_path_style(true);
        }
        Self::new(aws_sdk_s3::Client::from_conf(builder.build()))
    }
}

fn s3_error<E>(
    operation: &'static str,
    bucket: &str,
    key: &str,
    err: &aws_sdk_s3::error::SdkError<E>,
) -> ArtifactError
where
    E: std::error::Error + 'static,
{
    use std::error::Error as _;
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        message = format!("{message}: {s}");
        source = s.source();
    }
    ArtifactError::S3 {
        operation,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        message,
    }
}

#[async_trait]
impl ArtifactStore for SdkArtifactStore {
    async fn exists(&self, bucket: &str, key: &str) -> Result<bool, ArtifactError> {
        match self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(false),
            Err(e) => Err(s3_error("HeadObject", bucket, key, &e)),
        }
    }

    async fn put_file(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        sha256: &str,
    ) -> Result<(), ArtifactError> {
        let body = aws_sdk_s3::primitives::ByteStream::from_path(path)
            .await
            .map_err(|e| ArtifactError::Read {
                path: path.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            })?;
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body)
            .metadata("sha256", sha256)
            // Our own SHA-256 as a header: S3 verifies the upload against it, and the SDK then
            // sends a plain body instead of a chunked one with a trailing checksum (which
            // some S3-compatible endpoints, moto among them, never finish reading).
            .checksum_sha256(sha256_base64(sha256))
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
            .send()
            .await
            .map_err(|e| s3_error("PutObject", bucket, key, &e))?;
        Ok(())
    }

    async fn empty_bucket(&self, bucket: &str) -> Result<u64, ArtifactError> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        let refused = |key: &str, message: String| ArtifactError::S3 {
            operation: "DeleteObjects",
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message,
        };
        let mut deleted = 0u64;
        loop {
            // Always list from the start: what was deleted no longer shows.
            let page = self
                .client
                .list_object_versions()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| s3_error("ListObjectVersions", bucket, "", &e))?;
            let mut ids = Vec::new();
            let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
            let markers = page
                .delete_markers()
                .iter()
                .map(|m| (m.key(), m.version_id()));
            for (key, version) in versions.chain(markers) {
                let Some(key) = key else { continue };
                let id = ObjectIdentifier::builder()
                    .key(key)
                    .set_version_id(version.map(str::to_owned))
                    .build()
                    .map_err(|e| refused(key, e.to_string()))?;
                ids.push(id);
            }
            if ids.is_empty() {
                return Ok(deleted);
            }
            for batch in ids.chunks(1000) {
                let delete = Delete::builder()
                    .set_objects(Some(batch.to_vec()))
                    .quiet(true)
                    .build()
                    .map_err(|e| refused("", e.to_string()))?;
                let answer = self
                    .client
                    .delete_objects()
                    .bucket(bucket)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(|e| s3_error("DeleteObjects", bucket, "", &e))?;
                if let Some(err) = answer.errors().first() {
                    return Err(refused(
                        err.key().unwrap_or_default(),
                        err.message().unwrap_or("refused").to_owned(),
                    ));
                }
                deleted += batch.len() as u64;
            }
        }
    }
}

/// An in-memory [`ArtifactStore`] for tests: buckets of keys (with their content) and a call log.
#[derive(Debug, Default)]
pub struct MemoryArtifactStore {
    state: Mutex<MemoryState>,
}

#[derive(Debug, Default)]
struct MemoryState {
    objects: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    calls: Vec<String>,
}

impl MemoryArtifactStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Puts an object in, as if uploaded earlier.
    pub fn insert(&self, bucket: &str, key: &str, content: &[u8]) {
        self.lock()
            .objects
            .entry(bucket.to_owned())
            .or_default()
            .insert(key.to_owned(), content.to_vec());
    }

    /// The keys of a bucket.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        self.lock()
            .objects
            .get(bucket)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Every call received: `"HeadObject bucket/key"`, `"PutObject bucket/key"`, `"Empty bucket"`.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }
}

#[async_trait]
impl ArtifactStore for MemoryArtifactStore {
    async fn exists(&self, bucket: &str, key: &str) -> Result<bool, ArtifactError> {
        let mut state = self.lock();
        state.calls.push(format!("HeadObject {bucket}/{key}"));
        Ok(state
            .objects
            .get(bucket)
            .is_some_and(|o| o.contains_key(key)))
    }

    async fn put_file(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        _sha256: &str,
    ) -> Result<(), ArtifactError> {
        let content = std::fs::read(path).map_err(|source| ArtifactError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut state = self.lock();
        state.calls.push(format!("PutObject {bucket}/{key}"));
        state
            .objects
            .entry(bucket.to_owned())
            .or_default()
            .insert(key.to_owned(), content);
        Ok(())
    }

    async fn empty_bucket(&self, bucket: &str) -> Result<u64, ArtifactError> {
        let mut state = self.lock();
        state.calls.push(format!("Empty {bucket}"));
        Ok(state.objects.remove(bucket).map_or(0, |o| o.len() as u64))
    }
}

/// The base64 of a hex SHA-256, the form S3's `x-amz-checksum-sha256` header takes.
fn sha256_base64(hex: &str) -> String {
    aws_smithy_types::base64::encode(hex::decode(hex).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn key_follows_the_content_and_uploads_happen_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app");
        std::fs::write(&path, b"abc").expect("write");
        let a = Artifact::from_file(&path, ArtifactKind::Binary, "app/", "TechChallengeApp")
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
