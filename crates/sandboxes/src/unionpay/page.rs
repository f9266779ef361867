//! The cashier: where the buyer pays or gives up, for front (web) trades
//! reached from `frontTransReq.do` and app trades opened by their `tn`.
//! Every page also answers `Accept: application/json` for tests.

use super::{digits, Fields, State, Trade, UnionpaySandbox};
use crate::html::{escape, pay_and_cancel, response, shell, trade_is, Look};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use unicharge_crypto::gmt8;

const LOOK: Look = Look { lang: "zh-CN", accent: "#e60012", provider: "UnionPay sandbox" };
const PREFIX: &str = "/sandbox/unionpay/cashier";

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn state_name(s: &State) -> &'static str {
    match s {
        State::Unpaid => "UNPAID",
        State::Paid { .. } => "PAID",
        State::Cancelled => "CANCELLED",
    }
}

pub fn cashier_page(t: &Trade) -> HttpResponse {
    let actions = match t.state {
        State::Unpaid => pay_and_cancel(PREFIX, &t.tn),
        State::Paid { .. } | State::Cancelled => trade_is(state_name(&t.state)),
    };
    let inner = format!(
        "<h1>UnionPay sandbox</h1><div class=\"amt\">¥ {}</div><p class=\"note\">Merchant {} · order {} · tn <span id=\"tn\">{}</span></p>{actions}",
        yuan(t.amount),
        escape(&t.mer_id),
        escape(&t.order_id),
        escape(&t.tn)
    );
    response(200, shell(&LOOK, "UnionPay sandbox", &inner))
}

pub fn error(code: &str, msg: &str) -> HttpResponse {
    let inner = format!("<h1>{}</h1><p><code>respCode={}</code></p>", escape(msg), escape(code));
    response(400, shell(&LOOK, "UnionPay sandbox", &inner))
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

fn trade(sb: &UnionpaySandbox, tn: &str) -> Option<Trade> {
    let key = sb.by_tn.get(tn)?.clone();
    sb.trades.get(&key).map(|t| t.clone())
}

fn show(req: &HttpRequest, t: &Trade) -> HttpResponse {
    if wants_json(req) {
        return HttpResponse::Ok().json(serde_json::json!({
            "tn": t.tn, "merId": t.mer_id, "orderId": t.order_id, "txnTime": t.txn_time, "txnAmt": t.amount,
            "state": state_name(&t.state), "refunded": t.refunded, "revoked": t.revoked,
        }));
    }
    cashier_page(t)
}

pub async fn view(sb: web::Data<UnionpaySandbox>, req: HttpRequest, tn: web::Path<String>) -> HttpResponse {
    match trade(&sb, &tn) {
        Some(t) => show(&req, &t),
        None => error("34", "查无此交易"),
    }
}

pub async fn cancel(sb: web::Data<UnionpaySandbox>, req: HttpRequest, tn: web::Path<String>) -> HttpResponse {
    let Some(key) = sb.by_tn.get(tn.as_str()).map(|k| k.clone()) else { return error("34", "查无此交易") };
    let t = match sb.trades.get_mut(&key) {
        Some(mut t) => {
            if t.state == State::Unpaid {
                t.state = State::Cancelled;
            }
            t.clone()
        }
        None => return error("34", "查无此交易"),
    };
    show(&req, &t)
}

/// The test control `?notify=drop`: pay, but lose the notification.
fn drops_notification(req: &HttpRequest) -> bool {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .is_ok_and(|q| q.iter().any(|(k, v)| k == "notify" && v == "drop"))
}

/// Pays, sends the signed backUrl notification (unless the test control
/// drops it), then (web trades) posts the buyer back to `frontUrl` with the
/// signed result, as UnionPay does.
pub async fn pay(sb: web::Data<UnionpaySandbox>, req: HttpRequest, tn: web::Path<String>) -> HttpResponse {
    let Some(key) = sb.by_tn.get(tn.as_str()).map(|k| k.clone()) else { return error("34", "查无此交易") };
    let now = gmt8::now();
    let t = match sb.trades.get_mut(&key) {
        Some(mut t) => {
            if t.state != State::Unpaid {
                return show(&req, &t.clone());
            }
            let query_id = digits(21);
            sb.by_query_id.insert(query_id.clone(), key.clone());
            t.state = State::Paid { query_id, paid_at: now };
            t.clone()
        }
        None => return error("34", "查无此交易"),
    };
    let State::Paid { query_id, .. } = &t.state else { return show(&req, &t) };
    let mut f = Fields::new();
    for (k, v) in [
        ("version", "5.1.0"),
        ("encoding", "UTF-8"),
        ("signMethod", "01"),
        ("txnType", "01"),
        ("txnSubType", "01"),
        ("bizType", "000201"),
        ("accessType", "0"),
        ("currencyCode", "156"),
        ("respCode", "00"),
        ("respMsg", "成功[0000000]"),
    ] {
        f.insert(k.into(), v.into());
    }
    f.insert("merId".into(), t.mer_id.clone());
    f.insert("orderId".into(), t.order_id.clone());
    f.insert("txnTime".into(), t.txn_time.clone());
    f.insert("txnAmt".into(), t.amount.to_string());
    f.insert("settleAmt".into(), t.amount.to_string());
    f.insert("settleCurrencyCode".into(), "156".into());
    f.insert("settleDate".into(), gmt8::compact(now)[4..8].to_owned());
    f.insert("queryId".into(), query_id.clone());
    f.insert("traceNo".into(), digits(6));
    f.insert("traceTime".into(), gmt8::compact(now)[4..].to_owned());
    if let Some(r) = &t.req_reserved {
        f.insert("reqReserved".into(), r.clone());
    }
    let notified = if drops_notification(&req) {
        tracing::info!(tn = %t.tn, "sandbox UnionPay: notification dropped on request");
        false
    } else {
        sb.notify(&t.back_url, f.clone()).await
    };
    if wants_json(&req) {
        return HttpResponse::Ok()
            .json(serde_json::json!({"tn": t.tn, "state": "PAID", "notified": notified, "queryId": query_id}));
    }
    match &t.front_url {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            sb.sign(&mut f);
            let inputs: String = f
                .iter()
                .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(k), escape(v)))
                .collect();
            let inner = format!(
                "<h1>Paid</h1><form method=\"post\" action=\"{}\">{inputs}<button class=\"pay\" type=\"submit\">Return to the merchant</button></form>",
                escape(url)
            );
            response(200, shell(&LOOK, "UnionPay sandbox", &inner))
        }
        Some(_) | None => response(200, shell(&LOOK, "UnionPay sandbox", "<h1>Paid</h1>")),
    }
}
