use sea_orm::entity::prelude::*;

/// A provider's asynchronous notification as received at `/notify/...`,
/// kept so an operator can see exactly what the channel said.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub id: String,
    pub app_id: String,
    pub livemode: bool,
    pub channel: String,
    pub charge_id: Option<String>,
    pub refund_id: Option<String>,
    pub received: i64,
    /// `accepted`, `rejected` or `ignored`.
    pub outcome: String,
    pub reason: Option<String>,
    pub content_type: String,
    /// JSON object of the headers, without credentials.
    pub headers: String,
    /// The body as text (lossy UTF-8), cut at 64 KiB.
    pub body: String,
    pub body_truncated: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
