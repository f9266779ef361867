//! APIv2 signs: sorted non-empty `k=v&…` (without `sign`) + `&key=API_KEY`,
//! MD5 or HMAC-SHA256, upper-case hex. Verification covers every received
//! field except `sign`, unknown ones included, and compares in constant time.

use crate::wechat::xml::Fields;
use crate::ChannelError;
use unicharge_crypto::{ct_eq, wechat_v2_sign};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignType {
    Md5,
    HmacSha256,
}

impl SignType {
    pub fn as_str(self) -> &'static str {
        match self {
            SignType::Md5 => "MD5",
            SignType::HmacSha256 => "HMAC-SHA256",
        }
    }
}

pub fn sign(fields: &Fields, api_key: &str, t: SignType) -> String {
    wechat_v2_sign(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), api_key, t == SignType::HmacSha256)
}

/// Verifies `sign`. The type is the message's `sign_type` when present,
/// else `default` (the configured one: WeChat omits it in some answers).
pub fn verify(fields: &Fields, api_key: &str, default: SignType) -> Result<(), ChannelError> {
    let got = fields
        .get("sign")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ChannelError::BadSignature("sign is missing".into()))?;
    let t = match fields.get("sign_type").map(String::as_str) {
        None | Some("") => default,
        Some("MD5") => SignType::Md5,
        Some("HMAC-SHA256") => SignType::HmacSha256,
        Some(other) => return Err(ChannelError::BadSignature(format!("sign_type {other} is not accepted"))),
    };
    if ct_eq(sign(fields, api_key, t).as_bytes(), got.to_ascii_uppercase().as_bytes()) {
        Ok(())
    } else {
        Err(ChannelError::BadSignature("the sign does not verify with the API key".into()))
    }
}
