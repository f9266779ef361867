//! Calls to Apple: the App Store Server API's transaction lookup, with its
//! ES256 bearer token, and the legacy `verifyReceipt` with its documented
//! production → sandbox fallback (status 21007).

use super::config::AppleConfig;
use super::wire::{ApiErrorBody, TransactionInfoResponse, VerifyReceiptRequest, VerifyReceiptResponse};
use crate::ChannelError;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde::Serialize;
use std::time::Duration;
use unicharge_domain::Mode;

const TIMEOUT: Duration = Duration::from_secs(15);
/// Apple refuses tokens that live longer than 60 minutes; ours live 5.
const TOKEN_TTL_SECS: i64 = 300;

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
    exp: i64,
    aud: &'static str,
    bid: &'a str,
}

/// The App Store Server API bearer token: header `{alg: ES256, kid, typ:
/// JWT}`, claims `iss, iat, exp, aud: "appstoreconnect-v1", bid`.
pub fn bearer_token(cfg: &AppleConfig, now: i64) -> Result<String, ChannelError> {
    let der = pem::parse(cfg.private_key.expose_secret().trim())
        .map_err(|e| ChannelError::Config(format!("private_key: {e}")))?;
    let key = EncodingKey::from_ec_der(der.contents());
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(cfg.key_id.clone());
    header.typ = Some("JWT".into());
    let claims = Claims {
        iss: &cfg.issuer_id,
        iat: now,
        exp: now + TOKEN_TTL_SECS,
        aud: "appstoreconnect-v1",
        bid: &cfg.bundle_id,
    };
    jsonwebtoken::encode(&header, &claims, &key).map_err(|e| ChannelError::Config(format!("private_key: {e}")))
}

/// Apple transaction ids are decimal; anything else never reaches a URL.
fn check_id(id: &str) -> Result<(), ChannelError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ChannelError::Refused {
            code: "apple_malformed_jws".into(),
            message: "transactionId is not a valid identifier".into(),
        });
    }
    Ok(())
}

/// `GET /inApps/v1/transactions/{transactionId}`: Apple's current signed
/// view of the transaction (`signedTransactionInfo`).
pub async fn lookup(
    http: &reqwest::Client,
    cfg: &AppleConfig,
    token: &str,
    transaction_id: &str,
) -> Result<String, ChannelError> {
    check_id(transaction_id)?;
    let url = format!("{}/inApps/v1/transactions/{transaction_id}", cfg.api_url);
    let resp = http
        .get(&url)
        .bearer_auth(token)
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| ChannelError::Unavailable(format!("App Store Server API: {e}")))?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(|e| ChannelError::Unavailable(format!("App Store Server API: {e}")))?;
    match status {
        200 => {
            let info: TransactionInfoResponse = serde_json::from_slice(&body)
                .map_err(|e| ChannelError::Unavailable(format!("App Store Server API answer unreadable: {e}")))?;
            Ok(info.signed_transaction_info)
        }
        401 => Err(ChannelError::Config(
            "the App Store Server API refused the bearer token (issuer_id, key_id, private_key)".into(),
        )),
        400 | 404 => {
            let err: ApiErrorBody =
                serde_json::from_slice(&body).unwrap_or(ApiErrorBody { error_code: None, error_message: None });
            Err(ChannelError::Refused {
                code: "apple_transaction_not_found".into(),
                message: format!(
                    "Apple does not know transaction {transaction_id} ({}: {})",
                    err.error_code.unwrap_or(i64::from(status)),
                    err.error_message.unwrap_or_default()
                ),
            })
        }
        other => Err(ChannelError::Unavailable(format!("App Store Server API answered HTTP {other}"))),
    }
}

async fn post_receipt(
    http: &reqwest::Client,
    url: &str,
    req: &VerifyReceiptRequest,
) -> Result<VerifyReceiptResponse, ChannelError> {
    let resp = http
        .post(url)
        .json(req)
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| ChannelError::Unavailable(format!("verifyReceipt: {e}")))?;
    if !resp.status().is_success() {
        return Err(ChannelError::Unavailable(format!("verifyReceipt answered HTTP {}", resp.status().as_u16())));
    }
    resp.json().await.map_err(|e| ChannelError::Unavailable(format!("verifyReceipt answer unreadable: {e}")))
}

/// Legacy `verifyReceipt`. Production first; a 21007 ("this is a sandbox
/// receipt") is retried at the sandbox URL in test mode only: in live mode
/// a sandbox receipt is an environment mismatch and is refused.
pub async fn verify_receipt(
    http: &reqwest::Client,
    cfg: &AppleConfig,
    receipt_data: &str,
) -> Result<VerifyReceiptResponse, ChannelError> {
    let req = VerifyReceiptRequest {
        receipt_data: receipt_data.to_owned(),
        password: cfg.shared_secret.clone(),
        exclude_old_transactions: false,
    };
    let mut answer = post_receipt(http, &cfg.verify_receipt_url, &req).await?;
    if answer.status == 21007 {
        match cfg.mode {
            Mode::Test => answer = post_receipt(http, &cfg.verify_receipt_sandbox_url, &req).await?,
            Mode::Live => {
                return Err(ChannelError::Refused {
                    code: "apple_invalid_environment".into(),
                    message: "a sandbox receipt (status 21007) cannot pay a live-mode charge".into(),
                })
            }
        }
    }
    match answer.status {
        0 => Ok(answer),
        // Apple: 21005 receipt server unavailable, 21009 internal data
        // access error, 21100-21199 internal errors; all worth a retry.
        21005 | 21009 | 21100..=21199 => {
            Err(ChannelError::Unavailable(format!("verifyReceipt status {}", answer.status)))
        }
        other => Err(ChannelError::Refused {
            code: "apple_receipt_invalid".into(),
            message: format!("verifyReceipt refused the receipt with status {other}"),
        }),
    }
}
