//! Apple in-app purchases: a verified purchase is inserted as a paid charge
//! together with its `apple_transactions` claim and its `charge.succeeded`
//! event, in one transaction, so one Apple transactionId pays one charge
//! however often and however concurrently it is presented. Refunds Apple
//! made on its own (App Store Server Notifications) create and complete a
//! refund with its event in one compare-and-set.

use crate::charges::new_charge_model;
use crate::entity::apple_transaction::{self, Column as A};
use crate::entity::charge::{self, Column as CC};
use crate::entity::refund;
use crate::events::{insert_event, NewEvent};
use crate::{ChargeRow, EventRow, NewChargeRow, PaidInfo, RefundRow, Store, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr, TransactionTrait};

// Returned once per purchase and matched at once, never stored in bulk.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum AppleInsert {
    /// A new paid charge, its claim and its event were written.
    Inserted { charge: ChargeRow, event: EventRow },
    /// The transaction already paid this charge; nothing was written.
    Claimed(ChargeRow),
    /// The order number is taken by another charge; nothing was written.
    OrderTaken,
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ProviderRefund {
    Applied {
        refund: RefundRow,
        charge: ChargeRow,
        event: EventRow,
    },
    /// Nothing left to refund (a replayed notification, or a REVOKE after
    /// its REFUND), or the charge is not paid; nothing was written.
    NothingLeft(ChargeRow),
    NotFound,
}

fn unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

impl Store {
    /// Which charge `transaction_id` paid in this app and mode.
    pub async fn apple_claim(
        &self,
        app_id: &str,
        livemode: bool,
        transaction_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(apple_transaction::Entity::find()
            .filter(A::AppId.eq(app_id))
            .filter(A::Livemode.eq(livemode))
            .filter(A::TransactionId.eq(transaction_id))
            .one(&self.writer)
            .await?
            .map(|c| c.charge_id))
    }

    async fn claimed_charge(&self, r: &NewChargeRow, transaction_id: &str) -> Result<AppleInsert, StoreError> {
        let id = self
            .apple_claim(&r.app_id, r.livemode, transaction_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("apple claim conflict without a row".into()))?;
        let row = self
            .get_charge_fresh(&id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("apple claim without charge".into()))?;
        Ok(AppleInsert::Claimed(row))
    }

    /// Inserts `r` already paid with `info`, claiming `transaction_id`.
    pub async fn insert_apple_charge(
        &self,
        r: &NewChargeRow,
        transaction_id: &str,
        info: &PaidInfo,
        event: impl FnOnce(&ChargeRow) -> NewEvent,
    ) -> Result<AppleInsert, StoreError> {
        if self.apple_claim(&r.app_id, r.livemode, transaction_id).await?.is_some() {
            return self.claimed_charge(r, transaction_id).await;
        }
        let txn = self.writer.begin().await?;
        // The claim first: a concurrent insert of the same transaction waits
        // here on the primary key until this one commits, then fails.
        let claim = apple_transaction::ActiveModel {
            app_id: Set(r.app_id.clone()),
            livemode: Set(r.livemode),
            transaction_id: Set(transaction_id.to_owned()),
            charge_id: Set(r.id.clone()),
            created: Set(r.created),
        };
        if let Err(e) = apple_transaction::Entity::insert(claim).exec_without_returning(&txn).await {
            txn.rollback().await?;
            return if unique_violation(&e) { self.claimed_charge(r, transaction_id).await } else { Err(e.into()) };
        }
        let mut am = new_charge_model(r);
        am.status = Set("paid".into());
        am.transaction_no = Set(Some(info.transaction_no.clone()));
        am.time_paid = Set(Some(info.time_paid));
        am.next_query_at = Set(None);
        let row = match charge::Entity::insert(am).exec_with_returning(&txn).await {
            Ok(row) => row,
            Err(e) => {
                txn.rollback().await?;
                return if unique_violation(&e) { Ok(AppleInsert::OrderTaken) } else { Err(e.into()) };
            }
        };
        let ev = insert_event(&txn, event(&row)).await?;
        txn.commit().await?;
        self.charge_changed(&row.id);
        Ok(AppleInsert::Inserted { charge: row, event: ev })
    }

    /// Creates `template` as a succeeded refund of its charge for what is
    /// left to refund (`template.amount` is ignored), with its event.
    pub async fn apply_provider_refund(
        &self,
        template: &RefundRow,
        event: impl FnOnce(&RefundRow, &ChargeRow) -> NewEvent,
    ) -> Result<ProviderRefund, StoreError> {
        let txn = self.writer.begin().await?;
        let Some(ch) = charge::Entity::find().filter(CC::Id.eq(template.charge_id.as_str())).one(&txn).await? else {
            txn.rollback().await?;
            return Ok(ProviderRefund::NotFound);
        };
        let left = ch.amount - ch.amount_refunded - ch.amount_refunding;
        // Compare-and-set on what was read: a concurrent replay that got
        // here first leaves nothing, and this update then matches no row.
        let res = charge::Entity::update_many()
            .col_expr(CC::AmountRefunded, Expr::col(CC::AmountRefunded).add(left))
            .col_expr(CC::RefundCount, Expr::col(CC::RefundCount).add(1))
            .filter(CC::Id.eq(ch.id.as_str()))
            .filter(CC::Status.eq("paid"))
            .filter(CC::AmountRefunded.eq(ch.amount_refunded))
            .filter(CC::AmountRefunding.eq(ch.amount_refunding))
            .exec(&txn)
            .await?;
        if left <= 0 || res.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(ProviderRefund::NothingLeft(ch));
        }
        let am = refund::ActiveModel {
            id: Set(template.id.clone()),
            charge_id: Set(template.charge_id.clone()),
            app_id: Set(template.app_id.clone()),
            livemode: Set(template.livemode),
            order_no: Set(template.order_no.clone()),
            amount: Set(left),
            currency: Set(template.currency.clone()),
            status: Set("succeeded".into()),
            description: Set(template.description.clone()),
            metadata: Set(template.metadata.clone()),
            extra: Set(template.extra.clone()),
            transaction_no: Set(template.transaction_no.clone()),
            failure_code: Set(None),
            failure_msg: Set(None),
            funding_source: Set(None),
            created: Set(template.created),
            time_succeed: Set(template.time_succeed),
            ..Default::default()
        };
        let rf = refund::Entity::insert(am).exec_with_returning(&txn).await?;
        let ch = charge::Entity::find()
            .filter(CC::Id.eq(ch.id.as_str()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::Corrupt("charge vanished during refund".into()))?;
        let ev = insert_event(&txn, event(&rf, &ch)).await?;
        txn.commit().await?;
        self.charge_changed(&ch.id);
        Ok(ProviderRefund::Applied { refund: rf, charge: ch, event: ev })
    }
}
