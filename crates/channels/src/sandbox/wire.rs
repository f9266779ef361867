//! The sandbox provider's wire format, as `docs/channels/sandbox.md` specifies
//! it. Every message is a flat set of string fields signed with
//! `sign = hex(HMAC-SHA256(key, sorted_sign_content(fields − sign)))`.

use crate::{ChannelError, PaymentStatus, RefundStatusReport};
use std::collections::BTreeMap;
use unicharge_crypto::{hmac_sha256_hex, sorted_sign_content, verify_hmac_sha256};

pub type Fields = BTreeMap<String, String>;

pub fn sign(fields: &Fields, key: &str) -> String {
    let content = sorted_sign_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), &["sign"]);
    hmac_sha256_hex(key.as_bytes(), content.as_bytes())
}

/// Checks `sign` in constant time.
pub fn verify(fields: &Fields, key: &str) -> Result<(), ChannelError> {
    let sig = fields.get("sign").ok_or_else(|| ChannelError::BadSignature("sign is missing".into()))?;
    let tag = hex_decode(sig).ok_or_else(|| ChannelError::BadSignature("sign is not hex".into()))?;
    let content = sorted_sign_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), &["sign"]);
    if verify_hmac_sha256(key.as_bytes(), content.as_bytes(), &tag) {
        Ok(())
    } else {
        Err(ChannelError::BadSignature("sign does not match".into()))
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

pub fn field<'a>(f: &'a Fields, name: &str) -> Result<&'a str, ChannelError> {
    f.get(name)
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ChannelError::Malformed(format!("{name} is missing")))
}

/// Amounts travel as decimal strings of minor units; anything else is refused.
pub fn int_field(f: &Fields, name: &str) -> Result<i64, ChannelError> {
    let s = field(f, name)?;
    if !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 18 {
        return Err(ChannelError::Malformed(format!("{name} is not a non-negative integer")));
    }
    s.parse().map_err(|_| ChannelError::Malformed(format!("{name} is not an integer")))
}

/// `trade_status` (+ details) → normalized payment status.
pub fn payment_status(f: &Fields) -> Result<PaymentStatus, ChannelError> {
    match field(f, "trade_status")? {
        "SUCCESS" => Ok(PaymentStatus::Paid {
            transaction_no: field(f, "trade_no")?.to_owned(),
            amount: int_field(f, "amount")?,
            time_paid: int_field(f, "paid_at")?,
        }),
        "NOTPAY" => Ok(PaymentStatus::Pending),
        "FAILED" => Ok(PaymentStatus::Failed {
            code: f.get("fail_code").cloned().unwrap_or_else(|| "PAY_FAILED".into()),
            message: f.get("fail_msg").cloned().unwrap_or_else(|| "payment failed".into()),
        }),
        "CLOSED" => Ok(PaymentStatus::Closed),
        other => Err(ChannelError::Malformed(format!("unknown trade_status {other}"))),
    }
}

pub fn refund_status(f: &Fields) -> Result<RefundStatusReport, ChannelError> {
    match field(f, "refund_status")? {
        "SUCCESS" => Ok(RefundStatusReport::Succeeded {
            transaction_no: f.get("refund_no").cloned(),
            time_succeed: int_field(f, "refunded_at")?,
        }),
        "PROCESSING" => Ok(RefundStatusReport::Pending),
        "FAILED" => Ok(RefundStatusReport::Failed {
            code: f.get("fail_code").cloned().unwrap_or_else(|| "REFUND_FAILED".into()),
            message: f.get("fail_msg").cloned().unwrap_or_else(|| "refund failed".into()),
        }),
        other => Err(ChannelError::Malformed(format!("unknown refund_status {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_tamper() {
        let mut f = Fields::new();
        f.insert("mch_id".into(), "sbx_1".into());
        f.insert("amount".into(), "100".into());
        let s = sign(&f, "k");
        f.insert("sign".into(), s);
        assert!(verify(&f, "k").is_ok());
        assert!(verify(&f, "other").is_err());
        f.insert("amount".into(), "1".into());
        assert!(verify(&f, "k").is_err());
    }
}
