use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub id: String,
    pub app_id: String,
    pub livemode: bool,
    #[sea_orm(column_name = "type")]
    pub kind: String,
    pub object_id: String,
    /// The `data.object` snapshot, rendered when the state changed.
    pub data: String,
    pub pending_webhooks: i32,
    pub request_id: Option<String>,
    pub created: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
