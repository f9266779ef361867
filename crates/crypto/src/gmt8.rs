//! China Standard Time (GMT+8, no daylight saving), in which Alipay and
//! WeChat Pay write every time: `yyyy-MM-dd HH:mm:ss`, `yyyyMMddHHmmss`,
//! `yyyyMMdd` and RFC 3339 with `+08:00`. Not cryptography, but the channels
//! and the sandboxes share nothing else, and they must agree on these
//! formats byte for byte (times are part of the signed content).

const OFFSET_SECS: i64 = 8 * 3600;

/// Unix seconds now (0 if the clock is before 1970).
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day, hour, minute, second) at GMT+8.
fn parts(unix: i64) -> (i64, u32, u32, i64, i64, i64) {
    let t = unix + OFFSET_SECS;
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    (y, m, d, s / 3600, s % 3600 / 60, s % 60)
}

/// `yyyy-MM-dd HH:mm:ss`.
pub fn format(unix: i64) -> String {
    let (y, m, d, hh, mm, ss) = parts(unix);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
}

/// `yyyyMMddHHmmss` (WeChat Pay APIv2).
pub fn compact(unix: i64) -> String {
    let (y, m, d, hh, mm, ss) = parts(unix);
    format!("{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}")
}

/// `yyyy-MM-ddTHH:mm:ss+08:00` (WeChat Pay APIv3).
pub fn rfc3339(unix: i64) -> String {
    let (y, m, d, hh, mm, ss) = parts(unix);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}+08:00")
}

/// `yyyyMMdd`, e.g. the date prefix of Alipay trade numbers.
pub fn date(unix: i64) -> String {
    let (y, m, d, ..) = parts(unix);
    format!("{y:04}{m:02}{d:02}")
}

/// The last second of the GMT+8 day holding `unix`.
pub fn end_of_day(unix: i64) -> i64 {
    (unix + OFFSET_SECS).div_euclid(86_400) * 86_400 + 86_399 - OFFSET_SECS
}

/// Strict `yyyy-MM-dd HH:mm:ss` at GMT+8 → Unix seconds; anything else
/// (other separators, single digits, 2019-02-30) is `None`.
pub fn parse(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mo = u32::try_from(mo).ok().filter(|m| (1..=12).contains(m))?;
    let d = u32::try_from(d).ok().filter(|d| (1..=31).contains(d))?;
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    // Reject dates such as 02-30 that do not round-trip.
    if civil_from_days(days) != (y, mo, d) {
        return None;
    }
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - OFFSET_SECS)
}

/// Strict `yyyyMMddHHmmss` at GMT+8 (UnionPay's `txnTime`, WeChat Pay
/// APIv2) → Unix seconds; the inverse of [`compact`].
pub fn parse_compact(s: &str) -> Option<i64> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    parse(&format!("{}-{}-{} {}:{}:{}", &s[..4], &s[4..6], &s[6..8], &s[8..10], &s[10..12], &s[12..14]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_china_standard_time() {
        assert_eq!(format(0), "1970-01-01 08:00:00");
        // 2019-08-15 15:56:24 CST, the gmt_payment of Alipay's published notification.
        assert_eq!(format(1_565_855_784), "2019-08-15 15:56:24");
        assert_eq!(format(951_782_400 - 8 * 3600), "2000-02-29 00:00:00");
        assert_eq!(format(1_704_038_399), "2023-12-31 23:59:59");
        // 2024-02-29T16:30:05Z is already 1 March in Beijing.
        assert_eq!(format(1_709_224_205), "2024-03-01 00:30:05");
        assert_eq!(date(1_709_224_205), "20240301");
        assert_eq!(rfc3339(1_709_224_205), "2024-03-01T00:30:05+08:00");
        assert_eq!(compact(1_709_224_205), "20240301003005");
        assert_eq!(end_of_day(1_709_224_205), parse("2024-03-01 23:59:59").unwrap_or(0));
    }

    #[test]
    fn parses_what_it_formats_and_nothing_else() {
        for t in [0, 1_565_855_784, 1_700_000_000, 1_709_224_205, 1_798_761_599, 4_102_444_800, 951_782_400] {
            assert_eq!(parse(&format(t)), Some(t));
            assert_eq!(parse_compact(&compact(t)), Some(t));
        }
        for bad in ["2019081515562", "201908151556245", "20190230000000", "2019-8-15155624", ""] {
            assert_eq!(parse_compact(bad), None, "{bad}");
        }
        for bad in [
            "2019-08-15T15:56:24",
            "2019-02-30 00:00:00",
            "2019-13-01 00:00:00",
            "2019-08-15 24:00:00",
            "",
            "2019-8-15 1:2:3",
            "+019-08-15 15:56:24",
            "2024-1-01 00:00:00",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
