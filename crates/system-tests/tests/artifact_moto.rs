//! The S3 artifact store over the real SDK against the moto emulator: `empty_bucket` leaves a
//! versioned bucket deletable, and a real-sized build uploads and reads back intact. moto is
//! shared state: it is reset once per test binary, and buckets are named after the run. Each test
//! is bounded in time. Without moto the tests skip with a note, unless `TESTS_REQUIRE_SERVICES=1`.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use sha2::{Digest, Sha256};
use techchallenge_artifact::{Artifact, ArtifactStore, SdkArtifactStore, Upload, ensure_uploaded};
use techchallenge_system_tests::moto::{self, bounded, run_prefix};

/// An S3 client for the tests' own setup and checks: path-style like the store's, and checksums
/// only where S3 requires them, so the setup never depends on the upload fix under test.
fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(true)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &str) {
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateBucket {bucket}: {e:?}"));
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, content: &str) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(content.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject {bucket}/{key}: {e:?}"));
}

/// Every object version and delete marker in `bucket`: `(key, is a delete marker)`, sorted.
async fn entries(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<(String, bool)> {
    let page = s3
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectVersions {bucket}: {e:?}"));
    assert_ne!(page.is_truncated(), Some(true), "a handful fits one page");
    let versions = page.versions().iter().map(|v| (v.key(), false));
    let markers = page.delete_markers().iter().map(|m| (m.key(), true));
    let mut all: Vec<_> = versions
        .chain(markers)
        .map(|(key, marker)| (key.unwrap_or_default().to_owned(), marker))
        .collect();
    all.sort();
    all
}

#[tokio::test]
async fn empty_bucket_leaves_a_versioned_bucket_deletable_on_moto() {
    let Some(url) = moto::url() else { return };
    bounded(Duration::from_secs(60), "emptying a versioned bucket", async {
        let config = moto::sdk_config(&url).await;
        let s3 = s3_client(&config);
        let bucket = run_prefix("empty");
        create_bucket(&s3, &bucket).await;
        let enabled = VersioningConfiguration::builder()
            .status(BucketVersioningStatus::Enabled)
            .build();
        s3.put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(enabled)
            .send()
            .await
            .expect("PutBucketVersioning");
        for key in ["app/a/TechChallengeApp", "app/b/TechChallengeApp", "notes"] {
            put(&s3, &bucket, key, key).await;
        }
        for build in ["build 1", "build 2", "build 3"] {
            put(&s3, &bucket, "app/current", build).await;
        }
        s3.delete_object()
            .bucket(&bucket)
            .key("notes")
            .send()
            .await
            .expect("DeleteObject (leaves a delete marker)");
        let before = entries(&s3, &bucket).await;
        let markers = before.iter().filter(|(_, marker)| *marker).count();
        assert_eq!((before.len(), markers), (7, 1), "{before:?}");
        assert!(
            s3.delete_bucket().bucket(&bucket).send().await.is_err(),
            "a bucket still holding versions must not be deletable (else this test proves nothing)"
        );

        let store = SdkArtifactStore::from_config(&config);
        let deleted = store.empty_bucket(&bucket).await.expect("empty_bucket");
        assert_eq!(deleted, 7, "six versions and one delete marker");
        let after = entries(&s3, &bucket).await;
        assert!(after.is_empty(), "left behind: {after:?}");
        assert_eq!(
            store.empty_bucket(&bucket).await.expect("empty again"),
            0,
            "an empty bucket is emptied without deleting anything"
        );
        s3.delete_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("DeleteBucket after empty_bucket");
        assert!(
            s3.head_bucket().bucket(&bucket).send().await.is_err(),
            "the bucket is gone"
        );
    })
    .await;
}

/// `len` bytes that neither repeat nor compress, like a real executable, from a fixed seed
/// (xorshift64).
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// A real-sized PutObject once hung on moto: the SDK sent the body chunked with a trailing
/// checksum, which moto never finished reading. `put_file` now sends our SHA-256 as the checksum
/// header; this uploads 8 MB through the store and reads back the same bytes.
#[tokio::test]
async fn a_real_sized_build_uploads_and_reads_back_intact_on_moto() {
    const SIZE: usize = 8 * 1024 * 1024;
    let Some(url) = moto::url() else { return };
    bounded(
        Duration::from_secs(120),
        "the 8 MB upload scenario",
        async {
            let config = moto::sdk_config(&url).await;
            let s3 = s3_client(&config);
            let bucket = run_prefix("upload");
            create_bucket(&s3, &bucket).await;
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("TechChallengeApp");
            let build = pseudo_random(SIZE);
            std::fs::write(&path, &build).expect("write the build");
            let artifact = Artifact::from_file(&path, "app/", "TechChallengeApp")
                .await
                .expect("hash the build");
            assert_eq!(artifact.size, SIZE as u64);

            let store = SdkArtifactStore::from_config(&config);
            let upload = tokio::time::timeout(
                Duration::from_secs(60),
                ensure_uploaded(&store, &bucket, &artifact),
            )
            .await
            .expect(
                "PutObject of 8 MB did not finish within 60 s: is the body sent chunked with a \
             trailing checksum again? (see SdkArtifactStore::put_file)",
            )
            .expect("upload");
            assert_eq!(upload, Upload::Uploaded);

            let object = s3
                .get_object()
                .bucket(&bucket)
                .key(&artifact.key)
                .send()
                .await
                .expect("GetObject");
            assert_eq!(
                object.metadata().and_then(|m| m.get("sha256")),
                Some(&artifact.sha256),
                "the SHA-256 metadata"
            );
            let body = object.body.collect().await.expect("read back").into_bytes();
            assert_eq!(body.len(), SIZE);
            assert_eq!(hex::encode(Sha256::digest(&body)), artifact.sha256);
            assert!(
                body.as_ref() == build.as_slice(),
                "the bytes read back differ"
            );

            // The next deploy finds the key (HeadObject on the real endpoint) and sends nothing.
            assert_eq!(
                ensure_uploaded(&store, &bucket, &artifact)
                    .await
                    .expect("check again"),
                Upload::Unchanged
            );
        },
    )
    .await;
}
