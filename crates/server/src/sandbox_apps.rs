//! The Alipay sandbox's "open platform console": which app ids exist and the
//! application public key each uploaded. Kept in the settings table so every
//! node's sandbox sees the same apps; the keys are public, so nothing here
//! needs sealing.

use serde::{Deserialize, Serialize};
use unicharge_sandboxes::alipay::{AppDirectory, SandboxApp};
use unicharge_store::Store;

fn setting_name(app_id: &str) -> String {
    format!("sandbox.alipay.app.{app_id}")
}

#[derive(Serialize, Deserialize)]
struct Stored {
    app_public_key_pem: String,
    seller_id: String,
}

pub struct StoredAlipayApps {
    store: Store,
}

impl StoredAlipayApps {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Registers an app with the sandbox. App ids are random, so an existing
    /// entry means the same registration replayed; it is kept as it was.
    pub async fn register(&self, app_id: &str, app: &SandboxApp) -> Result<(), unicharge_store::StoreError> {
        let value = Stored { app_public_key_pem: app.app_public_key_pem.clone(), seller_id: app.seller_id.clone() };
        let json = serde_json::to_string(&value).map_err(|e| unicharge_store::StoreError::Corrupt(e.to_string()))?;
        self.store.get_or_init_setting(&setting_name(app_id), &json).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl AppDirectory for StoredAlipayApps {
    async fn app(&self, app_id: &str) -> Option<SandboxApp> {
        let raw = match self.store.get_setting(&setting_name(app_id)).await {
            Ok(raw) => raw?,
            Err(e) => {
                tracing::warn!(app_id, error = %e, "sandbox app lookup failed");
                return None;
            }
        };
        match serde_json::from_str::<Stored>(&raw) {
            Ok(s) => Some(SandboxApp { app_public_key_pem: s.app_public_key_pem, seller_id: s.seller_id }),
            Err(e) => {
                tracing::warn!(app_id, error = %e, "sandbox app entry is corrupt");
                None
            }
        }
    }
}
