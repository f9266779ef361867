//! `Idempotency-Key`: the first response for a key is stored in the database
//! and replayed for a retry with the same request; a different request with
//! the same key is refused; a concurrent duplicate waits for the first.

use crate::state::AppState;
use crate::{auth::Authed, ApiError};
use actix_web::{http::StatusCode, HttpRequest, HttpResponse};
use std::future::Future;
use std::time::Duration;
use unicharge_store::IdempotencyBegin;

const HEADER: &str = "idempotency-key";
const WAIT: Duration = Duration::from_secs(10);

/// Runs `work` at most once per key; its JSON response is what gets stored.
pub async fn run<F, Fut>(
    state: &AppState,
    who: &Authed,
    req: &HttpRequest,
    body: &[u8],
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, serde_json::Value), ApiError>>,
{
    let Some(key) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned) else {
        return work().await.map(|(s, v)| HttpResponse::build(s).json(v));
    };
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::bad(
            "parameter_invalid",
            "Idempotency-Key must be 1 to 255 characters.",
            Some("Idempotency-Key"),
        ));
    }
    let mut fingerprint = Vec::with_capacity(body.len() + 64);
    fingerprint.extend_from_slice(req.method().as_str().as_bytes());
    fingerprint.push(b' ');
    fingerprint.extend_from_slice(req.path().as_bytes());
    fingerprint.push(b'\n');
    fingerprint.extend_from_slice(body);
    let hash = unicharge_crypto::sha256_hex(&fingerprint);
    let live = who.livemode();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match state.store.begin_idempotency(&who.tenant_id, live, &key, &hash, crate::auth::now()).await? {
            IdempotencyBegin::Started => break,
            IdempotencyBegin::Replay { status, body } => {
                let code = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                return Ok(HttpResponse::build(code)
                    .insert_header(("Idempotent-Replayed", "true"))
                    .content_type("application/json")
                    .body(body));
            }
            IdempotencyBegin::Mismatch => return Err(ApiError::IdempotencyMismatch),
            IdempotencyBegin::InFlight => {
                if tokio::time::Instant::now() >= deadline {
                    return Err(ApiError::IdempotencyInFlight);
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    }
    let outcome = work().await;
    let (status, value) = match outcome {
        Ok(ok) => ok,
        Err(e) => {
            let status = actix_web::ResponseError::status_code(&e);
            if status.is_server_error() {
                // Our failure, not the request's: let a retry run afresh.
                state.store.abandon_idempotency(&who.tenant_id, live, &key).await?;
                return Err(e);
            }
            let resp = actix_web::ResponseError::error_response(&e);
            let body = e.body().to_string();
            state.store.finish_idempotency(&who.tenant_id, live, &key, status.as_u16(), &body).await?;
            return Ok(resp);
        }
    };
    let text = value.to_string();
    state.store.finish_idempotency(&who.tenant_id, live, &key, status.as_u16(), &text).await?;
    Ok(HttpResponse::build(status).content_type("application/json").body(text))
}
