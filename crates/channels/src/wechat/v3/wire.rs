//! APIv3 messages, named as WeChat Pay names them, and their conversions
//! into Unicharge's outcomes. Amounts are integer fen on the wire.

use super::super::time::parse_rfc3339;
use crate::{ChannelError, PaymentStatus, RefundStatusReport};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Amount {
    pub total: i64,
    pub currency: &'static str,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Payer<'a> {
    pub openid: &'a str,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct H5Info {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SceneInfo<'a> {
    pub payer_client_ip: &'a str,
    pub h5_info: H5Info,
}

/// The body of `/v3/pay/transactions/{app,jsapi,native,h5}`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PrepayRequest<'a> {
    pub appid: &'a str,
    pub mchid: &'a str,
    pub description: &'a str,
    pub out_trade_no: &'a str,
    pub time_expire: String,
    pub notify_url: &'a str,
    pub amount: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scene_info: Option<SceneInfo<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct PrepayResponse {
    pub prepay_id: Option<String>,
    pub code_url: Option<String>,
    pub h5_url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CloseRequest<'a> {
    pub mchid: &'a str,
}

/// An error answer: `{"code": "...", "message": "..."}`.
#[derive(Debug, Deserialize, Default)]
pub struct ErrorBody {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

impl ErrorBody {
    /// WeChat's failure → the error the server maps to the tenant.
    /// * 5xx, SYSTEM_ERROR, FREQUENCY_LIMITED: outcome unknown, try again.
    /// * 401/403 (SIGN_ERROR, NO_AUTH, APPID_MCHID_NOT_MATCH, …): our
    ///   configuration is wrong.
    /// * anything else: a business refusal under WeChat's code.
    pub fn into_error(self, what: &str, status: u16) -> ChannelError {
        match (status, self.code.as_str()) {
            (500..=599, _) | (_, "SYSTEM_ERROR" | "FREQUENCY_LIMITED" | "BANK_ERROR") => {
                ChannelError::Unavailable(format!("{what}: WeChat Pay {status} {}: {}", self.code, self.message))
            }
            (401 | 403, _) | (_, "SIGN_ERROR" | "APPID_MCHID_NOT_MATCH" | "MCH_NOT_EXISTS" | "NO_AUTH") => {
                ChannelError::Config(format!("{what} refused with {status} {}: {}", self.code, self.message))
            }
            _ => ChannelError::Refused {
                code: if self.code.is_empty() { format!("wx_http_{status}") } else { self.code },
                message: self.message,
            },
        }
    }
}

#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
pub struct TransactionAmount {
    pub total: Option<i64>,
    pub payer_total: Option<i64>,
    pub currency: Option<String>,
}

/// A transaction: query answer, and the `TRANSACTION.*` notification's resource.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub appid: Option<String>,
    pub mchid: Option<String>,
    pub out_trade_no: String,
    pub transaction_id: Option<String>,
    pub trade_state: String,
    pub success_time: Option<String>,
    pub amount: Option<TransactionAmount>,
}

fn time(v: Option<&str>, field: &str) -> Result<i64, ChannelError> {
    let s = v.filter(|s| !s.is_empty()).ok_or_else(|| ChannelError::Malformed(format!("{field} is missing")))?;
    parse_rfc3339(s).ok_or_else(|| ChannelError::Malformed(format!("{field} is not a time: {s:?}")))
}

impl Transaction {
    pub fn total(&self) -> Result<i64, ChannelError> {
        self.amount
            .as_ref()
            .and_then(|a| a.total)
            .ok_or_else(|| ChannelError::Malformed("amount.total is missing".into()))
    }
}

/// WeChat's `trade_state` → the charge's status. REFUND means the trade
/// was paid and later (partly) refunded: the charge itself is paid.
impl TryFrom<&Transaction> for PaymentStatus {
    type Error = ChannelError;

    fn try_from(t: &Transaction) -> Result<Self, ChannelError> {
        match t.trade_state.as_str() {
            "SUCCESS" | "REFUND" => Ok(PaymentStatus::Paid {
                transaction_no: t
                    .transaction_id
                    .clone()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| ChannelError::Malformed("transaction_id is missing".into()))?,
                amount: t.total()?,
                time_paid: time(t.success_time.as_deref(), "success_time")?,
            }),
            "NOTPAY" | "USERPAYING" | "ACCEPT" => Ok(PaymentStatus::Pending),
            "CLOSED" | "REVOKED" => Ok(PaymentStatus::Closed),
            "PAYERROR" => Ok(PaymentStatus::Failed { code: "PAYERROR".into(), message: "payment failed".into() }),
            other => Err(ChannelError::Malformed(format!("unknown trade_state {other}"))),
        }
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RefundAmount {
    pub refund: i64,
    pub total: i64,
    pub currency: &'static str,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RefundRequest<'a> {
    pub out_trade_no: &'a str,
    /// The refund id: WeChat treats a repeated `out_refund_no` as the same
    /// refund, so a retry never pays twice.
    pub out_refund_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    pub notify_url: &'a str,
    pub amount: RefundAmount,
}

#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
pub struct RefundAmountOut {
    pub refund: Option<i64>,
    pub total: Option<i64>,
}

/// A refund: the refund answer, the refund query, and (with `refund_status`
/// instead of `status`) the `REFUND.*` notification's resource.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
pub struct Refund {
    pub mchid: Option<String>,
    pub refund_id: Option<String>,
    pub out_refund_no: String,
    pub out_trade_no: Option<String>,
    #[serde(alias = "refund_status")]
    pub status: String,
    pub success_time: Option<String>,
    pub amount: Option<RefundAmountOut>,
}

impl Refund {
    pub fn refund_amount(&self) -> Result<i64, ChannelError> {
        self.amount
            .as_ref()
            .and_then(|a| a.refund)
            .ok_or_else(|| ChannelError::Malformed("amount.refund is missing".into()))
    }
}

impl TryFrom<&Refund> for RefundStatusReport {
    type Error = ChannelError;

    fn try_from(r: &Refund) -> Result<Self, ChannelError> {
        match r.status.as_str() {
            "SUCCESS" => Ok(RefundStatusReport::Succeeded {
                transaction_no: r.refund_id.clone(),
                time_succeed: time(r.success_time.as_deref(), "success_time").unwrap_or_else(|_| crate::alipay::now()),
            }),
            "PROCESSING" => Ok(RefundStatusReport::Pending),
            "CLOSED" => Ok(RefundStatusReport::Failed { code: "CLOSED".into(), message: "refund closed".into() }),
            "ABNORMAL" => Ok(RefundStatusReport::Failed {
                code: "ABNORMAL".into(),
                message: "refund abnormal (buyer's account unusable); handle it in the merchant platform".into(),
            }),
            other => Err(ChannelError::Malformed(format!("unknown refund status {other}"))),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Resource {
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    pub nonce: String,
}

/// A notification's envelope.
#[derive(Debug, Deserialize)]
pub struct Notification {
    pub event_type: String,
    pub resource: Resource,
}

/// `/v3/certificates`
#[derive(Debug, Deserialize)]
pub struct Certificates {
    pub data: Vec<CertificateItem>,
}

#[derive(Debug, Deserialize)]
pub struct CertificateItem {
    pub serial_no: String,
    pub encrypt_certificate: Resource,
}
