//! Apple in-app purchases: which charge each Apple `transactionId` paid, per
//! app and mode. The primary key is the dedupe: the same purchase presented
//! twice (even concurrently, even with another order_no) can claim one
//! charge only, because the claim is inserted in the transaction that
//! inserts the paid charge.

use crate::cols::{big, boolean, text};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppleTransactions {
    Table,
    AppId,
    Livemode,
    TransactionId,
    ChargeId,
    Created,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AppleTransactions::Table)
                .col(text(AppleTransactions::AppId))
                .col(boolean(AppleTransactions::Livemode))
                .col(text(AppleTransactions::TransactionId))
                .col(text(AppleTransactions::ChargeId))
                .col(big(AppleTransactions::Created))
                .primary_key(
                    Index::create()
                        .col(AppleTransactions::AppId)
                        .col(AppleTransactions::Livemode)
                        .col(AppleTransactions::TransactionId),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AppleTransactions::Table).to_owned()).await
    }
}
