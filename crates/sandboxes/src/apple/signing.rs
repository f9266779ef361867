//! The sandbox's signing identities: a leaf key and its `x5c` chain.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use unicharge_crypto::{pem_certificates, Es256Signer};

#[derive(Debug, thiserror::Error)]
#[error("sandbox signing fixture unusable: {0}")]
pub struct SigningError(String);

/// Which chain signs: the trusted one, or a negative-test variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainKind {
    Valid,
    /// A chain of an unrelated CA of the same shape.
    UntrustedCa,
    /// A leaf under the trusted intermediate that expired 2025-01-01.
    Expired,
}

pub struct Chain {
    signer: Es256Signer,
    x5c: Vec<String>,
}

fn der(pem_text: &str) -> Result<String, SigningError> {
    let ders = pem_certificates(pem_text).map_err(|e| SigningError(e.to_string()))?;
    Ok(STANDARD.encode(&ders[0]))
}

impl Chain {
    pub fn load(kind: ChainKind) -> Result<Self, SigningError> {
        let (key, leaf, inter, root) = match kind {
            ChainKind::Valid => (
                include_str!("certs/leaf_key.pem"),
                include_str!("certs/leaf.pem"),
                include_str!("certs/intermediate.pem"),
                include_str!("certs/root.pem"),
            ),
            ChainKind::UntrustedCa => (
                include_str!("certs/other_leaf_key.pem"),
                include_str!("certs/other_leaf.pem"),
                include_str!("certs/other_intermediate.pem"),
                include_str!("certs/other_root.pem"),
            ),
            ChainKind::Expired => (
                include_str!("certs/expired_leaf_key.pem"),
                include_str!("certs/expired_leaf.pem"),
                include_str!("certs/intermediate.pem"),
                include_str!("certs/root.pem"),
            ),
        };
        Ok(Self {
            signer: Es256Signer::from_pem(key).map_err(|e| SigningError(e.to_string()))?,
            x5c: vec![der(leaf)?, der(inter)?, der(root)?],
        })
    }

    /// A compact JWS as Apple writes one: header `{alg: ES256, x5c}`.
    pub fn sign(&self, payload: &Value) -> Result<String, SigningError> {
        let header = json!({ "alg": "ES256", "x5c": self.x5c });
        self.signer.sign_compact(&header.to_string(), &payload.to_string()).map_err(|e| SigningError(e.to_string()))
    }
}
