//! The dispatcher's bulk reads and writes. One claim brings up to a few
//! hundred deliveries; reading their events and endpoints one by one, and
//! recording each attempt in a transaction of its own, made the database
//! the limit (a commit per delivery). Here a batch costs a fixed handful of
//! statements and one commit.

use crate::entity::event::{self, Column as EC};
use crate::entity::webhook_attempt;
use crate::entity::webhook_delivery::{self, Column as D};
use crate::entity::webhook_endpoint::{self, Column as W};
use crate::webhooks::{AttemptOutcome, AttemptRecord, DeliveryRow, EndpointRow};
use crate::{Backend, EventRow, Store, StoreError};
use sea_orm::sea_query::Expr;
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

impl Store {
    /// After a tenant outage: every failed delivery of these apps created
    /// since `since` is queued again, now, with its full retry schedule
    /// ahead of it; each event's `pending_webhooks` grows by its requeued
    /// deliveries in the same transaction. Returns how many were queued.
    pub async fn resend_failed(
        &self,
        app_ids: &[String],
        livemode: bool,
        since: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        if app_ids.is_empty() {
            return Ok(0);
        }
        match self.backend {
            Backend::Postgres => self.resend_failed_pg(app_ids, livemode, since, now).await,
            Backend::Sqlite => self.resend_failed_general(app_ids, livemode, since, now).await,
        }
    }

    /// One statement: the requeued deliveries never leave the database.
    /// Sending 20,000 rows back and their events' counts in again took
    /// most of a 0.8 s call.
    async fn resend_failed_pg(
        &self,
        app_ids: &[String],
        livemode: bool,
        since: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        let mut p = Params::new(self.backend);
        let (due, live, from) = (p.cast(now * 1000, "BIGINT"), p.cast(livemode, "BOOLEAN"), p.cast(since, "BIGINT"));
        let apps: Vec<String> = app_ids.iter().map(|a| p.cast(a.as_str(), "TEXT")).collect();
        // The deliveries are updated first, as the general path does: a
        // concurrent call then waits on their row locks and finds them
        // `pending`, so no delivery is counted twice.
        let sql = format!(
            "WITH r AS ( \
               UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = {due}, attempts = 0 \
                WHERE app_id IN ({}) AND livemode = {live} AND status = 'failed' AND created >= {from} \
               RETURNING event_id \
             ), per_event AS (SELECT event_id, count(*) AS n FROM r GROUP BY event_id), \
             counted AS ( \
               UPDATE events SET pending_webhooks = events.pending_webhooks + per_event.n \
                 FROM per_event WHERE events.id = per_event.event_id \
             ) \
             SELECT count(*) AS n FROM r",
            apps.join(", ")
        );
        let row = self.writer.query_one_raw(p.statement(sql)).await?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        Ok(n.max(0) as u64)
    }

    async fn resend_failed_general(
        &self,
        app_ids: &[String],
        livemode: bool,
        since: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        let txn = self.writer.begin().await?;
        let requeued: Vec<(String,)> = webhook_delivery::Entity::update_many()
            .col_expr(D::Status, Expr::value("pending"))
            .col_expr(D::NextAttemptAt, Expr::value(now * 1000))
            // A fresh start: the full retry schedule again.
            .col_expr(D::Attempts, Expr::value(0))
            .filter(D::AppId.is_in(app_ids.iter().map(String::as_str)))
            .filter(D::Livemode.eq(livemode))
            .filter(D::Status.eq("failed"))
            .filter(D::Created.gte(since))
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .map(|d| (d.event_id,))
            .collect();
        let mut per_event: BTreeMap<&str, i32> = BTreeMap::new();
        for (e,) in &requeued {
            *per_event.entry(e.as_str()).or_default() += 1;
        }
        add_pending(&txn, self.backend, &per_event).await?;
        txn.commit().await?;
        Ok(requeued.len() as u64)
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
