//! Asynchronous notifications (`trade_status_sync`) and the signed
//! parameters of the browser's return to `return_url`.

use super::trades::{Key, Product, Refund, Trade, TradeStatus};
use super::{clock, format_yuan, random_lower, AlipaySandbox};
use std::collections::BTreeMap;
use unicharge_crypto::sorted_sign_content;

/// What happened to the trade.
pub enum Event<'a> {
    Paid,
    /// Closed unpaid: timed out, closed, cancelled, or given up by the buyer.
    Closed,
    /// A refund: TRADE_SUCCESS while money remains, TRADE_CLOSED once all of
    /// it went back, with `refund_fee` (cumulative) and `out_biz_no`.
    Refunded(&'a Refund),
}

fn fund_bill_list(amount: i64, key: &str) -> String {
    serde_json::json!([{ "amount": format_yuan(amount), (key): "ALIPAYACCOUNT" }]).to_string()
}

impl AlipaySandbox {
    /// The form Alipay would POST, signed over every field except `sign` and
    /// `sign_type` (rsaCheckV1). Empty values are never emitted, so
    /// verifiers that keep blanks and those that drop them agree.
    pub(crate) fn notification(&self, t: &Trade, ev: &Event<'_>, now: i64) -> Option<(String, String)> {
        let url = t.notify_url.clone()?;
        let mut f = BTreeMap::<&str, String>::new();
        f.insert("notify_time", clock::format_gmt8(now));
        f.insert("notify_type", "trade_status_sync".into());
        f.insert("notify_id", format!("{}{}", clock::date_gmt8(now), random_lower(26)));
        f.insert("app_id", t.app_id.clone());
        f.insert("auth_app_id", t.app_id.clone());
        f.insert("charset", "utf-8".into());
        f.insert("version", "1.0".into());
        f.insert("trade_no", t.trade_no.clone());
        f.insert("out_trade_no", t.out_trade_no.clone());
        f.insert("total_amount", format_yuan(t.total));
        f.insert("gmt_create", clock::format_gmt8(t.created_at));
        f.insert("seller_id", t.seller_id.clone());
        f.insert("subject", t.subject.clone());
        if let Some(b) = t.body.as_ref().filter(|b| !b.is_empty()) {
            f.insert("body", b.clone());
        }
        if let Some(p) = t.passback_params.as_ref().filter(|p| !p.is_empty()) {
            f.insert("passback_params", p.clone());
        }
        let status = match ev {
            Event::Paid => TradeStatus::Success,
            Event::Closed => TradeStatus::Closed,
            Event::Refunded(_) if t.refunded() >= t.total => TradeStatus::Closed,
            Event::Refunded(_) => TradeStatus::Success,
        };
        f.insert("trade_status", status.wire().into());
        if let Some(paid) = t.paid_at {
            f.insert("gmt_payment", clock::format_gmt8(paid));
            f.insert("buyer_id", t.buyer_id.clone());
            f.insert("buyer_logon_id", t.buyer_logon_id.clone());
            for k in ["receipt_amount", "buyer_pay_amount", "invoice_amount"] {
                f.insert(k, format_yuan(t.total));
            }
            f.insert("point_amount", "0.00".into());
            // Notifications spell it fundChannel; sync responses fund_channel.
            f.insert("fund_bill_list", fund_bill_list(t.total, "fundChannel"));
        }
        if let Event::Refunded(r) = ev {
            f.insert("refund_fee", format_yuan(t.refunded()));
            f.insert("gmt_refund", clock::format_gmt8(r.at));
            f.insert("out_biz_no", r.out_request_no.clone());
        }
        if status == TradeStatus::Closed {
            f.insert("gmt_close", clock::format_gmt8(t.closed_at.unwrap_or(now)));
        }
        let content = sorted_sign_content(f.iter().map(|(k, v)| (*k, v.as_str())), &["sign", "sign_type"]);
        f.insert("sign", self.sign(&content));
        f.insert("sign_type", "RSA2".into());
        Some((url, serde_urlencoded::to_string(&f).unwrap_or_default()))
    }

    /// Delivers now and reports whether the merchant answered `success`;
    /// retries continue in the background. False when there is no notify_url.
    pub(crate) async fn notify_now(&self, t: &Trade, ev: Event<'_>) -> bool {
        match self.notification(t, &ev, clock::now()) {
            Some((url, body)) => self.notifier.deliver(url, body).await,
            None => false,
        }
    }

    /// Sends without holding up the API answer, as Alipay does: a merchant
    /// may be inside its own call to the gateway when the notification lands.
    pub(crate) fn notify_later(&self, t: &Trade, ev: Event<'_>) {
        if let Some((url, body)) = self.notification(t, &ev, clock::now()) {
            let n = self.notifier.clone();
            tokio::spawn(async move {
                n.deliver(url, body).await;
            });
        }
    }

    /// Applies the trade's expiry before anything else touches it.
    pub(crate) fn expire(&self, key: &Key) {
        if let Some(t) = self.trades.expire_due(key, clock::now()) {
            self.notify_later(&t, Event::Closed);
        }
    }

    /// Where the browser goes after paying: `return_url` with the signed
    /// synchronous-return parameters Alipay appends.
    pub(crate) fn return_link(&self, t: &Trade) -> Option<String> {
        let url = t.return_url.as_ref().filter(|u| u.starts_with("http://") || u.starts_with("https://"))?;
        let method = match t.product {
            Product::PagePay => "alipay.trade.page.pay.return",
            Product::WapPay => "alipay.trade.wap.pay.return",
            Product::AppPay | Product::Precreate | Product::Create | Product::BarCode => return None,
        };
        let mut f = BTreeMap::<&str, String>::new();
        f.insert("app_id", t.app_id.clone());
        f.insert("auth_app_id", t.app_id.clone());
        f.insert("charset", "utf-8".into());
        f.insert("method", method.into());
        f.insert("out_trade_no", t.out_trade_no.clone());
        f.insert("seller_id", t.seller_id.clone());
        f.insert("timestamp", clock::format_gmt8(clock::now()));
        f.insert("total_amount", format_yuan(t.total));
        f.insert("trade_no", t.trade_no.clone());
        f.insert("version", "1.0".into());
        let content = sorted_sign_content(f.iter().map(|(k, v)| (*k, v.as_str())), &["sign", "sign_type"]);
        f.insert("sign", self.sign(&content));
        f.insert("sign_type", "RSA2".into());
        let sep = if url.contains('?') { '&' } else { '?' };
        Some(format!("{url}{sep}{}", serde_urlencoded::to_string(&f).unwrap_or_default()))
    }
}

pub(crate) fn sync_fund_bill_list(amount: i64) -> serde_json::Value {
    serde_json::json!([{ "fund_channel": "ALIPAYACCOUNT", "amount": format_yuan(amount) }])
}
