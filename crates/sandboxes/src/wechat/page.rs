//! The WeChat Pay sandbox cashier (shared pieces in `crate::html`).

use super::trades::{State, Trade};
use crate::alipay::format_yuan;
use crate::html::{done_body, escape, pay_and_cancel, shell, trade_is, Look};

pub use crate::html::response as html;

const LOOK: Look = Look { lang: "zh-CN", accent: "#07c160", provider: "WeChat Pay sandbox" };

pub fn cashier(t: &Trade) -> String {
    let actions = match t.state {
        State::NotPay | State::UserPaying | State::PayError => pay_and_cancel("/sandbox/wechat/cashier", &t.prepay_id),
        State::Success | State::Closed | State::Revoked => trade_is(t.state_wire().0),
    };
    shell(
        &LOOK,
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
    shell(&LOOK, "WeChat Pay sandbox", &done_body(heading, notified, None))
}

pub fn error(code: &str, msg: &str) -> String {
    shell(&LOOK, "WeChat Pay sandbox", &format!("<h1>{}</h1><p><code>{}</code></p>", escape(msg), escape(code)))
}
