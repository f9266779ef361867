//! UnionPay online payments (全渠道, gateway 5.1.0, `signMethod=01`), three
//! products over one protocol and one merchant configuration: `upacp`
//! (app), `upacp_wap` and `upacp_pc`. See docs/channels/unionpay.md.
//!
//! Choices worth knowing:
//! - `txnTime` is the order's send time: the charge's `created` for the
//!   consumption and its queries ([`txn_time`]), the refund's `created` for
//!   the refund and its queries, so a retry or a query names the same order;
//! - `close` makes no gateway call for an unpaid order (UnionPay has no
//!   close; `payTimeout` = the charge's expiry stops payment); a charge the
//!   query shows paid the same GMT+8 day is revoked (`txnType=31`), one
//!   paid earlier is refused (refund it instead);
//! - refunds (`txnType=04`) use the refund id as `orderId` and carry the
//!   charge's order number in `reqReserved`, which the notification echoes;
//!   a refund sent again (the sweeper's retry) that the gateway refuses as
//!   a duplicate (`12`) is looked up with the refund query instead.

pub mod config;
pub mod create;
pub mod gateway;
#[cfg(test)]
mod tests;
pub mod wire;

use crate::{
    Ack, Channel, ChannelContext, ChannelError, ChargeRef, Created, NotifyOutcome, ParamSpec, PaymentStatus, RawNotify,
    RefundRef, RefundStatusReport,
};
use async_trait::async_trait;
use config::{KeyCache, UnionpayConfig};
use std::sync::Arc;
use unicharge_crypto::gmt8;
use unicharge_domain::ChannelCode;
use wire::Fields;

pub use config::{PARAMS, SANDBOX_MIDDLE_PEM, SANDBOX_ROOT_PEM};
pub use create::auto_submit_form;

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The consumption's `txnTime`: when the charge was created (GMT+8), which
/// is when the order is sent; stored with the charge, so a query names it.
pub fn txn_time(charge: &ChargeRef) -> String {
    gmt8::compact(charge.created)
}

/// A refund's `txnTime`: when the refund was created, stored with it.
pub fn refund_txn_time(refund: &RefundRef) -> String {
    gmt8::compact(refund.created)
}

/// The three UnionPay products, sharing one HTTP client and key cache.
#[derive(Clone)]
pub struct UnionpayProducts {
    pub app: Arc<UnionpayChannel>,
    pub wap: Arc<UnionpayChannel>,
    pub pc: Arc<UnionpayChannel>,
}

impl UnionpayProducts {
    pub fn new(http: reqwest::Client) -> Self {
        let keys = Arc::new(KeyCache::default());
        let make = |product| Arc::new(UnionpayChannel { product, http: http.clone(), keys: keys.clone() });
        Self { app: make(ChannelCode::Upacp), wap: make(ChannelCode::UpacpWap), pc: make(ChannelCode::UpacpPc) }
    }
}

pub struct UnionpayChannel {
    product: ChannelCode,
    http: reqwest::Client,
    keys: Arc<KeyCache>,
}

impl UnionpayChannel {
    fn config<'a>(&self, ctx: &'a ChannelContext) -> Result<UnionpayConfig<'a>, ChannelError> {
        UnionpayConfig::load(ctx, &self.keys)
    }

    async fn query_fields(&self, cfg: &UnionpayConfig<'_>, charge: &ChargeRef) -> Result<Fields, ChannelError> {
        let mut f = wire::base(cfg.mer_id, wire::TXN_QUERY, "00", "000000");
        f.insert("orderId".into(), charge.order_no.clone());
        f.insert("txnTime".into(), txn_time(charge));
        gateway::call(&self.http, cfg, "queryTrans.do", f).await
    }

    /// A refund as `queryTrans.do` reports it, named by its own orderId and
    /// txnTime: `respCode=00` means the query worked and `origRespCode` is
    /// the refund's result; `34` (no such transaction) means it never
    /// reached UnionPay, which is still pending here (the sweeper resends).
    async fn refund_status(
        &self,
        cfg: &UnionpayConfig<'_>,
        refund: &RefundRef,
    ) -> Result<RefundStatusReport, ChannelError> {
        let mut f = wire::base(cfg.mer_id, wire::TXN_QUERY, "00", "000000");
        f.insert("orderId".into(), wire::refund_order_id(&refund.refund_id));
        f.insert("txnTime".into(), refund_txn_time(refund));
        let answer = gateway::call(&self.http, cfg, "queryTrans.do", f).await?;
        match wire::get(&answer, "respCode")? {
            "00" => {
                let report = RefundStatusReport::try_from(wire::RefundQueryAnswer(&answer))?;
                if matches!(report, RefundStatusReport::Succeeded { .. }) && wire::amount(&answer)? != refund.amount {
                    return Err(ChannelError::Mismatch(format!("refund {} has another amount", refund.refund_id)));
                }
                Ok(report)
            }
            "34" => Ok(RefundStatusReport::Pending),
            c if wire::is_unknown(c) => Ok(RefundStatusReport::Pending),
            _ => Err(gateway::refused(&answer)),
        }
    }

    async fn query_status(&self, cfg: &UnionpayConfig<'_>, charge: &ChargeRef) -> Result<PaymentStatus, ChannelError> {
        let answer = self.query_fields(cfg, charge).await?;
        match wire::get(&answer, "respCode")? {
            "00" => {
                let status = PaymentStatus::try_from(wire::QueryAnswer(&answer))?;
                if let PaymentStatus::Paid { amount, .. } = &status {
                    if *amount != charge.amount {
                        return Err(ChannelError::Mismatch(format!("order {} has another amount", charge.order_no)));
                    }
                }
                Ok(status)
            }
            // 34: no such order yet (the buyer has not opened the page).
            "34" => Ok(PaymentStatus::Pending),
            c if wire::is_unknown(c) => Ok(PaymentStatus::Pending),
            _ => Err(gateway::refused(&answer)),
        }
    }
}

#[async_trait]
impl Channel for UnionpayChannel {
    fn code(&self) -> ChannelCode {
        self.product
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    async fn create_credential(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<Created, ChannelError> {
        let cfg = self.config(ctx)?;
        create::create(&self.http, self.product, &cfg, charge, &ctx.notify_url).await
    }

    async fn query(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<PaymentStatus, ChannelError> {
        let cfg = self.config(ctx)?;
        self.query_status(&cfg, charge).await
    }

    async fn close(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<(), ChannelError> {
        let cfg = self.config(ctx)?;
        let (query_id, paid_at) = match self.query_status(&cfg, charge).await? {
            PaymentStatus::Pending | PaymentStatus::Failed { .. } | PaymentStatus::Closed => return Ok(()),
            PaymentStatus::Paid { transaction_no, time_paid, .. } => (transaction_no, time_paid),
        };
        if gmt8::date(paid_at) != gmt8::date(now()) {
            return Err(ChannelError::Refused {
                code: "trade_paid".into(),
                message: "the UnionPay order was paid before today; refund it instead".into(),
            });
        }
        let mut f = wire::base(cfg.mer_id, wire::TXN_REVOKE, "00", wire::BIZ_B2C);
        f.insert("channelType".into(), wire::CHANNEL_PC.into());
        // A revoke is its own order; derived so a retry is the same one.
        let order_id = format!("rv{}", &unicharge_crypto::sha256_hex(charge.order_no.as_bytes())[..30]);
        f.insert("orderId".into(), order_id);
        f.insert("origQryId".into(), query_id);
        f.insert("txnTime".into(), gmt8::compact(now()));
        f.insert("txnAmt".into(), charge.amount.to_string());
        f.insert("backUrl".into(), ctx.notify_url.clone());
        let answer = gateway::call(&self.http, &cfg, "backTransReq.do", f).await?;
        match wire::get(&answer, "respCode")? {
            "00" => Ok(()),
            // 12 (重复交易): UnionPay already holds this charge's revoke (its
            // orderId is derived from the order): an earlier attempt, e.g.
            // one answered 03/04/05, got through. A same-day full revoke it
            // accepted is not refused later, so the charge can be closed.
            "12" => Ok(()),
            c if wire::is_unknown(c) => Err(ChannelError::Unavailable(format!("revoke answered {c}"))),
            _ => Err(gateway::refused(&answer)),
        }
    }

    async fn refund(&self, ctx: &ChannelContext, refund: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        let cfg = self.config(ctx)?;
        let orig = refund.transaction_no.as_deref().filter(|t| !t.is_empty()).ok_or_else(|| ChannelError::Refused {
            code: "parameter_missing".into(),
            message: "the charge has no UnionPay queryId to refund".into(),
        })?;
        let mut f = wire::base(cfg.mer_id, wire::TXN_REFUND, "00", wire::BIZ_B2C);
        f.insert("channelType".into(), wire::CHANNEL_PC.into());
        f.insert("orderId".into(), wire::refund_order_id(&refund.refund_id));
        f.insert("origQryId".into(), orig.to_owned());
        f.insert("txnTime".into(), refund_txn_time(refund));
        f.insert("txnAmt".into(), refund.amount.to_string());
        f.insert("backUrl".into(), ctx.notify_url.clone());
        f.insert("reqReserved".into(), refund.charge.order_no.clone());
        let answer = gateway::call(&self.http, &cfg, "backTransReq.do", f).await?;
        match wire::get(&answer, "respCode")? {
            // Accepted: the result arrives at backUrl.
            "00" => Ok(RefundStatusReport::Pending),
            c if wire::is_unknown(c) => Ok(RefundStatusReport::Pending),
            // 12 (重复交易): this orderId + txnTime was already taken, i.e.
            // an earlier attempt reached UnionPay; its state is the answer.
            "12" => self.refund_status(&cfg, refund).await,
            _ => Err(gateway::refused(&answer)),
        }
    }

    async fn refund_query(&self, ctx: &ChannelContext, refund: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        let cfg = self.config(ctx)?;
        self.refund_status(&cfg, refund).await
    }

    fn parse_notify(&self, ctx: &ChannelContext, notify: &RawNotify) -> Result<NotifyOutcome, ChannelError> {
        let cfg = self.config(ctx)?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&notify.body)
            .map_err(|e| ChannelError::Malformed(format!("notification body: {e}")))?;
        let mut fields = Fields::new();
        for (k, v) in pairs {
            if fields.insert(k.clone(), v).is_some() {
                return Err(ChannelError::Malformed(format!("field {k} appears twice")));
            }
        }
        gateway::verify(&cfg, &fields)?;
        NotifyOutcome::try_from(wire::Notify(&fields))
    }

    fn ack(&self, _notify: &RawNotify, processed: bool) -> Ack {
        // UnionPay needs HTTP 200; anything else makes it retry.
        if processed {
            Ack { status: 200, content_type: "text/plain", body: "ok".into() }
        } else {
            Ack { status: 400, content_type: "text/plain", body: "fail".into() }
        }
    }
}
