//! `POST /notify/{channel}/{app}/{mode}`: a provider's asynchronous
//! notification. Verified by the adapter, then cross-checked against the
//! stored charge (app, mode, order, amount) before any state changes.
//! Every rejection is logged and answered with the channel's failure ack.

use crate::auth::now;
use crate::body::read_limited;
use crate::payments::{apply_payment, apply_refund, channel_ctx};
use crate::state::AppState;
use crate::ApiError;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use unicharge_channels::{Ack, NotifyOutcome, RawNotify};
use unicharge_domain::{ChannelCode, Mode};

fn reply(ack: Ack) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(ack.status).unwrap_or(StatusCode::OK))
        .content_type(ack.content_type)
        .body(ack.body)
}

pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    payload: web::Payload,
) -> HttpResponse {
    let (channel, app_id, mode) = path.into_inner();
    let Ok(code) = ChannelCode::parse(&channel) else {
        tracing::warn!(channel = %channel, "notification for an unknown channel rejected");
        return HttpResponse::NotFound().finish();
    };
    let adapter = state.channels.get(code);
    // The raw notification is read first: the adapter answers in the
    // protocol it came in (WeChat Pay v2 XML or v3 JSON).
    let mut raw = RawNotify {
        content_type: req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned(),
        headers: req
            .headers()
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned())))
            .collect(),
        body: Vec::new(),
    };
    let mut noted = Noted::default();
    let result = match read_limited(payload, state.settings.body_limit).await {
        Ok(body) => {
            raw.body = body.to_vec();
            handle(&state, code, &app_id, &mode, &raw, &mut noted).await
        }
        Err(e) => Err(e.to_string()),
    };
    let about = (noted.charge_id.as_deref(), noted.refund_id.as_deref());
    crate::admin::notifications::record(&state, code, &app_id, &mode, &raw, about, &result).await;
    match result {
        Ok(()) => reply(adapter.ack(&raw, true)),
        Err(reason) => {
            tracing::warn!(channel = %channel, app = %app_id, mode = %mode, reason = %reason, "notification rejected");
            reply(adapter.ack(&raw, false))
        }
    }
}

/// Which charge (and refund) a verified notification was about, so the raw
/// notification can be kept for the dashboard.
#[derive(Debug, Default)]
struct Noted {
    charge_id: Option<String>,
    refund_id: Option<String>,
}

async fn handle(
    state: &AppState,
    code: ChannelCode,
    app_id: &str,
    mode: &str,
    raw: &RawNotify,
    noted: &mut Noted,
) -> Result<(), String> {
    let mode = Mode::parse(mode).ok_or("unknown mode")?;
    let ctx = channel_ctx(state, app_id, mode, code).await.map_err(|e| e.to_string())?;
    let outcome = state.channels.get(code).parse_notify(&ctx, raw).map_err(|e| e.to_string())?;
    match outcome {
        NotifyOutcome::Ignored => Ok(()),
        NotifyOutcome::ProviderRefund { transaction_no, amount, refunded_at, reason } => {
            let reported =
                crate::apple_iap::Reported { transaction_no: &transaction_no, amount, refunded_at, reason: &reason };
            let touched = crate::apple_iap::provider_refund(state, app_id, mode, reported, now()).await?;
            noted.charge_id = Some(touched.charge_id);
            noted.refund_id = touched.refund_id;
            Ok(())
        }
        NotifyOutcome::Charge { order_no, status, amount } => {
            let c = state
                .store
                .get_charge_by_order_no(app_id, mode.is_live(), &order_no)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no charge with order_no {order_no} for this app and mode"))?;
            noted.charge_id = Some(c.id.clone());
            if c.channel != code.as_str() {
                return Err(format!("charge {} was not made on this channel", c.id));
            }
            if amount != c.amount {
                return Err(format!("amount {amount} does not match charge {} amount {}", c.id, c.amount));
            }
            apply_payment(state, &c, status, now()).await.map_err(|e: ApiError| e.to_string())?;
            Ok(())
        }
        NotifyOutcome::Refund { refund_id, order_no, status, amount } => {
            let r = state
                .store
                .get_refund(&refund_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no refund {refund_id}"))?;
            let c = state
                .store
                .get_charge(&r.charge_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("refund without charge")?;
            if c.app_id == app_id && c.livemode == mode.is_live() {
                noted.charge_id = Some(c.id.clone());
                noted.refund_id = Some(r.id.clone());
            }
            if c.app_id != app_id || c.livemode != mode.is_live() || c.order_no != order_no || r.amount != amount {
                return Err(format!("refund {refund_id} does not match the stored refund"));
            }
            apply_refund(state, &r, status, now()).await.map_err(|e: ApiError| e.to_string())?;
            Ok(())
        }
    }
}
