//! The Apple sandbox's "App Store Connect": which in-app purchase keys exist
//! (key id → issuer and public key). Kept in the settings table so every
//! node's sandbox accepts every app's bearer tokens. Only public halves are
//! stored, so nothing here is sealed.

use serde::{Deserialize, Serialize};
use unicharge_sandboxes::apple::{ApiKeyDirectory, SandboxApiKey};
use unicharge_store::{Store, StoreError};

fn setting_name(key_id: &str) -> String {
    format!("sandbox.apple.key.{key_id}")
}

#[derive(Serialize, Deserialize)]
struct Stored {
    issuer_id: String,
    public_key_pem: String,
}

pub struct StoredAppleKeys {
    store: Store,
}

impl StoredAppleKeys {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Registers a key. Key ids are random, so an existing entry means the
    /// same registration replayed; it is kept.
    pub async fn register(&self, key_id: &str, key: &SandboxApiKey) -> Result<(), StoreError> {
        let value = Stored { issuer_id: key.issuer_id.clone(), public_key_pem: key.public_key_pem.clone() };
        let json = serde_json::to_string(&value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store.get_or_init_setting(&setting_name(key_id), &json).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ApiKeyDirectory for StoredAppleKeys {
    async fn key(&self, key_id: &str) -> Option<SandboxApiKey> {
        let raw = match self.store.get_setting(&setting_name(key_id)).await {
            Ok(raw) => raw?,
            Err(e) => {
                tracing::warn!(key_id, error = %e, "sandbox Apple key lookup failed");
                return None;
            }
        };
        let s: Stored = serde_json::from_str(&raw).ok()?;
        Some(SandboxApiKey { issuer_id: s.issuer_id, public_key_pem: s.public_key_pem })
    }
}
