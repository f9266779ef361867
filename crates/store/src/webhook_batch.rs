//! The dispatcher's bulk reads and writes. One claim brings up to a few
//! hundred deliveries; reading their events and endpoints one by one, and
//! recording each attempt in a transaction of its own, made the database
//! the limit (a commit per delivery). Here a batch costs a fixed handful of
//! statements and one commit.

use crate::entity::event::{self, Column as EC};
use crate::entity::webhook_attempt;
use crate::entity::webhook_endpoint::{self, Column as W};
use crate::webhooks::{AttemptOutcome, AttemptRecord, DeliveryRow, EndpointRow};
use crate::{Backend, EventRow, Store, StoreError};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, TransactionTrait,
    Value,
};
use std::collections::{BTreeMap, HashSet};

/// One finished attempt to record.
#[derive(Debug, Clone)]
pub struct FinishedAttempt {
    pub delivery: DeliveryRow,
    /// Milliseconds.
    pub at: i64,
    pub rec: AttemptRecord,
    pub outcome: AttemptOutcome,
}

/// Builds a parameter list with the backend's placeholder syntax.
struct Params {
    backend: Backend,
    values: Vec<Value>,
}

impl Params {
    fn new(backend: Backend) -> Self {
        Self { backend, values: Vec::new() }
    }

    /// `CAST(<placeholder> AS ty)`: the cast types every VALUES column on
    /// PostgreSQL, which otherwise guesses text for a bare parameter.
    fn cast(&mut self, v: impl Into<Value>, ty: &str) -> String {
        self.values.push(v.into());
        match self.backend {
            Backend::Postgres => format!("CAST(${} AS {ty})", self.values.len()),
            Backend::Sqlite => format!("CAST(? AS {ty})"),
        }
    }

    fn statement(self, sql: String) -> Statement {
        let db = match self.backend {
            Backend::Postgres => DbBackend::Postgres,
            Backend::Sqlite => DbBackend::Sqlite,
        };
        Statement::from_sql_and_values(db, sql, self.values)
    }
}

impl Store {
    /// Refreshes PostgreSQL's statistics of the deliveries table. After an
    /// outage the backlog grows from nothing in seconds, long before
    /// autovacuum's next look; planning with the estimates of a near-empty
    /// table, PostgreSQL walked every pending row for each delivery a claim
    /// considered (40-90 ms a claim instead of 1 ms). The dispatcher calls
    /// this when claims turn slow. A no-op on SQLite.
    pub async fn analyze_deliveries(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            self.writer.execute_unprepared("ANALYZE webhook_deliveries").await?;
        }
        Ok(())
    }

    pub async fn events_by_ids(&self, ids: &[&str]) -> Result<Vec<EventRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(event::Entity::find().filter(EC::Id.is_in(ids.iter().copied())).all(&self.reader).await?)
    }

    pub async fn endpoints_by_ids(&self, ids: &[&str]) -> Result<Vec<EndpointRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(webhook_endpoint::Entity::find().filter(W::Id.is_in(ids.iter().copied())).all(&self.writer).await?)
    }

    /// Records the attempts and moves their deliveries on, in one
    /// transaction. Returns the ids recorded; an attempt whose delivery
    /// `node` no longer leases (another node took it over) is left out and
    /// writes nothing, as in `finish_attempt`.
    pub async fn finish_attempts(&self, node: &str, items: &[FinishedAttempt]) -> Result<HashSet<String>, StoreError> {
        if items.is_empty() {
            return Ok(HashSet::new());
        }
        // One attempt per delivery: a delivery listed twice would count
        // two attempts and settle its event twice.
        let mut seen = HashSet::with_capacity(items.len());
        let items: Vec<&FinishedAttempt> = items.iter().filter(|it| seen.insert(it.delivery.id.as_str())).collect();
        let txn = self.writer.begin().await?;
        let mut p = Params::new(self.backend);
        let mut rows = Vec::with_capacity(items.len());
        for it in &items {
            let d = &it.delivery;
            let (status, next, delivered_at) = match it.outcome {
                AttemptOutcome::Delivered => ("succeeded", d.next_attempt_at, Some(it.at)),
                AttemptOutcome::RetryAt(t) => ("pending", t, None),
                AttemptOutcome::GiveUp => ("failed", d.next_attempt_at, None),
            };
            rows.push(format!(
                "({}, {}, {}, {}, {}, {}, {}, {})",
                p.cast(d.id.as_str(), "TEXT"),
                p.cast(status, "TEXT"),
                p.cast(next, "BIGINT"),
                p.cast(it.rec.status.map(i32::from), "INTEGER"),
                p.cast(it.rec.error.clone(), "TEXT"),
                p.cast(it.rec.response.clone(), "TEXT"),
                p.cast(it.rec.latency_ms, "INTEGER"),
                p.cast(delivered_at, "BIGINT"),
            ));
        }
        let node_mark = p.cast(node, "TEXT");
        // VALUES columns are named column1.. on both backends.
        let sql = format!(
            "UPDATE webhook_deliveries SET status = v.column2, attempts = webhook_deliveries.attempts + 1, \
               next_attempt_at = v.column3, lease_until = NULL, leased_by = NULL, last_status = v.column4, \
               last_error = v.column5, last_response = v.column6, last_latency_ms = v.column7, \
               delivered_at = v.column8 \
             FROM (VALUES {}) AS v \
             WHERE webhook_deliveries.id = v.column1 AND webhook_deliveries.leased_by = {node_mark} \
               AND webhook_deliveries.status = 'pending' \
             RETURNING webhook_deliveries.id",
            rows.join(", ")
        );
        let mut recorded = HashSet::with_capacity(items.len());
        for row in txn.query_all_raw(p.statement(sql)).await? {
            recorded.insert(row.try_get::<String>("", "id")?);
        }
        let kept: Vec<&FinishedAttempt> = items.into_iter().filter(|it| recorded.contains(&it.delivery.id)).collect();
        if !kept.is_empty() {
            webhook_attempt::Entity::insert_many(kept.iter().map(|it| webhook_attempt::ActiveModel {
                delivery_id: Set(it.delivery.id.clone()),
                attempt: Set(it.delivery.attempts + 1),
                at: Set(it.at),
                status: Set(it.rec.status.map(i32::from)),
                latency_ms: Set(it.rec.latency_ms),
                response: Set(it.rec.response.clone()),
                error: Set(it.rec.error.clone()),
                node: Set(node.to_owned()),
                ..Default::default()
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        // Delivered or given up: that many fewer webhooks pending per event.
        let mut settled: BTreeMap<&str, i32> = BTreeMap::new();
        for it in kept.iter().filter(|it| !matches!(it.outcome, AttemptOutcome::RetryAt(_))) {
            *settled.entry(it.delivery.event_id.as_str()).or_default() -= 1;
        }
        add_pending(&txn, self.backend, &settled).await?;
        txn.commit().await?;
        Ok(recorded)
    }
}

/// Deliveries requeued per transaction by `resend_failed`.
const RESEND_CHUNK: u64 = 2000;

impl Store {
    /// After a tenant outage: every failed delivery of these apps created
    /// since `since` is queued again, now, with its full retry schedule
    /// ahead of it; each event's `pending_webhooks` grows by its requeued
    /// deliveries in the same transaction. Returns how many were queued.
    ///
    /// The backlog is requeued oldest first, a few thousand deliveries a
    /// transaction, calling `after_chunk` after each commit: dispatchers
    /// woken there start delivering while the rest is still being requeued,
    /// and no transaction holds a whole outage's rows locked. A failure
    /// part-way leaves the chunks before it requeued; calling again
    /// requeues the rest.
    pub async fn resend_failed(
        &self,
        app_ids: &[String],
        livemode: bool,
        since: i64,
        now: i64,
        mut after_chunk: impl FnMut(),
    ) -> Result<u64, StoreError> {
        if app_ids.is_empty() {
            return Ok(0);
        }
        let mut total = 0;
        // One pass, in seq order: a delivery this call requeued and the
        // dispatcher has already failed again lies behind the cursor and is
        // not requeued a second time (against an endpoint that fails at
        // once, that would never end).
        let mut after = 0;
        loop {
            let (n, last) = self.resend_failed_chunk(app_ids, livemode, since, now, after).await?;
            let Some(last) = last.filter(|_| n > 0) else { return Ok(total) };
            total += n;
            after = last;
            after_chunk();
        }
    }

    /// Requeues up to `RESEND_CHUNK` failed deliveries with `seq` above
    /// `after`; returns how many, and the last of their `seq`s.
    async fn resend_failed_chunk(
        &self,
        app_ids: &[String],
        livemode: bool,
        since: i64,
        now: i64,
        after: i64,
    ) -> Result<(u64, Option<i64>), StoreError> {
        // SQLite's parameters are positional: cast them in the SQL's order.
        let mut p = Params::new(self.backend);
        let due = p.cast(now * 1000, "BIGINT");
        let apps: Vec<String> = app_ids.iter().map(|a| p.cast(a.as_str(), "TEXT")).collect();
        let live = match self.backend {
            Backend::Postgres => p.cast(livemode, "BOOLEAN"),
            Backend::Sqlite => p.cast(livemode, "INTEGER"),
        };
        let (from, cursor, limit) =
            (p.cast(since, "BIGINT"), p.cast(after, "BIGINT"), p.cast(RESEND_CHUNK as i64, "BIGINT"));
        // `attempts = 0`: a fresh start, the full retry schedule again. The
        // outer `status = 'failed'` re-checks rows a concurrent call may
        // have requeued since the subquery saw them.
        // On PostgreSQL the chunk is picked and locked by an init plan,
        // `seq = ANY(ARRAY(…))`: written `seq IN (…)`, with the statistics
        // of a table whose deliveries were all pending when last analyzed,
        // PostgreSQL re-ran the subquery for every failed row, ignoring its
        // LIMIT (20,000 rows requeued in 48 s, against 2,000 in 65 ms).
        let pick = format!(
            "SELECT seq FROM webhook_deliveries \
              WHERE app_id IN ({}) AND livemode = {live} AND status = 'failed' AND created >= {from} \
                AND seq > {cursor} \
              ORDER BY seq LIMIT {limit}",
            apps.join(", ")
        );
        let chosen = match self.backend {
            Backend::Postgres => format!("seq = ANY(ARRAY({pick} FOR UPDATE))"),
            Backend::Sqlite => format!("seq IN ({pick})"),
        };
        let requeue = format!(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = {due}, attempts = 0 \
              WHERE status = 'failed' AND {chosen} \
             RETURNING event_id, seq"
        );
        match self.backend {
            // One statement: the requeued deliveries never leave the
            // database. The deliveries are updated before the events, as
            // on SQLite, so a concurrent call waits on their row locks and
            // then finds them `pending`: none is counted twice.
            Backend::Postgres => {
                let sql = format!(
                    "WITH r AS ({requeue}), \
                     per_event AS (SELECT event_id, count(*) AS n FROM r GROUP BY event_id), \
                     counted AS ( \
                       UPDATE events SET pending_webhooks = events.pending_webhooks + per_event.n \
                         FROM per_event WHERE events.id = per_event.event_id \
                     ) \
                     SELECT count(*) AS n, max(seq) AS last FROM r"
                );
                let Some(row) = self.writer.query_one_raw(p.statement(sql)).await? else { return Ok((0, None)) };
                let n: i64 = row.try_get("", "n")?;
                Ok((n.max(0) as u64, row.try_get("", "last")?))
            }
            Backend::Sqlite => {
                let txn = self.writer.begin().await?;
                let rows = txn.query_all_raw(p.statement(requeue)).await?;
                let mut per_event: BTreeMap<String, i32> = BTreeMap::new();
                let mut last = None;
                for r in &rows {
                    *per_event.entry(r.try_get("", "event_id")?).or_default() += 1;
                    last = last.max(Some(r.try_get::<i64>("", "seq")?));
                }
                let per_event: BTreeMap<&str, i32> = per_event.iter().map(|(e, n)| (e.as_str(), *n)).collect();
                add_pending(&txn, self.backend, &per_event).await?;
                txn.commit().await?;
                Ok((rows.len() as u64, last))
            }
        }
    }
}

/// Events per `add_pending` statement, two parameters each. A statement
/// may carry at most 32,766 parameters on SQLite and 65,535 on PostgreSQL;
/// `resend_failed` after a long outage touches far more events than that.
const EVENTS_PER_STATEMENT: usize = 4096;

/// Adds `n` (negative: subtracts, stopping at 0) to each event's
/// `pending_webhooks`, a statement per few thousand events. A BTreeMap so
/// every node touches the rows in one order.
pub(crate) async fn add_pending<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    per_event: &BTreeMap<&str, i32>,
) -> Result<(), StoreError> {
    let all: Vec<(&&str, &i32)> = per_event.iter().collect();
    for chunk in all.chunks(EVENTS_PER_STATEMENT) {
        let mut p = Params::new(backend);
        let values: Vec<String> =
            chunk.iter().map(|(id, n)| format!("({}, {})", p.cast(**id, "TEXT"), p.cast(**n, "INTEGER"))).collect();
        let sql = format!(
            "UPDATE events SET pending_webhooks = CASE WHEN events.pending_webhooks + v.column2 > 0 \
               THEN events.pending_webhooks + v.column2 ELSE 0 END \
             FROM (VALUES {}) AS v WHERE events.id = v.column1",
            values.join(", ")
        );
        conn.execute_raw(p.statement(sql)).await?;
    }
    Ok(())
}
