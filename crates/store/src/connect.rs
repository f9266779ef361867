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
                // SQLite is embedded in one process: local invalidation is complete.
                charges: std::sync::Arc::new(crate::cache::ChargeCache::new(true)),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pg_opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::Connect(e.to_string()))?;
            // `max_connections` bounds the whole process: an eighth goes to
            // this shared pool (sweeper, CLI), an eighth to the webhook
            // dispatcher's own pool (`for_runtime`), and the rest is split
            // among the HTTP workers' own pools (`for_worker`). Giving each
            // side the full figure once let a busy node open twice as many
            // connections as configured and exhaust PostgreSQL's limit.
            let total = opts.max_connections.max(6);
            let shared = (total / 8).max(2);
            let max = total - 2 * shared;
            let pool = PgPoolOptions::new()
                .max_connections(shared)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(pg_opts.clone())
                .await
                .map_err(|e| StoreError::Connect(e.to_string()))?;
            let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
            Ok(Store {
                writer: conn.clone(),
                reader: conn,
                backend: crate::Backend::Postgres,
                pg: Some((pg_opts, max, shared)),
                // Off until `spawn_cache_listener` hears other nodes' changes.
                charges: std::sync::Arc::new(crate::cache::ChargeCache::new(false)),
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
            Some((_, max, _)) => self.with_pool((max / workers.max(1)).max(2)),
        }
    }

    /// A store for a component running on a runtime of its own (the webhook
    /// dispatcher), for the reason `for_worker` gives: its share of
    /// connections, opened lazily on the runtime that calls this.
    ///
    /// Its connections plan without bitmap or sequential scans. Every
    /// dispatcher query is meant to walk an index: the claim the due index
    /// in order, the rest the id indexes. A backlog grows from nothing in
    /// seconds after an outage, long before autovacuum re-analyzes the
    /// table, and with the stale estimate of a near-empty table PostgreSQL
    /// chose to bitmap-scan and sort the whole backlog for every claim
    /// (13-26 ms instead of 0.5 ms), which capped delivery at ~1,000/s.
    pub fn for_runtime(&self) -> Store {
        match &self.pg {
            None => self.clone(),
            Some((opts, _, side)) => {
                let opts = opts.clone().options([("enable_bitmapscan", "off"), ("enable_seqscan", "off")]);
                self.with_pool_opts(*side, opts)
            }
        }
    }

    fn with_pool(&self, size: u32) -> Store {
        match &self.pg {
            None => self.clone(),
            Some((opts, _, _)) => self.with_pool_opts(size, opts.clone()),
        }
    }

    fn with_pool_opts(&self, size: u32, opts: PgConnectOptions) -> Store {
        match &self.pg {
            None => self.clone(),
            Some(_) => {
                let pool = PgPoolOptions::new()
                    .max_connections(size)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_lazy_with(opts);
                let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
                Store {
                    writer: conn.clone(),
                    reader: conn,
                    backend: self.backend,
                    pg: self.pg.clone(),
                    charges: self.charges.clone(),
                }
            }
        }
    }

    /// On PostgreSQL, tells other nodes of this node's charge changes and
    /// listens for theirs, keeping the charge cache coherent; the cache is
    /// off whenever the listener is not connected. A no-op on SQLite.
    pub fn spawn_cache_listener(&self) {
        let Some((opts, _, _)) = self.pg.clone() else { return };
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.charges.tell_peers_through(tx);
        tokio::spawn(crate::cache_peers::run(self.writer.clone(), rx));
        let cache = self.charges.clone();
        tokio::spawn(async move {
            loop {
                let pool = PgPoolOptions::new().max_connections(1).connect_lazy_with(opts.clone());
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => match listener.listen(crate::cache::CHANNEL).await {
                        Ok(()) => {
                            cache.set_enabled(true);
                            // `Ok(None)` or an error means the connection was lost and
                            // notifications may have been missed.
                            while let Ok(Some(n)) = listener.try_recv().await {
                                cache.invalidate(n.payload());
                            }
                            cache.set_enabled(false);
                            tracing::warn!("charge cache listener disconnected; cache off until it reconnects");
                        }
                        Err(e) => tracing::warn!(error = %e, "charge cache listener could not LISTEN"),
                    },
                    Err(e) => tracing::warn!(error = %e, "charge cache listener could not connect"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    /// Applies pending migrations. Safe to call on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.writer, None).await?;
        Ok(())
    }
}
