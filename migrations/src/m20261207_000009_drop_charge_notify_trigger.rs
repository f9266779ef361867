//! Drops the `charges_changed` trigger of `m20261205_000007`. It sent the
//! charge cache's `pg_notify` inside every charge update, and PostgreSQL
//! serializes the commits of notifying transactions on one global lock held
//! across the WAL flush: every paid notification queued behind every other
//! at commit. The store now sends the same notifications after commit, in
//! batches (`crates/store/src/cache_peers.rs`).
//!
//! During a rolling upgrade, nodes still on the old binary send nothing
//! once the trigger is gone: until they are replaced, other nodes may serve
//! a charge that an old node changed up to the cache TTL (10 s) out of
//! date. The new nodes' notifications carry one id each, as before, so the
//! old nodes still hear them.

use crate::m20261205_000007_charge_notify_trigger::{CREATE_FUNCTION, CREATE_TRIGGER, DROP_FUNCTION, DROP_TRIGGER};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(DROP_TRIGGER).await?;
        db.execute_unprepared(DROP_FUNCTION).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(CREATE_FUNCTION).await?;
        db.execute_unprepared(CREATE_TRIGGER).await?;
        Ok(())
    }
}
