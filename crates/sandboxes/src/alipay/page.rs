//! The Alipay sandbox cashier (shared pieces in `crate::html`).

use super::format_yuan;
use super::trades::{Trade, TradeStatus};
use crate::html::{done_body, pay_and_cancel, shell, trade_is, Look};

pub use crate::html::{escape, response as html};

const LOOK: Look = Look { lang: "zh-CN", accent: "#1677ff", provider: "Alipay sandbox" };

pub fn cashier(t: &Trade) -> String {
    let actions = match t.status {
        TradeStatus::Precreated | TradeStatus::WaitBuyerPay => pay_and_cancel("/sandbox/alipay/cashier", &t.trade_no),
        TradeStatus::Success | TradeStatus::Closed => trade_is(t.status.wire()),
    };
    shell(
        &LOOK,
        "Alipay sandbox cashier",
        &format!(
            "<h1>Alipay sandbox cashier</h1><p>{subject}</p><div class=\"amt\">¥ {amount}</div>\
<p class=\"note\">Seller {seller} · order {order} · trade {no}</p>{actions}",
            subject = escape(&t.subject),
            amount = format_yuan(t.total),
            seller = escape(&t.seller_id),
            order = escape(&t.out_trade_no),
            no = escape(&t.trade_no),
        ),
    )
}

pub fn done(heading: &str, notified: bool, return_link: Option<&str>) -> String {
    shell(&LOOK, "Alipay sandbox", &done_body(heading, notified, return_link))
}

/// Alipay's cashier shows refused orders as a debug page naming the code.
pub fn error(sub_code: &str, sub_msg: &str) -> String {
    shell(
        &LOOK,
        "Alipay sandbox error",
        &format!(
            "<h1>调试错误，请回到请求来源地，重新发起请求。</h1><p>错误代码 <code>{}</code></p><p>错误原因: {}</p>",
            escape(sub_code),
            escape(sub_msg)
        ),
    )
}
