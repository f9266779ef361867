//! Apple in-app purchase support in the server: a verified purchase is
//! stored already paid, claimed by its Apple transactionId so that the same
//! purchase presented twice (or concurrently, or under another order_no)
//! returns the first charge; tenants cannot refund (only Apple can), and
//! Apple's REFUND/REVOKE notifications refund the charge they name.

use crate::payments::new_event;
use crate::state::AppState;
use crate::{render, ApiError};
use actix_web::http::StatusCode;
use serde_json::{json, Value};
use unicharge_channels::PaymentStatus;
use unicharge_domain::{ChannelCode, EventType, Mode, RefundId};
use unicharge_store::{AppleInsert, ChargeRow, NewChargeRow, PageRequest, PaidInfo, ProviderRefund, RefundRow};

async fn rendered(state: &AppState, c: &ChargeRow) -> Result<Value, ApiError> {
    if c.refund_count == 0 {
        return Ok(render::charge(c, &[]));
    }
    let refunds = state.store.list_refunds(&c.id, PageRequest { limit: 11, ..Default::default() }).await?;
    Ok(render::charge(c, &refunds.rows))
}

/// Stores a purchase the adapter verified: the charge, its claim on the
/// Apple transaction and its `charge.succeeded` event, in one transaction.
pub(crate) async fn store_purchase(
    state: &AppState,
    row: &NewChargeRow,
    status: PaymentStatus,
    now: i64,
) -> Result<(StatusCode, Value), ApiError> {
    let PaymentStatus::Paid { transaction_no, time_paid, .. } = status else {
        return Err(ApiError::internal("apple_iap verified a purchase without a paid status"));
    };
    let info = PaidInfo { transaction_no: transaction_no.clone(), time_paid };
    let (app, live) = (row.app_id.clone(), row.livemode);
    let event = |c: &ChargeRow| new_event(EventType::ChargeSucceeded, &app, live, &c.id, render::charge(c, &[]), now);
    match state.store.insert_apple_charge(row, &transaction_no, &info, event).await? {
        AppleInsert::Inserted { charge, event } => {
            crate::payments::wake_if_queued(state, &event);
            tracing::info!(charge = %charge.id, event = %event.id, "apple purchase verified; charge paid");
            Ok((StatusCode::OK, render::charge(&charge, &[])))
        }
        AppleInsert::Claimed(existing) => {
            tracing::warn!(
                charge = %existing.id,
                transaction = %transaction_no,
                "apple transaction presented again; nothing new, returning the charge it paid"
            );
            Ok((StatusCode::OK, rendered(state, &existing).await?))
        }
        AppleInsert::OrderTaken => Err(ApiError::bad(
            "order_no_used",
            format!("order_no {} is already used by another charge.", row.order_no),
            Some("order_no"),
        )),
    }
}

/// Apple refunds only through Apple: a tenant refund would never reach the
/// buyer, so it is refused before anything is written.
pub(crate) fn refuse_tenant_refund(charge: &ChargeRow) -> Result<(), ApiError> {
    if charge.channel == ChannelCode::AppleIap.as_str() {
        return Err(ApiError::bad(
            "channel_refund_unsupported",
            "Apple refunds in-app purchases only through Apple; the charge is refunded when Apple's REFUND notification arrives.",
            Some("id"),
        ));
    }
    Ok(())
}

/// The charge and refund a provider refund touched, for the notification log.
pub(crate) struct Touched {
    pub charge_id: String,
    pub refund_id: Option<String>,
}

/// Apple's report of a refund, from a verified notification.
pub(crate) struct Reported<'a> {
    pub transaction_no: &'a str,
    pub amount: Option<i64>,
    /// Unix seconds.
    pub refunded_at: i64,
    pub reason: &'a str,
}

/// Applies Apple's REFUND/REVOKE: a refund of what is left of the charge the
/// transaction paid, created succeeded with its `refund.succeeded` event. A
/// replay finds nothing left and changes nothing.
pub(crate) async fn provider_refund(
    state: &AppState,
    app_id: &str,
    mode: Mode,
    reported: Reported<'_>,
    now: i64,
) -> Result<Touched, String> {
    let Reported { transaction_no, amount, refunded_at, reason } = reported;
    if amount.is_some() {
        return Err("partial provider refunds are not supported".into());
    }
    let live = mode.is_live();
    let charge_id = state
        .store
        .apple_claim(app_id, live, transaction_no)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no charge was paid by Apple transaction {transaction_no} in this app and mode"))?;
    let c = state.store.get_charge_fresh(&charge_id).await.map_err(|e| e.to_string())?.ok_or("claim without charge")?;
    let id = RefundId::generate();
    let template = RefundRow {
        seq: 0,
        order_no: id.as_str().trim_start_matches(RefundId::PREFIX).to_owned(),
        id: id.into_string(),
        charge_id: c.id.clone(),
        app_id: c.app_id.clone(),
        livemode: c.livemode,
        amount: 0,
        currency: c.currency.clone(),
        status: "succeeded".into(),
        description: format!("Refunded by Apple ({reason})"),
        metadata: "{}".into(),
        extra: json!({ "apple_notification": reason }).to_string(),
        transaction_no: Some(transaction_no.to_owned()),
        failure_code: None,
        failure_msg: None,
        funding_source: None,
        created: now,
        time_succeed: Some(refunded_at),
    };
    let app = app_id.to_owned();
    let event = |rf: &RefundRow, ch: &ChargeRow| {
        new_event(EventType::RefundSucceeded, &app, live, &rf.id, render::refund(rf, &ch.order_no), now)
    };
    match state.store.apply_provider_refund(&template, event).await.map_err(|e| e.to_string())? {
        ProviderRefund::Applied { refund, event, .. } => {
            crate::payments::wake_if_queued(state, &event);
            tracing::info!(charge = %c.id, refund = %refund.id, event = %event.id, reason, "apple refund applied");
            Ok(Touched { charge_id: c.id, refund_id: Some(refund.id) })
        }
        ProviderRefund::NothingLeft(ch) => {
            tracing::info!(charge = %ch.id, reason, "apple refund for a charge with nothing left to refund; nothing changed");
            Ok(Touched { charge_id: ch.id, refund_id: None })
        }
        ProviderRefund::NotFound => Err(format!("charge {charge_id} vanished")),
    }
}
