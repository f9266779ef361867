//! UnionPay 5.1.0 messages: the fields we send, and typed views of the
//! verified fields we receive, with `TryFrom` into Unicharge's types.
//!
//! Every message is a flat `k=v` map; [`Fields`] holds one, already
//! verified (see `gateway.rs`), so these conversions only read it.

use crate::{ChannelError, NotifyOutcome, PaymentStatus, RefundStatusReport};
use std::collections::BTreeMap;

pub type Fields = BTreeMap<String, String>;

pub const VERSION: &str = "5.1.0";
/// Consumption (消费).
pub const TXN_CONSUME: &str = "01";
/// Query (交易状态查询).
pub const TXN_QUERY: &str = "00";
/// Same-day revoke (消费撤销).
pub const TXN_REVOKE: &str = "31";
/// Refund (退货).
pub const TXN_REFUND: &str = "04";
/// The B2C gateway product.
pub const BIZ_B2C: &str = "000201";
pub const CHANNEL_PC: &str = "07";
pub const CHANNEL_MOBILE: &str = "08";
/// CNY.
pub const CURRENCY_CNY: &str = "156";

/// `respCode`s that mean "the result is not known yet: query".
pub fn is_unknown(code: &str) -> bool {
    matches!(code, "03" | "04" | "05")
}

/// The common header of every request we sign.
pub fn base(mer_id: &str, txn_type: &str, txn_sub_type: &str, biz_type: &str) -> Fields {
    let mut f = Fields::new();
    for (k, v) in [
        ("version", VERSION),
        ("encoding", "UTF-8"),
        ("signMethod", "01"),
        ("txnType", txn_type),
        ("txnSubType", txn_sub_type),
        ("bizType", biz_type),
        ("accessType", "0"),
        ("merId", mer_id),
    ] {
        f.insert(k.to_owned(), v.to_owned());
    }
    f
}

pub fn get<'a>(f: &'a Fields, name: &str) -> Result<&'a str, ChannelError> {
    f.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ChannelError::Malformed(format!("{name} is missing")))
}

/// `txnAmt`: fen, digits only (no sign, no decimal point).
pub fn amount(f: &Fields) -> Result<i64, ChannelError> {
    let raw = get(f, "txnAmt")?;
    if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ChannelError::Malformed(format!("txnAmt {raw:?} is not an amount in fen")));
    }
    raw.parse().map_err(|_| ChannelError::Malformed("txnAmt".into()))
}

/// `yyyyMMddHHmmss` at GMT+8 → Unix seconds.
pub fn parse_txn_time(s: &str) -> Option<i64> {
    unicharge_crypto::gmt8::parse_compact(s)
}

/// A refund's `orderId`: the refund id without its underscore, since
/// UnionPay order ids are letters and digits only (`re_X…` → `reX…`).
pub fn refund_order_id(refund_id: &str) -> String {
    refund_id.replace('_', "")
}

/// The refund id back from a refund's `orderId`.
pub fn refund_id_of(order_id: &str) -> Result<String, ChannelError> {
    match order_id.strip_prefix("re") {
        Some(rest) if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()) => Ok(format!("re_{rest}")),
        _ => Err(ChannelError::Malformed(format!("orderId {order_id} is not one of our refund numbers"))),
    }
}

/// A successful consumption's state, from a query answer (`origRespCode`)
/// or a notification (`respCode`).
fn consume_status(f: &Fields, code: &str, msg_field: &str) -> Result<PaymentStatus, ChannelError> {
    if code == "00" || code == "A6" {
        let time_paid = f.get("txnTime").and_then(|t| parse_txn_time(t)).unwrap_or_else(super::now);
        return Ok(PaymentStatus::Paid {
            transaction_no: get(f, "queryId")?.to_owned(),
            amount: amount(f)?,
            time_paid,
        });
    }
    if is_unknown(code) {
        return Ok(PaymentStatus::Pending);
    }
    Ok(PaymentStatus::Failed { code: code.to_owned(), message: f.get(msg_field).cloned().unwrap_or_default() })
}

/// The answer of `queryTrans.do` for a consumption (`respCode=00`: the
/// query worked; `origRespCode` is the payment's own result).
pub struct QueryAnswer<'a>(pub &'a Fields);

impl TryFrom<QueryAnswer<'_>> for PaymentStatus {
    type Error = ChannelError;
    fn try_from(q: QueryAnswer<'_>) -> Result<Self, ChannelError> {
        consume_status(q.0, get(q.0, "origRespCode")?, "origRespMsg")
    }
}

/// The answer of `queryTrans.do` for a refund (`respCode=00`: the query
/// worked; `origRespCode` is the refund's own result).
pub struct RefundQueryAnswer<'a>(pub &'a Fields);

impl TryFrom<RefundQueryAnswer<'_>> for RefundStatusReport {
    type Error = ChannelError;
    fn try_from(q: RefundQueryAnswer<'_>) -> Result<Self, ChannelError> {
        let f = q.0;
        // The orderId is ours, so this is a refund; a consumption or a
        // revoke under it would mean the numbering went wrong.
        if get(f, "txnType")? != TXN_REFUND {
            return Err(ChannelError::Mismatch(format!("orderId {:?} is not a refund", f.get("orderId"))));
        }
        Ok(refund_status(f, get(f, "origRespCode")?, "origRespMsg"))
    }
}

/// A refund's state from its result code (`origRespCode` of a query,
/// `respCode` of a notification).
fn refund_status(f: &Fields, code: &str, msg_field: &str) -> RefundStatusReport {
    match code {
        "00" | "A6" => RefundStatusReport::Succeeded {
            transaction_no: f.get("queryId").cloned(),
            time_succeed: f.get("txnTime").and_then(|t| parse_txn_time(t)).unwrap_or_else(super::now),
        },
        c if is_unknown(c) => RefundStatusReport::Pending,
        c => RefundStatusReport::Failed { code: c.to_owned(), message: f.get(msg_field).cloned().unwrap_or_default() },
    }
}

/// A verified backUrl notification.
pub struct Notify<'a>(pub &'a Fields);

impl TryFrom<Notify<'_>> for NotifyOutcome {
    type Error = ChannelError;
    fn try_from(n: Notify<'_>) -> Result<Self, ChannelError> {
        let f = n.0;
        let code = get(f, "respCode")?;
        match get(f, "txnType")? {
            TXN_CONSUME => Ok(NotifyOutcome::Charge {
                order_no: get(f, "orderId")?.to_owned(),
                status: consume_status(f, code, "respMsg")?,
                amount: amount(f)?,
            }),
            TXN_REFUND => {
                let status = refund_status(f, code, "respMsg");
                Ok(NotifyOutcome::Refund {
                    refund_id: refund_id_of(get(f, "orderId")?)?,
                    // We put the charge's order number in reqReserved, which
                    // UnionPay echoes; the refund's own orderId is ours.
                    order_no: get(f, "reqReserved")?.to_owned(),
                    status,
                    amount: amount(f)?,
                })
            }
            // Revokes (31) settle a reversal we already recorded; nothing changes.
            _ => Ok(NotifyOutcome::Ignored),
        }
    }
}
