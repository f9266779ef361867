//! APIv2 notifications.
//!
//! * Payment: the whole XML is signed; verified, addressed to our appid
//!   and mch_id, then normalized.
//! * Refund: the outer XML is not signed; `req_info` is AES-256-ECB under
//!   MD5(API key), so only WeChat (and we) can have written it. Outer and
//!   inner fields must name our merchant.

use super::sign;
use super::wire::{self, get, req};
use super::V2Config;
use crate::wechat::xml;
use crate::{ChannelError, NotifyOutcome};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use unicharge_crypto::{aes_256_ecb_pkcs7_decrypt, md5_hex, ExposeSecret};

fn same(f: &xml::Fields, name: &str, ours: &str) -> Result<(), ChannelError> {
    match get(f, name) {
        Some(v) if v == ours => Ok(()),
        other => Err(ChannelError::Mismatch(format!("{name} {other:?} is not this app's"))),
    }
}

pub fn parse(cfg: &V2Config, body: &[u8]) -> Result<NotifyOutcome, ChannelError> {
    let f = xml::parse(body, "xml")?;
    if get(&f, "req_info").is_some() {
        return refund(cfg, &f);
    }
    sign::verify(&f, cfg.api_key.expose_secret(), cfg.sign_type)?;
    if get(&f, "return_code") != Some("SUCCESS") {
        return Ok(NotifyOutcome::Ignored);
    }
    same(&f, "appid", &cfg.appid)?;
    same(&f, "mch_id", &cfg.mch_id)?;
    if !wire::is_success(&f) {
        return Ok(NotifyOutcome::Ignored);
    }
    let status = wire::paid(&f)?;
    Ok(NotifyOutcome::Charge {
        order_no: req(&f, "out_trade_no")?.to_owned(),
        amount: wire::fen(&f, "total_fee")?,
        status,
    })
}

/// Decrypts `req_info` (base64 of AES-256-ECB/PKCS#7, key = lowercase hex
/// MD5 of the API key as 32 ASCII bytes) into its `<root>` fields.
pub fn decrypt_req_info(api_key: &str, req_info: &str) -> Result<xml::Fields, ChannelError> {
    let sealed = B64.decode(req_info.trim()).map_err(|_| ChannelError::Malformed("req_info is not base64".into()))?;
    let key = md5_hex(api_key.as_bytes());
    let plain = aes_256_ecb_pkcs7_decrypt(key.as_bytes(), &sealed)
        .map_err(|_| ChannelError::BadSignature("req_info does not decrypt with the API key".into()))?;
    xml::parse(&plain, "root").map_err(|e| ChannelError::BadSignature(format!("req_info: {e}")))
}

fn refund(cfg: &V2Config, outer: &xml::Fields) -> Result<NotifyOutcome, ChannelError> {
    if get(outer, "return_code") != Some("SUCCESS") {
        return Ok(NotifyOutcome::Ignored);
    }
    same(outer, "appid", &cfg.appid)?;
    same(outer, "mch_id", &cfg.mch_id)?;
    let f = decrypt_req_info(cfg.api_key.expose_secret(), req(outer, "req_info")?)?;
    let status = wire::refund_report(req(&f, "refund_status")?, get(&f, "refund_id"), get(&f, "success_time"))?;
    Ok(NotifyOutcome::Refund {
        refund_id: req(&f, "out_refund_no")?.to_owned(),
        order_no: req(&f, "out_trade_no")?.to_owned(),
        amount: wire::fen(&f, "refund_fee")?,
        status,
    })
}
