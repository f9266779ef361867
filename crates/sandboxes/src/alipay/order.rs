//! What every order carries, read from biz_content and the common
//! parameters: amount, subject, expiry, notify and return URLs.

use super::gateway::{Call, Method};
use super::trades::{Acq, Product, Trade, TradeStatus};
use super::{clock, masked_logon_id, new_trade_no, new_user_id, parse_yuan, random_lower, AmountError};
use serde_json::Value;

/// A biz_content string. SDKs that pass amounts as JSON numbers are
/// accepted, as Alipay accepts them, by reading the number's text.
pub fn biz_str(c: &Call, k: &str) -> Option<String> {
    match c.biz.get(k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(_) | Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => None,
    }
}

pub fn required(c: &Call, k: &str) -> Result<String, Acq> {
    biz_str(c, k).ok_or_else(|| Acq::InvalidParameter(k.to_owned()))
}

pub fn out_trade_no(c: &Call) -> Result<String, Acq> {
    let o = required(c, "out_trade_no")?;
    let ok = o.len() <= 64 && o.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then_some(o).ok_or_else(|| Acq::InvalidParameter("out_trade_no".into()))
}

/// The order's last moment to pay: `time_expire` (absolute, GMT+8) wins
/// over `timeout_express` ("90m", "2h", "15d", "1c" = end of today).
/// Defaults: 2 hours for a QR code, 15 days otherwise.
fn expire_at(c: &Call, product: Product, now: i64) -> Result<i64, Acq> {
    let bad = |k: &str| Acq::InvalidParameter(k.to_owned());
    if let Some(t) = biz_str(c, "time_expire") {
        return clock::parse_gmt8(&t).ok_or_else(|| bad("time_expire"));
    }
    let Some(t) = biz_str(c, "timeout_express") else {
        return Ok(now + if product == Product::Precreate { 7200 } else { 15 * 86_400 });
    };
    if t == "1c" {
        return Ok(clock::end_of_day_gmt8(now));
    }
    let (n, unit) = t.split_at(t.len().saturating_sub(1));
    let n: i64 = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| bad("timeout_express"))?;
    let secs = match unit {
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(bad("timeout_express")),
    };
    if secs > 15 * 86_400 {
        return Err(bad("timeout_express"));
    }
    Ok(now + secs)
}

pub fn new_trade(c: &Call, product: Product, now: i64) -> Result<Trade, Acq> {
    let total = match parse_yuan(&required(c, "total_amount")?) {
        Ok(f) => f,
        Err(AmountError::TooLarge) => return Err(Acq::TotalFeeExceed),
        Err(AmountError::Malformed) | Err(AmountError::NotPositive) => {
            return Err(Acq::InvalidParameter("total_amount".into()))
        }
    };
    let subject = required(c, "subject")?;
    if subject.chars().count() > 256 {
        return Err(Acq::InvalidParameter("subject".into()));
    }
    let status = match product {
        Product::Precreate => TradeStatus::Precreated,
        Product::AppPay | Product::WapPay | Product::PagePay | Product::Create | Product::BarCode => {
            TradeStatus::WaitBuyerPay
        }
    };
    Ok(Trade {
        app_id: c.app_id.clone(),
        out_trade_no: out_trade_no(c)?,
        trade_no: new_trade_no(now),
        qr_id: (product == Product::Precreate).then(|| format!("bax0{}", random_lower(20))),
        product,
        total,
        subject,
        body: biz_str(c, "body"),
        notify_url: c.param("notify_url").map(str::to_owned),
        return_url: c.param("return_url").map(str::to_owned),
        passback_params: biz_str(c, "passback_params"),
        seller_id: c.app.seller_id.clone(),
        buyer_id: new_user_id(),
        buyer_logon_id: masked_logon_id(),
        status,
        created_at: now,
        paid_at: None,
        closed_at: None,
        expire_at: expire_at(c, product, now)?,
        refunds: Vec::new(),
        cancel_action: None,
    })
}

/// Product of a cashier method; None for server-to-server APIs.
pub fn cashier_product(m: Method) -> Option<Product> {
    match m {
        Method::AppPay => Some(Product::AppPay),
        Method::WapPay => Some(Product::WapPay),
        Method::PagePay => Some(Product::PagePay),
        Method::Precreate
        | Method::Create
        | Method::Pay
        | Method::Query
        | Method::Close
        | Method::Cancel
        | Method::Refund
        | Method::RefundQuery => None,
    }
}
