//! The engine against the moto emulator (started by `scripts/test`, which exports
//! `TEST_MOTO_URL` and `AWS_ENDPOINT_URL`): creates an exporting and an importing stack in order
//! with the direct method (moto cannot execute change sets), shows their outputs and exports,
//! finds a second deploy a no-op, applies a changed parameter, reports status and outputs, and
//! refuses to destroy a stack whose export is imported. The S3 artifact store against moto too:
//! `empty_bucket` leaves a versioned bucket deletable, and a real-sized build uploads and reads back
//! intact. moto is shared state: it is reset once per run, and every test names its stacks and
//! buckets after the run and itself so they never meet. Each test is bounded in time.
//! Without `TEST_MOTO_URL` the tests are skipped with a note, unless `TESTS_REQUIRE_SERVICES=1`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Once};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use common::{all_ended, deploy, outcomes};
use serde_json::json;
use sha2::{Digest, Sha256};
use techchallenge_deploy::artifact::{
    Artifact, ArtifactKind, ArtifactStore, SdkArtifactStore, Upload, ensure_uploaded,
};
use techchallenge_deploy::{
    AwsOptions, CollectingSink, Engine, EngineOptions, Error, Method, Outcome, Parameter,
    PlanAction, StackName, StackSpec, sdk_cloudformation, sdk_config,
};

/// moto's URL from `TEST_MOTO_URL`, after resetting moto once for the whole run; `None` (with a
/// note) to skip when it is not set, a panic instead when `TESTS_REQUIRE_SERVICES=1`.
fn moto_url() -> Option<String> {
    static RESET: Once = Once::new();
    let Ok(url) = std::env::var("TEST_MOTO_URL") else {
        if std::env::var("TESTS_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!(
                "TEST_MOTO_URL is not set but TESTS_REQUIRE_SERVICES=1: start moto with `source scripts/lib/moto.sh`"
            );
        }
        eprintln!(
            "skipped: TEST_MOTO_URL is not set (run through scripts/test, or `source scripts/lib/moto.sh`)"
        );
        return None;
    };
    RESET.call_once(|| reset_moto(&url));
    Some(url)
}

/// A prefix unique to this run and `test`, for names in moto's shared state.
fn run_prefix(test: &str) -> String {
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("mt{run}-{test}")
}

/// Runs `test` against moto, failing with a clear message if it takes longer than `limit`
/// (an emulator that stops answering must not hang the suite).
async fn bounded<T>(limit: Duration, what: &str, test: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, test)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {limit:?} against moto"))
}

/// `POST /moto-api/reset` with a hand-written HTTP/1.1 request: one call does not justify an HTTP client dependency.
fn reset_moto(url: &str) {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut conn = TcpStream::connect(host).expect("moto reachable at TEST_MOTO_URL");
    write!(conn, "POST /moto-api/reset HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .expect("send reset");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("read reset answer");
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "moto reset: {answer}"
    );
}

fn exporter_template(export: &str, parameter_name: &str) -> String {
    json!({
        "Parameters": {"Greeting": {"Type": "String"}},
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.20.0.0/16"}},
            "GreetingParameter": {"Type": "AWS::SSM::Parameter", "Properties": {
                "Name": parameter_name, "Type": "String", "Value": {"Ref": "Greeting"}}}
        },
        "Outputs": {
            "VpcId": {"Value": {"Ref": "Vpc"}, "Export": {"Name": export}},
            "Greeting": {"Value": {"Ref": "Greeting"}}
        }
    })
    .to_string()
}

fn importer_template(export: &str) -> String {
    json!({
        "Resources": {
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Fn::ImportValue": export}, "CidrBlock": "10.20.1.0/24"}}
        },
        "Outputs": {"SubnetId": {"Value": {"Ref": "Subnet"}}}
    })
    .to_string()
}

#[tokio::test]
async fn deploys_updates_reports_and_protects_exports_on_moto() {
    let Some(url) = moto_url() else { return };
    bounded(
        Duration::from_secs(240),
        "the stacks scenario",
        stacks_scenario(url),
    )
    .await;
}

async fn stacks_scenario(url: String) {
    let run = run_prefix("cfn");
    let exporter = StackName::new(format!("{run}-exporter")).expect("valid");
    let importer = StackName::new(format!("{run}-importer")).expect("valid");
    let export = format!("{run}-VpcId");
    let exporter_spec = |greeting: &str| {
        StackSpec::new(
            exporter.clone(),
            exporter_template(&export, &format!("/{run}/greeting")),
        )
        .parameter(Parameter::new("Greeting", greeting))
        .tag("project", "techchallenge")
    };
    let importer_spec =
        StackSpec::new(importer.clone(), importer_template(&export)).depends_on(exporter.clone());

    let cfn = sdk_cloudformation(&AwsOptions {
        endpoint_url: Some(url.clone()),
        ..AwsOptions::default()
    })
    .await;
    let sink = Arc::new(CollectingSink::new());
    let options = EngineOptions {
        poll_interval: Duration::from_millis(200),
        timeout: Duration::from_secs(60),
        ..EngineOptions::default()
    };
    let engine = Engine::new(Arc::new(cfn), sink.clone(), options);

    // Create, in dependency order (the importer fails on moto if its export does not exist yet).
    let specs = vec![importer_spec.clone(), exporter_spec("hello")];
    let plan = engine
        .plan(&specs, Method::Direct)
        .await
        .expect("plan create");
    assert!(
        plan.stacks.iter().all(|s| s.action == PlanAction::Create),
        "{plan}"
    );
    assert_eq!(plan.stacks[0].stack, exporter);
    let report = deploy(&engine, &plan, "create").await;
    assert_eq!(
        outcomes(&report.stacks),
        [
            (exporter.as_str(), Outcome::Created),
            (importer.as_str(), Outcome::Created)
        ]
    );

    // Outputs and exports are visible.
    let outputs = engine
        .outputs(&[exporter.clone(), importer.clone()])
        .await
        .expect("outputs");
    let vpc = outputs[0]
        .1
        .iter()
        .find(|o| o.key == "VpcId")
        .expect("VpcId output");
    assert!(vpc.value.starts_with("vpc-"), "{vpc:?}");
    assert_eq!(
        vpc.export_name.as_ref().map(|e| e.as_str()),
        Some(export.as_str())
    );
    assert!(
        outputs[1]
            .1
            .iter()
            .any(|o| o.key == "SubnetId" && o.value.starts_with("subnet-")),
        "{outputs:?}"
    );

    // A second deploy is a no-op success.
    let plan = engine
        .plan(&specs, Method::Direct)
        .await
        .expect("plan again");
    assert!(plan.is_empty(), "{plan}");
    let report = deploy(&engine, &plan, "no-op deploy").await;
    assert!(all_ended(&report.stacks, Outcome::NoChanges));

    // UpdateStack itself answering "No updates are to be performed." is a success too.
    let mut forced = plan.clone();
    forced.stacks[0].action = PlanAction::Update;
    let report = deploy(&engine, &forced, "no-op UpdateStack").await;
    assert_eq!(report.stacks[0].outcome, Outcome::NoChanges);

    // A changed parameter updates the exporter only.
    let specs = vec![importer_spec.clone(), exporter_spec("bonjour")];
    let plan = engine
        .plan(&specs, Method::Direct)
        .await
        .expect("plan update");
    assert_eq!(plan.stacks[0].action, PlanAction::Update, "{plan}");
    assert_eq!(plan.stacks[1].action, PlanAction::NoChanges, "{plan}");
    let report = deploy(&engine, &plan, "update").await;
    assert_eq!(report.stacks[0].outcome, Outcome::Updated);

    // Status and outputs report the update.
    let states = engine
        .status(&[exporter.clone(), importer.clone()])
        .await
        .expect("status");
    let ex = states[0].description.as_ref().expect("exporter exists");
    assert_eq!(ex.status.as_str(), "UPDATE_COMPLETE");
    // moto reports no LastUpdatedTime; last_changed() falls back to the creation time.
    assert!(!ex.last_changed().rfc3339.is_empty());
    assert!(
        ex.outputs
            .iter()
            .any(|o| o.key == "Greeting" && o.value == "bonjour"),
        "{:?}",
        ex.outputs
    );
    assert_eq!(
        states[1].description.as_ref().map(|d| d.status.as_str()),
        Some("CREATE_COMPLETE")
    );

    // Destroying the exporter alone is refused while the importer imports its export.
    // (moto does not implement ListImports: the engine falls back to the declared dependency.)
    let known = vec![importer_spec.clone(), exporter_spec("bonjour")];
    let err = engine
        .destroy_selected(&known, std::slice::from_ref(&exporter))
        .await
        .expect_err("refused");
    match &err {
        Error::ExportInUse { importers, .. } => {
            assert_eq!(importers, std::slice::from_ref(&importer))
        }
        other => panic!("expected ExportInUse, got {other}"),
    }
    assert!(
        engine
            .status(std::slice::from_ref(&exporter))
            .await
            .expect("status")[0]
            .description
            .is_some(),
        "still there"
    );

    // The importer itself can go.
    let report = engine
        .destroy(&[importer_spec])
        .await
        .expect("destroy importer");
    assert_eq!(report.stacks[0].outcome, Outcome::Deleted);
}

/// The SDK configuration for moto at `url` (credentials and region from the environment).
async fn moto_config(url: &str) -> SdkConfig {
    sdk_config(&AwsOptions {
        endpoint_url: Some(url.to_owned()),
        ..AwsOptions::default()
    })
    .await
}

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
    let Some(url) = moto_url() else { return };
    bounded(Duration::from_secs(60), "emptying a versioned bucket", async {
        let config = moto_config(&url).await;
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
    let Some(url) = moto_url() else { return };
    bounded(
        Duration::from_secs(120),
        "the 8 MB upload scenario",
        async {
            let config = moto_config(&url).await;
            let s3 = s3_client(&config);
            let bucket = run_prefix("upload");
            create_bucket(&s3, &bucket).await;
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("TechChallengeApp");
            let build = pseudo_random(SIZE);
            std::fs::write(&path, &build).expect("write the build");
            let artifact =
                Artifact::from_file(&path, ArtifactKind::Binary, "app/", "TechChallengeApp")
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
