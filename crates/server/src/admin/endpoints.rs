//! Webhook endpoints of an app, per mode, through the same functions as
//! `/v1/apps/{id}/webhook_endpoints`.

use super::error::AdminResult;
use super::scope::{owned_app, Params};
use super::session::Admin;
use crate::body::{parse_object, read_limited};
use crate::routes::webhooks::{apply_update, checked_bool, render, rotate};
use crate::state::AppState;
use crate::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use unicharge_store::webhooks::EndpointRow;

/// An endpoint of an app the user may see; any other is "no such".
async fn owned_endpoint(state: &AppState, who: &Admin, app: &str, id: &str) -> AdminResult<EndpointRow> {
    let app = owned_app(state, who, app).await?;
    Ok(state
        .store
        .get_endpoint(id)
        .await?
        .filter(|ep| ep.app_id == app.id)
        .ok_or_else(|| ApiError::not_found("webhook_endpoint", id))?)
}

pub async fn list(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    path: web::Path<String>,
) -> AdminResult<HttpResponse> {
    let p = Params::parse(req.query_string())?;
    let app = owned_app(&state, &who, &path).await?;
    let rows = state.store.list_endpoints(&app.id, p.mode()?.is_live()).await?;
    let data = rows.iter().map(|r| render(r, None)).collect();
    let url = format!("/admin/api/apps/{}/webhook_endpoints", app.id);
    Ok(HttpResponse::Ok().json(crate::render::list(&url, false, data)))
}

pub async fn create(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    let p = Params::parse(req.query_string())?;
    let body = read_limited(payload, state.settings.body_limit).await?;
    let app = owned_app(&state, &who, &path).await?;
    let f = parse_object(&req, &body)?;
    let description = f.get("description").and_then(Value::as_str).map(str::to_owned);
    let live = p.mode()?.is_live();
    let pingpp_signature = checked_bool("pingpp_signature", f.get("pingpp_signature"))?.unwrap_or(true);
    let (row, secret) = crate::ops::create_endpoint_with(
        &state,
        &app.id,
        live,
        f.get("url"),
        f.get("enabled_events"),
        description,
        pingpp_signature,
    )
    .await?;
    tracing::info!(endpoint = %row.id, user = %who.user.id, "webhook endpoint created from the dashboard");
    Ok(HttpResponse::Ok().json(render(&row, Some(&secret))))
}

pub async fn update(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let ep = owned_endpoint(&state, &who, &path.0, &path.1).await?;
    let f = parse_object(&req, &body)?;
    let live = ep.livemode;
    let ep = apply_update(&state, live, ep, &f).await?;
    Ok(HttpResponse::Ok().json(render(&ep, None)))
}

pub async fn delete(
    state: web::Data<AppState>,
    who: Admin,
    path: web::Path<(String, String)>,
) -> AdminResult<HttpResponse> {
    let ep = owned_endpoint(&state, &who, &path.0, &path.1).await?;
    state.store.delete_endpoint(&ep.id).await?;
    tracing::info!(endpoint = %ep.id, user = %who.user.id, "webhook endpoint deleted from the dashboard");
    Ok(HttpResponse::Ok().json(json!({"id": ep.id, "object": "webhook_endpoint", "deleted": true})))
}

pub async fn rotate_secret(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let ep = owned_endpoint(&state, &who, &path.0, &path.1).await?;
    let f = parse_object(&req, &body)?;
    let (ep, secret) = rotate(&state, ep, &f).await?;
    Ok(HttpResponse::Ok().json(render(&ep, Some(&secret))))
}
