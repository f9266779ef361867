//! Apple in-app purchase (`apple_iap`). Apple does not take a charge we
//! create: the app buys through StoreKit, and the tenant hands us the
//! purchase (`extra.signed_transaction`, a StoreKit 2 JWS, or a legacy
//! `extra.receipt_data`). We verify it in the App Store Server API's terms
//! and the charge is created already paid. Refunds happen only at Apple and
//! reach us as App Store Server Notifications V2 (`REFUND`, `REVOKE`).

pub mod api;
pub mod config;
pub mod verify;
pub mod wire;

#[cfg(test)]
mod tests;

use crate::{
    Ack, Channel, ChannelContext, ChannelError, ChargeRef, Created, Credential, NotifyOutcome, ParamSpec,
    PaymentStatus, RawNotify, RefundRef, RefundStatusReport,
};
use async_trait::async_trait;
use config::AppleConfig;
use serde_json::json;
use unicharge_domain::{ChannelCode, Currency};
use verify::{verify_notification, verify_transaction, Expect, VerifyError};
use wire::{NotificationBody, Transaction};

pub use config::{parse_products, Product, APPLE_ROOT_CA_G3_PEM, PARAMS};

fn now() -> i64 {
    crate::alipay::now()
}

fn expect(cfg: &AppleConfig) -> Expect<'_> {
    Expect {
        roots: &cfg.roots,
        bundle_id: &cfg.bundle_id,
        app_apple_id: cfg.app_apple_id,
        environment: cfg.environment,
    }
}

/// Logs a refused purchase (never the JWS or receipt itself) and returns it.
fn refused(app: &str, e: ChannelError) -> ChannelError {
    if let ChannelError::Refused { code, message } = &e {
        tracing::warn!(app, code = %code, reason = %message, "apple_iap purchase rejected");
    }
    e
}

fn refuse(code: &str, message: String) -> ChannelError {
    ChannelError::Refused { code: code.to_owned(), message }
}

/// Apple's `price` is in milliunits; one minor unit of `c` is this many.
fn milli_per_minor(c: Currency) -> i64 {
    match c {
        // Two decimals: 1 fen = 10 milliunits.
        Currency::Cny => 10,
    }
}

/// The product table, not the client, decides what a purchase costs.
pub fn check_price(cfg: &AppleConfig, tx: &Transaction, charge: &ChargeRef) -> Result<(), ChannelError> {
    let product = cfg.products.get(&tx.product_id).ok_or_else(|| {
        refuse("apple_unknown_product", format!("product {} is not in the product table", tx.product_id))
    })?;
    if product.currency != charge.currency {
        return Err(refuse(
            "apple_amount_mismatch",
            format!("product {} is priced in {}", tx.product_id, product.currency.as_str()),
        ));
    }
    let expected = product.amount.checked_mul(tx.quantity.max(1)).unwrap_or(i64::MAX);
    if expected != charge.amount {
        return Err(refuse(
            "apple_amount_mismatch",
            format!("{} x {} costs {expected}, not {}", tx.quantity, tx.product_id, charge.amount),
        ));
    }
    if let Some(price) = tx.price_milli {
        let currency_ok = tx.currency.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(charge.currency.as_str()));
        if !currency_ok || price != product.amount * milli_per_minor(product.currency) {
            return Err(refuse(
                "apple_amount_mismatch",
                format!("Apple recorded price {price} {:?} for {}", tx.currency, tx.product_id),
            ));
        }
    }
    Ok(())
}

pub struct AppleIapChannel {
    http: reqwest::Client,
}

impl AppleIapChannel {
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }

    /// Verifies the purchase the charge carries and returns Apple's view of it.
    pub async fn verified_purchase(&self, cfg: &AppleConfig, charge: &ChargeRef) -> Result<Transaction, ChannelError> {
        let text = |k: &str| charge.extra.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
        let now = now();
        let tx = if let Some(jws) = text("signed_transaction") {
            let presented = verify_transaction(jws, expect(cfg), now)?;
            // Apple's current view: a forged-but-well-signed replay of a
            // refunded purchase shows its revocation here.
            let token = api::bearer_token(cfg, now)?;
            let current = api::lookup(&self.http, cfg, &token, &presented.transaction_id).await?;
            let current = verify_transaction(&current, expect(cfg), now)?;
            if current.transaction_id != presented.transaction_id || current.product_id != presented.product_id {
                return Err(refuse(
                    "apple_transaction_mismatch",
                    "Apple's lookup disagrees with the presented transaction".into(),
                ));
            }
            current
        } else if let Some(receipt) = text("receipt_data") {
            self.receipt_transaction(cfg, receipt, text("transaction_id")).await?
        } else {
            return Err(refuse("apple_malformed_jws", "neither signed_transaction nor receipt_data".into()));
        };
        if let Some(at) = tx.revoked_at_ms {
            return Err(refuse(
                "apple_transaction_revoked",
                format!("Apple revoked transaction {} at {at}", tx.transaction_id),
            ));
        }
        check_price(cfg, &tx, charge)?;
        Ok(tx)
    }

    /// The purchase a legacy receipt proves: the one named by
    /// `extra.transaction_id`, else the newest in the receipt.
    async fn receipt_transaction(
        &self,
        cfg: &AppleConfig,
        receipt: &str,
        wanted: Option<&str>,
    ) -> Result<Transaction, ChannelError> {
        let answer = api::verify_receipt(&self.http, cfg, receipt).await?;
        let env = answer.environment.clone().unwrap_or_default();
        if env != cfg.environment {
            return Err(VerifyError::Environment { got: env, want: cfg.environment.to_owned() }.into());
        }
        let r = answer.receipt.unwrap_or_default();
        let bundle = r.bundle_id.clone().unwrap_or_default();
        if bundle != cfg.bundle_id {
            return Err(VerifyError::Bundle(bundle).into());
        }
        let mut all = r.in_app.clone();
        all.extend(answer.latest_receipt_info.unwrap_or_default());
        let mut txs = all
            .iter()
            .map(|i| Transaction::try_from((i, bundle.as_str(), env.as_str())))
            .collect::<Result<Vec<_>, _>>()?;
        txs.sort_by_key(|t| t.purchase_date_ms);
        let pick = match wanted {
            Some(id) => txs.into_iter().find(|t| t.transaction_id == id),
            None => txs.pop(),
        };
        pick.ok_or_else(|| refuse("apple_transaction_not_found", "the receipt holds no such purchase".into()))
    }
}

#[async_trait]
impl Channel for AppleIapChannel {
    fn code(&self) -> ChannelCode {
        ChannelCode::AppleIap
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    async fn create_credential(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<Created, ChannelError> {
        let cfg = AppleConfig::load(ctx)?;
        let tx = self.verified_purchase(&cfg, charge).await.map_err(|e| refused(&ctx.app_id, e))?;
        let credential = json!({
            "transaction_id": tx.transaction_id,
            "original_transaction_id": tx.original_transaction_id,
            "product_id": tx.product_id,
            "quantity": tx.quantity,
            "environment": tx.environment,
        });
        Ok(Created {
            credential: Credential(credential),
            status: PaymentStatus::Paid {
                transaction_no: tx.transaction_id,
                amount: charge.amount,
                time_paid: tx.purchase_date_ms / 1000,
            },
        })
    }

    /// The purchase is verified again; a charge exists only once it was paid.
    async fn query(&self, ctx: &ChannelContext, charge: &ChargeRef) -> Result<PaymentStatus, ChannelError> {
        let cfg = AppleConfig::load(ctx)?;
        let tx = self.verified_purchase(&cfg, charge).await?;
        Ok(PaymentStatus::Paid {
            transaction_no: tx.transaction_id,
            amount: charge.amount,
            time_paid: tx.purchase_date_ms / 1000,
        })
    }

    async fn close(&self, _: &ChannelContext, _: &ChargeRef) -> Result<(), ChannelError> {
        Err(refuse(
            "apple_not_reversible",
            "an Apple purchase is paid when it is recorded; it cannot be reversed".into(),
        ))
    }

    async fn refund(&self, _: &ChannelContext, _: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        Err(refuse("apple_refund_unsupported", "Apple refunds in-app purchases only through Apple".into()))
    }

    async fn refund_query(&self, _: &ChannelContext, _: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
        Err(refuse("apple_refund_unsupported", "Apple refunds in-app purchases only through Apple".into()))
    }

    fn parse_notify(&self, ctx: &ChannelContext, notify: &RawNotify) -> Result<NotifyOutcome, ChannelError> {
        let cfg = AppleConfig::load(ctx)?;
        parse_notification(&cfg, &notify.body, now())
    }

    /// Apple retries on anything but 2xx (production: 5 times over 7 days).
    fn ack(&self, _: &RawNotify, processed: bool) -> Ack {
        if processed {
            Ack { status: 200, content_type: "text/plain", body: String::new() }
        } else {
            Ack { status: 400, content_type: "text/plain", body: "rejected".into() }
        }
    }
}

fn notify_error(e: VerifyError) -> ChannelError {
    match e {
        VerifyError::Malformed(m) => ChannelError::Malformed(m),
        VerifyError::Chain(_) | VerifyError::Signature => ChannelError::BadSignature(e.to_string()),
        VerifyError::Bundle(_) | VerifyError::AppAppleId(_) | VerifyError::Environment { .. } => {
            ChannelError::Mismatch(e.to_string())
        }
    }
}

/// Verifies an App Store Server Notification V2 and says what it changes.
pub fn parse_notification(cfg: &AppleConfig, body: &[u8], now: i64) -> Result<NotifyOutcome, ChannelError> {
    let body: NotificationBody =
        serde_json::from_slice(body).map_err(|e| ChannelError::Malformed(format!("not a signedPayload body: {e}")))?;
    let n = verify_notification(&body.signed_payload, expect(cfg), now).map_err(notify_error)?;
    let uuid = n.notification_uuid.clone().unwrap_or_default();
    match n.notification_type.as_str() {
        "REFUND" | "REVOKE" => {
            let jws =
                n.data.as_ref().and_then(|d| d.signed_transaction_info.as_deref()).ok_or_else(|| {
                    ChannelError::Malformed("refund notification without signedTransactionInfo".into())
                })?;
            let tx = verify_transaction(jws, expect(cfg), now).map_err(notify_error)?;
            let refunded_at = tx.revoked_at_ms.or(n.signed_date).unwrap_or(now * 1000) / 1000;
            Ok(NotifyOutcome::ProviderRefund {
                transaction_no: tx.transaction_id,
                amount: None,
                refunded_at,
                reason: format!("{} {uuid}", n.notification_type),
            })
        }
        // Apple asks for consumption data before deciding a refund. Answering
        // needs the Send Consumption Information API, which Unicharge does not
        // call; nothing changes until REFUND (or REFUND_DECLINED) arrives.
        "CONSUMPTION_REQUEST" => {
            tracing::info!(notification = %uuid, "apple CONSUMPTION_REQUEST verified and acknowledged; no state change");
            Ok(NotifyOutcome::Ignored)
        }
        other => {
            tracing::info!(notification = %uuid, kind = other, "apple notification verified; nothing to change");
            Ok(NotifyOutcome::Ignored)
        }
    }
}
