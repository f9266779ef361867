//! Alipay's signature rules, RSA2 only (SHA256withRSA, PKCS#1 v1.5, base64).
//!
//! * Requests: sign the parameters sorted by key, empty values and `sign`
//!   left out, joined `k=v&…` without URL-encoding.
//! * Responses: the signature covers the raw text of the `…_response`
//!   object exactly as received; it is never re-serialized.
//! * Notifications: sorted `k=v&…` of the decoded form without `sign` and
//!   `sign_type`, empty values kept (rsaCheckV1); some notifications keep
//!   `sign_type` (rsaCheckV2), tried second.

use crate::ChannelError;
use std::collections::BTreeMap;
use unicharge_crypto::{sorted_sign_content, sorted_sign_content_keep_empty, RsaPublicKey, RsaSigner};

/// Request parameters. `String` orders by bytes, which is Alipay's order.
pub type Params = BTreeMap<String, String>;

fn pairs(params: &Params) -> impl Iterator<Item = (&str, &str)> {
    params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// The request sign content.
pub fn sign_content(params: &Params) -> String {
    sorted_sign_content(pairs(params), &["sign"])
}

/// Signs the parameters and adds `sign`.
pub fn sign(params: &mut Params, signer: &RsaSigner) {
    let sig = signer.sign_sha256_b64(sign_content(params).as_bytes());
    params.insert("sign".into(), sig);
}

/// URL-encodes a value as Python's `quote_plus` does (the official Python
/// SDK's `url_encode`, and fzlee's order string): letters, digits and
/// `_.-~` stay, space becomes `+`, every other byte is `%XX`.
pub fn encode_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 3 / 2);
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0x0F)]));
            }
        }
    }
    out
}

/// The signed parameters as one query string, sorted by key with `sign`
/// in its sorted place, values URL-encoded: the app-pay `orderInfo` as the
/// official Java SDK's `sdkExecute` builds it, and the body we POST.
pub fn query_string(params: &Params) -> String {
    let mut out = String::new();
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&encode_value(v));
    }
    out
}

/// A gateway response split into what its signature covers.
#[derive(Debug, PartialEq, Eq)]
pub struct RawResponse<'a> {
    /// The raw text of `<method>_response` (or `error_response`).
    pub content: &'a str,
    /// Whether it was `error_response` (gateway-level failure).
    pub is_error_response: bool,
    pub sign: Option<String>,
    pub alipay_cert_sn: Option<String>,
}

/// Finds `<method with . → _>_response` (or `error_response`) among the
/// top-level members of `raw`, as raw text.
pub fn split_response<'a>(raw: &'a str, method: &str) -> Result<RawResponse<'a>, ChannelError> {
    let members = top_level_members(raw)
        .ok_or_else(|| ChannelError::Unavailable(format!("{method}: the answer is not a JSON object")))?;
    let wanted = format!("{}_response", method.replace('.', "_"));
    let text = |name: &str| -> Option<String> {
        members.iter().find(|(k, _)| *k == name).and_then(|(_, v)| serde_json::from_str::<String>(v).ok())
    };
    let found = members
        .iter()
        .find(|(k, _)| *k == wanted)
        .map(|(_, v)| (*v, false))
        .or_else(|| members.iter().find(|(k, _)| *k == "error_response").map(|(_, v)| (*v, true)));
    let Some((content, is_error_response)) = found.filter(|(v, _)| v.starts_with('{')) else {
        return Err(ChannelError::Unavailable(format!("{method}: the answer has no {wanted}")));
    };
    Ok(RawResponse { content, is_error_response, sign: text("sign"), alipay_cert_sn: text("alipay_cert_sn") })
}

/// Verifies a response's signature over its raw content.
pub fn verify_response(resp: &RawResponse<'_>, key: &RsaPublicKey) -> Result<(), ChannelError> {
    let sig = resp.sign.as_deref().ok_or_else(|| ChannelError::BadSignature("the answer is not signed".into()))?;
    if key.verify_sha256_b64(resp.content.as_bytes(), sig) {
        Ok(())
    } else {
        Err(ChannelError::BadSignature("the answer's signature does not verify with the Alipay public key".into()))
    }
}

/// Which content a notification's signature verified over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyRule {
    V1,
    V2,
}

/// Verifies a decoded notification form: V1 first, then V2.
pub fn verify_notify(fields: &[(String, String)], key: &RsaPublicKey) -> Result<NotifyRule, ChannelError> {
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let sig =
        get("sign").filter(|s| !s.is_empty()).ok_or_else(|| ChannelError::BadSignature("sign is missing".into()))?;
    match get("sign_type") {
        None | Some("RSA2") => {}
        Some(other) => {
            return Err(ChannelError::BadSignature(format!("sign_type {other} is not accepted (RSA2 only)")))
        }
    }
    let all = || fields.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    if key.verify_sha256_b64(sorted_sign_content_keep_empty(all(), &["sign", "sign_type"]).as_bytes(), sig) {
        return Ok(NotifyRule::V1);
    }
    if key.verify_sha256_b64(sorted_sign_content_keep_empty(all(), &["sign"]).as_bytes(), sig) {
        return Ok(NotifyRule::V2);
    }
    Err(ChannelError::BadSignature("the notification's signature does not verify".into()))
}

/// The top-level members of a JSON object as (raw key, raw value text).
/// Strings are skipped with their escapes, so braces inside values do not
/// count. Keys are compared raw: Alipay's member names have no escapes.
fn top_level_members(raw: &str) -> Option<Vec<(&str, &str)>> {
    let b = raw.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b'}') {
        return Some(out);
    }
    loop {
        let key_end = skip_string(b, i)?;
        let key = raw.get(i + 1..key_end - 1)?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let end = skip_value(b, start)?;
        out.push((key, raw.get(start..end)?));
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Some(out),
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// `b[i]` opens a string; returns the index after its closing quote.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match b.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// Returns the index just after the value starting at `b[i]`.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while !matches!(b.get(j), None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')) {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}
