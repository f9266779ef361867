//! Creating a charge, per product. Credential shapes follow Ping++:
//!
//! | channel | request | credential |
//! | --- | --- | --- |
//! | `upacp` | `appTransReq.do`, `channelType=08` | `{"tn": "…", "mode": "00"}` (`"01"` in test mode) for the UnionPay app SDK |
//! | `upacp_wap` | `frontTransReq.do`, `channelType=08` | the signed form fields, flat, plus `channel_url` (where the form is POSTed) |
//! | `upacp_pc` | `frontTransReq.do`, `channelType=07` | the same |
//!
//! [`auto_submit_form`] renders the web credential as the auto-submitting
//! HTML form UnionPay's SDKs produce (`AcpService.createAutoFormHtml`).

use super::config::UnionpayConfig;
use super::gateway;
use super::wire::{self, Fields};
use crate::{ChannelError, ChargeRef, Created, Credential};
use serde_json::{json, Map, Value};
use unicharge_domain::{ChannelCode, Mode};

/// The consumption request every product starts from.
pub fn consume_fields(cfg: &UnionpayConfig<'_>, charge: &ChargeRef, notify_url: &str, channel_type: &str) -> Fields {
    let mut f = wire::base(cfg.mer_id, wire::TXN_CONSUME, "01", wire::BIZ_B2C);
    f.insert("channelType".into(), channel_type.into());
    f.insert("orderId".into(), charge.order_no.clone());
    f.insert("txnTime".into(), super::txn_time(charge));
    f.insert("txnAmt".into(), charge.amount.to_string());
    f.insert("currencyCode".into(), wire::CURRENCY_CNY.into());
    f.insert("backUrl".into(), notify_url.into());
    // After this UnionPay refuses to take the buyer's money.
    f.insert("payTimeout".into(), unicharge_crypto::gmt8::compact(charge.time_expire));
    f
}

fn result_url(charge: &ChargeRef) -> Result<&str, ChannelError> {
    charge.extra.get("result_url").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or_else(|| {
        ChannelError::Refused { code: "parameter_missing".into(), message: "extra[result_url] is required".into() }
    })
}

pub async fn create(
    http: &reqwest::Client,
    product: ChannelCode,
    cfg: &UnionpayConfig<'_>,
    charge: &ChargeRef,
    notify_url: &str,
) -> Result<Created, ChannelError> {
    let web = |channel_type: &str| -> Result<Created, ChannelError> {
        let mut f = consume_fields(cfg, charge, notify_url, channel_type);
        f.insert("frontUrl".into(), result_url(charge)?.to_owned());
        gateway::sign(cfg, &mut f);
        let mut m: Map<String, Value> = f.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        m.insert("channel_url".into(), Value::String(cfg.endpoint("frontTransReq.do")));
        Ok(Created::pending(Credential(Value::Object(m))))
    };
    match product {
        ChannelCode::UpacpPc => web(wire::CHANNEL_PC),
        ChannelCode::UpacpWap => web(wire::CHANNEL_MOBILE),
        ChannelCode::Upacp => {
            let f = consume_fields(cfg, charge, notify_url, wire::CHANNEL_MOBILE);
            let answer = gateway::call(http, cfg, "appTransReq.do", f).await?;
            let code = wire::get(&answer, "respCode")?;
            if code != "00" {
                // 03/04/05: nothing payable came back; a retry with the
                // same orderId is safe, so say "try again" rather than fail.
                if wire::is_unknown(code) {
                    return Err(ChannelError::Unavailable(format!("appTransReq.do answered {code}")));
                }
                return Err(gateway::refused(&answer));
            }
            let tn = wire::get(&answer, "tn")?;
            let mode = match cfg.mode {
                Mode::Live => "00",
                Mode::Test => "01",
            };
            Ok(Created::pending(Credential(json!({ "tn": tn, "mode": mode }))))
        }
        ChannelCode::Sandbox
        | ChannelCode::Alipay
        | ChannelCode::AlipayWap
        | ChannelCode::AlipayPcDirect
        | ChannelCode::AlipayQr
        | ChannelCode::AlipayScan
        | ChannelCode::AlipayLite
        | ChannelCode::Wx
        | ChannelCode::WxPub
        | ChannelCode::WxLite
        | ChannelCode::WxPubQr
        | ChannelCode::WxWap
        | ChannelCode::WxPubScan
        | ChannelCode::AppleIap => Err(ChannelError::Config(format!("{} is not a UnionPay product", product.as_str()))),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// The web credential as a page that POSTs itself to UnionPay.
pub fn auto_submit_form(credential: &Credential) -> Option<String> {
    let m = credential.0.as_object()?;
    let action = m.get("channel_url")?.as_str()?;
    let mut inputs = String::new();
    for (k, v) in m.iter().filter(|(k, _)| k.as_str() != "channel_url") {
        inputs.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(k),
            escape(v.as_str().unwrap_or_default())
        ));
    }
    Some(format!(
        "<!doctype html><html><head><meta charset=\"UTF-8\"></head><body onload=\"document.forms[0].submit()\">\
<form action=\"{}\" method=\"post\">{inputs}<noscript><button type=\"submit\">Pay</button></noscript></form></body></html>",
        escape(action)
    ))
}
