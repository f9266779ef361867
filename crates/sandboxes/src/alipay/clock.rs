//! Alipay writes every time as "yyyy-MM-dd HH:mm:ss" in China Standard Time
//! (GMT+8, no daylight saving), whatever the caller's zone.

const GMT8: i64 = 8 * 3600;

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Days since 1970-01-01 -> (year, month, day), proleptic Gregorian.
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

fn parts(unix: i64) -> (i64, u32, u32, i64, i64, i64) {
    let t = unix + GMT8;
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    (y, m, d, s / 3600, (s % 3600) / 60, s % 60)
}

pub fn format_gmt8(unix: i64) -> String {
    let (y, m, d, hh, mm, ss) = parts(unix);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
}

/// "yyyyMMdd" in GMT+8, the date prefix of Alipay trade numbers.
pub fn date_gmt8(unix: i64) -> String {
    let (y, m, d, ..) = parts(unix);
    format!("{y:04}{m:02}{d:02}")
}

/// The last second of the GMT+8 day holding `unix` ("1c" in timeout_express).
pub fn end_of_day_gmt8(unix: i64) -> i64 {
    let t = unix + GMT8;
    t.div_euclid(86_400) * 86_400 + 86_399 - GMT8
}

/// Strict "yyyy-MM-dd HH:mm:ss" (GMT+8) -> unix seconds.
pub fn parse_gmt8(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let (mo, d) = (mo as u32, d as u32);
    // Reject 2026-02-30 and the like by a round trip through the calendar.
    let days = days_from_civil(y, mo, d);
    if civil_from_days(days) != (y, mo, d) {
        return None;
    }
    Some(days * 86_400 + h * 3600 + mi * 60 + se - GMT8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_china_standard_time() {
        assert_eq!(format_gmt8(0), "1970-01-01 08:00:00");
        // 2024-02-29T16:30:05Z is already 1 March in Beijing.
        assert_eq!(format_gmt8(1_709_224_205), "2024-03-01 00:30:05");
        assert_eq!(date_gmt8(1_709_224_205), "20240301");
    }

    #[test]
    fn parses_what_it_formats() {
        for t in [0, 1_709_224_205, 1_798_761_599, 4_102_444_800] {
            assert_eq!(parse_gmt8(&format_gmt8(t)), Some(t));
        }
        assert_eq!(end_of_day_gmt8(1_709_224_205), parse_gmt8("2024-03-01 23:59:59").unwrap_or(0));
    }

    #[test]
    fn refuses_malformed_times() {
        for bad in ["2024-02-30 00:00:00", "2024-13-01 00:00:00", "2024-01-01T00:00:00", "2024-1-01 00:00:00", ""] {
            assert_eq!(parse_gmt8(bad), None, "{bad:?}");
        }
    }
}
