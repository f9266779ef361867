//! Alipay's timestamps: `yyyy-MM-dd HH:mm:ss` in China Standard Time
//! (GMT+8, no daylight saving), for `timestamp`, `time_expire`,
//! `gmt_payment`, `send_pay_date` and `gmt_refund_pay`.

const OFFSET_SECS: i64 = 8 * 3600;

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
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds → `yyyy-MM-dd HH:mm:ss` at GMT+8.
pub fn format(unix: i64) -> String {
    let t = unix + OFFSET_SECS;
    let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `yyyy-MM-dd HH:mm:ss` at GMT+8 → Unix seconds; anything else is `None`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_china_standard_time() {
        assert_eq!(format(0), "1970-01-01 08:00:00");
        // 2019-08-15 15:56:24 CST, the gmt_payment of the published notification.
        assert_eq!(format(1_565_855_784), "2019-08-15 15:56:24");
        assert_eq!(format(951_782_400 - 8 * 3600), "2000-02-29 00:00:00");
        assert_eq!(format(1_704_038_399), "2023-12-31 23:59:59");
    }

    #[test]
    fn parses_what_it_formats_and_nothing_else() {
        for t in [0, 1_565_855_784, 1_700_000_000, 4_102_444_800, 951_782_400] {
            assert_eq!(parse(&format(t)), Some(t));
        }
        assert_eq!(parse("2019-08-15 15:56:24"), Some(1_565_855_784));
        for bad in [
            "2019-08-15T15:56:24",
            "2019-02-30 00:00:00",
            "2019-13-01 00:00:00",
            "2019-08-15 24:00:00",
            "",
            "2019-8-15 1:2:3",
            "+019-08-15 15:56:24",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
