//! Payment channel adapters.
//!
//! Every channel implements [`Channel`]. Adapters never touch the database:
//! they get the charge and the app's decrypted channel configuration, and
//! return a credential or a normalized outcome. Each channel module keeps its
//! wire structs (`wire.rs`) apart from the HTTP flow (`mod.rs`) and its
//! per-app parameters (`config.rs`).

mod config;
mod error;
mod types;

pub mod alipay;
pub mod apple;
pub mod sandbox;
pub mod unionpay;
pub mod wechat;

pub use config::{ChannelConfig, ParamSpec};
pub use error::ChannelError;
pub use types::*;

use async_trait::async_trait;
use std::sync::Arc;
use unicharge_domain::ChannelCode;

/// One payment channel's protocol.
#[async_trait]
pub trait Channel: Send + Sync {
    fn code(&self) -> ChannelCode;

    /// The parameters an operator sets for this channel, for validation and docs.
    fn params(&self) -> &'static [ParamSpec];

    /// Builds what the client SDK needs to start paying. May call the provider,
    /// and for synchronous channels the payment may be settled already.
    async fn create_credential(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<Created, ChannelError>;

    /// Asks the provider for the charge's current state (notifications can be lost).
    async fn query(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<PaymentStatus, ChannelError>;

    /// Closes an unpaid charge at the provider so it can no longer be paid.
    async fn close(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<(), ChannelError>;

    /// Refunds; `refund.refund_id` is the provider's idempotency key
    /// (`out_request_no`), so a retried call never refunds twice.
    async fn refund(&self, ctx: &ChannelContext, refund: &RefundRef) -> Result<RefundStatusReport, ChannelError>;

    async fn refund_query(&self, ctx: &ChannelContext, refund: &RefundRef) -> Result<RefundStatusReport, ChannelError>;

    /// Verifies an asynchronous notification and normalizes it. The caller
    /// still cross-checks app, order and amount against the stored charge.
    fn parse_notify(&self, ctx: &ChannelContext, notify: &RawNotify) -> Result<NotifyOutcome, ChannelError>;

    /// The body the provider expects back; anything else makes it retry.
    /// `notify` is the notification being answered: a provider with two
    /// protocols (WeChat Pay v2 XML, v3 JSON) answers in the one it used.
    fn ack(&self, notify: &RawNotify, processed: bool) -> Ack;
}

/// All channels, looked up by code.
#[derive(Clone)]
pub struct Channels {
    sandbox: Arc<sandbox::SandboxChannel>,
    alipay: alipay::AlipayProducts,
    wechat: wechat::WechatProducts,
    unionpay: unionpay::UnionpayProducts,
    apple_iap: Arc<apple::AppleIapChannel>,
}

/// What the adapters take from the server's configuration.
#[derive(Debug, Clone)]
pub struct ChannelOptions {
    /// How long creating a scanned payment (`wx_pub_scan`) may wait for a
    /// buyer still entering a password before it answers `pending`; see
    /// [`wechat::WechatProducts::with_scan_wait`].
    pub scan_wait: std::time::Duration,
    /// The built-in WeChat Pay sandbox's mutual-TLS `secapi` listener.
    pub wechat_sandbox_tls: Option<wechat::SandboxTls>,
}

impl Default for ChannelOptions {
    fn default() -> Self {
        Self { scan_wait: wechat::DEFAULT_SCAN_WAIT, wechat_sandbox_tls: None }
    }
}

impl Channels {
    pub fn new(http: reqwest::Client) -> Self {
        Self::with_options(http, ChannelOptions::default())
    }

    pub fn with_options(http: reqwest::Client, options: ChannelOptions) -> Self {
        let apple_iap = Arc::new(apple::AppleIapChannel::new(http.clone()));
        Self {
            sandbox: Arc::new(sandbox::SandboxChannel::new(http.clone())),
            alipay: alipay::AlipayProducts::new(http.clone()),
            unionpay: unionpay::UnionpayProducts::new(http.clone()),
            wechat: wechat::WechatProducts::with_options(http, options.scan_wait, options.wechat_sandbox_tls),
            apple_iap,
        }
    }

    pub fn get(&self, code: ChannelCode) -> &dyn Channel {
        match code {
            ChannelCode::Sandbox => self.sandbox.as_ref(),
            ChannelCode::Alipay => self.alipay.app.as_ref(),
            ChannelCode::AlipayWap => self.alipay.wap.as_ref(),
            ChannelCode::AlipayPcDirect => self.alipay.pc_direct.as_ref(),
            ChannelCode::AlipayQr => self.alipay.qr.as_ref(),
            ChannelCode::AlipayScan => self.alipay.scan.as_ref(),
            ChannelCode::AlipayLite => self.alipay.lite.as_ref(),
            ChannelCode::Wx => self.wechat.app.as_ref(),
            ChannelCode::WxPub => self.wechat.pub_.as_ref(),
            ChannelCode::WxLite => self.wechat.lite.as_ref(),
            ChannelCode::WxPubQr => self.wechat.pub_qr.as_ref(),
            ChannelCode::WxWap => self.wechat.wap.as_ref(),
            ChannelCode::WxPubScan => self.wechat.pub_scan.as_ref(),
            ChannelCode::Upacp => self.unionpay.app.as_ref(),
            ChannelCode::UpacpWap => self.unionpay.wap.as_ref(),
            ChannelCode::UpacpPc => self.unionpay.pc.as_ref(),
            ChannelCode::AppleIap => self.apple_iap.as_ref(),
        }
    }
}
