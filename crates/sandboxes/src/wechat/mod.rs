//! A loopback WeChat Pay speaking both API versions: APIv3 (JSON, requests
//! signed SHA256withRSA by the merchant, answers and notifications signed by
//! the platform key, resources AES-256-GCM-encrypted with the APIv3 key) and
//! APIv2 (XML signed MD5 or HMAC-SHA256 with the API key), plus a cashier
//! where the buyer pays or gives up.
//!
//! An adapter works against it with only the base URL and keys changed.
//! Trades are shared between the versions, as at WeChat Pay: a v2 order can
//! be queried over v3 and the other way round.
//!
//! Trades live in memory on the node that saw them (a restart forgets them;
//! another node answers ORDER_NOT_EXIST); merchants come from a
//! [`MerchantDirectory`] that the server backs with its database.
//!
//! Behaviour worth knowing (WeChat Pay's, unless marked as a sandbox choice):
//! - v3 requests must carry `WECHATPAY2-SHA256-RSA2048` authorization whose
//!   `serial_no` is the merchant's and whose timestamp is within
//!   [`TIMESTAMP_WINDOW_SECS`]; the signed URL may be written with or without
//!   the `/sandbox/wechat` mount prefix (sandbox choice: SDKs pointed at a
//!   base URL with a path sign only the API path);
//! - every v3 answer, errors included, carries `Wechatpay-*` signature
//!   headers (with `Wechatpay-Signature-Type`); `Wechatpay-Serial` is the
//!   platform certificate serial, or the public key id for merchants in
//!   [`PlatformKeyMode::PublicKey`]; notifications are re-signed on every
//!   retry, so a receiver's 5-minute clock check holds for late retries;
//! - v2 refusals before the sign is verified (bad XML, DOCTYPE, unknown
//!   mch_id, wrong sign) answer `return_code=FAIL` with a `return_msg`
//!   (`签名错误` for a bad sign), unsigned, as WeChat's gateway does; the
//!   documents' `SIGNERROR` err_code is not used;
//! - refund notifications go to the refund request's `notify_url` only
//!   (WeChat would fall back to the URL configured on its merchant platform,
//!   which the sandbox does not have);
//! - ordering again with the same out_trade_no and the same terms returns
//!   the same prepay_id; other terms answer OUT_TRADE_NO_USED;
//! - refunds are answered PROCESSING (v3) and succeed at once afterwards:
//!   queries see SUCCESS and REFUND.SUCCESS is sent right after the answer
//!   (sandbox choice: WeChat takes seconds to days);
//! - unpaid trades never expire by themselves (sandbox choice);
//! - `secapi/pay/refund` and `secapi/pay/reverse` need the merchant's API
//!   certificate over mutual TLS: with a client CA configured
//!   ([`WechatSandbox::with_client_ca`]) they are served only by the TLS
//!   listener of [`serve_secapi`], which requires a certificate the CA issued
//!   ([`WechatSandbox::issue_merchant_certificate`]) naming the request's
//!   `mch_id` (CN) and the merchant's serial; the plain listener answers
//!   them `return_code=FAIL`. Without a CA (unit tests) they are unchecked;
//! - Cancel at the cashier closes the trade (sandbox choice: at WeChat the
//!   buyer just leaves and the trade stays NOTPAY); no notification is sent;
//! - micropay answers by auth code, see [`AUTH_CODE_PAID`],
//!   [`AUTH_CODE_USERPAYING`] and [`AUTH_CODE_EXPIRED`].

mod biz;
mod cashier;
mod cipher;
mod clock;
mod mtls;
mod notify;
mod page;
mod platform;
mod routes;
mod secapi;
mod trades;
mod v2;
mod v2_methods;
mod v3;
mod v3_auth;
pub mod xml;

pub use cipher::{aes_256_ecb_encrypt, aes_256_gcm_encrypt, v2_sign, SignType};
pub use clock::{format_compact, format_rfc3339};
pub use mtls::ClientIdentity;
pub use platform::PlatformError;
pub use routes::configure;
pub use secapi::{serve_secapi, SecapiError};
pub use v3_auth::TIMESTAMP_WINDOW_SECS;

use crate::{Notifier, RetrySchedule};
use dashmap::DashMap;
use platform::Platform;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use trades::Ledger;
use unicharge_crypto::RsaPublicKey;

/// Micropay with an 18-digit code starting `134` (any of WeChat's `10`–`15`
/// prefixes except the two below) pays at once.
pub const AUTH_CODE_PAID: &str = "134000000000000000";
/// Codes starting `130000` answer USERPAYING (the buyer must enter a
/// password); the trade waits in USERPAYING until paid at the cashier.
pub const AUTH_CODE_USERPAYING: &str = "130000000000000000";
/// Codes starting `130001` answer AUTHCODEEXPIRE and leave a PAYERROR trade.
pub const AUTH_CODE_EXPIRED: &str = "130001000000000000";

/// Which platform identity a merchant verifies answers with: the platform
/// certificate (downloaded from `/v3/certificates`) or the newer WeChat Pay
/// public key with its `PUB_KEY_ID_…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformKeyMode {
    Certificate,
    PublicKey,
}

/// What WeChat Pay knows about a merchant (mchid).
#[derive(Debug, Clone)]
pub struct SandboxMerchant {
    /// The merchant API key's public half (SPKI/PKCS#1 PEM) or its API
    /// certificate (PEM); v3 requests are verified with it.
    pub merchant_public_key_pem: String,
    /// The merchant API certificate serial (upper-case hex), `serial_no` in
    /// the v3 Authorization header.
    pub merchant_serial_no: String,
    /// 32 ASCII bytes; encrypts notification resources and certificates.
    pub apiv3_key: SecretString,
    /// The v2 API key (32 ASCII bytes), for MD5/HMAC-SHA256 signs.
    pub api_key: SecretString,
    /// App ids bound to the merchant; orders for others are refused.
    pub appids: Vec<String>,
    pub platform_key_mode: PlatformKeyMode,
}

/// Where the sandbox looks merchants up. The server implements it over its
/// database; [`InMemoryMerchants`] serves tests and the example binary.
#[async_trait::async_trait]
pub trait MerchantDirectory: Send + Sync {
    async fn merchant(&self, mchid: &str) -> Option<SandboxMerchant>;
}

#[derive(Default)]
pub struct InMemoryMerchants {
    merchants: DashMap<String, SandboxMerchant>,
}

impl InMemoryMerchants {
    pub fn register(&self, mchid: &str, merchant: SandboxMerchant) {
        self.merchants.insert(mchid.to_owned(), merchant);
    }
}

#[async_trait::async_trait]
impl MerchantDirectory for InMemoryMerchants {
    async fn merchant(&self, mchid: &str) -> Option<SandboxMerchant> {
        self.merchants.get(mchid).map(|m| m.clone())
    }
}

/// WeChat Pay's notification schedule after the first attempt: 15s, 15s,
/// 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h (24h4m).
pub fn notify_schedule(time_scale: u32) -> RetrySchedule {
    let secs = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10_800, 10_800, 10_800, 21_600, 21_600];
    RetrySchedule { delays: secs.into_iter().map(Duration::from_secs).collect(), time_scale }
}

pub struct WechatSandbox {
    platform: Arc<Platform>,
    merchants: Arc<dyn MerchantDirectory>,
    /// Parsed merchant keys, re-parsed when the directory's PEM changes.
    keys: DashMap<String, (String, RsaPublicKey)>,
    trades: Ledger,
    /// v3: HTTP 200 or 204.
    notifier_v3: Notifier,
    /// v2: an XML answer whose return_code is SUCCESS.
    notifier_v2: Notifier,
    public_base: Option<String>,
    /// Issues merchant API certificates and gates `secapi/*`.
    pub(crate) client_ca: Option<Arc<mtls::ClientCa>>,
}

impl WechatSandbox {
    /// `platform_private_key_pem` plays WeChat Pay's platform key (PKCS#8 or
    /// PKCS#1); it must stay the same across restarts and nodes. Without
    /// `platform_certificate_pem` a self-signed certificate is built from it,
    /// byte-identical on every node (fixed validity, serial from the key).
    pub fn new(
        platform_private_key_pem: &SecretString,
        platform_certificate_pem: Option<&str>,
        merchants: Arc<dyn MerchantDirectory>,
        http: reqwest::Client,
        time_scale: u32,
    ) -> Result<Self, PlatformError> {
        let platform = Arc::new(Platform::new(platform_private_key_pem, platform_certificate_pem)?);
        let schedule = notify_schedule(time_scale);
        let v3_ack: crate::AckCheck = Arc::new(|status, _| status == 200 || status == 204);
        let v2_ack: crate::AckCheck = Arc::new(|status, body| {
            (200..300).contains(&status)
                && xml::parse(body).is_ok_and(|f| f.get("return_code").map(String::as_str) == Some("SUCCESS"))
        });
        Ok(Self {
            platform,
            merchants,
            keys: DashMap::new(),
            trades: Ledger::default(),
            notifier_v3: Notifier::with_ack_check(http.clone(), schedule.clone(), v3_ack),
            notifier_v2: Notifier::with_ack_check(http, schedule, v2_ack),
            public_base: None,
            client_ca: None,
        })
    }

    /// Plays WeChat Pay's certificate authority with `ca_private_key_pem`
    /// (kept like the platform key; the CA certificate is derived from it,
    /// the same on every node). From then on `secapi/*` needs mutual TLS.
    pub fn with_client_ca(mut self, ca_private_key_pem: &SecretString) -> Result<Self, PlatformError> {
        self.client_ca = Some(Arc::new(mtls::ClientCa::new(ca_private_key_pem)?));
        Ok(self)
    }

    /// The CA certificate (PEM) the `secapi` listener's certificate chains
    /// to, for clients to trust; None without a CA.
    pub fn client_ca_pem(&self) -> Option<&str> {
        self.client_ca.as_deref().map(mtls::ClientCa::certificate_pem)
    }

    /// The merchant API certificate (`apiclient_cert.pem`) for `mchid` over
    /// its API key, serial `serial_hex`: what the merchant presents on
    /// `secapi/*`.
    pub fn issue_merchant_certificate(
        &self,
        mchid: &str,
        serial_hex: &str,
        merchant_private_key_pem: &str,
    ) -> Result<String, PlatformError> {
        let ca = self.client_ca.as_deref().ok_or_else(|| PlatformError::Certificate("no client CA".into()))?;
        ca.issue_merchant_certificate(mchid, serial_hex, merchant_private_key_pem)
    }

    /// The origin (`https://host[:port]`) put into h5_url/mweb_url. Without
    /// it, the origin the request came in on is used.
    pub fn with_public_base_url(mut self, base: &str) -> Self {
        self.public_base = Some(base.trim_end_matches('/').to_owned());
        self
    }

    pub fn platform_certificate_pem(&self) -> &str {
        &self.platform.cert_pem
    }

    /// Upper-case hex, as in `Wechatpay-Serial`.
    pub fn platform_serial(&self) -> &str {
        &self.platform.serial
    }

    pub fn platform_public_key_pem(&self) -> &str {
        &self.platform.public_key_pem
    }

    /// `PUB_KEY_ID_…`, derived from the platform key.
    pub fn public_key_id(&self) -> &str {
        &self.platform.public_key_id
    }

    pub(crate) async fn merchant(&self, mchid: &str) -> Option<(SandboxMerchant, RsaPublicKey)> {
        let m = self.merchants.merchant(mchid).await?;
        if let Some(k) = self.keys.get(mchid).filter(|k| k.0 == m.merchant_public_key_pem) {
            return Some((m, k.1.clone()));
        }
        let pem = &m.merchant_public_key_pem;
        let parsed = if pem.contains("BEGIN CERTIFICATE") {
            RsaPublicKey::from_certificate_pem(pem)
        } else {
            RsaPublicKey::parse(pem)
        };
        match parsed {
            Ok(key) => {
                self.keys.insert(mchid.to_owned(), (pem.clone(), key.clone()));
                Some((m, key))
            }
            Err(e) => {
                tracing::warn!(mchid, error = %e, "sandbox WeChat merchant has an unusable public key");
                None
            }
        }
    }
}

fn random_from(chars: &[u8], n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..n).map(|_| char::from(chars[rng.random_range(0..chars.len())])).collect()
}

pub(crate) fn random_digits(n: usize) -> String {
    random_from(b"0123456789", n)
}

/// Nonces as WeChat writes them: 32 upper-case letters and digits.
pub(crate) fn nonce() -> String {
    random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32)
}

pub(crate) fn random_alnum(n: usize) -> String {
    random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", n)
}

/// `wx` + yyyyMMddHHmmss (GMT+8) + 20 lower-case hex digits: 36 characters,
/// like `wx201410272009395522657a690389285100`.
pub(crate) fn new_prepay_id(now: i64) -> String {
    format!("wx{}{}", format_compact(now), random_from(b"0123456789abcdef", 16)) + "0000"
}

/// 28 digits starting `4200`, like WeChat's transaction ids.
pub(crate) fn new_transaction_id(now: i64) -> String {
    format!("4200{}{}{}", random_digits(6), &format_compact(now)[..8], random_digits(10))
}

/// 29 digits starting `503`, like WeChat's refund ids.
pub(crate) fn new_refund_id(now: i64) -> String {
    format!("503{}{}", &format_compact(now)[..8], random_digits(18))
}

/// A payer openid: 28 characters starting `o`.
pub fn new_openid() -> String {
    format!("o{}", random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", 27))
}

/// A merchant id shaped like WeChat's (10 digits starting `19`).
pub fn new_mchid() -> String {
    format!("19{}", random_digits(8))
}

/// An app id shaped like WeChat's (`wx` and 16 hex digits).
pub fn new_appid() -> String {
    format!("wx{}", random_from(b"0123456789abcdef", 16))
}
