//! WeChat Pay writes times in China Standard Time: v3 as RFC 3339 with
//! `+08:00`, v2 as `yyyyMMddHHmmss`.

use crate::alipay::format_gmt8;

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `2018-06-08T10:34:56+08:00`.
pub fn format_rfc3339(unix: i64) -> String {
    format!("{}+08:00", format_gmt8(unix).replacen(' ', "T", 1))
}

/// `20180608103456`.
pub fn format_compact(unix: i64) -> String {
    format_gmt8(unix).chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_standard_time_in_both_forms() {
        assert_eq!(format_rfc3339(1_709_224_205), "2024-03-01T00:30:05+08:00");
        assert_eq!(format_compact(1_709_224_205), "20240301003005");
    }
}
