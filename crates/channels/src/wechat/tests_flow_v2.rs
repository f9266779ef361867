//! APIv2 flows against the loopback stand-in: unifiedorder credentials,
//! micropay with the USERPAYING query loop, query, close, and refunds over
//! the client-certificate connection.

use super::tests::{vector, APPID};
use super::tests_flow::{at, charge, gateway, refund_ref};
use super::tests_v2::{signed, v2_ctx, API_KEY, MCH_ID};
use super::v2::sign::{self, SignType};
use super::xml::{self, Fields};
use super::*;
use crate::Credential;
use serde_json::json;
use std::sync::Mutex;

fn v2_answer(pairs: &[(&str, &str)]) -> (u16, String, Option<String>) {
    let mut f: Fields = [("return_code", "SUCCESS"), ("appid", APPID), ("mch_id", MCH_ID), ("nonce_str", "n")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    f.extend(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    (200, signed(f, SignType::Md5), None)
}

#[tokio::test]
async fn v2_flows_against_a_stand_in() {
    let polls = Arc::new(Mutex::new(0u32));
    let counter = polls.clone();
    let (url, seen) = gateway(Box::new(move |_, path, body| {
        let f = xml::parse(body.as_bytes(), "xml").expect("xml");
        let order = f.get("out_trade_no").cloned().unwrap_or_default();
        let paid = [
            ("result_code", "SUCCESS"),
            ("trade_state", "SUCCESS"),
            ("transaction_id", "4200000009"),
            ("total_fee", "1234"),
            ("time_end", "20260102030405"),
            ("out_trade_no", "A10001"),
        ];
        match path {
            "/pay/unifiedorder" => v2_answer(&[
                ("result_code", "SUCCESS"),
                ("prepay_id", "wx201"),
                ("code_url", "weixin://wxpay/bizpayurl?pr=v2"),
                ("mweb_url", "https://wx.tenpay.com/mweb"),
            ]),
            "/pay/micropay" => match f.get("auth_code").map(String::as_str) {
                Some("paid") => v2_answer(&paid),
                Some("wait") => v2_answer(&[("result_code", "FAIL"), ("err_code", "USERPAYING")]),
                _ => v2_answer(&[("result_code", "FAIL"), ("err_code", "AUTHCODEEXPIRE"), ("err_code_des", "过期")]),
            },
            "/pay/orderquery" if order == "A10001" => {
                let mut n = counter.lock().expect("n");
                *n += 1;
                if *n < 2 {
                    v2_answer(&[("result_code", "SUCCESS"), ("trade_state", "USERPAYING")])
                } else {
                    v2_answer(&paid)
                }
            }
            "/pay/orderquery" => v2_answer(&[("result_code", "FAIL"), ("err_code", "ORDERNOTEXIST")]),
            "/pay/closeorder" => v2_answer(&[("result_code", "FAIL"), ("err_code", "ORDERCLOSED")]),
            "/secapi/pay/refund" => {
                v2_answer(&[("result_code", "SUCCESS"), ("out_refund_no", "re_1"), ("refund_fee", "100")])
            }
            "/pay/refundquery" => v2_answer(&[
                ("result_code", "SUCCESS"),
                ("refund_count", "1"),
                ("out_refund_no_0", "re_1"),
                ("refund_fee_0", "100"),
                ("refund_status_0", "SUCCESS"),
                ("refund_id_0", "5030009"),
                ("refund_success_time_0", "2026-01-02 03:04:05"),
            ]),
            _ => (200, "<xml><return_code>FAIL</return_code><return_msg>unknown</return_msg></xml>".into(), None),
        }
    }))
    .await;
    let ch = WechatProducts::with_polling(reqwest::Client::new(), 3, std::time::Duration::from_millis(10));
    let ctx = at(v2_ctx("MD5"), &url);
    let qr = ch.pub_qr.create_credential(&ctx, &charge(json!({}))).await.expect("native");
    assert_eq!(qr.credential, Credential(json!("weixin://wxpay/bizpayurl?pr=v2")));
    let wap = ch.wap.create_credential(&ctx, &charge(json!({}))).await.expect("mweb");
    assert_eq!(wap.credential, Credential(json!("https://wx.tenpay.com/mweb")));
    let js = ch.pub_.create_credential(&ctx, &charge(json!({"open_id": "o1"}))).await.expect("jsapi").credential.0;
    let mut check: Fields = ["appId", "timeStamp", "nonceStr", "package", "signType"]
        .iter()
        .map(|k| ((*k).to_owned(), js[*k].as_str().expect("field").to_owned()))
        .collect();
    check.insert("sign".into(), js["paySign"].as_str().expect("paySign").to_owned());
    assert!(sign::verify(&check, API_KEY, SignType::Md5).is_ok());
    assert_eq!(js["package"], "prepay_id=wx201");

    let scan = |code: &str| charge(json!({"scan_code": code}));
    let paid = ch.pub_scan.create_credential(&ctx, &scan("paid")).await.expect("paid");
    assert_eq!(
        paid.status,
        PaymentStatus::Paid { transaction_no: "4200000009".into(), amount: 1234, time_paid: 1_767_294_245 }
    );
    let waited = ch.pub_scan.create_credential(&ctx, &scan("wait")).await.expect("wait");
    assert!(matches!(waited.status, PaymentStatus::Paid { .. }), "USERPAYING, then paid on the second query");
    assert_eq!(*polls.lock().expect("n"), 2);
    assert!(
        matches!(ch.pub_scan.create_credential(&ctx, &scan("old")).await, Err(ChannelError::Refused { code, .. }) if code == "AUTHCODEEXPIRE")
    );

    let mut c = charge(json!({}));
    c.order_no = "NOPE01".into();
    assert_eq!(ch.pub_qr.query(&ctx, &c).await.ok(), Some(PaymentStatus::Pending));
    ch.pub_qr.close(&ctx, &c).await.expect("already closed counts as closed");
    // Refunds need the client certificate.
    assert!(matches!(ch.pub_qr.refund(&ctx, &refund_ref("re_1")).await, Err(ChannelError::Config(_))));
    let mut tls_ctx = at(v2_ctx("MD5"), &url);
    let mut params = tls_ctx.config.params.clone();
    params.insert("client_cert".into(), json!(vector("test-mch_cert.pem")));
    let mut secrets = tls_ctx.config.secrets.clone();
    secrets.insert("client_key".into(), vector("test-mch_private_pkcs8.pem").into());
    tls_ctx.config = Arc::new(crate::ChannelConfig { params, secrets });
    let done = ch.pub_qr.refund(&tls_ctx, &refund_ref("re_1")).await.expect("refund");
    assert_eq!(
        done,
        RefundStatusReport::Succeeded { transaction_no: Some("5030009".into()), time_succeed: 1_767_294_245 }
    );
    let seen = seen.lock().expect("seen");
    let order = xml::parse(seen[0].2.as_bytes(), "xml").expect("xml");
    for (k, v) in
        [("trade_type", "NATIVE"), ("product_id", "A10001"), ("total_fee", "1234"), ("time_expire", "20260102030405")]
    {
        assert_eq!(order.get(k).map(String::as_str), Some(v), "{k}");
    }
    let refund = seen.iter().find(|s| s.1 == "/secapi/pay/refund").expect("refund");
    let refund = xml::parse(refund.2.as_bytes(), "xml").expect("xml");
    assert_eq!(
        (refund["out_refund_no"].as_str(), refund["refund_fee"].as_str(), refund["total_fee"].as_str()),
        ("re_1", "100", "1234")
    );
}
