//! `pending → paid` on PostgreSQL as one statement.
//!
//! A paid notification is the hottest write there is. Done the general way
//! (`Store::transition`) it is six round trips: `BEGIN`, the `UPDATE …
//! RETURNING`, the endpoint fan-out `SELECT`, one `INSERT` a delivery, the
//! event `INSERT … RETURNING`, `COMMIT`. Here the update, the fan-out and
//! the event are one statement of data-modifying CTEs, which PostgreSQL runs
//! atomically in its own implicit transaction: all of it happens, or none.
//!
//! The event's payload is the charge as it stands afterwards, which SQL
//! cannot render. It is rendered from the caller's copy of the pending charge
//! with the payment applied. That is exact because a pending charge changes
//! only by leaving `pending` (the columns the transitions set, plus
//! `next_query_at`, which is not rendered), and the `UPDATE` only matches
//! while the row is still `pending`; the returned row is compared with the
//! rendered one all the same, and a difference is logged loudly.

use crate::charges::ChargeTransition;
use crate::entity::charge;
use crate::{ChargeRow, EventRow, NewEvent, PaidInfo, Store, StoreError};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};

/// Delivery ids passed with the statement (comma-separated; ids are
/// alphanumeric). An app with more subscribed
/// endpoints than this makes the statement fail on a NULL id before it
/// changes anything, and the general path takes over.
const DELIVERY_IDS: usize = 8;

const PAY: &str = r#"
WITH upd AS (
    UPDATE charges
       SET status = 'paid', transaction_no = $2, time_paid = $3, credential = '{}', next_query_at = NULL
     WHERE id = $1 AND status = 'pending'
 RETURNING *
), eps AS (
    SELECT e.id, row_number() OVER (ORDER BY e.id) AS rn
      FROM webhook_endpoints e
     WHERE EXISTS (SELECT 1 FROM upd)
       AND e.app_id = $4 AND e.livemode = $5 AND e.enabled
       AND (e.enabled_events::jsonb ? '*' OR e.enabled_events::jsonb ? $6)
), dl AS (
    INSERT INTO webhook_deliveries
           (id, event_id, endpoint_id, app_id, livemode, object_id, status, attempts, next_attempt_at, created)
    SELECT (string_to_array($7, ','))[eps.rn], $8, eps.id, $4, $5, $1, 'pending', 0, $9 * 1000, $9
      FROM eps
 RETURNING 1
), ev AS (
    INSERT INTO events (id, app_id, livemode, type, object_id, data, pending_webhooks, request_id, created)
    SELECT $8, $4, $5, $6, $1, $10, (SELECT count(*) FROM eps)::int, $11, $9
      FROM upd
 RETURNING seq, pending_webhooks
)
SELECT upd.*, ev.seq AS event_seq, ev.pending_webhooks AS event_pending_webhooks,
       (SELECT count(*) FROM dl) AS deliveries
  FROM upd, ev
"#;

#[derive(FromQueryResult)]
struct EventPart {
    event_seq: i64,
    event_pending_webhooks: i32,
}

/// What the one statement did.
pub enum OneStatement {
    /// Paid, with its event and deliveries.
    Applied(Box<ChargeTransition>),
    /// Nothing changed: not PostgreSQL, or the charge is no longer pending.
    NotApplied,
}

impl Store {
    /// `pending → paid` for a charge the caller has read (`pre`), writing
    /// `event` with it: one statement on PostgreSQL, else (or when that
    /// cannot apply it) the general transition, which also says why not.
    pub async fn mark_charge_paid_from(
        &self,
        pre: &ChargeRow,
        info: &PaidInfo,
        event: impl FnOnce(&ChargeRow) -> NewEvent,
    ) -> Result<ChargeTransition, StoreError> {
        if self.backend != crate::Backend::Postgres || pre.status != "pending" {
            return self.mark_charge_paid(&pre.id, info, event).await;
        }
        let e = event(&paid_copy(pre, info));
        match self.pay_in_one_statement(pre, info, e.clone()).await {
            Ok(OneStatement::Applied(t)) => Ok(*t),
            Ok(OneStatement::NotApplied) => self.mark_charge_paid(&pre.id, info, |_: &ChargeRow| e).await,
            Err(err) => {
                // Nothing was changed (the statement is atomic): more
                // subscribed endpoints than ids, or a failure that the
                // general path meets and reports in its turn.
                tracing::warn!(charge = %pre.id, error = %err, "one-statement payment failed; taking the general path");
                self.mark_charge_paid(&pre.id, info, |_: &ChargeRow| e).await
            }
        }
    }

    /// The one statement itself, without a fallback (public for tests).
    /// `e` must be the event rendered from `pre` with the payment applied.
    pub async fn pay_in_one_statement(
        &self,
        pre: &ChargeRow,
        info: &PaidInfo,
        e: NewEvent,
    ) -> Result<OneStatement, StoreError> {
        if self.backend != crate::Backend::Postgres {
            return Ok(OneStatement::NotApplied);
        }
        let ids: Vec<String> =
            (0..DELIVERY_IDS).map(|_| unicharge_domain::ids::DeliveryId::generate().into_string()).collect();
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            PAY,
            [
                pre.id.clone().into(),
                info.transaction_no.clone().into(),
                info.time_paid.into(),
                e.app_id.clone().into(),
                e.livemode.into(),
                e.kind.clone().into(),
                ids.join(",").into(),
                e.id.clone().into(),
                e.created.into(),
                crate::json_text(&e.data).into(),
                e.request_id.clone().into(),
            ],
        );
        let Some(row) = self.writer.query_one_raw(stmt).await? else {
            return Ok(OneStatement::NotApplied);
        };
        let charge = charge::Model::from_query_result(&row, "")?;
        let part = EventPart::from_query_result(&row, "")?;
        self.charge_changed(&charge.id);
        if charge != paid_copy(pre, info) {
            tracing::error!(charge = %charge.id, "paid charge differs from the copy its event was rendered from");
        }
        let event = EventRow {
            seq: part.event_seq,
            data: crate::json_text(&e.data),
            pending_webhooks: part.event_pending_webhooks,
            id: e.id,
            app_id: e.app_id,
            livemode: e.livemode,
            kind: e.kind,
            object_id: e.object_id,
            request_id: e.request_id,
            created: e.created,
        };
        Ok(OneStatement::Applied(Box::new(ChargeTransition::Applied { charge, event })))
    }
}

/// The pending charge as the payment leaves it.
fn paid_copy(pre: &ChargeRow, info: &PaidInfo) -> ChargeRow {
    let mut after = pre.clone();
    after.status = "paid".into();
    after.transaction_no = Some(info.transaction_no.clone());
    after.time_paid = Some(info.time_paid);
    after.credential = "{}".into();
    after.next_query_at = None;
    after
}
