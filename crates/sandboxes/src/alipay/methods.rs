//! The trade APIs: precreate, create, pay (bar code), query, close, cancel.

use super::gateway::Call;
use super::notify::{sync_fund_bill_list, Event};
use super::order::{biz_str, new_trade, out_trade_no, required};
use super::trades::{Acq, CancelEffect, Key, Product, Trade, TradeStatus};
use super::{clock, format_yuan, masked_logon_id, new_trade_no, new_user_id, AlipaySandbox};
use serde_json::{Map, Value};

/// A successful answer: code 10000 (or 10003 while the buyer confirms).
pub struct Reply {
    pub code: &'static str,
    pub msg: &'static str,
    pub fields: Map<String, Value>,
}

impl Reply {
    fn success(fields: Map<String, Value>) -> Self {
        Reply { code: "10000", msg: "Success", fields }
    }

    pub fn into_object(self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("code".into(), self.code.into());
        m.insert("msg".into(), self.msg.into());
        m.extend(self.fields);
        m
    }
}

fn ids(t: &Trade) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("trade_no".into(), t.trade_no.clone().into());
    m.insert("out_trade_no".into(), t.out_trade_no.clone().into());
    m
}

/// The paid-trade fields shared by pay and query answers.
fn paid_fields(m: &mut Map<String, Value>, t: &Trade) {
    m.insert("buyer_logon_id".into(), t.buyer_logon_id.clone().into());
    m.insert("total_amount".into(), format_yuan(t.total).into());
    let paid = if t.paid_at.is_some() { t.total } else { 0 };
    for k in ["receipt_amount", "buyer_pay_amount", "invoice_amount"] {
        m.insert(k.into(), format_yuan(paid).into());
    }
    m.insert("point_amount".into(), "0.00".into());
    if let Some(at) = t.paid_at {
        m.insert("buyer_user_id".into(), t.buyer_id.clone().into());
        m.insert("fund_bill_list".into(), sync_fund_bill_list(t.total));
        m.insert("gmt_payment".into(), clock::format_gmt8(at).into());
    }
}

pub fn precreate(sb: &AlipaySandbox, c: &Call, origin: &str, now: i64) -> Result<Reply, Acq> {
    let t = new_trade(c, Product::Precreate, now)?;
    sb.expire(&(t.app_id.clone(), t.out_trade_no.clone()));
    let t = sb.trades.open(t)?;
    let qr = t.qr_id.as_ref().ok_or(Acq::ContextInconsistent)?;
    let mut m = Map::new();
    m.insert("out_trade_no".into(), t.out_trade_no.clone().into());
    m.insert("qr_code".into(), format!("{origin}/sandbox/alipay/qr/{qr}").into());
    Ok(Reply::success(m))
}

/// For mini programs: the buyer is known up front (`buyer_id`, or the
/// newer `buyer_open_id`), and pays in the mini program (here: the cashier).
pub fn create(sb: &AlipaySandbox, c: &Call, now: i64) -> Result<Reply, Acq> {
    let mut t = new_trade(c, Product::Create, now)?;
    match (biz_str(c, "buyer_id"), biz_str(c, "buyer_open_id")) {
        (Some(b), _) if b.len() == 16 && b.starts_with("2088") && b.bytes().all(|x| x.is_ascii_digit()) => {
            t.buyer_id = b;
        }
        (Some(_), _) => return Err(Acq::InvalidParameter("buyer_id".into())),
        (None, Some(_)) => {}
        (None, None) => return Err(Acq::InvalidParameter("buyer_id".into())),
    }
    sb.expire(&(t.app_id.clone(), t.out_trade_no.clone()));
    Ok(Reply::success(ids(&sb.trades.open(t)?)))
}

/// Outcome of a buyer's payment code, by prefix (see the AUTH_CODE_*
/// constants): real codes are 16–24 digits starting 25–30.
fn auth_code_verdict(code: &str) -> Result<bool, Acq> {
    let prefix_ok = code.get(..2).and_then(|p| p.parse::<u8>().ok()).is_some_and(|p| (25..=30).contains(&p));
    if !(16..=24).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) || !prefix_ok {
        return Err(Acq::PaymentAuthCodeInvalid);
    }
    match &code[..6] {
        "284004" => Err(Acq::PaymentAuthCodeInvalid),
        "284005" => Err(Acq::BuyerBalanceNotEnough),
        "281003" => Ok(false),
        _ => Ok(true),
    }
}

/// The merchant scans the buyer's code. Pays at once, or answers 10003 and
/// leaves the trade waiting for the buyer, or refuses the code.
pub fn pay(sb: &AlipaySandbox, c: &Call, now: i64) -> Result<Reply, Acq> {
    match required(c, "scene")?.as_str() {
        "bar_code" | "wave_code" | "security_code" => {}
        _ => return Err(Acq::InvalidParameter("scene".into())),
    }
    let paid_now = auth_code_verdict(&required(c, "auth_code")?)?;
    let t = new_trade(c, Product::BarCode, now)?;
    let key = (t.app_id.clone(), t.out_trade_no.clone());
    sb.expire(&key);
    let t = sb.trades.open(t)?;
    if !paid_now {
        let mut m = ids(&t);
        m.insert("buyer_logon_id".into(), t.buyer_logon_id.clone().into());
        m.insert("total_amount".into(), format_yuan(t.total).into());
        return Ok(Reply { code: "10003", msg: "order success pay inprocess", fields: m });
    }
    let t = sb.trades.pay(&key, now)?;
    sb.notify_later(&t, Event::Paid);
    let mut m = ids(&t);
    paid_fields(&mut m, &t);
    Ok(Reply::success(m))
}

/// The trade a call names by out_trade_no or trade_no, expired if due.
pub fn target(sb: &AlipaySandbox, c: &Call) -> Result<Key, Acq> {
    let (o, t) = (biz_str(c, "out_trade_no"), biz_str(c, "trade_no"));
    if o.is_none() && t.is_none() {
        return Err(Acq::InvalidParameter("out_trade_no".into()));
    }
    let key = sb.trades.resolve(&c.app_id, o.as_deref(), t.as_deref()).ok_or(Acq::TradeNotExist)?;
    sb.expire(&key);
    Ok(key)
}

pub fn query(sb: &AlipaySandbox, c: &Call) -> Result<Reply, Acq> {
    let t = sb.trades.get(&target(sb, c)?).ok_or(Acq::TradeNotExist)?;
    if t.status == TradeStatus::Precreated {
        // Nobody has scanned the code, so Alipay has not created the trade.
        return Err(Acq::TradeNotExist);
    }
    let mut m = ids(&t);
    m.insert("trade_status".into(), t.status.wire().into());
    paid_fields(&mut m, &t);
    if let Some(v) = m.remove("gmt_payment") {
        m.insert("send_pay_date".into(), v);
    }
    Ok(Reply::success(m))
}

pub fn close(sb: &AlipaySandbox, c: &Call, now: i64) -> Result<Reply, Acq> {
    let (t, existed) = sb.trades.close(&target(sb, c)?, now)?;
    let mut m = Map::new();
    if existed {
        sb.notify_later(&t, Event::Closed);
        m = ids(&t);
    } else {
        m.insert("out_trade_no".into(), t.out_trade_no.clone().into());
    }
    Ok(Reply::success(m))
}

pub fn cancel(sb: &AlipaySandbox, c: &Call, now: i64) -> Result<Reply, Acq> {
    let placeholder = match biz_str(c, "out_trade_no") {
        Some(_) => Trade { out_trade_no: out_trade_no(c)?, ..placeholder_shape(c, now) },
        None => sb.trades.get(&target(sb, c)?).ok_or(Acq::TradeNotExist)?,
    };
    sb.expire(&(placeholder.app_id.clone(), placeholder.out_trade_no.clone()));
    let (t, action, effect) = sb.trades.cancel(placeholder, now);
    let mut m = ids(&t);
    m.insert("retry_flag".into(), "N".into());
    m.insert("action".into(), action.wire().into());
    match effect {
        CancelEffect::None => {}
        CancelEffect::Closed => sb.notify_later(&t, Event::Closed),
        CancelEffect::Refunded(r) => {
            m.insert("gmt_refund_pay".into(), clock::format_gmt8(r.at).into());
            sb.notify_later(&t, Event::Refunded(&r));
        }
    }
    Ok(Reply::success(m))
}

/// A closed stand-in for an out_trade_no that cancel meets first.
fn placeholder_shape(c: &Call, now: i64) -> Trade {
    Trade {
        app_id: c.app_id.clone(),
        out_trade_no: String::new(),
        trade_no: new_trade_no(now),
        qr_id: None,
        product: Product::BarCode,
        total: 0,
        subject: String::new(),
        body: None,
        notify_url: None,
        return_url: None,
        passback_params: None,
        seller_id: c.app.seller_id.clone(),
        buyer_id: new_user_id(),
        buyer_logon_id: masked_logon_id(),
        status: TradeStatus::Closed,
        created_at: now,
        paid_at: None,
        closed_at: Some(now),
        expire_at: now,
        refunds: Vec::new(),
        cancel_action: None,
    }
}
