//! The per-node guard: this node's own count of deliveries in flight per
//! endpoint and its own circuit breakers. Used without Redis, and whenever
//! Redis cannot answer at once.

use super::{Admit, GuardConfig, Ticket};
use dashmap::DashMap;
use std::time::Instant;

#[derive(Default)]
struct State {
    in_flight: usize,
    failures: u32,
    open_until: Option<Instant>,
}

#[derive(Default)]
pub(crate) struct LocalGuard {
    cfg: GuardConfig,
    map: DashMap<String, State>,
}

impl LocalGuard {
    pub(crate) fn new(cfg: GuardConfig) -> Self {
        Self { cfg, map: DashMap::new() }
    }

    pub(crate) fn admit(&self, endpoint: &str) -> Admit {
        let mut s = self.map.entry(endpoint.to_owned()).or_default();
        if let Some(until) = s.open_until {
            let now = Instant::now();
            if until > now {
                return Admit::Open(until - now);
            }
            // Half-open: the next failure opens the circuit again at once.
            s.open_until = None;
            s.failures = self.cfg.trip_after.saturating_sub(1);
        }
        if s.in_flight >= self.cfg.max_in_flight {
            return Admit::Capped;
        }
        s.in_flight += 1;
        Admit::Go(Ticket::Local)
    }

    pub(crate) fn done(&self, endpoint: &str, ok: bool) {
        if let Some(mut s) = self.map.get_mut(endpoint) {
            s.in_flight = s.in_flight.saturating_sub(1);
        }
        self.record(endpoint, ok);
    }

    /// Counts a result toward the breaker without giving back a slot: for
    /// deliveries admitted by Redis whose result Redis could not take.
    pub(crate) fn record(&self, endpoint: &str, ok: bool) {
        let mut s = self.map.entry(endpoint.to_owned()).or_default();
        if ok {
            s.failures = 0;
        } else {
            s.failures += 1;
            if s.failures >= self.cfg.trip_after {
                s.open_until = Some(Instant::now() + self.cfg.open_for);
                tracing::warn!(endpoint, "webhook endpoint failing repeatedly; circuit open on this node");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn go(a: Admit) -> bool {
        matches!(a, Admit::Go(Ticket::Local))
    }

    #[test]
    fn caps_trips_and_recovers() {
        let g = LocalGuard::new(GuardConfig {
            max_in_flight: 2,
            trip_after: 3,
            open_for: Duration::from_millis(50),
            ..Default::default()
        });
        assert!(go(g.admit("we_a")));
        assert!(go(g.admit("we_a")));
        assert!(matches!(g.admit("we_a"), Admit::Capped), "capped");
        assert!(go(g.admit("we_b")), "other endpoints unaffected");
        g.done("we_a", false);
        g.done("we_a", false);
        assert!(go(g.admit("we_a")));
        g.done("we_a", false);
        assert!(matches!(g.admit("we_a"), Admit::Open(_)), "open after 3 failures");
        std::thread::sleep(Duration::from_millis(60));
        assert!(go(g.admit("we_a")), "half-open probe");
        g.done("we_a", true);
        assert!(go(g.admit("we_a")), "closed again");
    }

    #[test]
    fn recorded_results_trip_without_touching_slots() {
        let g = LocalGuard::new(GuardConfig { max_in_flight: 1, trip_after: 2, ..Default::default() });
        assert!(go(g.admit("we_a")));
        g.record("we_b", false);
        g.record("we_b", false);
        assert!(matches!(g.admit("we_b"), Admit::Open(_)), "open");
        assert!(matches!(g.admit("we_a"), Admit::Capped), "we_a still holds its one slot");
    }
}
