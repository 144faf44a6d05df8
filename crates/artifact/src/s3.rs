//! [`ArtifactStore`] over the official S3 SDK: `HeadObject` before `PutObject` (with our SHA-256
//! as S3's checksum, so S3 verifies the upload), and emptying a versioned bucket of every version
//! and delete marker.

use std::path::Path;

use async_trait::async_trait;
use base64::Engine as _;

use crate::{ArtifactError, ArtifactStore};

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
    pub fn from_config(config: &aws_types::SdkConfig) -> Self {
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
            .checksum_sha256(sha256_base64(sha256).map_err(|message| ArtifactError::S3 {
                operation: "PutObject",
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                message,
            })?)
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

/// The base64 of a hex SHA-256, the form S3's `x-amz-checksum-sha256` header takes. Anything
/// but 64 hex digits is refused: an empty or wrong checksum would only fail at S3, obscurely.
fn sha256_base64(hex: &str) -> Result<String, String> {
    match hex::decode(hex) {
        Ok(bytes) if bytes.len() == 32 => {
            Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        _ => Err(format!("{hex:?} is not a hex SHA-256 (64 hex digits)")),
    }
}

#[cfg(test)]
mod tests {
    use super::sha256_base64;

    #[test]
    fn the_checksum_header_is_the_base64_of_the_digest_and_refuses_bad_hex() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(
            sha256_base64(abc).as_deref(),
            Ok("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
        );
        for bad in [
            "",
            "abc",
            &abc[..62],
            &format!("{abc}00"),
            &abc.replace('b', "x"),
        ] {
            assert!(sha256_base64(bad).is_err(), "{bad}");
        }
    }
}
