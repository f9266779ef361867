//! Operator-only routes: tenants and dashboard users. A tenant user gets
//! 403 here: these routes exist for everyone, only the right is missing.

use super::error::{AdminError, AdminResult};
use super::render;
use super::session::Admin;
use super::users::{create_user, Role};
use crate::auth::now;
use crate::body::{parse_object, read_limited};
use crate::listing::ListQuery;
use crate::state::AppState;
use crate::{ops, ApiError};
use actix_web::{web, HttpRequest, HttpResponse};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use unicharge_domain::ParamError;

pub async fn list_tenants(state: web::Data<AppState>, who: Admin) -> AdminResult<HttpResponse> {
    who.require_operator()?;
    let tenants = state.store.list_tenants().await?;
    let apps = state.store.list_apps(None).await?;
    let data = tenants.iter().map(|t| render::tenant(t, apps.iter().filter(|a| a.tenant_id == t.id).count())).collect();
    Ok(HttpResponse::Ok().json(crate::render::list("/admin/api/tenants", false, data)))
}

pub async fn create_tenant(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    who.require_operator()?;
    let body = read_limited(payload, state.settings.body_limit).await?;
    let f = parse_object(&req, &body)?;
    let name = match f.get("name").and_then(Value::as_str).map(str::trim) {
        Some(n) if !n.is_empty() && n.chars().count() <= 200 => n.to_owned(),
        Some(n) if !n.is_empty() => return Err(ParamError::too_long("name", 200).into()),
        _ => return Err(ParamError::missing("name").into()),
    };
    let t = ops::create_tenant(&state, &name).await?;
    tracing::info!(tenant = %t.id, user = %who.user.id, "tenant created from the dashboard");
    Ok(HttpResponse::Ok().json(render::tenant(&t, 0)))
}

pub async fn list_users(state: web::Data<AppState>, who: Admin, req: HttpRequest) -> AdminResult<HttpResponse> {
    who.require_operator()?;
    let q = ListQuery::parse(req.query_string())?;
    let users = state.store.list_admin_users(q.str("tenant")).await?;
    let data = users.iter().map(render::user).collect();
    Ok(HttpResponse::Ok().json(crate::render::list("/admin/api/users", false, data)))
}

pub async fn create(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    who.require_operator()?;
    let body = read_limited(payload, state.settings.body_limit).await?;
    let f = parse_object(&req, &body)?;
    let email = f.get("email").and_then(Value::as_str).ok_or_else(|| ParamError::missing("email"))?;
    let role = match f.get("role").and_then(Value::as_str) {
        Some("operator") => Role::Operator,
        Some("tenant") | None => {
            let t = f.get("tenant").and_then(Value::as_str).ok_or_else(|| ParamError::missing("tenant"))?;
            Role::Tenant(t.to_owned())
        }
        Some(_) => return Err(ParamError::unsupported("role", "use operator or tenant").into()),
    };
    let password = match f.get("password") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(SecretString::from(s.clone())),
        Some(_) => return Err(ParamError::invalid("password", "must be a string").into()),
    };
    let u = create_user(&state, email, role, password).await?;
    let mut v = render::user(&u.row);
    if let Some(p) = &u.generated_password {
        // Shown once, to the operator who asked; never logged.
        v["password"] = json!(p.expose_secret());
    }
    Ok(HttpResponse::Ok().json(v))
}

pub async fn delete(state: web::Data<AppState>, who: Admin, path: web::Path<String>) -> AdminResult<HttpResponse> {
    who.require_operator()?;
    if *path == who.user.id {
        return Err(AdminError::refused("parameter_invalid", "You cannot remove yourself.", Some("id")));
    }
    if !state.store.delete_admin_user(&path, now()).await? {
        return Err(ApiError::not_found("user", path.as_str()).into());
    }
    tracing::info!(deleted = %path, user = %who.user.id, "dashboard user removed");
    Ok(HttpResponse::Ok().json(json!({"id": path.as_str(), "object": "user", "deleted": true})))
}
