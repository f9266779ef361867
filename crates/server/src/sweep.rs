//! The sweeper: settles what notifications left unsettled.
//!
//! * A pending charge is queried at the channel some time after creation,
//!   then with growing gaps, until it settles or has been expired an hour.
//! * A refund still pending (its outcome unknown, e.g. the channel timed
//!   out) is sent again with the same refund id as `out_request_no`, which
//!   every channel treats as the same refund, so it can never pay twice.
//!
//! Every change goes through the same compare-and-set paths as notifications,
//! so a sweep racing a notification, or two nodes sweeping, change state once.

use crate::payments::{apply_payment, apply_refund, channel_ctx, charge_ref, refund_ref};
use crate::state::AppState;
use crate::ApiError;
use std::time::Duration;
use unicharge_domain::{ChannelCode, Mode};
use unicharge_store::ChargeRow;

/// First channel query this long after a charge is created.
pub const FIRST_QUERY_AFTER_SECS: i64 = 120;
/// A pending refund is retried once it is this old.
pub const REFUND_RETRY_AFTER_SECS: i64 = 60;
const BATCH: u64 = 100;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub charges_queried: usize,
    pub refunds_retried: usize,
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
            state.store.reschedule_charge_query(&f.id, next_query_at(&f, now)).await?;
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
