use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub id: String,
    pub charge_id: String,
    pub app_id: String,
    pub livemode: bool,
    pub order_no: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub description: String,
    pub metadata: String,
    pub extra: String,
    pub transaction_no: Option<String>,
    pub failure_code: Option<String>,
    pub failure_msg: Option<String>,
    pub funding_source: Option<String>,
    pub created: i64,
    pub time_succeed: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
