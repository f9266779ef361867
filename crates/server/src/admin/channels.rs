//! Channel configuration per app and mode, masked: a secret is shown only as
//! "set" plus a keyed fingerprint, never its value.

use super::error::AdminResult;
use super::scope::{owned_app, Params};
use super::session::Admin;
use crate::body::{parse_object, read_limited};
use crate::channel_settings::open_config;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};
use unicharge_domain::{ChannelCode, Mode};
use unicharge_store::ChannelConfigRow;

/// The provider configurations (`sandbox`, `alipay`, `wx`), each with the
/// product codes it serves.
fn configurations() -> Vec<(ChannelCode, Vec<&'static str>)> {
    let mut out: Vec<(ChannelCode, Vec<&'static str>)> = Vec::new();
    for c in ChannelCode::ALL {
        let cfg = c.config_code();
        match out.iter_mut().find(|(k, _)| *k == cfg) {
            Some((_, products)) => products.push(c.as_str()),
            None => out.push((cfg, vec![c.as_str()])),
        }
    }
    out
}

/// Tells "the same key" from "a new key" without revealing anything: an
/// HMAC under the server's key, so it cannot be brute-forced offline.
fn fingerprint(state: &AppState, value: &str) -> String {
    let h = state.hasher.hash(&format!("channel-secret-fingerprint:{value}"));
    h[..12.min(h.len())].to_owned()
}

fn render(
    state: &AppState,
    app_id: &str,
    mode: Mode,
    code: ChannelCode,
    products: &[&str],
    row: Option<&ChannelConfigRow>,
) -> AdminResult<Value> {
    let specs = state.channels.get(code).params();
    let opened = match row {
        Some(r) => Some(open_config(&state.sealer, r)?),
        None => None,
    };
    let mut secrets = Map::new();
    for s in specs.iter().filter(|s| s.secret) {
        let v = opened.as_ref().and_then(|c| c.secrets.get(s.name)).map(|v| v.expose_secret().to_owned());
        let entry = match v.filter(|v| !v.is_empty()) {
            Some(v) => json!({ "set": true, "fingerprint": fingerprint(state, &v) }),
            None => json!({ "set": false, "fingerprint": null }),
        };
        secrets.insert(s.name.to_owned(), entry);
    }
    let specs_json: Vec<Value> = specs
        .iter()
        .map(|s| json!({ "name": s.name, "required": s.required, "secret": s.secret, "doc": s.doc }))
        .collect();
    Ok(json!({
        "object": "channel_config",
        "app": app_id,
        "channel": code.as_str(),
        "livemode": mode.is_live(),
        "products": products,
        "available": code.available_in(mode),
        "configured": row.is_some(),
        "enabled": row.is_some_and(|r| r.enabled),
        "updated": row.map(|r| r.updated),
        "params": opened.map(|c| Value::Object(c.params)).unwrap_or_else(|| json!({})),
        "secrets": secrets,
        "param_specs": specs_json,
    }))
}

pub async fn list(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    path: web::Path<String>,
) -> AdminResult<HttpResponse> {
    let mode = Params::parse(req.query_string())?.mode()?;
    let app = owned_app(&state, &who, &path).await?;
    let rows = state.store.list_channel_configs(&app.id).await?;
    let mut data = Vec::new();
    for (code, products) in configurations() {
        let row = rows.iter().find(|r| r.mode == mode.as_str() && r.channel == code.as_str());
        data.push(render(&state, &app.id, mode, code, &products, row)?);
    }
    let url = format!("/admin/api/apps/{}/channels", app.id);
    Ok(HttpResponse::Ok().json(crate::render::list(&url, false, data)))
}

pub async fn put(
    state: web::Data<AppState>,
    who: Admin,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    let mode = Params::parse(req.query_string())?.mode()?;
    let body = read_limited(payload, state.settings.body_limit).await?;
    let app = owned_app(&state, &who, &path.0).await?;
    let fields = parse_object(&req, &body)?;
    let (row, _) = crate::routes::apps::save_channel(&state, &app.id, mode, &path.1, &fields).await?;
    tracing::info!(app = %app.id, channel = %row.channel, user = %who.user.id, "channel configured from the dashboard");
    let code = ChannelCode::parse(&row.channel)?;
    let products = configurations().into_iter().find(|(c, _)| *c == code).map(|(_, p)| p).unwrap_or_default();
    Ok(HttpResponse::Ok().json(render(&state, &app.id, mode, code, &products, Some(&row))?))
}
