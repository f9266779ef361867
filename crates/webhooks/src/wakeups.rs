//! Cross-node wake-ups through Redis pub/sub. Optional: without Redis, or
//! while it is down, dispatchers still find every delivery by polling the
//! database, which stays the source of truth. Redis only makes delivery
//! start within milliseconds on whichever node is free.

use crate::Wakeup;
use futures::StreamExt;
use std::time::Duration;
use tokio::sync::Notify;

const CHANNEL: &str = "unicharge:webhooks:wakeup";

/// Publishes a wake-up whenever this node's `Wakeup` fires, and wakes this
/// node's dispatcher whenever any node publishes one.
pub fn spawn_redis_wakeups(url: &str, wakeup: &Wakeup) -> Result<(), redis::RedisError> {
    let client = redis::Client::open(url)?;
    let local = wakeup.local.clone();
    let outbound = wakeup.outbound.clone();
    let sub_client = client.clone();
    tokio::spawn(async move {
        loop {
            match sub_client.get_async_pubsub().await {
                Ok(mut ps) => {
                    if ps.subscribe(CHANNEL).await.is_ok() {
                        tracing::info!("webhook wake-ups subscribed on Redis");
                        let mut stream = ps.on_message();
                        while stream.next().await.is_some() {
                            local.notify_one();
                        }
                    }
                    tracing::warn!("Redis wake-up subscription lost; polling continues");
                }
                Err(e) => tracing::warn!(error = %e, "Redis unavailable for wake-ups; polling continues"),
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
    tokio::spawn(publisher(client, outbound));
    Ok(())
}

/// Bursts coalesce: many events written at once cost one PUBLISH.
async fn publisher(client: redis::Client, outbound: std::sync::Arc<Notify>) {
    let mut conn = None;
    loop {
        outbound.notified().await;
        if conn.is_none() {
            conn = client.get_multiplexed_async_connection().await.ok();
        }
        if let Some(c) = conn.as_mut() {
            let sent: Result<i64, _> = redis::cmd("PUBLISH").arg(CHANNEL).arg(1).query_async(c).await;
            if sent.is_err() {
                conn = None;
            }
        }
    }
}
