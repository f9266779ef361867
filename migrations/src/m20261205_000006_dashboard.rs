//! The dashboard's tables: its users (people, not API keys), their sessions,
//! failed logins (counted in the database so every node throttles alike),
//! and the raw channel notifications a charge's detail page shows.

use crate::cols::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AdminUsers::Table)
                .col(text(AdminUsers::Id).primary_key())
                // Stored lower-cased, so the unique index is case-insensitive.
                .col(text(AdminUsers::Email))
                .col(text(AdminUsers::PasswordHash))
                .col(text(AdminUsers::Role))
                .col(text_null(AdminUsers::TenantId))
                .col(big(AdminUsers::Created))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("admin_users_email")
                .table(AdminUsers::Table)
                .col(AdminUsers::Email)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AdminSessions::Table)
                .col(text(AdminSessions::Id).primary_key())
                .col(text(AdminSessions::UserId))
                .col(big(AdminSessions::Created))
                .col(big(AdminSessions::Expires))
                .col(big_null(AdminSessions::Revoked))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("admin_sessions_user")
                .table(AdminSessions::Table)
                .col(AdminSessions::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AdminLoginFailures::Table)
                .col(seq(AdminLoginFailures::Seq))
                // `email:<address>` or `ip:<address>`.
                .col(text(AdminLoginFailures::Key))
                .col(big(AdminLoginFailures::At))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("admin_login_failures_key")
                .table(AdminLoginFailures::Table)
                .col(AdminLoginFailures::Key)
                .col(AdminLoginFailures::At)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ChannelNotifications::Table)
                .col(seq(ChannelNotifications::Seq))
                .col(text(ChannelNotifications::Id))
                .col(text(ChannelNotifications::AppId))
                .col(boolean(ChannelNotifications::Livemode))
                .col(text(ChannelNotifications::Channel))
                .col(text_null(ChannelNotifications::ChargeId))
                .col(text_null(ChannelNotifications::RefundId))
                .col(big(ChannelNotifications::Received))
                .col(text(ChannelNotifications::Outcome))
                .col(text_null(ChannelNotifications::Reason))
                .col(text(ChannelNotifications::ContentType))
                .col(text(ChannelNotifications::Headers))
                .col(text(ChannelNotifications::Body))
                .col(boolean(ChannelNotifications::BodyTruncated))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("channel_notifications_charge")
                .table(ChannelNotifications::Table)
                .col(ChannelNotifications::ChargeId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("channel_notifications_refund")
                .table(ChannelNotifications::Table)
                .col(ChannelNotifications::RefundId)
                .to_owned(),
        )
        .await?;
        // The dashboard lists refunds across a tenant's apps, newest first.
        m.create_index(
            Index::create()
                .name("refunds_listing")
                .table(Refunds::Table)
                .col(Refunds::AppId)
                .col(Refunds::Livemode)
                .col(Refunds::Seq)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("refunds_listing").table(Refunds::Table).to_owned()).await?;
        for t in [
            ChannelNotifications::Table.into_iden(),
            AdminLoginFailures::Table.into_iden(),
            AdminSessions::Table.into_iden(),
            AdminUsers::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AdminUsers {
    Table,
    Id,
    Email,
    PasswordHash,
    Role,
    TenantId,
    Created,
}
#[derive(DeriveIden)]
enum AdminSessions {
    Table,
    Id,
    UserId,
    Created,
    Expires,
    Revoked,
}
#[derive(DeriveIden)]
enum AdminLoginFailures {
    Table,
    Seq,
    Key,
    At,
}
#[derive(DeriveIden)]
enum ChannelNotifications {
    Table,
    Seq,
    Id,
    AppId,
    Livemode,
    Channel,
    ChargeId,
    RefundId,
    Received,
    Outcome,
    Reason,
    ContentType,
    Headers,
    Body,
    BodyTruncated,
}
#[derive(DeriveIden)]
enum Refunds {
    Table,
    AppId,
    Livemode,
    Seq,
}
