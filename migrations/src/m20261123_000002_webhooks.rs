use crate::cols::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WebhookEndpoints::Table)
                .col(text(WebhookEndpoints::Id).primary_key())
                .col(text(WebhookEndpoints::AppId))
                .col(boolean(WebhookEndpoints::Livemode))
                .col(text(WebhookEndpoints::Url))
                // JSON array of event types.
                .col(text(WebhookEndpoints::EnabledEvents))
                // Sealed JSON: the current secret and any still-valid old ones.
                .col(text(WebhookEndpoints::SealedSecrets))
                .col(boolean(WebhookEndpoints::Enabled))
                .col(text_null(WebhookEndpoints::Description))
                .col(big(WebhookEndpoints::Created))
                .col(big(WebhookEndpoints::Updated))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_endpoints_app")
                .table(WebhookEndpoints::Table)
                .col(WebhookEndpoints::AppId)
                .col(WebhookEndpoints::Livemode)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookDeliveries::Table)
                .col(seq(WebhookDeliveries::Seq))
                .col(text(WebhookDeliveries::Id))
                .col(text(WebhookDeliveries::EventId))
                .col(text(WebhookDeliveries::EndpointId))
                .col(text(WebhookDeliveries::AppId))
                .col(boolean(WebhookDeliveries::Livemode))
                // The object the event is about: deliveries for one object
                // go out in order.
                .col(text(WebhookDeliveries::ObjectId))
                .col(text(WebhookDeliveries::Status))
                .col(int(WebhookDeliveries::Attempts))
                .col(big(WebhookDeliveries::NextAttemptAt))
                .col(big_null(WebhookDeliveries::LeaseUntil))
                .col(text_null(WebhookDeliveries::LeasedBy))
                .col(ColumnDef::new(WebhookDeliveries::LastStatus).integer().null())
                .col(text_null(WebhookDeliveries::LastError))
                .col(text_null(WebhookDeliveries::LastResponse))
                .col(ColumnDef::new(WebhookDeliveries::LastLatencyMs).integer().null())
                .col(big(WebhookDeliveries::Created))
                .col(big_null(WebhookDeliveries::DeliveredAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_deliveries_id")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::Id)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_deliveries_due")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::Status)
                .col(WebhookDeliveries::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_deliveries_event")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::EventId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_deliveries_order")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::EndpointId)
                .col(WebhookDeliveries::ObjectId)
                .col(WebhookDeliveries::Seq)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookAttempts::Table)
                .col(seq(WebhookAttempts::Seq))
                .col(text(WebhookAttempts::DeliveryId))
                .col(int(WebhookAttempts::Attempt))
                .col(big(WebhookAttempts::At))
                .col(ColumnDef::new(WebhookAttempts::Status).integer().null())
                .col(int(WebhookAttempts::LatencyMs))
                .col(text_null(WebhookAttempts::Response))
                .col(text_null(WebhookAttempts::Error))
                .col(text(WebhookAttempts::Node))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_attempts_delivery")
                .table(WebhookAttempts::Table)
                .col(WebhookAttempts::DeliveryId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    AppId,
    Livemode,
    Url,
    EnabledEvents,
    SealedSecrets,
    Enabled,
    Description,
    Created,
    Updated,
}
#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Seq,
    Id,
    EventId,
    EndpointId,
    AppId,
    Livemode,
    ObjectId,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LeasedBy,
    LastStatus,
    LastError,
    LastResponse,
    LastLatencyMs,
    Created,
    DeliveredAt,
}
#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Seq,
    DeliveryId,
    Attempt,
    At,
    Status,
    LatencyMs,
    Response,
    Error,
    Node,
}
