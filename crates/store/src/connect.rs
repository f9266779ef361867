use crate::{Store, StoreError};
use sea_orm::{SqlxPostgresConnector, SqlxSqliteConnector};
use sea_orm_migration::MigratorTrait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
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
                pg: None,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pg_opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::Connect(e.to_string()))?;
            let max = opts.max_connections.max(2);
            let pool = PgPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(pg_opts.clone())
                .await
                .map_err(|e| StoreError::Connect(e.to_string()))?;
            let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
            Ok(Store {
                writer: conn.clone(),
                reader: conn,
                backend: crate::Backend::Postgres,
                pg: Some((pg_opts, max)),
            })
        } else {
            Err(StoreError::Connect("the database URL must start with sqlite: or postgres:".into()))
        }
    }

    /// A store for one single-threaded HTTP worker. On PostgreSQL it gets its
    /// own lazily opened pool, so every connection's socket is registered
    /// with that worker's reactor: a query then completes without waking
    /// another thread, which more than halves the cost of a round trip.
    /// SQLite connections run on their own threads anyway, so they are shared.
    pub fn for_worker(&self, workers: u32) -> Store {
        match &self.pg {
            None => self.clone(),
            Some((opts, max)) => {
                let pool = PgPoolOptions::new()
                    .max_connections((max / workers.max(1)).max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_lazy_with(opts.clone());
                let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
                Store { writer: conn.clone(), reader: conn, backend: self.backend, pg: self.pg.clone() }
            }
        }
    }

    /// Applies pending migrations. Safe to call on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.writer, None).await?;
        Ok(())
    }
}
