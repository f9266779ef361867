//! Raw channel notifications, stored as received so the dashboard can show
//! what a provider actually sent. Written after the notification has been
//! handled, outside its transaction and in batches: losing one of these rows
//! loses only the record, never a state change.

use crate::entity::channel_notification::{self as cn, Column as C};
use crate::{Store, StoreError};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

pub use crate::entity::channel_notification::Model as NotificationRow;

impl Store {
    /// Inserts a batch in one statement.
    pub async fn insert_notifications(&self, rows: &[NotificationRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let models = rows.iter().map(|r| cn::ActiveModel {
            id: Set(r.id.clone()),
            app_id: Set(r.app_id.clone()),
            livemode: Set(r.livemode),
            channel: Set(r.channel.clone()),
            charge_id: Set(r.charge_id.clone()),
            refund_id: Set(r.refund_id.clone()),
            received: Set(r.received),
            outcome: Set(r.outcome.clone()),
            reason: Set(r.reason.clone()),
            content_type: Set(r.content_type.clone()),
            headers: Set(r.headers.clone()),
            body: Set(r.body.clone()),
            body_truncated: Set(r.body_truncated),
            ..Default::default()
        });
        cn::Entity::insert_many(models).exec_without_returning(&self.writer).await?;
        Ok(())
    }

    /// Notifications about a charge or any of its refunds, oldest first.
    pub async fn notifications_for(
        &self,
        charge_id: &str,
        refund_ids: &[String],
        limit: u64,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        let mut cond = Condition::any().add(C::ChargeId.eq(charge_id));
        if !refund_ids.is_empty() {
            cond = cond.add(C::RefundId.is_in(refund_ids.iter().map(String::as_str)));
        }
        Ok(cn::Entity::find().filter(cond).order_by_asc(C::Seq).limit(limit).all(&self.reader).await?)
    }
}
