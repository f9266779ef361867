//! Keeps one dead tenant from starving the others: a cap on deliveries in
//! flight per endpoint, and a circuit breaker that stops sending to an
//! endpoint for `open_for` after `trip_after` consecutive failures.
//! Deliveries held back are released, not attempted, so they keep their
//! place in the retry schedule.
//!
//! With Redis the cap and the breaker hold across all nodes; without it, or
//! whenever Redis does not answer at once, each node applies its own. Redis
//! holds only this throttling state, which expires by itself: deliveries
//! live in the database, so losing Redis loses nothing.

mod cluster;
mod local;
#[cfg(test)]
mod tests;

pub(crate) use cluster::ClusterGuard;
use local::LocalGuard;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct GuardConfig {
    /// Deliveries in flight at once per endpoint on one node, when the
    /// node guards on its own (no Redis, or Redis unreachable).
    pub max_in_flight: usize,
    /// Deliveries in flight at once per endpoint across all nodes, when
    /// Redis is configured.
    pub cluster_max_in_flight: usize,
    pub trip_after: u32,
    pub open_for: Duration,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self { max_in_flight: 8, cluster_max_in_flight: 8, trip_after: 5, open_for: Duration::from_secs(30) }
    }
}

/// How soon a delivery held back by the cap is tried again.
pub(crate) const CAPPED_RETRY: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub(crate) enum Admit {
    Go(Ticket),
    /// The endpoint has its cap of deliveries in flight: try again as soon
    /// as one of them finishes.
    Capped,
    /// The endpoint's circuit is open: try again no sooner than after this.
    Open(Duration),
}

/// Where an admitted delivery holds its slot, so `done` gives it back there.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ticket {
    Local,
    Cluster(String),
}

pub(crate) struct EndpointGuard {
    local: LocalGuard,
    cluster: Option<ClusterGuard>,
}

impl EndpointGuard {
    pub(crate) fn new(cfg: GuardConfig, cluster: Option<ClusterGuard>) -> Self {
        Self { local: LocalGuard::new(cfg), cluster }
    }

    pub(crate) async fn admit(&self, endpoint: &str) -> Admit {
        if let Some(c) = &self.cluster {
            if let Some(a) = c.admit(endpoint).await {
                return a;
            }
        }
        self.local.admit(endpoint)
    }

    pub(crate) async fn done(&self, endpoint: &str, ticket: Ticket, ok: bool) {
        match ticket {
            Ticket::Local => self.local.done(endpoint, ok),
            Ticket::Cluster(token) => {
                let recorded = match &self.cluster {
                    Some(c) => c.done(endpoint, &token, ok).await,
                    None => false,
                };
                // Redis went away mid-delivery: its slot expires there by
                // itself, and this node's breaker still learns the result.
                if !recorded {
                    self.local.record(endpoint, ok);
                }
            }
        }
    }
}
