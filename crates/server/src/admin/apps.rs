//! Apps and API keys. Keys belong to a tenant and unlock all its apps in
//! their mode; a key's secret is shown once, in the answer to create.

use super::error::AdminResult;
use super::render;
use super::scope::{acting_tenant, owned_app, Params};
use super::session::Admin;
use crate::body::{parse_object, read_limited};
use crate::state::AppState;
use crate::{ops, ApiError};
use actix_web::{web, HttpRequest, HttpResponse};
use secrecy::ExposeSecret;
use serde_json::Value;
use std::collections::HashMap;
use unicharge_domain::ParamError;

async fn tenant_names(state: &AppState) -> AdminResult<HashMap<String, String>> {
    Ok(state.store.list_tenants().await?.into_iter().map(|t| (t.id, t.name)).collect())
}

pub async fn list(state: web::Data<AppState>, who: Admin, req: HttpRequest) -> AdminResult<HttpResponse> {
    let p = Params::parse(req.query_string())?;
    let tenant = match (who.tenant(), p.str("tenant")) {
        (Some(own), _) => Some(own.to_owned()),
        (None, named) => named.map(str::to_owned),
    };
    let apps = state.store.list_apps(tenant.as_deref()).await?;
    let names = tenant_names(&state).await?;
    let data = apps.iter().map(|a| render::app(a, names.get(&a.tenant_id).map(String::as_str))).collect();
    Ok(HttpResponse::Ok().json(crate::render::list("/admin/api/apps", false, data)))
}

pub async fn retrieve(state: web::Data<AppState>, who: Admin, path: web::Path<String>) -> AdminResult<HttpResponse> {
    let app = owned_app(&state, &who, &path).await?;
    let t = state.store.get_tenant(&app.tenant_id).await?;
    Ok(HttpResponse::Ok().json(render::app(&app, t.as_ref().map(|t| t.name.as_str()))))
}

fn name_field(f: &serde_json::Map<String, Value>, param: &str) -> AdminResult<String> {
    match f.get(param).and_then(Value::as_str).map(str::trim) {
        Some(n) if !n.is_empty() && n.chars().count() <= 200 => Ok(n.to_owned()),
        Some(n) if !n.is_empty() => Err(ParamError::too_long(param, 200).into()),
        _ => Err(ParamError::missing(param).into()),
    }
}

pub async fn create(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let f = parse_object(&req, &body)?;
    let name = name_field(&f, "name")?;
    let tenant = acting_tenant(&state, &who, f.get("tenant").and_then(Value::as_str)).await?;
    let app = ops::create_app(&state, &tenant, &name, None).await?;
    tracing::info!(app = %app.id, user = %who.user.id, "app created from the dashboard");
    let t = state.store.get_tenant(&tenant).await?;
    Ok(HttpResponse::Ok().json(render::app(&app, t.as_ref().map(|t| t.name.as_str()))))
}

pub async fn list_keys(state: web::Data<AppState>, who: Admin, req: HttpRequest) -> AdminResult<HttpResponse> {
    let p = Params::parse(req.query_string())?;
    let mode = p.mode()?;
    let tenant = acting_tenant(&state, &who, p.str("tenant")).await?;
    let keys = state.store.list_api_keys(&tenant).await?;
    let data = keys.iter().filter(|k| k.mode == mode.as_str()).map(|k| render::api_key(k, None)).collect();
    Ok(HttpResponse::Ok().json(crate::render::list("/admin/api/keys", false, data)))
}

pub async fn create_key(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    let p = Params::parse(req.query_string())?;
    let body = read_limited(payload, state.settings.body_limit).await?;
    let f = parse_object(&req, &body)?;
    let tenant = acting_tenant(&state, &who, f.get("tenant").and_then(Value::as_str)).await?;
    let key = ops::create_key(&state, &tenant, p.mode()?).await?;
    tracing::info!(key = %key.row.id, user = %who.user.id, "API key created from the dashboard");
    Ok(HttpResponse::Ok().json(render::api_key(&key.row, Some(key.secret.expose_secret()))))
}

pub async fn revoke_key(state: web::Data<AppState>, who: Admin, path: web::Path<String>) -> AdminResult<HttpResponse> {
    let missing = || ApiError::not_found("api_key", path.as_str());
    let key = state.store.get_api_key(&path).await?.ok_or_else(missing)?;
    if who.tenant().is_some_and(|t| t != key.tenant_id) {
        return Err(missing().into());
    }
    let row = ops::revoke_key(&state, &key.id).await?;
    tracing::info!(key = %row.id, user = %who.user.id, "API key revoked from the dashboard");
    Ok(HttpResponse::Ok().json(render::api_key(&row, None)))
}
