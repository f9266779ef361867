//! Partial indexes for the webhook deliveries a dispatcher still has work
//! on. A delivery is `pending` for seconds and `succeeded` for ever, so the
//! full indexes the claim used were almost all finished deliveries, and
//! every recorded attempt added entries to them.
//!
//! * `webhook_deliveries_due_pending (next_attempt_at, seq) WHERE status =
//!   'pending' AND next_attempt_at IS NOT NULL` replaces
//!   `webhook_deliveries_due (status, next_attempt_at, seq)`: the claim
//!   walks it in order and stops after one batch.
//! * `webhook_deliveries_pending_order (endpoint_id, object_id, seq) WHERE
//!   status = 'pending'` replaces `webhook_deliveries_order`: the claim's
//!   per-object ordering check is one probe of it.
//! * `webhook_deliveries_failed (seq) WHERE status = 'failed'` serves
//!   `resend_failed`, which walks the failed deliveries in `seq` order a
//!   chunk at a time, and the dashboard's "failed" filter; the old due
//!   index served both through its `status` column.
//!
//! On PostgreSQL the due index's predicate adds `next_attempt_at IS NOT
//! NULL` (the column is never null) for the planner. Only a query that bounds
//! `next_attempt_at`, as the claim does, can use that index, so the ordering
//! check cannot. With the statistics of a backlog that had just been
//! requeued (all `failed` when last analyzed, all `pending` now), both
//! partial indexes look empty to PostgreSQL, and given the choice it
//! scanned the due index for the check: 26-388 ms a claim at 40,000
//! pending deliveries, against 1 ms with the order index. (Before this
//! migration, with the full indexes and the check as an anti-join, that
//! claim took 1.2 s.) SQLite (3.40) would not use an index with that extra
//! term for the claim at all, and picks the right indexes without it.
//!
//! Building them takes a write lock on the table for the duration; on a
//! large PostgreSQL table, run the `CREATE INDEX` statements below by hand
//! with `CONCURRENTLY` before upgrading (they are `IF NOT EXISTS`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const DUE_PG: &str = "CREATE INDEX IF NOT EXISTS webhook_deliveries_due_pending \
     ON webhook_deliveries (next_attempt_at, seq) WHERE status = 'pending' AND next_attempt_at IS NOT NULL";
const DUE_SQLITE: &str = "CREATE INDEX IF NOT EXISTS webhook_deliveries_due_pending \
     ON webhook_deliveries (next_attempt_at, seq) WHERE status = 'pending'";

const UP: [&str; 4] = [
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_pending_order ON webhook_deliveries (endpoint_id, object_id, seq) \
     WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_failed ON webhook_deliveries (seq) WHERE status = 'failed'",
    "DROP INDEX IF EXISTS webhook_deliveries_due",
    "DROP INDEX IF EXISTS webhook_deliveries_order",
];

const DOWN: [&str; 5] = [
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at, seq)",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_order ON webhook_deliveries (endpoint_id, object_id, seq)",
    "DROP INDEX IF EXISTS webhook_deliveries_failed",
    "DROP INDEX IF EXISTS webhook_deliveries_pending_order",
    "DROP INDEX IF EXISTS webhook_deliveries_due_pending",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let due = match m.get_database_backend() {
            DbBackend::Postgres => DUE_PG,
            _ => DUE_SQLITE,
        };
        for sql in std::iter::once(due).chain(UP) {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for sql in DOWN {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
