use crate::ChannelConfig;
use unicharge_domain::{Currency, Mode};

/// What an adapter knows about the app it acts for.
#[derive(Debug)]
pub struct ChannelContext {
    pub app_id: String,
    pub mode: Mode,
    pub config: std::sync::Arc<ChannelConfig>,
    /// Where the provider must send asynchronous notifications.
    pub notify_url: String,
    /// Base URL of the built-in sandbox provider on this server.
    pub sandbox_base: String,
}

/// The charge as an adapter sees it.
#[derive(Debug, Clone)]
pub struct ChargeRef {
    pub charge_id: String,
    /// Sent to the provider as `out_trade_no`; unique per app and mode.
    pub order_no: String,
    pub amount: i64,
    pub currency: Currency,
    pub subject: String,
    pub body: String,
    pub client_ip: String,
    pub time_expire: i64,
    /// When the charge was created (Unix seconds): the row's `created`.
    /// UnionPay names an order by `orderId` + this send time (`txnTime`).
    pub created: i64,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct RefundRef {
    pub refund_id: String,
    pub charge: ChargeRef,
    pub transaction_no: Option<String>,
    pub amount: i64,
    pub description: String,
    /// When the refund was created (Unix seconds): the row's `created`, so
    /// a retry or a query names the same refund (UnionPay's `txnTime`).
    pub created: i64,
}

/// The `credential.<channel>` value.
#[derive(Debug, Clone, PartialEq)]
pub struct Credential(pub serde_json::Value);

/// What creating a charge at the channel produced: the credential for the
/// client, and the payment's status right away. Most channels answer
/// `Pending` (the buyer pays later); a synchronous one such as
/// `alipay_scan` may already be `Paid`, which the server applies to the new
/// charge through the same compare-and-set path as a notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub credential: Credential,
    pub status: PaymentStatus,
}

impl Created {
    pub fn pending(credential: Credential) -> Self {
        Self { credential, status: PaymentStatus::Pending }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Paid { transaction_no: String, amount: i64, time_paid: i64 },
    Failed { code: String, message: String },
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundStatusReport {
    Pending,
    Succeeded { transaction_no: Option<String>, time_succeed: i64 },
    Failed { code: String, message: String },
}

/// A notification exactly as it arrived.
#[derive(Debug, Clone)]
pub struct RawNotify {
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A verified notification, normalized. The adapter has already checked that
/// it was addressed to the configured merchant account; the caller checks
/// order, app and amount against the stored charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyOutcome {
    Charge {
        order_no: String,
        status: PaymentStatus,
        amount: i64,
    },
    Refund {
        refund_id: String,
        order_no: String,
        status: RefundStatusReport,
        amount: i64,
    },
    /// A refund the provider made on its own (Apple `REFUND`/`REVOKE`): no
    /// refund of ours exists yet. The server finds the charge by
    /// `transaction_no` within the app and mode, then creates and completes
    /// the refund in one transaction. `amount: None` refunds what is left.
    ProviderRefund {
        transaction_no: String,
        amount: Option<i64>,
        /// Unix seconds.
        refunded_at: i64,
        /// The provider's reason, e.g. `REFUND <notificationUUID>`.
        reason: String,
    },
    /// A valid notification that carries no state change (e.g. WAIT_BUYER_PAY).
    Ignored,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}
