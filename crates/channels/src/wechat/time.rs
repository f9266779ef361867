//! WeChat Pay's times. APIv3 uses RFC 3339 (`2018-06-08T10:34:56+08:00`);
//! APIv2 uses `yyyyMMddHHmmss` and `yyyy-MM-dd HH:mm:ss`, both in China
//! Standard Time ([`unicharge_crypto::gmt8`], shared with the sandboxes).

use unicharge_crypto::gmt8;

/// Unix seconds → `yyyyMMddHHmmss` at +08:00.
pub use gmt8::compact as format_compact;
/// Unix seconds → RFC 3339 at +08:00, as WeChat writes `time_expire`.
pub use gmt8::rfc3339;

/// RFC 3339 with a numeric offset or `Z`, seconds precision (fractions are
/// ignored) → Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let (date, rest) = (s.get(..19)?, s.get(19..)?);
    if date.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let rest = match rest.strip_prefix('.') {
        Some(r) => r.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => rest,
    };
    let offset = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) && o.as_bytes()[3] == b':' => {
            let h: i64 = o.get(1..3)?.parse().ok()?;
            let m: i64 = o.get(4..6)?.parse().ok()?;
            let v = h * 3600 + m * 60;
            if o.starts_with('-') {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    // gmt8::parse reads the wall clock as +08:00.
    Some(gmt8::parse(&date.replacen('T', " ", 1))? + 8 * 3600 - offset)
}

/// `yyyyMMddHHmmss` in CST (APIv2 `time_end`, `time_expire`).
pub fn parse_compact(s: &str) -> Option<i64> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    gmt8::parse(&format!("{}-{}-{} {}:{}:{}", &s[..4], &s[4..6], &s[6..8], &s[8..10], &s[10..12], &s[12..14]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip() {
        // 2026-01-02 03:04:05 +08:00
        let t = 1_767_294_245;
        assert_eq!(rfc3339(t), "2026-01-02T03:04:05+08:00");
        assert_eq!(parse_rfc3339("2026-01-02T03:04:05+08:00"), Some(t));
        assert_eq!(parse_rfc3339("2026-01-01T19:04:05Z"), Some(t));
        assert_eq!(parse_rfc3339("2026-01-01T19:04:05.123Z"), Some(t));
        assert_eq!(parse_rfc3339("2026-01-01T18:04:05-01:00"), Some(t));
        assert_eq!(parse_rfc3339("2026-01-02 03:04:05+08:00"), None);
        assert_eq!(parse_rfc3339("2026-01-02T03:04:05"), None);
        assert_eq!(format_compact(t), "20260102030405");
        assert_eq!(parse_compact("20260102030405"), Some(t));
        assert_eq!(parse_compact("2026010203040"), None);
        assert_eq!(parse_compact("20260230030405"), None);
    }
}
