//! Dashboard users, their sessions, and failed-login counts. Knows nothing of
//! passwords or tokens: the server hashes and signs, this only stores.

use crate::entity::{admin_login_failure as lf, admin_session as sess, admin_user as user};
use crate::{Store, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, SqlErr};

pub use crate::entity::admin_session::Model as AdminSessionRow;
pub use crate::entity::admin_user::Model as AdminUserRow;

impl Store {
    /// Inserts a user; `Ok(false)` when the email is taken.
    pub async fn create_admin_user(&self, row: &AdminUserRow) -> Result<bool, StoreError> {
        let am = user::ActiveModel {
            id: Set(row.id.clone()),
            email: Set(row.email.clone()),
            password_hash: Set(row.password_hash.clone()),
            role: Set(row.role.clone()),
            tenant_id: Set(row.tenant_id.clone()),
            created: Set(row.created),
        };
        match user::Entity::insert(am).exec_without_returning(&self.writer).await {
            Ok(_) => Ok(true),
            Err(e) => match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Ok(false),
                _ => Err(e.into()),
            },
        }
    }

    pub async fn admin_user_by_email(&self, email: &str) -> Result<Option<AdminUserRow>, StoreError> {
        Ok(user::Entity::find().filter(user::Column::Email.eq(email)).one(&self.writer).await?)
    }

    pub async fn get_admin_user(&self, id: &str) -> Result<Option<AdminUserRow>, StoreError> {
        Ok(user::Entity::find_by_id(id.to_owned()).one(&self.reader).await?)
    }

    pub async fn count_admin_users(&self) -> Result<u64, StoreError> {
        Ok(user::Entity::find().count(&self.writer).await?)
    }

    pub async fn list_admin_users(&self, tenant_id: Option<&str>) -> Result<Vec<AdminUserRow>, StoreError> {
        let mut q = user::Entity::find().order_by_asc(user::Column::Created).order_by_asc(user::Column::Id);
        if let Some(t) = tenant_id {
            q = q.filter(user::Column::TenantId.eq(t));
        }
        Ok(q.all(&self.reader).await?)
    }

    /// Deletes a user and ends its sessions.
    pub async fn delete_admin_user(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let res = user::Entity::delete_by_id(id.to_owned()).exec(&self.writer).await?;
        sess::Entity::update_many()
            .col_expr(sess::Column::Revoked, Expr::value(Some(now)))
            .filter(sess::Column::UserId.eq(id))
            .filter(sess::Column::Revoked.is_null())
            .exec(&self.writer)
            .await?;
        Ok(res.rows_affected == 1)
    }

    pub async fn create_admin_session(&self, row: &AdminSessionRow) -> Result<(), StoreError> {
        sess::Entity::insert(sess::ActiveModel {
            id: Set(row.id.clone()),
            user_id: Set(row.user_id.clone()),
            created: Set(row.created),
            expires: Set(row.expires),
            revoked: Set(row.revoked),
        })
        .exec_without_returning(&self.writer)
        .await?;
        Ok(())
    }

    /// Read through the writer: a sign-out on this node must be seen by the
    /// very next request, which a SQLite reader snapshot could miss.
    pub async fn get_admin_session(&self, id: &str) -> Result<Option<AdminSessionRow>, StoreError> {
        Ok(sess::Entity::find_by_id(id.to_owned()).one(&self.writer).await?)
    }

    pub async fn revoke_admin_session(&self, id: &str, now: i64) -> Result<(), StoreError> {
        sess::Entity::update_many()
            .col_expr(sess::Column::Revoked, Expr::value(Some(now)))
            .filter(sess::Column::Id.eq(id))
            .filter(sess::Column::Revoked.is_null())
            .exec(&self.writer)
            .await?;
        Ok(())
    }

    /// Drops sessions that expired before `before`, and failures older than
    /// any window still counted.
    pub async fn purge_admin_auth(&self, before: i64) -> Result<(), StoreError> {
        sess::Entity::delete_many().filter(sess::Column::Expires.lt(before)).exec(&self.writer).await?;
        lf::Entity::delete_many().filter(lf::Column::At.lt(before)).exec(&self.writer).await?;
        Ok(())
    }

    pub async fn record_login_failure(&self, keys: &[&str], at: i64) -> Result<(), StoreError> {
        let rows =
            keys.iter().map(|k| lf::ActiveModel { key: Set((*k).to_owned()), at: Set(at), ..Default::default() });
        lf::Entity::insert_many(rows).exec_without_returning(&self.writer).await?;
        Ok(())
    }

    /// Failures for `key` at or after `since`, oldest first (their times).
    pub async fn login_failures_since(&self, key: &str, since: i64) -> Result<Vec<i64>, StoreError> {
        Ok(lf::Entity::find()
            .filter(lf::Column::Key.eq(key))
            .filter(lf::Column::At.gte(since))
            .order_by_asc(lf::Column::At)
            .all(&self.writer)
            .await?
            .into_iter()
            .map(|r| r.at)
            .collect())
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        lf::Entity::delete_many().filter(lf::Column::Key.eq(key)).exec(&self.writer).await?;
        Ok(())
    }
}
