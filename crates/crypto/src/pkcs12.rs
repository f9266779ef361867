//! PKCS#12 (`.pfx`) files, as UnionPay issues merchant signing certificates.
//!
//! Parsing is `p12-keystore` (pure Rust: the PBE-SHA1-3DES bags of the
//! official `acp_test_sign.pfx` and the PBES2/AES bags OpenSSL 3 and Python
//! `cryptography` write). The key it yields is handed to aws-lc-rs at once.

use crate::rsa_keys::RsaSigner;
use p12_keystore::{Certificate as P12Cert, KeyStore, KeyStoreEntry, PrivateKeyChain};

#[derive(Debug, thiserror::Error)]
pub enum Pkcs12Error {
    #[error("not a PKCS#12 file, or the password is wrong: {0}")]
    Unreadable(String),
    #[error("the PKCS#12 file holds no private key with its certificate")]
    NoKey,
    #[error("the PKCS#12 private key is not a usable RSA key")]
    BadKey,
    #[error("certificate: {0}")]
    Certificate(String),
}

/// A signing identity: the private key and its certificate (leaf first).
pub struct Pkcs12Identity {
    pub signer: RsaSigner,
    /// DER of the certificate that goes with the key.
    pub cert_der: Vec<u8>,
}

impl std::fmt::Debug for Pkcs12Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pkcs12Identity([REDACTED])")
    }
}

/// Opens a PKCS#12 file with its password (MAC checked) and returns its
/// first private key with that key's certificate.
pub fn load_pkcs12(der: &[u8], password: &str) -> Result<Pkcs12Identity, Pkcs12Error> {
    let store = KeyStore::from_pkcs12(der, password).map_err(|e| Pkcs12Error::Unreadable(e.to_string()))?;
    let (_, chain) = store.private_key_chain().ok_or(Pkcs12Error::NoKey)?;
    let cert = chain.chain().first().ok_or(Pkcs12Error::NoKey)?;
    let signer = RsaSigner::from_pkcs8_der(chain.key()).map_err(|_| Pkcs12Error::BadKey)?;
    Ok(Pkcs12Identity { signer, cert_der: cert.as_der().to_vec() })
}

/// Writes a PKCS#12 file (PBES2 AES-256, HMAC-SHA256 MAC) holding
/// `key_pkcs8_der` and `cert_der`, as a certificate authority hands a
/// merchant its signing certificate.
pub fn build_pkcs12(key_pkcs8_der: &[u8], cert_der: &[u8], password: &str) -> Result<Vec<u8>, Pkcs12Error> {
    let cert = P12Cert::from_der(cert_der).map_err(|e| Pkcs12Error::Certificate(e.to_string()))?;
    let local_key_id = crate::sha256_hex(cert_der);
    let chain = PrivateKeyChain::new(key_pkcs8_der, &local_key_id.as_bytes()[..20], [cert]);
    let mut store = KeyStore::new();
    store.add_entry("unionpay-sign", KeyStoreEntry::PrivateKeyChain(chain));
    store.writer(password).write().map_err(|e| Pkcs12Error::Unreadable(e.to_string()))
}
