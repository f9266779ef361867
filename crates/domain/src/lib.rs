//! Unicharge's domain: the vocabulary every other crate speaks.
//!
//! Nothing here performs I/O. Values are validated once, at the edge, by
//! `parse()` constructors, so code further in can trust them.

pub mod channel;
pub mod charge;
pub mod error;
pub mod event;
pub mod ids;
pub mod mode;
pub mod money;
pub mod order_no;
pub mod refund;

pub use channel::ChannelCode;
pub use charge::{ChargeStatus, NewCharge, NewChargeInput};
pub use error::{ParamError, ParamErrorCode};
pub use event::EventType;
pub use ids::{ApiKeyId, AppId, ChargeId, EventId, RefundId, TenantId};
pub use mode::Mode;
pub use money::{Amount, Currency};
pub use order_no::OrderNo;
pub use refund::{RefundRequest, RefundStatus};

/// Seconds since the Unix epoch, the unit of every timestamp on the wire.
pub type UnixSeconds = i64;
