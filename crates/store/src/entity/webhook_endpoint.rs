use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub app_id: String,
    pub livemode: bool,
    pub url: String,
    /// JSON array of event types; `["*"]` means all.
    pub enabled_events: String,
    /// Sealed JSON array of `{"secret", "expires"}`: the current signing
    /// secret first, then rotated-out ones until they expire.
    pub sealed_secrets: String,
    pub enabled: bool,
    pub description: Option<String>,
    pub created: i64,
    pub updated: i64,
    /// Sign deliveries with the platform's RSA key too (`X-Pingplusplus-Signature`).
    pub pingpp_signature: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
