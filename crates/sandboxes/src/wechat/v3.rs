//! APIv3 handlers: prepay, query, close, refund, refund query, certificates.

use super::biz::Biz;
use super::cipher::aes_256_gcm_encrypt;
use super::notify::Event;
use super::trades::{Api, Refund, State, Trade, TradeType};
use super::v3_auth::{authenticate, ok_json, refuse, signed, V3Call, V3Error};
use super::{clock, format_rfc3339, nonce, random_alnum, PlatformKeyMode, WechatSandbox};
use actix_web::{web, HttpRequest, HttpResponse};
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};

type Result<T> = std::result::Result<T, V3Error>;

/// Authenticates, runs `f`, and signs whatever comes out.
async fn handle<F>(sb: &WechatSandbox, req: &HttpRequest, body: &[u8], f: F) -> HttpResponse
where
    F: FnOnce(&V3Call) -> Result<Option<Value>>,
{
    let call = match authenticate(sb, req, body).await {
        Ok(c) => c,
        Err(e) => return refuse(sb, PlatformKeyMode::Certificate, &e),
    };
    let mode = call.mode();
    match f(&call) {
        Ok(Some(v)) => ok_json(sb, mode, &v),
        Ok(None) => signed(sb, mode, 204, String::new()),
        Err(e) => refuse(sb, mode, &e),
    }
}

fn str_field<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn require<'a>(m: &'a Map<String, Value>, k: &str) -> Result<&'a str> {
    str_field(m, k)
        .ok_or_else(|| V3Error::param(&format!("输入源“/body/{k}”映射到字段“{k}”必填性规则校验失败，此字段为必填项")))
}

fn amount(m: &Map<String, Value>, k: &str) -> Result<i64> {
    let a = m.get("amount").and_then(Value::as_object).ok_or_else(|| V3Error::param("缺少amount"))?;
    if let Some(c) = a.get("currency").and_then(Value::as_str) {
        if c != "CNY" {
            return Err(V3Error::param("币种只支持CNY"));
        }
    }
    match a.get(k).and_then(Value::as_i64) {
        Some(n) if n > 0 => Ok(n),
        Some(_) | None => Err(V3Error::param(&format!("amount.{k}必须为正整数（单位：分）"))),
    }
}

fn valid_out_no(s: &str, max: usize) -> bool {
    (6..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-|*@".contains(&b))
}

/// The transaction as v3 queries and TRANSACTION.SUCCESS resources show it.
pub fn trade_json(t: &Trade) -> Value {
    let (state, desc) = t.state_wire();
    let mut v = json!({
        "appid": t.appid, "mchid": t.mchid, "out_trade_no": t.out_trade_no,
        "trade_type": t.trade_type.wire(), "trade_state": state, "trade_state_desc": desc,
        "attach": t.attach.clone().unwrap_or_default(),
        "amount": {"total": t.total, "currency": "CNY", "payer_currency": "CNY"},
        "promotion_detail": [],
    });
    if let (Some(paid), Some(o)) = (t.paid_at, v.as_object_mut()) {
        o.insert("transaction_id".into(), t.transaction_id.clone().into());
        o.insert("bank_type".into(), "OTHERS".into());
        o.insert("success_time".into(), format_rfc3339(paid).into());
        o.insert("payer".into(), json!({"openid": t.openid.clone().unwrap_or_default()}));
        o.insert(
            "amount".into(),
            json!({"total": t.total, "payer_total": t.total, "currency": "CNY", "payer_currency": "CNY"}),
        );
    }
    v
}

pub fn refund_json(t: &Trade, r: &Refund, status: &str) -> Value {
    json!({
        "refund_id": r.refund_id, "out_refund_no": r.out_refund_no,
        "transaction_id": t.transaction_id, "out_trade_no": t.out_trade_no,
        "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
        "success_time": format_rfc3339(r.created_at), "create_time": format_rfc3339(r.created_at),
        "status": status, "funds_account": "AVAILABLE",
        "amount": {"total": t.total, "refund": r.amount, "from": [], "payer_total": t.total, "payer_refund": r.amount,
            "settlement_refund": r.amount, "settlement_total": t.total, "discount_refund": 0, "currency": "CNY", "refund_fee": 0},
        "promotion_detail": [],
    })
}

/// `POST /v3/pay/transactions/{native|jsapi|app|h5}`.
pub async fn prepay(sb: web::Data<WechatSandbox>, req: HttpRequest, body: web::Bytes, kind: TradeType) -> HttpResponse {
    let base = super::routes::origin(&sb, &req);
    handle(&sb, &req, &body, |call| prepay_inner(&sb, call, kind, &base)).await
}

fn prepay_inner(sb: &WechatSandbox, call: &V3Call, kind: TradeType, base: &str) -> Result<Option<Value>> {
    let m = call.json()?;
    let appid = require(&m, "appid")?;
    if require(&m, "mchid")? != call.mchid {
        return Err(V3Error::invalid("请求中的商户号与签名的商户号不一致"));
    }
    let description = require(&m, "description")?;
    let out_trade_no = require(&m, "out_trade_no")?;
    if !valid_out_no(out_trade_no, 32) {
        return Err(V3Error::param("out_trade_no应为6-32位数字、大小写字母或_-|*"));
    }
    let notify_url = require(&m, "notify_url")?;
    if !(notify_url.starts_with("https://") || notify_url.starts_with("http://")) {
        return Err(V3Error::param("notify_url格式不正确"));
    }
    let total = amount(&m, "total")?;
    if !call.merchant.appids.iter().any(|a| a == appid) {
        return Err(Biz::AppidMchidNotMatch.into());
    }
    let openid = m.get("payer").and_then(|p| p.get("openid")).and_then(Value::as_str).filter(|s| !s.is_empty());
    if kind == TradeType::Jsapi && openid.is_none() {
        return Err(V3Error::param("输入源“/body/payer/openid”映射到字段“openid”必填性规则校验失败，此字段为必填项"));
    }
    let scene_ip = m.get("scene_info").and_then(|s| s.get("payer_client_ip")).and_then(Value::as_str);
    if kind == TradeType::Mweb && scene_ip.is_none_or(str::is_empty) {
        return Err(V3Error::param("H5支付必须填写scene_info.payer_client_ip"));
    }
    let now = clock::now();
    let t = Trade {
        mchid: call.mchid.clone(),
        appid: appid.to_owned(),
        out_trade_no: out_trade_no.to_owned(),
        transaction_id: super::new_transaction_id(now),
        prepay_id: super::new_prepay_id(now),
        code: (kind == TradeType::Native).then(|| random_alnum(7)),
        trade_type: kind,
        state: State::NotPay,
        description: description.to_owned(),
        attach: str_field(&m, "attach").map(str::to_owned),
        total,
        notify_url: Some(notify_url.to_owned()),
        openid: openid.map(str::to_owned),
        api: Api::V3,
        created_at: now,
        paid_at: None,
        refunds: Vec::new(),
    };
    let t = sb.trades.open(t)?;
    Ok(Some(match kind {
        TradeType::Native => json!({"code_url": code_url(&t)}),
        TradeType::Mweb => json!({"h5_url": h5_url(base, &t)}),
        TradeType::Jsapi | TradeType::App | TradeType::Micropay => json!({"prepay_id": t.prepay_id}),
    }))
}

pub fn code_url(t: &Trade) -> String {
    format!("weixin://wxpay/bizpayurl?pr={}", t.code.clone().unwrap_or_default())
}

/// Where WeChat's H5 checkout lives (`wx.tenpay.com/cgi-bin/mmpayweb-bin/
/// checkmweb?prepay_id=…&package=…`), on the sandbox's origin.
pub fn h5_url(base: &str, t: &Trade) -> String {
    format!("{base}/sandbox/wechat/checkmweb?prepay_id={}&package={}", t.prepay_id, super::random_digits(10))
}

fn query_mchid(req: &HttpRequest, call: &V3Call) -> Result<()> {
    let q: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    match q.iter().find(|(k, _)| k == "mchid") {
        None => Err(V3Error::param("输入源“/query/mchid”映射到字段“mchid”必填性规则校验失败，此字段为必填项")),
        Some((_, m)) if *m != call.mchid => Err(V3Error::invalid("请求中的商户号与签名的商户号不一致")),
        Some(_) => Ok(()),
    }
}

/// `GET /v3/pay/transactions/out-trade-no/{no}?mchid=`.
pub async fn query(sb: web::Data<WechatSandbox>, req: HttpRequest, no: web::Path<String>) -> HttpResponse {
    handle(&sb, &req, b"", |call| {
        query_mchid(&req, call).and_then(|()| {
            let key = sb.trades.resolve(&call.mchid, Some(&no), None).ok_or(Biz::OrderNotExist)?;
            let t = sb.trades.get(&key).ok_or(Biz::OrderNotExist)?;
            Ok(Some(trade_json(&t)))
        })
    })
    .await
}

/// `GET /v3/pay/transactions/id/{transaction_id}?mchid=`.
pub async fn query_by_id(sb: web::Data<WechatSandbox>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    handle(&sb, &req, b"", |call| {
        query_mchid(&req, call).and_then(|()| {
            let key = sb.trades.resolve(&call.mchid, None, Some(&id)).ok_or(Biz::OrderNotExist)?;
            let t = sb.trades.get(&key).filter(|t| t.paid_at.is_some()).ok_or(Biz::OrderNotExist)?;
            Ok(Some(trade_json(&t)))
        })
    })
    .await
}

/// `POST /v3/pay/transactions/out-trade-no/{no}/close` with `{"mchid"}`.
pub async fn close(
    sb: web::Data<WechatSandbox>,
    req: HttpRequest,
    no: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    handle(&sb, &req, &body, |call| {
        call.json().and_then(|m| {
            if require(&m, "mchid")? != call.mchid {
                return Err(V3Error::invalid("请求中的商户号与签名的商户号不一致"));
            }
            let key = sb.trades.resolve(&call.mchid, Some(&no), None).ok_or(Biz::OrderNotExist)?;
            sb.trades.close(&key)?;
            Ok(None)
        })
    })
    .await
}

/// `POST /v3/refund/domestic/refunds`. Answered PROCESSING; the refund then
/// succeeds at once and REFUND.SUCCESS goes out (when notify_url is given).
pub async fn refund(sb: web::Data<WechatSandbox>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    handle(&sb, &req, &body, |call| refund_inner(&sb, call)).await
}

fn refund_inner(sb: &web::Data<WechatSandbox>, call: &V3Call) -> Result<Option<Value>> {
    let m = call.json()?;
    let out_refund_no = require(&m, "out_refund_no")?;
    if out_refund_no.len() > 64 || !out_refund_no.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-|*@".contains(&b)) {
        return Err(V3Error::param("out_refund_no格式不正确"));
    }
    let key = sb
        .trades
        .resolve(&call.mchid, str_field(&m, "out_trade_no"), str_field(&m, "transaction_id"))
        .ok_or(Biz::RefundTradeNotExist)?;
    let (amount, total) = (amount(&m, "refund")?, amount(&m, "total")?);
    let now = clock::now();
    let r = Refund {
        out_refund_no: out_refund_no.to_owned(),
        refund_id: String::new(),
        amount,
        created_at: now,
        notify_url: str_field(&m, "notify_url").map(str::to_owned),
        api: Api::V3,
    };
    let out = sb.trades.refund(&key, r, Some(total))?;
    if out.new {
        sb.notify_later(&out.trade, Event::Refunded(out.refund.clone()));
        return Ok(Some(refund_json(&out.trade, &out.refund, "PROCESSING")));
    }
    Ok(Some(refund_json(&out.trade, &out.refund, "SUCCESS")))
}

/// `GET /v3/refund/domestic/refunds/{out_refund_no}`.
pub async fn refund_query(sb: web::Data<WechatSandbox>, req: HttpRequest, no: web::Path<String>) -> HttpResponse {
    handle(&sb, &req, b"", |call| match sb.trades.find_refund(&call.mchid, &no) {
        Some((t, r)) => Ok(Some(refund_json(&t, &r, "SUCCESS"))),
        None => Err(Biz::RefundNotExist.into()),
    })
    .await
}

/// `GET /v3/certificates`: the platform certificate, AEAD-encrypted with the
/// caller's APIv3 key (associated data `certificate`).
pub async fn certificates(sb: web::Data<WechatSandbox>, req: HttpRequest) -> HttpResponse {
    handle(&sb, &req, b"", |call| {
        let n = nonce()[..12].to_owned();
        let key = call.merchant.apiv3_key.expose_secret().as_bytes().to_vec();
        let p = &sb.platform;
        let r = match aes_256_gcm_encrypt(&key, &n, "certificate", p.cert_pem.as_bytes()) {
            Ok(ct) => Ok(Some(json!({"data": [{
                "serial_no": p.serial,
                "effective_time": format_rfc3339(p.effective),
                "expire_time": format_rfc3339(p.expire),
                "encrypt_certificate": {"algorithm": "AEAD_AES_256_GCM", "nonce": n,
                    "associated_data": "certificate", "ciphertext": ct},
            }]}))),
            Err(_) => {
                Err(V3Error { status: 500, code: "SYSTEM_ERROR", message: "商户APIv3密钥不是32字节".into() })
            }
        };
        r
    })
    .await
}
