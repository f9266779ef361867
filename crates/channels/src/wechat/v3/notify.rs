//! APIv3 notifications: headers verified (fresh timestamp, known serial,
//! signature), the resource decrypted with the APIv3 key, the merchant
//! checked against the configuration, then normalized.

use super::sign::SignedHeaders;
use super::wire::{Notification, Refund, Transaction};
use super::{decrypt_resource, platform_key, refresh_certificates_claimed, V3Config};
use crate::wechat::config::Platform;
use crate::wechat::Shared;
use crate::{ChannelError, NotifyOutcome, PaymentStatus, RawNotify, RefundStatusReport};
use std::sync::Arc;

pub fn parse(
    sh: &Arc<Shared>,
    cfg: &Arc<V3Config>,
    notify: &RawNotify,
    now: i64,
) -> Result<NotifyOutcome, ChannelError> {
    let h = SignedHeaders::from_pairs(notify.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let body = std::str::from_utf8(&notify.body).map_err(|_| ChannelError::Malformed("body is not UTF-8".into()))?;
    h.check_fresh(now)?;
    let Some(key) = platform_key(sh, cfg, &h.serial, now) else {
        schedule_refresh(sh, cfg, now);
        return Err(ChannelError::BadSignature(format!("unknown platform serial {}", h.serial)));
    };
    h.verify(&key, body, now)?;
    let n: Notification =
        serde_json::from_str(body).map_err(|e| ChannelError::Malformed(format!("notification: {e}")))?;
    let plain = decrypt_resource(cfg, &n.resource)?;
    let malformed = |e: serde_json::Error| ChannelError::Malformed(format!("{}: {e}", n.event_type));
    match n.event_type.as_str() {
        "TRANSACTION.SUCCESS" => {
            let t: Transaction = serde_json::from_slice(&plain).map_err(malformed)?;
            if t.mchid.as_deref() != Some(cfg.mchid.as_str()) {
                return Err(ChannelError::Mismatch(format!("mchid {:?} is not this app's merchant", t.mchid)));
            }
            if t.appid.as_deref() != Some(cfg.appid.as_str()) {
                return Err(ChannelError::Mismatch(format!("appid {:?} is not this app's appid", t.appid)));
            }
            let status = PaymentStatus::try_from(&t)?;
            if !matches!(status, PaymentStatus::Paid { .. }) {
                return Err(ChannelError::Malformed(format!("TRANSACTION.SUCCESS with trade_state {}", t.trade_state)));
            }
            Ok(NotifyOutcome::Charge { order_no: t.out_trade_no.clone(), amount: t.total()?, status })
        }
        "REFUND.SUCCESS" | "REFUND.ABNORMAL" | "REFUND.CLOSED" => {
            let r: Refund = serde_json::from_slice(&plain).map_err(malformed)?;
            if r.mchid.as_deref() != Some(cfg.mchid.as_str()) {
                return Err(ChannelError::Mismatch(format!("mchid {:?} is not this app's merchant", r.mchid)));
            }
            let order_no =
                r.out_trade_no.clone().ok_or_else(|| ChannelError::Malformed("out_trade_no is missing".into()))?;
            let status = RefundStatusReport::try_from(&r)?;
            Ok(NotifyOutcome::Refund {
                refund_id: r.out_refund_no.clone(),
                order_no,
                amount: r.refund_amount()?,
                status,
            })
        }
        other => {
            tracing::info!(event_type = other, "WeChat Pay notification without a state change");
            Ok(NotifyOutcome::Ignored)
        }
    }
}

/// Notifications are verified synchronously; a serial we do not know yet
/// (WeChat rotated its certificate) starts a download in the background,
/// so WeChat's retry 15 seconds later verifies.
fn schedule_refresh(sh: &Arc<Shared>, cfg: &Arc<V3Config>, now: i64) {
    if !matches!(cfg.platform, Platform::Certificates { .. }) {
        return;
    }
    let Ok(handle) = tokio::runtime::Handle::try_current() else { return };
    if !sh.certs.begin(&cfg.store_key, now) {
        return;
    }
    let (sh, cfg) = (sh.clone(), cfg.clone());
    handle.spawn(async move {
        if let Err(e) = refresh_certificates_claimed(&sh, &cfg).await {
            tracing::warn!(mchid = %cfg.mchid, error = %e, "WeChat Pay platform certificates not refreshed");
        }
    });
}
