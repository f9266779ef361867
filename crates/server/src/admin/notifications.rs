//! Keeps the raw notifications the dashboard shows on a charge's page.
//! Only notifications that verified and named a known charge of the app in
//! the URL are kept: anyone can POST to `/notify/...`, and unverified junk
//! must not fill the database.

use crate::auth::now;
use crate::state::AppState;
use serde_json::{Map, Value};
use unicharge_channels::RawNotify;
use unicharge_domain::{ChannelCode, Mode};
use unicharge_store::notifications::NotificationRow;

/// Bodies are cut here; providers' notifications are a few KiB.
pub const MAX_BODY: usize = 64 * 1024;

/// Headers that could carry a credential are not stored.
fn keep_header(name: &str) -> bool {
    !matches!(name, "authorization" | "cookie" | "proxy-authorization")
}

/// Records one notification after it was handled. Never fails the
/// notification: a storage error is logged and the provider still gets its
/// acknowledgement.
pub async fn record(
    state: &AppState,
    channel: ChannelCode,
    app_id: &str,
    mode: &str,
    raw: &RawNotify,
    about: (Option<&str>, Option<&str>),
    result: &Result<(), String>,
) {
    let (Some(charge_id), refund_id) = about else { return };
    let Some(mode) = Mode::parse(mode) else { return };
    let headers: Map<String, Value> = raw
        .headers
        .iter()
        .filter(|(k, _)| keep_header(&k.to_ascii_lowercase()))
        .map(|(k, v)| (k.to_ascii_lowercase(), Value::String(v.clone())))
        .collect();
    let truncated = raw.body.len() > MAX_BODY;
    let body = String::from_utf8_lossy(&raw.body[..raw.body.len().min(MAX_BODY)]).into_owned();
    let row = NotificationRow {
        seq: 0,
        id: format!("ntf_{}", unicharge_domain::ids::random_alnum(24)),
        app_id: app_id.to_owned(),
        livemode: mode.is_live(),
        channel: channel.as_str().to_owned(),
        charge_id: Some(charge_id.to_owned()),
        refund_id: refund_id.map(str::to_owned),
        received: now(),
        outcome: if result.is_ok() { "accepted" } else { "rejected" }.to_owned(),
        reason: result.as_ref().err().cloned(),
        content_type: raw.content_type.clone(),
        headers: Value::Object(headers).to_string(),
        body,
        body_truncated: truncated,
    };
    if let Err(e) = state.store.insert_notification(&row).await {
        tracing::warn!(error = %e, charge = charge_id, "could not keep the raw notification");
    }
}
