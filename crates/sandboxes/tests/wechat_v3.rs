//! APIv3 over real HTTP: signed requests and answers, Native pay through the
//! cashier, notifications, refunds, certificates, and refusals.

mod wechat_support;

use serde_json::json;
use std::time::Duration;
use unicharge_crypto::{generate_rsa_2048_pkcs8_pem, RsaSigner};
use unicharge_sandboxes::wechat::PlatformKeyMode;
use wechat_support::*;

fn native(m: &Merchant, no: &str, total: i64, notify: &str) -> serde_json::Value {
    json!({"appid": m.appid, "mchid": m.mchid, "description": "Green tea", "out_trade_no": no,
        "notify_url": notify, "amount": {"total": total, "currency": "CNY"}, "attach": "a=1"})
}

/// Native prepay, scan, pay: returns (out_trade_no, transaction_id, notified).
async fn paid(sb: &Sandbox, m: &Merchant, total: i64, notify: &str) -> (String, String, bool) {
    let no = order_no();
    let a = sb.v3(m, "POST", "/v3/pay/transactions/native", Some(native(m, &no, total, notify))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let code_url = a.json()["code_url"].as_str().expect("code_url").to_owned();
    assert!(code_url.starts_with("weixin://wxpay/bizpayurl?pr="), "{code_url}");
    let view = sb.scan(&code_url).await;
    assert_eq!(view["trade_state"], "NOTPAY");
    let (status, p) = sb.cashier(view["prepay_id"].as_str().expect("prepay_id"), "pay").await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["status"], "paid");
    assert_eq!(p["out_trade_no"], no.as_str());
    (no, p["transaction_id"].as_str().expect("transaction_id").to_owned(), p["notified"].as_bool().expect("notified"))
}

#[tokio::test]
async fn native_pay_notifies_encrypted_and_signed() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let rx = Receiver::start(vec![], (204, "")).await;
    let (no, txn, notified) = paid(&sb, &m, 1234, &rx.url).await;
    assert!(notified);
    assert!(txn.len() == 28 && txn.starts_with("4200") && txn.bytes().all(|b| b.is_ascii_digit()), "{txn}");
    let got = rx.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got[0].headers.get("wechatpay-serial"), Some(&sb.serial));
    let (body, tx) = open_v3_notification(&sb, &m, &got[0]);
    assert_eq!(body["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(body["resource_type"], "encrypt-resource");
    assert_eq!(body["resource"]["original_type"], "transaction");
    assert_eq!(body["resource"]["associated_data"], "transaction");
    for (k, v) in [("mchid", &m.mchid), ("appid", &m.appid), ("out_trade_no", &no), ("transaction_id", &txn)] {
        assert_eq!(tx[k].as_str(), Some(v.as_str()), "{k}");
    }
    assert_eq!(tx["trade_state"], "SUCCESS");
    assert_eq!(tx["trade_type"], "NATIVE");
    assert_eq!(tx["amount"]["total"], 1234);
    assert_eq!(tx["amount"]["payer_total"], 1234);
    assert_eq!(tx["attach"], "a=1");
    assert!(tx["success_time"].as_str().is_some_and(|t| t.ends_with("+08:00")), "{tx}");
    assert!(tx["payer"]["openid"].as_str().is_some_and(|o| o.len() == 28));

    // A tampered ciphertext does not open.
    let mut forged = body.clone();
    let ct = forged["resource"]["ciphertext"].as_str().unwrap_or("").replacen('A', "B", 1);
    forged["resource"]["ciphertext"] = ct.into();
    assert!(decrypt(&m.apiv3_key, &forged["resource"]).is_none());

    // The query agrees; paying twice is refused.
    let q = sb.v3(&m, "GET", &format!("/v3/pay/transactions/out-trade-no/{no}?mchid={}", m.mchid), None).await;
    assert_eq!(q.status, 200);
    assert_eq!(q.json()["trade_state"], "SUCCESS");
    assert_eq!(q.json()["transaction_id"], txn.as_str());
    let by_id = sb.v3(&m, "GET", &format!("/v3/pay/transactions/id/{txn}?mchid={}", m.mchid), None).await;
    assert_eq!(by_id.json()["out_trade_no"], no.as_str());
    let (status, again) = sb.cashier(&txn, "pay").await;
    assert_eq!((status, again["code"].as_str()), (400, Some("ORDERPAID")));
}

#[tokio::test]
async fn retries_until_200_or_204_then_stops() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let rx =
        Receiver::start(vec![(500, "{\"code\":\"FAIL\",\"message\":\"失败\"}"), (404, ""), (302, "")], (204, "")).await;
    let (_, _, notified) = paid(&sb, &m, 1, &rx.url).await;
    assert!(!notified);
    let got = rx.wait_for(4, Duration::from_secs(10)).await;
    // Every attempt is signed afresh and decrypts to the same transaction.
    let nonces: std::collections::HashSet<_> = got.iter().map(|g| g.headers["wechatpay-nonce"].clone()).collect();
    assert_eq!(nonces.len(), 4);
    for g in &got {
        assert_eq!(open_v3_notification(&sb, &m, g).1["trade_state"], "SUCCESS");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 4, "no retries after 204");
}

#[tokio::test]
async fn refused_signatures_answer_sign_error() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let body = || Some(native(&m, &order_no(), 1, "https://example.com/n"));
    let path = "/v3/pay/transactions/native";
    let other = RsaSigner::parse(&generate_rsa_2048_pkcs8_pem().expect("key")).expect("signer");
    for spoil in [
        Spoil { signer: Some(other), ..Spoil::default() },
        Spoil { serial: Some("0123456789ABCDEF0123456789ABCDEF01234567".into()), ..Spoil::default() },
        Spoil { timestamp: Some(now() - 301), ..Spoil::default() },
        Spoil { timestamp: Some(now() + 301), ..Spoil::default() },
        Spoil { tamper_body: true, ..Spoil::default() },
    ] {
        let a = sb.v3_spoiled(&m, "POST", path, body(), &spoil).await;
        assert_eq!((a.status, a.code()), (401, "SIGN_ERROR".to_owned()), "{}", a.body);
    }
    // Nothing was created by the refused calls; a good call still works.
    let ok = sb.v3(&m, "POST", path, body()).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // The URL is signed too; the full mounted path is accepted as well.
    let full = Spoil { full_path: true, ..Spoil::default() };
    let q = sb.v3_spoiled(&m, "GET", "/v3/pay/transactions/out-trade-no/NOPE123?mchid=x", None, &full).await;
    assert_eq!((q.status, q.code()), (400, "INVALID_REQUEST".to_owned()));
    let q = sb.v3(&m, "GET", &format!("/v3/pay/transactions/out-trade-no/NOPE123?mchid={}", m.mchid), None).await;
    assert_eq!((q.status, q.code()), (404, "ORDER_NOT_EXIST".to_owned()));
    let bad_query = sb.v3_spoiled(&m, "GET", "/v3/certificates", None, &Spoil::default()).await;
    assert_eq!(bad_query.status, 200);
    let res = sb
        .http
        .get(format!("{}/sandbox/wechat/v3/certificates", sb.base))
        .header("authorization", "WECHATPAY2-SHA256-RSA2048 mchid=\"1\"")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn business_refusals_use_wechat_codes() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let q = sb.v3(&m, "GET", &format!("/v3/pay/transactions/out-trade-no/NOPE123?mchid={}", m.mchid), None).await;
    assert_eq!((q.status, q.code()), (404, "ORDER_NOT_EXIST".to_owned()));
    let no = order_no();
    let mut b = native(&m, &no, 100, "https://example.com/n");
    b["appid"] = "wx0000000000000000".into();
    let a = sb.v3(&m, "POST", "/v3/pay/transactions/native", Some(b)).await;
    assert_eq!((a.status, a.code()), (400, "APPID_MCHID_NOT_MATCH".to_owned()));
    let mut b = native(&m, &no, 100, "https://example.com/n");
    b["amount"]["total"] = json!(-1);
    let a = sb.v3(&m, "POST", "/v3/pay/transactions/native", Some(b)).await;
    assert_eq!((a.status, a.code()), (400, "PARAM_ERROR".to_owned()));

    // Same terms, same prepay; other terms, OUT_TRADE_NO_USED.
    let first = sb.v3(&m, "POST", "/v3/pay/transactions/jsapi", Some(jsapi(&m, &no, 100))).await;
    let again = sb.v3(&m, "POST", "/v3/pay/transactions/jsapi", Some(jsapi(&m, &no, 100))).await;
    assert_eq!(first.json()["prepay_id"], again.json()["prepay_id"]);
    let prepay = first.json()["prepay_id"].as_str().unwrap_or("").to_owned();
    assert!(prepay.starts_with("wx") && prepay.len() == 36, "{prepay}");
    let other = sb.v3(&m, "POST", "/v3/pay/transactions/jsapi", Some(jsapi(&m, &no, 101))).await;
    assert_eq!((other.status, other.code()), (403, "OUT_TRADE_NO_USED".to_owned()));

    // Close: 204, then the order is closed for paying and re-ordering.
    let path = format!("/v3/pay/transactions/out-trade-no/{no}/close");
    let c = sb.v3(&m, "POST", &path, Some(json!({"mchid": m.mchid}))).await;
    assert_eq!((c.status, c.body.as_str()), (204, ""));
    let (status, p) = sb.cashier(&prepay, "pay").await;
    assert_eq!((status, p["code"].as_str()), (400, Some("ORDER_CLOSED")));
    let q = sb.v3(&m, "GET", &format!("/v3/pay/transactions/out-trade-no/{no}?mchid={}", m.mchid), None).await;
    assert_eq!(q.json()["trade_state"], "CLOSED");

    // Another merchant cannot see the trade.
    let stranger = sb.merchant();
    let q = sb
        .v3(&stranger, "GET", &format!("/v3/pay/transactions/out-trade-no/{no}?mchid={}", stranger.mchid), None)
        .await;
    assert_eq!(q.status, 404);
}

fn jsapi(m: &Merchant, no: &str, total: i64) -> serde_json::Value {
    json!({"appid": m.appid, "mchid": m.mchid, "description": "Tea", "out_trade_no": no,
        "notify_url": "https://example.com/n", "amount": {"total": total}, "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}})
}

#[tokio::test]
async fn refunds_are_idempotent_and_bounded() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let rx = Receiver::start(vec![], (200, "")).await;
    let (no, txn, _) = paid(&sb, &m, 1000, &rx.url).await;
    let refund = |rno: &str, amount: i64| {
        json!({"out_trade_no": no, "out_refund_no": rno, "notify_url": rx.url,
            "amount": {"refund": amount, "total": 1000, "currency": "CNY"}})
    };
    let a = sb.v3(&m, "POST", "/v3/refund/domestic/refunds", Some(refund("R1-000001", 600))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let r1 = a.json();
    assert_eq!(r1["status"], "PROCESSING");
    assert_eq!(r1["transaction_id"], txn.as_str());
    assert_eq!(r1["amount"]["refund"], 600);
    let again = sb.v3(&m, "POST", "/v3/refund/domestic/refunds", Some(refund("R1-000001", 600))).await.json();
    assert_eq!(again["refund_id"], r1["refund_id"]);
    assert_eq!(again["status"], "SUCCESS");
    let changed = sb.v3(&m, "POST", "/v3/refund/domestic/refunds", Some(refund("R1-000001", 500))).await;
    assert_eq!((changed.status, changed.code()), (400, "INVALID_REQUEST".to_owned()));
    let over = sb.v3(&m, "POST", "/v3/refund/domestic/refunds", Some(refund("R2-000002", 401))).await;
    assert_eq!((over.status, over.code()), (400, "INVALID_REQUEST".to_owned()));
    assert!(over.json()["message"].as_str().is_some_and(|s| s.contains("可退金额")));
    let rest = sb.v3(&m, "POST", "/v3/refund/domestic/refunds", Some(refund("R3-000003", 400))).await;
    assert_eq!(rest.status, 200);

    let q = sb.v3(&m, "GET", "/v3/refund/domestic/refunds/R1-000001", None).await.json();
    assert_eq!((q["status"].as_str(), q["refund_id"].clone()), (Some("SUCCESS"), r1["refund_id"].clone()));
    let none = sb.v3(&m, "GET", "/v3/refund/domestic/refunds/NOPE", None).await;
    assert_eq!((none.status, none.code()), (404, "RESOURCE_NOT_EXISTS".to_owned()));
    let t = sb.v3(&m, "GET", &format!("/v3/pay/transactions/out-trade-no/{no}?mchid={}", m.mchid), None).await;
    assert_eq!(t.json()["trade_state"], "REFUND");
    let unknown = json!({"out_trade_no": "NOPE1234", "out_refund_no": "R9", "amount": {"refund": 1, "total": 1, "currency": "CNY"}});
    let u = sb.v3(&m, "POST", "/v3/refund/domestic/refunds", Some(unknown)).await;
    assert_eq!((u.status, u.code()), (404, "RESOURCE_NOT_EXISTS".to_owned()));

    // Payment + two refunds were notified; the refunds once each.
    let got = rx.wait_for(3, Duration::from_secs(5)).await;
    let refunds: Vec<_> = got
        .iter()
        .map(|g| open_v3_notification(&sb, &m, g))
        .filter(|(b, _)| b["event_type"] == "REFUND.SUCCESS")
        .collect();
    assert_eq!(refunds.len(), 2);
    for (b, r) in &refunds {
        assert_eq!(b["resource"]["original_type"], "refund");
        assert_eq!(r["refund_status"], "SUCCESS");
        assert_eq!(r["out_trade_no"], no.as_str());
        assert_eq!(r["mchid"], m.mchid.as_str());
    }
    let amounts: Vec<i64> = refunds.iter().map(|(_, r)| r["amount"]["refund"].as_i64().unwrap_or(0)).collect();
    assert_eq!(amounts.iter().sum::<i64>(), 1000);
}

#[tokio::test]
async fn certificates_decrypt_with_the_apiv3_key() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let a = sb.v3(&m, "GET", "/v3/certificates", None).await;
    assert_eq!(a.status, 200);
    let item = &a.json()["data"][0];
    assert_eq!(item["serial_no"].as_str(), Some(sb.serial.as_str()));
    assert_eq!(item["encrypt_certificate"]["associated_data"], "certificate");
    assert_eq!(item["encrypt_certificate"]["algorithm"], "AEAD_AES_256_GCM");
    let pem = decrypt(&m.apiv3_key, &item["encrypt_certificate"]).expect("decrypts");
    assert_eq!(pem, sb.platform_cert_pem);
    assert!(item["expire_time"].as_str().is_some_and(|t| t.ends_with("+08:00")));
    // Another merchant's key does not open it.
    assert!(decrypt(&sb.merchant().apiv3_key, &item["encrypt_certificate"]).is_none());
    assert_eq!(sb.serial.len(), 40);
    assert!(sb.serial.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()));
}

#[tokio::test]
async fn public_key_mode_names_the_key_id() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant_with(PlatformKeyMode::PublicKey);
    let a = sb.v3(&m, "POST", "/v3/pay/transactions/app", Some(jsapi(&m, &order_no(), 5))).await;
    assert_eq!(a.status, 200);
    assert!(sb.public_key_id.starts_with("PUB_KEY_ID_"));
    assert_eq!(a.serial, sb.public_key_id);
    let h5 = json!({"appid": m.appid, "mchid": m.mchid, "description": "Tea", "out_trade_no": order_no(),
        "notify_url": "https://example.com/n", "amount": {"total": 5},
        "scene_info": {"payer_client_ip": "127.0.0.1", "h5_info": {"type": "Wap"}}});
    let a = sb.v3(&m, "POST", "/v3/pay/transactions/h5", Some(h5)).await;
    let url = a.json()["h5_url"].as_str().expect("h5_url").to_owned();
    let view: serde_json::Value =
        sb.http.get(&url).header("accept", "application/json").send().await.expect("h5").json().await.expect("json");
    assert_eq!(view["trade_type"], "MWEB");
}
