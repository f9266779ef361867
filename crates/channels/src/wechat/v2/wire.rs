//! APIv2 answers (flat XML fields) → Unicharge's outcomes.

use crate::wechat::time::parse_compact;
use crate::wechat::xml::Fields;
use crate::{ChannelError, PaymentStatus, RefundStatusReport};

pub fn get<'a>(f: &'a Fields, name: &str) -> Option<&'a str> {
    f.get(name).map(String::as_str).filter(|s| !s.is_empty())
}

pub fn req<'a>(f: &'a Fields, name: &str) -> Result<&'a str, ChannelError> {
    get(f, name).ok_or_else(|| ChannelError::Malformed(format!("{name} is missing")))
}

pub fn fen(f: &Fields, name: &str) -> Result<i64, ChannelError> {
    let v = req(f, name)?;
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ChannelError::Malformed(format!("{name} is not an amount in fen: {v:?}")));
    }
    v.parse().map_err(|_| ChannelError::Malformed(format!("{name} is out of range")))
}

/// `result_code=FAIL`: WeChat's `err_code` → the error the server maps.
/// * SYSTEMERROR, BANKERROR: outcome unknown, try again (query).
/// * signature, account and permission codes: our configuration is wrong.
/// * anything else: a business refusal under WeChat's code.
pub fn business_error(f: &Fields, what: &str) -> ChannelError {
    let code = get(f, "err_code").unwrap_or("FAIL").to_owned();
    let message = get(f, "err_code_des").unwrap_or("").to_owned();
    match code.as_str() {
        "SYSTEMERROR" | "BANKERROR" | "FREQUENCY_LIMITED" => {
            ChannelError::Unavailable(format!("{what}: WeChat Pay {code}: {message}"))
        }
        "SIGNERROR"
        | "NOAUTH"
        | "APPID_NOT_EXIST"
        | "MCHID_NOT_EXIST"
        | "APPID_MCHID_NOT_MATCH"
        | "LACK_PARAMS"
        | "XML_FORMAT_ERROR"
        | "REQUIRE_POST_METHOD"
        | "POST_DATA_EMPTY"
        | "NOT_UTF8"
        | "CERT_ERROR" => ChannelError::Config(format!("{what} refused with {code}: {message}")),
        _ => ChannelError::Refused { code, message },
    }
}

pub fn is_success(f: &Fields) -> bool {
    get(f, "result_code") == Some("SUCCESS")
}

pub fn err_code(f: &Fields) -> Option<&str> {
    get(f, "err_code")
}

/// A paid trade (micropay answer, orderquery with SUCCESS, pay notification).
pub fn paid(f: &Fields) -> Result<PaymentStatus, ChannelError> {
    let time_end = req(f, "time_end")?;
    Ok(PaymentStatus::Paid {
        transaction_no: req(f, "transaction_id")?.to_owned(),
        amount: fen(f, "total_fee")?,
        time_paid: parse_compact(time_end)
            .ok_or_else(|| ChannelError::Malformed(format!("time_end is not a time: {time_end:?}")))?,
    })
}

/// `orderquery` → the charge's status.
pub fn trade_status(f: &Fields) -> Result<PaymentStatus, ChannelError> {
    match req(f, "trade_state")? {
        // REFUND: paid, then (partly) refunded; the charge itself is paid.
        "SUCCESS" | "REFUND" => paid(f),
        "NOTPAY" | "USERPAYING" | "ACCEPT" => Ok(PaymentStatus::Pending),
        "CLOSED" | "REVOKED" => Ok(PaymentStatus::Closed),
        "PAYERROR" => Ok(PaymentStatus::Failed {
            code: "PAYERROR".into(),
            message: get(f, "trade_state_desc").unwrap_or("payment failed").to_owned(),
        }),
        other => Err(ChannelError::Malformed(format!("unknown trade_state {other}"))),
    }
}

/// `refundquery`: the entry `_n` whose `out_refund_no_n` is ours.
pub fn refund_status(f: &Fields, refund_id: &str, amount: i64) -> Result<RefundStatusReport, ChannelError> {
    let count: usize = req(f, "refund_count")?.parse().map_err(|_| ChannelError::Malformed("refund_count".into()))?;
    let n = (0..count.min(64))
        .find(|n| get(f, &format!("out_refund_no_{n}")) == Some(refund_id))
        .ok_or_else(|| ChannelError::Mismatch(format!("WeChat Pay's answer does not list refund {refund_id}")))?;
    if fen(f, &format!("refund_fee_{n}"))? != amount {
        return Err(ChannelError::Mismatch(format!("refund {refund_id} has another amount at WeChat Pay")));
    }
    refund_report(
        req(f, &format!("refund_status_{n}"))?,
        get(f, &format!("refund_id_{n}")),
        get(f, &format!("refund_success_time_{n}")),
    )
}

/// A refund status (`SUCCESS | PROCESSING | REFUNDCLOSE | CHANGE`) → report.
pub fn refund_report(
    status: &str,
    refund_id: Option<&str>,
    success_time: Option<&str>,
) -> Result<RefundStatusReport, ChannelError> {
    match status {
        "SUCCESS" => Ok(RefundStatusReport::Succeeded {
            transaction_no: refund_id.map(str::to_owned),
            time_succeed: success_time.and_then(crate::alipay::cst::parse).unwrap_or_else(crate::alipay::now),
        }),
        "PROCESSING" => Ok(RefundStatusReport::Pending),
        "REFUNDCLOSE" => Ok(RefundStatusReport::Failed { code: "REFUNDCLOSE".into(), message: "refund closed".into() }),
        "CHANGE" => Ok(RefundStatusReport::Failed {
            code: "CHANGE".into(),
            message: "refund abnormal (buyer's account unusable); handle it in the merchant platform".into(),
        }),
        other => Err(ChannelError::Malformed(format!("unknown refund_status {other}"))),
    }
}
