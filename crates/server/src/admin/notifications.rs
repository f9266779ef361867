//! Keeps the raw notifications the dashboard shows on a charge's page.
//! Only notifications that verified and named a known charge of the app in
//! the URL are kept: anyone can POST to `/notify/...`, and unverified junk
//! must not fill the database.
//!
//! Writing them is off the notification's path: rows go to a queue that one
//! task drains in multi-row inserts, so a busy provider's notifications cost
//! the database one statement per batch, not one per notification, and the
//! acknowledgement never waits for the record.

use crate::auth::now;
use crate::state::AppState;
use serde_json::{Map, Value};
use std::sync::OnceLock;
use tokio::sync::mpsc;
use unicharge_channels::RawNotify;
use unicharge_domain::{ChannelCode, Mode};
use unicharge_store::notifications::NotificationRow;

/// Bodies are cut here; providers' notifications are a few KiB.
pub const MAX_BODY: usize = 64 * 1024;

/// Records waiting beyond this are dropped (and logged): the record is for
/// people, and must never hold up or fail a payment notification.
const QUEUE: usize = 10_000;
const BATCH: usize = 500;

/// The queue of rows to write; its draining task starts on first use.
#[derive(Default)]
pub struct NotificationLog {
    tx: OnceLock<mpsc::Sender<NotificationRow>>,
}

impl NotificationLog {
    fn sender(&self, state: &AppState) -> &mpsc::Sender<NotificationRow> {
        self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            // Spawned on the runtime of the first worker that records, with
            // that worker's store, whose connections belong to this runtime.
            tokio::spawn(drain(state.store.clone(), rx));
            tx
        })
    }
}

async fn drain(store: unicharge_store::Store, mut rx: mpsc::Receiver<NotificationRow>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        if let Err(e) = store.insert_notifications(&batch).await {
            tracing::warn!(error = %e, rows = batch.len(), "could not keep raw notifications");
        }
        batch.clear();
    }
}

/// Headers that could carry a credential are not stored.
fn keep_header(name: &str) -> bool {
    !matches!(name, "authorization" | "cookie" | "proxy-authorization")
}

/// Queues one notification's record after it was handled. Never fails or
/// delays the notification.
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
    if state.notification_log.sender(state).try_send(row).is_err() {
        tracing::warn!(charge = charge_id, "raw notification queue full; record dropped");
    }
}
