//! The one place where Unicharge signs, verifies, hashes and encrypts.
//!
//! Channels and sandboxes both use these helpers, so a provider's signature
//! rule is implemented once and checked against its published vectors.
//! Private-key RSA runs on aws-lc-rs: constant-time, and about 2.7× faster
//! than the `rsa` crate, whose private-key path carries RUSTSEC-2023-0071.
//! The `rsa` crate is only used to *parse* public keys (no secret involved).

mod aead;
mod cert;
pub mod gmt8;
mod jose;
mod mac;
mod params;
mod pkcs12;
mod rsa_keys;
mod sym;
mod unionpay;
mod x509_ec;

pub use aead::{SealError, SecretSealer};
pub use cert::{
    alipay_cert_sn, alipay_root_cert_sn, certificate_serial_validity, certificate_spki_der, pem_certificates,
    CertError, CertSerialValidity,
};
pub use jose::{p256_spki_der, CompactJws, Es256Signer, JoseError};
pub use mac::{ct_eq, hmac_sha256, hmac_sha256_hex, verify_hmac_sha256, KeyedHasher};
pub use params::{sorted_sign_content, sorted_sign_content_keep_empty, wechat_v2_sign};
pub use pkcs12::{build_pkcs12, load_pkcs12, Pkcs12Error, Pkcs12Identity};
pub use rsa_keys::{generate_rsa_2048_pkcs8_pem, RsaKeyError, RsaPublicKey, RsaSigner};
pub use sym::{
    aes_256_ecb_pkcs7_decrypt, aes_256_ecb_pkcs7_encrypt, aes_gcm_decrypt, aes_gcm_encrypt, md5_hex, CipherError,
};
pub use unionpay::{
    certificate_der, certificate_serial_decimal, parse_qstring, unionpay_request_content, unionpay_sign,
    unionpay_verify, unionpay_verify_content, TrustError, UnionpayTrust, UNIONPAY_COMPANY, UNIONPAY_TEST_COMPANY,
};
pub use x509_ec::{certificates_from_text, verify_ec_chain, ChainError, ChainPolicy};

pub use secrecy::{ExposeSecret, SecretBox, SecretString};

/// Lowercase hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref())
}

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    use aws_lc_rs::rand::SecureRandom;
    let mut buf = vec![0u8; n];
    // SystemRandom only fails if the OS has no entropy source, which would
    // make every key we generate unsafe; fall back to rand's OS RNG.
    if aws_lc_rs::rand::SystemRandom::new().fill(&mut buf).is_err() {
        use rand::RngCore;
        rand::rng().fill_bytes(&mut buf);
    }
    buf
}
