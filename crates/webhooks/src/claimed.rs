//! This node's deliveries per endpoint, from claim to finish. A claim skips
//! the endpoints that already have their cap of deliveries here, or whose
//! circuit is open, so one busy endpoint's backlog is not claimed, held back
//! and released over and over while other tenants' deliveries wait.

use dashmap::DashMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Notify;

/// Bounds the claim query; past this many, the rest are claimed and held
/// back as before.
const MAX_EXCLUDED: usize = 256;

#[derive(Default)]
struct Entry {
    claimed: usize,
    open_until: Option<Instant>,
    freed: Arc<Notify>,
}

#[derive(Default)]
pub(crate) struct Claimed {
    map: DashMap<String, Entry>,
}

impl Claimed {
    pub(crate) fn add(&self, endpoint: &str) {
        self.map.entry(endpoint.to_owned()).or_default().claimed += 1;
    }

    /// A delivery is finished here (delivered, rescheduled or released):
    /// one delivery waiting for this endpoint's slot may go. Returns true
    /// when the endpoint's claimed count has just dropped to `refill_at`:
    /// a claim can now bring a useful batch for it. Claiming after every
    /// finish instead re-ran a claim that found nothing (the endpoint still
    /// excluded) but scanned its whole backlog to learn that.
    pub(crate) fn finish(&self, endpoint: &str, refill_at: usize) -> bool {
        let now = Instant::now();
        let mut crossed = false;
        self.map.remove_if_mut(endpoint, |_, e| {
            e.claimed = e.claimed.saturating_sub(1);
            crossed = e.claimed == refill_at;
            e.freed.notify_one();
            e.claimed == 0 && e.open_until.is_none_or(|t| t <= now)
        });
        crossed
    }

    pub(crate) fn hold(&self, endpoint: &str, until: Instant) {
        self.map.entry(endpoint.to_owned()).or_default().open_until = Some(until);
    }

    pub(crate) fn freed(&self, endpoint: &str) -> Arc<Notify> {
        self.map.entry(endpoint.to_owned()).or_default().freed.clone()
    }

    /// Endpoints not to claim for now: `cap` deliveries already here, or
    /// circuit open.
    pub(crate) fn excluded(&self, cap: usize) -> Vec<String> {
        let now = Instant::now();
        self.map
            .iter()
            .filter(|e| e.claimed >= cap || e.open_until.is_some_and(|t| t > now))
            .take(MAX_EXCLUDED)
            .map(|e| e.key().clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn endpoints_at_their_cap_or_open_are_excluded() {
        let c = Claimed::default();
        c.add("we_a");
        c.add("we_a");
        c.add("we_b");
        assert_eq!(c.excluded(2), vec!["we_a".to_owned()]);
        c.finish("we_a", 0);
        assert!(c.excluded(2).is_empty());
        c.hold("we_b", Instant::now() + Duration::from_secs(30));
        assert_eq!(c.excluded(2), vec!["we_b".to_owned()]);
        c.finish("we_b", 0);
        assert_eq!(c.excluded(2), vec!["we_b".to_owned()], "still open after its last delivery finished");
        c.hold("we_b", Instant::now());
        c.finish("we_a", 0);
        assert!(c.excluded(1).is_empty());
    }

    #[test]
    fn finishing_reports_when_a_useful_claim_fits_again() {
        let c = Claimed::default();
        for _ in 0..4 {
            c.add("we_a");
        }
        assert!(!c.finish("we_a", 2), "3 left");
        assert!(c.finish("we_a", 2), "2 left: room again");
        assert!(!c.finish("we_a", 2), "1 left: already reported");
    }
}
