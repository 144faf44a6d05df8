//! An in-memory [`ArtifactStore`] for the tests of crates that upload builds (`fake` feature):
//! buckets of keys with their content, and a log of the calls received.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::{ArtifactError, ArtifactStore};

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
