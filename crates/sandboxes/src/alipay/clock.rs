//! Alipay writes every time as "yyyy-MM-dd HH:mm:ss" in China Standard Time
//! (GMT+8, no daylight saving), whatever the caller's zone. The adapter
//! reads the same format, so both use [`unicharge_crypto::gmt8`].

pub use unicharge_crypto::gmt8::{
    date as date_gmt8, end_of_day as end_of_day_gmt8, format as format_gmt8, now, parse as parse_gmt8,
};
