use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the master key must be 32 bytes")]
    BadKey,
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value failed authentication (wrong master key or tampered data)")]
    Unauthentic,
}

/// Encrypts secrets at rest with AES-256-GCM under the master key.
///
/// The format is `v1:` + base64(nonce ‖ ciphertext ‖ tag). `aad` binds a value
/// to its row (for example `app_…/test/sandbox`), so a sealed key copied into
/// another app's row fails to open.
pub struct SecretSealer {
    key: LessSafeKey,
}

const VERSION: &str = "v1:";

impl SecretSealer {
    pub fn new(master_key: &[u8]) -> Result<Self, SealError> {
        let unbound = UnboundKey::new(&AES_256_GCM, master_key).map_err(|_| SealError::BadKey)?;
        Ok(Self { key: LessSafeKey::new(unbound) })
    }

    pub fn seal(&self, plaintext: &[u8], aad: &str) -> String {
        let nonce_bytes = crate::random_bytes(NONCE_LEN);
        let mut nonce_arr = [0u8; NONCE_LEN];
        nonce_arr.copy_from_slice(&nonce_bytes);
        let mut buf = plaintext.to_vec();
        // seal_in_place only fails for inputs beyond GCM's 64 GiB limit.
        if self
            .key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_arr), Aad::from(aad.as_bytes()), &mut buf)
            .is_err()
        {
            buf.clear();
        }
        let mut out = nonce_arr.to_vec();
        out.extend_from_slice(&buf);
        format!("{VERSION}{}", B64.encode(out))
    }

    pub fn open(&self, sealed: &str, aad: &str) -> Result<Vec<u8>, SealError> {
        let b64 = sealed.strip_prefix(VERSION).ok_or(SealError::Malformed)?;
        let raw = B64.decode(b64).map_err(|_| SealError::Malformed)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let mut nonce_arr = [0u8; NONCE_LEN];
        nonce_arr.copy_from_slice(nonce);
        let mut buf = rest.to_vec();
        let plain = self
            .key
            .open_in_place(Nonce::assume_unique_for_key(nonce_arr), Aad::from(aad.as_bytes()), &mut buf)
            .map_err(|_| SealError::Unauthentic)?;
        Ok(plain.to_vec())
    }
}

impl std::fmt::Debug for SecretSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretSealer([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let s = SecretSealer::new(&[7u8; 32]).expect("key");
        let sealed = s.seal(b"-----BEGIN PRIVATE KEY-----", "app_x/test/alipay");
        assert!(!sealed.contains("BEGIN"));
        assert_eq!(s.open(&sealed, "app_x/test/alipay").expect("open"), b"-----BEGIN PRIVATE KEY-----");
        assert!(matches!(s.open(&sealed, "app_y/test/alipay"), Err(SealError::Unauthentic)));
        let other = SecretSealer::new(&[8u8; 32]).expect("key");
        assert!(other.open(&sealed, "app_x/test/alipay").is_err());
        assert!(SecretSealer::new(&[0u8; 16]).is_err());
        // Two seals of the same value differ: fresh nonce each time.
        assert_ne!(s.seal(b"k", "a"), s.seal(b"k", "a"));
    }
}
