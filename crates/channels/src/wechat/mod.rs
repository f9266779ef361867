//! WeChat Pay, APIv3 and APIv2, six products: `wx` (app), `wx_pub`
//! (official-account JSAPI), `wx_lite` (mini program), `wx_pub_qr`
//! (Native), `wx_wap` (H5) and `wx_pub_scan` (micropay, APIv2 only). Each
//! product is one [`WechatChannel`]; they share one configuration per app
//! and mode (`config_code`), whose `api_version` picks the protocol.

pub mod config;
pub mod time;
pub mod v2;
pub mod v3;
pub mod xml;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_flow;
#[cfg(test)]
mod tests_flow_v2;
#[cfg(test)]
mod tests_v2;

use crate::{
    Ack, Channel, ChannelContext, ChannelError, ChargeRef, Created, NotifyOutcome, ParamSpec, PaymentStatus, RawNotify,
    RefundRef, RefundStatusReport,
};
use async_trait::async_trait;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use unicharge_domain::ChannelCode;

pub use config::{ConfigCache, SandboxTls, WechatConfig, LIVE_BASE, PARAMS};
pub use v3::certs::CertStore;

pub(crate) const TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) fn now() -> i64 {
    crate::alipay::now()
}

/// 32 random upper-case hex characters, for `nonce_str` and `Wechatpay-Nonce`.
pub(crate) fn nonce() -> String {
    hex_upper(&unicharge_crypto::random_bytes(16))
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

pub(crate) fn extra<'a>(charge: &'a ChargeRef, name: &str) -> Option<&'a str> {
    charge.extra.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
}

pub(crate) fn require_extra<'a>(charge: &'a ChargeRef, name: &str) -> Result<&'a str, ChannelError> {
    extra(charge, name).ok_or_else(|| ChannelError::Refused {
        code: "parameter_missing".into(),
        message: format!("extra[{name}] is required for this channel"),
    })
}

/// What the six products share: the HTTP client, parsed configurations,
/// downloaded platform certificates, and the micropay polling schedule.
pub struct Shared {
    pub http: reqwest::Client,
    pub configs: ConfigCache,
    pub certs: CertStore,
    pub micropay_polls: u32,
    pub micropay_wait: Duration,
    /// The built-in sandbox's mutual-TLS `secapi` listener, in test mode.
    pub sandbox_tls: Option<SandboxTls>,
}

#[derive(Clone)]
pub struct WechatProducts {
    pub app: Arc<WechatChannel>,
    pub pub_: Arc<WechatChannel>,
    pub lite: Arc<WechatChannel>,
    pub pub_qr: Arc<WechatChannel>,
    pub wap: Arc<WechatChannel>,
    pub pub_scan: Arc<WechatChannel>,
}

/// How long a `wx_pub_scan` create waits by default for a buyer who is
/// entering a password before it answers `pending`.
pub const DEFAULT_SCAN_WAIT: Duration = Duration::from_secs(4);

impl WechatProducts {
    pub fn new(http: reqwest::Client) -> Self {
        Self::with_scan_wait(http, DEFAULT_SCAN_WAIT)
    }

    /// WeChat's documents have the merchant query an open micropay for about
    /// 30 s, then reverse it. A create must not hold the tenant's request
    /// that long, so it queries twice within `wait` (at half of it and at its
    /// end) and then answers `pending`; the server's query sweep does the
    /// rest, reversal included (`crates/server/src/sweep.rs`). A zero `wait`
    /// does not query at all.
    pub fn with_scan_wait(http: reqwest::Client, wait: Duration) -> Self {
        Self::with_options(http, wait, None)
    }

    /// As [`Self::with_scan_wait`], with the built-in sandbox's `secapi`
    /// listener for test mode.
    pub fn with_options(http: reqwest::Client, scan_wait: Duration, sandbox_tls: Option<SandboxTls>) -> Self {
        let polls = if scan_wait.is_zero() { 0 } else { 2 };
        Self::build(http, polls, scan_wait / 2, sandbox_tls)
    }

    pub fn with_polling(http: reqwest::Client, micropay_polls: u32, micropay_wait: Duration) -> Self {
        Self::build(http, micropay_polls, micropay_wait, None)
    }

    fn build(http: reqwest::Client, polls: u32, wait: Duration, sandbox_tls: Option<SandboxTls>) -> Self {
        let shared = Arc::new(Shared {
            http,
            configs: ConfigCache::default(),
            certs: CertStore::default(),
            micropay_polls: polls,
            micropay_wait: wait,
            sandbox_tls,
        });
        let make = |product| Arc::new(WechatChannel { product, shared: shared.clone() });
        Self {
            app: make(ChannelCode::Wx),
            pub_: make(ChannelCode::WxPub),
            lite: make(ChannelCode::WxLite),
            pub_qr: make(ChannelCode::WxPubQr),
            wap: make(ChannelCode::WxWap),
            pub_scan: make(ChannelCode::WxPubScan),
        }
    }
}

pub struct WechatChannel {
    product: ChannelCode,
    shared: Arc<Shared>,
}

impl WechatChannel {
    pub fn config(&self, ctx: &ChannelContext) -> Result<WechatConfig, ChannelError> {
        WechatConfig::load_with(ctx, &self.shared.configs, self.shared.sandbox_tls.as_ref())
    }

    /// `parse_notify` at a given time, so published vectors with old
    /// timestamps can be checked.
    pub fn parse_notify_at(
        &self,
        ctx: &ChannelContext,
        notify: &RawNotify,
        now: i64,
    ) -> Result<NotifyOutcome, ChannelError> {
        match self.config(ctx)? {
            WechatConfig::V3(cfg) => v3::notify::parse(&self.shared, &cfg, notify, now),
            WechatConfig::V2(cfg) => v2::notify::parse(&cfg, &notify.body),
        }
    }
}

/// APIv2 notifications are XML; APIv3 ones JSON with `Wechatpay-*` headers.
pub fn is_v2_notify(notify: &RawNotify) -> bool {
    let first = notify.body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'<') => true,
        Some(_) => false,
        None => notify.content_type.contains("xml"),
    }
}

pub const V2_ACK_SUCCESS: &str =
    "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>";
pub const V2_ACK_FAIL: &str =
    "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[FAIL]]></return_msg></xml>";

#[async_trait]
impl Channel for WechatChannel {
    fn code(&self) -> ChannelCode {
        self.product
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    async fn create_credential(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<Created, ChannelError> {
        match self.config(ctx)? {
            WechatConfig::V3(cfg) => v3::ops::create(&self.shared, self.product, &cfg, ctx, charge).await,
            WechatConfig::V2(cfg) => v2::ops::create(&self.shared, self.product, &cfg, ctx, charge).await,
        }
    }

    async fn query(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<PaymentStatus, ChannelError> {
        match self.config(ctx)? {
            WechatConfig::V3(cfg) => v3::ops::query(&self.shared, &cfg, charge).await,
            WechatConfig::V2(cfg) => v2::ops::query(&self.shared, &cfg, &charge.order_no).await,
        }
    }

    async fn close(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<(), ChannelError> {
        match self.config(ctx)? {
            WechatConfig::V3(cfg) => v3::ops::close(&self.shared, &cfg, charge).await,
            WechatConfig::V2(cfg) => v2::ops::close(&self.shared, self.product, &cfg, &charge.order_no).await,
        }
    }

    async fn refund(&self, ctx: &ChannelContext, refund: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        match self.config(ctx)? {
            WechatConfig::V3(cfg) => v3::ops::refund(&self.shared, &cfg, ctx, refund).await,
            WechatConfig::V2(cfg) => v2::ops::refund(&self.shared, &cfg, ctx, refund).await,
        }
    }

    async fn refund_query(&self, ctx: &ChannelContext, refund: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        match self.config(ctx)? {
            WechatConfig::V3(cfg) => v3::ops::refund_query(&self.shared, &cfg, refund).await,
            WechatConfig::V2(cfg) => v2::ops::refund_query(&self.shared, &cfg, refund).await,
        }
    }

    fn parse_notify(&self, ctx: &ChannelContext, notify: &RawNotify) -> Result<NotifyOutcome, ChannelError> {
        self.parse_notify_at(ctx, notify, now())
    }

    /// v3: 200 with `{"code":"SUCCESS"}` (WeChat accepts 200 or 204), or 500
    /// with `{"code":"FAIL"}` so WeChat retries. v2: WeChat's XML, always 200.
    fn ack(&self, notify: &RawNotify, processed: bool) -> Ack {
        match (is_v2_notify(notify), processed) {
            (true, true) => Ack { status: 200, content_type: "text/xml", body: V2_ACK_SUCCESS.to_owned() },
            (true, false) => Ack { status: 200, content_type: "text/xml", body: V2_ACK_FAIL.to_owned() },
            (false, true) => Ack {
                status: 200,
                content_type: "application/json",
                body: r#"{"code":"SUCCESS","message":"成功"}"#.to_owned(),
            },
            (false, false) => Ack {
                status: 500,
                content_type: "application/json",
                body: r#"{"code":"FAIL","message":"失败"}"#.to_owned(),
            },
        }
    }
}
