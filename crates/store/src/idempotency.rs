//! `Idempotency-Key` records, persisted so a retry after a crash or on
//! another node still replays the first response.

use crate::entity::idempotency_key::{self, Column as C};
use crate::{Store, StoreError};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

/// Seconds after which an unfinished claim is presumed dead.
pub const STALE_AFTER: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// This request owns the key and must call `finish_idempotency`.
    Started,
    /// The key was used before with the same request: replay this response.
    Replay { status: u16, body: String },
    /// The key was used before with a different request.
    Mismatch,
    /// The first request with this key is still being processed.
    InFlight,
}

impl Store {
    pub async fn begin_idempotency(
        &self,
        tenant_id: &str,
        livemode: bool,
        key: &str,
        request_hash: &str,
        now: i64,
    ) -> Result<IdempotencyBegin, StoreError> {
        let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            tenant_id: Set(tenant_id.to_owned()),
            livemode: Set(livemode),
            key: Set(key.to_owned()),
            request_hash: Set(request_hash.to_owned()),
            response_status: Set(None),
            response_body: Set(None),
            created: Set(now),
        })
        .on_conflict(OnConflict::columns([C::TenantId, C::Livemode, C::Key]).do_nothing().to_owned())
        .exec_without_returning(&self.writer)
        .await?;
        if inserted == 1 {
            return Ok(IdempotencyBegin::Started);
        }
        // A claim whose request died with its process would block the key
        // forever; after STALE_AFTER seconds a retry takes it over.
        let taken = idempotency_key::Entity::update_many()
            .col_expr(C::Created, Expr::value(now))
            .filter(C::TenantId.eq(tenant_id))
            .filter(C::Livemode.eq(livemode))
            .filter(C::Key.eq(key))
            .filter(C::RequestHash.eq(request_hash))
            .filter(C::ResponseStatus.is_null())
            .filter(C::Created.lt(now - STALE_AFTER))
            .exec(&self.writer)
            .await?;
        if taken.rows_affected == 1 {
            return Ok(IdempotencyBegin::Started);
        }
        let row = idempotency_key::Entity::find_by_id((tenant_id.to_owned(), livemode, key.to_owned()))
            .one(&self.writer)
            .await?;
        Ok(match row {
            // Abandoned between our insert attempt and this read: let the
            // client retry rather than guess.
            None => IdempotencyBegin::InFlight,
            Some(r) if r.request_hash != request_hash => IdempotencyBegin::Mismatch,
            Some(r) => match (r.response_status, r.response_body) {
                (Some(s), Some(b)) => IdempotencyBegin::Replay { status: s.clamp(100, 599) as u16, body: b },
                _ => IdempotencyBegin::InFlight,
            },
        })
    }

    pub async fn finish_idempotency(
        &self,
        tenant_id: &str,
        livemode: bool,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        idempotency_key::Entity::update_many()
            .col_expr(C::ResponseStatus, Expr::value(Some(i32::from(status))))
            .col_expr(C::ResponseBody, Expr::value(Some(body.to_owned())))
            .filter(C::TenantId.eq(tenant_id))
            .filter(C::Livemode.eq(livemode))
            .filter(C::Key.eq(key))
            .exec(&self.writer)
            .await?;
        Ok(())
    }

    /// Deletes records older than `before`; keys are honoured for a day.
    pub async fn purge_idempotency(&self, before: i64) -> Result<u64, StoreError> {
        let res = idempotency_key::Entity::delete_many().filter(C::Created.lt(before)).exec(&self.writer).await?;
        Ok(res.rows_affected)
    }

    /// Forgets a key whose request failed on our side, so that a retry with
    /// the same key is processed instead of replaying a server error.
    pub async fn abandon_idempotency(&self, tenant_id: &str, livemode: bool, key: &str) -> Result<(), StoreError> {
        idempotency_key::Entity::delete_many()
            .filter(C::TenantId.eq(tenant_id))
            .filter(C::Livemode.eq(livemode))
            .filter(C::Key.eq(key))
            .filter(C::ResponseStatus.is_null())
            .exec(&self.writer)
            .await?;
        Ok(())
    }
}
