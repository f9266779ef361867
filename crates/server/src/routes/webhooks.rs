//! Webhook endpoints per app and mode (the key's mode), and event redelivery.

use crate::auth::{authorize_app, now, Authed};
use crate::body::{parse_object, read_limited};
use crate::state::AppState;
use crate::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use unicharge_domain::ids::random_alnum;
use unicharge_domain::{EventType, ParamError};
use unicharge_store::webhooks::{subscribed, EndpointRow};
use unicharge_store::EventRow;
use unicharge_webhooks::secrets::{open_secrets, seal_secrets, SigningSecret};

pub(crate) fn render(ep: &EndpointRow, secret: Option<&str>) -> Value {
    let events: Value = serde_json::from_str(&ep.enabled_events).unwrap_or_else(|_| json!([]));
    let mut v = json!({
        "id": ep.id,
        "object": "webhook_endpoint",
        "app": ep.app_id,
        "livemode": ep.livemode,
        "url": ep.url,
        "enabled_events": events,
        "status": if ep.enabled { "enabled" } else { "disabled" },
        "description": ep.description,
        "pingpp_signature": ep.pingpp_signature,
        "created": ep.created,
    });
    if let Some(s) = secret {
        // Shown once, at creation or rotation.
        v["secret"] = json!(s);
    }
    v
}

fn new_secret() -> String {
    format!("whsec_{}", random_alnum(32))
}

pub(crate) async fn checked_url(state: &AppState, livemode: bool, v: Option<&Value>) -> Result<String, ApiError> {
    let url = match v {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        None | Some(Value::Null) => return Err(ParamError::missing("url").into()),
        Some(_) => return Err(ParamError::invalid("url", "must be a string").into()),
    };
    if url.len() > 2048 {
        return Err(ParamError::too_long("url", 2048).into());
    }
    let allow_private = !livemode || state.settings.webhook_allow_private_live;
    unicharge_webhooks::check_destination(&url, allow_private)
        .await
        .map_err(|e| ApiError::Param(ParamError::invalid("url", e)))?;
    Ok(url)
}

pub(crate) fn checked_events(v: Option<&Value>) -> Result<String, ApiError> {
    let list: Vec<String> = match v {
        None | Some(Value::Null) => vec!["*".into()],
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|e| match e.as_str() {
                Some(s) if s == "*" || EventType::parse(s).is_some() => Ok(s.to_owned()),
                _ => Err(ParamError::unsupported("enabled_events", format!("{e} is not an event type"))),
            })
            .collect::<Result<_, _>>()?,
        // Forms send a single value as a string.
        Some(Value::String(s)) if s == "*" || EventType::parse(s).is_some() => vec![s.clone()],
        Some(_) => return Err(ParamError::invalid("enabled_events", "must be a list of event types").into()),
    };
    Ok(Value::from(list).to_string())
}

async fn owned_endpoint(
    state: &AppState,
    who: &Authed,
    req: &HttpRequest,
    app: &str,
    id: &str,
    body: &[u8],
) -> Result<EndpointRow, ApiError> {
    let app = authorize_app(state, who, app, req, body).await?;
    state
        .store
        .get_endpoint(id)
        .await?
        .filter(|ep| ep.app_id == app.id && ep.livemode == who.livemode())
        .ok_or_else(|| ApiError::not_found("webhook_endpoint", id))
}

pub async fn create(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let app = authorize_app(&state, &who, &path, &req, &body).await?;
    let f = parse_object(&req, &body)?;
    let description = f.get("description").and_then(Value::as_str).map(str::to_owned);
    let pingpp_signature = checked_bool("pingpp_signature", f.get("pingpp_signature"))?.unwrap_or(true);
    let (row, secret) = crate::ops::create_endpoint_with(
        &state,
        &app.id,
        who.livemode(),
        f.get("url"),
        f.get("enabled_events"),
        description,
        pingpp_signature,
    )
    .await?;
    Ok(HttpResponse::Ok().json(render(&row, Some(&secret))))
}

pub async fn list(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let app = authorize_app(&state, &who, &path, &req, b"").await?;
    let rows = state.store.list_endpoints(&app.id, who.livemode()).await?;
    let data = rows.iter().map(|r| render(r, None)).collect();
    Ok(HttpResponse::Ok().json(crate::render::list(&format!("/v1/apps/{}/webhook_endpoints", app.id), false, data)))
}

pub async fn retrieve(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let ep = owned_endpoint(&state, &who, &req, &path.0, &path.1, b"").await?;
    Ok(HttpResponse::Ok().json(render(&ep, None)))
}

pub async fn update(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let ep = owned_endpoint(&state, &who, &req, &path.0, &path.1, &body).await?;
    let f = parse_object(&req, &body)?;
    let ep = apply_update(&state, who.livemode(), ep, &f).await?;
    Ok(HttpResponse::Ok().json(render(&ep, None)))
}

/// A boolean parameter: JSON `true`/`false`, or the strings form bodies
/// carry. Absent or null: `None`.
pub(crate) fn checked_bool(param: &'static str, v: Option<&Value>) -> Result<Option<bool>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
        Some(_) => Err(ParamError::invalid(param, "must be a boolean").into()),
    }
}

/// Applies an update's fields to an endpoint and stores it (shared with the
/// dashboard).
pub(crate) async fn apply_update(
    state: &AppState,
    livemode: bool,
    mut ep: EndpointRow,
    f: &serde_json::Map<String, Value>,
) -> Result<EndpointRow, ApiError> {
    if f.contains_key("url") {
        ep.url = checked_url(state, livemode, f.get("url")).await?;
    }
    if f.contains_key("enabled_events") {
        ep.enabled_events = checked_events(f.get("enabled_events"))?;
    }
    if let Some(b) = checked_bool("disabled", f.get("disabled"))? {
        ep.enabled = !b;
    }
    if let Some(b) = checked_bool("pingpp_signature", f.get("pingpp_signature"))? {
        ep.pingpp_signature = b;
    }
    if let Some(d) = f.get("description") {
        ep.description = d.as_str().map(str::to_owned);
    }
    ep.updated = now();
    state.store.update_endpoint(&ep).await?;
    Ok(ep)
}

pub async fn delete(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let ep = owned_endpoint(&state, &who, &req, &path.0, &path.1, b"").await?;
    state.store.delete_endpoint(&ep.id).await?;
    Ok(HttpResponse::Ok().json(json!({"id": ep.id, "object": "webhook_endpoint", "deleted": true})))
}

/// A new secret signs from now on; the old one keeps signing beside it for
/// `expire_previous_in` seconds (default a day) so receivers can switch.
pub async fn rotate_secret(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let ep = owned_endpoint(&state, &who, &req, &path.0, &path.1, &body).await?;
    let f = parse_object(&req, &body)?;
    let (ep, secret) = rotate(&state, ep, &f).await?;
    Ok(HttpResponse::Ok().json(render(&ep, Some(&secret))))
}

/// Rotates an endpoint's signing secret; returns the new one (shared with
/// the dashboard).
pub(crate) async fn rotate(
    state: &AppState,
    mut ep: EndpointRow,
    f: &serde_json::Map<String, Value>,
) -> Result<(EndpointRow, String), ApiError> {
    let keep = match f.get("expire_previous_in") {
        None | Some(Value::Null) => 86_400,
        Some(v) => unicharge_domain::charge::as_int(v)
            .filter(|n| (0..=7 * 86_400).contains(n))
            .ok_or_else(|| ParamError::out_of_range("expire_previous_in", "0 to 604800 seconds"))?,
    };
    let now = now();
    let mut secrets = open_secrets(&state.sealer, &ep.id, &ep.sealed_secrets).map_err(ApiError::internal)?;
    secrets.retain(|s| s.expires.is_none_or(|e| e > now));
    for s in &mut secrets {
        s.expires = Some(s.expires.map_or(now + keep, |e| e.min(now + keep)));
    }
    let secret = new_secret();
    secrets.insert(0, SigningSecret { secret: secret.clone(), expires: None });
    ep.sealed_secrets = seal_secrets(&state.sealer, &ep.id, &secrets);
    ep.updated = now;
    state.store.update_endpoint(&ep).await?;
    Ok((ep, secret))
}

/// `POST /v1/events/{id}/redeliver`: queue the event again, now, to every
/// endpoint subscribed to it, or with `endpoint` to that one only (say, one
/// that was disabled when the event happened and has been enabled since).
pub async fn redeliver(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let e = super::events::owned_event(&state, &who, &req, &path, &body).await?;
    let f = parse_object(&req, &body)?;
    let queued = match f.get("endpoint") {
        None | Some(Value::Null) => state.store.redeliver_event(&e.id, now()).await?,
        Some(v) => {
            let ep = redelivery_target(&state, &e, v).await?;
            state.store.redeliver_event_to(&e.id, &ep.id, now()).await?
        }
    };
    let n = queued.ok_or_else(|| ApiError::not_found("event", e.id.clone()))?;
    if n > 0 {
        state.wakeup.wake();
    }
    Ok(HttpResponse::Ok().json(json!({"id": e.id, "object": "event", "redelivered": n})))
}

/// The endpoint named by `endpoint`: one of the event's app's endpoints in
/// the event's mode (any other is "no such webhook_endpoint", so other
/// tenants' ids cannot be probed), enabled and subscribed to the event's type.
pub(crate) async fn redelivery_target(state: &AppState, e: &EventRow, v: &Value) -> Result<EndpointRow, ApiError> {
    let id = match v {
        Value::String(s) if !s.is_empty() => s.as_str(),
        _ => return Err(ParamError::invalid("endpoint", "must be a webhook endpoint id").into()),
    };
    let ep = state
        .store
        .get_endpoint(id)
        .await?
        .filter(|ep| ep.app_id == e.app_id && ep.livemode == e.livemode)
        // A reference in the body, not the resource in the path: 400 with
        // the parameter named, as for any other bad parameter.
        .ok_or_else(|| {
            ApiError::bad("resource_not_found", format!("No such webhook_endpoint: {id}"), Some("endpoint"))
        })?;
    if !ep.enabled {
        return Err(ParamError::invalid("endpoint", format!("{id} is disabled; enable it first")).into());
    }
    if !subscribed(&ep, &e.kind) {
        return Err(ParamError::unsupported("endpoint", format!("{id} is not subscribed to {}", e.kind)).into());
    }
    Ok(ep)
}

/// `POST /v1/events/resend_failed` with `since` (and optionally `app[id]`):
/// after a tenant outage, queue every failed delivery again.
pub async fn resend_failed(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let f = parse_object(&req, &body)?;
    let since =
        f.get("since").and_then(unicharge_domain::charge::as_int).ok_or_else(|| ParamError::missing("since"))?;
    let app_ids = match unicharge_domain::charge::parse_app(f.get("app")) {
        Ok(a) => vec![authorize_app(&state, &who, a.as_str(), &req, &body).await?.id],
        Err(_) if f.get("app").is_none() => {
            state.store.list_apps(Some(&who.tenant_id)).await?.into_iter().map(|a| a.id).collect()
        }
        Err(e) => return Err(e.into()),
    };
    let n = state.store.resend_failed(&app_ids, who.livemode(), since, now(), || state.wakeup.wake()).await?;
    Ok(HttpResponse::Ok().json(json!({"object": "resend", "resent": n})))
}

/// The platform public key tenants verify `X-Pingplusplus-Signature` with.
pub async fn platform_public_key(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pem = state.platform_key.public_key_pem().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type("application/x-pem-file").body(pem))
}
