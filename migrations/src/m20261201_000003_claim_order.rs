//! The claim query orders due deliveries by `(next_attempt_at, seq)` and
//! stops at its batch size. With the index ending at `next_attempt_at`,
//! PostgreSQL sorted the whole due backlog first: 100 ms a claim at 11,000
//! pending deliveries, so a tenant outage slowed every tenant's webhooks.
//! Ending the index with `seq` lets the scan stop after one batch (1 ms).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Status,
    NextAttemptAt,
    Seq,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("webhook_deliveries_due").table(WebhookDeliveries::Table).to_owned()).await?;
        m.create_index(
            Index::create()
                .name("webhook_deliveries_due")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::Status)
                .col(WebhookDeliveries::NextAttemptAt)
                .col(WebhookDeliveries::Seq)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("webhook_deliveries_due").table(WebhookDeliveries::Table).to_owned()).await?;
        m.create_index(
            Index::create()
                .name("webhook_deliveries_due")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::Status)
                .col(WebhookDeliveries::NextAttemptAt)
                .to_owned(),
        )
        .await
    }
}
