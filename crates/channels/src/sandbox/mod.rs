//! `sandbox`: Unicharge's own test channel, played by the sandbox provider in
//! `unicharge-sandboxes`. Test mode only. Its credential is a signed pay-page
//! URL; paying there sends a signed notification through the same path a real
//! channel's notification takes.

mod config;
pub mod wire;

use crate::{
    Ack, Channel, ChannelContext, ChannelError, ChargeRef, Created, Credential, NotifyOutcome, ParamSpec,
    PaymentStatus, RawNotify, RefundRef, RefundStatusReport,
};
use async_trait::async_trait;
use config::SandboxConfig;
use serde_json::json;
use std::time::Duration;
use unicharge_domain::ChannelCode;
use wire::Fields;

pub use config::PARAMS;

pub struct SandboxChannel {
    http: reqwest::Client,
}

impl SandboxChannel {
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }

    /// POSTs a signed form to the provider and verifies its signed answer.
    async fn call(&self, cfg: &SandboxConfig<'_>, api: &str, mut fields: Fields) -> Result<Fields, ChannelError> {
        fields.insert("mch_id".into(), cfg.mch_id.to_owned());
        fields.insert("nonce_str".into(), unicharge_domain::ids::random_alnum(16));
        let s = wire::sign(&fields, cfg.key);
        fields.insert("sign".into(), s);
        let url = format!("{}/api/{api}", cfg.gateway_url);
        let resp = self
            .http
            .post(&url)
            .form(&fields)
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|e| ChannelError::Unavailable(format!("sandbox {api}: {e}")))?;
        let answer: Fields = resp
            .json()
            .await
            .map_err(|e| ChannelError::Unavailable(format!("sandbox {api}: unreadable answer: {e}")))?;
        // An unsigned or wrongly signed answer is not a result.
        wire::verify(&answer, cfg.key)?;
        match answer.get("code").map(String::as_str) {
            Some("SUCCESS") => Ok(answer),
            Some(code) => Err(ChannelError::Refused {
                code: code.to_owned(),
                message: answer.get("message").cloned().unwrap_or_default(),
            }),
            None => Err(ChannelError::Unavailable(format!("sandbox {api}: answer has no code"))),
        }
    }
}

fn order_fields(charge: &ChargeRef) -> Fields {
    let mut f = Fields::new();
    f.insert("out_trade_no".into(), charge.order_no.clone());
    f
}

#[async_trait]
impl Channel for SandboxChannel {
    fn code(&self) -> ChannelCode {
        ChannelCode::Sandbox
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    async fn create_credential(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<Created, ChannelError> {
        let cfg = SandboxConfig::try_from(ctx)?;
        let mut f = order_fields(charge);
        f.insert("mch_id".into(), cfg.mch_id.to_owned());
        f.insert("amount".into(), charge.amount.to_string());
        f.insert("currency".into(), charge.currency.as_str().to_owned());
        f.insert("subject".into(), charge.subject.clone());
        f.insert("notify_url".into(), ctx.notify_url.clone());
        f.insert("time_expire".into(), charge.time_expire.to_string());
        f.insert("nonce_str".into(), unicharge_domain::ids::random_alnum(16));
        if let Some(u) = charge.extra.get("success_url").and_then(|v| v.as_str()) {
            f.insert("return_url".into(), u.to_owned());
        }
        let s = wire::sign(&f, cfg.key);
        f.insert("sign".into(), s);
        let query = serde_urlencoded::to_string(&f).map_err(|e| ChannelError::Config(e.to_string()))?;
        Ok(Created::pending(Credential(json!({ "pay_url": format!("{}/pay?{query}", cfg.gateway_url) }))))
    }

    async fn query(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<PaymentStatus, ChannelError> {
        let cfg = SandboxConfig::try_from(ctx)?;
        let answer = self.call(&cfg, "query", order_fields(charge)).await?;
        wire::payment_status(&answer)
    }

    async fn close(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<(), ChannelError> {
        let cfg = SandboxConfig::try_from(ctx)?;
        match self.call(&cfg, "close", order_fields(charge)).await {
            Ok(_) => Ok(()),
            // Never shown to the buyer, so there is nothing to close.
            Err(ChannelError::Refused { code, .. }) if code == "TRADE_NOT_EXIST" => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn refund(&self, ctx: &ChannelContext, refund: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        let cfg = SandboxConfig::try_from(ctx)?;
        let mut f = order_fields(&refund.charge);
        f.insert("out_refund_no".into(), refund.refund_id.clone());
        f.insert("refund_amount".into(), refund.amount.to_string());
        f.insert("total_amount".into(), refund.charge.amount.to_string());
        let answer = self.call(&cfg, "refund", f).await?;
        wire::refund_status(&answer)
    }

    async fn refund_query(&self, ctx: &ChannelContext, refund: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        let cfg = SandboxConfig::try_from(ctx)?;
        let mut f = order_fields(&refund.charge);
        f.insert("out_refund_no".into(), refund.refund_id.clone());
        let answer = self.call(&cfg, "refund_query", f).await?;
        wire::refund_status(&answer)
    }

    fn parse_notify(&self, ctx: &ChannelContext, notify: &RawNotify) -> Result<NotifyOutcome, ChannelError> {
        let cfg = SandboxConfig::try_from(ctx)?;
        let fields: Fields = serde_urlencoded::from_bytes(&notify.body)
            .map_err(|e| ChannelError::Malformed(format!("not a form body: {e}")))?;
        wire::verify(&fields, cfg.key)?;
        if wire::field(&fields, "mch_id")? != cfg.mch_id {
            return Err(ChannelError::Mismatch("mch_id is not this app's merchant".into()));
        }
        let order_no = wire::field(&fields, "out_trade_no")?.to_owned();
        let amount = wire::int_field(&fields, "amount")?;
        match wire::field(&fields, "notify_type")? {
            "trade" => Ok(NotifyOutcome::Charge { order_no, status: wire::payment_status(&fields)?, amount }),
            "refund" => Ok(NotifyOutcome::Refund {
                order_no,
                refund_id: wire::field(&fields, "out_refund_no")?.to_owned(),
                status: wire::refund_status(&fields)?,
                amount: wire::int_field(&fields, "refund_amount")?,
            }),
            other => Err(ChannelError::Malformed(format!("unknown notify_type {other}"))),
        }
    }

    fn ack(&self, _notify: &RawNotify, processed: bool) -> Ack {
        Ack {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: if processed { "SUCCESS" } else { "FAIL" }.to_owned(),
        }
    }
}
