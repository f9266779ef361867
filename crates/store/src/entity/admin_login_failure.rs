use sea_orm::entity::prelude::*;

/// One failed dashboard login, counted per email and per client IP.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_login_failures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// `email:<address>` or `ip:<address>`.
    pub key: String,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
