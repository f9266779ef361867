//! WeChat Pay's symmetric pieces: AEAD_AES_256_GCM for v3 resources, the
//! v2 sign (MD5 or HMAC-SHA256 over `k=v&…&key=API_KEY`), and AES-256-ECB
//! for v2 refund notifications. aws-lc-rs does the ciphers (already the
//! workspace's crypto backend); md-5 the digest.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::cipher::{EncryptingKey, UnboundCipherKey, AES_256};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use md5::{Digest, Md5};
use unicharge_crypto::{hmac_sha256_hex, sorted_sign_content};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    #[error("the key must be 32 bytes")]
    KeyLength,
    #[error("the nonce must be 12 bytes")]
    NonceLength,
    #[error("encryption failed")]
    Failed,
}

/// base64(ciphertext ‖ tag), as in `resource.ciphertext`.
pub fn aes_256_gcm_encrypt(key: &[u8], nonce: &str, aad: &str, plaintext: &[u8]) -> Result<String, CipherError> {
    let unbound = UnboundKey::new(&AES_256_GCM, key).map_err(|_| CipherError::KeyLength)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce.as_bytes()).map_err(|_| CipherError::NonceLength)?;
    let mut buf = plaintext.to_vec();
    LessSafeKey::new(unbound)
        .seal_in_place_append_tag(nonce, Aad::from(aad.as_bytes()), &mut buf)
        .map_err(|_| CipherError::Failed)?;
    Ok(B64.encode(buf))
}

/// base64(AES-256-ECB(PKCS#7(plaintext))) under lower-case hex MD5(api_key)
/// used as 32 ASCII bytes: the v2 refund notification's `req_info`.
pub fn aes_256_ecb_encrypt(api_key: &str, plaintext: &[u8]) -> Result<String, CipherError> {
    let key = hex::encode(Md5::digest(api_key.as_bytes()));
    let unbound = UnboundCipherKey::new(&AES_256, key.as_bytes()).map_err(|_| CipherError::KeyLength)?;
    let enc = EncryptingKey::ecb(unbound).map_err(|_| CipherError::Failed)?;
    let pad = 16 - plaintext.len() % 16;
    let mut buf = plaintext.to_vec();
    buf.extend(std::iter::repeat_n(pad as u8, pad));
    enc.encrypt(&mut buf).map_err(|_| CipherError::Failed)?;
    Ok(B64.encode(buf))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignType {
    Md5,
    HmacSha256,
}

impl SignType {
    /// `sign_type` as sent; absent means MD5.
    pub fn parse(s: Option<&str>) -> Option<Self> {
        match s {
            None | Some("") | Some("MD5") => Some(SignType::Md5),
            Some("HMAC-SHA256") => Some(SignType::HmacSha256),
            Some(_) => None,
        }
    }

    pub fn wire(self) -> &'static str {
        match self {
            SignType::Md5 => "MD5",
            SignType::HmacSha256 => "HMAC-SHA256",
        }
    }
}

/// The v2 sign over every non-empty field except `sign`, upper-case hex.
pub fn v2_sign<'a, I>(sign_type: SignType, fields: I, api_key: &str) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let temp = format!("{}&key={api_key}", sorted_sign_content(fields, &["sign"]));
    match sign_type {
        SignType::Md5 => hex::encode_upper(Md5::digest(temp.as_bytes())),
        SignType::HmacSha256 => hmac_sha256_hex(api_key.as_bytes(), temp.as_bytes()).to_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WeChat Pay's worked example in its v2 "签名算法" page.
    #[test]
    fn v2_sign_matches_the_documented_example() {
        let f = [
            ("appid", "wxd930ea5d5a258f4f"),
            ("mch_id", "10000100"),
            ("device_info", "1000"),
            ("body", "test"),
            ("nonce_str", "ibuaiVcKdpRxkhJA"),
        ];
        let key = "192006250b4c09247ec02edce69f6a2d";
        assert_eq!(v2_sign(SignType::Md5, f, key), "9A0A8659F005D6984697E2CA0A9CF3B7");
        assert_eq!(
            v2_sign(SignType::HmacSha256, f, key),
            "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
        );
    }

    /// wechat-pay-java AeadAesCipherTest: "message", AD "associatedData".
    #[test]
    fn gcm_matches_wechatpay_java_vector() {
        let ct = aes_256_gcm_encrypt(b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", "uluk4a9R25RW", "associatedData", b"message");
        assert_eq!(ct.as_deref(), Ok("ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI="));
    }

    #[test]
    fn ecb_pads_to_whole_blocks() {
        let out = aes_256_ecb_encrypt("k", &[0u8; 16]).unwrap_or_default();
        assert_eq!(B64.decode(out).map(|b| b.len()).unwrap_or(0), 32);
    }
}
