//! `alipay.trade.refund` and `alipay.trade.fastpay.refund.query`.

use super::gateway::Call;
use super::methods::{target, Reply};
use super::notify::Event;
use super::order::{biz_str, required};
use super::trades::{Acq, TradeStatus};
use super::{clock, format_yuan, parse_yuan, AlipaySandbox, AmountError};
use serde_json::{Map, Value};

/// Refunds once per `out_request_no` (which defaults to the out_trade_no,
/// as Alipay's does): a repeated request answers the same refund with
/// `fund_change` "N" and moves no money. `refund_fee` is the trade's total
/// refunded so far.
pub fn refund(sb: &AlipaySandbox, c: &Call, now: i64) -> Result<Reply, Acq> {
    let amount = match parse_yuan(&required(c, "refund_amount")?) {
        Ok(f) => f,
        Err(AmountError::NotPositive) => return Err(Acq::RefundFeeErr),
        Err(AmountError::TooLarge) => return Err(Acq::RefundAmtNotEqualTotal),
        Err(AmountError::Malformed) => return Err(Acq::InvalidParameter("refund_amount".into())),
    };
    let key = target(sb, c)?;
    let out_request_no = biz_str(c, "out_request_no").unwrap_or_else(|| key.1.clone());
    if out_request_no.len() > 64 {
        return Err(Acq::InvalidParameter("out_request_no".into()));
    }
    let r = sb.trades.refund(&key, &out_request_no, amount, now)?;
    if r.fund_change {
        sb.notify_later(&r.trade, Event::Refunded(&r.refund));
    }
    let t = &r.trade;
    let mut m = Map::new();
    m.insert("trade_no".into(), t.trade_no.clone().into());
    m.insert("out_trade_no".into(), t.out_trade_no.clone().into());
    m.insert("buyer_logon_id".into(), t.buyer_logon_id.clone().into());
    m.insert("fund_change".into(), if r.fund_change { "Y" } else { "N" }.into());
    m.insert("refund_fee".into(), format_yuan(t.refunded()).into());
    m.insert("send_back_fee".into(), format_yuan(r.refund.amount).into());
    m.insert("gmt_refund_pay".into(), clock::format_gmt8(r.refund.at).into());
    m.insert("buyer_user_id".into(), t.buyer_id.clone().into());
    Ok(Reply { code: "10000", msg: "Success", fields: m })
}

/// A refund that exists answers REFUND_SUCCESS (sandbox refunds settle at
/// once). One that does not answers 10000 with no refund fields at all,
/// which is how Alipay says "no such refund" for an existing trade.
pub fn refund_query(sb: &AlipaySandbox, c: &Call) -> Result<Reply, Acq> {
    let key = target(sb, c)?;
    let t = sb.trades.get(&key).ok_or(Acq::TradeNotExist)?;
    if t.status == TradeStatus::Precreated {
        return Err(Acq::TradeNotExist);
    }
    let out_request_no = biz_str(c, "out_request_no").unwrap_or_else(|| key.1.clone());
    let mut m = Map::new();
    if let Some(r) = t.refunds.iter().find(|r| r.out_request_no == out_request_no) {
        m.insert("trade_no".into(), t.trade_no.clone().into());
        m.insert("out_trade_no".into(), t.out_trade_no.clone().into());
        m.insert("out_request_no".into(), Value::String(r.out_request_no.clone()));
        m.insert("total_amount".into(), format_yuan(t.total).into());
        m.insert("refund_amount".into(), format_yuan(r.amount).into());
        m.insert("refund_status".into(), "REFUND_SUCCESS".into());
        m.insert("gmt_refund_pay".into(), clock::format_gmt8(r.at).into());
    }
    Ok(Reply { code: "10000", msg: "Success", fields: m })
}
