//! Alipay amounts are yuan strings ("12.34") on the wire; the sandbox keeps
//! integer fen and converts with integer and string arithmetic only.

/// Alipay's upper bound for one trade: 100,000,000.00 yuan.
pub const MAX_FEN: i64 = 10_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("not a yuan amount with at most two decimals")]
    Malformed,
    #[error("the amount must be greater than zero")]
    NotPositive,
    #[error("the amount exceeds 100000000.00")]
    TooLarge,
}

/// Parses "12", "12.3" or "12.34" into fen. Signs, exponents, spaces, a bare
/// or trailing dot and a third decimal are refused rather than rounded.
pub fn parse_yuan(s: &str) -> Result<i64, AmountError> {
    if let Some(rest) = s.strip_prefix('-') {
        // A well-formed negative amount is a range error, not a typo.
        return match parse_yuan(rest) {
            Ok(_) | Err(AmountError::NotPositive) | Err(AmountError::TooLarge) => Err(AmountError::NotPositive),
            Err(AmountError::Malformed) => Err(AmountError::Malformed),
        };
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) {
        return Err(AmountError::Malformed);
    }
    let frac_fen = match frac {
        None => 0,
        Some(f) if digits(f) && f.len() <= 2 => {
            let v: i64 = f.parse().map_err(|_| AmountError::Malformed)?;
            if f.len() == 1 {
                v * 10
            } else {
                v
            }
        }
        Some(_) => return Err(AmountError::Malformed),
    };
    // Leading zeros are harmless; more than 11 significant digits cannot be
    // in range and would overflow the multiplication below.
    let int = int.trim_start_matches('0');
    if int.len() > 11 {
        return Err(AmountError::TooLarge);
    }
    let yuan: i64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| AmountError::Malformed)? };
    let fen = yuan * 100 + frac_fen;
    match fen {
        0 => Err(AmountError::NotPositive),
        f if f > MAX_FEN => Err(AmountError::TooLarge),
        f => Ok(f),
    }
}

/// Always two decimals, as Alipay echoes amounts: 1234 -> "12.34".
pub fn format_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yuan_strings() {
        assert_eq!(parse_yuan("12.34"), Ok(1234));
        assert_eq!(parse_yuan("12.3"), Ok(1230));
        assert_eq!(parse_yuan("12"), Ok(1200));
        assert_eq!(parse_yuan("0.01"), Ok(1));
        assert_eq!(parse_yuan("007.50"), Ok(750));
        assert_eq!(parse_yuan("100000000.00"), Ok(MAX_FEN));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for bad in ["", ".", "1.", ".5", "1.234", "1,00", " 1", "1 ", "+1", "1e2", "0x10", "1.-2", "１"] {
            assert_eq!(parse_yuan(bad), Err(AmountError::Malformed), "{bad:?}");
        }
        for zero in ["0", "0.0", "0.00", "-1", "-0.01"] {
            assert_eq!(parse_yuan(zero), Err(AmountError::NotPositive), "{zero:?}");
        }
        for big in ["100000000.01", "999999999999999999999"] {
            assert_eq!(parse_yuan(big), Err(AmountError::TooLarge), "{big:?}");
        }
    }

    #[test]
    fn formats_with_two_decimals() {
        assert_eq!(format_yuan(1), "0.01");
        assert_eq!(format_yuan(1230), "12.30");
        assert_eq!(format_yuan(0), "0.00");
        assert_eq!(format_yuan(MAX_FEN), "100000000.00");
        for fen in [1, 99, 100, 101, 123_456, MAX_FEN] {
            assert_eq!(parse_yuan(&format_yuan(fen)), Ok(fen));
        }
    }
}
