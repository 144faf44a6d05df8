//! What can go wrong with an artifact: reading the build, or an S3 call (named with its bucket
//! and key, and the service's own message).

use std::path::PathBuf;

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
}
