//! Writes finished attempts to the database in batches. Delivering is
//! cheap next to a commit, so under load one commit per delivery capped the
//! dispatcher; here attempts that finish while a batch is being written
//! wait and go together in the next one. Under light load a batch is one
//! attempt, written at once: nothing is held back waiting for company.
//!
//! An attempt sent here has been made but is not yet recorded. If the node
//! dies in between, the delivery's lease runs out and it is sent again: at
//! least once, never lost.

use std::sync::Arc;
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore};
use unicharge_store::webhooks::AttemptOutcome;
use unicharge_store::{FinishedAttempt, Store};

/// Bounds one statement's parameter count (8 per attempt).
const MAX_BATCH: usize = 512;

/// A finished attempt, and the node's delivery slot it keeps until it is
/// recorded, so a slow database slows claiming instead of piling up
/// unrecorded attempts.
pub(crate) struct Record {
    pub(crate) attempt: FinishedAttempt,
    pub(crate) slot: OwnedSemaphorePermit,
}

pub(crate) struct Wiring {
    pub(crate) store: Store,
    pub(crate) node: String,
    pub(crate) slots: Arc<Semaphore>,
    /// Raised when enough slots are free for a claim to be worth its write.
    pub(crate) finished: Arc<Notify>,
    pub(crate) refill_at: usize,
}

pub(crate) fn spawn(w: Wiring) -> mpsc::UnboundedSender<Record> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(w, rx));
    tx
}

async fn run(w: Wiring, mut rx: mpsc::UnboundedReceiver<Record>) {
    let mut attempts = Vec::new();
    let mut slots = Vec::new();
    while let Some(first) = rx.recv().await {
        push(first, &mut attempts, &mut slots);
        while attempts.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => push(r, &mut attempts, &mut slots),
                Err(_) => break,
            }
        }
        write(&w, &attempts).await;
        attempts.clear();
        slots.clear();
        if w.slots.available_permits() >= w.refill_at {
            w.finished.notify_one();
        }
    }
}

fn push(r: Record, attempts: &mut Vec<FinishedAttempt>, slots: &mut Vec<OwnedSemaphorePermit>) {
    attempts.push(r.attempt);
    slots.push(r.slot);
}

async fn write(w: &Wiring, attempts: &[FinishedAttempt]) {
    match w.store.finish_attempts(&w.node, attempts).await {
        Ok(recorded) => {
            for a in attempts {
                if !recorded.contains(&a.delivery.id) {
                    tracing::warn!(delivery = %a.delivery.id, "lease lost before the attempt was recorded; another node owns it");
                } else if a.outcome == AttemptOutcome::GiveUp {
                    tracing::warn!(delivery = %a.delivery.id, event = %a.delivery.event_id, "webhook delivery failed for good");
                }
            }
        }
        Err(e) => {
            // One bad row, or a deadlock with another node's batch, must not
            // cost the others their record: fall back to one by one.
            tracing::warn!(error = %e, n = attempts.len(), "recording a batch of attempts failed; recording one by one");
            for a in attempts {
                match w.store.finish_attempt(&a.delivery, &w.node, a.at, &a.rec, a.outcome).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(delivery = %a.delivery.id, "lease lost before the attempt was recorded; another node owns it")
                    }
                    Err(e) => {
                        tracing::warn!(delivery = %a.delivery.id, error = %e, "webhook attempt could not be recorded; it will be sent again when its lease runs out")
                    }
                }
            }
        }
    }
}
