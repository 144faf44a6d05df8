//! One build, hashed: its SHA-256 is computed while the file is streamed (a large build is never
//! held in memory) and becomes part of its key, so a changed build gets a new key and an
//! unchanged one keeps it.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ArtifactError;

/// A build ready to upload: where it is, its hash and the key it goes under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// The local file.
    pub path: PathBuf,
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
