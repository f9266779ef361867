use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_configs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub app_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub mode: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    /// Non-secret parameters as a JSON object.
    pub params: String,
    /// Secret parameters, a JSON object sealed with AES-256-GCM.
    pub sealed_secrets: String,
    pub enabled: bool,
    pub updated: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
