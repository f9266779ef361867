use crate::error::ParamError;
use crate::money::Amount;
use serde::{Deserialize, Serialize};

/// A refund moves `Pending → Succeeded | Failed`, once. Its amount is reserved
/// against the charge while pending, so concurrent refunds cannot together
/// exceed what was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(RefundStatus::Pending),
            "succeeded" => Some(RefundStatus::Succeeded),
            "failed" => Some(RefundStatus::Failed),
            _ => None,
        }
    }
    pub fn can_become(self, next: RefundStatus) -> bool {
        match (self, next) {
            (RefundStatus::Pending, RefundStatus::Succeeded | RefundStatus::Failed) => true,
            (RefundStatus::Pending, RefundStatus::Pending)
            | (RefundStatus::Succeeded, _)
            | (RefundStatus::Failed, _) => false,
        }
    }
}

/// A validated refund request. `amount` defaults to everything refundable.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub amount: Amount,
    pub description: String,
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl RefundRequest {
    /// `refundable` is what the charge still has after succeeded and pending
    /// refunds; the store re-checks it atomically, this check only gives a
    /// friendly error early.
    pub fn parse(
        amount: Option<i64>,
        description: Option<String>,
        metadata: serde_json::Map<String, serde_json::Value>,
        refundable: i64,
    ) -> Result<Self, ParamError> {
        if refundable <= 0 {
            return Err(ParamError::out_of_range("amount", "the charge has nothing left to refund"));
        }
        let amount = match amount {
            Some(a) => {
                let a = Amount::parse(a, Amount::WIRE_MAX, "amount")?;
                if a.get() > refundable {
                    return Err(ParamError::out_of_range(
                        "amount",
                        format!("at most {refundable} can still be refunded"),
                    ));
                }
                a
            }
            None => Amount::from_trusted(refundable),
        };
        let description = description.unwrap_or_default();
        if description.chars().count() > 255 {
            return Err(ParamError::too_long("description", 255));
        }
        crate::charge::check_metadata(&metadata)?;
        Ok(Self { amount, description, metadata })
    }
}
