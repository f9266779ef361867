//! The buyer's side: scanning a QR code, opening a signed app/wap/page
//! order, and paying or giving up at the cashier.
//!
//! Every page also answers `Accept: application/json`, so tests and the
//! benchmark can pay without parsing HTML.

use super::gateway::{authenticate, merge_params, refusal_object, Call, Fields, Method, Refusal};
use super::notify::Event;
use super::order::{biz_str, cashier_product, new_trade};
use super::trades::{Acq, Key, Product, Trade};
use super::{clock, format_yuan, page, AlipaySandbox};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

fn wants_json(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

fn trade_json(t: &Trade) -> serde_json::Value {
    json!({
        "trade_no": t.trade_no,
        "out_trade_no": t.out_trade_no,
        "trade_status": t.status.wire(),
        "total_amount": format_yuan(t.total),
        "subject": t.subject,
        "pay_url": format!("/sandbox/alipay/cashier/{}/pay", t.trade_no),
        "cancel_url": format!("/sandbox/alipay/cashier/{}/cancel", t.trade_no),
    })
}

fn show(req: &HttpRequest, t: &Trade) -> HttpResponse {
    if wants_json(req) {
        HttpResponse::Ok().json(trade_json(t))
    } else {
        page::html(200, page::cashier(t))
    }
}

fn refused_with(req: &HttpRequest, status: u16, r: &Refusal) -> HttpResponse {
    if wants_json(req) {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        HttpResponse::build(code).json(json!({ "error": refusal_object(r) }))
    } else {
        page::html(status, page::error(r.sub_code, &r.sub_msg))
    }
}

pub fn refused(req: &HttpRequest, r: &Refusal) -> HttpResponse {
    refused_with(req, 400, r)
}

fn business(req: &HttpRequest, e: &Acq) -> HttpResponse {
    let status = match e {
        Acq::TradeNotExist => 404,
        Acq::InvalidParameter(_) | Acq::TotalFeeExceed => 400,
        Acq::TradeHasSuccess
        | Acq::TradeHasClose
        | Acq::TradeStatusError
        | Acq::ContextInconsistent
        | Acq::RefundAmtNotEqualTotal
        | Acq::DiscordantRepeatRequest
        | Acq::RefundFeeErr
        | Acq::PaymentAuthCodeInvalid
        | Acq::BuyerBalanceNotEnough => 409,
    };
    refused_with(req, status, &Refusal::business(e))
}

/// A signed app/wap/page order reaches Alipay: the trade is created and
/// the cashier shown.
pub fn open_order(sb: &AlipaySandbox, req: &HttpRequest, call: Call) -> HttpResponse {
    let Some(product) = cashier_product(call.method) else {
        return refused(req, &Refusal::invalid("isv.invalid-method", "不存在的方法名"));
    };
    // page.pay is the one product whose code Alipay insists on.
    if product == Product::PagePay && biz_str(&call, "product_code").as_deref() != Some("FAST_INSTANT_TRADE_PAY") {
        return business(req, &Acq::InvalidParameter("product_code".into()));
    }
    let t = match new_trade(&call, product, clock::now()) {
        Ok(t) => t,
        Err(e) => return business(req, &e),
    };
    sb.expire(&(t.app_id.clone(), t.out_trade_no.clone()));
    match sb.trades.open(t) {
        Ok(t) => show(req, &t),
        Err(e) => business(req, &e),
    }
}

/// `POST /sandbox/alipay/app_pay` with `order_info`: what the Alipay app
/// does with the order string the merchant's server signed (`sdkExecute`).
pub async fn app_pay(sb: web::Data<AlipaySandbox>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let form = match merge_params("", &body) {
        Ok(f) => f,
        Err(r) => return refused(&req, &r),
    };
    let Some(order_info) = form.get("order_info").filter(|o| !o.is_empty()) else {
        return refused(&req, &Refusal::invalid("isv.invalid-parameter", "缺少order_info"));
    };
    let params: Fields = match serde_urlencoded::from_str(order_info) {
        Ok(p) => p,
        Err(_) => return refused(&req, &Refusal::invalid("isv.invalid-parameter", "order_info不是合法的表单编码")),
    };
    if params.get("method").map(String::as_str) != Some(Method::AppPay.name()) {
        return refused(&req, &Refusal::invalid("isv.invalid-method", "不存在的方法名"));
    }
    match authenticate(&sb, params, false).await {
        Ok(call) => open_order(&sb, &req, call),
        Err((_, r)) => refused(&req, &r),
    }
}

fn trade_key(sb: &AlipaySandbox, trade_no: &str) -> Option<Key> {
    let key = sb.trades.key_by_trade_no(trade_no)?;
    sb.expire(&key);
    Some(key)
}

/// `GET /sandbox/alipay/qr/{id}`: the buyer scans the precreated code.
pub async fn scan(sb: web::Data<AlipaySandbox>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let Some(key) = sb.trades.key_by_qr(&id) else {
        return business(&req, &Acq::TradeNotExist);
    };
    sb.expire(&key);
    match sb.trades.scan(&key, clock::now()) {
        Some(t) => show(&req, &t),
        None => business(&req, &Acq::TradeNotExist),
    }
}

/// `GET /sandbox/alipay/cashier/{trade_no}`; opening it counts as a scan.
pub async fn view(sb: web::Data<AlipaySandbox>, req: HttpRequest, trade_no: web::Path<String>) -> HttpResponse {
    match trade_key(&sb, &trade_no).and_then(|k| sb.trades.scan(&k, clock::now())) {
        Some(t) => show(&req, &t),
        None => business(&req, &Acq::TradeNotExist),
    }
}

/// `POST /sandbox/alipay/cashier/{trade_no}/pay`. `notified` tells whether
/// the first notification was answered `success`.
pub async fn pay(sb: web::Data<AlipaySandbox>, req: HttpRequest, trade_no: web::Path<String>) -> HttpResponse {
    let Some(key) = trade_key(&sb, &trade_no) else {
        return business(&req, &Acq::TradeNotExist);
    };
    let t = match sb.trades.pay(&key, clock::now()) {
        Ok(t) => t,
        Err(e) => return business(&req, &e),
    };
    let notified = sb.notify_now(&t, Event::Paid).await;
    let back = sb.return_link(&t);
    if wants_json(&req) {
        let body = json!({"status": "paid", "trade_no": t.trade_no, "out_trade_no": t.out_trade_no,
            "notified": notified, "return_url": back});
        return HttpResponse::Ok().json(body);
    }
    page::html(200, page::done("Payment successful", notified, back.as_deref()))
}

/// `POST /sandbox/alipay/cashier/{trade_no}/cancel`: the buyer gives up.
/// The sandbox closes the trade at once, as Alipay does when an unpaid
/// trade times out, and sends TRADE_CLOSED.
pub async fn cancel(sb: web::Data<AlipaySandbox>, req: HttpRequest, trade_no: web::Path<String>) -> HttpResponse {
    let Some(key) = trade_key(&sb, &trade_no) else {
        return business(&req, &Acq::TradeNotExist);
    };
    let (t, existed) = match sb.trades.close(&key, clock::now()) {
        Ok(v) => v,
        Err(e) => return business(&req, &e),
    };
    let notified = existed && sb.notify_now(&t, Event::Closed).await;
    if wants_json(&req) {
        let body = json!({"status": "closed", "trade_no": t.trade_no, "out_trade_no": t.out_trade_no,
            "notified": notified});
        return HttpResponse::Ok().json(body);
    }
    page::html(200, page::done("Payment cancelled", notified, None))
}
