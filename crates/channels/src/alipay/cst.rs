//! Alipay's timestamps: `yyyy-MM-dd HH:mm:ss` in China Standard Time
//! (GMT+8, no daylight saving), for `timestamp`, `time_expire`,
//! `gmt_payment`, `send_pay_date` and `gmt_refund_pay`. The sandboxes write
//! the same format, so both use [`unicharge_crypto::gmt8`].

pub use unicharge_crypto::gmt8::{format, parse};
