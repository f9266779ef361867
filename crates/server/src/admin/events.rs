//! Events with their webhook deliveries and attempts, and resend.

use super::detail;
use super::error::AdminResult;
use super::scope::{owned_event, Params};
use super::session::Admin;
use crate::auth::now;
use crate::body::{parse_object, read_limited};
use crate::state::AppState;
use crate::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use unicharge_domain::{EventType, ParamError};
use unicharge_store::admin::AdminEventFilter;

pub async fn list(state: web::Data<AppState>, who: Admin, req: HttpRequest) -> AdminResult<HttpResponse> {
    let p = Params::parse(req.query_string())?;
    let kind = match p.str("type") {
        None => None,
        Some(t) => Some(
            EventType::parse(t)
                .ok_or_else(|| ParamError::unsupported("type", format!("'{t}' is not an event type")))?
                .as_str()
                .to_owned(),
        ),
    };
    let delivery_status = match p.str("delivery_status") {
        None => None,
        Some(s @ ("pending" | "succeeded" | "failed")) => Some(s.to_owned()),
        Some(_) => return Err(ParamError::unsupported("delivery_status", "use pending, succeeded or failed").into()),
    };
    let f = AdminEventFilter {
        apps: p.apps(&state, &who).await?,
        livemode: p.mode()?.is_live(),
        kind,
        object_id: p.str("object").map(str::to_owned),
        delivery_status,
        created: p.created()?,
    };
    let page = p
        .page_within(&f.apps, f.livemode, |id| {
            let st = state.clone();
            async move { st.store.get_event(&id).await }
        })
        .await?;
    let rows = state.store.list_admin_events(&f, page).await?;
    let data = detail::events(&state, &rows.rows).await?;
    Ok(HttpResponse::Ok().json(crate::render::list("/admin/api/events", rows.has_more, data)))
}

pub async fn retrieve(state: web::Data<AppState>, who: Admin, path: web::Path<String>) -> AdminResult<HttpResponse> {
    let e = owned_event(&state, &who, &path).await?;
    let mut v = detail::events_with_attempts(&state, std::slice::from_ref(&e)).await?;
    Ok(HttpResponse::Ok().json(v.pop().unwrap_or(Value::Null)))
}

/// Queues the event again now, with the same store calls (and endpoint
/// checks) as `POST /v1/events/{id}/redeliver`.
pub async fn resend(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let e = owned_event(&state, &who, &path).await?;
    let f = parse_object(&req, &body)?;
    let queued = match f.get("endpoint") {
        None | Some(Value::Null) => state.store.redeliver_event(&e.id, now()).await?,
        Some(v) => {
            let ep = crate::routes::webhooks::redelivery_target(&state, &e, v).await?;
            state.store.redeliver_event_to(&e.id, &ep.id, now()).await?
        }
    };
    let n = queued.ok_or_else(|| ApiError::not_found("event", e.id.clone()))?;
    if n > 0 {
        state.wakeup.wake();
    }
    tracing::info!(event = %e.id, user = %who.user.id, queued = n, "event resent from the dashboard");
    Ok(HttpResponse::Ok().json(json!({"id": e.id, "object": "event", "redelivered": n})))
}
