//! Refunds. The amount is reserved on the charge by a conditional update
//! before the channel is called, so two concurrent refunds can never together
//! exceed what was paid, and a retried refund reuses its `out_request_no`.

use crate::charges::paginate;
use crate::entity::charge::{self, Column as CC};
use crate::entity::refund::{self, Column as C};
use crate::events::{insert_event, NewEvent};
use crate::{ChargeRow, EventRow, Page, PageRequest, RefundRow, Store, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

// Returned once per state change and matched at once, never stored in bulk,
// so boxing the rows would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum RefundReservation {
    Reserved {
        refund: RefundRow,
        charge: ChargeRow,
    },
    /// Not paid, or the amount exceeds what is left; nothing was written.
    NotRefundable(ChargeRow),
    NotFound,
}

// Returned once per state change and matched at once, never stored in bulk,
// so boxing the rows would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum RefundCompletion {
    Applied { refund: RefundRow, charge: ChargeRow, event: EventRow },
    AlreadyDone(RefundRow),
    NotFound,
}

impl Store {
    pub async fn reserve_refund(&self, r: &RefundRow) -> Result<RefundReservation, StoreError> {
        let txn = self.writer.begin().await?;
        let res = charge::Entity::update_many()
            .col_expr(CC::AmountRefunding, Expr::col(CC::AmountRefunding).add(r.amount))
            .col_expr(CC::RefundCount, Expr::col(CC::RefundCount).add(1))
            .filter(CC::Id.eq(r.charge_id.as_str()))
            .filter(CC::Status.eq("paid"))
            .filter(
                Expr::col(CC::AmountRefunded)
                    .add(Expr::col(CC::AmountRefunding))
                    .add(r.amount)
                    .lte(Expr::col(CC::Amount)),
            )
            .exec(&txn)
            .await?;
        let Some(ch) = charge::Entity::find().filter(CC::Id.eq(r.charge_id.as_str())).one(&txn).await? else {
            txn.rollback().await?;
            return Ok(RefundReservation::NotFound);
        };
        if res.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(RefundReservation::NotRefundable(ch));
        }
        refund::Entity::insert(refund::ActiveModel {
            id: Set(r.id.clone()),
            charge_id: Set(r.charge_id.clone()),
            app_id: Set(r.app_id.clone()),
            livemode: Set(r.livemode),
            order_no: Set(r.order_no.clone()),
            amount: Set(r.amount),
            currency: Set(r.currency.clone()),
            status: Set("pending".into()),
            description: Set(r.description.clone()),
            metadata: Set(r.metadata.clone()),
            extra: Set(r.extra.clone()),
            transaction_no: Set(None),
            failure_code: Set(None),
            failure_msg: Set(None),
            funding_source: Set(r.funding_source.clone()),
            created: Set(r.created),
            time_succeed: Set(None),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        let refund = refund::Entity::find()
            .filter(C::Id.eq(r.id.as_str()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::Corrupt("refund vanished after insert".into()))?;
        txn.commit().await?;
        self.charge_changed(&r.charge_id);
        Ok(RefundReservation::Reserved { refund, charge: ch })
    }

    /// `pending → succeeded`: moves the reserved amount into `amount_refunded`.
    pub async fn complete_refund_succeeded(
        &self,
        id: &str,
        transaction_no: Option<String>,
        time_succeed: i64,
        event: impl FnOnce(&RefundRow, &ChargeRow) -> NewEvent,
    ) -> Result<RefundCompletion, StoreError> {
        let update = refund::Entity::update_many()
            .col_expr(C::Status, Expr::value("succeeded"))
            .col_expr(C::TransactionNo, Expr::value(transaction_no))
            .col_expr(C::TimeSucceed, Expr::value(Some(time_succeed)));
        self.complete_refund(id, update, true, event).await
    }

    /// `pending → failed`: releases the reserved amount.
    pub async fn complete_refund_failed(
        &self,
        id: &str,
        code: &str,
        msg: &str,
        event: impl FnOnce(&RefundRow, &ChargeRow) -> NewEvent,
    ) -> Result<RefundCompletion, StoreError> {
        let update = refund::Entity::update_many()
            .col_expr(C::Status, Expr::value("failed"))
            .col_expr(C::FailureCode, Expr::value(Some(code.to_owned())))
            .col_expr(C::FailureMsg, Expr::value(Some(msg.to_owned())));
        self.complete_refund(id, update, false, event).await
    }

    async fn complete_refund(
        &self,
        id: &str,
        update: sea_orm::UpdateMany<refund::Entity>,
        succeeded: bool,
        event: impl FnOnce(&RefundRow, &ChargeRow) -> NewEvent,
    ) -> Result<RefundCompletion, StoreError> {
        let txn = self.writer.begin().await?;
        let res = update.filter(C::Id.eq(id)).filter(C::Status.eq("pending")).exec(&txn).await?;
        let Some(rf) = refund::Entity::find().filter(C::Id.eq(id)).one(&txn).await? else {
            txn.rollback().await?;
            return Ok(RefundCompletion::NotFound);
        };
        if res.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(RefundCompletion::AlreadyDone(rf));
        }
        let mut upd =
            charge::Entity::update_many().col_expr(CC::AmountRefunding, Expr::col(CC::AmountRefunding).sub(rf.amount));
        if succeeded {
            upd = upd.col_expr(CC::AmountRefunded, Expr::col(CC::AmountRefunded).add(rf.amount));
        }
        upd.filter(CC::Id.eq(rf.charge_id.as_str())).exec(&txn).await?;
        let ch = charge::Entity::find()
            .filter(CC::Id.eq(rf.charge_id.as_str()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::Corrupt("refund without charge".into()))?;
        let ev = insert_event(&txn, event(&rf, &ch)).await?;
        txn.commit().await?;
        self.charge_changed(&ch.id);
        Ok(RefundCompletion::Applied { refund: rf, charge: ch, event: ev })
    }

    pub async fn get_refund(&self, id: &str) -> Result<Option<RefundRow>, StoreError> {
        Ok(refund::Entity::find().filter(C::Id.eq(id)).one(&self.reader).await?)
    }

    pub async fn list_refunds(&self, charge_id: &str, page: PageRequest) -> Result<Page<RefundRow>, StoreError> {
        paginate(refund::Entity::find().filter(C::ChargeId.eq(charge_id)), C::Seq, page, &self.reader).await
    }

    /// Refunds of several charges at once, for embedding in charge lists
    /// without one query per charge.
    pub async fn refunds_for_charges(&self, charge_ids: &[String]) -> Result<Vec<RefundRow>, StoreError> {
        if charge_ids.is_empty() {
            return Ok(Vec::new());
        }
        use sea_orm::QueryOrder;
        Ok(refund::Entity::find()
            .filter(C::ChargeId.is_in(charge_ids.iter().map(String::as_str)))
            .order_by_desc(C::Seq)
            .all(&self.reader)
            .await?)
    }

    /// Refunds still pending that were created at or before `created_before`.
    pub async fn pending_refunds(&self, created_before: i64, limit: u64) -> Result<Vec<RefundRow>, StoreError> {
        use sea_orm::{QueryOrder, QuerySelect};
        Ok(refund::Entity::find()
            .filter(C::Status.eq("pending"))
            .filter(C::Created.lte(created_before))
            .order_by_asc(C::Seq)
            .limit(limit)
            .all(&self.writer)
            .await?)
    }
}
