//! TLS to PostgreSQL with rustls, with libpq's `sslmode` meanings.
//!
//! `prefer` and `require` encrypt without checking who answers (as libpq does without a root
//! certificate); `verify-ca` checks the chain but not the host name; `verify-full` checks both,
//! which is what RDS with its CA bundle needs. rustls has no "chain only" or "no check" mode built
//! in, so the small verifier below is written by hand; it still checks the handshake signatures,
//! so the session keys are bound to the certificate that was sent.

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::StoreError;
use crate::config::{DbSettings, SslMode};

/// The TLS connector for `db`, or `None` when TLS is disabled.
pub fn connector(db: &DbSettings) -> Result<Option<MakeRustlsConnect>, StoreError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Setup(format!("TLS setup failed: {e}")))?;
    let algorithms = provider.signature_verification_algorithms;
    let config = match db.db_ssl_mode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(RelaxedVerifier {
                chain: None,
                algorithms,
            }))
            .with_no_client_auth(),
        SslMode::VerifyCa => {
            let chain = webpki_verifier(db.db_ssl_root_cert.as_deref(), provider)?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(RelaxedVerifier {
                    chain: Some(chain),
                    algorithms,
                }))
                .with_no_client_auth()
        }
        SslMode::VerifyFull => {
            let inner = webpki_verifier(db.db_ssl_root_cert.as_deref(), provider)?;
            builder.with_webpki_verifier(inner).with_no_client_auth()
        }
    };
    Ok(Some(MakeRustlsConnect::new(config)))
}

/// Roots from the PEM bundle at `path`, or the Mozilla roots when no bundle is configured.
pub fn root_store(path: Option<&Path>) -> Result<RootCertStore, StoreError> {
    let mut roots = RootCertStore::empty();
    let Some(path) = path else {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(roots);
    };
    let bad = |why: String| StoreError::Setup(format!("CA bundle {}: {why}", path.display()));
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no PEM certificates in the file".into()));
    }
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(bad("none of the certificates could be parsed".into()));
    }
    Ok(roots)
}

fn webpki_verifier(
    path: Option<&Path>,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, StoreError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(root_store(path)?), provider)
        .build()
        .map_err(|e| StoreError::Setup(format!("TLS verifier: {e}")))
}

/// The sslmodes rustls has no verifier for: `prefer`/`require` (`chain: None`, any certificate)
/// and `verify-ca` (`chain: Some`, the chain is checked but not the host name). Either way the
/// handshake signatures are checked, so the session is bound to the certificate that was sent.
#[derive(Debug)]
struct RelaxedVerifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for RelaxedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
