//! APIv3 request authentication (`WECHATPAY2-SHA256-RSA2048`) and signed
//! answers in WeChat's JSON error shape.

use super::biz::Biz;
use super::{clock, random_digits, PlatformKeyMode, SandboxMerchant, WechatSandbox};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use std::collections::HashMap;

/// How far the Authorization timestamp may be from the sandbox clock: WeChat
/// Pay's SDKs refuse answers more than 5 minutes off, and so does the sandbox
/// with requests.
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;

const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
const MOUNT: &str = "/sandbox/wechat";

/// A v3 refusal: HTTP status and `{"code","message"}`.
#[derive(Debug, Clone)]
pub struct V3Error {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl V3Error {
    pub fn sign(message: &str) -> Self {
        V3Error { status: 401, code: "SIGN_ERROR", message: message.to_owned() }
    }

    pub fn param(message: &str) -> Self {
        V3Error { status: 400, code: "PARAM_ERROR", message: message.to_owned() }
    }

    pub fn invalid(message: &str) -> Self {
        V3Error { status: 400, code: "INVALID_REQUEST", message: message.to_owned() }
    }
}

impl From<Biz> for V3Error {
    fn from(b: Biz) -> Self {
        let (status, code, message) = b.v3();
        V3Error { status, code, message }
    }
}

/// An authenticated v3 call.
pub struct V3Call {
    pub mchid: String,
    pub merchant: SandboxMerchant,
    pub body: String,
}

impl V3Call {
    pub fn mode(&self) -> PlatformKeyMode {
        self.merchant.platform_key_mode
    }

    pub fn json(&self) -> Result<serde_json::Map<String, serde_json::Value>, V3Error> {
        match serde_json::from_str(&self.body) {
            Ok(serde_json::Value::Object(m)) => Ok(m),
            Ok(_) | Err(_) => Err(V3Error::param("请求体不是合法的JSON对象")),
        }
    }
}

/// `k="v"` pairs after the scheme, in any order (SDKs differ).
fn parse_authorization(h: &str) -> Option<HashMap<&str, &str>> {
    let rest = h.strip_prefix(SCHEME)?.strip_prefix(' ')?;
    let mut out = HashMap::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        let v = v.trim().strip_prefix('"')?.strip_suffix('"')?;
        out.insert(k.trim(), v);
    }
    Some(out)
}

/// Checks the Authorization header: format, merchant, serial, timestamp,
/// then the signature over `METHOD\nPATH?QUERY\nTS\nNONCE\nBODY\n`.
pub async fn authenticate(sb: &WechatSandbox, req: &HttpRequest, body: &[u8]) -> Result<V3Call, V3Error> {
    let bad_format = || V3Error::sign("Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》");
    let header = req.headers().get("authorization").and_then(|v| v.to_str().ok()).ok_or_else(bad_format)?;
    let a = parse_authorization(header).ok_or_else(bad_format)?;
    let get = |k: &str| a.get(k).copied().filter(|v| !v.is_empty());
    let (Some(mchid), Some(nonce), Some(sig), Some(ts), Some(serial)) =
        (get("mchid"), get("nonce_str"), get("signature"), get("timestamp"), get("serial_no"))
    else {
        return Err(bad_format());
    };
    let Some((merchant, key)) = sb.merchant(mchid).await else {
        return Err(V3Error { status: 400, code: "MCH_NOT_EXISTS", message: "商户号不存在".into() });
    };
    if !serial.eq_ignore_ascii_case(&merchant.merchant_serial_no) {
        tracing::info!(mchid, "sandbox WeChat refused an unknown merchant certificate serial");
        return Err(V3Error::sign("商户证书序列号有误。请使用签名私钥匹配的证书序列号"));
    }
    let at: i64 = ts.parse().map_err(|_| bad_format())?;
    if (at - clock::now()).abs() > TIMESTAMP_WINDOW_SECS {
        tracing::info!(mchid, "sandbox WeChat refused a stale request timestamp");
        return Err(V3Error::sign("签名中的时间戳与服务器时间相差过大，请检查时间戳是否正确"));
    }
    let body = std::str::from_utf8(body).map_err(|_| V3Error::param("请求体不是UTF-8编码"))?;
    let url = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let candidates = [url, url.strip_prefix(MOUNT).unwrap_or(url)];
    let method = req.method().as_str();
    let ok = candidates
        .iter()
        .any(|u| key.verify_sha256_b64(format!("{method}\n{u}\n{ts}\n{nonce}\n{body}\n").as_bytes(), sig));
    if !ok {
        tracing::info!(mchid, url, "sandbox WeChat refused a v3 request signature");
        return Err(V3Error::sign("错误的签名，验签失败"));
    }
    Ok(V3Call { mchid: mchid.to_owned(), merchant, body: body.to_owned() })
}

/// An answer with WeChat's signature headers; `body` empty for 204.
pub fn signed(sb: &WechatSandbox, mode: PlatformKeyMode, status: u16, body: String) -> HttpResponse {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = HttpResponse::build(code);
    for (k, v) in sb.platform.signed_headers(&body, mode) {
        res.insert_header((k, v));
    }
    res.insert_header(("Request-ID", format!("08{}", random_digits(30))));
    if body.is_empty() {
        res.finish()
    } else {
        res.content_type("application/json; charset=utf-8").body(body)
    }
}

pub fn ok_json(sb: &WechatSandbox, mode: PlatformKeyMode, v: &serde_json::Value) -> HttpResponse {
    signed(sb, mode, 200, v.to_string())
}

pub fn refuse(sb: &WechatSandbox, mode: PlatformKeyMode, e: &V3Error) -> HttpResponse {
    let body = serde_json::json!({"code": e.code, "message": e.message});
    signed(sb, mode, e.status, body.to_string())
}
