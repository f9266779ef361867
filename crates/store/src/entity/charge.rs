use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "charges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub id: String,
    pub app_id: String,
    pub livemode: bool,
    pub channel: String,
    pub order_no: String,
    pub amount: i64,
    pub amount_settle: Option<i64>,
    pub currency: String,
    pub client_ip: String,
    pub subject: String,
    pub body: String,
    pub extra: String,
    pub metadata: String,
    pub description: Option<String>,
    pub credential: String,
    pub status: String,
    /// Sum of succeeded refunds.
    pub amount_refunded: i64,
    /// Sum of refunds still pending at the channel; reserved so concurrent
    /// refunds cannot together exceed the amount paid.
    pub amount_refunding: i64,
    /// Refunds ever created, so reads can skip the refunds query when zero.
    pub refund_count: i32,
    pub transaction_no: Option<String>,
    pub failure_code: Option<String>,
    pub failure_msg: Option<String>,
    pub created: i64,
    pub time_paid: Option<i64>,
    pub time_expire: i64,
    pub time_settle: Option<i64>,
    /// When the sweeper should next ask the channel about this pending
    /// charge; NULL once it is settled or given up on.
    pub next_query_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
