use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub id: String,
    pub event_id: String,
    pub endpoint_id: String,
    pub app_id: String,
    pub livemode: bool,
    pub object_id: String,
    /// pending | succeeded | failed
    pub status: String,
    pub attempts: i32,
    /// Milliseconds, like `lease_until` and `delivered_at`: retry schedules
    /// compressed for tests need sub-second resolution. `created` is seconds.
    pub next_attempt_at: i64,
    /// A claim is a lease: past this time another node may take it over.
    pub lease_until: Option<i64>,
    pub leased_by: Option<String>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_response: Option<String>,
    pub last_latency_ms: Option<i32>,
    pub created: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
