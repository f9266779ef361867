//! APIv2: signed XML over HTTPS; refunds and reversals over mutual TLS
//! with the merchant's client certificate.

pub mod micropay;
pub mod notify;
pub mod ops;
pub mod sign;
pub mod wire;

use super::config::V2Config;
use super::xml::{self, Fields};
use super::{nonce, Shared, TIMEOUT};
use crate::ChannelError;
use unicharge_crypto::ExposeSecret;

/// Adds the common fields, signs, and renders a request.
pub fn signed_request(cfg: &V2Config, mut fields: Fields, nonce_str: &str) -> String {
    fields.insert("appid".into(), cfg.appid.clone());
    fields.insert("mch_id".into(), cfg.mch_id.clone());
    fields.insert("nonce_str".into(), nonce_str.to_owned());
    if cfg.sign_type == sign::SignType::HmacSha256 {
        fields.insert("sign_type".into(), "HMAC-SHA256".into());
    }
    let s = sign::sign(&fields, cfg.api_key.expose_secret(), cfg.sign_type);
    fields.insert("sign".into(), s);
    xml::render(&fields)
}

/// Checks an answer: `return_code=SUCCESS` (else the request never got
/// through, and the answer is unsigned), a valid sign, and our appid and
/// mch_id. `result_code` is left to the caller.
pub fn check_answer(cfg: &V2Config, text: &[u8], what: &str) -> Result<Fields, ChannelError> {
    let f =
        xml::parse(text, "xml").map_err(|e| ChannelError::Unavailable(format!("{what}: unreadable answer: {e}")))?;
    if wire::get(&f, "return_code") != Some("SUCCESS") {
        let msg = wire::get(&f, "return_msg").unwrap_or("").to_owned();
        return Err(ChannelError::Config(format!("{what}: WeChat Pay refused the request: {msg}")));
    }
    sign::verify(&f, cfg.api_key.expose_secret(), cfg.sign_type)
        .map_err(|e| ChannelError::BadSignature(format!("{what}: {e}")))?;
    for (name, ours) in [("appid", &cfg.appid), ("mch_id", &cfg.mch_id)] {
        if wire::get(&f, name).is_some_and(|v| v != ours) {
            return Err(ChannelError::Mismatch(format!("{what}: answered for another {name}")));
        }
    }
    Ok(f)
}

/// POSTs a signed request to `path` (below the base URL); `secure` calls
/// (`/secapi/…`) go through the client-certificate connection.
pub async fn call(
    sh: &Shared,
    cfg: &V2Config,
    path: &str,
    fields: Fields,
    secure: bool,
) -> Result<Fields, ChannelError> {
    let client = if secure {
        cfg.tls.as_ref().ok_or_else(|| {
            ChannelError::Config(format!("{path} needs the merchant client certificate (client_cert, client_key)"))
        })?
    } else {
        &sh.http
    };
    let body = signed_request(cfg, fields, &nonce());
    let base = if secure { &cfg.secapi_base } else { &cfg.base };
    let resp = client
        .post(format!("{base}{path}"))
        .header("content-type", "text/xml; charset=utf-8")
        .body(body)
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| ChannelError::Unavailable(format!("{path}: {e}")))?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| ChannelError::Unavailable(format!("{path}: {e}")))?;
    if !status.is_success() {
        return Err(ChannelError::Unavailable(format!("{path}: WeChat Pay answered HTTP {status}")));
    }
    check_answer(cfg, &bytes, path)
}
