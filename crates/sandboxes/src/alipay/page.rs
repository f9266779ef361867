//! The sandbox cashier: plain HTML forms, no scripts. Every value that came
//! from a merchant or buyer is escaped.

use super::format_yuan;
use super::trades::{Trade, TradeStatus};
use actix_web::{http::StatusCode, HttpResponse};

pub fn html(status: u16, body: String) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

pub fn escape(s: &str) -> String {
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
border:1px solid #888;cursor:pointer}}.pay{{background:#1677ff;color:#fff;border-color:#1677ff}}\
.note{{color:#888;font-size:.85rem}}</style></head>\
<body><div class=\"box\">{inner}</div><p class=\"note\">Unicharge Alipay sandbox: no real money moves.</p>\
</body></html>",
        t = escape(title)
    )
}

pub fn cashier(t: &Trade) -> String {
    let no = escape(&t.trade_no);
    let actions = match t.status {
        TradeStatus::Precreated | TradeStatus::WaitBuyerPay => format!(
            "<form method=\"post\" action=\"/sandbox/alipay/cashier/{no}/pay\">\
<button class=\"pay\" type=\"submit\">Pay</button></form>\
<form method=\"post\" action=\"/sandbox/alipay/cashier/{no}/cancel\">\
<button type=\"submit\">Cancel</button></form>"
        ),
        TradeStatus::Success | TradeStatus::Closed => {
            format!("<p>This trade is <strong>{}</strong>.</p>", escape(t.status.wire()))
        }
    };
    shell(
        "Alipay sandbox cashier",
        &format!(
            "<h1>Alipay sandbox cashier</h1><p>{subject}</p><div class=\"amt\">¥ {amount}</div>\
<p class=\"note\">Seller {seller} · order {order} · trade {no}</p>{actions}",
            subject = escape(&t.subject),
            amount = format_yuan(t.total),
            seller = escape(&t.seller_id),
            order = escape(&t.out_trade_no),
        ),
    )
}

pub fn done(heading: &str, notified: bool, return_link: Option<&str>) -> String {
    let back =
        return_link.map(|u| format!("<p><a href=\"{}\">Return to the merchant</a></p>", escape(u))).unwrap_or_default();
    let note = if notified { "The merchant has been notified." } else { "The merchant will be notified shortly." };
    shell("Alipay sandbox", &format!("<h1>{}</h1><p>{note}</p>{back}", escape(heading)))
}

/// Alipay's cashier shows refused orders as a debug page naming the code.
pub fn error(sub_code: &str, sub_msg: &str) -> String {
    shell(
        "Alipay sandbox error",
        &format!(
            "<h1>调试错误，请回到请求来源地，重新发起请求。</h1><p>错误代码 <code>{}</code></p><p>错误原因: {}</p>",
            escape(sub_code),
            escape(sub_msg)
        ),
    )
}
