use aws_lc_rs::hmac;
use secrecy::{ExposeSecret, SecretBox};
use subtle::ConstantTimeEq;

pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&k, msg);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

pub fn hmac_sha256_hex(key: &[u8], msg: &[u8]) -> String {
    hex::encode(hmac_sha256(key, msg))
}

/// Compares in constant time, so a forger learns nothing from response timing.
pub fn verify_hmac_sha256(key: &[u8], msg: &[u8], tag: &[u8]) -> bool {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::verify(&k, msg, tag).is_ok()
}

/// Constant-time equality for secrets and signatures of equal length.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Hashes API keys under a server-side pepper. A leaked database then yields
/// neither usable keys nor a table that can be brute-forced offline.
pub struct KeyedHasher {
    pepper: SecretBox<[u8]>,
}

impl KeyedHasher {
    pub fn new(pepper: Vec<u8>) -> Self {
        Self { pepper: SecretBox::new(pepper.into_boxed_slice()) }
    }

    pub fn hash(&self, secret: &str) -> String {
        hmac_sha256_hex(self.pepper.expose_secret(), secret.as_bytes())
    }
}

impl std::fmt::Debug for KeyedHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedHasher([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4231, test case 2.
    #[test]
    fn hmac_matches_rfc4231() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert!(verify_hmac_sha256(b"Jefe", b"what do ya want for nothing?", &tag));
        assert!(!verify_hmac_sha256(b"Jeff", b"what do ya want for nothing?", &tag));
    }

    #[test]
    fn keyed_hash_depends_on_pepper() {
        let a = KeyedHasher::new(vec![1; 32]);
        let b = KeyedHasher::new(vec![2; 32]);
        assert_eq!(a.hash("sk_test_x"), a.hash("sk_test_x"));
        assert_ne!(a.hash("sk_test_x"), b.hash("sk_test_x"));
        assert!(!format!("{a:?}").contains('1'));
    }
}
