//! Tenant authentication, the Ping++ way: `Authorization: Bearer sk_…` (most
//! SDKs) or HTTP Basic with the key as user name (Go and Node SDKs), plus the
//! optional per-app RSA request signature.

use crate::state::AppState;
use crate::ApiError;
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::future::Future;
use std::pin::Pin;
use unicharge_crypto::RsaPublicKey;
use unicharge_domain::Mode;
use unicharge_store::AppRow;

/// An authenticated caller: which tenant, and which mode its key unlocks.
#[derive(Debug, Clone)]
pub struct Authed {
    pub tenant_id: String,
    pub mode: Mode,
    pub key_id: String,
}

impl Authed {
    pub fn livemode(&self) -> bool {
        self.mode.is_live()
    }
}

/// The key's mode, from its prefix; anything not shaped like a key is refused
/// before it costs a database lookup.
pub fn key_mode(key: &str) -> Option<Mode> {
    let (mode, rest) = if let Some(r) = key.strip_prefix("sk_test_") {
        (Mode::Test, r)
    } else if let Some(r) = key.strip_prefix("sk_live_") {
        (Mode::Live, r)
    } else {
        return None;
    };
    (!rest.is_empty() && rest.len() <= 64 && rest.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(mode)
}

fn presented_key(req: &HttpRequest) -> Option<String> {
    let h = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    if let Some(k) = h.strip_prefix("Bearer ") {
        return Some(k.trim().to_owned());
    }
    let b = h.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(B64.decode(b.trim()).ok()?).ok()?;
    Some(decoded.split_once(':').map(|(u, _)| u.to_owned()).unwrap_or(decoded))
}

async fn authenticate(state: web::Data<AppState>, key: Option<String>) -> Result<Authed, ApiError> {
    let key = key.ok_or(ApiError::Unauthenticated)?;
    let mode = key_mode(&key).ok_or(ApiError::Unauthenticated)?;
    let hash = state.hasher.hash(&key);
    let row = match state.keys.get(&hash) {
        Some(r) => r,
        None => {
            let r = state.store.find_api_key_by_hash(&hash).await?.ok_or(ApiError::Unauthenticated)?;
            state.keys.put(&hash, r.clone());
            r
        }
    };
    if row.revoked || row.mode != mode.as_str() {
        return Err(ApiError::Unauthenticated);
    }
    Ok(Authed { tenant_id: row.tenant_id, mode, key_id: row.id })
}

impl FromRequest for Authed {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = presented_key(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("state missing"))?;
            authenticate(state, key).await
        })
    }
}

/// Loads an app the caller owns, and enforces its request signature if it
/// has uploaded a public key. Another tenant's app is reported as missing,
/// so ids cannot be probed.
pub async fn authorize_app(
    state: &AppState,
    who: &Authed,
    app_id: &str,
    req: &HttpRequest,
    body: &[u8],
) -> Result<AppRow, ApiError> {
    let app = state
        .app(app_id)
        .await?
        .filter(|a| a.tenant_id == who.tenant_id)
        .ok_or_else(|| ApiError::not_found("app", app_id))?;
    if let Some(pem) = &app.rsa_public_key {
        verify_request_signature(pem, req, body, state.settings.signature_tolerance_secs, now())?;
    }
    Ok(app)
}

/// `Pingplusplus-Signature` = base64 SHA256withRSA over
/// raw body ‖ request-target as sent ‖ `Pingplusplus-Request-Timestamp`.
pub fn verify_request_signature(
    public_pem: &str,
    req: &HttpRequest,
    body: &[u8],
    tolerance: i64,
    now: i64,
) -> Result<(), ApiError> {
    let get = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let sig = get("pingplusplus-signature")
        .ok_or(ApiError::BadSignature("Pingplusplus-Signature is required for this app."))?;
    let ts_raw = get("pingplusplus-request-timestamp")
        .ok_or(ApiError::BadSignature("Pingplusplus-Request-Timestamp is required for this app."))?;
    let ts: i64 = ts_raw
        .parse()
        .map_err(|_| ApiError::BadSignature("Pingplusplus-Request-Timestamp is not a Unix timestamp."))?;
    if (now - ts).abs() > tolerance {
        return Err(ApiError::BadSignature("Pingplusplus-Request-Timestamp is outside the allowed window."));
    }
    let key = RsaPublicKey::parse(public_pem).map_err(ApiError::internal)?;
    let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or_else(|| req.uri().path());
    let mut msg = Vec::with_capacity(body.len() + target.len() + ts_raw.len());
    msg.extend_from_slice(body);
    msg.extend_from_slice(target.as_bytes());
    msg.extend_from_slice(ts_raw.as_bytes());
    if key.verify_sha256_b64(&msg, sig) {
        Ok(())
    } else {
        tracing::warn!(path = %req.path(), "rejected a request with a bad Pingplusplus-Signature");
        Err(ApiError::BadSignature("Pingplusplus-Signature does not verify."))
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
