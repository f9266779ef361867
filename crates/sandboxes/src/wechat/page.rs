//! The sandbox cashier: plain HTML forms, no scripts. Every value that came
//! from a merchant or buyer is escaped.

use super::trades::{State, Trade};
use crate::alipay::format_yuan;
use actix_web::{http::StatusCode, HttpResponse};

pub fn html(status: u16, body: String) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn shell(title: &str, inner: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{t}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}}\
.box{{border:1px solid #ddd;border-radius:8px;padding:1.5rem}}.amt{{font-size:2rem;margin:.5rem 0}}\
form{{display:inline}}button{{font-size:1rem;padding:.6rem 1.4rem;margin-right:.5rem;border-radius:6px;\
border:1px solid #888;cursor:pointer}}.pay{{background:#07c160;color:#fff;border-color:#07c160}}\
.note{{color:#888;font-size:.85rem}}</style></head>\
<body><div class=\"box\">{inner}</div><p class=\"note\">Unicharge WeChat Pay sandbox: no real money moves.</p>\
</body></html>",
        t = escape(title)
    )
}

pub fn cashier(t: &Trade) -> String {
    let id = escape(&t.prepay_id);
    let actions = match t.state {
        State::NotPay | State::UserPaying | State::PayError => format!(
            "<form method=\"post\" action=\"/sandbox/wechat/cashier/{id}/pay\">\
<button class=\"pay\" type=\"submit\">Pay</button></form>\
<form method=\"post\" action=\"/sandbox/wechat/cashier/{id}/cancel\">\
<button type=\"submit\">Cancel</button></form>"
        ),
        State::Success | State::Closed | State::Revoked => {
            format!("<p>This trade is <strong>{}</strong>.</p>", escape(t.state_wire().0))
        }
    };
    shell(
        "WeChat Pay sandbox",
        &format!(
            "<h1>WeChat Pay sandbox</h1><p>{desc}</p><div class=\"amt\">¥ {amount}</div>\
<p class=\"note\">Merchant {mchid} · order {order} · {kind}</p>{actions}",
            desc = escape(&t.description),
            amount = format_yuan(t.total),
            mchid = escape(&t.mchid),
            order = escape(&t.out_trade_no),
            kind = t.trade_type.wire(),
        ),
    )
}

pub fn done(heading: &str, notified: bool) -> String {
    let note = if notified { "The merchant has been notified." } else { "The merchant will be notified shortly." };
    shell("WeChat Pay sandbox", &format!("<h1>{}</h1><p>{note}</p>", escape(heading)))
}

pub fn error(code: &str, msg: &str) -> String {
    shell("WeChat Pay sandbox", &format!("<h1>{}</h1><p><code>{}</code></p>", escape(msg), escape(code)))
}
