//! One signed exchange with the UnionPay gateway, and the checks every
//! answer and notification passes before any field is believed.

use super::config::UnionpayConfig;
use super::wire::{self, Fields};
use crate::ChannelError;
use std::time::Duration;
use unicharge_crypto::{
    parse_qstring, unionpay_request_content, unionpay_sign, unionpay_verify, unionpay_verify_content,
};

const TIMEOUT: Duration = Duration::from_secs(15);

/// Adds `certId` and `signature` (blanks are dropped first, as
/// `AcpService.sign` does, so what is sent is what was signed).
pub fn sign(cfg: &UnionpayConfig<'_>, fields: &mut Fields) {
    fields.retain(|_, v| !v.is_empty());
    fields.remove("signature");
    fields.insert("certId".into(), cfg.keys.cert_id.clone());
    let content = unionpay_request_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    fields.insert("signature".into(), unionpay_sign(&cfg.keys.signer, &content));
}

/// Verifies a message from UnionPay: `signPubKeyCert` chains to the
/// configured middle and root now and names UnionPay, then the signature
/// over every other field, then that it is addressed to our merId.
pub fn verify(cfg: &UnionpayConfig<'_>, fields: &Fields) -> Result<(), ChannelError> {
    let cert = fields.get("signPubKeyCert").map(String::as_str).unwrap_or_default();
    let key = cfg
        .keys
        .trust
        .verify_sign_cert(cert, super::now(), cfg.accept_test_cn)
        .map_err(|e| ChannelError::BadSignature(e.to_string()))?;
    let content = unionpay_verify_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let sig = fields.get("signature").map(String::as_str).unwrap_or_default();
    if !unionpay_verify(&key, &content, sig) {
        return Err(ChannelError::BadSignature("UnionPay signature does not verify".into()));
    }
    match fields.get("merId") {
        Some(m) if m == cfg.mer_id => Ok(()),
        other => Err(ChannelError::Mismatch(format!("merId {other:?} is not this app's UnionPay merchant"))),
    }
}

/// POSTs a signed request to `endpoint` and returns the verified answer.
/// The answer also names the request's `orderId`, or it is refused.
pub async fn call(
    http: &reqwest::Client,
    cfg: &UnionpayConfig<'_>,
    endpoint: &str,
    mut fields: Fields,
) -> Result<Fields, ChannelError> {
    sign(cfg, &mut fields);
    let body = serde_urlencoded::to_string(&fields).map_err(|e| ChannelError::Unavailable(e.to_string()))?;
    let resp = http
        .post(cfg.endpoint(endpoint))
        .header("content-type", "application/x-www-form-urlencoded;charset=UTF-8")
        .body(body)
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| ChannelError::Unavailable(format!("{endpoint}: {e}")))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| ChannelError::Unavailable(format!("{endpoint}: {e}")))?;
    if !status.is_success() {
        return Err(ChannelError::Unavailable(format!("{endpoint}: gateway answered HTTP {status}")));
    }
    // Synchronous answers are not URL-encoded (SDKUtil.parseQString).
    let answer: Fields = parse_qstring(text.trim_end_matches(['\r', '\n'])).into_iter().collect();
    verify(cfg, &answer)?;
    let ours = fields.get("orderId").map(String::as_str);
    if ours.is_some() && answer.get("orderId").map(String::as_str) != ours {
        return Err(ChannelError::Mismatch(format!("{endpoint}: the answer names another orderId")));
    }
    wire::get(&answer, "respCode")?;
    Ok(answer)
}

/// The respCode/respMsg of an answer as a refusal.
pub fn refused(answer: &Fields) -> ChannelError {
    ChannelError::Refused {
        code: answer.get("respCode").cloned().unwrap_or_default(),
        message: answer.get("respMsg").cloned().unwrap_or_default(),
    }
}
