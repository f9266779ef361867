//! Whether an endpoint's deliveries carry `X-Pingplusplus-Signature`. The
//! RSA-2048 signature is the most expensive part of a delivery (about half
//! a millisecond of CPU); tenants that verify `Unicharge-Signature` (HMAC)
//! can turn it off. On by default, so a Ping++ integration works unchanged.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    PingppSignature,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(WebhookEndpoints::Table)
                .add_column(ColumnDef::new(WebhookEndpoints::PingppSignature).boolean().not_null().default(true))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(WebhookEndpoints::Table).drop_column(WebhookEndpoints::PingppSignature).to_owned(),
        )
        .await
    }
}
