//! `wx_pub_scan`: the merchant scans the buyer's payment code (`micropay`).
//!
//! WeChat's rules: SUCCESS is paid. USERPAYING (the buyer is entering a
//! password), SYSTEMERROR and BANKERROR leave the outcome open, so the
//! order is queried; WeChat has the merchant query for about 30 s and then
//! reverse it. The create only queries within a short budget
//! (`Shared::micropay_polls` × `micropay_wait`, a few seconds) so the
//! tenant's request is not held; if the order is still open the charge is
//! stored pending and the server's query sweep keeps querying, then
//! reverses it at the deadline. A payment that definitely failed after the
//! order was created is reversed (`secapi/pay/reverse`) at once, so it
//! cannot complete later. Any other refusal (bad or expired code, balance)
//! means nothing was charged.

use super::wire::{self, business_error, err_code, is_success};
use super::{call, ops, V2Config};
use crate::wechat::xml::Fields;
use crate::wechat::Shared;
use crate::{ChannelError, ChargeRef, Created, Credential, PaymentStatus};
use serde_json::json;

fn empty() -> Credential {
    Credential(json!({}))
}

pub async fn micropay(sh: &Shared, cfg: &V2Config, charge: &ChargeRef) -> Result<Created, ChannelError> {
    let scan_code = crate::wechat::require_extra(charge, "scan_code")?;
    let mut f = Fields::new();
    for (k, v) in [
        ("body", charge.subject.as_str()),
        ("out_trade_no", &charge.order_no),
        ("total_fee", &charge.amount.to_string()),
        ("spbill_create_ip", &charge.client_ip),
        ("auth_code", scan_code),
    ] {
        if !v.is_empty() {
            f.insert(k.to_owned(), v.to_owned());
        }
    }
    match call(sh, cfg, "/pay/micropay", f, false).await {
        Ok(a) if is_success(&a) => settled(charge, wire::paid(&a)?),
        Ok(a) => match err_code(&a) {
            Some("USERPAYING" | "SYSTEMERROR" | "BANKERROR") => poll(sh, cfg, charge).await,
            _ => Err(business_error(&a, "micropay")),
        },
        Err(e @ (ChannelError::Unavailable(_) | ChannelError::BadSignature(_) | ChannelError::Malformed(_))) => {
            tracing::warn!(charge = %charge.charge_id, error = %e, "micropay outcome unknown; querying");
            poll(sh, cfg, charge).await
        }
        Err(e) => Err(e),
    }
}

fn settled(charge: &ChargeRef, status: PaymentStatus) -> Result<Created, ChannelError> {
    if let PaymentStatus::Paid { amount, .. } = &status {
        if *amount != charge.amount {
            // Money moved, so the charge must exist; but not as paid.
            tracing::error!(charge = %charge.charge_id, paid = amount, "micropay paid another amount");
            return Ok(Created::pending(empty()));
        }
    }
    Ok(Created { credential: empty(), status })
}

async fn poll(sh: &Shared, cfg: &V2Config, charge: &ChargeRef) -> Result<Created, ChannelError> {
    for _ in 0..sh.micropay_polls {
        tokio::time::sleep(sh.micropay_wait).await;
        match ops::query(sh, cfg, &charge.order_no).await {
            Ok(PaymentStatus::Pending) => continue,
            Ok(s @ PaymentStatus::Paid { .. }) => return settled(charge, s),
            Ok(s @ (PaymentStatus::Failed { .. } | PaymentStatus::Closed)) => {
                if let Err(e) = reverse(sh, cfg, &charge.order_no).await {
                    tracing::warn!(charge = %charge.charge_id, error = %e, "failed micropay not reversed");
                }
                return Ok(Created { credential: empty(), status: s });
            }
            Err(e) => tracing::warn!(charge = %charge.charge_id, error = %e, "micropay query failed"),
        }
    }
    tracing::info!(charge = %charge.charge_id, "micropay still open; left pending for the query sweep");
    Ok(Created::pending(empty()))
}

/// `secapi/pay/reverse`: `recall=Y` asks to call again.
pub async fn reverse(sh: &Shared, cfg: &V2Config, order_no: &str) -> Result<(), ChannelError> {
    let mut f = Fields::new();
    f.insert("out_trade_no".into(), order_no.to_owned());
    let a = call(sh, cfg, "/secapi/pay/reverse", f, true).await?;
    if is_success(&a) {
        return Ok(());
    }
    if wire::get(&a, "recall") == Some("Y") {
        return Err(ChannelError::Unavailable("reverse: WeChat Pay asks to call again".into()));
    }
    match err_code(&a) {
        Some("ORDERNOTEXIST") => Ok(()),
        _ => Err(business_error(&a, "reverse")),
    }
}
