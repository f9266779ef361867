//! Unicharge storage. The database is the source of truth; every state change
//! is a compare-and-set inside a transaction that also writes its event.
//!
//! SQLite gets a single-connection writer pool beside a reader pool: SQLite
//! allows one writer at a time anyway, and funnelling writes through one
//! connection avoids `SQLITE_BUSY` on lock upgrades inside transactions.
//! PostgreSQL uses one pool for both.

pub mod admin;
pub mod admin_users;
pub mod entity;
pub mod notifications;

mod apple;
mod cache;
mod cache_peers;
mod charge_paid_pg;
mod charges;
mod connect;
mod events;
mod idempotency;
mod refunds;
mod tenancy;
mod webhook_batch;
pub mod webhooks;

pub use apple::{AppleInsert, ProviderRefund};
pub use charge_paid_pg::OneStatement;
pub use charges::{ChargeFilter, ChargeTransition, NewChargeRow, PaidInfo};
pub use connect::{Backend, StoreOptions};
pub use entity::{
    api_key::Model as ApiKeyRow, app::Model as AppRow, channel_config::Model as ChannelConfigRow,
    charge::Model as ChargeRow, event::Model as EventRow, refund::Model as RefundRow, tenant::Model as TenantRow,
};
pub use events::{EventFilter, NewEvent};
pub use idempotency::IdempotencyBegin;
pub use refunds::{RefundCompletion, RefundReservation};
pub use webhook_batch::FinishedAttempt;

use sea_orm::DatabaseConnection;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("database connection error: {0}")]
    Connect(String),
    #[error("a stored value is corrupt: {0}")]
    Corrupt(String),
}

/// A page of rows plus whether more exist beyond it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_more: bool,
}

/// Cursor pagination on the monotonically increasing `seq`, newest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest {
    pub limit: u64,
    /// Return rows older than this seq.
    pub starting_after: Option<i64>,
    /// Return rows newer than this seq.
    pub ending_before: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TimeRange {
    pub gt: Option<i64>,
    pub gte: Option<i64>,
    pub lt: Option<i64>,
    pub lte: Option<i64>,
}

#[derive(Clone)]
pub struct Store {
    writer: DatabaseConnection,
    reader: DatabaseConnection,
    backend: Backend,
    /// Kept so each HTTP worker, and the dispatcher, can open a pool of its
    /// own (see `for_worker`): the options, the workers' connections in
    /// total, and the dispatcher's.
    pg: Option<(sqlx::postgres::PgConnectOptions, u32, u32)>,
    charges: std::sync::Arc<cache::ChargeCache>,
}

impl Store {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// After a committed change to a charge row: drop it from this node's
    /// cache, and queue it for the other nodes' (`cache_peers`).
    pub(crate) fn charge_changed(&self, id: &str) {
        self.charges.changed_here(id);
    }

    /// Whether charge reads are being served from the cache (on PostgreSQL,
    /// only while the cross-node invalidation listener is connected).
    pub fn charge_cache_active(&self) -> bool {
        self.charges.is_enabled()
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.reader.ping().await?;
        Ok(())
    }
}

pub(crate) fn json_text(v: &serde_json::Value) -> String {
    v.to_string()
}
