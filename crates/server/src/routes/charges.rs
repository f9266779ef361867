use crate::auth::{authorize_app, now, Authed};
use crate::body::{parse_object, read_limited};
use crate::listing::ListQuery;
use crate::payments::{apply_payment, channel_ctx, charge_ref};
use crate::state::AppState;
use crate::{idempotency, render, ApiError};
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde_json::Value;
use unicharge_domain::{ChargeId, NewCharge, NewChargeInput, ParamError};
use unicharge_store::{ChargeFilter, ChargeRow, NewChargeRow, PageRequest};

/// Loads a charge the caller may see: its tenant, its mode. Anything else
/// is "no such charge", so ids cannot be probed across tenants or modes.
pub(crate) async fn owned_charge(
    state: &AppState,
    who: &Authed,
    id: &str,
    req: &HttpRequest,
    body: &[u8],
) -> Result<ChargeRow, ApiError> {
    let missing = || ApiError::not_found("charge", id);
    ChargeId::parse(id).ok_or_else(missing)?;
    let c = state.store.get_charge(id).await?.ok_or_else(missing)?;
    if c.livemode != who.livemode() {
        return Err(missing());
    }
    match authorize_app(state, who, &c.app_id, req, body).await {
        Ok(_) => Ok(c),
        Err(ApiError::NotFound { .. }) => Err(missing()),
        Err(e) => Err(e),
    }
}

pub(crate) async fn render_with_refunds(state: &AppState, c: &ChargeRow) -> Result<Value, ApiError> {
    if c.refund_count == 0 {
        return Ok(render::charge(c, &[]));
    }
    let refunds = state.store.list_refunds(&c.id, PageRequest { limit: 11, ..Default::default() }).await?;
    Ok(render::charge(c, &refunds.rows))
}

pub async fn create(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let fields = parse_object(&req, &body)?;
    // Authenticate the app (and its request signature) before claiming the
    // idempotency key, so a refused signature is never stored and replayed.
    let app_id = unicharge_domain::charge::parse_app(fields.get("app"))?;
    let app = authorize_app(&state, &who, app_id.as_str(), &req, &body).await?;
    idempotency::run(&state, &who, &req, &body, || create_charge(&state, &who, &app.id, fields)).await
}

async fn create_charge(
    state: &AppState,
    who: &Authed,
    app_id: &str,
    fields: serde_json::Map<String, Value>,
) -> Result<(StatusCode, Value), ApiError> {
    let input: NewChargeInput = serde_json::from_value(Value::Object(fields))
        .map_err(|e| ApiError::bad("invalid_body", format!("Malformed charge request: {e}"), None))?;
    let now = now();
    let nc = NewCharge::parse(input, now)?;
    if !nc.channel.available_in(who.mode) {
        return Err(ParamError::unsupported(
            "channel",
            format!("{} is not available in {} mode", nc.channel.as_str(), who.mode.as_str()),
        )
        .into());
    }
    let ctx = channel_ctx(state, app_id, who.mode, nc.channel).await?;
    let id = ChargeId::generate().into_string();
    let charge = unicharge_channels::ChargeRef {
        charge_id: id.clone(),
        order_no: nc.order_no.as_str().to_owned(),
        amount: nc.amount.get(),
        currency: nc.currency,
        subject: nc.subject.clone(),
        body: nc.body.clone(),
        client_ip: nc.client_ip.clone(),
        time_expire: nc.time_expire,
        // The same `now` the row stores as `created`.
        created: now,
        extra: nc.extra.clone(),
    };
    // The credential is built before the row is written: a channel failure
    // then leaves nothing behind, and the tenant can simply retry.
    let created = state.channels.get(nc.channel).create_credential(&ctx, &charge).await?;
    let row = NewChargeRow {
        id,
        app_id: app_id.to_owned(),
        livemode: who.livemode(),
        channel: nc.channel.as_str().to_owned(),
        order_no: nc.order_no.as_str().to_owned(),
        amount: nc.amount.get(),
        currency: nc.currency.as_str().to_owned(),
        client_ip: nc.client_ip.clone(),
        subject: nc.subject.clone(),
        body: nc.body.clone(),
        extra: Value::Object(nc.extra.clone()).to_string(),
        metadata: Value::Object(nc.metadata.clone()).to_string(),
        description: nc.description.clone(),
        credential: created.credential.0.to_string(),
        created: now,
        time_expire: nc.time_expire,
        // Notifications can be lost: if none has settled the charge by then,
        // the sweeper asks the channel (a scanned payment within seconds).
        next_query_at: Some(crate::sweep::first_query_at(&state.settings, nc.channel, now)),
    };
    // Apple: the purchase is already paid; it is stored paid with its claim
    // on the Apple transaction, which makes a second presentation a no-op.
    if nc.channel == unicharge_domain::ChannelCode::AppleIap {
        return crate::apple_iap::store_purchase(state, &row, created.status, now).await;
    }
    match state.store.insert_charge(&row).await? {
        Some(stored) => {
            let stored = settle_at_creation(state, stored, created.status, now).await;
            Ok((StatusCode::OK, render::charge(&stored, &[])))
        }
        None => {
            // The order number is taken: by a retry of this very order, or
            // by a different one.
            let existing = state
                .store
                .get_charge_by_order_no(app_id, who.livemode(), nc.order_no.as_str())
                .await?
                .ok_or_else(|| ApiError::internal("order_no conflict without a row"))?;
            let existing = if existing.channel == nc.channel.as_str() && existing.amount == nc.amount.get() {
                settle_at_creation(state, existing, created.status, now).await
            } else {
                existing
            };
            same_order(state, &existing, &nc).await
        }
    }
}

/// A synchronous channel (alipay_scan) may report the payment settled as it
/// creates it; that goes through the same compare-and-set as a notification.
/// If applying fails the charge stays pending and the sweeper's query settles it.
async fn settle_at_creation(
    state: &AppState,
    stored: ChargeRow,
    status: unicharge_channels::PaymentStatus,
    now: i64,
) -> ChargeRow {
    if status == unicharge_channels::PaymentStatus::Pending {
        return stored;
    }
    match apply_payment(state, &stored, status, now).await {
        Ok(after) => after,
        Err(e) => {
            tracing::error!(charge = %stored.id, error = %e, "could not apply the status reported at creation");
            stored
        }
    }
}

/// Ping++ SDKs retry a create on a 502, so the same order with the same terms
/// returns the existing charge; different terms are a conflicting order_no.
async fn same_order(state: &AppState, existing: &ChargeRow, nc: &NewCharge) -> Result<(StatusCode, Value), ApiError> {
    let same = existing.channel == nc.channel.as_str()
        && existing.amount == nc.amount.get()
        && existing.currency == nc.currency.as_str();
    if !same {
        return Err(ApiError::bad(
            "order_no_used",
            format!(
                "order_no {} is already used by charge {} with different terms.",
                nc.order_no.as_str(),
                existing.id
            ),
            Some("order_no"),
        ));
    }
    Ok((StatusCode::OK, render_with_refunds(state, existing).await?))
}

pub async fn retrieve(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut c = owned_charge(&state, &who, &path, &req, b"").await?;
    // `?refresh=true` asks the channel now rather than waiting for its
    // notification or the sweeper: a client polling after the buyer says
    // "I paid" sees the truth at once. A channel that cannot answer leaves
    // the stored state, which is still correct, only possibly behind.
    if c.status == "pending" && wants_refresh(req.query_string()) {
        match crate::sweep::query_charge(&state, &c, now()).await {
            Ok(()) => c = state.store.get_charge_fresh(&c.id).await?.unwrap_or(c),
            Err(e) => tracing::warn!(charge = %c.id, error = %e, "refresh: channel query failed"),
        }
    }
    Ok(HttpResponse::Ok().json(render_with_refunds(&state, &c).await?))
}

fn wants_refresh(query: &str) -> bool {
    url::form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "refresh" && (v == "true" || v == "1"))
}

pub async fn list(state: web::Data<AppState>, who: Authed, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(req.query_string())?;
    let app_id = q.app_id().ok_or_else(|| ParamError::missing("app[id]"))?.to_owned();
    let app = authorize_app(&state, &who, &app_id, &req, b"").await?;
    let filter = ChargeFilter {
        app_id: app.id.clone(),
        livemode: who.livemode(),
        channel: q.str("channel").map(str::to_owned),
        paid: q.bool("paid")?,
        refunded: q.bool("refunded")?,
        reversed: q.bool("reversed")?,
        created: q.created()?,
    };
    let st = state.clone();
    let live = who.livemode();
    let page = q
        .page(|id| {
            let st = st.clone();
            let app_id = app.id.clone();
            async move {
                let c = st.store.get_charge(&id).await?;
                Ok(c.filter(|c| c.app_id == app_id && c.livemode == live).map(|c| c.seq))
            }
        })
        .await?;
    let rows = state.store.list_charges(&filter, page).await?;
    let ids: Vec<String> = rows.rows.iter().filter(|c| c.refund_count > 0).map(|c| c.id.clone()).collect();
    let refunds = state.store.refunds_for_charges(&ids).await?;
    let data = rows
        .rows
        .iter()
        .map(|c| {
            let mine: Vec<_> = refunds.iter().filter(|r| r.charge_id == c.id).cloned().collect();
            render::charge(c, &mine)
        })
        .collect();
    Ok(HttpResponse::Ok().json(render::list("/v1/charges", rows.has_more, data)))
}

/// Closes an unpaid charge (Ping++ "reverse"), at the channel first so it
/// can no longer be paid there.
pub async fn reverse(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let c = owned_charge(&state, &who, &path, &req, &body).await?;
    idempotency::run(&state, &who, &req, &body, || async {
        match c.status.as_str() {
            "closed" => return Ok((StatusCode::OK, render_with_refunds(&state, &c).await?)),
            "pending" => {}
            other => {
                return Err(ApiError::bad(
                    "charge_not_reversible",
                    format!("Charge {} is {other}; only an unpaid charge can be reversed.", c.id),
                    Some("id"),
                ))
            }
        }
        let channel = unicharge_domain::ChannelCode::parse(&c.channel).map_err(ApiError::internal)?;
        let ctx = channel_ctx(&state, &c.app_id, who.mode, channel).await?;
        state.channels.get(channel).close(&ctx, &charge_ref(&c)?).await?;
        let after = apply_payment(&state, &c, unicharge_channels::PaymentStatus::Closed, now()).await?;
        if after.status != "closed" {
            return Err(ApiError::bad(
                "charge_not_reversible",
                format!("Charge {} became {} before it could be reversed.", c.id, after.status),
                Some("id"),
            ));
        }
        Ok((StatusCode::OK, render_with_refunds(&state, &after).await?))
    })
    .await
}
