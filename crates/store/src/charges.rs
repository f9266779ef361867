//! Charges: insert, read, list, and the compare-and-set transitions that
//! write their event in the same transaction.

use crate::entity::charge::{self, Column as C};
use crate::events::{insert_event, NewEvent};
use crate::{ChargeRow, EventRow, Page, PageRequest, Store, StoreError, TimeRange};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    SqlErr, TransactionTrait,
};

/// Everything needed to insert a charge; `seq` is assigned by the database.
#[derive(Debug, Clone)]
pub struct NewChargeRow {
    pub id: String,
    pub app_id: String,
    pub livemode: bool,
    pub channel: String,
    pub order_no: String,
    pub amount: i64,
    pub currency: String,
    pub client_ip: String,
    pub subject: String,
    pub body: String,
    pub extra: String,
    pub metadata: String,
    pub description: Option<String>,
    pub credential: String,
    pub created: i64,
    pub time_expire: i64,
    pub next_query_at: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct ChargeFilter {
    pub app_id: String,
    pub livemode: bool,
    pub channel: Option<String>,
    pub paid: Option<bool>,
    pub refunded: Option<bool>,
    pub reversed: Option<bool>,
    pub created: TimeRange,
}

/// What the channel reported when the charge was paid.
#[derive(Debug, Clone)]
pub struct PaidInfo {
    pub transaction_no: String,
    pub time_paid: i64,
}

/// The outcome of a compare-and-set on a charge's status.
// Returned once per state change and matched at once, never stored in bulk,
// so boxing the rows would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ChargeTransition {
    /// This call changed the state and wrote the event.
    Applied {
        charge: ChargeRow,
        event: EventRow,
    },
    /// The charge was already in the target state: a duplicate, nothing written.
    AlreadyDone(ChargeRow),
    /// The charge is in a state that cannot move to the target.
    Refused(ChargeRow),
    NotFound,
}

impl Store {
    /// Inserts a charge and returns it as stored, in one round trip.
    /// `Ok(None)` means `(app, mode, order_no)` is taken.
    pub async fn insert_charge(&self, r: &NewChargeRow) -> Result<Option<ChargeRow>, StoreError> {
        let am = new_charge_model(r);
        match charge::Entity::insert(am).exec_with_returning(&self.writer).await {
            Ok(row) => Ok(Some(row)),
            Err(e) => match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Ok(None),
                _ => Err(e.into()),
            },
        }
    }

    pub async fn get_charge(&self, id: &str) -> Result<Option<ChargeRow>, StoreError> {
        if let Some(hit) = self.charges.get(id) {
            return Ok(Some(hit));
        }
        let seen = self.charges.generation();
        let row = charge::Entity::find().filter(C::Id.eq(id)).one(&self.reader).await?;
        if let Some(r) = &row {
            self.charges.fill(r, seen);
        }
        Ok(row)
    }

    /// Reads through the writer, for decisions right after a write where a
    /// SQLite reader connection could still hold an older snapshot.
    pub async fn get_charge_fresh(&self, id: &str) -> Result<Option<ChargeRow>, StoreError> {
        Ok(charge::Entity::find().filter(C::Id.eq(id)).one(&self.writer).await?)
    }

    pub async fn get_charge_by_order_no(
        &self,
        app_id: &str,
        livemode: bool,
        order_no: &str,
    ) -> Result<Option<ChargeRow>, StoreError> {
        Ok(charge::Entity::find()
            .filter(C::AppId.eq(app_id))
            .filter(C::Livemode.eq(livemode))
            .filter(C::OrderNo.eq(order_no))
            .one(&self.writer)
            .await?)
    }

    pub async fn list_charges(&self, f: &ChargeFilter, page: PageRequest) -> Result<Page<ChargeRow>, StoreError> {
        let mut cond = Condition::all().add(C::AppId.eq(f.app_id.as_str())).add(C::Livemode.eq(f.livemode));
        if let Some(ch) = &f.channel {
            cond = cond.add(C::Channel.eq(ch.as_str()));
        }
        if let Some(p) = f.paid {
            cond = cond.add(if p { C::Status.eq("paid") } else { C::Status.ne("paid") });
        }
        if let Some(r) = f.refunded {
            cond = cond.add(if r { C::AmountRefunded.gt(0) } else { C::AmountRefunded.eq(0) });
        }
        if let Some(r) = f.reversed {
            cond = cond.add(if r { C::Status.eq("closed") } else { C::Status.ne("closed") });
        }
        cond = time_range(cond, C::Created, f.created);
        paginate(charge::Entity::find().filter(cond), C::Seq, page, &self.reader).await
    }

    /// Pending charges whose channel should be asked about them now.
    pub async fn due_charge_queries(&self, now: i64, limit: u64) -> Result<Vec<ChargeRow>, StoreError> {
        Ok(charge::Entity::find()
            .filter(C::Status.eq("pending"))
            .filter(C::NextQueryAt.lte(now))
            .order_by_asc(C::NextQueryAt)
            .limit(limit)
            .all(&self.writer)
            .await?)
    }

    /// Sets when to ask next (`None`: stop asking).
    pub async fn reschedule_charge_query(&self, id: &str, next: Option<i64>) -> Result<(), StoreError> {
        charge::Entity::update_many()
            .col_expr(C::NextQueryAt, Expr::value(next))
            .filter(C::Id.eq(id))
            .exec(&self.writer)
            .await?;
        self.charge_changed(id);
        Ok(())
    }

    /// `pending → paid`, writing `event` in the same transaction.
    pub async fn mark_charge_paid(
        &self,
        id: &str,
        info: &PaidInfo,
        event: impl FnOnce(&ChargeRow) -> NewEvent,
    ) -> Result<ChargeTransition, StoreError> {
        let update = charge::Entity::update_many()
            .col_expr(C::Status, Expr::value("paid"))
            .col_expr(C::TransactionNo, Expr::value(Some(info.transaction_no.clone())))
            .col_expr(C::TimePaid, Expr::value(Some(info.time_paid)))
            .col_expr(C::Credential, Expr::value("{}"));
        self.transition(id, "paid", update, event).await
    }

    /// `pending → failed`, as reported by the channel.
    pub async fn mark_charge_failed(
        &self,
        id: &str,
        code: &str,
        msg: &str,
        event: impl FnOnce(&ChargeRow) -> NewEvent,
    ) -> Result<ChargeTransition, StoreError> {
        let update = charge::Entity::update_many()
            .col_expr(C::Status, Expr::value("failed"))
            .col_expr(C::Credential, Expr::value("{}"))
            .col_expr(C::FailureCode, Expr::value(Some(code.to_owned())))
            .col_expr(C::FailureMsg, Expr::value(Some(msg.to_owned())));
        self.transition(id, "failed", update, event).await
    }

    /// `pending → closed` (Ping++ "reverse").
    pub async fn mark_charge_closed(
        &self,
        id: &str,
        event: impl FnOnce(&ChargeRow) -> NewEvent,
    ) -> Result<ChargeTransition, StoreError> {
        let update = charge::Entity::update_many()
            .col_expr(C::Status, Expr::value("closed"))
            .col_expr(C::Credential, Expr::value("{}"));
        self.transition(id, "closed", update, event).await
    }

    async fn transition(
        &self,
        id: &str,
        target: &str,
        update: sea_orm::UpdateMany<charge::Entity>,
        event: impl FnOnce(&ChargeRow) -> NewEvent,
    ) -> Result<ChargeTransition, StoreError> {
        let txn = self.writer.begin().await?;
        // RETURNING: the changed row comes back with the update, one round
        // trip instead of two on the hot path (every paid notification).
        let updated = update
            .col_expr(C::NextQueryAt, Expr::value(Option::<i64>::None))
            .filter(C::Id.eq(id))
            .filter(C::Status.eq("pending"))
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .next();
        let Some(row) = updated else {
            // Not pending (or not there): read it to say which.
            let current = charge::Entity::find().filter(C::Id.eq(id)).one(&txn).await?;
            txn.rollback().await?;
            return Ok(match current {
                None => ChargeTransition::NotFound,
                Some(row) if row.status == target => ChargeTransition::AlreadyDone(row),
                Some(row) => ChargeTransition::Refused(row),
            });
        };
        let ev = insert_event(&txn, event(&row)).await?;
        txn.commit().await?;
        self.charge_changed(id);
        Ok(ChargeTransition::Applied { charge: row, event: ev })
    }
}

/// A new charge as its pending row (shared with the Apple insert, which
/// writes it already paid).
pub(crate) fn new_charge_model(r: &NewChargeRow) -> charge::ActiveModel {
    charge::ActiveModel {
        id: Set(r.id.clone()),
        app_id: Set(r.app_id.clone()),
        livemode: Set(r.livemode),
        channel: Set(r.channel.clone()),
        order_no: Set(r.order_no.clone()),
        amount: Set(r.amount),
        amount_settle: Set(Some(r.amount)),
        currency: Set(r.currency.clone()),
        client_ip: Set(r.client_ip.clone()),
        subject: Set(r.subject.clone()),
        body: Set(r.body.clone()),
        extra: Set(r.extra.clone()),
        metadata: Set(r.metadata.clone()),
        description: Set(r.description.clone()),
        credential: Set(r.credential.clone()),
        status: Set("pending".into()),
        amount_refunded: Set(0),
        amount_refunding: Set(0),
        refund_count: Set(0),
        transaction_no: Set(None),
        failure_code: Set(None),
        failure_msg: Set(None),
        created: Set(r.created),
        time_paid: Set(None),
        time_expire: Set(r.time_expire),
        time_settle: Set(None),
        next_query_at: Set(r.next_query_at),
        ..Default::default()
    }
}

pub(crate) fn time_range<Col: ColumnTrait>(mut cond: Condition, col: Col, r: TimeRange) -> Condition {
    if let Some(v) = r.gt {
        cond = cond.add(col.gt(v));
    }
    if let Some(v) = r.gte {
        cond = cond.add(col.gte(v));
    }
    if let Some(v) = r.lt {
        cond = cond.add(col.lt(v));
    }
    if let Some(v) = r.lte {
        cond = cond.add(col.lte(v));
    }
    cond
}

/// Newest first, `limit + 1` rows fetched to learn `has_more` without a count.
pub(crate) async fn paginate<E, Col, Conn>(
    select: sea_orm::Select<E>,
    seq: Col,
    page: PageRequest,
    conn: &Conn,
) -> Result<Page<E::Model>, StoreError>
where
    E: EntityTrait,
    Col: ColumnTrait,
    Conn: ConnectionTrait,
{
    let limit = page.limit.max(1);
    let mut rows = if let Some(before) = page.ending_before {
        let mut rows = select.filter(seq.gt(before)).order_by_asc(seq).limit(limit + 1).all(conn).await?;
        let has_more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        rows.reverse();
        return Ok(Page { rows, has_more });
    } else {
        let mut s = select;
        if let Some(after) = page.starting_after {
            s = s.filter(seq.lt(after));
        }
        s.order_by_desc(seq).limit(limit + 1).all(conn).await?
    };
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Page { rows, has_more })
}
