//! An endpoint's signing secrets, sealed at rest and bound to the endpoint.

use unicharge_crypto::{SealError, SecretSealer};

/// One signing secret; `expires` is set on a secret rotated out, which keeps
/// signing until then so receivers can switch without dropping webhooks.
#[derive(Clone)]
pub struct SigningSecret {
    pub secret: String,
    pub expires: Option<i64>,
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningSecret(whsec_…, expires {:?})", self.expires)
    }
}

fn aad(endpoint_id: &str) -> String {
    format!("webhook_endpoint/{endpoint_id}")
}

pub fn seal_secrets(sealer: &SecretSealer, endpoint_id: &str, secrets: &[SigningSecret]) -> String {
    let v: Vec<serde_json::Value> =
        secrets.iter().map(|s| serde_json::json!({"secret": s.secret, "expires": s.expires})).collect();
    sealer.seal(serde_json::Value::Array(v).to_string().as_bytes(), &aad(endpoint_id))
}

pub fn open_secrets(sealer: &SecretSealer, endpoint_id: &str, sealed: &str) -> Result<Vec<SigningSecret>, SealError> {
    let plain = sealer.open(sealed, &aad(endpoint_id))?;
    let v: Vec<serde_json::Value> = serde_json::from_slice(&plain).map_err(|_| SealError::Malformed)?;
    Ok(v.iter()
        .filter_map(|s| {
            Some(SigningSecret { secret: s.get("secret")?.as_str()?.to_owned(), expires: s.get("expires")?.as_i64() })
        })
        .collect())
}

/// The secrets that still sign at `now`, newest first.
pub fn active(secrets: &[SigningSecret], now: i64) -> Vec<&str> {
    secrets.iter().filter(|s| s.expires.is_none_or(|e| e > now)).map(|s| s.secret.as_str()).collect()
}
