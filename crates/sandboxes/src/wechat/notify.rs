//! Notifications: v3 JSON with an AES-256-GCM resource and signed headers
//! (re-signed on every attempt), v2 XML signed with the order's sign type,
//! v2 refund XML with an AES-256-ECB `req_info`.

use super::cipher::{aes_256_ecb_encrypt, aes_256_gcm_encrypt, v2_sign};
use super::trades::{Api, Refund, Trade};
use super::v3::{refund_json, trade_json};
use super::{clock, format_compact, format_rfc3339, nonce, xml, WechatSandbox};
use crate::alipay::format_gmt8;
use crate::{Notifier, Outgoing, Render};
use secrecy::ExposeSecret;
use serde_json::json;
use std::sync::Arc;

pub enum Event {
    Paid,
    Refunded(Refund),
}

impl WechatSandbox {
    /// (url, renderer, notifier) of the notification for `ev`, or None when
    /// there is nowhere to send it.
    async fn notification(&self, t: &Trade, ev: &Event) -> Option<(String, Render, Notifier)> {
        let (m, _) = self.merchant(&t.mchid).await?;
        let api = match ev {
            Event::Paid => t.api,
            Event::Refunded(r) => r.api,
        };
        let url = match ev {
            Event::Paid => t.notify_url.clone(),
            Event::Refunded(r) => r.notify_url.clone(),
        }?;
        match api {
            Api::V3 => {
                let (event_type, summary, kind, plain) = match ev {
                    Event::Paid => ("TRANSACTION.SUCCESS", "支付成功", "transaction", trade_json(t)),
                    Event::Refunded(r) => ("REFUND.SUCCESS", "退款成功", "refund", refund_resource(t, r)),
                };
                let n = nonce()[..12].to_owned();
                let ct = match aes_256_gcm_encrypt(
                    m.apiv3_key.expose_secret().as_bytes(),
                    &n,
                    kind,
                    plain.to_string().as_bytes(),
                ) {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(mchid = %t.mchid, error = %e, "sandbox WeChat cannot encrypt a notification");
                        return None;
                    }
                };
                let now = clock::now();
                let body = json!({
                    "id": uuid_like(),
                    "create_time": format_rfc3339(now),
                    "resource_type": "encrypt-resource",
                    "event_type": event_type,
                    "summary": summary,
                    "resource": {"original_type": kind, "algorithm": "AEAD_AES_256_GCM", "ciphertext": ct,
                        "associated_data": kind, "nonce": n},
                })
                .to_string();
                let (platform, mode) = (self.platform.clone(), m.platform_key_mode);
                let render: Render = Arc::new(move || {
                    let headers = platform.signed_headers(&body, mode);
                    Outgoing { content_type: "application/json", headers, body: body.clone() }
                });
                Some((url, render, self.notifier_v3.clone()))
            }
            Api::V2(sign_type) => {
                let key = m.api_key.expose_secret().to_owned();
                let body = match ev {
                    Event::Paid => v2_paid(t, sign_type, &key),
                    Event::Refunded(r) => v2_refunded(t, r, &key)?,
                };
                let render: Render =
                    Arc::new(move || Outgoing { content_type: "text/xml", headers: Vec::new(), body: body.clone() });
                Some((url, render, self.notifier_v2.clone()))
            }
        }
    }

    /// Delivers now and reports whether the merchant acknowledged; retries
    /// continue in the background.
    pub(crate) async fn notify_now(&self, t: &Trade, ev: Event) -> bool {
        match self.notification(t, &ev).await {
            Some((url, render, n)) => n.deliver_rendered(url, render).await,
            None => false,
        }
    }

    /// Sends without holding up the API answer.
    pub(crate) fn notify_later(self: &Arc<Self>, t: &Trade, ev: Event) {
        let (me, t) = (self.clone(), t.clone());
        tokio::spawn(async move {
            me.notify_now(&t, ev).await;
        });
    }
}

/// The REFUND.SUCCESS resource.
fn refund_resource(t: &Trade, r: &Refund) -> serde_json::Value {
    let full = refund_json(t, r, "SUCCESS");
    json!({
        "mchid": t.mchid, "transaction_id": t.transaction_id, "out_trade_no": t.out_trade_no,
        "refund_id": r.refund_id, "out_refund_no": r.out_refund_no, "refund_status": "SUCCESS",
        "success_time": full["success_time"], "user_received_account": full["user_received_account"],
        "amount": {"total": t.total, "refund": r.amount, "payer_total": t.total, "payer_refund": r.amount},
    })
}

fn v2_paid(t: &Trade, sign_type: super::SignType, key: &str) -> String {
    let total = t.total.to_string();
    let time_end = format_compact(t.paid_at.unwrap_or_else(clock::now));
    let n = nonce();
    let openid = t.openid.clone().unwrap_or_default();
    let mut f: Vec<(&str, &str)> = vec![
        ("appid", &t.appid),
        ("bank_type", "OTHERS"),
        ("cash_fee", &total),
        ("fee_type", "CNY"),
        ("is_subscribe", "N"),
        ("mch_id", &t.mchid),
        ("nonce_str", &n),
        ("openid", &openid),
        ("out_trade_no", &t.out_trade_no),
        ("result_code", "SUCCESS"),
        ("return_code", "SUCCESS"),
        ("time_end", &time_end),
        ("total_fee", &total),
        ("trade_type", t.trade_type.wire()),
        ("transaction_id", &t.transaction_id),
    ];
    if let Some(a) = t.attach.as_deref().filter(|a| !a.is_empty()) {
        f.push(("attach", a));
    }
    let sign = v2_sign(sign_type, f.iter().copied(), key);
    f.push(("sign", &sign));
    xml::write(f)
}

/// The outer XML is not signed; `req_info` is AES-256-ECB under MD5(key).
fn v2_refunded(t: &Trade, r: &Refund, key: &str) -> Option<String> {
    let (total, amount) = (t.total.to_string(), r.amount.to_string());
    let at = format_gmt8(r.created_at);
    let inner = [
        ("out_refund_no", r.out_refund_no.as_str()),
        ("out_trade_no", &t.out_trade_no),
        ("refund_account", "REFUND_SOURCE_RECHARGE_FUNDS"),
        ("refund_fee", &amount),
        ("refund_id", &r.refund_id),
        ("refund_recv_accout", "支付用户零钱"),
        ("refund_request_source", "API"),
        ("refund_status", "SUCCESS"),
        ("settlement_refund_fee", &amount),
        ("settlement_total_fee", &total),
        ("success_time", &at),
        ("total_fee", &total),
        ("transaction_id", &t.transaction_id),
    ];
    let root = xml::write(inner).replacen("<xml>", "<root>", 1).replacen("</xml>", "</root>", 1);
    let req_info = aes_256_ecb_encrypt(key, root.as_bytes()).ok()?;
    let n = nonce();
    Some(xml::write([
        ("return_code", "SUCCESS"),
        ("appid", t.appid.as_str()),
        ("mch_id", &t.mchid),
        ("nonce_str", &n),
        ("req_info", &req_info),
    ]))
}

/// A notification id like WeChat's (a UUID).
fn uuid_like() -> String {
    let h = hex::encode(unicharge_crypto::random_bytes(16));
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}
