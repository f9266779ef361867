use sea_orm::entity::prelude::*;

/// Which charge an Apple `transactionId` paid (see migration 000008).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "apple_transactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub app_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub livemode: bool,
    #[sea_orm(primary_key, auto_increment = false)]
    pub transaction_id: String,
    pub charge_id: String,
    pub created: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
