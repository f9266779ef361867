//! The sandbox cashier pages: plain HTML, no scripts, so they work anywhere.

use super::trades::Trade;
use actix_web::{http::StatusCode, HttpResponse};

pub fn html(status: u16, body: String) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn shell(title: &str, inner: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{t}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}}\
.box{{border:1px solid #ddd;border-radius:8px;padding:1.5rem}}.amt{{font-size:2rem;margin:.5rem 0}}\
button{{font-size:1rem;padding:.6rem 1.4rem;margin-right:.5rem;border-radius:6px;border:1px solid #888;cursor:pointer}}\
.pay{{background:#1677ff;color:#fff;border-color:#1677ff}}.note{{color:#888;font-size:.85rem}}</style></head>\
<body><div class=\"box\">{inner}</div><p class=\"note\">Unicharge sandbox: no real money moves.</p></body></html>",
        t = escape(title)
    )
}

pub fn checkout(mch_id: &str, out_trade_no: &str, t: &Trade) -> String {
    let amount = format!("{}.{:02}", t.amount / 100, t.amount % 100);
    let state = t.status.wire();
    let actions = if state == "NOTPAY" {
        "<form method=\"post\"><button class=\"pay\" name=\"result\" value=\"paid\">Pay</button>\
<button name=\"result\" value=\"failed\">Fail</button></form>"
            .to_owned()
    } else {
        format!("<p>This trade is <strong>{}</strong>.</p>", escape(state))
    };
    shell(
        "Sandbox checkout",
        &format!(
            "<h1>Sandbox checkout</h1><p>{subject}</p><div class=\"amt\">{cur} {amount}</div>\
<p class=\"note\">Merchant {mch} · order {order}</p>{actions}",
            subject = escape(&t.subject),
            cur = escape(&t.currency.to_uppercase()),
            mch = escape(mch_id),
            order = escape(out_trade_no),
        ),
    )
}

pub fn done(status: &str, notified: bool, return_url: Option<&str>) -> String {
    let back = return_url
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .map(|u| format!("<p><a href=\"{}\">Return to the merchant</a></p>", escape(u)))
        .unwrap_or_default();
    let note = if notified { "The merchant has been notified." } else { "The merchant will be notified shortly." };
    shell("Sandbox payment", &format!("<h1>Payment {}</h1><p>{note}</p>{back}", escape(status)))
}

pub fn error(msg: &str) -> String {
    shell("Sandbox error", &format!("<h1>Cannot pay</h1><p>{}</p>", escape(msg)))
}
