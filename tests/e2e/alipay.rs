//! Alipay end to end in test mode: the adapter talks to the built-in Alipay
//! sandbox over real HTTP, the sandbox notifies our notify endpoint with a
//! real RSA2 signature, and the charge, its refund and its events follow.
//! Then forged, tampered, misaddressed, replayed and malformed notifications,
//! each refused with `fail` and changing nothing.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use unicharge_tests::*;

use crate::channel_support::{buyer_post, charge_state, create, post_notify};

fn vector(name: &str) -> String {
    crate::channel_support::vector("alipay", name)
}

/// The buyer scans the QR code and pays at the sandbox cashier.
async fn scan_and_pay(app: &TestApp, qr: &str) -> Value {
    let trade: Value =
        app.http.get(qr).header("accept", "application/json").send().await.expect("scan").json().await.expect("json");
    let trade_no = trade["trade_no"].as_str().expect("trade_no");
    let (status, paid) = buyer_post(app, &app.url(&format!("/sandbox/alipay/cashier/{trade_no}/pay"))).await;
    assert_eq!(status, 200, "cashier pay: {paid}");
    paid
}

#[tokio::test]
async fn qr_charge_paid_notified_and_partly_refunded() {
    let app = spawn().await;
    let c = create(&app, "alipay_qr", 1234, json!({})).await;
    let id = c["id"].as_str().expect("id");
    assert_eq!(c["paid"], false);
    let qr = c["credential"]["alipay_qr"].as_str().expect("credential.alipay_qr is the QR string");
    assert!(qr.starts_with(&app.base), "QR code points at the sandbox: {qr}");

    let paid = scan_and_pay(&app, qr).await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["notified"], true, "our notify endpoint answered exactly `success`");
    let after = charge_state(&app, id).await;
    assert_eq!(after["paid"], true, "{after}");
    assert_eq!(after["transaction_no"], paid["trade_no"]);
    assert_eq!(after["amount"], 1234);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);

    let r = app.post_json(&format!("/v1/charges/{id}/refunds"), &app.tenant.test_key, &json!({"amount": 234})).await;
    let status = r.status();
    let refund: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{refund}");
    assert_eq!(refund["amount"], 234);
    assert_eq!(refund["status"], "succeeded", "Alipay refunds answer synchronously: {refund}");
    let re_id = refund["id"].as_str().expect("re id");
    let fetched: Value =
        app.get(&format!("/v1/charges/{id}/refunds/{re_id}"), &app.tenant.test_key).await.json().await.expect("json");
    assert_eq!(fetched["status"], "succeeded");
    assert_eq!(charge_state(&app, id).await["amount_refunded"], 234);

    // The refund as Alipay itself reports it, through the adapter's refund query.
    let row = app.state.store.get_refund(re_id).await.expect("store").expect("refund row");
    let charge = app.state.store.get_charge(id).await.expect("store").expect("charge row");
    let ctx = unicharge_server::payments::channel_ctx(
        &app.state,
        &app.tenant.app,
        unicharge_domain::Mode::Test,
        unicharge_domain::ChannelCode::AlipayQr,
    )
    .await
    .expect("ctx");
    let rref = unicharge_server::payments::refund_ref(&row, &charge).expect("ref");
    let report = app
        .state
        .channels
        .get(unicharge_domain::ChannelCode::AlipayQr)
        .refund_query(&ctx, &rref)
        .await
        .expect("refund query");
    assert!(matches!(report, unicharge_channels::RefundStatusReport::Succeeded { .. }), "{report:?}");

    // More than what is left is refused, and changes nothing.
    let r = app.post_json(&format!("/v1/charges/{id}/refunds"), &app.tenant.test_key, &json!({"amount": 1001})).await;
    assert_error(r, 400, "invalid_request_error", Some("amount")).await;
    assert_eq!(charge_state(&app, id).await["amount_refunded"], 234);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
}

#[tokio::test]
async fn every_product_builds_its_credential_against_the_sandbox() {
    let app = spawn().await;
    let c = create(&app, "alipay", 100, json!({})).await;
    let order_info = c["credential"]["alipay"]["orderInfo"].as_str().expect("orderInfo");
    assert!(order_info.contains("method=alipay.trade.app.pay") && order_info.contains("&sign="), "{order_info}");
    // The Alipay app accepts the order string: the sandbox plays the app.
    let r = app
        .http
        .post(app.url("/sandbox/alipay/app_pay"))
        .header("accept", "application/json")
        .form(&[("order_info", order_info)])
        .send()
        .await
        .expect("app pay");
    assert_eq!(r.status(), 200, "sandbox accepts the orderInfo: {}", r.text().await.unwrap_or_default());

    for channel in ["alipay_wap", "alipay_pc_direct"] {
        let c = create(&app, channel, 100, json!({"success_url": "https://shop.example/ok"})).await;
        let cred = &c["credential"][channel];
        assert!(cred.is_object(), "{channel}: {cred}");
        let id = c["id"].as_str().expect("id");
        assert_eq!(charge_state(&app, id).await["paid"], false);
    }

    let c = create(&app, "alipay_lite", 100, json!({"buyer_id": "2088102177846875"})).await;
    assert!(c["credential"]["alipay_lite"]["trade_no"].as_str().is_some_and(|t| t.len() == 28), "{c}");

    let c = create(&app, "alipay_scan", 100, json!({"scan_code": "280000000000000001"})).await;
    assert_eq!(c["paid"], true, "a bar code payment can be paid at once: {c}");
    let id = c["id"].as_str().expect("id");
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
}

/// A test-mode configuration whose Alipay key we hold, so the test can sign
/// notifications as Alipay would.
async fn own_keys(app: &TestApp) -> &'static str {
    const ALIPAY_APP_ID: &str = "2021000000000042";
    let params = json!({
        "app_id": ALIPAY_APP_ID,
        "app_private_key": vector("test-alipay_app_private_pkcs8.pem"),
        "alipay_public_key": vector("test-alipay_platform_public.pem"),
        "seller_id": "2088000000000042",
    });
    let r = app
        .http
        .put(app.url(&format!("/v1/apps/{}/channels/alipay", app.tenant.app)))
        .bearer_auth(&app.tenant.test_key)
        .json(&json!({"params": params, "enabled": true}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200, "configure alipay: {}", r.text().await.unwrap_or_default());
    ALIPAY_APP_ID
}

fn notice(app_id: &str, order_no: &str, total: &str, status: &str) -> BTreeMap<String, String> {
    [
        ("notify_time", "2026-12-01 10:00:00"),
        ("notify_type", "trade_status_sync"),
        ("notify_id", "2026120100222100000000000000000001"),
        ("app_id", app_id),
        ("auth_app_id", app_id),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("sign_type", "RSA2"),
        ("trade_no", "2026120122001400000000000001"),
        ("out_trade_no", order_no),
        ("trade_status", status),
        ("total_amount", total),
        ("receipt_amount", total),
        ("buyer_pay_amount", total),
        ("gmt_create", "2026-12-01 09:59:00"),
        ("gmt_payment", "2026-12-01 10:00:00"),
        ("buyer_id", "2088102177846875"),
        ("seller_id", "2088000000000042"),
        ("subject", "Test subject"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn sign_with(fields: &mut BTreeMap<String, String>, key_pem: &str) {
    fields.remove("sign");
    let content = unicharge_crypto::sorted_sign_content(
        fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &["sign", "sign_type"],
    );
    let signer = unicharge_crypto::RsaSigner::parse(key_pem).expect("key");
    fields.insert("sign".into(), signer.sign_sha256_b64(content.as_bytes()));
}

async fn post_notice(app: &TestApp, channel: &str, body: String) -> String {
    post_notify(app, channel, "application/x-www-form-urlencoded; charset=utf-8", body).await
}

fn form(f: &BTreeMap<String, String>) -> String {
    serde_urlencoded::to_string(f).expect("form")
}

#[tokio::test]
async fn forged_tampered_misaddressed_and_malformed_notifications_change_nothing() {
    let app = spawn().await;
    let alipay_app = own_keys(&app).await;
    let platform = vector("test-alipay_platform_private_pkcs8.pem");
    let other_key = vector("test-alipay_app_private_pkcs8.pem");
    let c = create(&app, "alipay", 1000, json!({})).await;
    let (id, order_no) = (c["id"].as_str().expect("id"), c["order_no"].as_str().expect("order_no"));

    let mut cases: Vec<(&str, String)> = Vec::new();
    let mut amount = notice(alipay_app, order_no, "0.01", "TRADE_SUCCESS");
    sign_with(&mut amount, &platform);
    cases.push(("a validly signed notification for the wrong amount", form(&amount)));

    let mut tampered = notice(alipay_app, order_no, "10.00", "TRADE_SUCCESS");
    sign_with(&mut tampered, &platform);
    tampered.insert("total_amount".into(), "0.01".into());
    tampered.insert("receipt_amount".into(), "0.01".into());
    cases.push(("an amount changed after signing", form(&tampered)));

    let mut forged = notice(alipay_app, order_no, "10.00", "TRADE_SUCCESS");
    sign_with(&mut forged, &other_key);
    cases.push(("a signature made with another key", form(&forged)));

    let mut other_app = notice("2021000000009999", order_no, "10.00", "TRADE_SUCCESS");
    sign_with(&mut other_app, &platform);
    cases.push(("another Alipay app's app_id", form(&other_app)));

    let mut unknown = notice(alipay_app, "no-such-order", "10.00", "TRADE_SUCCESS");
    sign_with(&mut unknown, &platform);
    cases.push(("an unknown order", form(&unknown)));

    let mut unsigned = notice(alipay_app, order_no, "10.00", "TRADE_SUCCESS");
    unsigned.remove("sign");
    cases.push(("no signature", form(&unsigned)));
    cases.push(("a form that is not a notification", "hello=world&%%%".to_owned()));
    cases.push(("an empty body", String::new()));
    cases.push(("JSON instead of a form", json!({"trade_status": "TRADE_SUCCESS"}).to_string()));

    for (what, body) in cases {
        assert_eq!(post_notice(&app, "alipay", body).await, "fail", "{what} must be refused");
        let now = charge_state(&app, id).await;
        assert_eq!(now["paid"], false, "{what} changed the charge: {now}");
        assert!(app.events_for(id).await.is_empty(), "{what} emitted an event");
    }

    // Wrong product in the URL: the charge was made on `alipay`.
    let mut good = notice(alipay_app, order_no, "10.00", "TRADE_SUCCESS");
    sign_with(&mut good, &platform);
    assert_eq!(post_notice(&app, "alipay_qr", form(&good)).await, "fail");
    assert_eq!(charge_state(&app, id).await["paid"], false);

    // WAIT_BUYER_PAY is valid and acknowledged, but changes nothing.
    let mut waiting = notice(alipay_app, order_no, "10.00", "WAIT_BUYER_PAY");
    sign_with(&mut waiting, &platform);
    assert_eq!(post_notice(&app, "alipay", form(&waiting)).await, "success");
    assert_eq!(charge_state(&app, id).await["paid"], false);

    // The genuine one pays; replays are acknowledged and change nothing.
    for _ in 0..3 {
        assert_eq!(post_notice(&app, "alipay", form(&good)).await, "success");
    }
    let paid = charge_state(&app, id).await;
    assert_eq!(paid["paid"], true);
    assert_eq!(paid["transaction_no"], "2026120122001400000000000001");
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);

    // A late TRADE_CLOSED does not unpay a paid charge.
    let mut closed = notice(alipay_app, order_no, "10.00", "TRADE_CLOSED");
    sign_with(&mut closed, &platform);
    post_notice(&app, "alipay", form(&closed)).await;
    assert_eq!(charge_state(&app, id).await["paid"], true);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
}

#[tokio::test]
async fn trade_closed_closes_an_unpaid_charge() {
    let app = spawn().await;
    let alipay_app = own_keys(&app).await;
    let platform = vector("test-alipay_platform_private_pkcs8.pem");
    let c = create(&app, "alipay", 500, json!({})).await;
    let (id, order_no) = (c["id"].as_str().expect("id"), c["order_no"].as_str().expect("order_no"));
    let mut closed = notice(alipay_app, order_no, "5.00", "TRADE_CLOSED");
    sign_with(&mut closed, &platform);
    assert_eq!(post_notice(&app, "alipay", form(&closed)).await, "success");
    let after = charge_state(&app, id).await;
    assert_eq!(after["paid"], false);
    assert_eq!(app.events_for(id).await, vec!["charge.closed"], "{after}");
}

/// Alipay's rule for `alipay.trade.pay` answered 10003 (the buyer confirms
/// on the phone): query, and cancel (`alipay.trade.cancel`) what is still
/// unpaid at the deadline. The create answers at once; the sweeper queries
/// every few seconds, then cancels at the sandbox and closes the charge.
#[tokio::test]
async fn scan_waiting_for_the_buyer_is_cancelled_and_closed_at_the_deadline() {
    use unicharge_server::sweep::sweep_once;
    let now = unicharge_server::auth::now;
    let app = spawn().await;
    let started = std::time::Instant::now();
    let c = create(&app, "alipay_scan", 100, json!({"scan_code": "281003000000000000"})).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "the create is not held");
    assert_eq!((c["paid"].as_bool(), c["reversed"].as_bool()), (Some(false), Some(false)), "pending: {c}");
    let id = c["id"].as_str().expect("id");

    let r = sweep_once(&app.state, now() + 10).await.expect("sweep");
    assert_eq!((r.charges_queried, r.charges_reversed), (1, 0), "queried, not yet cancelled: {r:?}");
    assert_eq!(charge_state(&app, id).await["reversed"], false);

    let r = sweep_once(&app.state, now() + 31).await.expect("sweep");
    assert_eq!((r.charges_queried, r.charges_reversed), (1, 1), "{r:?}");
    let after = charge_state(&app, id).await;
    assert_eq!((after["reversed"].as_bool(), after["paid"].as_bool()), (Some(true), Some(false)), "closed: {after}");
    // The sandbox's TRADE_CLOSED notification that follows the cancel
    // finds the charge closed already: still one event.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.events_for(id).await, vec!["charge.closed"]);

    // Alipay itself now reports the trade closed.
    let row = app.state.store.get_charge_fresh(id).await.expect("db").expect("row");
    let code = unicharge_domain::ChannelCode::AlipayScan;
    let ctx = unicharge_server::payments::channel_ctx(&app.state, &row.app_id, unicharge_domain::Mode::Test, code)
        .await
        .expect("ctx");
    let at_alipay = app
        .state
        .channels
        .get(code)
        .query(&ctx, &unicharge_server::payments::charge_ref(&row).expect("ref"))
        .await
        .expect("query");
    assert_eq!(at_alipay, unicharge_channels::PaymentStatus::Closed);
}
