//! APIv3 operations: prepay per product, query, close, refund, refund query.
//!
//! | channel | API | credential |
//! | --- | --- | --- |
//! | `wx` | `/v3/pay/transactions/app` | `{appId, partnerId, prepayId, packageValue: "Sign=WXPay", nonceStr, timeStamp (int), sign}`, sign = RSA over `appid\ntimestamp\nnonce\nprepayid\n` |
//! | `wx_pub`, `wx_lite` | `/v3/pay/transactions/jsapi` | `{appId, timeStamp, nonceStr, package: "prepay_id=…", signType: "RSA", paySign}` |
//! | `wx_pub_qr` | `/v3/pay/transactions/native` | the `code_url` string |
//! | `wx_wap` | `/v3/pay/transactions/h5` | the `h5_url` string |

use super::super::time::rfc3339;
use super::super::{nonce, now, require_extra, Shared};
use super::sign::lines_sign;
use super::wire::{self, Amount, H5Info, Payer, PrepayRequest, PrepayResponse, SceneInfo};
use super::{call, V3Config};
use crate::{
    ChannelContext, ChannelError, ChargeRef, Created, Credential, PaymentStatus, RefundRef, RefundStatusReport,
};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use unicharge_domain::ChannelCode;

fn to_json(v: &impl serde::Serialize) -> Result<String, ChannelError> {
    serde_json::to_string(v).map_err(|e| ChannelError::Malformed(e.to_string()))
}

/// RFC 3986 unreserved characters stay as they are (refund ids are `re_…`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// The prepay request for `product` and its API path.
pub fn prepay_request<'a>(
    product: ChannelCode,
    cfg: &'a V3Config,
    ctx: &'a ChannelContext,
    charge: &'a ChargeRef,
) -> Result<(&'static str, PrepayRequest<'a>), ChannelError> {
    let mut r = PrepayRequest {
        appid: &cfg.appid,
        mchid: &cfg.mchid,
        description: &charge.subject,
        out_trade_no: &charge.order_no,
        time_expire: rfc3339(charge.time_expire),
        notify_url: &ctx.notify_url,
        amount: Amount { total: charge.amount, currency: "CNY" },
        payer: None,
        scene_info: None,
    };
    let path = match product {
        ChannelCode::Wx => "/v3/pay/transactions/app",
        ChannelCode::WxPub | ChannelCode::WxLite => {
            r.payer = Some(Payer { openid: require_extra(charge, "open_id")? });
            "/v3/pay/transactions/jsapi"
        }
        ChannelCode::WxPubQr => "/v3/pay/transactions/native",
        ChannelCode::WxWap => {
            r.scene_info = Some(SceneInfo { payer_client_ip: &charge.client_ip, h5_info: H5Info { kind: "Wap" } });
            "/v3/pay/transactions/h5"
        }
        ChannelCode::WxPubScan => {
            return Err(ChannelError::Config("wx_pub_scan (micropay) needs an APIv2 configuration".into()))
        }
        ChannelCode::Sandbox
        | ChannelCode::Alipay
        | ChannelCode::AlipayWap
        | ChannelCode::AlipayPcDirect
        | ChannelCode::AlipayQr
        | ChannelCode::AlipayScan
        | ChannelCode::Upacp
        | ChannelCode::UpacpWap
        | ChannelCode::UpacpPc
        | ChannelCode::AppleIap
        | ChannelCode::AlipayLite => return Err(ChannelError::Config("not a WeChat Pay product".into())),
    };
    Ok((path, r))
}

/// The client-side pay objects, signed with the merchant API key.
pub fn app_credential(cfg: &V3Config, prepay_id: &str, timestamp: i64, nonce: &str) -> Value {
    let ts = timestamp.to_string();
    let sign = lines_sign(&cfg.signer, &[&cfg.appid, &ts, nonce, prepay_id]);
    json!({"appId": cfg.appid, "partnerId": cfg.mchid, "prepayId": prepay_id, "packageValue": "Sign=WXPay",
           "nonceStr": nonce, "timeStamp": timestamp, "sign": sign})
}

pub fn jsapi_credential(cfg: &V3Config, prepay_id: &str, timestamp: i64, nonce: &str) -> Value {
    let ts = timestamp.to_string();
    let package = format!("prepay_id={prepay_id}");
    let pay_sign = lines_sign(&cfg.signer, &[&cfg.appid, &ts, nonce, &package]);
    json!({"appId": cfg.appid, "timeStamp": ts, "nonceStr": nonce, "package": package, "signType": "RSA", "paySign": pay_sign})
}

fn need(v: Option<String>, name: &str) -> Result<String, ChannelError> {
    v.filter(|s| !s.is_empty()).ok_or_else(|| ChannelError::Malformed(format!("{name} is missing")))
}

pub async fn create(
    sh: &Shared,
    product: ChannelCode,
    cfg: &Arc<V3Config>,
    ctx: &ChannelContext,
    charge: &ChargeRef,
) -> Result<Created, ChannelError> {
    let (path, req) = prepay_request(product, cfg, ctx, charge)?;
    let reply = call(sh, cfg, Method::POST, path, Some(to_json(&req)?)).await?;
    if !reply.ok() {
        return Err(reply.into_error(path));
    }
    let r: PrepayResponse = reply.json(path)?;
    let credential = match product {
        ChannelCode::Wx => app_credential(cfg, &need(r.prepay_id, "prepay_id")?, now(), &nonce()),
        ChannelCode::WxPub | ChannelCode::WxLite => {
            jsapi_credential(cfg, &need(r.prepay_id, "prepay_id")?, now(), &nonce())
        }
        ChannelCode::WxPubQr => Value::String(need(r.code_url, "code_url")?),
        ChannelCode::WxWap => Value::String(need(r.h5_url, "h5_url")?),
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
        | ChannelCode::AlipayLite => return Err(ChannelError::Config("not a WeChat Pay APIv3 product".into())),
    };
    Ok(Created::pending(Credential(credential)))
}

pub async fn query(sh: &Shared, cfg: &Arc<V3Config>, charge: &ChargeRef) -> Result<PaymentStatus, ChannelError> {
    let path = format!("/v3/pay/transactions/out-trade-no/{}?mchid={}", seg(&charge.order_no), seg(&cfg.mchid));
    let reply = call(sh, cfg, Method::GET, &path, None).await?;
    if reply.signed_code("ORDER_NOT_EXIST") || reply.signed_code("ORDERNOTEXIST") {
        // A Native or JSAPI order exists at WeChat from prepay on; before
        // that (or if prepay failed) the charge is simply unpaid.
        return Ok(PaymentStatus::Pending);
    }
    if !reply.ok() {
        return Err(reply.into_error("query"));
    }
    let t: wire::Transaction = reply.json("query")?;
    if t.out_trade_no != charge.order_no || t.mchid.as_deref().is_some_and(|m| m != cfg.mchid) {
        return Err(ChannelError::Mismatch("WeChat Pay answered for another order or merchant".into()));
    }
    PaymentStatus::try_from(&t)
}

pub async fn close(sh: &Shared, cfg: &Arc<V3Config>, charge: &ChargeRef) -> Result<(), ChannelError> {
    let path = format!("/v3/pay/transactions/out-trade-no/{}/close", seg(&charge.order_no));
    let reply = call(sh, cfg, Method::POST, &path, Some(to_json(&wire::CloseRequest { mchid: &cfg.mchid })?)).await?;
    if reply.ok() || reply.signed_code("ORDER_NOT_EXIST") || reply.signed_code("ORDER_CLOSED") {
        return Ok(());
    }
    Err(reply.into_error("close"))
}

fn check_refund(r: &wire::Refund, refund: &RefundRef) -> Result<(), ChannelError> {
    if r.out_refund_no != refund.refund_id {
        return Err(ChannelError::Mismatch(format!(
            "WeChat Pay answered for another refund than {}",
            refund.refund_id
        )));
    }
    if r.amount.as_ref().and_then(|a| a.refund).is_some_and(|a| a != refund.amount) {
        return Err(ChannelError::Mismatch(format!("refund {} has another amount at WeChat Pay", refund.refund_id)));
    }
    Ok(())
}

pub async fn refund(
    sh: &Shared,
    cfg: &Arc<V3Config>,
    ctx: &ChannelContext,
    refund: &RefundRef,
) -> Result<RefundStatusReport, ChannelError> {
    let req = wire::RefundRequest {
        out_trade_no: &refund.charge.order_no,
        out_refund_no: &refund.refund_id,
        reason: Some(refund.description.as_str()).filter(|d| !d.is_empty()),
        notify_url: &ctx.notify_url,
        amount: wire::RefundAmount { refund: refund.amount, total: refund.charge.amount, currency: "CNY" },
    };
    let path = "/v3/refund/domestic/refunds";
    let reply = call(sh, cfg, Method::POST, path, Some(to_json(&req)?)).await?;
    if !reply.ok() {
        return Err(reply.into_error("refund"));
    }
    let r: wire::Refund = reply.json("refund")?;
    check_refund(&r, refund)?;
    RefundStatusReport::try_from(&r)
}

pub async fn refund_query(
    sh: &Shared,
    cfg: &Arc<V3Config>,
    refund: &RefundRef,
) -> Result<RefundStatusReport, ChannelError> {
    let path = format!("/v3/refund/domestic/refunds/{}", seg(&refund.refund_id));
    let reply = call(sh, cfg, Method::GET, &path, None).await?;
    if reply.signed_code("RESOURCE_NOT_EXISTS") {
        return Ok(RefundStatusReport::Pending);
    }
    if !reply.ok() {
        return Err(reply.into_error("refund query"));
    }
    let r: wire::Refund = reply.json("refund query")?;
    check_refund(&r, refund)?;
    RefundStatusReport::try_from(&r)
}
