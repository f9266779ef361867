//! APIv2 operations.
//!
//! | channel | API | credential |
//! | --- | --- | --- |
//! | `wx` | unifiedorder `APP` | `{appId, partnerId, prepayId, packageValue: "Sign=WXPay", nonceStr, timeStamp (int), sign}`, sign over `appid, partnerid, prepayid, package, noncestr, timestamp` |
//! | `wx_pub`, `wx_lite` | unifiedorder `JSAPI` | `{appId, timeStamp, nonceStr, package: "prepay_id=…", signType, paySign}` |
//! | `wx_pub_qr` | unifiedorder `NATIVE` | the `code_url` string |
//! | `wx_wap` | unifiedorder `MWEB` | the `mweb_url` string |
//! | `wx_pub_scan` | `micropay` | `{}`; the charge carries the result |

use super::sign;
use super::wire::{self, business_error, err_code, is_success};
use super::{call, V2Config};
use crate::wechat::time::format_compact;
use crate::wechat::xml::Fields;
use crate::wechat::{extra, nonce, now, require_extra, Shared};
use crate::{
    ChannelContext, ChannelError, ChargeRef, Created, Credential, PaymentStatus, RefundRef, RefundStatusReport,
};
use serde_json::{json, Value};
use unicharge_crypto::ExposeSecret;
use unicharge_domain::ChannelCode;

fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// The unifiedorder fields for `product` (common fields and sign added by `call`).
pub fn unified_order(product: ChannelCode, ctx: &ChannelContext, charge: &ChargeRef) -> Result<Fields, ChannelError> {
    let (trade_type, openid, product_id) = match product {
        ChannelCode::Wx => ("APP", "", ""),
        ChannelCode::WxPub | ChannelCode::WxLite => ("JSAPI", require_extra(charge, "open_id")?, ""),
        // NATIVE needs a product id; Ping++ takes it from extra, and any
        // merchant-chosen string will do, so the order number stands in.
        ChannelCode::WxPubQr => ("NATIVE", "", extra(charge, "product_id").unwrap_or(&charge.order_no)),
        ChannelCode::WxWap => ("MWEB", "", ""),
        ChannelCode::WxPubScan
        | ChannelCode::Sandbox
        | ChannelCode::Alipay
        | ChannelCode::AlipayWap
        | ChannelCode::AlipayPcDirect
        | ChannelCode::AlipayQr
        | ChannelCode::AlipayScan
        | ChannelCode::Upacp
        | ChannelCode::UpacpWap
        | ChannelCode::UpacpPc
        | ChannelCode::AppleIap
        | ChannelCode::AlipayLite => return Err(ChannelError::Config("not a unifiedorder product".into())),
    };
    let total = charge.amount.to_string();
    let expire = format_compact(charge.time_expire);
    Ok(fields(&[
        ("body", &charge.subject),
        ("out_trade_no", &charge.order_no),
        ("total_fee", &total),
        ("spbill_create_ip", &charge.client_ip),
        ("notify_url", &ctx.notify_url),
        ("trade_type", trade_type),
        ("time_expire", &expire),
        ("openid", openid),
        ("product_id", product_id),
    ]))
}

fn signed(cfg: &V2Config, pairs: &[(&str, &str)]) -> String {
    sign::sign(&fields(pairs), cfg.api_key.expose_secret(), cfg.sign_type)
}

pub fn app_credential(cfg: &V2Config, prepay_id: &str, timestamp: i64, nonce: &str) -> Value {
    let ts = timestamp.to_string();
    let sign = signed(
        cfg,
        &[
            ("appid", &cfg.appid),
            ("partnerid", &cfg.mch_id),
            ("prepayid", prepay_id),
            ("package", "Sign=WXPay"),
            ("noncestr", nonce),
            ("timestamp", &ts),
        ],
    );
    json!({"appId": cfg.appid, "partnerId": cfg.mch_id, "prepayId": prepay_id, "packageValue": "Sign=WXPay",
           "nonceStr": nonce, "timeStamp": timestamp, "sign": sign})
}

pub fn jsapi_credential(cfg: &V2Config, prepay_id: &str, timestamp: i64, nonce: &str) -> Value {
    let ts = timestamp.to_string();
    let package = format!("prepay_id={prepay_id}");
    let sign_type = cfg.sign_type.as_str();
    let pay_sign = signed(
        cfg,
        &[
            ("appId", &cfg.appid),
            ("timeStamp", &ts),
            ("nonceStr", nonce),
            ("package", &package),
            ("signType", sign_type),
        ],
    );
    json!({"appId": cfg.appid, "timeStamp": ts, "nonceStr": nonce, "package": package, "signType": sign_type, "paySign": pay_sign})
}

pub async fn create(
    sh: &Shared,
    product: ChannelCode,
    cfg: &V2Config,
    ctx: &ChannelContext,
    charge: &ChargeRef,
) -> Result<Created, ChannelError> {
    if product == ChannelCode::WxPubScan {
        return super::micropay::micropay(sh, cfg, charge).await;
    }
    let f = call(sh, cfg, "/pay/unifiedorder", unified_order(product, ctx, charge)?, false).await?;
    if !is_success(&f) {
        return Err(business_error(&f, "unifiedorder"));
    }
    let credential = match product {
        ChannelCode::Wx => app_credential(cfg, wire::req(&f, "prepay_id")?, now(), &nonce()),
        ChannelCode::WxPub | ChannelCode::WxLite => jsapi_credential(cfg, wire::req(&f, "prepay_id")?, now(), &nonce()),
        ChannelCode::WxPubQr => Value::String(wire::req(&f, "code_url")?.to_owned()),
        ChannelCode::WxWap => Value::String(wire::req(&f, "mweb_url")?.to_owned()),
        ChannelCode::WxPubScan
        | ChannelCode::Sandbox
        | ChannelCode::Alipay
        | ChannelCode::AlipayWap
        | ChannelCode::AlipayPcDirect
        | ChannelCode::AlipayQr
        | ChannelCode::AlipayScan
        | ChannelCode::Upacp
        | ChannelCode::UpacpWap
        | ChannelCode::UpacpPc
        | ChannelCode::AppleIap
        | ChannelCode::AlipayLite => return Err(ChannelError::Config("not a unifiedorder product".into())),
    };
    Ok(Created::pending(Credential(credential)))
}

pub async fn query(sh: &Shared, cfg: &V2Config, order_no: &str) -> Result<PaymentStatus, ChannelError> {
    let f = call(sh, cfg, "/pay/orderquery", fields(&[("out_trade_no", order_no)]), false).await?;
    if !is_success(&f) {
        // Signed (checked by `call`): a fact, not a guess.
        if err_code(&f) == Some("ORDERNOTEXIST") {
            return Ok(PaymentStatus::Pending);
        }
        return Err(business_error(&f, "orderquery"));
    }
    if wire::get(&f, "out_trade_no").is_some_and(|n| n != order_no) {
        return Err(ChannelError::Mismatch("WeChat Pay answered for another order".into()));
    }
    wire::trade_status(&f)
}

/// Closes an unpaid order; a scanned payment is reversed instead, which
/// also refunds it if it went through (WeChat's rule for micropay).
pub async fn close(sh: &Shared, product: ChannelCode, cfg: &V2Config, order_no: &str) -> Result<(), ChannelError> {
    if product == ChannelCode::WxPubScan {
        return super::micropay::reverse(sh, cfg, order_no).await;
    }
    let f = call(sh, cfg, "/pay/closeorder", fields(&[("out_trade_no", order_no)]), false).await?;
    match (is_success(&f), err_code(&f)) {
        (true, _) | (false, Some("ORDERCLOSED" | "ORDERNOTEXIST")) => Ok(()),
        _ => Err(business_error(&f, "closeorder")),
    }
}

pub async fn refund(
    sh: &Shared,
    cfg: &V2Config,
    ctx: &ChannelContext,
    refund: &RefundRef,
) -> Result<RefundStatusReport, ChannelError> {
    let (total, amount) = (refund.charge.amount.to_string(), refund.amount.to_string());
    let req = fields(&[
        ("out_trade_no", &refund.charge.order_no),
        // WeChat treats a repeated out_refund_no as the same refund.
        ("out_refund_no", &refund.refund_id),
        ("total_fee", &total),
        ("refund_fee", &amount),
        ("refund_desc", &refund.description),
        ("notify_url", &ctx.notify_url),
    ]);
    let f = call(sh, cfg, "/secapi/pay/refund", req, true).await?;
    if !is_success(&f) {
        return Err(business_error(&f, "refund"));
    }
    if wire::get(&f, "out_refund_no").is_some_and(|n| n != refund.refund_id) {
        return Err(ChannelError::Mismatch(format!(
            "WeChat Pay answered for another refund than {}",
            refund.refund_id
        )));
    }
    if wire::fen(&f, "refund_fee").is_ok_and(|a| a != refund.amount) {
        return Err(ChannelError::Mismatch(format!("refund {} has another amount at WeChat Pay", refund.refund_id)));
    }
    // SUCCESS here means "accepted"; the outcome comes from the query or
    // the refund notification.
    match refund_query(sh, cfg, refund).await {
        Ok(r) => Ok(r),
        Err(e) => {
            tracing::info!(refund = %refund.refund_id, error = %e, "WeChat Pay refund accepted; status pending");
            Ok(RefundStatusReport::Pending)
        }
    }
}

pub async fn refund_query(sh: &Shared, cfg: &V2Config, refund: &RefundRef) -> Result<RefundStatusReport, ChannelError> {
    let f = call(sh, cfg, "/pay/refundquery", fields(&[("out_refund_no", &refund.refund_id)]), false).await?;
    if !is_success(&f) {
        if err_code(&f) == Some("REFUNDNOTEXIST") {
            return Ok(RefundStatusReport::Pending);
        }
        return Err(business_error(&f, "refundquery"));
    }
    wire::refund_status(&f, &refund.refund_id, refund.amount)
}
