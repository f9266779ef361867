//! State changes shared by the API, notifications and (later) the sweeper.
//! Each goes through a store compare-and-set that writes its event in the
//! same transaction, so a duplicate input changes nothing and emits nothing.

use crate::state::AppState;
use crate::{channel_settings, render, ApiError};
use serde_json::{Map, Value};
use unicharge_channels::{ChannelContext, ChargeRef, PaymentStatus, RefundRef, RefundStatusReport};
use unicharge_domain::{ChannelCode, Currency, EventId, EventType, Mode};
use unicharge_store::{ChargeRow, ChargeTransition, NewEvent, RefundCompletion, RefundRow};

pub fn new_event(kind: EventType, app_id: &str, livemode: bool, object_id: &str, object: Value, now: i64) -> NewEvent {
    NewEvent {
        id: EventId::generate().into_string(),
        app_id: app_id.to_owned(),
        livemode,
        kind: kind.as_str().to_owned(),
        object_id: object_id.to_owned(),
        data: object,
        request_id: None,
        created: now,
    }
}

pub async fn channel_ctx(
    state: &AppState,
    app_id: &str,
    mode: Mode,
    channel: ChannelCode,
) -> Result<ChannelContext, ApiError> {
    let config = channel_settings::load(state, app_id, mode, channel).await?.ok_or_else(|| {
        ApiError::bad(
            "channel_not_enabled",
            format!("Channel {} is not enabled for app {app_id} in {} mode.", channel.as_str(), mode.as_str()),
            Some("channel"),
        )
    })?;
    Ok(ChannelContext {
        app_id: app_id.to_owned(),
        mode,
        config,
        notify_url: state.notify_url(channel.as_str(), app_id, mode.as_str()),
        sandbox_base: format!("{}/sandbox", state.settings.public_url),
    })
}

pub fn charge_ref(c: &ChargeRow) -> Result<ChargeRef, ApiError> {
    let extra: Map<String, Value> = serde_json::from_str(&c.extra).unwrap_or_default();
    Ok(ChargeRef {
        charge_id: c.id.clone(),
        order_no: c.order_no.clone(),
        amount: c.amount,
        currency: Currency::parse(&c.currency).map_err(|_| ApiError::internal("stored currency is unknown"))?,
        subject: c.subject.clone(),
        body: c.body.clone(),
        client_ip: c.client_ip.clone(),
        time_expire: c.time_expire,
        created: c.created,
        extra,
    })
}

pub fn refund_ref(r: &RefundRow, c: &ChargeRow) -> Result<RefundRef, ApiError> {
    Ok(RefundRef {
        refund_id: r.id.clone(),
        charge: charge_ref(c)?,
        transaction_no: c.transaction_no.clone(),
        amount: r.amount,
        description: r.description.clone(),
        created: r.created,
    })
}

/// Wakes the webhook dispatchers if the event queued any delivery. An app
/// with no endpoint subscribed would otherwise cost every node a claim
/// query per payment for nothing (at 2,000 notifications/s, as many
/// useless writes on the deliveries table).
pub fn wake_if_queued(state: &AppState, event: &unicharge_store::EventRow) {
    if event.pending_webhooks > 0 {
        state.wakeup.wake();
    }
}

/// Applies a channel-reported payment status to a charge. Returns the
/// charge as it stands afterwards.
pub async fn apply_payment(
    state: &AppState,
    c: &ChargeRow,
    status: PaymentStatus,
    now: i64,
) -> Result<ChargeRow, ApiError> {
    let (app, live) = (c.app_id.clone(), c.livemode);
    let event_for =
        |kind: EventType| move |row: &ChargeRow| new_event(kind, &app, live, &row.id, render::charge(row, &[]), now);
    let outcome = match status {
        PaymentStatus::Pending => return Ok(c.clone()),
        PaymentStatus::Paid { transaction_no, time_paid, .. } => {
            let info = unicharge_store::PaidInfo { transaction_no, time_paid };
            state.store.mark_charge_paid_from(c, &info, event_for(EventType::ChargeSucceeded)).await?
        }
        PaymentStatus::Failed { code, message } => {
            state.store.mark_charge_failed(&c.id, &code, &message, event_for(EventType::ChargeFailed)).await?
        }
        PaymentStatus::Closed => state.store.mark_charge_closed(&c.id, event_for(EventType::ChargeClosed)).await?,
    };
    match outcome {
        ChargeTransition::Applied { charge, event } => {
            wake_if_queued(state, &event);
            tracing::info!(charge = %charge.id, status = %charge.status, event = %event.id, "charge state changed");
            Ok(charge)
        }
        ChargeTransition::AlreadyDone(row) => {
            tracing::info!(charge = %row.id, status = %row.status, "duplicate status report; nothing changed");
            Ok(row)
        }
        ChargeTransition::Refused(row) => {
            // E.g. paid at the provider after we closed it: money moved that
            // the tenant does not expect. Loud, so an operator refunds it.
            tracing::error!(charge = %row.id, status = %row.status, "channel reported a status the charge can no longer take");
            Ok(row)
        }
        ChargeTransition::NotFound => Err(ApiError::not_found("charge", c.id.clone())),
    }
}

/// Applies a channel-reported refund status. Returns the refund afterwards.
pub async fn apply_refund(
    state: &AppState,
    r: &RefundRow,
    report: RefundStatusReport,
    now: i64,
) -> Result<RefundRow, ApiError> {
    let (app, live) = (r.app_id.clone(), r.livemode);
    let event_for = |kind: EventType| {
        move |row: &RefundRow, ch: &ChargeRow| {
            new_event(kind, &app, live, &row.id, render::refund(row, &ch.order_no), now)
        }
    };
    let outcome = match report {
        RefundStatusReport::Pending => return Ok(r.clone()),
        RefundStatusReport::Succeeded { transaction_no, time_succeed } => {
            state
                .store
                .complete_refund_succeeded(&r.id, transaction_no, time_succeed, event_for(EventType::RefundSucceeded))
                .await?
        }
        RefundStatusReport::Failed { code, message } => {
            state.store.complete_refund_failed(&r.id, &code, &message, event_for(EventType::RefundFailed)).await?
        }
    };
    match outcome {
        RefundCompletion::Applied { refund, event, .. } => {
            wake_if_queued(state, &event);
            tracing::info!(refund = %refund.id, status = %refund.status, event = %event.id, "refund state changed");
            Ok(refund)
        }
        RefundCompletion::AlreadyDone(row) => Ok(row),
        RefundCompletion::NotFound => Err(ApiError::not_found("refund", r.id.clone())),
    }
}
