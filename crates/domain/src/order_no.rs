use crate::error::ParamError;
use serde::{Deserialize, Serialize};

/// The merchant's order number. Ping++ documents letters and digits only;
/// each channel narrows the length (Alipay 1–64, WeChat 2–32, UnionPay 8–40).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderNo(String);

impl OrderNo {
    pub fn parse(s: &str, min: usize, max: usize) -> Result<Self, ParamError> {
        if s.is_empty() {
            return Err(ParamError::missing("order_no"));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ParamError::invalid("order_no", "only letters and digits are allowed"));
        }
        if s.len() > max {
            return Err(ParamError::too_long("order_no", max));
        }
        if s.len() < min {
            return Err(ParamError::out_of_range("order_no", format!("must be {min} to {max} characters")));
        }
        Ok(Self(s.to_owned()))
    }
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_no_rules() {
        assert!(OrderNo::parse("20261123abc", 1, 64).is_ok());
        assert!(OrderNo::parse("", 1, 64).is_err());
        assert!(OrderNo::parse("abc-def", 1, 64).is_err());
        assert!(OrderNo::parse("订单1", 1, 64).is_err());
        assert!(OrderNo::parse(&"a".repeat(65), 1, 64).is_err());
        assert!(OrderNo::parse("a", 2, 32).is_err());
    }
}
