//! Business refusals, spelled as each API version spells them.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Biz {
    OrderNotExist,
    OrderPaid,
    OrderClosed,
    /// Same out_trade_no, different terms.
    OutTradeNoUsed,
    /// Refund of a trade that is unknown or was never paid.
    RefundTradeNotExist,
    /// More than what is left to refund.
    RefundExceeds,
    /// A repeated out_refund_no with other amounts, or a wrong order total.
    RefundInconsistent,
    RefundNotExist,
    UserPaying,
    AuthCodeExpire,
    AuthCodeInvalid,
    AppidMchidNotMatch,
    Param(String),
}

impl Biz {
    /// (HTTP status, code, message) of a v3 answer.
    pub fn v3(&self) -> (u16, &'static str, String) {
        let (status, code, msg): (u16, &'static str, &str) = match self {
            Biz::OrderNotExist => (404, "ORDER_NOT_EXIST", "订单不存在"),
            Biz::OrderPaid => (400, "ORDERPAID", "该订单已支付"),
            Biz::OrderClosed => (400, "ORDER_CLOSED", "订单已关闭"),
            Biz::OutTradeNoUsed => (403, "OUT_TRADE_NO_USED", "商户订单号重复"),
            Biz::RefundTradeNotExist => (404, "RESOURCE_NOT_EXISTS", "订单不存在"),
            Biz::RefundExceeds => (400, "INVALID_REQUEST", "申请退款金额超过订单可退金额"),
            Biz::RefundInconsistent => (400, "INVALID_REQUEST", "订单金额或退款金额与之前请求不一致，请核实后再试"),
            Biz::RefundNotExist => (404, "RESOURCE_NOT_EXISTS", "退款单不存在"),
            Biz::UserPaying => (202, "USERPAYING", "用户支付中，需要输入密码"),
            Biz::AuthCodeExpire => (403, "AUTHCODEEXPIRE", "二维码已过期，请用户在微信上刷新后再试"),
            Biz::AuthCodeInvalid => (400, "AUTH_CODE_INVALID", "授权码检验错误"),
            Biz::AppidMchidNotMatch => (400, "APPID_MCHID_NOT_MATCH", "AppID和mch_id不匹配"),
            Biz::Param(m) => return (400, "PARAM_ERROR", m.clone()),
        };
        (status, code, msg.to_owned())
    }

    /// (err_code, err_code_des) of a v2 answer with result_code FAIL.
    pub fn v2(&self) -> (&'static str, String) {
        let (code, msg): (&'static str, &str) = match self {
            Biz::OrderNotExist | Biz::RefundTradeNotExist => ("ORDERNOTEXIST", "订单不存在"),
            Biz::OrderPaid => ("ORDERPAID", "该订单已支付"),
            Biz::OrderClosed => ("ORDERCLOSED", "订单已关闭"),
            Biz::OutTradeNoUsed => ("OUT_TRADE_NO_USED", "商户订单号重复"),
            Biz::RefundExceeds => ("INVALID_REQUEST", "申请退款金额超过订单可退金额"),
            Biz::RefundInconsistent => ("INVALID_REQUEST", "订单金额或退款金额与之前请求不一致，请核实后再试"),
            Biz::RefundNotExist => ("REFUNDNOTEXIST", "退款订单查询失败"),
            Biz::UserPaying => ("USERPAYING", "需要用户输入支付密码"),
            Biz::AuthCodeExpire => ("AUTHCODEEXPIRE", "二维码已过期，请用户在微信上刷新后再试"),
            Biz::AuthCodeInvalid => ("AUTH_CODE_INVALID", "授权码检验错误"),
            Biz::AppidMchidNotMatch => ("APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配"),
            Biz::Param(m) => return ("PARAM_ERROR", m.clone()),
        };
        (code, msg.to_owned())
    }
}
