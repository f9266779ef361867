//! Schema migrations, embedded in the `unicharge` binary and applied at
//! start-up. Written with sea-query's builder so one definition serves SQLite
//! and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod cols;
mod m20261123_000001_init;
mod m20261123_000002_webhooks;
mod m20261201_000003_claim_order;
mod m20261205_000005_pingpp_signature;
mod m20261205_000006_dashboard;
mod m20261205_000007_charge_notify_trigger;
mod m20261205_000008_apple_transactions;
mod m20261207_000009_drop_charge_notify_trigger;
mod m20261207_000010_pending_delivery_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_init::Migration),
            Box::new(m20261123_000002_webhooks::Migration),
            Box::new(m20261201_000003_claim_order::Migration),
            Box::new(m20261205_000005_pingpp_signature::Migration),
            Box::new(m20261205_000006_dashboard::Migration),
            Box::new(m20261205_000007_charge_notify_trigger::Migration),
            Box::new(m20261205_000008_apple_transactions::Migration),
            Box::new(m20261207_000009_drop_charge_notify_trigger::Migration),
            Box::new(m20261207_000010_pending_delivery_indexes::Migration),
        ]
    }
}
