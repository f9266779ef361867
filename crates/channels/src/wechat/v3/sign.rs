//! APIv3 signatures (SHA256withRSA, PKCS#1 v1.5, base64).
//!
//! * Requests: `METHOD\nPATH_AND_QUERY\nTIMESTAMP\nNONCE\nBODY\n` with the
//!   merchant API key, in `Authorization: WECHATPAY2-SHA256-RSA2048 …`.
//! * Responses and notifications: `TIMESTAMP\nNONCE\nBODY\n` with the
//!   platform key named by `Wechatpay-Serial`; more than five minutes off
//!   is refused (as wechatpay-go does), which bounds replays.
//! * Client pay signs: each line followed by `\n`.

use crate::ChannelError;
use unicharge_crypto::{RsaPublicKey, RsaSigner};

pub const SCHEMA: &str = "WECHATPAY2-SHA256-RSA2048";
pub const MAX_SKEW: i64 = 300;

/// One request as signed: the path and query exactly as sent, the body
/// exactly as sent ("" for GET).
#[derive(Debug, Clone, Copy)]
pub struct RequestLine<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub body: &'a str,
    pub timestamp: i64,
    pub nonce: &'a str,
}

impl RequestLine<'_> {
    pub fn message(&self) -> String {
        format!("{}\n{}\n{}\n{}\n{}\n", self.method, self.path_and_query, self.timestamp, self.nonce, self.body)
    }
}

/// The `Authorization` header value, members in wechatpayv3's order.
pub fn authorization(signer: &RsaSigner, mchid: &str, serial_no: &str, req: &RequestLine<'_>) -> String {
    let sig = signer.sign_sha256_b64(req.message().as_bytes());
    format!(
        "{SCHEMA} mchid=\"{mchid}\",nonce_str=\"{}\",signature=\"{sig}\",timestamp=\"{}\",serial_no=\"{serial_no}\"",
        req.nonce, req.timestamp
    )
}

/// A signed line-per-field message (`appId\ntimeStamp\nnonceStr\npackage\n`).
pub fn lines_sign(signer: &RsaSigner, lines: &[&str]) -> String {
    let mut msg = String::new();
    for l in lines {
        msg.push_str(l);
        msg.push('\n');
    }
    signer.sign_sha256_b64(msg.as_bytes())
}

/// The four signature headers of a response or notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

impl SignedHeaders {
    /// From (name, value) pairs, names compared case-insensitively.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, ChannelError> {
        let (mut ts, mut nonce, mut sig, mut serial) = (None, None, None, None);
        for (k, v) in pairs {
            let slot = match k.to_ascii_lowercase().as_str() {
                "wechatpay-timestamp" => &mut ts,
                "wechatpay-nonce" => &mut nonce,
                "wechatpay-signature" => &mut sig,
                "wechatpay-serial" => &mut serial,
                _ => continue,
            };
            *slot = Some(v.to_owned());
        }
        let need = |v: Option<String>, name: &str| {
            v.filter(|s| !s.is_empty()).ok_or_else(|| ChannelError::BadSignature(format!("{name} header is missing")))
        };
        Ok(Self {
            timestamp: need(ts, "Wechatpay-Timestamp")?,
            nonce: need(nonce, "Wechatpay-Nonce")?,
            signature: need(sig, "Wechatpay-Signature")?,
            serial: need(serial, "Wechatpay-Serial")?,
        })
    }

    /// Refuses a timestamp more than [`MAX_SKEW`] seconds from `now`.
    pub fn check_fresh(&self, now: i64) -> Result<(), ChannelError> {
        let ts: i64 = self
            .timestamp
            .parse()
            .map_err(|_| ChannelError::BadSignature("Wechatpay-Timestamp is not a number".into()))?;
        if (now - ts).abs() > MAX_SKEW {
            return Err(ChannelError::BadSignature(format!("Wechatpay-Timestamp {ts} is more than 5 minutes off")));
        }
        Ok(())
    }

    /// Checks freshness, then the signature over `body` with `key`.
    pub fn verify(&self, key: &RsaPublicKey, body: &str, now: i64) -> Result<(), ChannelError> {
        self.check_fresh(now)?;
        let msg = format!("{}\n{}\n{body}\n", self.timestamp, self.nonce);
        if key.verify_sha256_b64(msg.as_bytes(), &self.signature) {
            Ok(())
        } else {
            Err(ChannelError::BadSignature(format!("signature does not verify with platform key {}", self.serial)))
        }
    }
}
