//! A loopback UnionPay gateway (全渠道 5.1.0, `signMethod=01`):
//! `/gateway/api/frontTransReq.do`, `appTransReq.do`, `backTransReq.do`,
//! `queryTrans.do`, plus a cashier page where the buyer pays or gives up.
//!
//! It plays UnionPay with its own test PKI (`fixtures/unionpay/`, made by
//! `gen.py` there): every answer and notification carries `signPubKeyCert`
//! (its signing certificate, CN `041@…@中国银联股份有限公司@…`, issued by the
//! sandbox's middle and root CA) and is signed with that key. Requests are
//! verified against the merchant certificate registered for `merId`, whose
//! serial must be the request's `certId`; the sandbox issues those
//! certificates ([`UnionpaySandbox::issue_merchant_certificate`]).
//!
//! Sandbox choices (UnionPay's behaviour is not documented or not known):
//! - answers are `k=v&…`, not URL-encoded, fields sorted by name;
//! - refusals: `11` bad signature or unknown certId, `12` an orderId reused
//!   with other terms, `30` a missing or malformed field, `34` no such
//!   order, `31` unknown merchant;
//! - `queryTrans.do` of an unpaid order answers `origRespCode=05`; of one the
//!   buyer cancelled at the cashier, `origRespCode=01`;
//! - a consumption's `txnTime` must be within [`TXN_TIME_WINDOW_SECS`] of
//!   the sandbox's clock (else `30`), as UnionPay checks the send time: never
//!   further ahead; for a web order (`frontTransReq.do`, which the buyer's
//!   browser may post long after the merchant made it) an older `txnTime` is
//!   accepted while its `payTimeout` has not passed;
//! - `queryTrans.do` finds an order only by its `orderId` **and** `txnTime`
//!   (else `34`);
//! - a refund or revoke whose `orderId` was already used answers `12`
//!   (重复交易), whatever its terms: a resend must query instead;
//! - a refund of exactly [`UNKNOWN_REFUND_AMOUNT`] fen answers `05` (result
//!   unknown), then completes and notifies like any other; one of exactly
//!   [`SILENT_REFUND_AMOUNT`] fen answers `00` and completes, but its
//!   notification is lost (never sent), so only a query can learn it;
//! - test control: `POST /cashier/{tn}/pay?notify=drop` pays without sending
//!   the backUrl notification (a lost notification);
//! - refunds and revokes complete at once and notify right after the answer;
//! - the notification retry schedule ([`notify_schedule`]) is ours: UnionPay's
//!   is not published;
//! - trades live in memory on the node that saw them.

mod gateway;
mod page;

use crate::{Notifier, RetrySchedule};
use dashmap::DashMap;
use rcgen::{date_time_ymd, CertificateParams, DistinguishedName, DnType, DnValue, Issuer, KeyPair, SerialNumber};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use unicharge_crypto::{parse_qstring, unionpay_sign, unionpay_verify_content, RsaSigner};

pub use gateway::configure;

pub const ROOT_PEM: &str = include_str!("../../fixtures/unionpay/root.pem");
pub const MIDDLE_PEM: &str = include_str!("../../fixtures/unionpay/middle.pem");
const MIDDLE_KEY: &str = include_str!("../../fixtures/unionpay/middle.key");
pub const SIGN_CERT_PEM: &str = include_str!("../../fixtures/unionpay/sign.pem");
const SIGN_KEY: &str = include_str!("../../fixtures/unionpay/sign.key");

/// A refund of this many fen answers respCode 05 (see the module docs).
pub const UNKNOWN_REFUND_AMOUNT: i64 = 5;
/// A refund of this many fen succeeds but is never notified.
pub const SILENT_REFUND_AMOUNT: i64 = 7;
/// How far a consumption's `txnTime` may be from the sandbox's clock. Five
/// minutes: UnionPay does not publish its tolerance; this allows for clock
/// skew and a slow request while catching a made-up send time.
pub const TXN_TIME_WINDOW_SECS: i64 = 300;

pub type Fields = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum UnionpayError {
    #[error("sandbox key or certificate: {0}")]
    Key(String),
}

/// Where the sandbox finds each merchant's signing certificate (PEM). The
/// server backs it with its database; [`InMemoryMerchants`] serves tests.
#[async_trait::async_trait]
pub trait MerchantDirectory: Send + Sync {
    async fn merchant_certificate(&self, mer_id: &str) -> Option<String>;
}

#[derive(Default)]
pub struct InMemoryMerchants {
    certs: DashMap<String, String>,
}

impl InMemoryMerchants {
    pub fn register(&self, mer_id: &str, cert_pem: &str) {
        self.certs.insert(mer_id.to_owned(), cert_pem.to_owned());
    }
}

#[async_trait::async_trait]
impl MerchantDirectory for InMemoryMerchants {
    async fn merchant_certificate(&self, mer_id: &str) -> Option<String> {
        self.certs.get(mer_id).map(|c| c.clone())
    }
}

/// Our notification schedule after the first attempt (not UnionPay's,
/// which is unpublished): 15 s, 1 m, 2 m, 4 m, 10 m, 30 m, 1 h, 2 h.
pub fn notify_schedule(time_scale: u32) -> RetrySchedule {
    let secs = [15, 60, 120, 240, 600, 1800, 3600, 7200];
    RetrySchedule { delays: secs.into_iter().map(Duration::from_secs).collect(), time_scale }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum State {
    Unpaid,
    Paid { query_id: String, paid_at: i64 },
    Cancelled,
}

/// A consumption (frontTransReq / appTransReq).
#[derive(Debug, Clone)]
pub(crate) struct Trade {
    pub mer_id: String,
    pub order_id: String,
    pub txn_time: String,
    pub amount: i64,
    pub back_url: String,
    pub front_url: Option<String>,
    pub req_reserved: Option<String>,
    pub tn: String,
    pub state: State,
    pub refunded: i64,
    /// Revoked the same day (`txnType=31`).
    pub revoked: bool,
}

/// A refund (04) or revoke (31).
#[derive(Debug, Clone)]
pub(crate) struct Back {
    pub txn_type: String,
    pub orig_qry_id: String,
    pub txn_time: String,
    pub amount: i64,
    pub query_id: String,
}

pub struct UnionpaySandbox {
    signer: RsaSigner,
    /// `signPubKeyCert` as UnionPay sends it: PEM with `\r\n` line ends.
    sign_cert: String,
    ca_key: KeyPair,
    merchants: Arc<dyn MerchantDirectory>,
    /// (merId, orderId) → trade; tn → (merId, orderId); queryId → key.
    pub(crate) trades: DashMap<(String, String), Trade>,
    pub(crate) by_tn: DashMap<String, (String, String)>,
    pub(crate) by_query_id: DashMap<String, (String, String)>,
    pub(crate) backs: DashMap<(String, String), Back>,
    pub(crate) notifier: Notifier,
}

impl UnionpaySandbox {
    pub fn new(
        merchants: Arc<dyn MerchantDirectory>,
        http: reqwest::Client,
        time_scale: u32,
    ) -> Result<Self, UnionpayError> {
        let signer = RsaSigner::parse(SIGN_KEY).map_err(|e| UnionpayError::Key(e.to_string()))?;
        let ca_der = pem::parse(MIDDLE_KEY).map_err(|e| UnionpayError::Key(e.to_string()))?;
        let ca_key = KeyPair::try_from(ca_der.contents()).map_err(|e| UnionpayError::Key(e.to_string()))?;
        let ack: crate::AckCheck = Arc::new(|status, _| status == 200);
        Ok(Self {
            signer,
            sign_cert: SIGN_CERT_PEM.trim_end().replace("\r\n", "\n").replace('\n', "\r\n"),
            ca_key,
            merchants,
            trades: DashMap::new(),
            by_tn: DashMap::new(),
            by_query_id: DashMap::new(),
            backs: DashMap::new(),
            notifier: Notifier::with_ack_check(http, notify_schedule(time_scale), ack),
        })
    }

    /// The merchant signing certificate (PEM) for `mer_id` over the
    /// merchant's key, issued by the sandbox's middle CA with a random
    /// serial (the `certId`), as UnionPay's CA issues `acp_sign.pfx`.
    pub fn issue_merchant_certificate(
        &self,
        mer_id: &str,
        merchant_key_pkcs8_pem: &str,
    ) -> Result<String, UnionpayError> {
        let bad = |e: rcgen::Error| UnionpayError::Key(e.to_string());
        let der = pem::parse(merchant_key_pkcs8_pem).map_err(|e| UnionpayError::Key(e.to_string()))?;
        let subject = KeyPair::try_from(der.contents()).map_err(bad)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, DnValue::PrintableString("CN".try_into().map_err(bad)?));
        dn.push(DnType::OrganizationName, "China UnionPay");
        dn.push(DnType::OrganizationalUnitName, "Enterprises");
        dn.push(DnType::CommonName, format!("041@Z00000000000000@{mer_id}@00000001"));
        params.distinguished_name = dn;
        let mut serial = unicharge_crypto::random_bytes(5);
        serial[0] = (serial[0] & 0x7f) | 0x10;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.not_before = date_time_ymd(2025, 1, 1);
        params.not_after = date_time_ymd(2045, 1, 1);
        let mut ca = CertificateParams::default();
        let mut ca_dn = DistinguishedName::new();
        ca_dn.push(DnType::CountryName, DnValue::PrintableString("CN".try_into().map_err(bad)?));
        ca_dn.push(DnType::OrganizationName, "China Financial Certification Authority");
        ca_dn.push(DnType::CommonName, "Unicharge UnionPay Sandbox Middle CA");
        ca.distinguished_name = ca_dn;
        let issuer = Issuer::new(ca, &self.ca_key);
        let cert = params.signed_by(&subject, &issuer).map_err(bad)?;
        Ok(pem::encode_config(
            &pem::Pem::new("CERTIFICATE", cert.der().to_vec()),
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        ))
    }

    pub(crate) async fn merchant_certificate(&self, mer_id: &str) -> Option<String> {
        self.merchants.merchant_certificate(mer_id).await
    }

    /// Adds `signPubKeyCert` and `signature` over every other field.
    pub(crate) fn sign(&self, f: &mut Fields) {
        f.remove("signature");
        f.insert("signPubKeyCert".into(), self.sign_cert.clone());
        let content = unionpay_verify_content(f.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        f.insert("signature".into(), unionpay_sign(&self.signer, &content));
    }

    /// A synchronous answer: `k=v&…` with nothing URL-encoded.
    pub fn answer_text(&self, mut f: Fields) -> String {
        self.sign(&mut f);
        f.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
    }

    /// Sends a signed backUrl notification, retrying in the background.
    pub(crate) async fn notify(&self, url: &str, mut f: Fields) -> bool {
        self.sign(&mut f);
        match serde_urlencoded::to_string(&f) {
            Ok(body) => self.notifier.deliver(url.to_owned(), body).await,
            Err(e) => {
                tracing::warn!(error = %e, "sandbox UnionPay notification could not be encoded");
                false
            }
        }
    }
}

/// Reads a raw answer the way a merchant SDK does (for tests).
pub fn parse_answer(text: &str) -> Fields {
    parse_qstring(text).into_iter().collect()
}

pub(crate) fn digits(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

/// A merchant number shaped like UnionPay's (15 digits starting 777).
pub fn new_mer_id() -> String {
    format!("777{}", digits(12))
}
