//! TLS to the local PostgreSQL (Debian's cluster serves its "snakeoil" certificate): each sslmode
//! connects or refuses as libpq's would, and bad CA bundles are clear errors.

use techchallenge_app::config::{DbSettings, SslMode};
use techchallenge_app::store::postgres::connect_one;

use crate::helpers::{database_url, settings_for};

/// The server's certificate file and the DNS name in it, when the server has TLS on.
async fn server_cert(db: &DbSettings) -> (String, String) {
    let c = connect_one(db, "postgres").await.expect("plain connection");
    let ssl: String = c.query_one("SHOW ssl", &[]).await.expect("show ssl").get(0);
    assert_eq!(
        ssl, "on",
        "the test cluster should have TLS on (Debian's default)"
    );
    let file: String = c
        .query_one("SHOW ssl_cert_file", &[])
        .await
        .expect("cert file")
        .get(0);
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName", "-in", &file])
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let name = text
        .split("DNS:")
        .nth(1)
        .map(|s| s.split([',', '\n']).next().unwrap_or("").trim().to_owned())
        .unwrap_or_default();
    assert!(
        !name.is_empty(),
        "server certificate has a DNS name: {text}"
    );
    (file, name)
}

async fn uses_tls(db: &DbSettings) -> Result<bool, String> {
    let c = connect_one(db, "postgres")
        .await
        .map_err(|e| e.to_string())?;
    let row = c
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

#[tokio::test]
async fn sslmodes_behave_like_libpq() {
    let Some(url) = database_url() else { return };
    let mut db = settings_for(&url, "postgres");
    let (cert, name) = server_cert(&db).await;

    db.db_ssl_mode = SslMode::Disable;
    assert_eq!(uses_tls(&db).await, Ok(false));
    for mode in [SslMode::Prefer, SslMode::Require] {
        db.db_ssl_mode = mode;
        assert_eq!(uses_tls(&db).await, Ok(true), "{mode:?}");
    }

    // The server's self-signed certificate as the CA bundle.
    db.db_ssl_root_cert = Some(cert.clone().into());
    db.db_ssl_mode = SslMode::VerifyCa;
    assert_eq!(
        uses_tls(&db).await,
        Ok(true),
        "verify-ca ignores the host name ({})",
        db.db_host
    );
    db.db_ssl_mode = SslMode::VerifyFull;
    if name != db.db_host {
        let err = uses_tls(&db)
            .await
            .expect_err("verify-full must check the host name");
        assert!(err.to_lowercase().contains("certificate"), "{err}");
    }
    // By the name in the certificate, when it resolves here (it does on Debian: localhost or the host name).
    let mut by_name = db.clone();
    by_name.db_host = name.clone();
    match uses_tls(&by_name).await {
        Ok(tls) => assert!(tls, "verify-full with the right CA and name {name}"),
        // Debian's snakeoil names the machine; that name may resolve to an address the
        // cluster does not listen on (127.0.1.1). Only a certificate complaint would be a bug.
        Err(e) if name != "localhost" && !e.to_lowercase().contains("certificate") => {
            eprintln!("note: could not reach the server as {name}: {e}");
        }
        Err(e) => panic!("verify-full with the right CA and name {name}: {e}"),
    }

    // The public roots don't vouch for a self-signed certificate (checked before the name).
    for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
        let mut public = db.clone();
        public.db_ssl_mode = mode;
        public.db_ssl_root_cert = None;
        let err = uses_tls(&public).await.expect_err("unknown issuer");
        assert!(
            err.to_lowercase().contains("unknownissuer") || err.contains("issuer"),
            "{mode:?}: {err}"
        );
    }
}

#[tokio::test]
async fn bad_ca_bundles_are_clear_errors() {
    let Some(url) = database_url() else { return };
    let mut db = settings_for(&url, "postgres");
    db.db_ssl_mode = SslMode::VerifyFull;
    let dir = tempfile::tempdir().expect("tempdir");
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "this is not a certificate\n").expect("write");
    db.db_ssl_root_cert = Some(not_pem);
    let err = connect_one(&db, "postgres")
        .await
        .map(|_| ())
        .expect_err("no certificates");
    assert!(err.to_string().contains("CA bundle"), "{err}");
    let garbage = dir.path().join("bad.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    db.db_ssl_root_cert = Some(garbage);
    let err = connect_one(&db, "postgres")
        .await
        .map(|_| ())
        .expect_err("unparsable certificate");
    assert!(err.to_string().contains("CA bundle"), "{err}");
}
