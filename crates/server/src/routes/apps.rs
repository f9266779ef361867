//! Channel configuration per app and mode: `PUT /v1/apps/{id}/channels/{channel}`.
//! The key's mode chooses which configuration is set: a test key configures
//! test mode, a live key live mode.

use crate::auth::{authorize_app, now, Authed};
use crate::body::{parse_object, read_limited};
use crate::channel_settings::{render, seal_config, Target};
use crate::state::AppState;
use crate::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;
use unicharge_domain::{ChannelCode, ParamError};

pub async fn put_channel(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(payload, state.settings.body_limit).await?;
    let app = authorize_app(&state, &who, &path.0, &req, &body).await?;
    let fields = parse_object(&req, &body)?;
    let (row, specs) = save_channel(&state, &app.id, who.mode, &path.1, &fields).await?;
    Ok(HttpResponse::Ok().json(render(&row, specs)))
}

/// Validates, seals and stores a channel configuration (shared with the
/// dashboard). `channel` may be a product code: `alipay_qr` sets `alipay`.
pub(crate) async fn save_channel(
    state: &AppState,
    app_id: &str,
    mode: unicharge_domain::Mode,
    channel: &str,
    fields: &serde_json::Map<String, Value>,
) -> Result<(unicharge_store::ChannelConfigRow, &'static [unicharge_channels::ParamSpec]), ApiError> {
    // One configuration serves all of a provider's products: setting
    // `alipay_qr` sets `alipay`.
    let channel = ChannelCode::parse(channel)?.config_code();
    if !channel.available_in(mode) {
        return Err(ParamError::unsupported(
            "channel",
            format!("{} is not available in {} mode", channel.as_str(), mode.as_str()),
        )
        .into());
    }
    let params = match fields.get("params") {
        Some(Value::Object(m)) => m.clone(),
        None => return Err(ParamError::missing("params").into()),
        Some(_) => return Err(ParamError::invalid("params", "must be an object").into()),
    };
    let enabled = match fields.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => return Err(ParamError::invalid("enabled", "must be a boolean").into()),
    };
    let specs = state.channels.get(channel).params();
    let mut params = params;
    keep_stored_secrets(state, app_id, mode, channel, specs, &mut params).await?;
    let row = seal_config(&state.sealer, specs, Target { app_id, mode, channel }, &params, enabled, now())?;
    crate::channel_settings::register_apple_sandbox_key(state, mode, channel, &params).await?;
    crate::channel_settings::save(state, &row).await?;
    tracing::info!(app = %app_id, channel = channel.as_str(), mode = mode.as_str(), "channel configuration updated");
    Ok((row, specs))
}

pub async fn list_channels(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let app = authorize_app(&state, &who, &path, &req, b"").await?;
    let rows = state.store.list_channel_configs(&app.id).await?;
    let data: Vec<Value> = rows
        .iter()
        .filter(|r| r.mode == who.mode.as_str())
        .filter_map(|r| ChannelCode::parse(&r.channel).ok().map(|c| render(r, state.channels.get(c).params())))
        .collect();
    Ok(HttpResponse::Ok().json(crate::render::list(&format!("/v1/apps/{}/channels", app.id), false, data)))
}

/// Secrets are never shown, so a client cannot send them back: a secret
/// left out of a PUT keeps its stored value. Changing `seller_id`, or moving
/// a test-mode WeChat Pay configuration to `api_version=v2`, then needs no
/// key re-uploaded.
async fn keep_stored_secrets(
    state: &AppState,
    app_id: &str,
    mode: unicharge_domain::Mode,
    channel: ChannelCode,
    specs: &[unicharge_channels::ParamSpec],
    params: &mut serde_json::Map<String, Value>,
) -> Result<(), ApiError> {
    let Some(row) = state.store.get_channel_config(app_id, mode.as_str(), channel.as_str()).await? else {
        return Ok(());
    };
    let stored = crate::channel_settings::open_config(&state.sealer, &row)?;
    for spec in specs.iter().filter(|s| s.secret) {
        if params.contains_key(spec.name) {
            continue;
        }
        if let Ok(v) = stored.require_secret(spec.name) {
            params.insert(spec.name.to_owned(), Value::String(v.to_owned()));
        }
    }
    Ok(())
}
