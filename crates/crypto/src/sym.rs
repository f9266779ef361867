//! Provider-mandated symmetric ciphers, keyed by the provider's rules
//! rather than ours (compare [`crate::SecretSealer`], our own at-rest format).
//!
//! * AES-GCM with a caller-chosen nonce and associated data: WeChat Pay
//!   APIv3 encrypts notification resources and platform certificates with
//!   AEAD_AES_256_GCM under the merchant's APIv3 key.
//! * AES-256-ECB with PKCS#7: WeChat Pay APIv2 encrypts refund
//!   notifications' `req_info` this way. ECB is weak; it is WeChat's choice,
//!   used only to read what WeChat sends.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::cipher::{PaddedBlockDecryptingKey, PaddedBlockEncryptingKey, UnboundCipherKey, AES_256};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    #[error("the key has the wrong length")]
    BadKey,
    #[error("the nonce must be 12 bytes")]
    BadNonce,
    #[error("decryption failed (wrong key, or tampered data)")]
    Unauthentic,
}

fn gcm_key(key: &[u8]) -> Result<LessSafeKey, CipherError> {
    // 32-byte keys are AES-256 (real APIv3 keys); 16-byte keys appear in
    // wechatpay-go's published vectors and select AES-128, as Go's does.
    let alg = match key.len() {
        32 => &AES_256_GCM,
        16 => &AES_128_GCM,
        _ => return Err(CipherError::BadKey),
    };
    Ok(LessSafeKey::new(UnboundKey::new(alg, key).map_err(|_| CipherError::BadKey)?))
}

fn gcm_nonce(nonce: &[u8]) -> Result<Nonce, CipherError> {
    let arr: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CipherError::BadNonce)?;
    Ok(Nonce::assume_unique_for_key(arr))
}

/// AES-GCM decryption of `ciphertext ‖ 16-byte tag`.
pub fn aes_gcm_decrypt(key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CipherError> {
    let key = gcm_key(key)?;
    let mut buf = sealed.to_vec();
    let plain = key.open_in_place(gcm_nonce(nonce)?, Aad::from(aad), &mut buf).map_err(|_| CipherError::Unauthentic)?;
    Ok(plain.to_vec())
}

/// AES-GCM encryption, returning `ciphertext ‖ tag`. The caller owns nonce
/// uniqueness (providers' formats carry the nonce next to the ciphertext).
pub fn aes_gcm_encrypt(key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CipherError> {
    let key = gcm_key(key)?;
    let mut buf = plaintext.to_vec();
    key.seal_in_place_append_tag(gcm_nonce(nonce)?, Aad::from(aad), &mut buf).map_err(|_| CipherError::BadKey)?;
    Ok(buf)
}

fn ecb_key(key: &[u8]) -> Result<UnboundCipherKey, CipherError> {
    UnboundCipherKey::new(&AES_256, key).map_err(|_| CipherError::BadKey)
}

/// AES-256-ECB decryption with PKCS#7 padding removed.
pub fn aes_256_ecb_pkcs7_decrypt(key: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, CipherError> {
    let k = PaddedBlockDecryptingKey::ecb_pkcs7(ecb_key(key)?).map_err(|_| CipherError::BadKey)?;
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
        return Err(CipherError::Unauthentic);
    }
    let mut buf = ciphertext.to_vec();
    let plain =
        k.decrypt(&mut buf, aws_lc_rs::cipher::DecryptionContext::None).map_err(|_| CipherError::Unauthentic)?;
    Ok(plain.to_vec())
}

/// AES-256-ECB encryption with PKCS#7 padding (sandboxes and tests play WeChat).
pub fn aes_256_ecb_pkcs7_encrypt(key: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CipherError> {
    let k = PaddedBlockEncryptingKey::ecb_pkcs7(ecb_key(key)?).map_err(|_| CipherError::BadKey)?;
    let mut buf = plaintext.to_vec();
    k.encrypt(&mut buf).map_err(|_| CipherError::BadKey)?;
    Ok(buf)
}

/// Lowercase hex MD5.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine;

    // wechatpay-apiv3/wechatpay-java @ 1dab7bec, AeadAesCipherTest + TestConfig.
    #[test]
    fn gcm_matches_wechatpay_java() {
        let key = b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
        let ct = aes_gcm_encrypt(key, b"uluk4a9R25RW", b"associatedData", b"message").expect("seal");
        assert_eq!(B64.encode(&ct), "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=");
        assert_eq!(aes_gcm_decrypt(key, b"uluk4a9R25RW", b"associatedData", &ct).expect("open"), b"message");
        assert_eq!(aes_gcm_decrypt(key, b"uluk4a9R25RW", b"associatedDatA", &ct), Err(CipherError::Unauthentic));
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert_eq!(aes_gcm_decrypt(key, b"uluk4a9R25RW", b"associatedData", &bad), Err(CipherError::Unauthentic));
        assert_eq!(aes_gcm_decrypt(key, b"short", b"", &ct), Err(CipherError::BadNonce));
        assert_eq!(aes_gcm_decrypt(b"0123456789", b"uluk4a9R25RW", b"", &ct), Err(CipherError::BadKey));
    }

    // wechatpay-apiv3/wechatpay-go @ 6dbd7ce2, utils/aes_test.go (a 16-byte key).
    #[test]
    fn gcm_matches_wechatpay_go_with_a_16_byte_key() {
        let (key, nonce, aad) = (b"testAPIv3Key0000", b"wCq51qZv4Yfg", b"Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8");
        let ct = B64.decode("FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC").expect("b64");
        assert_eq!(aes_gcm_decrypt(key, nonce, aad, &ct).expect("open"), b"Hello World");
        assert_eq!(aes_gcm_encrypt(key, nonce, aad, b"Hello World").expect("seal"), ct);
        assert!(aes_gcm_decrypt(key, nonce, b"", &ct).is_err());
    }

    #[test]
    fn ecb_round_trip_pads_and_rejects_garbage() {
        let key = md5_hex(b"192006250b4c09247ec02edce69f6a2d");
        assert_eq!(key.len(), 32);
        let ct = aes_256_ecb_pkcs7_encrypt(key.as_bytes(), b"<root>x</root>").expect("enc");
        assert_eq!(ct.len(), 16);
        assert_eq!(aes_256_ecb_pkcs7_decrypt(key.as_bytes(), &ct).expect("dec"), b"<root>x</root>");
        let exact = aes_256_ecb_pkcs7_encrypt(key.as_bytes(), &[b'a'; 16]).expect("enc");
        assert_eq!(exact.len(), 32, "a full block of padding follows a full block");
        assert!(aes_256_ecb_pkcs7_decrypt(key.as_bytes(), &ct[..15]).is_err());
        assert!(aes_256_ecb_pkcs7_decrypt(b"short", &ct).is_err());
    }

    #[test]
    fn md5_is_lowercase_hex() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
