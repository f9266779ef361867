//! `gateway.do`: request checks in the gateway's order, and answers in
//! Alipay's signed JSON shape.

use super::trades::Acq;
use super::{clock, AlipaySandbox, SandboxApp};
use actix_web::HttpResponse;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use unicharge_crypto::sorted_sign_content;

pub type Fields = BTreeMap<String, String>;

/// How far `timestamp` may be from the sandbox clock. Alipay documents no
/// window for OpenAPI; its older global gateway let requests live 30
/// minutes, so the sandbox accepts 30 minutes either way.
pub const TIMESTAMP_WINDOW_SECS: i64 = 30 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Precreate,
    Create,
    Pay,
    Query,
    Close,
    Cancel,
    Refund,
    RefundQuery,
    AppPay,
    WapPay,
    PagePay,
}

impl Method {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "alipay.trade.precreate" => Method::Precreate,
            "alipay.trade.create" => Method::Create,
            "alipay.trade.pay" => Method::Pay,
            "alipay.trade.query" => Method::Query,
            "alipay.trade.close" => Method::Close,
            "alipay.trade.cancel" => Method::Cancel,
            "alipay.trade.refund" => Method::Refund,
            "alipay.trade.fastpay.refund.query" => Method::RefundQuery,
            "alipay.trade.app.pay" => Method::AppPay,
            "alipay.trade.wap.pay" => Method::WapPay,
            "alipay.trade.page.pay" => Method::PagePay,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Precreate => "alipay.trade.precreate",
            Method::Create => "alipay.trade.create",
            Method::Pay => "alipay.trade.pay",
            Method::Query => "alipay.trade.query",
            Method::Close => "alipay.trade.close",
            Method::Cancel => "alipay.trade.cancel",
            Method::Refund => "alipay.trade.refund",
            Method::RefundQuery => "alipay.trade.fastpay.refund.query",
            Method::AppPay => "alipay.trade.app.pay",
            Method::WapPay => "alipay.trade.wap.pay",
            Method::PagePay => "alipay.trade.page.pay",
        }
    }

    /// Buyer-facing methods: a browser or the Alipay app brings the signed
    /// order to the cashier; nothing answers in JSON.
    pub fn is_cashier(self) -> bool {
        match self {
            Method::AppPay | Method::WapPay | Method::PagePay => true,
            Method::Precreate
            | Method::Create
            | Method::Pay
            | Method::Query
            | Method::Close
            | Method::Cancel
            | Method::Refund
            | Method::RefundQuery => false,
        }
    }
}

/// A gateway-level refusal (codes 400xx with an `isv.*` sub code), or a
/// business one (40004 with an `ACQ.*` sub code).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub code: &'static str,
    pub msg: &'static str,
    pub sub_code: &'static str,
    pub sub_msg: String,
    /// False when the app is unknown: in Alipay each app has its own
    /// Alipay key pair, so there is none to sign with (fzlee issue #20
    /// shows such an unsigned isv.invalid-app-id answer).
    pub signed: bool,
}

impl Refusal {
    fn missing(sub_code: &'static str, sub_msg: &str) -> Self {
        let sub_msg = sub_msg.to_owned();
        Refusal { code: "40001", msg: "Missing Required Arguments", sub_code, sub_msg, signed: true }
    }

    pub fn invalid(sub_code: &'static str, sub_msg: &str) -> Self {
        let sub_msg = sub_msg.to_owned();
        Refusal { code: "40002", msg: "Invalid Arguments", sub_code, sub_msg, signed: true }
    }

    pub fn business(e: &Acq) -> Self {
        Refusal { code: "40004", msg: "Business Failed", sub_code: e.sub_code(), sub_msg: e.to_string(), signed: true }
    }
}

/// An authenticated call: the app is known and the signature verified.
pub struct Call {
    pub app_id: String,
    pub app: SandboxApp,
    pub method: Method,
    pub params: Fields,
    pub biz: Map<String, Value>,
}

impl Call {
    pub fn param(&self, k: &str) -> Option<&str> {
        self.params.get(k).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// Query and form body merged; the official SDKs split common parameters
/// (query) from `biz_content` (body), fzlee sends everything in the query.
pub fn merge_params(query: &str, body: &[u8]) -> Result<Fields, Refusal> {
    let bad = || Refusal::invalid("isv.invalid-parameter", "请求参数不是合法的表单编码");
    let mut f: Fields = serde_urlencoded::from_str(query).map_err(|_| bad())?;
    if !body.is_empty() {
        let b: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| bad())?;
        f.extend(b);
    }
    Ok(f)
}

/// The gateway's checks, in its order: method, app, signature type,
/// signature presence, timestamp, charset, then the signature itself.
/// `check_age` is false for orders a buyer brings later (app, wap, page):
/// the order's own expiry governs those.
pub async fn authenticate(
    sb: &AlipaySandbox,
    params: Fields,
    check_age: bool,
) -> Result<Call, (Option<Method>, Refusal)> {
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let method = match get("method") {
        None => return Err((None, Refusal::missing("isv.missing-method", "缺少方法名参数"))),
        Some(m) => Method::parse(m).ok_or((None, Refusal::invalid("isv.invalid-method", "不存在的方法名")))?,
    };
    let fail = |r: Refusal| (Some(method), r);
    // Without a known app Alipay has no key pair to answer with: unsigned.
    let unsigned = |mut r: Refusal| {
        r.signed = false;
        fail(r)
    };
    let app_id = get("app_id").ok_or_else(|| unsigned(Refusal::missing("isv.missing-app-id", "缺少AppID参数")))?;
    let Some((app, key)) = sb.app(app_id).await else {
        return Err(unsigned(Refusal::invalid("isv.invalid-app-id", "无效的AppID参数")));
    };
    match get("sign_type") {
        None => return Err(fail(Refusal::missing("isv.missing-signature-type", "缺少签名类型参数"))),
        Some("RSA2") => {}
        Some(_) => return Err(fail(Refusal::invalid("isv.invalid-signature-type", "无效的签名类型"))),
    }
    let sign = get("sign").ok_or_else(|| fail(Refusal::missing("isv.missing-signature", "缺少签名参数")))?;
    let ts = get("timestamp").ok_or_else(|| fail(Refusal::missing("isv.missing-timestamp", "缺少时间戳参数")))?;
    let at =
        clock::parse_gmt8(ts).ok_or_else(|| fail(Refusal::invalid("isv.invalid-timestamp", "非法的时间戳参数")))?;
    let skew = at - clock::now();
    if skew > TIMESTAMP_WINDOW_SECS || (check_age && -skew > TIMESTAMP_WINDOW_SECS) {
        return Err(fail(Refusal::invalid("isv.invalid-timestamp", "非法的时间戳参数")));
    }
    if get("version").is_none() {
        return Err(fail(Refusal::missing("isv.missing-version", "缺少版本参数")));
    }
    if let Some(c) = get("charset") {
        if !c.eq_ignore_ascii_case("utf-8") {
            return Err(fail(Refusal::invalid("isv.invalid-charset", "字符集错误")));
        }
    }
    let content = sorted_sign_content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())), &["sign"]);
    if !key.verify_sha256_b64(content.as_bytes(), sign) {
        tracing::info!(app_id, method = method.name(), "sandbox Alipay refused a request signature");
        // Alipay echoes the string it checked, which is how integrators
        // find their mistake; it holds no secret.
        let msg =
            format!("验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：{content}");
        return Err(fail(Refusal::invalid("isv.invalid-signature", &msg)));
    }
    let biz = match get("biz_content") {
        None => Map::new(),
        Some(b) => match serde_json::from_str::<Value>(b) {
            Ok(Value::Object(m)) => m,
            Ok(_) | Err(_) => {
                return Err(fail(Refusal::invalid("isv.invalid-parameter", "biz_content不是合法的JSON对象")))
            }
        },
    };
    Ok(Call { app_id: app_id.to_owned(), app, method, params, biz })
}

/// `{"<method>_response":<inner>,"sign":"…"}`, the signature over `inner`
/// exactly as written here.
pub fn signed_body(sb: &AlipaySandbox, method: Option<Method>, inner: &Map<String, Value>, signed: bool) -> String {
    let key = match method {
        Some(m) => format!("{}_response", m.name().replace('.', "_")),
        None => "error_response".to_owned(),
    };
    let inner = Value::Object(inner.clone()).to_string();
    if signed {
        format!("{{\"{key}\":{inner},\"sign\":\"{}\"}}", sb.sign(&inner))
    } else {
        format!("{{\"{key}\":{inner}}}")
    }
}

pub fn refusal_object(r: &Refusal) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("code".into(), r.code.into());
    m.insert("msg".into(), r.msg.into());
    m.insert("sub_code".into(), r.sub_code.into());
    m.insert("sub_msg".into(), r.sub_msg.clone().into());
    m
}

pub fn json(body: String) -> HttpResponse {
    // Alipay answers every gateway call with HTTP 200; the verdict is in
    // the body.
    HttpResponse::Ok().content_type("application/json;charset=utf-8").body(body)
}

pub fn answer_refusal(sb: &AlipaySandbox, method: Option<Method>, r: &Refusal) -> HttpResponse {
    json(signed_body(sb, method, &refusal_object(r), r.signed))
}
