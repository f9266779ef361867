//! Tells the other nodes which charge rows this node changed, so they drop
//! their cached copies (`cache.rs`).
//!
//! This used to be a trigger calling `pg_notify` inside every charge
//! update. PostgreSQL serializes the commits of all transactions that
//! notify on one global lock, held across the WAL flush, so the trigger put
//! every paid notification in a single queue at commit. Here the ids are
//! sent after commit, a few milliseconds' worth in one statement: the
//! payment's own transaction no longer notifies. The cost is the window
//! `cache.rs` describes: a node that dies between a commit and its batch
//! leaves other nodes' copies stale for at most the cache's TTL.

use crate::cache::CHANNEL;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// How long changes gather before they are sent together.
const GATHER: Duration = Duration::from_millis(5);
/// Ids per statement, joined by commas; each becomes one notification with
/// the id alone as its payload, as listeners (old and new) expect.
const IDS_PER_STATEMENT: usize = 1000;

/// Runs until every sender is gone: sends each gathered batch of ids.
pub(crate) async fn run(conn: DatabaseConnection, mut rx: UnboundedReceiver<String>) {
    while let Some(first) = rx.recv().await {
        tokio::time::sleep(GATHER).await;
        let mut ids = BTreeSet::from([first]);
        while let Ok(id) = rx.try_recv() {
            ids.insert(id);
        }
        let ids: Vec<String> = ids.into_iter().collect();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            if let Err(e) = send(&conn, &chunk.join(",")).await {
                // Once more, then give up: the other nodes' copies expire
                // within the cache's TTL in any case.
                tracing::warn!(error = %e, ids = chunk.len(), "telling other nodes of charge changes failed; retrying");
                if let Err(e) = send(&conn, &chunk.join(",")).await {
                    tracing::warn!(error = %e, ids = chunk.len(), "other nodes may serve these charges stale until their cache TTL");
                }
            }
        }
    }
}

async fn send(conn: &DatabaseConnection, ids: &str) -> Result<(), sea_orm::DbErr> {
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, id) FROM unnest(string_to_array($2, ',')) AS id",
        [CHANNEL.into(), ids.into()],
    );
    conn.execute_raw(stmt).await.map(|_| ())
}
