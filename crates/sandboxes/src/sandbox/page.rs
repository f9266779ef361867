//! The sandbox cashier pages (shared pieces in `crate::html`).

use super::trades::Trade;
use crate::html::{done_body, escape, shell, trade_is, Look};

pub use crate::html::response as html;

const LOOK: Look = Look { lang: "en", accent: "#1677ff", provider: "sandbox" };

pub fn checkout(mch_id: &str, out_trade_no: &str, t: &Trade) -> String {
    let amount = format!("{}.{:02}", t.amount / 100, t.amount % 100);
    let state = t.status.wire();
    let actions = if state == "NOTPAY" {
        "<form method=\"post\"><button class=\"pay\" name=\"result\" value=\"paid\">Pay</button>\
<button name=\"result\" value=\"failed\">Fail</button></form>"
            .to_owned()
    } else {
        trade_is(state)
    };
    shell(
        &LOOK,
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
    shell(&LOOK, "Sandbox payment", &done_body(&format!("Payment {status}"), notified, return_url))
}

pub fn error(msg: &str) -> String {
    shell(&LOOK, "Sandbox error", &format!("<h1>Cannot pay</h1><p>{}</p>", escape(msg)))
}
