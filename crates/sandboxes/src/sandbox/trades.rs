//! The provider's own ledger of trades and refunds.

use dashmap::DashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeStatus {
    NotPaid,
    Paid,
    Failed,
    Closed,
}

impl TradeStatus {
    pub fn wire(self) -> &'static str {
        match self {
            TradeStatus::NotPaid => "NOTPAY",
            TradeStatus::Paid => "SUCCESS",
            TradeStatus::Failed => "FAILED",
            TradeStatus::Closed => "CLOSED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Trade {
    pub trade_no: String,
    pub amount: i64,
    pub currency: String,
    pub subject: String,
    pub notify_url: String,
    pub return_url: Option<String>,
    pub time_expire: i64,
    pub status: TradeStatus,
    pub paid_at: Option<i64>,
    /// out_refund_no → (amount, refund_no, refunded_at)
    pub refunds: Vec<(String, i64, String, i64)>,
}

/// Keyed by (mch_id, out_trade_no). In memory: the sandbox is a simulator,
/// and a restarted sandbox answers TRADE_NOT_EXIST like a provider that has
/// never seen the trade.
#[derive(Default)]
pub struct Trades {
    map: DashMap<(String, String), Trade>,
}

impl Trades {
    /// Registers the trade on first sight of its signed order. A second order
    /// with the same number but different terms is refused, as providers do.
    pub fn open(&self, mch_id: &str, out_trade_no: &str, t: Trade) -> Result<Trade, &'static str> {
        let entry = self.map.entry((mch_id.to_owned(), out_trade_no.to_owned())).or_insert(t.clone());
        // A trade closed before the buyer ever opened it stays closed.
        if entry.status == TradeStatus::Closed {
            return Ok(entry.clone());
        }
        if entry.amount != t.amount || entry.currency != t.currency {
            return Err("ORDER_MISMATCH");
        }
        Ok(entry.clone())
    }

    pub fn get(&self, mch_id: &str, out_trade_no: &str) -> Option<Trade> {
        self.map.get(&(mch_id.to_owned(), out_trade_no.to_owned())).map(|t| t.clone())
    }

    /// Moves NOTPAY → `to`; returns the trade and whether this call moved it.
    pub fn settle(&self, mch_id: &str, out_trade_no: &str, to: TradeStatus, now: i64) -> Option<(Trade, bool)> {
        let mut t = self.map.get_mut(&(mch_id.to_owned(), out_trade_no.to_owned()))?;
        let moved = t.status == TradeStatus::NotPaid;
        if moved {
            t.status = to;
            if to == TradeStatus::Paid {
                t.paid_at = Some(now);
            }
        }
        Some((t.clone(), moved))
    }

    /// Closes an unpaid trade; one never opened is recorded as closed so its
    /// signed order can no longer be paid. Returns the trade's final state.
    pub fn close(&self, mch_id: &str, out_trade_no: &str) -> TradeStatus {
        let mut t = self.map.entry((mch_id.to_owned(), out_trade_no.to_owned())).or_insert_with(|| Trade {
            trade_no: String::new(),
            amount: 0,
            currency: String::new(),
            subject: String::new(),
            notify_url: String::new(),
            return_url: None,
            time_expire: 0,
            status: TradeStatus::NotPaid,
            paid_at: None,
            refunds: Vec::new(),
        });
        if t.status == TradeStatus::NotPaid {
            t.status = TradeStatus::Closed;
        }
        t.status
    }

    /// Records a refund once per out_refund_no; refuses more than was paid.
    pub fn refund(
        &self,
        mch_id: &str,
        out_trade_no: &str,
        out_refund_no: &str,
        amount: i64,
        now: i64,
    ) -> Result<(i64, String, i64), &'static str> {
        let mut t = self.map.get_mut(&(mch_id.to_owned(), out_trade_no.to_owned())).ok_or("TRADE_NOT_EXIST")?;
        if let Some((_, a, no, at)) = t.refunds.iter().find(|r| r.0 == out_refund_no) {
            return Ok((*a, no.clone(), *at));
        }
        if t.status != TradeStatus::Paid {
            return Err("TRADE_STATUS_ERROR");
        }
        let refunded: i64 = t.refunds.iter().map(|r| r.1).sum();
        if amount <= 0 || refunded + amount > t.amount {
            return Err("REFUND_AMOUNT_EXCEEDED");
        }
        let no = format!("RF{}{}", now, super::random_digits(8));
        t.refunds.push((out_refund_no.to_owned(), amount, no.clone(), now));
        Ok((amount, no, now))
    }

    pub fn find_refund(&self, mch_id: &str, out_trade_no: &str, out_refund_no: &str) -> Option<(i64, String, i64)> {
        let t = self.map.get(&(mch_id.to_owned(), out_trade_no.to_owned()))?;
        t.refunds.iter().find(|r| r.0 == out_refund_no).map(|r| (r.1, r.2.clone(), r.3))
    }
}
