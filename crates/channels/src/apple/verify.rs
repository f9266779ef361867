//! Apple's `SignedDataVerifier`, as its `app-store-server-library` defines
//! it: an ES256 compact JWS whose `x5c` header holds `[leaf, intermediate,
//! root]`; the leaf and intermediate are checked up to a *pinned* root (the
//! chain's own root is never trusted), with Apple's marker extensions, at
//! the payload's `signedDate` (the library's rule with online checks off);
//! then the signature with the leaf's key; then `bundleId`, `appAppleId`
//! (Production) and `environment`. `Xcode` and `LocalTesting` data, which
//! Apple's library accepts unsigned, are always refused.

use super::wire::{JwsHeader, NotificationPayload, Transaction, TransactionPayload};
use crate::ChannelError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::DeserializeOwned;
use unicharge_crypto::{verify_ec_chain, ChainError, ChainPolicy, CompactJws};

pub const LEAF_MARKER: &str = "1.2.840.113635.100.6.11.1";
pub const INTERMEDIATE_MARKER: &str = "1.2.840.113635.100.6.2.1";

/// Why Apple signed data was refused; `code()` is the error code the tenant sees.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("malformed JWS: {0}")]
    Malformed(String),
    #[error("certificate chain rejected: {0}")]
    Chain(#[from] ChainError),
    #[error("ES256 signature does not verify")]
    Signature,
    #[error("bundleId {0:?} is not this app's")]
    Bundle(String),
    #[error("appAppleId {0:?} is not this app's")]
    AppAppleId(Option<i64>),
    #[error("environment {got:?} does not match this mode's {want}")]
    Environment { got: String, want: String },
}

impl VerifyError {
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Malformed(_) => "apple_malformed_jws",
            VerifyError::Chain(ChainError::Expired(_)) => "apple_certificate_expired",
            VerifyError::Chain(_) => "apple_invalid_certificate_chain",
            VerifyError::Signature => "apple_invalid_signature",
            VerifyError::Bundle(_) | VerifyError::AppAppleId(_) => "apple_invalid_app_identifier",
            VerifyError::Environment { .. } => "apple_invalid_environment",
        }
    }
}

/// Who the signed data must be for.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    pub roots: &'a [Vec<u8>],
    pub bundle_id: &'a str,
    /// Checked in Production only, as Apple's library does.
    pub app_apple_id: Option<i64>,
    /// `Production` or `Sandbox`.
    pub environment: &'a str,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignedDateOnly {
    signed_date: Option<f64>,
}

/// Verifies signature and chain; returns the payload as `T`. `now` (Unix
/// seconds) is the validity time when the payload carries no `signedDate`.
pub fn verify_jws<T: DeserializeOwned>(jws: &str, roots: &[Vec<u8>], now: i64) -> Result<T, VerifyError> {
    let parsed = CompactJws::parse(jws.trim()).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    let header: JwsHeader =
        serde_json::from_slice(&parsed.header).map_err(|e| VerifyError::Malformed(format!("header: {e}")))?;
    if header.alg != "ES256" {
        return Err(VerifyError::Malformed(format!("alg {:?} is not ES256", header.alg)));
    }
    let x5c = header.x5c.ok_or_else(|| VerifyError::Malformed("no x5c header".into()))?;
    if x5c.len() != 3 {
        return Err(VerifyError::Malformed(format!("x5c has {} certificates, not 3", x5c.len())));
    }
    let der = |s: &str| STANDARD.decode(s).map_err(|_| VerifyError::Malformed("x5c is not base64".into()));
    let (leaf, intermediate) = (der(&x5c[0])?, der(&x5c[1])?);
    let dated: SignedDateOnly =
        serde_json::from_slice(&parsed.payload).map_err(|e| VerifyError::Malformed(format!("payload: {e}")))?;
    // Apple's library (online checks off) validates at signedDate (ms; the
    // Xcode variant writes fractions); without one, at the current time.
    let at = dated.signed_date.map(|ms| (ms / 1000.0) as i64).unwrap_or(now);
    let policy = ChainPolicy { at, leaf_marker: Some(LEAF_MARKER), intermediate_marker: Some(INTERMEDIATE_MARKER) };
    let point = verify_ec_chain(&leaf, &intermediate, roots, policy)?;
    parsed.verify_es256(&point).map_err(|_| VerifyError::Signature)?;
    serde_json::from_slice(&parsed.payload).map_err(|e| VerifyError::Malformed(format!("payload: {e}")))
}

fn check_environment(got: Option<&str>, want: &str) -> Result<(), VerifyError> {
    match got {
        Some(g) if g == want => Ok(()),
        other => Err(VerifyError::Environment { got: other.unwrap_or("").to_owned(), want: want.to_owned() }),
    }
}

/// A signed transaction (StoreKit 2 `jwsRepresentation`, or the lookup's
/// `signedTransactionInfo`), verified and checked against the app.
pub fn verify_transaction(jws: &str, expect: Expect<'_>, now: i64) -> Result<Transaction, VerifyError> {
    let p: TransactionPayload = verify_jws(jws, expect.roots, now)?;
    if p.bundle_id.as_deref() != Some(expect.bundle_id) {
        return Err(VerifyError::Bundle(p.bundle_id.unwrap_or_default()));
    }
    check_environment(p.environment.as_deref(), expect.environment)?;
    Transaction::try_from(p).map_err(|e| VerifyError::Malformed(e.to_string()))
}

/// A notification's `signedPayload`, verified and checked against the app.
pub fn verify_notification(jws: &str, expect: Expect<'_>, now: i64) -> Result<NotificationPayload, VerifyError> {
    let n: NotificationPayload = verify_jws(jws, expect.roots, now)?;
    let data = n.data.as_ref().ok_or_else(|| VerifyError::Malformed("notification has no data".into()))?;
    if data.bundle_id.as_deref() != Some(expect.bundle_id) {
        return Err(VerifyError::Bundle(data.bundle_id.clone().unwrap_or_default()));
    }
    if expect.environment == "Production" && (expect.app_apple_id.is_none() || data.app_apple_id != expect.app_apple_id)
    {
        return Err(VerifyError::AppAppleId(data.app_apple_id));
    }
    check_environment(data.environment.as_deref(), expect.environment)?;
    Ok(n)
}

impl From<VerifyError> for ChannelError {
    /// For charge creation: the tenant presented data Apple did not sign
    /// for this app, a client error (402 `channel_error` with the code).
    fn from(e: VerifyError) -> Self {
        ChannelError::Refused { code: e.code().to_owned(), message: e.to_string() }
    }
}
