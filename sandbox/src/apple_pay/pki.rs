//! The simulator's test PKI, made at run time: a CA, the server's certificate, and merchant
//! identity certificates. Nothing of it is stored; every [`TestPki::generate`] makes new keys.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use super::der;

/// The LDAP `UID` attribute (0.9.2342.19200300.100.1.1), which carries the merchant identifier
/// in the subject of an Apple Pay merchant identity certificate.
pub(crate) const UID: &[u64] = &[0, 9, 2342, 19_200_300, 100, 1, 1];

/// What went wrong making a certificate or the server's TLS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiError(String);

impl PkiError {
    fn new(what: &str, error: impl fmt::Display) -> Self {
        PkiError(format!("{what}: {error}"))
    }
}

impl fmt::Display for PkiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "test PKI: {}", self.0)
    }
}

impl std::error::Error for PkiError {}

impl From<PkiError> for std::io::Error {
    fn from(error: PkiError) -> Self {
        std::io::Error::other(error)
    }
}

/// A test certificate authority and what it signed: the simulator's server certificate (for
/// `localhost`, `127.0.0.1` and `::1`) and, on demand, merchant identity certificates. ECDSA
/// P-256 keys, valid from a day ago for ten years. Cheap to clone (the keys are shared).
///
/// A merchant identity certificate is shaped like Apple's: its subject carries the merchant
/// identifier in the `UID` attribute (0.9.2342.19200300.100.1.1), beside
/// `CN=Merchant ID: <id>`; it is meant for client authentication (extended key usage
/// `clientAuth`). The simulator reads the merchant from the `UID` of the certificate the client
/// presented.
///
/// ```
/// use paybridge_sandbox::apple_pay::TestPki;
///
/// let pki = TestPki::generate().unwrap();
/// let (certificate, key) = pki.merchant_identity("merchant.com.example").unwrap();
/// assert!(pki.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// assert!(certificate.starts_with("-----BEGIN CERTIFICATE-----"));
/// assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
/// ```
#[derive(Clone)]
pub struct TestPki(Arc<Inner>);

struct Inner {
    ca: Certificate,
    ca_key: KeyPair,
    ca_pem: String,
    server: Certificate,
    server_key: KeyPair,
}

impl fmt::Debug for TestPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

/// From a day ago for ten years: no clock skew or long-running simulator outlives it.
fn validity(params: &mut CertificateParams) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(3650);
}

fn name(parts: &[(DnType, &str)]) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    for (kind, value) in parts {
        name.push(kind.clone(), *value);
    }
    name
}

impl TestPki {
    /// A new CA and server certificate, with new keys.
    pub fn generate() -> Result<TestPki, PkiError> {
        let ca_key = KeyPair::generate().map_err(|e| PkiError::new("CA key", e))?;
        let mut params = CertificateParams::default();
        validity(&mut params);
        params.distinguished_name = name(&[
            (DnType::CommonName, "paybridge Apple Pay simulator test CA"),
            (DnType::OrganizationName, "paybridge sandbox (not Apple)"),
        ]);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = params
            .self_signed(&ca_key)
            .map_err(|e| PkiError::new("CA certificate", e))?;

        let server_key = KeyPair::generate().map_err(|e| PkiError::new("server key", e))?;
        let mut params = CertificateParams::default();
        validity(&mut params);
        params.distinguished_name = name(&[
            (DnType::CommonName, "localhost"),
            (DnType::OrganizationName, "paybridge sandbox (not Apple)"),
        ]);
        let localhost = "localhost"
            .to_owned()
            .try_into()
            .map_err(|e| PkiError::new("server name", e))?;
        params.subject_alt_names = vec![
            SanType::DnsName(localhost),
            SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        ];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = params
            .signed_by(&server_key, &ca, &ca_key)
            .map_err(|e| PkiError::new("server certificate", e))?;
        let ca_pem = ca.pem();
        Ok(TestPki(Arc::new(Inner {
            ca,
            ca_key,
            ca_pem,
            server,
            server_key,
        })))
    }

    /// The CA certificate, PEM: what a client trusts to reach the simulator
    /// ([`MerchantValidation::new`](paybridge_core::wallet::apple_pay::MerchantValidation::new)'s
    /// `extra_roots_pem`), and what the simulator requires client certificates to chain to.
    pub fn ca_pem(&self) -> &str {
        &self.0.ca_pem
    }

    /// A new merchant identity certificate for `merchant_id`, signed by the CA, and its private
    /// key: `(certificate PEM, PKCS #8 private key PEM)`, as
    /// [`MerchantIdentity`](paybridge_core::wallet::apple_pay::MerchantIdentity) takes them.
    /// Each call makes a new key.
    pub fn merchant_identity(&self, merchant_id: &str) -> Result<(String, String), PkiError> {
        let (certificate, key) = self.merchant_certificate(merchant_id)?;
        Ok((certificate.pem(), key.serialize_pem()))
    }

    pub(crate) fn merchant_certificate(
        &self,
        merchant_id: &str,
    ) -> Result<(Certificate, KeyPair), PkiError> {
        if merchant_id.is_empty() || merchant_id.chars().any(char::is_control) {
            return Err(PkiError::new(
                "merchant identifier",
                "must be printable text, e.g. merchant.com.example",
            ));
        }
        let key = KeyPair::generate().map_err(|e| PkiError::new("merchant key", e))?;
        let mut params = CertificateParams::default();
        validity(&mut params);
        params.distinguished_name = name(&[
            (DnType::from_oid(UID), merchant_id),
            (DnType::CommonName, &format!("Merchant ID: {merchant_id}")),
            (DnType::OrganizationalUnitName, "paybridge sandbox"),
            (DnType::OrganizationName, "paybridge sandbox (not Apple)"),
            (DnType::CountryName, "US"),
        ]);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let certificate = params
            .signed_by(&key, &self.0.ca, &self.0.ca_key)
            .map_err(|e| PkiError::new("merchant identity certificate", e))?;
        Ok((certificate, key))
    }

    /// The server's TLS settings: its certificate chain and key, and a client certificate
    /// required, verified against the CA (rustls with the ring provider; TLS 1.2 and 1.3;
    /// ALPN `http/1.1`).
    pub(crate) fn server_config(&self) -> Result<rustls::ServerConfig, PkiError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.0.ca.der().clone())
            .map_err(|e| PkiError::new("CA as a trust anchor", e))?;
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .map_err(|e| PkiError::new("client certificate verifier", e))?;
        let chain: Vec<CertificateDer<'static>> =
            vec![self.0.server.der().clone(), self.0.ca.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.0.server_key.serialize_der()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| PkiError::new("TLS versions", e))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .map_err(|e| PkiError::new("server certificate", e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// The merchant identifier in the subject `UID` of a client certificate (DER), if any.
pub(crate) fn merchant_of(certificate: &[u8]) -> Option<String> {
    der::subject_attribute(certificate, UID)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_merchant_certificate_carries_its_merchant_in_the_uid() {
        let pki = TestPki::generate().unwrap();
        for id in ["merchant.com.example", "merchant.com.exämple.ünicode"] {
            let (certificate, _) = pki.merchant_certificate(id).unwrap();
            assert_eq!(merchant_of(certificate.der()).as_deref(), Some(id));
        }
        // The server's and the CA's certificates name no merchant.
        assert_eq!(merchant_of(pki.0.server.der()), None);
        assert_eq!(merchant_of(pki.0.ca.der()), None);
        assert_eq!(merchant_of(b"\x30\x03\x02\x01\x01"), None);
        assert!(pki.merchant_certificate("").is_err());
    }

    #[test]
    fn the_server_settings_build() {
        let pki = TestPki::generate().unwrap();
        let config = pki.server_config().unwrap();
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
    }
}
