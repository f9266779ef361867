//! A read cache of charge rows: clients poll a charge's status far more often
//! than it changes. Correctness rules:
//!
//! * Every state change on this node invalidates the row after commit.
//! * On PostgreSQL, the node that changed a charge row tells the others
//!   after commit (`cache_peers`: a `pg_notify` per id, batched every few
//!   milliseconds), and every node's listener evicts the row; while a node's
//!   listener is disconnected its cache is switched off and emptied, so a
//!   notification lost in the gap cannot leave a stale row behind. A node
//!   that dies between a commit and its batch leaves the other nodes' copy
//!   stale until the entry's TTL, at most 10 s.
//! * A reader fills the cache only if no invalidation happened since it read
//!   the database (a generation check under the map's shard lock), so a
//!   slow read can never re-insert a row older than a concurrent change.

use crate::ChargeRow;
use dashmap::DashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

pub(crate) const CHANNEL: &str = "unicharge_charges";
const TTL: Duration = Duration::from_secs(10);
const MAX_ENTRIES: usize = 200_000;

pub(crate) struct ChargeCache {
    map: DashMap<String, (ChargeRow, Instant)>,
    generation: AtomicU64,
    enabled: AtomicBool,
    /// Where this node's own changes go to be told to the other nodes (set
    /// on PostgreSQL by `Store::spawn_cache_listener`).
    peers: OnceLock<UnboundedSender<String>>,
}

impl ChargeCache {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            map: DashMap::new(),
            generation: AtomicU64::new(0),
            enabled: AtomicBool::new(enabled),
            peers: OnceLock::new(),
        }
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

    /// A change committed on this node: evict here, and tell the others.
    pub(crate) fn changed_here(&self, id: &str) {
        self.invalidate(id);
        if let Some(peers) = self.peers.get() {
            // Fails only once the sender task has ended with the runtime.
            let _ = peers.send(id.to_owned());
        }
    }

    pub(crate) fn tell_peers_through(&self, tx: UnboundedSender<String>) {
        let _ = self.peers.set(tx);
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
