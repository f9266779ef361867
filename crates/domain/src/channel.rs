use crate::error::ParamError;
use crate::money::Currency;
use crate::Mode;
use serde::{Deserialize, Serialize};

/// Payment channels, by their Ping++ codes. Adding a channel adds a variant,
/// and the compiler then points at every match that must learn about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelCode {
    /// Unicharge's own test channel: a hosted pay page with Pay and Fail buttons.
    Sandbox,
}

/// What a channel accepts, used to validate a charge before any I/O.
#[derive(Debug, Clone, Copy)]
pub struct ChannelRules {
    pub max_amount: i64,
    pub order_no_min: usize,
    pub order_no_max: usize,
    pub currencies: &'static [Currency],
    pub required_extra: &'static [&'static str],
    pub live_allowed: bool,
}

impl ChannelCode {
    pub const ALL: &'static [ChannelCode] = &[ChannelCode::Sandbox];

    pub fn parse(s: &str) -> Result<Self, ParamError> {
        match s {
            "sandbox" => Ok(ChannelCode::Sandbox),
            "" => Err(ParamError::missing("channel")),
            other => Err(ParamError::unsupported("channel", format!("'{other}' is not a known channel"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelCode::Sandbox => "sandbox",
        }
    }

    pub fn rules(self) -> ChannelRules {
        match self {
            ChannelCode::Sandbox => ChannelRules {
                // The same ceiling as Alipay's single-transaction limit, so
                // sandbox tests exercise realistic bounds.
                max_amount: 10_000_000_000,
                order_no_min: 1,
                order_no_max: 64,
                currencies: &[Currency::Cny],
                required_extra: &[],
                live_allowed: false,
            },
        }
    }

    pub fn available_in(self, mode: Mode) -> bool {
        match mode {
            Mode::Test => true,
            Mode::Live => self.rules().live_allowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in ChannelCode::ALL {
            assert_eq!(ChannelCode::parse(c.as_str()).ok(), Some(*c));
        }
        assert!(ChannelCode::parse("bitcoin").is_err());
        assert!(!ChannelCode::Sandbox.available_in(Mode::Live));
    }
}
