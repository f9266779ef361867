//! WeChat Pay writes times in China Standard Time: v3 as RFC 3339 with
//! `+08:00`, v2 as `yyyyMMddHHmmss` ([`unicharge_crypto::gmt8`]).

pub use unicharge_crypto::gmt8::{compact as format_compact, now, rfc3339 as format_rfc3339};
