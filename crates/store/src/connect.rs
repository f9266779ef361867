use crate::{Store, StoreError};
use sea_orm::{SqlxPostgresConnector, SqlxSqliteConnector};
use sea_orm_migration::MigratorTrait;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;
use unicharge_migrations::Migrator;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub max_connections: u32,
}

impl Store {
    pub async fn connect(opts: &StoreOptions) -> Result<Self, StoreError> {
        let url = opts.url.as_str();
        if url.starts_with("sqlite:") {
            let base = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Connect(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(15))
                .foreign_keys(true);
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(base.clone())
                .await
                .map_err(|e| StoreError::Connect(e.to_string()))?;
            let reader = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.clamp(1, 16))
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(base)
                .await
                .map_err(|e| StoreError::Connect(e.to_string()))?;
            Ok(Store {
                writer: SqlxSqliteConnector::from_sqlx_sqlite_pool(writer),
                reader: SqlxSqliteConnector::from_sqlx_sqlite_pool(reader),
                backend: crate::Backend::Sqlite,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await
                .map_err(|e| StoreError::Connect(e.to_string()))?;
            let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
            Ok(Store { writer: conn.clone(), reader: conn, backend: crate::Backend::Postgres })
        } else {
            Err(StoreError::Connect("the database URL must start with sqlite: or postgres:".into()))
        }
    }

    /// Applies pending migrations. Safe to call on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.writer, None).await?;
        Ok(())
    }
}
