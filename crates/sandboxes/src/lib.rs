//! Loopback simulators of payment providers. Each speaks its provider's
//! protocol: it checks signatures with real keys, answers in the provider's
//! format, and sends signed asynchronous notifications with retries.
//!
//! Sandboxes play the provider, so they never read Unicharge's data: they
//! know only what a provider would (merchant keys, their own trades).

pub mod alipay;
pub mod apple;
mod html;
mod notifier;
pub mod sandbox;
pub mod unionpay;
pub mod wechat;

pub use notifier::{AckCheck, Notifier, Outgoing, Render, RetrySchedule};
