//! Tenants, apps, API keys, channel configuration and settings.

use crate::entity::{api_key, app, channel_config, setting, tenant};
use crate::{ApiKeyRow, AppRow, ChannelConfigRow, Store, StoreError, TenantRow};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

impl Store {
    pub async fn create_tenant(&self, id: &str, name: &str, now: i64) -> Result<TenantRow, StoreError> {
        let row = TenantRow { id: id.to_owned(), name: name.to_owned(), created: now };
        tenant::Entity::insert(tenant::ActiveModel {
            id: Set(row.id.clone()),
            name: Set(row.name.clone()),
            created: Set(now),
        })
        .exec_without_returning(&self.writer)
        .await?;
        Ok(row)
    }

    pub async fn get_tenant(&self, id: &str) -> Result<Option<TenantRow>, StoreError> {
        Ok(tenant::Entity::find_by_id(id.to_owned()).one(&self.reader).await?)
    }

    pub async fn create_app(&self, row: &AppRow) -> Result<(), StoreError> {
        app::Entity::insert(app::ActiveModel {
            id: Set(row.id.clone()),
            tenant_id: Set(row.tenant_id.clone()),
            name: Set(row.name.clone()),
            rsa_public_key: Set(row.rsa_public_key.clone()),
            created: Set(row.created),
        })
        .exec_without_returning(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn get_app(&self, id: &str) -> Result<Option<AppRow>, StoreError> {
        Ok(app::Entity::find_by_id(id.to_owned()).one(&self.reader).await?)
    }

    pub async fn list_apps(&self, tenant_id: Option<&str>) -> Result<Vec<AppRow>, StoreError> {
        let mut q = app::Entity::find().order_by_asc(app::Column::Created).order_by_asc(app::Column::Id);
        if let Some(t) = tenant_id {
            q = q.filter(app::Column::TenantId.eq(t));
        }
        Ok(q.all(&self.reader).await?)
    }

    pub async fn set_app_public_key(&self, id: &str, pem: Option<String>) -> Result<bool, StoreError> {
        let res = app::Entity::update_many()
            .col_expr(app::Column::RsaPublicKey, sea_orm::sea_query::Expr::value(pem))
            .filter(app::Column::Id.eq(id))
            .exec(&self.writer)
            .await?;
        Ok(res.rows_affected == 1)
    }

    pub async fn create_api_key(&self, row: &ApiKeyRow) -> Result<(), StoreError> {
        api_key::Entity::insert(api_key::ActiveModel {
            id: Set(row.id.clone()),
            tenant_id: Set(row.tenant_id.clone()),
            mode: Set(row.mode.clone()),
            key_hash: Set(row.key_hash.clone()),
            hint: Set(row.hint.clone()),
            revoked: Set(row.revoked),
            created: Set(row.created),
        })
        .exec_without_returning(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn find_api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        Ok(api_key::Entity::find().filter(api_key::Column::KeyHash.eq(hash)).one(&self.reader).await?)
    }

    pub async fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKeyRow>, StoreError> {
        Ok(api_key::Entity::find()
            .filter(api_key::Column::TenantId.eq(tenant_id))
            .order_by_asc(api_key::Column::Created)
            .all(&self.reader)
            .await?)
    }

    pub async fn revoke_api_key(&self, id: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        let res = api_key::Entity::update_many()
            .col_expr(api_key::Column::Revoked, sea_orm::sea_query::Expr::value(true))
            .filter(api_key::Column::Id.eq(id))
            .exec(&self.writer)
            .await?;
        if res.rows_affected == 0 {
            return Ok(None);
        }
        Ok(api_key::Entity::find_by_id(id.to_owned()).one(&self.writer).await?)
    }

    pub async fn upsert_channel_config(&self, row: &ChannelConfigRow) -> Result<(), StoreError> {
        channel_config::Entity::insert(channel_config::ActiveModel {
            app_id: Set(row.app_id.clone()),
            mode: Set(row.mode.clone()),
            channel: Set(row.channel.clone()),
            params: Set(row.params.clone()),
            sealed_secrets: Set(row.sealed_secrets.clone()),
            enabled: Set(row.enabled),
            updated: Set(row.updated),
        })
        .on_conflict(
            OnConflict::columns([
                channel_config::Column::AppId,
                channel_config::Column::Mode,
                channel_config::Column::Channel,
            ])
            .update_columns([
                channel_config::Column::Params,
                channel_config::Column::SealedSecrets,
                channel_config::Column::Enabled,
                channel_config::Column::Updated,
            ])
            .to_owned(),
        )
        .exec_without_returning(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn get_channel_config(
        &self,
        app_id: &str,
        mode: &str,
        channel: &str,
    ) -> Result<Option<ChannelConfigRow>, StoreError> {
        Ok(channel_config::Entity::find_by_id((app_id.to_owned(), mode.to_owned(), channel.to_owned()))
            .one(&self.reader)
            .await?)
    }

    pub async fn list_channel_configs(&self, app_id: &str) -> Result<Vec<ChannelConfigRow>, StoreError> {
        Ok(channel_config::Entity::find()
            .filter(channel_config::Column::AppId.eq(app_id))
            .order_by_asc(channel_config::Column::Mode)
            .order_by_asc(channel_config::Column::Channel)
            .all(&self.reader)
            .await?)
    }

    pub async fn get_setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(setting::Entity::find_by_id(name.to_owned()).one(&self.writer).await?.map(|s| s.value))
    }

    /// Inserts the setting unless it exists, and returns the stored value, so
    /// two nodes starting at once agree on one value.
    pub async fn get_or_init_setting(&self, name: &str, value: &str) -> Result<String, StoreError> {
        setting::Entity::insert(setting::ActiveModel { name: Set(name.to_owned()), value: Set(value.to_owned()) })
            .on_conflict(OnConflict::column(setting::Column::Name).do_nothing().to_owned())
            .exec_without_returning(&self.writer)
            .await?;
        self.get_setting(name).await?.ok_or_else(|| StoreError::Corrupt(format!("setting {name} vanished")))
    }
}
