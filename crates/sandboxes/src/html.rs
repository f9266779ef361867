//! What the sandboxes' buyer pages share: plain HTML, no scripts, every
//! value that came from a merchant or buyer escaped.

use actix_web::{http::StatusCode, HttpResponse};

pub fn response(status: u16, body: String) -> HttpResponse {
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

/// How one provider's pages look.
pub struct Look {
    pub lang: &'static str,
    /// The Pay button's colour (CSS).
    pub accent: &'static str,
    /// Named in the footer: "Unicharge {provider}: no real money moves."
    pub provider: &'static str,
}

/// A whole page around `inner` (already escaped HTML).
pub fn shell(look: &Look, title: &str, inner: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{t}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}}\
.box{{border:1px solid #ddd;border-radius:8px;padding:1.5rem}}.amt{{font-size:2rem;margin:.5rem 0}}\
form{{display:inline}}button{{font-size:1rem;padding:.6rem 1.4rem;margin-right:.5rem;border-radius:6px;\
border:1px solid #888;cursor:pointer}}.pay{{background:{accent};color:#fff;border-color:{accent}}}\
.note{{color:#888;font-size:.85rem}}</style></head>\
<body><div class=\"box\">{inner}</div><p class=\"note\">Unicharge {provider}: no real money moves.</p>\
</body></html>",
        lang = look.lang,
        accent = look.accent,
        provider = look.provider,
        t = escape(title)
    )
}

/// Pay and Cancel buttons posting to `{prefix}/{id}/pay` and `…/cancel`.
pub fn pay_and_cancel(prefix: &str, id: &str) -> String {
    let id = escape(id);
    format!(
        "<form method=\"post\" action=\"{prefix}/{id}/pay\"><button class=\"pay\" type=\"submit\">Pay</button></form>\
<form method=\"post\" action=\"{prefix}/{id}/cancel\"><button type=\"submit\">Cancel</button></form>"
    )
}

/// The line shown instead of the buttons once a trade is settled.
pub fn trade_is(state: &str) -> String {
    format!("<p>This trade is <strong>{}</strong>.</p>", escape(state))
}

/// The end page's body: the heading, whether the merchant was notified, and
/// a link back to an http(s) `return_url` if there is one.
pub fn done_body(heading: &str, notified: bool, return_url: Option<&str>) -> String {
    let back = return_url
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .map(|u| format!("<p><a href=\"{}\">Return to the merchant</a></p>", escape(u)))
        .unwrap_or_default();
    let note = if notified { "The merchant has been notified." } else { "The merchant will be notified shortly." };
    format!("<h1>{}</h1><p>{note}</p>{back}", escape(heading))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_links() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert!(done_body("Paid", true, Some("javascript:alert(1)")).ends_with("notified.</p>"));
        assert!(done_body("Paid", false, Some("https://shop/?a=1&b=2")).contains("https://shop/?a=1&amp;b=2"));
        assert!(pay_and_cancel("/sandbox/x", "<id>").contains("/sandbox/x/&lt;id&gt;/pay"));
    }
}
