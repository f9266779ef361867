//! The sandbox's ledger of trades and refunds, shared by v2 and v3.
//!
//! In memory: a restarted sandbox answers ORDER_NOT_EXIST, as WeChat would
//! for a trade it never saw. Every transition runs under the map entry's
//! lock, so concurrent pays, closes and refunds of one trade serialize.

use super::biz::Biz;
use super::SignType;
use dashmap::mapref::entry::Entry;
use dashmap::DashMap;

/// The API a trade or refund was made through: it decides the shape of its
/// notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    V3,
    V2(SignType),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeType {
    Native,
    Jsapi,
    App,
    Mweb,
    Micropay,
}

impl TradeType {
    pub fn wire(self) -> &'static str {
        match self {
            TradeType::Native => "NATIVE",
            TradeType::Jsapi => "JSAPI",
            TradeType::App => "APP",
            TradeType::Mweb => "MWEB",
            TradeType::Micropay => "MICROPAY",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "NATIVE" => TradeType::Native,
            "JSAPI" => TradeType::Jsapi,
            "APP" => TradeType::App,
            "MWEB" => TradeType::Mweb,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    NotPay,
    UserPaying,
    Success,
    Closed,
    PayError,
    Revoked,
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub out_refund_no: String,
    pub refund_id: String,
    pub amount: i64,
    pub created_at: i64,
    pub notify_url: Option<String>,
    pub api: Api,
}

#[derive(Debug, Clone)]
pub struct Trade {
    pub mchid: String,
    pub appid: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub prepay_id: String,
    /// The `pr` of the Native code_url.
    pub code: Option<String>,
    pub trade_type: TradeType,
    pub state: State,
    pub description: String,
    pub attach: Option<String>,
    pub total: i64,
    pub notify_url: Option<String>,
    pub openid: Option<String>,
    pub api: Api,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub refunds: Vec<Refund>,
}

impl Trade {
    pub fn refunded(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }

    /// (trade_state, trade_state_desc): a paid trade with refunds reads
    /// REFUND, as at WeChat.
    pub fn state_wire(&self) -> (&'static str, &'static str) {
        match self.state {
            State::Success if !self.refunds.is_empty() => ("REFUND", "转入退款"),
            State::Success => ("SUCCESS", "支付成功"),
            State::NotPay => ("NOTPAY", "订单未支付"),
            State::UserPaying => ("USERPAYING", "用户支付中（付款码支付）"),
            State::Closed => ("CLOSED", "已关闭"),
            State::PayError => ("PAYERROR", "支付失败(其他原因，如银行返回失败)"),
            State::Revoked => ("REVOKED", "已撤销（付款码支付）"),
        }
    }

    fn same_terms(&self, o: &Trade) -> bool {
        self.appid == o.appid
            && self.total == o.total
            && self.description == o.description
            && self.trade_type == o.trade_type
    }
}

pub type Key = (String, String);

pub struct RefundOutcome {
    pub trade: Trade,
    pub refund: Refund,
    /// False when the out_refund_no was seen before: nothing moved now.
    pub new: bool,
}

/// Keyed by (mchid, out_trade_no), with prepay_id, code, transaction_id and
/// refund indexes.
#[derive(Default)]
pub struct Ledger {
    trades: DashMap<Key, Trade>,
    by_prepay: DashMap<String, Key>,
    by_code: DashMap<String, Key>,
    by_transaction: DashMap<String, Key>,
    /// (mchid, out_refund_no) -> trade.
    by_refund: DashMap<Key, Key>,
}

impl Ledger {
    /// Registers an order; the same out_trade_no with the same terms is the
    /// same order (callers retry) and keeps its prepay_id.
    pub fn open(&self, t: Trade) -> Result<Trade, Biz> {
        let key = (t.mchid.clone(), t.out_trade_no.clone());
        match self.trades.entry(key.clone()) {
            Entry::Vacant(v) => {
                self.by_prepay.insert(t.prepay_id.clone(), key.clone());
                self.by_transaction.insert(t.transaction_id.clone(), key.clone());
                if let Some(c) = &t.code {
                    self.by_code.insert(c.clone(), key);
                }
                Ok(v.insert(t).clone())
            }
            Entry::Occupied(o) => {
                let cur = o.get();
                match cur.state {
                    State::Success => Err(Biz::OrderPaid),
                    State::Closed | State::Revoked => Err(Biz::OrderClosed),
                    State::NotPay | State::UserPaying | State::PayError if !cur.same_terms(&t) => {
                        Err(Biz::OutTradeNoUsed)
                    }
                    State::NotPay | State::UserPaying | State::PayError => Ok(cur.clone()),
                }
            }
        }
    }

    pub fn get(&self, key: &Key) -> Option<Trade> {
        self.trades.get(key).map(|t| t.clone())
    }

    pub fn key_by_prepay(&self, prepay_id: &str) -> Option<Key> {
        self.by_prepay.get(prepay_id).map(|k| k.clone())
    }

    pub fn key_by_transaction(&self, id: &str) -> Option<Key> {
        self.by_transaction.get(id).map(|k| k.clone())
    }

    pub fn key_by_code(&self, code: &str) -> Option<Key> {
        self.by_code.get(code).map(|k| k.clone())
    }

    /// A merchant's trade by out_trade_no or transaction_id; another
    /// merchant's trade is as absent as a missing one.
    pub fn resolve(&self, mchid: &str, out_trade_no: Option<&str>, transaction_id: Option<&str>) -> Option<Key> {
        let key = match (out_trade_no, transaction_id) {
            (Some(o), _) => (mchid.to_owned(), o.to_owned()),
            (None, Some(t)) => self.by_transaction.get(t).map(|k| k.clone())?,
            (None, None) => return None,
        };
        let t = self.trades.get(&key)?;
        let ok = key.0 == mchid && transaction_id.is_none_or(|id| id == t.transaction_id);
        ok.then_some(key.clone())
    }

    /// The buyer pays. `openid` is the payer's (JSAPI orders name theirs).
    pub fn pay(&self, key: &Key, now: i64) -> Result<Trade, Biz> {
        let mut t = self.trades.get_mut(key).ok_or(Biz::OrderNotExist)?;
        match t.state {
            State::NotPay | State::UserPaying | State::PayError => {
                t.state = State::Success;
                t.paid_at = Some(now);
                if t.openid.is_none() {
                    t.openid = Some(super::new_openid());
                }
                Ok(t.clone())
            }
            State::Success => Err(Biz::OrderPaid),
            State::Closed | State::Revoked => Err(Biz::OrderClosed),
        }
    }

    /// Sets the state of an unpaid micropay trade (USERPAYING, PAYERROR).
    pub fn set_unpaid_state(&self, key: &Key, state: State) -> Option<Trade> {
        let mut t = self.trades.get_mut(key)?;
        if matches!(t.state, State::NotPay | State::UserPaying | State::PayError) {
            t.state = state;
        }
        Some(t.clone())
    }

    /// Closes an unpaid trade; closing a closed one again is fine.
    pub fn close(&self, key: &Key) -> Result<Trade, Biz> {
        let mut t = self.trades.get_mut(key).ok_or(Biz::OrderNotExist)?;
        match t.state {
            State::NotPay | State::UserPaying | State::PayError | State::Closed => {
                t.state = State::Closed;
                Ok(t.clone())
            }
            State::Success => Err(Biz::OrderPaid),
            State::Revoked => Err(Biz::OrderClosed),
        }
    }

    /// Micropay reverse: an unpaid trade is revoked, a paid one refunded in
    /// full and revoked. Returns the trade and the refund made, if any.
    pub fn reverse(&self, key: &Key, now: i64) -> Result<(Trade, Option<Refund>), Biz> {
        let mut t = self.trades.get_mut(key).ok_or(Biz::OrderNotExist)?;
        let refund = match t.state {
            State::Success if t.refunded() < t.total => {
                let r = Refund {
                    out_refund_no: format!("reverse-{}", t.out_trade_no),
                    refund_id: super::new_refund_id(now),
                    amount: t.total - t.refunded(),
                    created_at: now,
                    notify_url: None,
                    api: t.api,
                };
                t.refunds.push(r.clone());
                Some(r)
            }
            State::NotPay | State::UserPaying | State::PayError | State::Success | State::Closed | State::Revoked => {
                None
            }
        };
        t.state = State::Revoked;
        Ok((t.clone(), refund))
    }

    /// Refunds once per out_refund_no, never beyond what was paid.
    pub fn refund(&self, key: &Key, mut r: Refund, order_total: Option<i64>) -> Result<RefundOutcome, Biz> {
        let mut t = self.trades.get_mut(key).ok_or(Biz::RefundTradeNotExist)?;
        if let Some(prev) = t.refunds.iter().find(|p| p.out_refund_no == r.out_refund_no) {
            if prev.amount != r.amount || order_total.is_some_and(|o| o != t.total) {
                return Err(Biz::RefundInconsistent);
            }
            return Ok(RefundOutcome { trade: t.clone(), refund: prev.clone(), new: false });
        }
        if t.paid_at.is_none() {
            return Err(Biz::RefundTradeNotExist);
        }
        if order_total.is_some_and(|o| o != t.total) {
            return Err(Biz::RefundInconsistent);
        }
        if r.amount <= 0 {
            return Err(Biz::Param("退款金额必须大于0".into()));
        }
        if t.refunded() + r.amount > t.total {
            return Err(Biz::RefundExceeds);
        }
        r.refund_id = super::new_refund_id(r.created_at);
        t.refunds.push(r.clone());
        self.by_refund.insert((t.mchid.clone(), r.out_refund_no.clone()), (t.mchid.clone(), t.out_trade_no.clone()));
        Ok(RefundOutcome { trade: t.clone(), refund: r, new: true })
    }

    /// A merchant's refund by out_refund_no, with its trade.
    pub fn find_refund(&self, mchid: &str, out_refund_no: &str) -> Option<(Trade, Refund)> {
        let key = self.by_refund.get(&(mchid.to_owned(), out_refund_no.to_owned())).map(|k| k.clone())?;
        let t = self.get(&key)?;
        let r = t.refunds.iter().find(|r| r.out_refund_no == out_refund_no)?.clone();
        Some((t, r))
    }
}
