//! Wiring: configuration → storage, channels, sandboxes → HTTP server.
//! The binary (`main.rs`) and the black-box tests both start the app here.

pub mod cli;
pub mod config;
mod keys;

pub use config::Config;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use unicharge_channels::Channels;
use unicharge_crypto::{KeyedHasher, SecretSealer};
use unicharge_sandboxes::alipay::AlipaySandbox;
use unicharge_sandboxes::sandbox::SandboxProvider;
use unicharge_sandboxes::unionpay::UnionpaySandbox;
use unicharge_sandboxes::wechat::WechatSandbox;
use unicharge_server::sandbox_apps::StoredAlipayApps;
use unicharge_server::sandbox_merchants::{StoredUnionpayMerchants, StoredWechatMerchants};
use unicharge_server::{AppState, Sandboxes, ServerSettings};
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
    let sealer = Arc::new(SecretSealer::new(&keys::derive(&master, "secret-sealing")).context("bad master key")?);
    let hasher = KeyedHasher::new(keys::derive(&master, "api-key-hash"));
    let settings = ServerSettings {
        public_url: cfg.public_url.clone(),
        signature_tolerance_secs: cfg.signature_tolerance_secs,
        body_limit: cfg.body_limit,
        webhook_allow_private_live: cfg.webhook_allow_private,
        scan_deadline_secs: cfg.scan_deadline_secs,
    };
    let platform = platform_key(&store, &sealer).await?;
    let alipay_key = sealed_rsa_key(&store, &sealer, "sandbox_alipay_rsa_key").await?;
    let alipay_apps = Arc::new(StoredAlipayApps::new(store.clone()));
    let alipay = AlipaySandbox::new(&alipay_key, alipay_apps.clone(), http.clone(), cfg.sandbox_time_scale)
        .context("the Alipay sandbox key")?
        .with_public_base_url(&cfg.public_url);
    let wechat_key = sealed_rsa_key(&store, &sealer, "sandbox_wechat_rsa_key").await?;
    let wechat_merchants = Arc::new(StoredWechatMerchants::new(store.clone(), sealer.clone()));
    // No certificate is given: the sandbox derives one from the key, the
    // same on every node.
    // The sandbox's certificate authority issues each merchant's API
    // certificate, which `secapi/*` requires over mutual TLS.
    let wechat_ca = sealed_rsa_key(&store, &sealer, "sandbox_wechat_ca_key").await?;
    let wechat = WechatSandbox::new(&wechat_key, None, wechat_merchants.clone(), http.clone(), cfg.sandbox_time_scale)
        .context("the WeChat Pay sandbox key")?
        .with_public_base_url(&cfg.public_url)
        .with_client_ca(&wechat_ca)
        .context("the WeChat Pay sandbox CA")?;
    let wechat = actix_web::web::Data::new(wechat);
    let wechat_tls = wechat_secapi(&wechat)?;
    let unionpay_merchants = Arc::new(StoredUnionpayMerchants::new(store.clone()));
    let unionpay = UnionpaySandbox::new(unionpay_merchants.clone(), http.clone(), cfg.sandbox_time_scale)
        .context("the UnionPay sandbox key")?;
    let apple_keys = Arc::new(unicharge_server::sandbox_apple_keys::StoredAppleKeys::new(store.clone()));
    let apple = unicharge_sandboxes::apple::AppleSandbox::new(apple_keys.clone(), http.clone())
        .context("the Apple sandbox's certificate chain")?;
    let sandboxes = Sandboxes {
        sandbox: actix_web::web::Data::new(sandbox),
        alipay: actix_web::web::Data::new(alipay),
        alipay_apps,
        wechat,
        wechat_merchants,
        unionpay: actix_web::web::Data::new(unionpay),
        unionpay_merchants,
        apple: actix_web::web::Data::new(apple),
        apple_keys,
    };
    let options = unicharge_channels::ChannelOptions {
        scan_wait: Duration::from_millis(cfg.scan_create_wait_ms),
        wechat_sandbox_tls: Some(wechat_tls),
    };
    let channels = Channels::with_options(http, options);
    Ok(AppState::new(store, channels, sandboxes, sealer, hasher, settings, platform))
}

/// Starts the WeChat Pay sandbox's `secapi/*` listener (mutual TLS) on a
/// free loopback port of this node; test-mode adapters on this node send
/// refunds and reversals there.
fn wechat_secapi(
    wechat: &actix_web::web::Data<WechatSandbox>,
) -> anyhow::Result<unicharge_channels::wechat::SandboxTls> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the WeChat Pay sandbox's secapi listener")?;
    let base = unicharge_sandboxes::wechat::serve_secapi(wechat.clone(), listener)
        .context("starting the WeChat Pay sandbox's secapi listener")?;
    let ca_pem = wechat.client_ca_pem().context("the WeChat Pay sandbox has no CA")?.to_owned();
    Ok(unicharge_channels::wechat::SandboxTls { base, ca_pem })
}

/// The platform's RSA key for `X-Pingplusplus-Signature`.
async fn platform_key(store: &Store, sealer: &SecretSealer) -> anyhow::Result<unicharge_crypto::RsaSigner> {
    let pem = sealed_rsa_key(store, sealer, "platform_rsa_key").await?;
    unicharge_crypto::RsaSigner::parse(pem.expose_secret()).context("platform key")
}

/// An RSA key generated once, sealed in the settings table, and the same on
/// every node: the first node to start wins the insert, the others read it.
async fn sealed_rsa_key(store: &Store, sealer: &SecretSealer, name: &str) -> anyhow::Result<SecretString> {
    let sealed = match store.get_setting(name).await? {
        Some(s) => s,
        None => {
            let pem = unicharge_crypto::generate_rsa_2048_pkcs8_pem().with_context(|| format!("generating {name}"))?;
            store.get_or_init_setting(name, &sealer.seal(pem.as_bytes(), name)).await?
        }
    };
    let pem = sealer.open(&sealed, name).with_context(|| format!("opening {name} (wrong master key?)"))?;
    let pem = String::from_utf8(pem).with_context(|| format!("{name} is not text"))?;
    Ok(SecretString::from(pem))
}

/// Starts this node's webhook dispatcher on a multi-threaded runtime of its
/// own. `serve` runs on actix's single-threaded system runtime: there the
/// dispatcher (signing, HTTP, a transaction per attempt) had one core and
/// topped out near 500 deliveries a second however idle the machine was.
/// The runtime lives as long as the process.
pub fn spawn_dispatcher_runtime(cfg: &Config, state: &AppState) -> anyhow::Result<()> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("webhooks")
        .enable_all()
        .build()
        .context("building the webhook runtime")?;
    {
        let _inside = rt.enter();
        let mut local = state.clone();
        // Connections opened on this runtime, so their I/O stays here.
        local.store = state.store.for_runtime();
        spawn_dispatcher(cfg, &local)?;
    }
    std::thread::Builder::new()
        .name("webhooks-runtime".into())
        .spawn(move || rt.block_on(std::future::pending::<()>()))
        .context("starting the webhook runtime")?;
    Ok(())
}

/// Starts this node's webhook dispatcher on the current runtime.
pub fn spawn_dispatcher(cfg: &Config, state: &AppState) -> anyhow::Result<()> {
    let dcfg = unicharge_webhooks::DispatcherConfig {
        node_id: cfg.node_id.clone(),
        schedule: cfg.webhook_schedule.clone(),
        timeout: Duration::from_secs(cfg.webhook_timeout_secs),
        lease: Duration::from_secs(cfg.webhook_lease_secs),
        allow_private_live: cfg.webhook_allow_private,
        concurrency: cfg.webhook_concurrency,
        batch: cfg.webhook_concurrency.min(64) as u64,
        guard: unicharge_webhooks::GuardConfig {
            // With Redis the same number holds for the whole cluster, so a
            // dead endpoint ties up no more slots as nodes are added.
            max_in_flight: cfg.webhook_endpoint_concurrency,
            cluster_max_in_flight: cfg.webhook_endpoint_concurrency,
            trip_after: cfg.webhook_breaker_failures,
            ..Default::default()
        },
        redis_url: cfg.redis_url.clone(),
        ..Default::default()
    };
    let d = unicharge_webhooks::Dispatcher::new(
        state.store.clone(),
        state.sealer.clone(),
        dcfg,
        Some(state.platform_key.clone()),
        state.wakeup.clone(),
    )
    .context("building the webhook dispatcher")?;
    d.spawn();
    if let Some(url) = &cfg.redis_url {
        unicharge_webhooks::spawn_redis_wakeups(url, &state.wakeup).context("UNICHARGE_REDIS_URL")?;
    }
    Ok(())
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
