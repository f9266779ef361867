//! Keeps one dead tenant from starving the others: at most `max_in_flight`
//! deliveries per endpoint at once, and a circuit breaker that stops sending
//! to an endpoint for `open_for` after `trip_after` consecutive failures.
//! Deliveries held back are released, not attempted, so they keep their
//! place in the retry schedule.

use dashmap::DashMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct GuardConfig {
    pub max_in_flight: usize,
    pub trip_after: u32,
    pub open_for: Duration,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self { max_in_flight: 8, trip_after: 5, open_for: Duration::from_secs(30) }
    }
}

#[derive(Default)]
struct State {
    in_flight: usize,
    failures: u32,
    open_until: Option<Instant>,
}

pub(crate) enum Admit {
    Go,
    /// Try again no sooner than after this.
    Later(Duration),
}

#[derive(Default)]
pub(crate) struct EndpointGuard {
    cfg: GuardConfig,
    map: DashMap<String, State>,
}

impl EndpointGuard {
    pub(crate) fn new(cfg: GuardConfig) -> Self {
        Self { cfg, map: DashMap::new() }
    }

    pub(crate) fn admit(&self, endpoint: &str) -> Admit {
        let mut s = self.map.entry(endpoint.to_owned()).or_default();
        if let Some(until) = s.open_until {
            let now = Instant::now();
            if until > now {
                return Admit::Later(until - now);
            }
            // Half-open: let one probe through; its result decides.
            s.open_until = None;
            s.failures = self.cfg.trip_after.saturating_sub(1);
        }
        if s.in_flight >= self.cfg.max_in_flight {
            return Admit::Later(Duration::from_millis(200));
        }
        s.in_flight += 1;
        Admit::Go
    }

    pub(crate) fn done(&self, endpoint: &str, ok: bool) {
        let mut s = self.map.entry(endpoint.to_owned()).or_default();
        s.in_flight = s.in_flight.saturating_sub(1);
        if ok {
            s.failures = 0;
        } else {
            s.failures += 1;
            if s.failures >= self.cfg.trip_after {
                s.open_until = Some(Instant::now() + self.cfg.open_for);
                tracing::warn!(endpoint, "webhook endpoint failing repeatedly; circuit open");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_trips_and_recovers() {
        let g =
            EndpointGuard::new(GuardConfig { max_in_flight: 2, trip_after: 3, open_for: Duration::from_millis(50) });
        assert!(matches!(g.admit("we_a"), Admit::Go));
        assert!(matches!(g.admit("we_a"), Admit::Go));
        assert!(matches!(g.admit("we_a"), Admit::Later(_)), "capped");
        assert!(matches!(g.admit("we_b"), Admit::Go), "other endpoints unaffected");
        g.done("we_a", false);
        g.done("we_a", false);
        assert!(matches!(g.admit("we_a"), Admit::Go));
        g.done("we_a", false);
        assert!(matches!(g.admit("we_a"), Admit::Later(_)), "open after 3 failures");
        std::thread::sleep(Duration::from_millis(60));
        assert!(matches!(g.admit("we_a"), Admit::Go), "half-open probe");
        g.done("we_a", true);
        assert!(matches!(g.admit("we_a"), Admit::Go), "closed again");
    }
}
