//! APIv2 request checks and signed XML answers.
//!
//! Order of checks: well-formed XML (no DOCTYPE), merchant, app binding,
//! nonce, sign type, then the sign itself. Protocol-level refusals answer
//! `return_code=FAIL` with a `return_msg` and no sign, as WeChat does;
//! business refusals answer `return_code=SUCCESS, result_code=FAIL` with
//! `err_code`/`err_code_des`, signed.

use super::biz::Biz;
use super::cipher::{v2_sign, SignType};
use super::xml::{self, Fields, XmlError};
use super::{nonce, SandboxMerchant, WechatSandbox};
use actix_web::HttpResponse;
use secrecy::ExposeSecret;
use std::borrow::Cow;
use unicharge_crypto::ct_eq;

/// An authenticated v2 call.
pub struct V2Call {
    pub fields: Fields,
    pub merchant: SandboxMerchant,
    pub sign_type: SignType,
}

impl V2Call {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.fields.get(k).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn mchid(&self) -> &str {
        self.get("mch_id").unwrap_or_default()
    }

    pub fn appid(&self) -> &str {
        self.get("appid").unwrap_or_default()
    }

    pub fn require(&self, k: &str) -> Result<&str, Biz> {
        self.get(k).ok_or_else(|| Biz::Param(format!("缺少参数{k}")))
    }

    /// A positive amount in fen.
    pub fn fen(&self, k: &str) -> Result<i64, Biz> {
        let v = self.require(k)?;
        match v.parse::<i64>() {
            Ok(n) if n > 0 && v.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
            Ok(_) | Err(_) => Err(Biz::Param(format!("{k}参数格式错误"))),
        }
    }
}

/// A protocol-level refusal: `return_code=FAIL`, unsigned.
pub fn fail(msg: &str) -> String {
    xml::write([("return_code", "FAIL"), ("return_msg", msg)])
}

pub fn xml_response(body: String) -> HttpResponse {
    // WeChat answers v2 calls with HTTP 200 whatever the verdict.
    HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(body)
}

/// Parses and authenticates; `Err` is the answer to send.
pub async fn authenticate(sb: &WechatSandbox, body: &[u8]) -> Result<V2Call, HttpResponse> {
    authenticate_xml(sb, body).await.map_err(xml_response)
}

/// As [`authenticate`], the refusal as the XML document.
pub async fn authenticate_xml(sb: &WechatSandbox, body: &[u8]) -> Result<V2Call, String> {
    if body.is_empty() {
        return Err(fail("post数据为空"));
    }
    let text = std::str::from_utf8(body).map_err(|_| fail("编码格式错误"))?;
    let fields = match xml::parse(text) {
        Ok(f) => f,
        Err(e @ XmlError::Doctype) => {
            tracing::info!(error = %e, "sandbox WeChat refused an XML document type declaration");
            return Err(fail("XML格式错误"));
        }
        Err(XmlError::Malformed(_)) | Err(XmlError::TooLarge) => return Err(fail("XML格式错误")),
    };
    let get = |k: &str| fields.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let mchid = get("mch_id").ok_or_else(|| fail("mch_id参数格式错误"))?;
    let Some((merchant, _)) = sb.merchant(mchid).await else {
        return Err(fail("MCHID不存在"));
    };
    let appid = get("appid").ok_or_else(|| fail("appid参数格式错误"))?;
    if !merchant.appids.iter().any(|a| a == appid) {
        return Err(fail("appid和mch_id不匹配"));
    }
    if get("nonce_str").is_none() {
        return Err(fail("nonce_str参数格式错误"));
    }
    let sign_type = SignType::parse(get("sign_type")).ok_or_else(|| fail("sign_type参数格式错误"))?;
    let sign = get("sign").ok_or_else(|| fail("缺少参数sign"))?;
    let expect =
        v2_sign(sign_type, fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), merchant.api_key.expose_secret());
    if !ct_eq(expect.as_bytes(), sign.to_ascii_uppercase().as_bytes()) {
        tracing::info!(mchid, "sandbox WeChat refused a v2 request sign");
        return Err(fail("签名错误"));
    }
    Ok(V2Call { fields, merchant, sign_type })
}

/// A signed answer: the common fields, `result_code`, and `extra`.
pub fn answer(call: &V2Call, result: Result<Vec<(Cow<'static, str>, String)>, Biz>) -> HttpResponse {
    xml_response(answer_xml(call, result))
}

/// As [`answer`], the XML document.
pub fn answer_xml(call: &V2Call, result: Result<Vec<(Cow<'static, str>, String)>, Biz>) -> String {
    let mut f: Vec<(Cow<'static, str>, String)> = vec![
        ("return_code".into(), "SUCCESS".into()),
        ("return_msg".into(), "OK".into()),
        ("appid".into(), call.appid().to_owned()),
        ("mch_id".into(), call.mchid().to_owned()),
        ("nonce_str".into(), nonce()),
    ];
    if let Some(d) = call.get("device_info") {
        f.push(("device_info".into(), d.to_owned()));
    }
    match result {
        Ok(extra) => {
            f.push(("result_code".into(), "SUCCESS".into()));
            f.extend(extra);
        }
        Err(b) => {
            let (code, des) = b.v2();
            f.push(("result_code".into(), "FAIL".into()));
            f.push(("err_code".into(), code.into()));
            f.push(("err_code_des".into(), des));
        }
    }
    let key = call.merchant.api_key.expose_secret();
    let sign = v2_sign(call.sign_type, f.iter().map(|(k, v)| (k.as_ref(), v.as_str())), key);
    f.push(("sign".into(), sign));
    xml::write(f.iter().map(|(k, v)| (k.as_ref(), v.as_str())))
}
