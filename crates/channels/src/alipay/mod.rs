//! Alipay OpenAPI (gateway.do, RSA2), six products over one protocol:
//! `alipay` (app), `alipay_wap`, `alipay_pc_direct`, `alipay_qr`,
//! `alipay_scan` and `alipay_lite`. Each product is one [`AlipayChannel`];
//! they share one configuration per app and mode (`config_code`), and the
//! same query, close, refund and notification handling.

mod config;
pub mod create;
pub mod cst;
mod gateway;
pub mod sign;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_flow;
pub mod wire;

use crate::{
    Ack, Channel, ChannelContext, ChannelError, ChargeRef, Created, NotifyOutcome, ParamSpec, PaymentStatus, RawNotify,
    RefundRef, RefundStatusReport,
};
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use unicharge_domain::ChannelCode;

pub use config::{AlipayConfig, AlipayKeys, KeyCache, LIVE_GATEWAY, PARAMS};
pub use gateway::{check_answer, parse_form, signed_request, Answer};
pub use sign::Params;

const TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The six Alipay products, sharing one HTTP client and key cache.
#[derive(Clone)]
pub struct AlipayProducts {
    pub app: Arc<AlipayChannel>,
    pub wap: Arc<AlipayChannel>,
    pub pc_direct: Arc<AlipayChannel>,
    pub qr: Arc<AlipayChannel>,
    pub scan: Arc<AlipayChannel>,
    pub lite: Arc<AlipayChannel>,
}

impl AlipayProducts {
    pub fn new(http: reqwest::Client) -> Self {
        let keys = Arc::new(KeyCache::default());
        let make = |product| Arc::new(AlipayChannel { product, http: http.clone(), keys: keys.clone() });
        Self {
            app: make(ChannelCode::Alipay),
            wap: make(ChannelCode::AlipayWap),
            pc_direct: make(ChannelCode::AlipayPcDirect),
            qr: make(ChannelCode::AlipayQr),
            scan: make(ChannelCode::AlipayScan),
            lite: make(ChannelCode::AlipayLite),
        }
    }
}

pub struct AlipayChannel {
    product: ChannelCode,
    http: reqwest::Client,
    keys: Arc<KeyCache>,
}

impl AlipayChannel {
    fn config<'a>(&self, ctx: &'a ChannelContext) -> Result<AlipayConfig<'a>, ChannelError> {
        AlipayConfig::load(ctx, &self.keys)
    }

    /// POSTs a signed request, as the official SDKs do, and checks the answer.
    async fn call(
        &self,
        cfg: &AlipayConfig<'_>,
        method: &str,
        biz: &impl Serialize,
        extra: &[(&str, &str)],
    ) -> Result<Answer, ChannelError> {
        let params = signed_request(cfg, method, biz, extra, now())?;
        let resp = self
            .http
            .post(&cfg.gateway)
            .header("content-type", "application/x-www-form-urlencoded;charset=utf-8")
            .body(sign::query_string(&params))
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| ChannelError::Unavailable(format!("{method}: {e}")))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| ChannelError::Unavailable(format!("{method}: {e}")))?;
        if !status.is_success() {
            return Err(ChannelError::Unavailable(format!("{method}: gateway answered HTTP {status}")));
        }
        check_answer(cfg, method, &text)
    }

    /// Calls and insists on code 10000.
    async fn call_ok<T: DeserializeOwned>(
        &self,
        cfg: &AlipayConfig<'_>,
        method: &str,
        biz: &impl Serialize,
    ) -> Result<T, ChannelError> {
        let answer = self.call(cfg, method, biz, &[]).await?;
        if !answer.header.is_success() {
            return Err(answer.header.into_error(method));
        }
        answer.body(method)
    }
}

#[async_trait]
impl Channel for AlipayChannel {
    fn code(&self) -> ChannelCode {
        self.product
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    async fn create_credential(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<Created, ChannelError> {
        let cfg = self.config(ctx)?;
        create::create(self, &cfg, ctx, charge).await
    }

    async fn query(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<PaymentStatus, ChannelError> {
        let cfg = self.config(ctx)?;
        let method = "alipay.trade.query";
        let answer = self.call(&cfg, method, &wire::TradeRef { out_trade_no: &charge.order_no }, &[]).await?;
        if answer.header.is_success() {
            return PaymentStatus::try_from(answer.body::<wire::TradeResponse>(method)?);
        }
        // App, web and QR trades exist at Alipay only once the buyer opens
        // them; until then the charge is simply unpaid.
        if answer.signed_sub("ACQ.TRADE_NOT_EXIST") {
            return Ok(PaymentStatus::Pending);
        }
        Err(answer.header.into_error(method))
    }

    async fn close(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<(), ChannelError> {
        let cfg = self.config(ctx)?;
        // A scanned payment may be mid-way (buyer entering a password):
        // cancel also reverses it if it went through, close would not.
        let method = match self.product {
            ChannelCode::AlipayScan => "alipay.trade.cancel",
            ChannelCode::Sandbox
            | ChannelCode::Alipay
            | ChannelCode::AlipayWap
            | ChannelCode::AlipayPcDirect
            | ChannelCode::AlipayQr
            | ChannelCode::AlipayLite
            | ChannelCode::Wx
            | ChannelCode::WxPub
            | ChannelCode::WxLite
            | ChannelCode::WxPubQr
            | ChannelCode::WxWap
            | ChannelCode::Upacp
            | ChannelCode::UpacpWap
            | ChannelCode::UpacpPc
            | ChannelCode::AppleIap
            | ChannelCode::WxPubScan => "alipay.trade.close",
        };
        let answer = self.call(&cfg, method, &wire::TradeRef { out_trade_no: &charge.order_no }, &[]).await?;
        if answer.header.is_success() {
            let r: wire::CancelResponse = answer.body(method)?;
            if r.retry_flag.as_deref() == Some("Y") {
                return Err(ChannelError::Unavailable(format!("{method}: Alipay asks to retry")));
            }
            if r.action.as_deref() == Some("refund") {
                tracing::warn!(charge = %charge.charge_id, "alipay.trade.cancel refunded a payment that had gone through");
            }
            return Ok(());
        }
        if answer.signed_sub("ACQ.TRADE_NOT_EXIST") {
            return Ok(());
        }
        Err(answer.header.into_error(method))
    }

    async fn refund(&self, ctx: &ChannelContext, refund: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        let cfg = self.config(ctx)?;
        let biz = wire::RefundRequest {
            out_trade_no: &refund.charge.order_no,
            refund_amount: wire::yuan(refund.amount),
            out_request_no: &refund.refund_id,
            refund_reason: Some(refund.description.as_str()).filter(|d| !d.is_empty()),
        };
        let r: wire::RefundResponse = self.call_ok(&cfg, "alipay.trade.refund", &biz).await?;
        if r.fund_change.as_deref() == Some("Y") {
            let time_succeed = r.gmt_refund_pay.as_deref().and_then(cst::parse).unwrap_or_else(now);
            return Ok(RefundStatusReport::Succeeded { transaction_no: r.trade_no, time_succeed });
        }
        // fund_change=N: a repeat of a refund already made, or one still in
        // progress. Only the refund query tells which.
        refund_query(self, &cfg, refund).await
    }

    async fn refund_query(&self, ctx: &ChannelContext, refund: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        let cfg = self.config(ctx)?;
        refund_query(self, &cfg, refund).await
    }

    fn parse_notify(&self, ctx: &ChannelContext, notify: &RawNotify) -> Result<NotifyOutcome, ChannelError> {
        let cfg = self.config(ctx)?;
        let fields = parse_form(&notify.body)?;
        sign::verify_notify(&fields, &cfg.keys.alipay_key)?;
        if fields.iter().any(|(k, v)| k == "notify_type" && v != "trade_status_sync") {
            return Ok(NotifyOutcome::Ignored);
        }
        let n = wire::TradeNotify::try_from(fields.as_slice())?;
        if n.app_id != cfg.app_id {
            return Err(ChannelError::Mismatch(format!("app_id {} is not this app's Alipay app", n.app_id)));
        }
        if let Some(seller) = cfg.seller_id {
            if n.seller_id.as_deref() != Some(seller) {
                return Err(ChannelError::Mismatch("seller_id is not this app's Alipay merchant".into()));
            }
        }
        NotifyOutcome::try_from(&n)
    }

    fn ack(&self, _notify: &RawNotify, processed: bool) -> Ack {
        Ack { status: 200, content_type: "text/plain", body: if processed { "success" } else { "fail" }.to_owned() }
    }
}

async fn refund_query(
    ch: &AlipayChannel,
    cfg: &AlipayConfig<'_>,
    refund: &RefundRef,
) -> Result<RefundStatusReport, ChannelError> {
    let biz = wire::RefundQueryRequest {
        out_trade_no: &refund.charge.order_no,
        out_request_no: &refund.refund_id,
        query_options: ["gmt_refund_pay"],
    };
    let r: wire::RefundQueryResponse = ch.call_ok(cfg, "alipay.trade.fastpay.refund.query", &biz).await?;
    if let Some(amount) = r.refund_amount.as_deref().filter(|a| !a.is_empty()) {
        if wire::fen(amount, "refund_amount")? != refund.amount {
            return Err(ChannelError::Mismatch(format!("refund {} has another amount at Alipay", refund.refund_id)));
        }
    }
    if r.out_request_no.as_deref().is_some_and(|n| !n.is_empty() && n != refund.refund_id) {
        return Err(ChannelError::Mismatch(format!("Alipay answered for another refund than {}", refund.refund_id)));
    }
    RefundStatusReport::try_from(r)
}
