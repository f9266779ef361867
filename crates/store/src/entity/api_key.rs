use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub mode: String,
    /// HMAC-SHA256 of the key under the server pepper; the key itself is
    /// shown once at creation and never stored.
    pub key_hash: String,
    /// The first and last characters, so operators can tell keys apart.
    pub hint: String,
    pub revoked: bool,
    pub created: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
