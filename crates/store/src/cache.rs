//! A read cache of charge rows: clients poll a charge's status far more often
//! than it changes. Correctness rules:
//!
//! * Every state change on this node invalidates the row after commit.
//! * On PostgreSQL, every update of a charge row sends `pg_notify` inside its
//!   transaction (the `charges_changed` trigger, migration
//!   `m20261205_000007`), and every node's listener evicts the row; while a node's
//!   listener is disconnected its cache is switched off and emptied, so a
//!   notification lost in the gap cannot leave a stale row behind.
//! * A reader fills the cache only if no invalidation happened since it read
//!   the database (a generation check under the map's shard lock), so a
//!   slow read can never re-insert a row older than a concurrent change.

use crate::ChargeRow;
use dashmap::DashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub(crate) const CHANNEL: &str = "unicharge_charges";
const TTL: Duration = Duration::from_secs(10);
const MAX_ENTRIES: usize = 200_000;

pub(crate) struct ChargeCache {
    map: DashMap<String, (ChargeRow, Instant)>,
    generation: AtomicU64,
    enabled: AtomicBool,
}

impl ChargeCache {
    pub(crate) fn new(enabled: bool) -> Self {
        Self { map: DashMap::new(), generation: AtomicU64::new(0), enabled: AtomicBool::new(enabled) }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn get(&self, id: &str) -> Option<ChargeRow> {
        if !self.enabled.load(Ordering::Acquire) {
            return None;
        }
        let hit = self.map.get(id)?;
        (hit.1.elapsed() < TTL).then(|| hit.0.clone())
    }

    /// Caches `row`, read from the database when the generation was `seen`.
    pub(crate) fn fill(&self, row: &ChargeRow, seen: u64) {
        if !self.enabled.load(Ordering::Acquire) {
            return;
        }
        if self.map.len() >= MAX_ENTRIES {
            self.clear();
            return;
        }
        // The shard lock orders this check against `invalidate`'s removal:
        // either we see its generation bump, or its removal comes after us.
        let entry = self.map.entry(row.id.clone());
        if self.generation.load(Ordering::Acquire) == seen {
            entry.insert((row.clone(), Instant::now()));
        }
    }

    pub(crate) fn invalidate(&self, id: &str) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.map.remove(id);
    }

    pub(crate) fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.map.clear();
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    pub(crate) fn set_enabled(&self, on: bool) {
        if !on {
            self.enabled.store(false, Ordering::Release);
        }
        self.clear();
        if on {
            self.enabled.store(true, Ordering::Release);
        }
    }
}
