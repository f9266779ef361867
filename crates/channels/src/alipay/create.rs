//! Creating a charge, per product. Credential shapes follow what Ping++
//! client SDKs read from `credential.<channel>`:
//!
//! | channel | API | credential |
//! | --- | --- | --- |
//! | `alipay` | `alipay.trade.app.pay` | `{"orderInfo": "<signed order string>"}` |
//! | `alipay_wap` | `alipay.trade.wap.pay` | the signed parameters, flat, plus `channel_url` (the gateway): pingpp-js sends `GET channel_url?k=v…` |
//! | `alipay_pc_direct` | `alipay.trade.page.pay` | the same |
//! | `alipay_qr` | `alipay.trade.precreate` | the `qr_code` string |
//! | `alipay_scan` | `alipay.trade.pay` | `{}`; the charge itself carries the result |
//! | `alipay_lite` | `alipay.trade.create` | `{"trade_no": "…"}` for `my.tradePay` |

use super::wire::{self, PayOrder, PrecreateResponse};
use super::{cst, now, sign, signed_request, AlipayChannel, AlipayConfig};
use crate::{ChannelContext, ChannelError, ChargeRef, Created, Credential, PaymentStatus};
use serde_json::{json, Map, Value};
use unicharge_domain::ChannelCode;

fn extra<'a>(charge: &'a ChargeRef, name: &str) -> Option<&'a str> {
    charge.extra.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn require_extra<'a>(charge: &'a ChargeRef, name: &str) -> Result<&'a str, ChannelError> {
    extra(charge, name).ok_or_else(|| ChannelError::Refused {
        code: "parameter_missing".into(),
        message: format!("extra[{name}] is required for this channel"),
    })
}

/// The `biz_content` for `product`, and its API method.
pub fn pay_order(product: ChannelCode, charge: &ChargeRef) -> Result<(&'static str, PayOrder<'_>), ChannelError> {
    let mut o = PayOrder {
        out_trade_no: &charge.order_no,
        total_amount: wire::yuan(charge.amount),
        subject: &charge.subject,
        body: Some(charge.body.as_str()).filter(|b| !b.is_empty()),
        product_code: "",
        time_expire: Some(cst::format(charge.time_expire)),
        quit_url: None,
        scene: None,
        auth_code: None,
        buyer_id: None,
        operator_id: None,
        store_id: None,
        terminal_id: None,
    };
    let method = match product {
        ChannelCode::Alipay => {
            o.product_code = "QUICK_MSECURITY_PAY";
            "alipay.trade.app.pay"
        }
        ChannelCode::AlipayWap => {
            o.product_code = "QUICK_WAP_WAY";
            o.quit_url = extra(charge, "cancel_url");
            "alipay.trade.wap.pay"
        }
        ChannelCode::AlipayPcDirect => {
            o.product_code = "FAST_INSTANT_TRADE_PAY";
            "alipay.trade.page.pay"
        }
        ChannelCode::AlipayQr => {
            o.product_code = "FACE_TO_FACE_PAYMENT";
            "alipay.trade.precreate"
        }
        ChannelCode::AlipayScan => {
            o.product_code = "FACE_TO_FACE_PAYMENT";
            o.scene = Some("bar_code");
            o.auth_code = Some(require_extra(charge, "scan_code")?);
            o.terminal_id = extra(charge, "terminal_id");
            o.store_id = extra(charge, "store_id");
            o.operator_id = extra(charge, "operator_id");
            // Settled on the spot or abandoned; an expiry adds nothing.
            o.time_expire = None;
            "alipay.trade.pay"
        }
        ChannelCode::AlipayLite => {
            o.product_code = "JSAPI_PAY";
            o.buyer_id = Some(require_extra(charge, "buyer_id")?);
            "alipay.trade.create"
        }
        ChannelCode::Sandbox
        | ChannelCode::Wx
        | ChannelCode::WxPub
        | ChannelCode::WxLite
        | ChannelCode::WxPubQr
        | ChannelCode::WxWap
        | ChannelCode::Upacp
        | ChannelCode::UpacpWap
        | ChannelCode::UpacpPc
        | ChannelCode::AppleIap
        | ChannelCode::WxPubScan => return Err(ChannelError::Config("not an Alipay product".into())),
    };
    Ok((method, o))
}

/// The signed parameters of a client-side product (app, wap, page), which
/// call nothing: the buyer's app or browser takes them to Alipay.
pub fn client_params(
    product: ChannelCode,
    cfg: &AlipayConfig<'_>,
    ctx: &ChannelContext,
    charge: &ChargeRef,
    timestamp: i64,
) -> Result<sign::Params, ChannelError> {
    let (method, order) = pay_order(product, charge)?;
    let return_url = match product {
        ChannelCode::AlipayWap | ChannelCode::AlipayPcDirect => extra(charge, "success_url").unwrap_or(""),
        ChannelCode::Sandbox
        | ChannelCode::Alipay
        | ChannelCode::AlipayQr
        | ChannelCode::AlipayScan
        | ChannelCode::AlipayLite
        | ChannelCode::Wx
        | ChannelCode::WxPub
        | ChannelCode::WxLite
        | ChannelCode::WxPubQr
        | ChannelCode::WxWap
        | ChannelCode::Upacp
        | ChannelCode::UpacpWap
        | ChannelCode::UpacpPc
        | ChannelCode::AppleIap
        | ChannelCode::WxPubScan => "",
    };
    signed_request(cfg, method, &order, &[("notify_url", &ctx.notify_url), ("return_url", return_url)], timestamp)
}

fn gateway_form(cfg: &AlipayConfig<'_>, params: sign::Params) -> Credential {
    let mut m: Map<String, Value> = params.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    m.insert("channel_url".into(), Value::String(cfg.gateway.clone()));
    Credential(Value::Object(m))
}

pub async fn create(
    ch: &AlipayChannel,
    cfg: &AlipayConfig<'_>,
    ctx: &ChannelContext,
    charge: &ChargeRef,
) -> Result<Created, ChannelError> {
    let product = ch.product;
    match product {
        ChannelCode::Alipay => {
            let params = client_params(product, cfg, ctx, charge, now())?;
            Ok(Created::pending(Credential(json!({ "orderInfo": sign::query_string(&params) }))))
        }
        ChannelCode::AlipayWap | ChannelCode::AlipayPcDirect => {
            Ok(Created::pending(gateway_form(cfg, client_params(product, cfg, ctx, charge, now())?)))
        }
        ChannelCode::AlipayQr => {
            let (method, order) = pay_order(product, charge)?;
            let answer = ch.call(cfg, method, &order, &[("notify_url", &ctx.notify_url)]).await?;
            if !answer.header.is_success() {
                return Err(answer.header.into_error(method));
            }
            let r: PrecreateResponse = answer.body(method)?;
            Ok(Created::pending(Credential(Value::String(r.qr_code))))
        }
        ChannelCode::AlipayLite => {
            let (method, order) = pay_order(product, charge)?;
            let answer = ch.call(cfg, method, &order, &[("notify_url", &ctx.notify_url)]).await?;
            if !answer.header.is_success() {
                return Err(answer.header.into_error(method));
            }
            let r: wire::CreateResponse = answer.body(method)?;
            Ok(Created::pending(Credential(json!({ "trade_no": r.trade_no }))))
        }
        ChannelCode::AlipayScan => scan(ch, cfg, ctx, charge).await,
        ChannelCode::Sandbox
        | ChannelCode::Wx
        | ChannelCode::WxPub
        | ChannelCode::WxLite
        | ChannelCode::WxPubQr
        | ChannelCode::WxWap
        | ChannelCode::Upacp
        | ChannelCode::UpacpWap
        | ChannelCode::UpacpPc
        | ChannelCode::AppleIap
        | ChannelCode::WxPubScan => Err(ChannelError::Config("not an Alipay product".into())),
    }
}

/// `alipay.trade.pay` answers at once: 10000 paid, 10003 waiting for the
/// buyer's password. When the outcome is unknown (timeout, system error,
/// an answer we cannot trust) the buyer may have paid, so the charge is
/// kept as pending for the query sweep rather than dropped.
async fn scan(
    ch: &AlipayChannel,
    cfg: &AlipayConfig<'_>,
    ctx: &ChannelContext,
    charge: &ChargeRef,
) -> Result<Created, ChannelError> {
    let (method, order) = pay_order(ChannelCode::AlipayScan, charge)?;
    let empty = || Credential(json!({}));
    let answer = match ch.call(cfg, method, &order, &[("notify_url", &ctx.notify_url)]).await {
        Ok(a) => a,
        Err(e @ (ChannelError::Unavailable(_) | ChannelError::BadSignature(_) | ChannelError::Malformed(_))) => {
            tracing::warn!(charge = %charge.charge_id, error = %e, "alipay.trade.pay outcome unknown; kept pending for query");
            return Ok(Created::pending(empty()));
        }
        Err(e) => return Err(e),
    };
    match answer.header.code.as_str() {
        "10000" => {
            // Alipay says the money moved: an answer we cannot read in full
            // must not make the create fail and drop the charge.
            let status = match answer.body::<wire::TradeResponse>(method).and_then(|r| r.paid()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(charge = %charge.charge_id, error = %e, "alipay.trade.pay succeeded with an incomplete answer; kept pending for query");
                    return Ok(Created::pending(empty()));
                }
            };
            if let PaymentStatus::Paid { amount, .. } = &status {
                if *amount != charge.amount {
                    // Money moved, so the charge must exist; but not as paid.
                    tracing::error!(charge = %charge.charge_id, paid = amount, "alipay.trade.pay paid another amount");
                    return Ok(Created::pending(empty()));
                }
            }
            Ok(Created { credential: empty(), status })
        }
        "10003" => Ok(Created::pending(empty())),
        _ => match answer.header.into_error(method) {
            ChannelError::Unavailable(m) => {
                tracing::warn!(charge = %charge.charge_id, error = %m, "alipay.trade.pay outcome unknown; kept pending for query");
                Ok(Created::pending(empty()))
            }
            e => Err(e),
        },
    }
}
