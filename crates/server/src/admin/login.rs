//! Sign-in, "me" and sign-out, with failed sign-ins throttled per email and
//! per client IP. The counts live in the database, so every node agrees.

use super::error::{AdminError, AdminResult};
use super::render;
use super::session::{self, Admin, Claims, CSRF_COOKIE, SESSION_COOKIE, SESSION_SECS};
use crate::auth::now;
use crate::body::read_limited;
use crate::state::AppState;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use secrecy::SecretString;
use serde_json::{json, Value};
use unicharge_store::admin_users::AdminSessionRow;

/// Failures are counted over this many seconds.
pub const WINDOW_SECS: i64 = 15 * 60;
pub const MAX_PER_EMAIL: usize = 5;
pub const MAX_PER_IP: usize = 20;

pub fn normalize_email(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The TCP peer. `X-Forwarded-For` is not trusted: anyone can send it, and
/// honouring it would let an attacker pick a fresh "IP" per attempt.
fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// Login CSRF: no session exists yet to bind a token to. A JSON body cannot
/// come from a cross-site form without a CORS preflight (never granted
/// here), and a browser's `Origin`/`Sec-Fetch-Site` must say same origin.
fn check_login_origin(state: &AppState, req: &HttpRequest) -> AdminResult<()> {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        return Err(AdminError::JsonRequired);
    }
    let get = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if get("sec-fetch-site") == Some("cross-site") {
        return Err(AdminError::Csrf("Sign-in from another site is refused."));
    }
    if let Some(origin) = get("origin") {
        let public = origin_of(&state.settings.public_url);
        let host = get("host").unwrap_or("");
        let own = [format!("http://{host}"), format!("https://{host}")];
        if Some(origin) != public.as_deref() && !own.iter().any(|o| o == origin) {
            return Err(AdminError::Csrf("Sign-in from another origin is refused."));
        }
    }
    Ok(())
}

fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization())
}

/// Seconds until `key` may try again, if it is locked.
async fn locked_for(state: &AppState, key: &str, max: usize, now: i64) -> AdminResult<Option<i64>> {
    let fails = state.store.login_failures_since(key, now - WINDOW_SECS).await?;
    if fails.len() < max {
        return Ok(None);
    }
    // Unlocked once enough of the oldest failures have left the window.
    let unlock_at = fails[fails.len() - max] + WINDOW_SECS;
    Ok(Some((unlock_at - now).max(1)))
}

pub async fn login(state: web::Data<AppState>, req: HttpRequest, payload: web::Payload) -> AdminResult<HttpResponse> {
    check_login_origin(&state, &req)?;
    let body = read_limited(payload, 16 * 1024).await?;
    let f: serde_json::Map<String, Value> = serde_json::from_slice(&body)
        .map_err(|_| AdminError::refused("invalid_json", "The body must be a JSON object.", None))?;
    let email = f.get("email").and_then(Value::as_str).map(normalize_email).unwrap_or_default();
    let password = SecretString::from(f.get("password").and_then(Value::as_str).unwrap_or("").to_owned());
    if email.is_empty() {
        return Err(unicharge_domain::ParamError::missing("email").into());
    }
    let now = now();
    let email_key = format!("email:{email}");
    let ip_key = format!("ip:{}", client_ip(&req));
    // Checked before the password, so a locked account cannot be unlocked
    // early by guessing right.
    let wait = match locked_for(&state, &email_key, MAX_PER_EMAIL, now).await? {
        Some(w) => Some(w),
        None => locked_for(&state, &ip_key, MAX_PER_IP, now).await?,
    };
    if let Some(w) = wait {
        tracing::warn!(ip = %ip_key, "dashboard sign-in throttled");
        return Err(AdminError::TooManyAttempts(w));
    }
    let user = state.store.admin_user_by_email(&email).await?;
    let ok = super::password::verify(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let Some(user) = user.filter(|_| ok) else {
        state.store.record_login_failure(&[&email_key, &ip_key], now).await?;
        tracing::info!(ip = %ip_key, "dashboard sign-in failed");
        return Err(AdminError::InvalidCredentials);
    };
    state.store.clear_login_failures(&email_key).await?;
    // Housekeeping rides on sign-ins: they are rare, and the rows small.
    state.store.purge_admin_auth(now - WINDOW_SECS).await?;
    let csrf = B64URL.encode(unicharge_crypto::random_bytes(32));
    let sid = format!("ses_{}", unicharge_domain::ids::random_alnum(24));
    let exp = now + SESSION_SECS;
    state
        .store
        .create_admin_session(&AdminSessionRow {
            id: sid.clone(),
            user_id: user.id.clone(),
            created: now,
            expires: exp,
            revoked: None,
        })
        .await?;
    let claims = Claims {
        sub: user.id.clone(),
        sid,
        role: user.role.clone(),
        tenant: user.tenant_id.clone(),
        csrf: unicharge_crypto::sha256_hex(csrf.as_bytes()),
        iat: now,
        exp,
    };
    let token = session::sign(&state, &claims).await?;
    tracing::info!(user = %user.id, "dashboard sign-in");
    Ok(HttpResponse::Ok()
        .append_header((header::SET_COOKIE, session::set_cookie(&state, SESSION_COOKIE, &token, true, SESSION_SECS)))
        .append_header((header::SET_COOKIE, session::set_cookie(&state, CSRF_COOKIE, &csrf, false, SESSION_SECS)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(session_json(&user, Some(csrf.as_str()), exp)))
}

fn session_json(user: &unicharge_store::admin_users::AdminUserRow, csrf: Option<&str>, exp: i64) -> Value {
    json!({ "object": "session", "user": render::user(user), "csrf_token": csrf, "expires_at": exp })
}

pub async fn me(who: Admin, req: HttpRequest) -> AdminResult<HttpResponse> {
    // The token is the cookie's, returned only if it is this session's.
    let csrf = session::cookie(&req, CSRF_COOKIE).filter(|c| {
        unicharge_crypto::ct_eq(unicharge_crypto::sha256_hex(c.as_bytes()).as_bytes(), who.csrf_hash.as_bytes())
    });
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(session_json(
        &who.user,
        csrf.as_deref(),
        who.session.expires,
    )))
}

pub async fn logout(state: web::Data<AppState>, who: Admin) -> AdminResult<HttpResponse> {
    state.store.revoke_admin_session(&who.session.id, now()).await?;
    Ok(HttpResponse::Ok()
        .append_header((header::SET_COOKIE, session::set_cookie(&state, SESSION_COOKIE, "", true, 0)))
        .append_header((header::SET_COOKIE, session::set_cookie(&state, CSRF_COOKIE, "", false, 0)))
        .json(json!({ "object": "session", "deleted": true })))
}
