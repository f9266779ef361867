//! Events with their webhook deliveries, each delivery's endpoint URL and,
//! for detail pages, every attempt.

use super::error::AdminResult;
use super::render;
use crate::state::AppState;
use serde_json::Value;
use std::collections::HashMap;
use unicharge_store::webhooks::DeliveryRow;
use unicharge_store::EventRow;

/// Each delivery's endpoint URL, by endpoint id. A deleted endpoint has none.
async fn endpoint_urls(state: &AppState, ds: &[DeliveryRow]) -> AdminResult<HashMap<String, String>> {
    let mut urls = HashMap::new();
    for d in ds {
        if !urls.contains_key(&d.endpoint_id) {
            if let Some(ep) = state.store.get_endpoint(&d.endpoint_id).await? {
                urls.insert(d.endpoint_id.clone(), ep.url);
            }
        }
    }
    Ok(urls)
}

/// For lists: deliveries without their attempts.
pub async fn events(state: &AppState, events: &[EventRow]) -> AdminResult<Vec<Value>> {
    let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    let ds = state.store.deliveries_for_events(&ids).await?;
    let urls = endpoint_urls(state, &ds).await?;
    Ok(events.iter().map(|e| render::event(e, &ds, &urls, None)).collect())
}

/// For detail pages: every delivery with every attempt.
pub async fn events_with_attempts(state: &AppState, events: &[EventRow]) -> AdminResult<Vec<Value>> {
    let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    let ds = state.store.deliveries_for_events(&ids).await?;
    let urls = endpoint_urls(state, &ds).await?;
    let mut attempts = HashMap::new();
    for d in &ds {
        attempts.insert(d.id.clone(), state.store.attempts_for_delivery(&d.id).await?);
    }
    Ok(events.iter().map(|e| render::event(e, &ds, &urls, Some(&attempts))).collect())
}
