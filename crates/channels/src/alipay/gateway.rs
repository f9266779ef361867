//! One gateway exchange: the signed request, and the checks on its answer.
//! Also the notification form decoder, which is just as strict.

use super::wire::Header;
use super::{cst, sign, AlipayConfig, Params};
use crate::ChannelError;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A gateway answer whose signature checked out, or an unsigned failure.
pub struct Answer {
    pub header: Header,
    content: String,
    /// Unsigned failures are reported but never taken as facts such as
    /// "this trade does not exist".
    pub signed: bool,
}

impl Answer {
    pub fn body<T: DeserializeOwned>(&self, method: &str) -> Result<T, ChannelError> {
        serde_json::from_str(&self.content).map_err(|e| ChannelError::Malformed(format!("{method}: {e}")))
    }

    pub fn signed_sub(&self, sub_code: &str) -> bool {
        self.signed && self.header.is_sub(sub_code)
    }
}

/// Common parameters plus `biz_content`, signed. `extra` carries
/// `notify_url` / `return_url`.
pub fn signed_request(
    cfg: &AlipayConfig<'_>,
    method: &str,
    biz: &impl Serialize,
    extra: &[(&str, &str)],
    timestamp: i64,
) -> Result<Params, ChannelError> {
    let biz = serde_json::to_string(biz).map_err(|e| ChannelError::Malformed(format!("{method}: {e}")))?;
    let mut p = Params::new();
    for (k, v) in [
        ("app_id", cfg.app_id),
        ("method", method),
        ("format", "JSON"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("version", "1.0"),
    ] {
        p.insert(k.into(), v.into());
    }
    p.insert("timestamp".into(), cst::format(timestamp));
    p.insert("biz_content".into(), biz);
    if let Some(c) = &cfg.keys.certs {
        p.insert("app_cert_sn".into(), c.app_cert_sn.clone());
        p.insert("alipay_root_cert_sn".into(), c.alipay_root_cert_sn.clone());
    }
    for (k, v) in extra.iter().filter(|(_, v)| !v.is_empty()) {
        p.insert((*k).into(), (*v).into());
    }
    sign::sign(&mut p, &cfg.keys.signer);
    Ok(p)
}

/// Checks a raw gateway answer: a signed answer must verify (and, in
/// certificate mode, name our Alipay certificate); an unsigned one is only
/// accepted as a failure.
pub fn check_answer(cfg: &AlipayConfig<'_>, method: &str, text: &str) -> Result<Answer, ChannelError> {
    let raw = sign::split_response(text, method)?;
    let header: Header = serde_json::from_str(raw.content)
        .map_err(|e| ChannelError::Unavailable(format!("{method}: unreadable answer: {e}")))?;
    if raw.sign.is_none() {
        if raw.is_error_response || !(header.is_success() || header.code == "10003") {
            return Ok(Answer { header, content: raw.content.to_owned(), signed: false });
        }
        return Err(ChannelError::BadSignature(format!("{method}: a successful answer without a signature")));
    }
    if let (Some(ours), Some(theirs)) = (&cfg.keys.certs, &raw.alipay_cert_sn) {
        if &ours.alipay_cert_sn != theirs {
            return Err(ChannelError::BadSignature(format!(
                "{method}: signed with Alipay certificate {theirs}, but alipay_cert is {}; install Alipay's current certificate",
                ours.alipay_cert_sn
            )));
        }
    }
    sign::verify_response(&raw, &cfg.keys.alipay_key)?;
    Ok(Answer { header, content: raw.content.to_owned(), signed: true })
}

/// Parses an `application/x-www-form-urlencoded` notification, decoding
/// each value once. Refuses bytes that are not UTF-8 (a lossy decode would
/// verify something other than what was sent) and repeated names (a forger
/// could hope we verify one and read the other).
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, ChannelError> {
    let decode = |part: &[u8]| -> Result<String, ChannelError> {
        let plus: Vec<u8> = part.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
        percent_encoding::percent_decode(&plus)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| ChannelError::Malformed("the form is not UTF-8".into()))
    };
    let mut fields = Vec::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        fields.push((decode(k)?, decode(v)?));
    }
    if fields.is_empty() {
        return Err(ChannelError::Malformed("empty form".into()));
    }
    let mut names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(ChannelError::Malformed("a field is repeated".into()));
    }
    Ok(fields)
}
