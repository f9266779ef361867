//! Money is an integer count of the currency's minor unit (fen for CNY).
//! There is no float anywhere on this path.

use crate::error::ParamError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A positive amount in minor units. Ping++'s Java SDK reads amounts as
/// `Integer`, so the ceiling is `i32::MAX` regardless of what a channel allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(i64);

impl Amount {
    pub const WIRE_MAX: i64 = i32::MAX as i64;

    pub fn parse(value: i64, max: i64, param: &str) -> Result<Self, ParamError> {
        if value <= 0 {
            return Err(ParamError::out_of_range(param, "must be a positive integer in the currency's minor unit"));
        }
        let ceiling = max.min(Self::WIRE_MAX);
        if value > ceiling {
            return Err(ParamError::out_of_range(param, format!("must be at most {ceiling}")));
        }
        Ok(Self(value))
    }

    pub fn from_trusted(v: i64) -> Self {
        Self(v)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Currencies, lowercase ISO 4217 as Ping++ spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Currency {
    Cny,
}

impl Currency {
    pub fn parse(s: &str) -> Result<Self, ParamError> {
        match s.to_ascii_lowercase().as_str() {
            "cny" => Ok(Currency::Cny),
            other => Err(ParamError::unsupported("currency", format!("'{other}' is not a supported currency"))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Currency::Cny => "cny",
        }
    }
    /// Renders minor units as the provider's decimal string ("0.01"), using
    /// integer arithmetic only.
    pub fn format_major(self, amount: i64) -> String {
        match self {
            Currency::Cny => {
                let sign = if amount < 0 { "-" } else { "" };
                let a = amount.unsigned_abs();
                format!("{sign}{}.{:02}", a / 100, a % 100)
            }
        }
    }
    /// Parses a provider's decimal string back into minor units, refusing
    /// anything with more precision than the currency has.
    pub fn parse_major(self, s: &str) -> Option<i64> {
        match self {
            Currency::Cny => {
                let (whole, frac) = match s.split_once('.') {
                    Some((w, f)) => (w, f),
                    None => (s, ""),
                };
                if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
                    return None;
                }
                if !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let w: i64 = whole.parse().ok()?;
                let f: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
                w.checked_mul(100)?.checked_add(f)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_bounds() {
        assert!(Amount::parse(0, 100, "amount").is_err());
        assert!(Amount::parse(-1, 100, "amount").is_err());
        assert!(Amount::parse(101, 100, "amount").is_err());
        assert_eq!(Amount::parse(100, 100, "amount").map(Amount::get), Ok(100));
        assert!(Amount::parse(i64::MAX, i64::MAX, "amount").is_err());
    }

    #[test]
    fn major_units_round_trip_without_floats() {
        let c = Currency::Cny;
        assert_eq!(c.format_major(1), "0.01");
        assert_eq!(c.format_major(12345), "123.45");
        assert_eq!(c.parse_major("123.45"), Some(12345));
        assert_eq!(c.parse_major("0.1"), Some(10));
        assert_eq!(c.parse_major("7"), Some(700));
        assert_eq!(c.parse_major("0.001"), None);
        assert_eq!(c.parse_major("-1.00"), None);
        assert_eq!(c.parse_major("1e3"), None);
    }

    #[test]
    fn currency_is_case_insensitive_and_closed() {
        assert_eq!(Currency::parse("CNY"), Ok(Currency::Cny));
        assert!(Currency::parse("usd").is_err());
    }
}
