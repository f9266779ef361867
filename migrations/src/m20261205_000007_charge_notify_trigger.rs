//! On PostgreSQL, every update of a charge row tells every node's charge
//! cache, at commit, through `pg_notify` (see `crates/store/src/cache.rs`).
//! A trigger instead of a `SELECT pg_notify(...)` from each state change:
//! one round trip fewer on the hottest path (a paid notification), and no
//! update of a charge can forget it. SQLite is one node and needs nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Also what `m20261207_000009` puts back when it is rolled back.
pub(crate) const CREATE_FUNCTION: &str = "CREATE OR REPLACE FUNCTION unicharge_charge_changed() RETURNS trigger AS $$ \
     BEGIN PERFORM pg_notify('unicharge_charges', NEW.id); RETURN NULL; END $$ LANGUAGE plpgsql";
pub(crate) const CREATE_TRIGGER: &str = "CREATE TRIGGER charges_changed AFTER UPDATE ON charges \
     FOR EACH ROW EXECUTE FUNCTION unicharge_charge_changed()";
pub(crate) const DROP_TRIGGER: &str = "DROP TRIGGER IF EXISTS charges_changed ON charges";
pub(crate) const DROP_FUNCTION: &str = "DROP FUNCTION IF EXISTS unicharge_charge_changed()";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(CREATE_FUNCTION).await?;
        db.execute_unprepared(CREATE_TRIGGER).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(DROP_TRIGGER).await?;
        db.execute_unprepared(DROP_FUNCTION).await?;
        Ok(())
    }
}
