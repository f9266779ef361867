//! Dashboard sessions: an HS256 JWT in an HttpOnly, SameSite=Strict cookie,
//! naming a session row so sign-out takes effect at once, plus a
//! double-submit CSRF token bound into the JWT.

use super::error::{AdminError, AdminResult};
use crate::auth::now;
use crate::state::AppState;
use actix_web::{dev::Payload, http::Method, web, FromRequest, HttpRequest};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use unicharge_crypto::{ExposeSecret, SecretBox};
use unicharge_store::admin_users::{AdminSessionRow, AdminUserRow};

pub const SESSION_COOKIE: &str = "uc_session";
pub const CSRF_COOKIE: &str = "uc_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Eight hours: a working day, after which the user signs in again.
pub const SESSION_SECS: i64 = 8 * 3600;
/// The settings row holding the sealed signing secret.
pub const SECRET_SETTING: &str = "admin_jwt_secret";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub role: String,
    pub tenant: Option<String>,
    /// SHA-256 (hex) of the CSRF token: the token itself never sits in the
    /// JWT, and the cookie's value must hash to this.
    pub csrf: String,
    pub iat: i64,
    pub exp: i64,
}

/// The HS256 secret: generated once, sealed in `settings` like the other
/// generated secrets, the same on every node; cached after the first read.
pub async fn jwt_secret(state: &AppState) -> AdminResult<Arc<SecretBox<[u8]>>> {
    if let Some(s) = state.admin_jwt_secret.get() {
        return Ok(s.clone());
    }
    let sealed = match state.store.get_setting(SECRET_SETTING).await? {
        Some(s) => s,
        None => {
            let fresh = state.sealer.seal(&unicharge_crypto::random_bytes(32), SECRET_SETTING);
            state.store.get_or_init_setting(SECRET_SETTING, &fresh).await?
        }
    };
    let secret = state.sealer.open(&sealed, SECRET_SETTING).map_err(crate::ApiError::internal)?;
    let secret = Arc::new(SecretBox::new(secret.into_boxed_slice()));
    // Two racing first requests read the same stored value, so either wins.
    let _ = state.admin_jwt_secret.set(secret.clone());
    Ok(secret)
}

pub async fn sign(state: &AppState, claims: &Claims) -> AdminResult<String> {
    let secret = jwt_secret(state).await?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.expose_secret()))
        .map_err(|e| AdminError::Api(crate::ApiError::internal(e)))
}

/// Verifies signature (HS256 only) and expiry, with no leeway.
pub async fn verify(state: &AppState, token: &str) -> AdminResult<Claims> {
    let secret = jwt_secret(state).await?;
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = 0;
    v.validate_exp = true;
    jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret.expose_secret()), &v)
        .map(|d| d.claims)
        .map_err(|_| AdminError::NotSignedIn)
}

/// A cookie's value from the `Cookie` header (actix's cookie feature is
/// off in this workspace, and we only ever need two names).
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers().get_all(actix_web::http::header::COOKIE).filter_map(|v| v.to_str().ok()).find_map(|h| {
        h.split(';').find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    })
}

/// `Set-Cookie` for one of ours; `max_age` 0 clears it.
pub fn set_cookie(state: &AppState, name: &str, value: &str, http_only: bool, max_age: i64) -> String {
    let mut c = format!("{name}={value}; Path=/; Max-Age={max_age}; SameSite=Strict");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if state.settings.public_url.starts_with("https://") {
        c.push_str("; Secure");
    }
    c
}

/// A signed-in dashboard user, checked on every request.
#[derive(Clone)]
pub struct Admin {
    pub user: AdminUserRow,
    pub session: AdminSessionRow,
    pub csrf_hash: String,
}

impl Admin {
    pub fn is_operator(&self) -> bool {
        self.user.role == "operator"
    }

    /// The tenant a tenant user is confined to; `None` for an operator.
    pub fn tenant(&self) -> Option<&str> {
        if self.is_operator() {
            None
        } else {
            // A tenant user without a tenant sees nothing: "" matches no row.
            Some(self.user.tenant_id.as_deref().unwrap_or(""))
        }
    }

    pub fn require_operator(&self) -> AdminResult<()> {
        if self.is_operator() {
            Ok(())
        } else {
            Err(AdminError::Forbidden)
        }
    }
}

async fn authenticate(state: web::Data<AppState>, req: HttpRequest) -> AdminResult<Admin> {
    let token = cookie(&req, SESSION_COOKIE).ok_or(AdminError::NotSignedIn)?;
    let claims = verify(&state, &token).await?;
    let now = now();
    let session = state
        .store
        .get_admin_session(&claims.sid)
        .await?
        .filter(|s| s.user_id == claims.sub && s.revoked.is_none() && s.expires > now)
        .ok_or(AdminError::NotSignedIn)?;
    // The role comes from the database, not the token: a changed or removed
    // user loses its rights on the next request.
    let user = state.store.get_admin_user(&claims.sub).await?.ok_or(AdminError::NotSignedIn)?;
    let safe = [Method::GET, Method::HEAD, Method::OPTIONS].contains(req.method());
    if !safe {
        check_csrf(&req, &claims.csrf)?;
    }
    Ok(Admin { user, session, csrf_hash: claims.csrf })
}

/// Double submit bound to the session: the header must equal the cookie,
/// and hash to the JWT's claim. Both compares are constant time.
fn check_csrf(req: &HttpRequest, claim: &str) -> AdminResult<()> {
    let header = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
        .ok_or(AdminError::Csrf("This request needs the X-CSRF-Token header."))?;
    let cookie = cookie(req, CSRF_COOKIE).unwrap_or_default();
    let hashed = unicharge_crypto::sha256_hex(header.as_bytes());
    let same_cookie = unicharge_crypto::ct_eq(header.as_bytes(), cookie.as_bytes());
    let bound = unicharge_crypto::ct_eq(hashed.as_bytes(), claim.as_bytes());
    if same_cookie && bound {
        Ok(())
    } else {
        Err(AdminError::Csrf("The X-CSRF-Token header does not match this session."))
    }
}

impl FromRequest for Admin {
    type Error = AdminError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| AdminError::Api(crate::ApiError::internal("state missing")))?;
            authenticate(state, req).await
        })
    }
}
