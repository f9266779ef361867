//! What one claimed delivery needs to be sent: its event's body and its
//! endpoint with the endpoint's secrets opened. A claim batch loads them in
//! two queries, and opens each endpoint's secrets and builds each event's
//! body once, however many of its deliveries the batch holds.

use crate::secrets::{self, SigningSecret};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use unicharge_crypto::{RsaSigner, SecretSealer};
use unicharge_store::webhooks::{DeliveryRow, EndpointRow};
use unicharge_store::{EventRow, Store};

pub(crate) struct Payload {
    pub(crate) event_id: String,
    pub(crate) body: Vec<u8>,
    /// The Ping++ RSA signature covers the body alone, so every delivery of
    /// the event (to each endpoint, each attempt) can share one.
    rsa: OnceLock<String>,
}

impl Payload {
    fn new(e: &EventRow) -> Self {
        Self { event_id: e.id.clone(), body: crate::payload::webhook_body(e), rsa: OnceLock::new() }
    }

    pub(crate) fn rsa_signature(&self, signer: &RsaSigner) -> &str {
        self.rsa.get_or_init(|| signer.sign_sha256_b64(&self.body))
    }
}

pub(crate) struct Target {
    pub(crate) endpoint: EndpointRow,
    pub(crate) secrets: Result<Vec<SigningSecret>, String>,
}

impl Target {
    fn new(sealer: &SecretSealer, endpoint: EndpointRow) -> Self {
        let secrets = secrets::open_secrets(sealer, &endpoint.id, &endpoint.sealed_secrets)
            .map_err(|e| format!("endpoint secrets: {e}"));
        Self { endpoint, secrets }
    }
}

/// `None` for the event or the endpoint means it is gone.
pub(crate) struct Job {
    pub(crate) d: DeliveryRow,
    pub(crate) payload: Option<Arc<Payload>>,
    pub(crate) target: Option<Arc<Target>>,
}

/// Looks up a batch's events and endpoints. A failed lookup is an error
/// for the whole batch: the caller records nothing and the leases run out.
pub(crate) async fn prepare(
    store: &Store,
    sealer: &SecretSealer,
    claimed: Vec<DeliveryRow>,
) -> Result<Vec<Job>, unicharge_store::StoreError> {
    let mut event_ids: Vec<&str> = claimed.iter().map(|d| d.event_id.as_str()).collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    let mut endpoint_ids: Vec<&str> = claimed.iter().map(|d| d.endpoint_id.as_str()).collect();
    endpoint_ids.sort_unstable();
    endpoint_ids.dedup();
    let payloads: HashMap<String, Arc<Payload>> =
        store.events_by_ids(&event_ids).await?.iter().map(|e| (e.id.clone(), Arc::new(Payload::new(e)))).collect();
    let targets: HashMap<String, Arc<Target>> = store
        .endpoints_by_ids(&endpoint_ids)
        .await?
        .into_iter()
        .map(|ep| (ep.id.clone(), Arc::new(Target::new(sealer, ep))))
        .collect();
    Ok(claimed
        .into_iter()
        .map(|d| Job { payload: payloads.get(&d.event_id).cloned(), target: targets.get(&d.endpoint_id).cloned(), d })
        .collect())
}
