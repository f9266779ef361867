//! Per-app channel configuration: validated against the channel's parameter
//! list, secrets sealed with AES-256-GCM bound to their row.

use crate::state::AppState;
use crate::ApiError;
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use unicharge_channels::{ChannelConfig, ParamSpec};
use unicharge_crypto::SecretSealer;
use unicharge_domain::{ChannelCode, Mode, ParamError};
use unicharge_store::ChannelConfigRow;

fn aad(app_id: &str, mode: Mode, channel: ChannelCode) -> String {
    format!("{app_id}/{}/{}", mode.as_str(), channel.as_str())
}

/// Which configuration: an app's channel in one mode.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub app_id: &'a str,
    pub mode: Mode,
    pub channel: ChannelCode,
}

/// Splits and checks `params`, sealing the secret ones. Unknown names are
/// refused so a typo cannot silently leave a channel half-configured.
pub fn seal_config(
    sealer: &SecretSealer,
    specs: &[ParamSpec],
    target: Target<'_>,
    params: &Map<String, Value>,
    enabled: bool,
    now: i64,
) -> Result<ChannelConfigRow, ParamError> {
    let mut plain = Map::new();
    let mut secret = Map::new();
    for (name, v) in params {
        let spec = specs
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| ParamError::unsupported(&format!("params[{name}]"), "not a parameter of this channel"))?;
        let Value::String(s) = v else {
            return Err(ParamError::invalid(&format!("params[{name}]"), "must be a string"));
        };
        if spec.secret {
            secret.insert(name.clone(), json!(s));
        } else {
            plain.insert(name.clone(), json!(s));
        }
    }
    for spec in specs.iter().filter(|s| s.required) {
        if !params.contains_key(spec.name) {
            return Err(ParamError::missing(&format!("params[{}]", spec.name)));
        }
    }
    let Target { app_id, mode, channel } = target;
    let sealed = sealer.seal(Value::Object(secret).to_string().as_bytes(), &aad(app_id, mode, channel));
    Ok(ChannelConfigRow {
        app_id: app_id.to_owned(),
        mode: mode.as_str().to_owned(),
        channel: channel.as_str().to_owned(),
        params: Value::Object(plain).to_string(),
        sealed_secrets: sealed,
        enabled,
        updated: now,
    })
}

pub fn open_config(sealer: &SecretSealer, row: &ChannelConfigRow) -> Result<ChannelConfig, ApiError> {
    let mode = Mode::parse(&row.mode).ok_or_else(|| ApiError::internal("bad mode in channel_configs"))?;
    let channel = ChannelCode::parse(&row.channel).map_err(|_| ApiError::internal("bad channel in channel_configs"))?;
    let params: Map<String, Value> = serde_json::from_str(&row.params).map_err(ApiError::internal)?;
    let plain = sealer.open(&row.sealed_secrets, &aad(&row.app_id, mode, channel)).map_err(ApiError::internal)?;
    let raw: BTreeMap<String, String> = serde_json::from_slice(&plain).map_err(ApiError::internal)?;
    let secrets = raw.into_iter().map(|(k, v)| (k, SecretString::from(v))).collect();
    Ok(ChannelConfig { params, secrets })
}

/// The enabled configuration of a channel for an app and mode, if any.
/// Decrypted configurations are cached briefly: charge creation is hot, and
/// changes through the API or CLI invalidate the entry on this node.
pub async fn load(
    state: &AppState,
    app_id: &str,
    mode: Mode,
    channel: ChannelCode,
) -> Result<Option<Arc<ChannelConfig>>, ApiError> {
    // The products of one provider (alipay_qr, alipay_wap, …) share its
    // configuration.
    let channel = channel.config_code();
    let cache_key = format!("{app_id}/{}/{}", mode.as_str(), channel.as_str());
    if let Some(c) = state.channel_configs.get(&cache_key) {
        return Ok(Some(c));
    }
    match state.store.get_channel_config(app_id, mode.as_str(), channel.as_str()).await? {
        Some(row) if row.enabled => {
            let cfg = Arc::new(open_config(&state.sealer, &row)?);
            state.channel_configs.put(&cache_key, cfg.clone());
            Ok(Some(cfg))
        }
        Some(_) | None => Ok(None),
    }
}

/// Stores a configuration and drops this node's cached copy.
pub async fn save(state: &AppState, row: &ChannelConfigRow) -> Result<(), ApiError> {
    state.store.upsert_channel_config(row).await?;
    state.forget_channel_config(&row.app_id, &row.mode, &row.channel);
    Ok(())
}

/// What the API shows of a configuration: never the secrets, only their names.
pub fn render(row: &ChannelConfigRow, specs: &[ParamSpec]) -> Value {
    let params: Value = serde_json::from_str(&row.params).unwrap_or_else(|_| json!({}));
    let secrets: Vec<&str> = specs.iter().filter(|s| s.secret).map(|s| s.name).collect();
    json!({
        "object": "channel_config",
        "app": row.app_id,
        "channel": row.channel,
        "livemode": row.mode == "live",
        "enabled": row.enabled,
        "params": params,
        "secret_params": secrets,
        "updated": row.updated,
    })
}

/// Gives an app a sandbox merchant account in test mode, so a new user can
/// pay a test charge without configuring anything.
pub async fn provision_sandbox(state: &AppState, app_id: &str, now: i64) -> Result<(), ApiError> {
    let (mch_id, key) = state.sandbox.issue_merchant();
    let mut params = Map::new();
    params.insert("mch_id".into(), json!(mch_id));
    params.insert("key".into(), json!(key));
    let row = seal_config(
        &state.sealer,
        unicharge_channels::sandbox::PARAMS,
        Target { app_id, mode: Mode::Test, channel: ChannelCode::Sandbox },
        &params,
        true,
        now,
    )?;
    save(state, &row).await
}

/// Gives an app a test-mode Alipay account on the built-in Alipay sandbox,
/// the way a merchant sets one up on Alipay's open platform: a new app id, an
/// application key pair whose public half is uploaded to the platform, and
/// the platform's public key in return. Every Alipay product then works in
/// test mode with no setup.
pub async fn provision_alipay_sandbox(state: &AppState, app_id: &str, now: i64) -> Result<(), ApiError> {
    let app_key = unicharge_crypto::generate_rsa_2048_pkcs8_pem().map_err(ApiError::internal)?;
    let app_public =
        unicharge_crypto::RsaSigner::parse(&app_key).and_then(|k| k.public_key_pem()).map_err(ApiError::internal)?;
    let alipay_app_id = unicharge_sandboxes::alipay::new_app_id();
    let seller_id = unicharge_sandboxes::alipay::new_user_id();
    let sandbox_app =
        unicharge_sandboxes::alipay::SandboxApp { app_public_key_pem: app_public, seller_id: seller_id.clone() };
    state.alipay_apps.register(&alipay_app_id, &sandbox_app).await?;
    let mut params = Map::new();
    params.insert("app_id".into(), json!(alipay_app_id));
    params.insert("app_private_key".into(), json!(app_key));
    params.insert("alipay_public_key".into(), json!(state.alipay_sandbox.alipay_public_key_pem()));
    params.insert("seller_id".into(), json!(seller_id));
    let row = seal_config(
        &state.sealer,
        unicharge_channels::alipay::PARAMS,
        Target { app_id, mode: Mode::Test, channel: ChannelCode::Alipay },
        &params,
        true,
        now,
    )?;
    save(state, &row).await
}

/// Gives an app a test-mode WeChat Pay merchant on the built-in WeChat Pay
/// sandbox, as WeChat's merchant platform issues one: a merchant id bound to
/// a new app id, a merchant API key pair whose public half and serial the
/// platform records, an APIv3 key and a v2 API key. The configuration uses
/// APIv3 in certificate mode, so the adapter downloads the sandbox's
/// platform certificate from `/v3/certificates` like a real merchant. The v2
/// API key is kept (sealed) in the configuration too, for switching the app
/// to `api_version=v2` against the same merchant, and so is the merchant API
/// certificate the sandbox's CA issues over the merchant key (`client_cert`,
/// with the key as `client_key`), which v2 refunds and reversals present
/// over mutual TLS.
pub async fn provision_wechat_sandbox(state: &AppState, app_id: &str, now: i64) -> Result<(), ApiError> {
    let merchant_key = unicharge_crypto::generate_rsa_2048_pkcs8_pem().map_err(ApiError::internal)?;
    let merchant_public = unicharge_crypto::RsaSigner::parse(&merchant_key)
        .and_then(|k| k.public_key_pem())
        .map_err(ApiError::internal)?;
    let mchid = unicharge_sandboxes::wechat::new_mchid();
    let appid = unicharge_sandboxes::wechat::new_appid();
    // Certificate serials are 40 upper-case hex digits; the keys 32
    // characters, here 128 random bits in hex.
    let serial = hex::encode_upper(unicharge_crypto::random_bytes(20));
    let apiv3_key = hex::encode(unicharge_crypto::random_bytes(16));
    let api_key = hex::encode(unicharge_crypto::random_bytes(16));
    let merchant = unicharge_sandboxes::wechat::SandboxMerchant {
        merchant_public_key_pem: merchant_public,
        merchant_serial_no: serial.clone(),
        apiv3_key: SecretString::from(apiv3_key.clone()),
        api_key: SecretString::from(api_key.clone()),
        appids: vec![appid.clone()],
        platform_key_mode: unicharge_sandboxes::wechat::PlatformKeyMode::Certificate,
    };
    state.wechat_merchants.register(&mchid, &merchant).await?;
    let client_cert =
        state.wechat_sandbox.issue_merchant_certificate(&mchid, &serial, &merchant_key).map_err(ApiError::internal)?;
    let mut params = Map::new();
    params.insert("api_version".into(), json!("v3"));
    params.insert("mchid".into(), json!(mchid));
    params.insert("appid".into(), json!(appid));
    params.insert("merchant_private_key".into(), json!(&merchant_key));
    params.insert("merchant_serial_no".into(), json!(serial));
    params.insert("apiv3_key".into(), json!(apiv3_key));
    params.insert("api_key".into(), json!(api_key));
    params.insert("client_cert".into(), json!(client_cert));
    params.insert("client_key".into(), json!(merchant_key));
    let row = seal_config(
        &state.sealer,
        unicharge_channels::wechat::PARAMS,
        Target { app_id, mode: Mode::Test, channel: ChannelCode::Wx },
        &params,
        true,
        now,
    )?;
    save(state, &row).await
}

/// Gives an app a test-mode UnionPay merchant on the built-in UnionPay
/// sandbox, as UnionPay onboards one: a merId, a signing key pair whose
/// certificate the sandbox's CA issues (its serial is the certId), handed
/// over as a password-protected PKCS#12 file like `acp_sign.pfx`. The
/// sandbox's root and middle certificates are the test-mode defaults.
pub async fn provision_unionpay_sandbox(state: &AppState, app_id: &str, now: i64) -> Result<(), ApiError> {
    use base64::Engine;
    let key = unicharge_crypto::generate_rsa_2048_pkcs8_pem().map_err(ApiError::internal)?;
    let mer_id = unicharge_sandboxes::unionpay::new_mer_id();
    let cert = state.unionpay_sandbox.issue_merchant_certificate(&mer_id, &key).map_err(ApiError::internal)?;
    state.unionpay_merchants.register(&mer_id, &cert).await?;
    let key_der = pem::parse(&key).map_err(ApiError::internal)?.contents().to_vec();
    let cert_der = unicharge_crypto::certificate_der(&cert).map_err(ApiError::internal)?;
    let password = hex::encode(unicharge_crypto::random_bytes(12));
    let pfx = unicharge_crypto::build_pkcs12(&key_der, &cert_der, &password).map_err(ApiError::internal)?;
    let mut params = Map::new();
    params.insert("mer_id".into(), json!(mer_id));
    params.insert("sign_cert_pfx".into(), json!(base64::engine::general_purpose::STANDARD.encode(pfx)));
    params.insert("sign_cert_password".into(), json!(password));
    let row = seal_config(
        &state.sealer,
        unicharge_channels::unionpay::PARAMS,
        Target { app_id, mode: Mode::Test, channel: ChannelCode::Upacp },
        &params,
        true,
        now,
    )?;
    save(state, &row).await
}

/// The products every test-mode app can buy on the Apple sandbox
/// (productId → price in fen). A tenant replaces the table with its own
/// through `PUT /v1/apps/{id}/channels/apple_iap` (see docs/channels/apple.md).
pub const APPLE_SANDBOX_PRODUCTS: &str = r#"{"coins_6": 600, "coins_30": 3000, "coins_68": 6800}"#;

/// The bundle id of an app's test-mode Apple configuration.
pub fn apple_sandbox_bundle_id(app_id: &str) -> String {
    format!("com.unicharge.sandbox.{}", app_id.trim_start_matches("app_"))
}

/// Gives an app a test-mode Apple in-app purchase configuration on the
/// built-in Apple sandbox, as App Store Connect issues one: an in-app
/// purchase key (a P-256 `.p8` whose public half the sandbox registers,
/// with a key id and issuer id), a bundle id of its own, a demo product
/// table, and the sandbox's root certificate as the trust anchor.
pub async fn provision_apple_sandbox(state: &AppState, app_id: &str, now: i64) -> Result<(), ApiError> {
    let (signer, key_pem) = unicharge_crypto::Es256Signer::generate().map_err(ApiError::internal)?;
    let key_id: String = hex::encode_upper(unicharge_crypto::random_bytes(5));
    let b = unicharge_crypto::random_bytes(16);
    let h = hex::encode(b);
    let issuer_id = format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]);
    let key = unicharge_sandboxes::apple::SandboxApiKey {
        issuer_id: issuer_id.clone(),
        public_key_pem: signer.public_key_pem(),
    };
    state.apple_keys.register(&key_id, &key).await?;
    let mut params = Map::new();
    params.insert("bundle_id".into(), json!(apple_sandbox_bundle_id(app_id)));
    params.insert("issuer_id".into(), json!(issuer_id));
    params.insert("key_id".into(), json!(key_id));
    params.insert("private_key".into(), json!(key_pem));
    params.insert("products".into(), json!(APPLE_SANDBOX_PRODUCTS));
    params.insert("root_cert".into(), json!(state.apple_sandbox.root_pem()));
    let row = seal_config(
        &state.sealer,
        unicharge_channels::apple::PARAMS,
        Target { app_id, mode: Mode::Test, channel: ChannelCode::AppleIap },
        &params,
        true,
        now,
    )?;
    save(state, &row).await
}

/// A test-mode Apple configuration that still talks to the built-in sandbox
/// gets its in-app purchase key registered there, as uploading a key to App
/// Store Connect does; without it the sandbox refuses the key's bearer
/// tokens, and a tenant could never use a key of its own in test mode. A key
/// id keeps its first registration, so one app cannot take over another's.
pub async fn register_apple_sandbox_key(
    state: &AppState,
    mode: Mode,
    channel: ChannelCode,
    params: &Map<String, Value>,
) -> Result<(), ApiError> {
    if channel != ChannelCode::AppleIap || mode != Mode::Test {
        return Ok(());
    }
    let sandbox = format!("{}/sandbox/", state.settings.public_url);
    let text = |name: &str| params.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    if text("api_url").is_some_and(|u| !u.starts_with(&sandbox)) {
        return Ok(());
    }
    let (Some(key_id), Some(issuer_id), Some(pem)) = (text("key_id"), text("issuer_id"), text("private_key")) else {
        return Ok(());
    };
    let signer = unicharge_crypto::Es256Signer::from_pem(pem)
        .map_err(|_| ParamError::invalid("params[private_key]", "is not a P-256 in-app purchase key (.p8 PEM)"))?;
    let key = unicharge_sandboxes::apple::SandboxApiKey {
        issuer_id: issuer_id.to_owned(),
        public_key_pem: signer.public_key_pem(),
    };
    state.apple_keys.register(key_id, &key).await?;
    Ok(())
}
