//! Business refusals (code 40004), with Alipay's sub codes and messages.

/// Business refusals: each is one of Alipay's `ACQ.*` sub codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Acq {
    #[error("交易不存在")]
    TradeNotExist,
    #[error("交易已被支付")]
    TradeHasSuccess,
    #[error("交易已经关闭")]
    TradeHasClose,
    #[error("交易状态不合法")]
    TradeStatusError,
    #[error("交易信息被篡改")]
    ContextInconsistent,
    #[error("参数无效: {0}")]
    InvalidParameter(String),
    #[error("退款金额超限")]
    RefundAmtNotEqualTotal,
    #[error("不一致的请求")]
    DiscordantRepeatRequest,
    #[error("退款金额无效")]
    RefundFeeErr,
    #[error("订单金额超过限额")]
    TotalFeeExceed,
    #[error("支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款")]
    PaymentAuthCodeInvalid,
    #[error("买家余额不足")]
    BuyerBalanceNotEnough,
}

impl Acq {
    pub fn sub_code(&self) -> &'static str {
        match self {
            Acq::TradeNotExist => "ACQ.TRADE_NOT_EXIST",
            Acq::TradeHasSuccess => "ACQ.TRADE_HAS_SUCCESS",
            Acq::TradeHasClose => "ACQ.TRADE_HAS_CLOSE",
            Acq::TradeStatusError => "ACQ.TRADE_STATUS_ERROR",
            Acq::ContextInconsistent => "ACQ.CONTEXT_INCONSISTENT",
            Acq::InvalidParameter(_) => "ACQ.INVALID_PARAMETER",
            Acq::RefundAmtNotEqualTotal => "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
            Acq::DiscordantRepeatRequest => "ACQ.DISCORDANT_REPEAT_REQUEST",
            Acq::RefundFeeErr => "ACQ.REASON_TRADE_REFUND_FEE_ERR",
            Acq::TotalFeeExceed => "ACQ.TOTAL_FEE_EXCEED",
            Acq::PaymentAuthCodeInvalid => "ACQ.PAYMENT_AUTH_CODE_INVALID",
            Acq::BuyerBalanceNotEnough => "ACQ.BUYER_BALANCE_NOT_ENOUGH",
        }
    }
}
