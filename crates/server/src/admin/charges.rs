//! Charges: list with filters, detail (refunds, events and deliveries, raw
//! notifications), refund from the dashboard, and sandbox pay/fail.

use super::error::{AdminError, AdminResult};
use super::scope::{owned_app, owned_charge, Params};
use super::session::Admin;
use super::{detail, render};
use crate::auth::Authed;
use crate::body::{parse_object, read_limited};
use crate::state::AppState;
use crate::ApiError;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use std::collections::HashMap;
use unicharge_domain::{Mode, ParamError};
use unicharge_store::admin::{AdminChargeFilter, ChargeState};
use unicharge_store::{AppRow, ChargeRow};

/// The filter in the query string, shared by the list and the CSV export.
pub async fn filter(state: &AppState, who: &Admin, p: &Params) -> AdminResult<AdminChargeFilter> {
    let state_filter = match p.str("status") {
        None => None,
        Some(s) => Some(
            ChargeState::parse(s)
                .ok_or_else(|| ParamError::unsupported("status", "use unpaid, paid, refunded, closed or failed"))?,
        ),
    };
    let (id, order_no) = match p.str("q").map(str::trim).filter(|s| !s.is_empty()) {
        None => (None, None),
        Some(q) if q.starts_with("ch_") => (Some(q.to_owned()), None),
        Some(q) => (None, Some(q.to_owned())),
    };
    Ok(AdminChargeFilter {
        apps: p.apps(state, who).await?,
        livemode: p.mode()?.is_live(),
        channel: p.str("channel").map(str::to_owned),
        state: state_filter,
        created: p.created()?,
        id,
        order_no,
    })
}

/// The owning apps of some rows, looked up once each.
pub async fn owners(state: &AppState, app_ids: impl Iterator<Item = &str>) -> AdminResult<HashMap<String, AppRow>> {
    let mut out = HashMap::new();
    for id in app_ids {
        if !out.contains_key(id) {
            if let Some(a) = state.app(id).await? {
                out.insert(id.to_owned(), a);
            }
        }
    }
    Ok(out)
}

pub async fn list(state: web::Data<AppState>, who: Admin, req: HttpRequest) -> AdminResult<HttpResponse> {
    let p = Params::parse(req.query_string())?;
    let f = filter(&state, &who, &p).await?;
    let page = p
        .page_within(&f.apps, f.livemode, |id| {
            let st = state.clone();
            async move { st.store.get_charge(&id).await }
        })
        .await?;
    let rows = state.store.list_admin_charges(&f, page).await?;
    let ids: Vec<String> = rows.rows.iter().filter(|c| c.refund_count > 0).map(|c| c.id.clone()).collect();
    let refunds = state.store.refunds_for_charges(&ids).await?;
    let apps = owners(&state, rows.rows.iter().map(|c| c.app_id.as_str())).await?;
    let data = rows
        .rows
        .iter()
        .map(|c| {
            let mine: Vec<_> = refunds.iter().filter(|r| r.charge_id == c.id).cloned().collect();
            render::charge(c, &mine, apps.get(&c.app_id))
        })
        .collect();
    Ok(HttpResponse::Ok().json(crate::render::list("/admin/api/charges", rows.has_more, data)))
}

pub async fn retrieve(state: web::Data<AppState>, who: Admin, path: web::Path<String>) -> AdminResult<HttpResponse> {
    let c = owned_charge(&state, &who, &path).await?;
    let refunds = state.store.all_refunds_of(&c.id).await?;
    let owner = state.app(&c.app_id).await?;
    let mut objects = vec![c.id.clone()];
    objects.extend(refunds.iter().map(|r| r.id.clone()));
    let events = state.store.events_for_objects(&objects).await?;
    let refund_ids: Vec<String> = refunds.iter().map(|r| r.id.clone()).collect();
    let notes = state.store.notifications_for(&c.id, &refund_ids, 50).await?;
    Ok(HttpResponse::Ok().json(json!({
        "object": "charge_detail",
        "charge": render::charge(&c, &refunds, owner.as_ref()),
        "refunds": refunds.iter().map(|r| render::refund(r, &c.order_no, Some(&c.channel))).collect::<Vec<_>>(),
        "events": detail::events_with_attempts(&state, &events).await?,
        "notifications": notes.iter().map(render::notification).collect::<Vec<_>>(),
    })))
}

/// The tenant API's caller, standing in for the dashboard user, so a refund
/// goes through exactly the code a tenant's own refund does.
pub fn acting_as(app: &AppRow, livemode: bool, who: &Admin) -> Authed {
    Authed {
        tenant_id: app.tenant_id.clone(),
        mode: Mode::from_livemode(livemode),
        key_id: format!("dashboard:{}", who.user.id),
    }
}

pub async fn refund(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let c = owned_charge(&state, &who, &path).await?;
    let app = owned_app(&state, &who, &c.app_id).await?;
    let caller = acting_as(&app, c.livemode, &who);
    let resp = crate::idempotency::run(&state, &caller, &req, &body, || async {
        let fields = parse_object(&req, &body)?;
        let r = crate::routes::refunds::create_refund(&state, &caller, &c, fields).await?;
        tracing::info!(refund = %r.id, charge = %c.id, user = %who.user.id, "refund created from the dashboard");
        Ok((StatusCode::OK, render::refund(&r, &c.order_no, Some(&c.channel))))
    })
    .await?;
    Ok(resp)
}

/// Presses the sandbox pay page's button for a pending test charge: the
/// sandbox provider then sends its signed notification to `/notify`, and the
/// charge changes state there, exactly as when a buyer pays.
pub async fn sandbox(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let c = owned_charge(&state, &who, &path).await?;
    let f = parse_object(&req, &body)?;
    let result = match f.get("result").and_then(Value::as_str) {
        Some(r @ ("paid" | "failed")) => r.to_owned(),
        _ => return Err(ParamError::invalid("result", "must be paid or failed").into()),
    };
    if c.livemode || c.channel != "sandbox" {
        return Err(AdminError::refused(
            "sandbox_unavailable",
            "Only a test-mode charge on the sandbox channel can be paid from the dashboard.",
            Some("id"),
        ));
    }
    if c.status != "pending" {
        return Err(AdminError::refused(
            "charge_not_pending",
            format!("Charge {} is {}; only an unpaid charge can be paid or failed.", c.id, c.status),
            Some("id"),
        ));
    }
    let pay_url = pay_url(&state, &c)?;
    let answer = press(&pay_url, &result).await?;
    let after = state.store.get_charge_fresh(&c.id).await?.unwrap_or(c);
    let owner = state.app(&after.app_id).await?;
    let refunds = state.store.all_refunds_of(&after.id).await?;
    Ok(HttpResponse::Ok().json(json!({
        "object": "sandbox_result",
        "result": result,
        "notified": answer.get("notified").and_then(Value::as_bool).unwrap_or(false),
        "charge": render::charge(&after, &refunds, owner.as_ref()),
    })))
}

/// The charge's pay URL, which must point at this server's own sandbox: the
/// request below is made by the server, so it must never go elsewhere.
fn pay_url(state: &AppState, c: &ChargeRow) -> AdminResult<String> {
    let cred: Value = serde_json::from_str(&c.credential).unwrap_or(Value::Null);
    let url = cred.get("pay_url").and_then(Value::as_str).unwrap_or("");
    let own = format!("{}/sandbox/pay?", state.settings.public_url);
    if url.starts_with(&own) {
        Ok(url.to_owned())
    } else {
        Err(AdminError::refused("sandbox_unavailable", "This charge has no sandbox pay page.", Some("id")))
    }
}

async fn press(url: &str, result: &str) -> AdminResult<Value> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(ApiError::internal)?;
    let resp = client
        .post(url)
        .header("Accept", "application/json")
        .form(&[("result", result)])
        .send()
        .await
        .map_err(|e| ApiError::ChannelUnavailable(format!("the sandbox pay page did not answer: {e}")))?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let msg = body.get("error").and_then(Value::as_str).unwrap_or("refused").to_owned();
        return Err(AdminError::refused("sandbox_refused", format!("The sandbox refused: {msg}"), Some("result")));
    }
    Ok(body)
}
