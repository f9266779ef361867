//! The sandbox's own ledger of Alipay trades and refunds.
//!
//! In memory, like the generic sandbox: a restarted sandbox answers
//! ACQ.TRADE_NOT_EXIST, as Alipay would for a trade it never saw. Every
//! transition runs under the map entry's lock, so concurrent pays, closes
//! and refunds of one trade are serialized.

pub use super::acq::Acq;
use dashmap::mapref::entry::Entry;
use dashmap::DashMap;

/// The product (API) that opened the trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    Precreate,
    AppPay,
    WapPay,
    PagePay,
    Create,
    BarCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeStatus {
    /// A precreated QR code nobody has scanned yet. Alipay has no trade at
    /// this point: query and refund answer ACQ.TRADE_NOT_EXIST.
    Precreated,
    WaitBuyerPay,
    Success,
    Closed,
}

impl TradeStatus {
    pub fn wire(self) -> &'static str {
        match self {
            TradeStatus::Precreated | TradeStatus::WaitBuyerPay => "WAIT_BUYER_PAY",
            TradeStatus::Success => "TRADE_SUCCESS",
            TradeStatus::Closed => "TRADE_CLOSED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelAction {
    Close,
    Refund,
}

impl CancelAction {
    pub fn wire(self) -> &'static str {
        match self {
            CancelAction::Close => "close",
            CancelAction::Refund => "refund",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub out_request_no: String,
    pub amount: i64,
    pub at: i64,
}

#[derive(Debug, Clone)]
pub struct Trade {
    pub app_id: String,
    pub out_trade_no: String,
    pub trade_no: String,
    pub qr_id: Option<String>,
    pub product: Product,
    pub total: i64,
    pub subject: String,
    pub body: Option<String>,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub passback_params: Option<String>,
    pub seller_id: String,
    pub buyer_id: String,
    pub buyer_logon_id: String,
    pub status: TradeStatus,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub expire_at: i64,
    pub refunds: Vec<Refund>,
    pub cancel_action: Option<CancelAction>,
}

impl Trade {
    pub fn refunded(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }
}

pub type Key = (String, String);

pub struct RefundOutcome {
    pub trade: Trade,
    pub refund: Refund,
    /// False when the out_request_no was seen before: nothing moved now.
    pub fund_change: bool,
}

/// Keyed by (app_id, out_trade_no), with trade_no and QR id indexes.
#[derive(Default)]
pub struct Ledger {
    trades: DashMap<Key, Trade>,
    by_trade_no: DashMap<String, Key>,
    by_qr: DashMap<String, Key>,
}

impl Ledger {
    /// Registers an order. The same out_trade_no again is the same order if
    /// its terms match (callers retry); different terms are a tampering
    /// sign, as Alipay treats them.
    pub fn open(&self, t: Trade) -> Result<Trade, Acq> {
        let key = (t.app_id.clone(), t.out_trade_no.clone());
        match self.trades.entry(key.clone()) {
            Entry::Vacant(v) => {
                self.by_trade_no.insert(t.trade_no.clone(), key.clone());
                if let Some(q) = &t.qr_id {
                    self.by_qr.insert(q.clone(), key);
                }
                Ok(v.insert(t).clone())
            }
            Entry::Occupied(o) => {
                let cur = o.get();
                match cur.status {
                    TradeStatus::Success => Err(Acq::TradeHasSuccess),
                    TradeStatus::Closed => Err(Acq::TradeHasClose),
                    TradeStatus::Precreated | TradeStatus::WaitBuyerPay
                        if cur.total != t.total || cur.subject != t.subject =>
                    {
                        Err(Acq::ContextInconsistent)
                    }
                    TradeStatus::Precreated | TradeStatus::WaitBuyerPay => Ok(cur.clone()),
                }
            }
        }
    }

    pub fn key_by_trade_no(&self, trade_no: &str) -> Option<Key> {
        self.by_trade_no.get(trade_no).map(|k| k.clone())
    }

    pub fn key_by_qr(&self, qr_id: &str) -> Option<Key> {
        self.by_qr.get(qr_id).map(|k| k.clone())
    }

    /// Finds an app's trade by out_trade_no or trade_no, as the API allows;
    /// another app's trade is as absent as a missing one.
    pub fn resolve(&self, app_id: &str, out_trade_no: Option<&str>, trade_no: Option<&str>) -> Option<Key> {
        let key = match (out_trade_no, trade_no) {
            (Some(o), _) => (app_id.to_owned(), o.to_owned()),
            (None, Some(t)) => self.key_by_trade_no(t)?,
            (None, None) => return None,
        };
        let t = self.trades.get(&key)?;
        let matches = key.0 == app_id && trade_no.is_none_or(|n| n == t.trade_no);
        matches.then_some(key.clone())
    }

    pub fn get(&self, key: &Key) -> Option<Trade> {
        self.trades.get(key).map(|t| t.clone())
    }

    /// Closes an unpaid trade whose time is up; returns it when Alipay would
    /// now send TRADE_CLOSED (only for trades it had actually created).
    pub fn expire_due(&self, key: &Key, now: i64) -> Option<Trade> {
        let mut t = self.trades.get_mut(key)?;
        let was = t.status;
        let due = now >= t.expire_at;
        match was {
            TradeStatus::Precreated | TradeStatus::WaitBuyerPay if due => {
                t.status = TradeStatus::Closed;
                t.closed_at = Some(now);
                (was == TradeStatus::WaitBuyerPay).then(|| t.clone())
            }
            TradeStatus::Precreated | TradeStatus::WaitBuyerPay | TradeStatus::Success | TradeStatus::Closed => None,
        }
    }

    /// The buyer scans a precreated QR code: Alipay creates the trade.
    pub fn scan(&self, key: &Key, now: i64) -> Option<Trade> {
        let mut t = self.trades.get_mut(key)?;
        if t.status == TradeStatus::Precreated {
            t.status = TradeStatus::WaitBuyerPay;
            t.created_at = now;
        }
        Some(t.clone())
    }

    pub fn pay(&self, key: &Key, now: i64) -> Result<Trade, Acq> {
        let mut t = self.trades.get_mut(key).ok_or(Acq::TradeNotExist)?;
        match t.status {
            TradeStatus::Precreated | TradeStatus::WaitBuyerPay => {
                t.status = TradeStatus::Success;
                t.paid_at = Some(now);
                Ok(t.clone())
            }
            TradeStatus::Success => Err(Acq::TradeHasSuccess),
            TradeStatus::Closed => Err(Acq::TradeHasClose),
        }
    }

    /// Closes an unpaid trade. Returns the trade and whether Alipay had
    /// created it (and so sends TRADE_CLOSED).
    pub fn close(&self, key: &Key, now: i64) -> Result<(Trade, bool), Acq> {
        let mut t = self.trades.get_mut(key).ok_or(Acq::TradeNotExist)?;
        match t.status {
            TradeStatus::Precreated | TradeStatus::WaitBuyerPay => {
                let existed = t.status == TradeStatus::WaitBuyerPay;
                t.status = TradeStatus::Closed;
                t.closed_at = Some(now);
                Ok((t.clone(), existed))
            }
            TradeStatus::Success | TradeStatus::Closed => Err(Acq::TradeStatusError),
        }
    }

    /// Reverses a trade whatever its state (the point of cancel: the caller
    /// does not know whether the pay went through). A paid trade is refunded
    /// in full. An out_trade_no never seen is recorded as closed, so a pay
    /// request still in flight can no longer succeed.
    pub fn cancel(&self, placeholder: Trade, now: i64) -> (Trade, CancelAction, CancelEffect) {
        let key = (placeholder.app_id.clone(), placeholder.out_trade_no.clone());
        let mut t = self.trades.entry(key.clone()).or_insert_with(|| {
            let mut p = placeholder;
            p.status = TradeStatus::Closed;
            p.closed_at = Some(now);
            p.cancel_action = Some(CancelAction::Close);
            p
        });
        self.by_trade_no.entry(t.trade_no.clone()).or_insert(key);
        let (action, effect) = match t.status {
            TradeStatus::Precreated => (CancelAction::Close, CancelEffect::None),
            TradeStatus::WaitBuyerPay => (CancelAction::Close, CancelEffect::Closed),
            TradeStatus::Success => {
                let rest = t.total - t.refunded();
                let r = Refund { out_request_no: format!("cancel-{}", t.out_trade_no), amount: rest, at: now };
                t.refunds.push(r.clone());
                (CancelAction::Refund, CancelEffect::Refunded(r))
            }
            TradeStatus::Closed => (t.cancel_action.unwrap_or(CancelAction::Close), CancelEffect::None),
        };
        if t.status != TradeStatus::Closed {
            t.status = TradeStatus::Closed;
            t.closed_at = Some(now);
            t.cancel_action = Some(action);
        }
        (t.clone(), action, effect)
    }

    /// Refunds once per out_request_no, never beyond what was paid.
    pub fn refund(&self, key: &Key, out_request_no: &str, amount: i64, now: i64) -> Result<RefundOutcome, Acq> {
        let mut t = self.trades.get_mut(key).ok_or(Acq::TradeNotExist)?;
        if t.status == TradeStatus::Precreated {
            return Err(Acq::TradeNotExist);
        }
        if let Some(r) = t.refunds.iter().find(|r| r.out_request_no == out_request_no) {
            if r.amount != amount {
                return Err(Acq::DiscordantRepeatRequest);
            }
            let refund = r.clone();
            return Ok(RefundOutcome { trade: t.clone(), refund, fund_change: false });
        }
        if t.paid_at.is_none() {
            return Err(Acq::TradeStatusError);
        }
        if t.refunded() + amount > t.total {
            return Err(Acq::RefundAmtNotEqualTotal);
        }
        let refund = Refund { out_request_no: out_request_no.to_owned(), amount, at: now };
        t.refunds.push(refund.clone());
        if t.refunded() == t.total {
            t.status = TradeStatus::Closed;
            t.closed_at = Some(now);
        }
        Ok(RefundOutcome { trade: t.clone(), refund, fund_change: true })
    }
}

/// What a cancel changed, and so which notification Alipay sends.
pub enum CancelEffect {
    None,
    Closed,
    Refunded(Refund),
}
