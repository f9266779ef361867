//! Operator operations shared by the CLI and first start: tenants, apps,
//! API keys. A key's plaintext exists only in the return value here.

use crate::auth::now;
use crate::state::AppState;
use crate::{channel_settings, ApiError};
use secrecy::SecretString;
use unicharge_crypto::RsaPublicKey;
use unicharge_domain::{ids::random_alnum, ApiKeyId, AppId, Mode, TenantId};
use unicharge_store::{ApiKeyRow, AppRow, TenantRow};

pub struct NewKey {
    pub row: ApiKeyRow,
    pub secret: SecretString,
}

pub async fn create_tenant(state: &AppState, name: &str) -> Result<TenantRow, ApiError> {
    Ok(state.store.create_tenant(TenantId::generate().as_str(), name, now()).await?)
}

/// Creates an app with the sandbox channel ready in test mode.
pub async fn create_app(
    state: &AppState,
    tenant_id: &str,
    name: &str,
    rsa_public_key: Option<String>,
) -> Result<AppRow, ApiError> {
    if state.store.get_tenant(tenant_id).await?.is_none() {
        return Err(ApiError::not_found("tenant", tenant_id));
    }
    if let Some(pem) = &rsa_public_key {
        check_public_key(pem)?;
    }
    let row = AppRow {
        id: AppId::generate().into_string(),
        tenant_id: tenant_id.to_owned(),
        name: name.to_owned(),
        rsa_public_key,
        created: now(),
    };
    state.store.create_app(&row).await?;
    channel_settings::provision_sandbox(state, &row.id, row.created).await?;
    channel_settings::provision_alipay_sandbox(state, &row.id, row.created).await?;
    channel_settings::provision_wechat_sandbox(state, &row.id, row.created).await?;
    channel_settings::provision_unionpay_sandbox(state, &row.id, row.created).await?;
    channel_settings::provision_apple_sandbox(state, &row.id, row.created).await?;
    Ok(row)
}

pub fn check_public_key(pem: &str) -> Result<(), ApiError> {
    RsaPublicKey::parse(pem).map(|_| ()).map_err(|e| {
        ApiError::bad("parameter_invalid", format!("Invalid RSA public key: {e}."), Some("rsa_public_key"))
    })
}

pub async fn set_app_public_key(state: &AppState, app_id: &str, pem: Option<String>) -> Result<(), ApiError> {
    if let Some(p) = &pem {
        check_public_key(p)?;
    }
    if !state.store.set_app_public_key(app_id, pem).await? {
        return Err(ApiError::not_found("app", app_id));
    }
    state.forget_app(app_id);
    Ok(())
}

pub async fn create_key(state: &AppState, tenant_id: &str, mode: Mode) -> Result<NewKey, ApiError> {
    if state.store.get_tenant(tenant_id).await?.is_none() {
        return Err(ApiError::not_found("tenant", tenant_id));
    }
    let secret = format!("sk_{}_{}", mode.as_str(), random_alnum(32));
    let hint = format!("{}…{}", &secret[..12], &secret[secret.len() - 4..]);
    let row = ApiKeyRow {
        id: ApiKeyId::generate().into_string(),
        tenant_id: tenant_id.to_owned(),
        mode: mode.as_str().to_owned(),
        key_hash: state.hasher.hash(&secret),
        hint,
        revoked: false,
        created: now(),
    };
    state.store.create_api_key(&row).await?;
    Ok(NewKey { row, secret: SecretString::from(secret) })
}

pub async fn revoke_key(state: &AppState, key_id: &str) -> Result<ApiKeyRow, ApiError> {
    let row = state.store.revoke_api_key(key_id).await?.ok_or_else(|| ApiError::not_found("api_key", key_id))?;
    state.forget_key(&row.key_hash);
    Ok(row)
}

/// Creates a webhook endpoint; the signing secret is returned only here.
pub async fn create_endpoint(
    state: &AppState,
    app_id: &str,
    livemode: bool,
    url: Option<&serde_json::Value>,
    events: Option<&serde_json::Value>,
    description: Option<String>,
) -> Result<(unicharge_store::webhooks::EndpointRow, String), ApiError> {
    create_endpoint_with(state, app_id, livemode, url, events, description, true).await
}

/// As `create_endpoint`, choosing whether deliveries also carry the RSA
/// `X-Pingplusplus-Signature`.
pub async fn create_endpoint_with(
    state: &AppState,
    app_id: &str,
    livemode: bool,
    url: Option<&serde_json::Value>,
    events: Option<&serde_json::Value>,
    description: Option<String>,
    pingpp_signature: bool,
) -> Result<(unicharge_store::webhooks::EndpointRow, String), ApiError> {
    use crate::routes::webhooks::{checked_events, checked_url};
    use unicharge_webhooks::secrets::{seal_secrets, SigningSecret};
    let url = checked_url(state, livemode, url).await?;
    let enabled_events = checked_events(events)?;
    let id = unicharge_domain::ids::WebhookEndpointId::generate().into_string();
    let secret = format!("whsec_{}", random_alnum(32));
    let now = now();
    let row = unicharge_store::webhooks::EndpointRow {
        sealed_secrets: seal_secrets(&state.sealer, &id, &[SigningSecret { secret: secret.clone(), expires: None }]),
        id,
        app_id: app_id.to_owned(),
        livemode,
        url,
        enabled_events,
        enabled: true,
        description,
        created: now,
        updated: now,
        pingpp_signature,
    };
    state.store.create_endpoint(&row).await?;
    Ok((row, secret))
}

pub fn render_endpoint(row: &unicharge_store::webhooks::EndpointRow, secret: Option<&str>) -> serde_json::Value {
    crate::routes::webhooks::render(row, secret)
}
