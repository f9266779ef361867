use sea_orm::entity::prelude::*;

/// A dashboard sign-in. The cookie's JWT names it (`sid`), so signing out
/// or removing the user ends it on every node.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub created: i64,
    pub expires: i64,
    /// When it was signed out; NULL while it is live.
    pub revoked: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
