//! The buyer's side: scanning a code_url, opening an h5_url, and paying or
//! giving up at the cashier (`/cashier/{prepay_id | pr code | transaction_id}`).
//!
//! Every page also answers `Accept: application/json`, so tests and the
//! benchmark can pay without parsing HTML.

use super::biz::Biz;
use super::notify::Event;
use super::trades::{Key, Trade};
use super::{clock, page, WechatSandbox};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use std::collections::HashMap;

fn wants_json(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

fn trade_json(t: &Trade) -> serde_json::Value {
    let id = &t.prepay_id;
    json!({
        "prepay_id": id,
        "mchid": t.mchid,
        "out_trade_no": t.out_trade_no,
        "trade_type": t.trade_type.wire(),
        "trade_state": t.state_wire().0,
        "total": t.total,
        "description": t.description,
        "cashier_url": format!("/sandbox/wechat/cashier/{id}"),
        "pay_url": format!("/sandbox/wechat/cashier/{id}/pay"),
        "cancel_url": format!("/sandbox/wechat/cashier/{id}/cancel"),
    })
}

fn show(req: &HttpRequest, t: &Trade) -> HttpResponse {
    if wants_json(req) {
        HttpResponse::Ok().json(trade_json(t))
    } else {
        page::html(200, page::cashier(t))
    }
}

fn refused(req: &HttpRequest, b: &Biz) -> HttpResponse {
    let (status, code, message) = b.v3();
    if wants_json(req) {
        let s = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        HttpResponse::build(s).json(json!({"code": code, "message": message}))
    } else {
        page::html(status, page::error(code, &message))
    }
}

/// A cashier id: prepay_id, the `pr` of a code_url, or a transaction_id.
fn key_of(sb: &WechatSandbox, id: &str) -> Option<Key> {
    sb.trades.key_by_prepay(id).or_else(|| sb.trades.key_by_code(id)).or_else(|| sb.trades.key_by_transaction(id))
}

fn trade_of(sb: &WechatSandbox, id: &str) -> Result<Trade, Biz> {
    key_of(sb, id).and_then(|k| sb.trades.get(&k)).ok_or(Biz::OrderNotExist)
}

/// `GET /sandbox/wechat/scan?code_url=weixin://wxpay/bizpayurl?pr=…`: what
/// the WeChat app does with a Native QR code.
pub async fn scan(
    sb: web::Data<WechatSandbox>,
    req: HttpRequest,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let code = q
        .get("code_url")
        .and_then(|u| u.strip_prefix("weixin://wxpay/bizpayurl?"))
        .and_then(|qs| serde_urlencoded::from_str::<HashMap<String, String>>(qs).ok())
        .and_then(|m| m.get("pr").cloned());
    let Some(code) = code else {
        return refused(&req, &Biz::Param("code_url不是微信支付二维码链接".into()));
    };
    match sb.trades.key_by_code(&code).and_then(|k| sb.trades.get(&k)) {
        Some(t) => show(&req, &t),
        None => refused(&req, &Biz::OrderNotExist),
    }
}

/// `GET /sandbox/wechat/checkmweb?prepay_id=…`: the h5_url/mweb_url page.
pub async fn checkmweb(
    sb: web::Data<WechatSandbox>,
    req: HttpRequest,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    match q.get("prepay_id").map(|id| trade_of(&sb, id)) {
        Some(Ok(t)) => show(&req, &t),
        Some(Err(b)) => refused(&req, &b),
        None => refused(&req, &Biz::Param("缺少prepay_id".into())),
    }
}

/// `GET /sandbox/wechat/cashier?mchid=…&out_trade_no=…`: finds a trade the
/// buyer holds no link to (a micropay waiting in USERPAYING).
pub async fn find(
    sb: web::Data<WechatSandbox>,
    req: HttpRequest,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (Some(mchid), Some(no)) = (q.get("mchid"), q.get("out_trade_no")) else {
        return refused(&req, &Biz::Param("缺少mchid或out_trade_no".into()));
    };
    match sb.trades.get(&(mchid.clone(), no.clone())) {
        Some(t) => show(&req, &t),
        None => refused(&req, &Biz::OrderNotExist),
    }
}

/// `GET /sandbox/wechat/cashier/{id}`.
pub async fn view(sb: web::Data<WechatSandbox>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    match trade_of(&sb, &id) {
        Ok(t) => show(&req, &t),
        Err(b) => refused(&req, &b),
    }
}

/// `POST /sandbox/wechat/cashier/{id}/pay`. `notified` tells whether the
/// first notification was acknowledged.
pub async fn pay(sb: web::Data<WechatSandbox>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let Some(key) = key_of(&sb, &id) else {
        return refused(&req, &Biz::OrderNotExist);
    };
    let t = match sb.trades.pay(&key, clock::now()) {
        Ok(t) => t,
        Err(b) => return refused(&req, &b),
    };
    let notified = sb.notify_now(&t, Event::Paid).await;
    if wants_json(&req) {
        return HttpResponse::Ok().json(json!({"status": "paid", "transaction_id": t.transaction_id,
            "out_trade_no": t.out_trade_no, "notified": notified}));
    }
    page::html(200, page::done("Payment successful", notified))
}

/// `POST /sandbox/wechat/cashier/{id}/cancel`: the buyer gives up and the
/// sandbox closes the trade.
pub async fn cancel(sb: web::Data<WechatSandbox>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let Some(key) = key_of(&sb, &id) else {
        return refused(&req, &Biz::OrderNotExist);
    };
    let t = match sb.trades.close(&key) {
        Ok(t) => t,
        Err(b) => return refused(&req, &b),
    };
    if wants_json(&req) {
        return HttpResponse::Ok().json(json!({"status": "closed", "out_trade_no": t.out_trade_no}));
    }
    page::html(200, page::done("Payment cancelled", false))
}
