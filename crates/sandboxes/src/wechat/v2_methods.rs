//! APIv2 methods over the shared ledger.

use super::biz::Biz;
use super::mtls::ClientIdentity;
use super::notify::Event;
use super::trades::{Api, Key, Refund, State, Trade, TradeType};
use super::v2::{answer, answer_xml, authenticate, authenticate_xml, fail, xml_response, V2Call};
use super::v3::{code_url, h5_url};
use super::{clock, format_compact, random_alnum, WechatSandbox};
use crate::alipay::format_gmt8;
use actix_web::{web, HttpRequest, HttpResponse};
use std::borrow::Cow;

fn ex(v: Vec<(&'static str, String)>) -> Extra {
    v.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)).collect()
}

type Extra = Vec<(Cow<'static, str>, String)>;
type Outcome = Result<Extra, Biz>;

#[derive(Debug, Clone, Copy)]
pub enum Method {
    UnifiedOrder,
    OrderQuery,
    CloseOrder,
    Micropay,
    Reverse,
    Refund,
    RefundQuery,
}

impl Method {
    /// `secapi/*`: WeChat Pay serves these over mutual TLS only.
    pub fn needs_client_certificate(self) -> bool {
        matches!(self, Method::Reverse | Method::Refund)
    }
}

/// What WeChat Pay answers a `secapi/*` call without the merchant's
/// certificate (sandbox wording).
const NO_CERTIFICATE: &str = "证书错误：请使用商户API证书（双向TLS）调用secapi接口";
const OTHER_CERTIFICATE: &str = "证书错误：商户API证书与mch_id不匹配";

pub async fn dispatch(sb: web::Data<WechatSandbox>, req: HttpRequest, body: web::Bytes, m: Method) -> HttpResponse {
    // Plain HTTP carries no client certificate. A sandbox built without a
    // CA (unit tests of other methods) leaves secapi unchecked.
    if m.needs_client_certificate() && sb.client_ca.is_some() {
        tracing::info!(path = %req.path(), "sandbox WeChat refused secapi without a client certificate");
        return xml_response(fail(NO_CERTIFICATE));
    }
    let call = match authenticate(&sb, &body).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let out = match m {
        Method::UnifiedOrder => unified_order(&sb, &req, &call),
        Method::OrderQuery => order_query(&sb, &call),
        Method::CloseOrder => close_order(&sb, &call),
        Method::Micropay => micropay(&sb, &call),
        Method::Reverse => reverse(&sb, &call),
        Method::Refund => refund(&sb, &call),
        Method::RefundQuery => refund_query(&sb, &call),
    };
    answer(&call, out)
}

/// A `secapi/*` call that came over mutual TLS with a certificate the
/// sandbox CA issued (`client`); it must be the API certificate of the
/// request's `mch_id`. Returns the XML answer.
pub async fn secapi_call(sb: &web::Data<WechatSandbox>, body: &[u8], m: Method, client: &ClientIdentity) -> String {
    let call = match authenticate_xml(sb, body).await {
        Ok(c) => c,
        Err(xml) => return xml,
    };
    if !client.is_merchant(call.mchid(), &call.merchant.merchant_serial_no) {
        tracing::info!(mchid = call.mchid(), client = ?client, "sandbox WeChat refused another merchant's certificate");
        return fail(OTHER_CERTIFICATE);
    }
    let out = match m {
        Method::Reverse => reverse(sb, &call),
        Method::Refund => refund(sb, &call),
        _ => Err(Biz::Param("not a secapi method".into())),
    };
    answer_xml(&call, out)
}

fn new_trade(call: &V2Call, kind: TradeType, now: i64) -> Result<Trade, Biz> {
    let out_trade_no = call.require("out_trade_no")?;
    if out_trade_no.len() > 32 {
        return Err(Biz::Param("out_trade_no参数长度有误".into()));
    }
    if call.get("fee_type").is_some_and(|f| f != "CNY") {
        return Err(Biz::Param("fee_type参数格式错误".into()));
    }
    Ok(Trade {
        mchid: call.mchid().to_owned(),
        appid: call.appid().to_owned(),
        out_trade_no: out_trade_no.to_owned(),
        transaction_id: super::new_transaction_id(now),
        prepay_id: super::new_prepay_id(now),
        code: (kind == TradeType::Native).then(|| random_alnum(7)),
        trade_type: kind,
        state: State::NotPay,
        description: call.require("body")?.to_owned(),
        attach: call.get("attach").map(str::to_owned),
        total: call.fen("total_fee")?,
        notify_url: call.get("notify_url").map(str::to_owned),
        openid: call.get("openid").map(str::to_owned),
        api: Api::V2(call.sign_type),
        created_at: now,
        paid_at: None,
        refunds: Vec::new(),
    })
}

fn unified_order(sb: &WechatSandbox, req: &HttpRequest, call: &V2Call) -> Outcome {
    let kind =
        TradeType::parse(call.require("trade_type")?).ok_or_else(|| Biz::Param("trade_type参数格式错误".into()))?;
    call.require("spbill_create_ip")?;
    call.require("notify_url")?;
    if kind == TradeType::Jsapi && call.get("openid").is_none() {
        return Err(Biz::Param("trade_type=JSAPI时（即JSAPI支付），必须传入openid".into()));
    }
    let t = sb.trades.open(new_trade(call, kind, clock::now())?)?;
    let mut out: Extra = ex(vec![("prepay_id", t.prepay_id.clone()), ("trade_type", kind.wire().into())]);
    match kind {
        TradeType::Native => out.push(("code_url".into(), code_url(&t))),
        TradeType::Mweb => out.push(("mweb_url".into(), h5_url(&super::routes::origin(sb, req), &t))),
        TradeType::Jsapi | TradeType::App | TradeType::Micropay => {}
    }
    Ok(out)
}

fn resolve(sb: &WechatSandbox, call: &V2Call) -> Result<Key, Biz> {
    let (o, t) = (call.get("out_trade_no"), call.get("transaction_id"));
    if o.is_none() && t.is_none() {
        return Err(Biz::Param("out_trade_no和transaction_id不能同时为空".into()));
    }
    sb.trades.resolve(call.mchid(), o, t).ok_or(Biz::OrderNotExist)
}

fn paid_fields(t: &Trade) -> Extra {
    ex(vec![
        ("openid", t.openid.clone().unwrap_or_default()),
        ("is_subscribe", "N".into()),
        ("bank_type", "OTHERS".into()),
        ("fee_type", "CNY".into()),
        ("cash_fee", t.total.to_string()),
        ("transaction_id", t.transaction_id.clone()),
        ("time_end", format_compact(t.paid_at.unwrap_or(t.created_at))),
    ])
}

fn order_query(sb: &WechatSandbox, call: &V2Call) -> Outcome {
    let t = sb.trades.get(&resolve(sb, call)?).ok_or(Biz::OrderNotExist)?;
    let (state, desc) = t.state_wire();
    let mut out: Extra = ex(vec![
        ("out_trade_no", t.out_trade_no.clone()),
        ("trade_state", state.into()),
        ("trade_state_desc", desc.into()),
        ("trade_type", t.trade_type.wire().into()),
        ("total_fee", t.total.to_string()),
    ]);
    if let Some(a) = t.attach.clone() {
        out.push(("attach".into(), a));
    }
    if t.paid_at.is_some() {
        out.extend(paid_fields(&t));
    }
    Ok(out)
}

fn close_order(sb: &WechatSandbox, call: &V2Call) -> Outcome {
    let key = sb.trades.resolve(call.mchid(), Some(call.require("out_trade_no")?), None).ok_or(Biz::OrderNotExist)?;
    match sb.trades.get(&key).map(|t| t.state) {
        Some(State::Closed) | Some(State::Revoked) => return Err(Biz::OrderClosed),
        Some(State::Success) => return Err(Biz::OrderPaid),
        Some(State::NotPay | State::UserPaying | State::PayError) | None => {}
    }
    sb.trades.close(&key)?;
    Ok(Extra::new())
}

/// Magic auth codes: see [`super::AUTH_CODE_PAID`] and its siblings.
fn micropay(sb: &WechatSandbox, call: &V2Call) -> Outcome {
    let code = call.require("auth_code")?;
    call.require("spbill_create_ip")?;
    let valid = code.len() == 18 && code.bytes().all(|b| b.is_ascii_digit()) && ("10".."16").contains(&&code[..2]);
    if !valid {
        return Err(Biz::AuthCodeInvalid);
    }
    let now = clock::now();
    let t = sb.trades.open(new_trade(call, TradeType::Micropay, now)?)?;
    let key = (t.mchid.clone(), t.out_trade_no.clone());
    if code.starts_with(&super::AUTH_CODE_USERPAYING[..6]) {
        sb.trades.set_unpaid_state(&key, State::UserPaying);
        return Err(Biz::UserPaying);
    }
    if code.starts_with(&super::AUTH_CODE_EXPIRED[..6]) {
        sb.trades.set_unpaid_state(&key, State::PayError);
        return Err(Biz::AuthCodeExpire);
    }
    let t = sb.trades.pay(&key, now)?;
    let mut out: Extra = ex(vec![
        ("out_trade_no", t.out_trade_no.clone()),
        ("trade_type", "MICROPAY".into()),
        ("total_fee", t.total.to_string()),
    ]);
    out.extend(paid_fields(&t));
    Ok(out)
}

fn reverse(sb: &WechatSandbox, call: &V2Call) -> Outcome {
    let (_, _) = sb.trades.reverse(&resolve(sb, call)?, clock::now())?;
    // recall=N: no need to call reverse again.
    Ok(ex(vec![("recall", "N".into())]))
}

fn refund(sb: &web::Data<WechatSandbox>, call: &V2Call) -> Outcome {
    let key = resolve(sb, call).map_err(|_| Biz::RefundTradeNotExist)?;
    let out_refund_no = call.require("out_refund_no")?;
    let (amount, total) = (call.fen("refund_fee")?, call.fen("total_fee")?);
    let r = Refund {
        out_refund_no: out_refund_no.to_owned(),
        refund_id: String::new(),
        amount,
        created_at: clock::now(),
        notify_url: call.get("notify_url").map(str::to_owned),
        api: Api::V2(call.sign_type),
    };
    let out = sb.trades.refund(&key, r, Some(total))?;
    if out.new {
        sb.notify_later(&out.trade, Event::Refunded(out.refund.clone()));
    }
    let (t, r) = (out.trade, out.refund);
    Ok(ex(vec![
        ("transaction_id", t.transaction_id.clone()),
        ("out_trade_no", t.out_trade_no.clone()),
        ("out_refund_no", r.out_refund_no.clone()),
        ("refund_id", r.refund_id.clone()),
        ("refund_fee", r.amount.to_string()),
        ("settlement_refund_fee", r.amount.to_string()),
        ("total_fee", t.total.to_string()),
        ("cash_fee", t.total.to_string()),
        ("cash_refund_fee", r.amount.to_string()),
    ]))
}

fn refund_query(sb: &WechatSandbox, call: &V2Call) -> Outcome {
    let (t, refunds) = if let Some(no) = call.get("out_refund_no") {
        let (t, r) = sb.trades.find_refund(call.mchid(), no).ok_or(Biz::RefundNotExist)?;
        (t, vec![r])
    } else {
        let t = sb.trades.get(&resolve(sb, call)?).ok_or(Biz::RefundNotExist)?;
        let rs = match call.get("refund_id") {
            Some(id) => t.refunds.iter().filter(|r| r.refund_id == id).cloned().collect(),
            None => t.refunds.clone(),
        };
        (t, rs)
    };
    if refunds.is_empty() {
        return Err(Biz::RefundNotExist);
    }
    let mut out: Extra = ex(vec![
        ("transaction_id", t.transaction_id.clone()),
        ("out_trade_no", t.out_trade_no.clone()),
        ("total_fee", t.total.to_string()),
        ("cash_fee", t.total.to_string()),
        ("refund_count", refunds.len().to_string()),
    ]);
    for (n, r) in refunds.iter().enumerate() {
        out.push((Cow::Owned(format!("out_refund_no_{n}")), r.out_refund_no.clone()));
        out.push((Cow::Owned(format!("refund_id_{n}")), r.refund_id.clone()));
        out.push((Cow::Owned(format!("refund_fee_{n}")), r.amount.to_string()));
        out.push((Cow::Owned(format!("refund_status_{n}")), "SUCCESS".into()));
        out.push((Cow::Owned(format!("refund_channel_{n}")), "ORIGINAL".into()));
        out.push((Cow::Owned(format!("refund_recv_accout_{n}")), "支付用户零钱".into()));
        out.push((Cow::Owned(format!("refund_success_time_{n}")), format_gmt8(r.created_at)));
    }
    Ok(out)
}
