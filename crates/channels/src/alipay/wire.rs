//! Alipay OpenAPI messages, named as Alipay names them, and their
//! conversions into Unicharge's outcomes. Money crosses as yuan strings
//! ("12.34"), converted with integer arithmetic only.

use crate::{ChannelError, NotifyOutcome, PaymentStatus, RefundStatusReport};
use serde::{Deserialize, Serialize};
use unicharge_domain::Currency;

use super::cst;

/// Fen → Alipay's yuan string.
pub fn yuan(fen: i64) -> String {
    Currency::Cny.format_major(fen)
}

/// Alipay's yuan string → fen. Refuses signs, exponents, more than two
/// decimals and anything that is not a plain decimal.
pub fn fen(s: &str, field: &str) -> Result<i64, ChannelError> {
    if s.ends_with('.') {
        return Err(ChannelError::Malformed(format!("{field} is not an amount: {s:?}")));
    }
    Currency::Cny.parse_major(s).ok_or_else(|| ChannelError::Malformed(format!("{field} is not an amount: {s:?}")))
}

/// `biz_content` of the six payment APIs. Unused members stay out of the
/// JSON; their order is the order Alipay's documents list them in.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PayOrder<'a> {
    pub out_trade_no: &'a str,
    pub total_amount: String,
    pub subject: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<&'a str>,
    pub product_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<String>,
    /// `alipay.trade.wap.pay`: where a buyer who gives up goes back to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quit_url: Option<&'a str>,
    /// `alipay.trade.pay`: `bar_code` and the buyer's payment code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scene: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_code: Option<&'a str>,
    /// `alipay.trade.create`: the mini program's buyer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<&'a str>,
}

/// `biz_content` naming a trade: query, close, cancel.
#[derive(Debug, Serialize)]
pub struct TradeRef<'a> {
    pub out_trade_no: &'a str,
}

#[derive(Debug, Serialize)]
pub struct RefundRequest<'a> {
    pub out_trade_no: &'a str,
    pub refund_amount: String,
    /// The refund id: Alipay treats a repeated `out_request_no` as the
    /// same refund, so a retry never pays twice.
    pub out_request_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct RefundQueryRequest<'a> {
    pub out_trade_no: &'a str,
    pub out_request_no: &'a str,
    /// Without it the answer carries no refund time.
    pub query_options: [&'static str; 1],
}

/// The members every answer has.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Header {
    pub code: String,
    #[serde(default)]
    pub msg: String,
    pub sub_code: Option<String>,
    pub sub_msg: Option<String>,
}

impl Header {
    pub fn is_success(&self) -> bool {
        self.code == "10000"
    }

    pub fn is_sub(&self, sub_code: &str) -> bool {
        self.sub_code.as_deref() == Some(sub_code)
    }

    /// Alipay's failure → the error the server maps to the tenant.
    /// * 20000 and `ACQ.SYSTEM_ERROR`: outcome unknown, try again later.
    /// * 20001/40001/40002/40006 (`isv.*`, `aop.*`): our request or our
    ///   configuration is wrong (bad key, app id, permissions).
    /// * 40004: a business refusal, its `sub_code` becomes the failure code.
    pub fn into_error(self, method: &str) -> ChannelError {
        let detail = match (&self.sub_code, &self.sub_msg) {
            (Some(c), Some(m)) => format!("{} ({c}: {m})", self.msg),
            (Some(c), None) => format!("{} ({c})", self.msg),
            (None, _) => self.msg.clone(),
        };
        match self.code.as_str() {
            "20000" => ChannelError::Unavailable(format!("{method}: Alipay service error: {detail}")),
            "40004" if self.is_sub("ACQ.SYSTEM_ERROR") => {
                ChannelError::Unavailable(format!("{method}: Alipay system error: {detail}"))
            }
            "20001" | "40001" | "40002" | "40006" => {
                ChannelError::Config(format!("{method} refused with {}: {detail}", self.code))
            }
            other => ChannelError::Refused {
                code: self.sub_code.unwrap_or_else(|| format!("alipay_{other}")),
                message: self.sub_msg.unwrap_or(self.msg),
            },
        }
    }
}

/// `alipay.trade.precreate`
#[derive(Debug, Deserialize)]
pub struct PrecreateResponse {
    pub qr_code: String,
}

/// `alipay.trade.create`
#[derive(Debug, Deserialize)]
pub struct CreateResponse {
    pub trade_no: String,
}

/// `alipay.trade.pay` (code 10000) and `alipay.trade.query`.
#[derive(Debug, Deserialize)]
pub struct TradeResponse {
    pub trade_no: Option<String>,
    pub trade_status: Option<String>,
    pub total_amount: Option<String>,
    pub gmt_payment: Option<String>,
    pub send_pay_date: Option<String>,
}

fn required<'a>(v: &'a Option<String>, field: &str) -> Result<&'a str, ChannelError> {
    v.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| ChannelError::Malformed(format!("{field} is missing")))
}

fn time(v: Option<&str>, field: &str) -> Result<i64, ChannelError> {
    let s = v.ok_or_else(|| ChannelError::Malformed(format!("{field} is missing")))?;
    cst::parse(s).ok_or_else(|| ChannelError::Malformed(format!("{field} is not a time: {s:?}")))
}

impl TradeResponse {
    /// A paid trade as `PaymentStatus::Paid`.
    pub fn paid(&self) -> Result<PaymentStatus, ChannelError> {
        Ok(PaymentStatus::Paid {
            transaction_no: required(&self.trade_no, "trade_no")?.to_owned(),
            amount: fen(required(&self.total_amount, "total_amount")?, "total_amount")?,
            time_paid: time(self.gmt_payment.as_deref().or(self.send_pay_date.as_deref()), "send_pay_date")?,
        })
    }
}

/// `alipay.trade.query` → the charge's status at Alipay.
impl TryFrom<TradeResponse> for PaymentStatus {
    type Error = ChannelError;

    fn try_from(r: TradeResponse) -> Result<Self, ChannelError> {
        match required(&r.trade_status, "trade_status")? {
            "TRADE_SUCCESS" | "TRADE_FINISHED" => r.paid(),
            "WAIT_BUYER_PAY" => Ok(PaymentStatus::Pending),
            "TRADE_CLOSED" => Ok(PaymentStatus::Closed),
            other => Err(ChannelError::Malformed(format!("unknown trade_status {other}"))),
        }
    }
}

/// `alipay.trade.cancel`
#[derive(Debug, Deserialize)]
pub struct CancelResponse {
    pub retry_flag: Option<String>,
    pub action: Option<String>,
}

/// `alipay.trade.refund`
#[derive(Debug, Deserialize)]
pub struct RefundResponse {
    pub trade_no: Option<String>,
    /// `Y` when this call moved money; `N` on a repeat of a refund that
    /// already happened, or one still in progress.
    pub fund_change: Option<String>,
    pub gmt_refund_pay: Option<String>,
}

/// `alipay.trade.fastpay.refund.query`
#[derive(Debug, Deserialize)]
pub struct RefundQueryResponse {
    pub trade_no: Option<String>,
    pub out_request_no: Option<String>,
    pub refund_amount: Option<String>,
    pub refund_status: Option<String>,
    pub gmt_refund_pay: Option<String>,
}

/// Alipay: `REFUND_SUCCESS` is done; a missing status means the refund was
/// not received or is not finished yet, which a later query settles.
impl TryFrom<RefundQueryResponse> for RefundStatusReport {
    type Error = ChannelError;

    fn try_from(r: RefundQueryResponse) -> Result<Self, ChannelError> {
        match r.refund_status.as_deref() {
            Some("REFUND_SUCCESS") => Ok(RefundStatusReport::Succeeded {
                transaction_no: r.trade_no,
                time_succeed: time(r.gmt_refund_pay.as_deref(), "gmt_refund_pay")
                    .unwrap_or_else(|_| crate::alipay::now()),
            }),
            None | Some("") => Ok(RefundStatusReport::Pending),
            Some(other) => Err(ChannelError::Malformed(format!("unknown refund_status {other}"))),
        }
    }
}

/// An asynchronous trade notification (`notify_type=trade_status_sync`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeNotify {
    pub app_id: String,
    pub seller_id: Option<String>,
    pub out_trade_no: String,
    pub trade_no: String,
    pub trade_status: String,
    pub total_amount: String,
    pub gmt_payment: Option<String>,
    /// Present on the notifications Alipay sends after a refund.
    pub out_biz_no: Option<String>,
    pub refund_fee: Option<String>,
}

impl TryFrom<&[(String, String)]> for TradeNotify {
    type Error = ChannelError;

    fn try_from(fields: &[(String, String)]) -> Result<Self, ChannelError> {
        let opt = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
        let req = |name: &str| opt(name).ok_or_else(|| ChannelError::Malformed(format!("{name} is missing")));
        Ok(Self {
            app_id: req("app_id")?,
            seller_id: opt("seller_id"),
            out_trade_no: req("out_trade_no")?,
            trade_no: req("trade_no")?,
            trade_status: req("trade_status")?,
            total_amount: req("total_amount")?,
            gmt_payment: opt("gmt_payment"),
            out_biz_no: opt("out_biz_no"),
            refund_fee: opt("refund_fee"),
        })
    }
}

impl TryFrom<&TradeNotify> for NotifyOutcome {
    type Error = ChannelError;

    fn try_from(n: &TradeNotify) -> Result<Self, ChannelError> {
        let amount = fen(&n.total_amount, "total_amount")?;
        // After a refund Alipay notifies the trade again (TRADE_SUCCESS, or
        // TRADE_CLOSED once fully refunded) with the cumulative refund_fee.
        // Refunds are settled by their own answers and queries; reading
        // this one as "closed" would contradict the paid charge.
        if n.out_biz_no.is_some() || n.refund_fee.as_deref().is_some_and(|f| f != "0.00") {
            return Ok(NotifyOutcome::Ignored);
        }
        let status = match n.trade_status.as_str() {
            "TRADE_SUCCESS" | "TRADE_FINISHED" => PaymentStatus::Paid {
                transaction_no: n.trade_no.clone(),
                amount,
                time_paid: time(n.gmt_payment.as_deref(), "gmt_payment")?,
            },
            "WAIT_BUYER_PAY" => return Ok(NotifyOutcome::Ignored),
            "TRADE_CLOSED" => PaymentStatus::Closed,
            other => return Err(ChannelError::Malformed(format!("unknown trade_status {other}"))),
        };
        Ok(NotifyOutcome::Charge { order_no: n.out_trade_no.clone(), status, amount })
    }
}
