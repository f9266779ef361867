use dashmap::DashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use unicharge_channels::Channels;
use unicharge_crypto::{KeyedHasher, SecretSealer};
use unicharge_sandboxes::alipay::AlipaySandbox;
use unicharge_sandboxes::apple::AppleSandbox;
use unicharge_sandboxes::sandbox::SandboxProvider;
use unicharge_sandboxes::unionpay::UnionpaySandbox;
use unicharge_sandboxes::wechat::WechatSandbox;
use unicharge_store::{ApiKeyRow, AppRow, Store};

/// Settings the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The externally reachable base URL; notify and pay URLs are built on it.
    pub public_url: String,
    /// How far `Pingplusplus-Request-Timestamp` may be from our clock.
    pub signature_tolerance_secs: i64,
    /// Largest accepted request body.
    pub body_limit: usize,
    /// Let live-mode webhook endpoints point at non-public addresses.
    pub webhook_allow_private_live: bool,
    /// A scanned payment (`wx_pub_scan`, `alipay_scan`) still unpaid this long
    /// after creation is reversed at the channel and closed (`sweep.rs`).
    pub scan_deadline_secs: i64,
}

/// The built-in provider simulators test mode talks to.
pub struct Sandboxes {
    pub sandbox: actix_web::web::Data<SandboxProvider>,
    pub alipay: actix_web::web::Data<AlipaySandbox>,
    pub alipay_apps: Arc<crate::sandbox_apps::StoredAlipayApps>,
    pub wechat: actix_web::web::Data<WechatSandbox>,
    pub wechat_merchants: Arc<crate::sandbox_merchants::StoredWechatMerchants>,
    pub unionpay: actix_web::web::Data<UnionpaySandbox>,
    pub unionpay_merchants: Arc<crate::sandbox_merchants::StoredUnionpayMerchants>,
    pub apple: actix_web::web::Data<AppleSandbox>,
    pub apple_keys: Arc<crate::sandbox_apple_keys::StoredAppleKeys>,
}

/// Shared by every request handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub channels: Channels,
    pub sandbox: actix_web::web::Data<SandboxProvider>,
    pub alipay_sandbox: actix_web::web::Data<AlipaySandbox>,
    /// The Alipay sandbox's registry of apps, where test-mode provisioning
    /// uploads each app's public key.
    pub alipay_apps: Arc<crate::sandbox_apps::StoredAlipayApps>,
    pub wechat_sandbox: actix_web::web::Data<WechatSandbox>,
    /// The WeChat Pay sandbox's merchants, where test-mode provisioning
    /// registers each app's merchant account.
    pub wechat_merchants: Arc<crate::sandbox_merchants::StoredWechatMerchants>,
    pub unionpay_sandbox: actix_web::web::Data<UnionpaySandbox>,
    /// The UnionPay sandbox's merchants, where test-mode provisioning
    /// registers each app's signing certificate.
    pub unionpay_merchants: Arc<crate::sandbox_merchants::StoredUnionpayMerchants>,
    /// The Apple sandbox (App Store Server API) and its in-app purchase keys,
    /// where test-mode provisioning registers each app's key.
    pub apple_sandbox: actix_web::web::Data<AppleSandbox>,
    pub apple_keys: Arc<crate::sandbox_apple_keys::StoredAppleKeys>,
    pub sealer: Arc<SecretSealer>,
    pub hasher: Arc<KeyedHasher>,
    pub settings: Arc<ServerSettings>,
    /// Wakes this node's webhook dispatcher when an event is written.
    pub wakeup: unicharge_webhooks::Wakeup,
    /// Signs `X-Pingplusplus-Signature`; its public half is published.
    pub platform_key: Arc<unicharge_crypto::RsaSigner>,
    pub(crate) keys: Arc<TtlCache<ApiKeyRow>>,
    pub(crate) apps: Arc<TtlCache<AppRow>>,
    pub(crate) channel_configs: Arc<TtlCache<Arc<unicharge_channels::ChannelConfig>>>,
    /// The dashboard's JWT secret, read from `settings` on first use.
    pub(crate) admin_jwt_secret: Arc<std::sync::OnceLock<Arc<secrecy::SecretBox<[u8]>>>>,
    /// Raw channel notifications waiting to be written for the dashboard.
    pub(crate) notification_log: Arc<crate::admin::notifications::NotificationLog>,
}

impl AppState {
    pub fn new(
        store: Store,
        channels: Channels,
        sandboxes: Sandboxes,
        sealer: Arc<SecretSealer>,
        hasher: KeyedHasher,
        settings: ServerSettings,
        platform_key: unicharge_crypto::RsaSigner,
    ) -> Self {
        Self {
            store,
            channels,
            sandbox: sandboxes.sandbox,
            alipay_sandbox: sandboxes.alipay,
            alipay_apps: sandboxes.alipay_apps,
            wechat_sandbox: sandboxes.wechat,
            wechat_merchants: sandboxes.wechat_merchants,
            unionpay_sandbox: sandboxes.unionpay,
            unionpay_merchants: sandboxes.unionpay_merchants,
            apple_sandbox: sandboxes.apple,
            apple_keys: sandboxes.apple_keys,
            sealer,
            hasher: Arc::new(hasher),
            settings: Arc::new(settings),
            wakeup: unicharge_webhooks::Wakeup::default(),
            platform_key: Arc::new(platform_key),
            // Short TTLs bound how long another node keeps honouring a
            // revoked key or an old request-signing key.
            keys: Arc::new(TtlCache::new(Duration::from_secs(30))),
            apps: Arc::new(TtlCache::new(Duration::from_secs(30))),
            channel_configs: Arc::new(TtlCache::new(Duration::from_secs(30))),
            admin_jwt_secret: Arc::default(),
            notification_log: Arc::default(),
        }
    }

    pub fn notify_url(&self, channel: &str, app_id: &str, mode: &str) -> String {
        format!("{}/notify/{channel}/{app_id}/{mode}", self.settings.public_url)
    }

    pub async fn app(&self, id: &str) -> Result<Option<AppRow>, unicharge_store::StoreError> {
        if let Some(a) = self.apps.get(id) {
            return Ok(Some(a));
        }
        let row = self.store.get_app(id).await?;
        if let Some(a) = &row {
            self.apps.put(id, a.clone());
        }
        Ok(row)
    }

    pub fn forget_app(&self, id: &str) {
        self.apps.remove(id);
    }

    pub fn forget_channel_config(&self, app_id: &str, mode: &str, channel: &str) {
        self.channel_configs.remove(&format!("{app_id}/{mode}/{channel}"));
    }

    pub fn forget_key(&self, hash: &str) {
        self.keys.remove(hash);
    }
}

/// A small read-through cache; the database stays the source of truth.
pub(crate) struct TtlCache<T> {
    ttl: Duration,
    map: DashMap<String, (T, Instant)>,
}

impl<T: Clone> TtlCache<T> {
    fn new(ttl: Duration) -> Self {
        Self { ttl, map: DashMap::new() }
    }
    pub(crate) fn get(&self, k: &str) -> Option<T> {
        let hit = self.map.get(k)?;
        (hit.1.elapsed() < self.ttl).then(|| hit.0.clone())
    }
    pub(crate) fn put(&self, k: &str, v: T) {
        if self.map.len() > 100_000 {
            self.map.clear();
        }
        self.map.insert(k.to_owned(), (v, Instant::now()));
    }
    pub(crate) fn remove(&self, k: &str) {
        self.map.remove(k);
    }
}
