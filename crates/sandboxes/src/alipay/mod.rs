//! A loopback Alipay: the OpenAPI gateway (`gateway.do`, RSA2), a cashier
//! where the buyer pays or gives up, and signed asynchronous notifications
//! with Alipay's retry schedule.
//!
//! It speaks Alipay's real protocol, so an adapter works against it with only
//! the gateway URL and keys changed: requests are verified with the app's
//! public key (sorted `k=v&…` without `sign`, SHA256withRSA), answers are
//! `{"<method>_response":{…},"sign":"…"}` signed over the exact bytes of the
//! inner object, and notifications are signed over every field but `sign`
//! and `sign_type`.
//!
//! Trades live in memory on the node that saw them (a restart forgets them,
//! and another node answers ACQ.TRADE_NOT_EXIST); app keys come from an
//! [`AppDirectory`] that the server backs with its database so every node
//! knows every app.
//!
//! Behaviour worth knowing (Alipay's, unless marked as a sandbox choice):
//! - a precreated QR code is no trade until scanned: query and refund
//!   answer ACQ.TRADE_NOT_EXIST; app/wap/page trades exist once the buyer
//!   opens the order;
//! - `timestamp` must be within [`TIMESTAMP_WINDOW_SECS`] of the sandbox
//!   clock, read as GMT+8 (window: sandbox choice); only `sign_type=RSA2`
//!   and `charset=utf-8` are accepted; certificate mode is not simulated
//!   (`app_cert_sn` is signed over like any parameter, answers carry no
//!   `alipay_cert_sn`);
//! - closing an unscanned QR code answers 10000 and makes it unpayable
//!   (sandbox choice; Alipay answers ACQ.TRADE_NOT_EXIST); closing a closed
//!   or paid trade answers ACQ.TRADE_STATUS_ERROR;
//! - cancel of an out_trade_no never seen records it closed, so a pay still
//!   in flight fails (sandbox choice); cancel of a paid trade refunds it;
//! - Cancel at the cashier closes the trade at once with TRADE_CLOSED, as
//!   Alipay does when an unpaid trade times out (sandbox choice: Alipay
//!   would wait for the timeout);
//! - refunds notify too: TRADE_SUCCESS with `refund_fee` while money
//!   remains, TRADE_CLOSED once all of it went back;
//! - the notification ack must be exactly `success` (sandbox is strict).

mod acq;
mod cashier;
mod clock;
mod gateway;
mod methods;
mod money;
mod notify;
mod order;
mod page;
mod refunds;
mod routes;
mod trades;

pub use clock::{format_gmt8, parse_gmt8};
pub use gateway::TIMESTAMP_WINDOW_SECS;
pub use money::{format_yuan, parse_yuan, AmountError};
pub use routes::configure;

use crate::{Notifier, RetrySchedule};
use dashmap::DashMap;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;
use trades::Ledger;
use unicharge_crypto::{RsaKeyError, RsaPublicKey, RsaSigner};

/// `alipay.trade.pay` with this auth code (or any 18-digit code starting
/// `281003`) leaves the trade WAIT_BUYER_PAY and answers code 10003, as when
/// the buyer must confirm on the phone; pay it later through the cashier.
pub const AUTH_CODE_WAIT: &str = "281003000000000000";
/// Any code starting `284004` is refused with ACQ.PAYMENT_AUTH_CODE_INVALID.
pub const AUTH_CODE_INVALID: &str = "284004000000000000";
/// Any code starting `284005` is refused with ACQ.BUYER_BALANCE_NOT_ENOUGH.
pub const AUTH_CODE_NO_BALANCE: &str = "284005000000000000";

/// What the gateway must know about an app: the key it verifies requests
/// with, and the merchant (seller) the app collects for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxApp {
    pub app_public_key_pem: String,
    /// `2088…`, 16 digits: the PID Alipay reports as `seller_id`.
    pub seller_id: String,
}

/// Where the sandbox looks up apps. The server implements it over its
/// database; [`InMemoryApps`] serves tests and the example binary.
#[async_trait::async_trait]
pub trait AppDirectory: Send + Sync {
    async fn app(&self, app_id: &str) -> Option<SandboxApp>;
}

#[derive(Default)]
pub struct InMemoryApps {
    apps: DashMap<String, SandboxApp>,
}

impl InMemoryApps {
    pub fn register(&self, app_id: &str, app_public_key_pem: &str, seller_id: &str) {
        let app = SandboxApp { app_public_key_pem: app_public_key_pem.to_owned(), seller_id: seller_id.to_owned() };
        self.apps.insert(app_id.to_owned(), app);
    }
}

#[async_trait::async_trait]
impl AppDirectory for InMemoryApps {
    async fn app(&self, app_id: &str) -> Option<SandboxApp> {
        self.apps.get(app_id).map(|a| a.clone())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AlipaySandboxError {
    #[error("the sandbox Alipay private key is not usable: {0}")]
    Key(#[from] RsaKeyError),
}

/// Alipay's notification schedule: after the first attempt, 4m, 10m, 10m,
/// 1h, 2h, 6h and 15h (eight notifications within about 25 hours).
pub fn notify_schedule(time_scale: u32) -> RetrySchedule {
    let delays = [240, 600, 600, 3600, 7200, 21_600, 54_000].into_iter().map(Duration::from_secs).collect();
    RetrySchedule { delays, time_scale }
}

pub struct AlipaySandbox {
    signer: RsaSigner,
    public_pem: String,
    apps: Arc<dyn AppDirectory>,
    /// Parsed app keys, re-parsed when the directory's PEM changes.
    keys: DashMap<String, (String, RsaPublicKey)>,
    trades: Ledger,
    notifier: Notifier,
    public_base: Option<String>,
}

impl AlipaySandbox {
    /// `alipay_private_key_pem` is the sandbox's "Alipay" key (PKCS#8,
    /// PKCS#1 or bare base64); tenants verify with its public half. It must
    /// stay the same across restarts and nodes.
    pub fn new(
        alipay_private_key_pem: &SecretString,
        apps: Arc<dyn AppDirectory>,
        http: reqwest::Client,
        time_scale: u32,
    ) -> Result<Self, AlipaySandboxError> {
        let signer = RsaSigner::parse(alipay_private_key_pem.expose_secret())?;
        let public_pem = signer.public_key_pem()?;
        Ok(Self {
            signer,
            public_pem,
            apps,
            keys: DashMap::new(),
            trades: Ledger::default(),
            notifier: Notifier::new(http, notify_schedule(time_scale), "success").exact_ack(),
            public_base: None,
        })
    }

    /// The origin (`https://host[:port]`) put into QR-code URLs. Without it,
    /// the origin the request came in on is used.
    pub fn with_public_base_url(mut self, base: &str) -> Self {
        self.public_base = Some(base.trim_end_matches('/').to_owned());
        self
    }

    /// The key tenants configure as "Alipay public key" (SPKI PEM).
    pub fn alipay_public_key_pem(&self) -> &str {
        &self.public_pem
    }

    pub(crate) fn sign(&self, content: &str) -> String {
        self.signer.sign_sha256_b64(content.as_bytes())
    }

    pub(crate) async fn app(&self, app_id: &str) -> Option<(SandboxApp, RsaPublicKey)> {
        let app = self.apps.app(app_id).await?;
        if let Some(k) = self.keys.get(app_id).filter(|k| k.0 == app.app_public_key_pem) {
            return Some((app, k.1.clone()));
        }
        match RsaPublicKey::parse(&app.app_public_key_pem) {
            Ok(key) => {
                self.keys.insert(app_id.to_owned(), (app.app_public_key_pem.clone(), key.clone()));
                Some((app, key))
            }
            Err(e) => {
                tracing::warn!(app_id, error = %e, "sandbox Alipay app has an unusable public key");
                None
            }
        }
    }
}

fn random_digits(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

fn random_lower(n: usize) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n).map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())])).collect()
}

/// 28 digits like Alipay's: the GMT+8 date, `22001`, then 15 digits.
fn new_trade_no(now: i64) -> String {
    format!("{}22001{}", clock::date_gmt8(now), random_digits(15))
}

/// An Alipay user id (`2088` and 12 digits), for buyers and sellers.
pub fn new_user_id() -> String {
    format!("2088{}", random_digits(12))
}

/// An app id shaped like Alipay's (16 digits starting `2021`).
pub fn new_app_id() -> String {
    format!("2021{}", random_digits(12))
}

fn masked_logon_id() -> String {
    format!("1{}****{}", random_digits(2), random_digits(4))
}
