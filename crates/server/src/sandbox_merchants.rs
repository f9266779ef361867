//! The WeChat Pay sandbox's "merchant platform": which mchids exist, the
//! merchant API public key and serial each registered, its keys and bound
//! app ids. Kept in the settings table so every node's sandbox sees the same
//! merchants. The APIv3 and v2 API keys are symmetric secrets, so they are
//! sealed (AES-256-GCM, bound to the setting's name); the public key and
//! serial are stored in the clear.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use unicharge_crypto::SecretSealer;
use unicharge_sandboxes::wechat::{MerchantDirectory, PlatformKeyMode, SandboxMerchant};
use unicharge_store::{Store, StoreError};

fn setting_name(mchid: &str) -> String {
    format!("sandbox.wechat.mch.{mchid}")
}

#[derive(Serialize, Deserialize)]
struct Stored {
    merchant_public_key_pem: String,
    merchant_serial_no: String,
    appids: Vec<String>,
    /// `certificate` or `public_key`.
    platform_key_mode: String,
    /// The sealed JSON of [`Secrets`].
    sealed_keys: String,
}

#[derive(Serialize, Deserialize)]
struct Secrets {
    apiv3_key: String,
    api_key: String,
}

fn mode_name(m: PlatformKeyMode) -> &'static str {
    match m {
        PlatformKeyMode::Certificate => "certificate",
        PlatformKeyMode::PublicKey => "public_key",
    }
}

fn parse_mode(s: &str) -> Option<PlatformKeyMode> {
    match s {
        "certificate" => Some(PlatformKeyMode::Certificate),
        "public_key" => Some(PlatformKeyMode::PublicKey),
        _ => None,
    }
}

pub struct StoredWechatMerchants {
    store: Store,
    sealer: Arc<SecretSealer>,
}

impl StoredWechatMerchants {
    pub fn new(store: Store, sealer: Arc<SecretSealer>) -> Self {
        Self { store, sealer }
    }

    /// Registers a merchant with the sandbox. Merchant ids are random, so an
    /// existing entry means the same registration replayed; it is kept.
    pub async fn register(&self, mchid: &str, m: &SandboxMerchant) -> Result<(), StoreError> {
        let name = setting_name(mchid);
        let secrets = Secrets {
            apiv3_key: m.apiv3_key.expose_secret().to_owned(),
            api_key: m.api_key.expose_secret().to_owned(),
        };
        let secrets = serde_json::to_vec(&secrets).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let value = Stored {
            merchant_public_key_pem: m.merchant_public_key_pem.clone(),
            merchant_serial_no: m.merchant_serial_no.clone(),
            appids: m.appids.clone(),
            platform_key_mode: mode_name(m.platform_key_mode).to_owned(),
            sealed_keys: self.sealer.seal(&secrets, &name),
        };
        let json = serde_json::to_string(&value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store.get_or_init_setting(&name, &json).await?;
        Ok(())
    }

    fn decode(&self, name: &str, raw: &str) -> Result<SandboxMerchant, String> {
        let s: Stored = serde_json::from_str(raw).map_err(|e| e.to_string())?;
        let plain = self.sealer.open(&s.sealed_keys, name).map_err(|e| e.to_string())?;
        let keys: Secrets = serde_json::from_slice(&plain).map_err(|e| e.to_string())?;
        let platform_key_mode =
            parse_mode(&s.platform_key_mode).ok_or_else(|| format!("platform_key_mode {:?}", s.platform_key_mode))?;
        Ok(SandboxMerchant {
            merchant_public_key_pem: s.merchant_public_key_pem,
            merchant_serial_no: s.merchant_serial_no,
            apiv3_key: SecretString::from(keys.apiv3_key),
            api_key: SecretString::from(keys.api_key),
            appids: s.appids,
            platform_key_mode,
        })
    }
}

#[async_trait::async_trait]
impl MerchantDirectory for StoredWechatMerchants {
    async fn merchant(&self, mchid: &str) -> Option<SandboxMerchant> {
        let name = setting_name(mchid);
        let raw = match self.store.get_setting(&name).await {
            Ok(raw) => raw?,
            Err(e) => {
                tracing::warn!(mchid, error = %e, "sandbox WeChat merchant lookup failed");
                return None;
            }
        };
        match self.decode(&name, &raw) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!(mchid, error = %e, "sandbox WeChat merchant entry is unusable");
                None
            }
        }
    }
}

fn unionpay_setting(mer_id: &str) -> String {
    format!("sandbox.unionpay.mer.{mer_id}")
}

/// The UnionPay sandbox's merchants: each merId's signing certificate
/// (public, so stored in the clear), shared by every node.
pub struct StoredUnionpayMerchants {
    store: Store,
}

impl StoredUnionpayMerchants {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// merIds are random, so an existing entry is the same registration.
    pub async fn register(&self, mer_id: &str, cert_pem: &str) -> Result<(), StoreError> {
        self.store.get_or_init_setting(&unionpay_setting(mer_id), cert_pem).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl unicharge_sandboxes::unionpay::MerchantDirectory for StoredUnionpayMerchants {
    async fn merchant_certificate(&self, mer_id: &str) -> Option<String> {
        match self.store.get_setting(&unionpay_setting(mer_id)).await {
            Ok(cert) => cert,
            Err(e) => {
                tracing::warn!(mer_id, error = %e, "sandbox UnionPay merchant lookup failed");
                None
            }
        }
    }
}
