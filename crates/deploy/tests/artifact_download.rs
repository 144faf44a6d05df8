//! `--app-release-url`: the deployer downloads the release zip itself, then hashes and keys it like
//! any build. Served here by a one-shot HTTP server on 127.0.0.1 (no outside network).

use techchallenge_deploy::artifact::{self, Artifact, ArtifactKind, MemoryArtifactStore, Upload};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `body` once, for any request; returns the base URL.
async fn serve_once(body: &'static [u8], status: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.expect("accept");
        let mut request = [0u8; 4096];
        let _ = conn.read(&mut request).await;
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        conn.write_all(head.as_bytes()).await.expect("head");
        conn.write_all(body).await.expect("body");
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_release_zip_is_downloaded_hashed_keyed_and_uploaded_once() {
    // A tiny but real zip: one empty entry named TechChallengeApp (stored, no compression).
    const ZIP: &[u8] = b"PK\x03\x04\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00TechChallengeAppPK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
    let base = serve_once(ZIP, "200 OK").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = artifact::download(
        &format!("{base}/releases/TechChallengeApp_v.0.11.0_linux64.zip"),
        dir.path(),
    )
    .await
    .expect("download");
    assert_eq!(std::fs::read(&path).expect("read"), ZIP);
    let a = Artifact::from_file(
        &path,
        ArtifactKind::Zip,
        "app/",
        "TechChallengeApp_v.0.11.0_linux64.zip",
    )
    .await
    .expect("hash");
    assert_eq!(
        a.key,
        format!("app/{}/TechChallengeApp_v.0.11.0_linux64.zip", a.sha256)
    );
    assert_eq!(a.size, ZIP.len() as u64);
    let store = MemoryArtifactStore::new();
    assert_eq!(
        artifact::ensure_uploaded(&store, "b", &a)
            .await
            .expect("up"),
        Upload::Uploaded
    );
    assert_eq!(
        artifact::ensure_uploaded(&store, "b", &a)
            .await
            .expect("again"),
        Upload::Unchanged
    );
}

#[tokio::test]
async fn a_failed_download_says_the_url_and_status() {
    let base = serve_once(b"nope", "404 Not Found").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let err = artifact::download(&format!("{base}/missing.zip"), dir.path())
        .await
        .expect_err("404");
    let text = err.to_string();
    assert!(
        text.contains("missing.zip") && text.contains("404"),
        "{text}"
    );
}
