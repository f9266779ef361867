//! The sweeper: settles what notifications left unsettled.
//!
//! * A pending charge is queried at the channel some time after creation,
//!   then with growing gaps, until it settles or has been expired an hour.
//! * A scanned payment (`wx_pub_scan`, `alipay_scan`: the merchant scans
//!   the buyer's code) is queried every few seconds instead, and once
//!   [`ServerSettings::scan_deadline_secs`] have passed since creation with
//!   no payment it is reversed at the channel (`secapi/pay/reverse`,
//!   `alipay.trade.cancel`) and closed, as WeChat Pay and Alipay tell
//!   merchants to do: the buyer can then no longer complete it unnoticed.
//! * A refund still pending (its outcome unknown, e.g. the channel timed
//!   out) is sent again with the same refund id as `out_request_no`, which
//!   every channel treats as the same refund, so it can never pay twice.
//!
//! Every change goes through the same compare-and-set paths as notifications,
//! so a sweep racing a notification, or two nodes sweeping, change state once.

use crate::payments::{apply_payment, apply_refund, channel_ctx, charge_ref, refund_ref};
use crate::state::{AppState, ServerSettings};
use crate::ApiError;
use std::time::Duration;
use unicharge_channels::PaymentStatus;
use unicharge_domain::{ChannelCode, Mode};
use unicharge_store::ChargeRow;

/// First channel query this long after a charge is created.
pub const FIRST_QUERY_AFTER_SECS: i64 = 120;
/// WeChat Pay's documents have the merchant query an unpaid micropay for
/// about 30 s before reversing it; Alipay's the same for `alipay.trade.pay`.
pub const DEFAULT_SCAN_DEADLINE_SECS: i64 = 30;
/// A pending refund is retried once it is this old.
pub const REFUND_RETRY_AFTER_SECS: i64 = 60;
const BATCH: u64 = 100;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub charges_queried: usize,
    /// Scanned payments reversed at the channel and closed at the deadline.
    pub charges_reversed: usize,
    pub refunds_retried: usize,
}

/// Payments where the merchant scans the buyer's code, which the channel
/// settles within seconds or never.
pub fn is_scan(channel: ChannelCode) -> bool {
    matches!(channel, ChannelCode::WxPubScan | ChannelCode::AlipayScan)
}

/// Gap between queries of a pending scanned payment: a sixth of the
/// deadline, between 1 and 5 seconds.
fn scan_gap(deadline: i64) -> i64 {
    (deadline / 6).clamp(1, 5)
}

/// When a new charge is first queried: a scanned payment within seconds,
/// any other after [`FIRST_QUERY_AFTER_SECS`].
pub fn first_query_at(settings: &ServerSettings, channel: ChannelCode, now: i64) -> i64 {
    if is_scan(channel) {
        now + scan_gap(settings.scan_deadline_secs).min(settings.scan_deadline_secs.max(1))
    } else {
        now + FIRST_QUERY_AFTER_SECS
    }
}

/// When to ask next: half the charge's age, between 1 minute and 1 hour,
/// and never once it has been expired for an hour.
pub fn next_query_at(c: &ChargeRow, now: i64) -> Option<i64> {
    if now > c.time_expire + 3600 {
        return None;
    }
    Some(now + ((now - c.created) / 2).clamp(60, 3600))
}

pub async fn sweep_once(state: &AppState, now: i64) -> Result<SweepReport, ApiError> {
    let mut report = SweepReport::default();
    for c in state.store.due_charge_queries(now, BATCH).await? {
        report.charges_queried += 1;
        if let Err(e) = query_charge(state, &c, now).await {
            tracing::warn!(charge = %c.id, error = %e, "sweep: charge query failed; will retry");
        }
        let fresh = state.store.get_charge_fresh(&c.id).await?;
        if let Some(f) = fresh.filter(|f| f.status == "pending") {
            let scan = ChannelCode::parse(&f.channel).is_ok_and(is_scan);
            let next = if scan { scan_follow_up(state, &f, now, &mut report).await } else { next_query_at(&f, now) };
            state.store.reschedule_charge_query(&f.id, next).await?;
        }
    }
    for r in state.store.pending_refunds(now - REFUND_RETRY_AFTER_SECS, BATCH).await? {
        report.refunds_retried += 1;
        let Some(c) = state.store.get_charge_fresh(&r.charge_id).await? else { continue };
        let result = async {
            let channel = ChannelCode::parse(&c.channel).map_err(ApiError::internal)?;
            let ctx = channel_ctx(state, &c.app_id, Mode::from_livemode(c.livemode), channel).await?;
            let report = state.channels.get(channel).refund(&ctx, &refund_ref(&r, &c)?).await?;
            apply_refund(state, &r, report, now).await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(refund = %r.id, error = %e, "sweep: refund retry failed; will retry");
        }
    }
    Ok(report)
}

/// A scanned payment still unpaid after its query: asked again shortly
/// until the deadline, then reversed at the channel and closed. A reversal
/// that fails (WeChat's `recall=Y`, the channel unreachable) is tried again
/// at the next gap, until the charge is an hour past its expiry. Returns
/// when to query next, if ever.
async fn scan_follow_up(state: &AppState, c: &ChargeRow, now: i64, report: &mut SweepReport) -> Option<i64> {
    let deadline_secs = state.settings.scan_deadline_secs;
    let deadline = c.created + deadline_secs;
    let gap = scan_gap(deadline_secs);
    if now < deadline {
        return Some((now + gap).min(deadline));
    }
    match reverse_scan(state, c, now).await {
        Ok(after) => {
            report.charges_reversed += 1;
            tracing::info!(charge = %c.id, status = %after.status, "sweep: unpaid scanned payment reversed at the deadline");
            None
        }
        Err(e) => {
            tracing::warn!(charge = %c.id, error = %e, "sweep: reversing an unpaid scanned payment failed; will retry");
            next_query_at(c, now).map(|_| now + gap)
        }
    }
}

/// Reverses at the channel first (so the buyer can no longer pay), then
/// closes through the same compare-and-set as a notification. A payment
/// that lands in between was reversed (refunded) by the channel; the
/// compare-and-set then finds the charge paid and logs it for an operator.
async fn reverse_scan(state: &AppState, c: &ChargeRow, now: i64) -> Result<ChargeRow, ApiError> {
    let channel = ChannelCode::parse(&c.channel).map_err(ApiError::internal)?;
    let ctx = channel_ctx(state, &c.app_id, Mode::from_livemode(c.livemode), channel).await?;
    state.channels.get(channel).close(&ctx, &charge_ref(c)?).await?;
    apply_payment(state, c, PaymentStatus::Closed, now).await
}

pub(crate) async fn query_charge(state: &AppState, c: &ChargeRow, now: i64) -> Result<(), ApiError> {
    let channel = ChannelCode::parse(&c.channel).map_err(ApiError::internal)?;
    let ctx = channel_ctx(state, &c.app_id, Mode::from_livemode(c.livemode), channel).await?;
    let status = state.channels.get(channel).query(&ctx, &charge_ref(c)?).await?;
    apply_payment(state, c, status, now).await.map(|_| ())
}

/// Runs the sweep every `interval` until the process exits.
pub fn spawn(state: AppState, interval: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep_once(&state, crate::auth::now()).await {
                Ok(r) if r != SweepReport::default() => tracing::info!(?r, "sweep done"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sweep failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(scan_deadline_secs: i64) -> ServerSettings {
        ServerSettings {
            public_url: "http://127.0.0.1:1".into(),
            signature_tolerance_secs: 300,
            body_limit: 1024,
            webhook_allow_private_live: false,
            scan_deadline_secs,
        }
    }

    #[test]
    fn scanned_payments_are_queried_within_seconds() {
        let s = settings(DEFAULT_SCAN_DEADLINE_SECS);
        assert_eq!(first_query_at(&s, ChannelCode::WxPubScan, 1000), 1005);
        assert_eq!(first_query_at(&s, ChannelCode::AlipayScan, 1000), 1005);
        assert_eq!(first_query_at(&s, ChannelCode::WxPubQr, 1000), 1000 + FIRST_QUERY_AFTER_SECS);
        assert_eq!(first_query_at(&s, ChannelCode::Alipay, 1000), 1000 + FIRST_QUERY_AFTER_SECS);
        // A compressed deadline keeps at least one query before it.
        assert_eq!(first_query_at(&settings(2), ChannelCode::WxPubScan, 1000), 1001);
        assert_eq!((scan_gap(30), scan_gap(600), scan_gap(1)), (5, 5, 1));
    }
}
