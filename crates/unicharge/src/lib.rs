//! Wiring: configuration → storage, channels, sandboxes → HTTP server.
//! The binary (`main.rs`) and the black-box tests both start the app here.

pub mod cli;
pub mod config;
mod keys;

pub use config::Config;

use anyhow::Context;
use std::net::TcpListener;
use std::time::Duration;
use unicharge_channels::Channels;
use unicharge_crypto::{KeyedHasher, SecretSealer};
use unicharge_sandboxes::sandbox::SandboxProvider;
use unicharge_server::{AppState, ServerSettings};
use unicharge_store::{Store, StoreOptions};

/// Two rustls crypto providers are linked (sea-orm pulls ring, reqwest
/// aws-lc-rs); without choosing one, building a TLS config panics.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Connects, migrates, and assembles the shared state.
pub async fn build_state(cfg: &Config) -> anyhow::Result<AppState> {
    install_crypto_provider();
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("cannot create data directory {}", cfg.data_dir.display()))?;
    let master = keys::load_master_key(cfg)?;
    let store =
        Store::connect(&StoreOptions { url: cfg.database_url.clone(), max_connections: cfg.db_max_connections })
            .await
            .context("cannot connect to the database")?;
    store.migrate().await.context("database migration failed")?;
    store.spawn_cache_listener();
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        // Provider answers are never redirects; following one could leak a
        // signed request to a third party.
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .context("cannot build the HTTP client")?;
    let sandbox = SandboxProvider::new(keys::derive(&master, "sandbox-root"), http.clone(), cfg.sandbox_time_scale);
    let sealer = SecretSealer::new(&keys::derive(&master, "secret-sealing")).context("bad master key")?;
    let hasher = KeyedHasher::new(keys::derive(&master, "api-key-hash"));
    let settings = ServerSettings {
        public_url: cfg.public_url.clone(),
        signature_tolerance_secs: cfg.signature_tolerance_secs,
        body_limit: cfg.body_limit,
    };
    Ok(AppState::new(store, Channels::new(http), actix_web::web::Data::new(sandbox), sealer, hasher, settings))
}

/// Periodic housekeeping: idempotency keys are honoured for 24 hours.
pub fn spawn_maintenance(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let cutoff = unicharge_server::auth::now() - 24 * 3600;
            match state.store.purge_idempotency(cutoff).await {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "idempotency purge failed"),
            }
        }
    });
}

/// Binds the listen address and starts serving.
pub fn start(cfg: &Config, state: AppState) -> anyhow::Result<actix_web::dev::Server> {
    let listener = TcpListener::bind(cfg.listen).with_context(|| format!("cannot listen on {}", cfg.listen))?;
    Ok(unicharge_server::serve(listener, state, cfg.workers)?)
}
