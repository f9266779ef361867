//! Sandbox notifications: verified, cross-checked against the stored charge,
//! applied once. Forged, tampered, misaddressed and malformed ones change
//! nothing and are answered FAIL so the provider retries.

use serde_json::Value;
use std::collections::BTreeMap;
use unicharge_tests::*;

fn sign(fields: &mut BTreeMap<String, String>, key: &str) {
    fields.remove("sign");
    let content =
        unicharge_crypto::sorted_sign_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), &["sign"]);
    let s = unicharge_crypto::hmac_sha256_hex(key.as_bytes(), content.as_bytes());
    fields.insert("sign".into(), s);
}

fn trade_notice(mch: &str, order_no: &str, amount: i64, status: &str) -> BTreeMap<String, String> {
    let mut f = BTreeMap::new();
    for (k, v) in [
        ("notify_type", "trade"),
        ("notify_id", "N1"),
        ("notify_time", "1795000000"),
        ("mch_id", mch),
        ("out_trade_no", order_no),
        ("trade_no", "T20261123000001"),
        ("currency", "cny"),
        ("trade_status", status),
        ("paid_at", "1795000000"),
    ] {
        f.insert(k.to_owned(), v.to_owned());
    }
    f.insert("amount".into(), amount.to_string());
    f
}

async fn post_notice(app: &TestApp, app_id: &str, body: String) -> String {
    app.http
        .post(app.url(&format!("/notify/sandbox/{app_id}/test")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("notify")
        .text()
        .await
        .expect("text")
}

async fn charge_state(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/charges/{id}"), &app.tenant.test_key).await.json().await.expect("json")
}

#[tokio::test]
async fn paying_emits_one_event_however_often_notified() {
    let app = spawn().await;
    let c = app.charge(100).await;
    let id = c["id"].as_str().expect("id");
    let first = app.pay(&c, "paid").await;
    assert_eq!(first["status"], "paid");
    assert_eq!(first["notified"], true, "our notify endpoint acknowledged");
    let paid = charge_state(&app, id).await;
    assert_eq!(paid["paid"], true);
    assert_eq!(paid["transaction_no"], first["trade_no"]);
    assert!(paid["time_paid"].as_i64().is_some());
    assert_eq!(paid["credential"], serde_json::json!({}));

    // The provider re-sends; we also replay a correctly signed copy by hand.
    app.pay(&c, "paid").await;
    let (mch, key) = app.sandbox_key(&app.tenant.app).await;
    let mut f = trade_notice(&mch, c["order_no"].as_str().expect("order"), 100, "SUCCESS");
    sign(&mut f, &key);
    let body = serde_urlencoded::to_string(&f).expect("form");
    for _ in 0..3 {
        assert_eq!(post_notice(&app, &app.tenant.app, body.clone()).await, "SUCCESS");
    }
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
    let after = charge_state(&app, id).await;
    assert_eq!(after["transaction_no"], first["trade_no"], "the first notification's trade number stands");

    let events: Value =
        app.get("/v1/events?type=charge.succeeded", &app.tenant.test_key).await.json().await.expect("json");
    let evs = events["data"].as_array().expect("data");
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0]["object"], "event");
    assert_eq!(evs[0]["data"]["object"]["id"], id);
    assert_eq!(evs[0]["data"]["object"]["paid"], true);
    assert_eq!(evs[0]["pending_webhooks"], 0);
    let one: Value = app
        .get(&format!("/v1/events/{}", evs[0]["id"].as_str().expect("id")), &app.tenant.test_key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(one, evs[0]);
}

#[tokio::test]
async fn a_failed_payment_is_reported_once() {
    let app = spawn().await;
    let c = app.charge(100).await;
    let id = c["id"].as_str().expect("id");
    assert_eq!(app.pay(&c, "failed").await["status"], "failed");
    let after = charge_state(&app, id).await;
    assert_eq!(after["paid"], false);
    assert_eq!(after["failure_code"], "BUYER_DECLINED");
    assert_eq!(app.events_for(id).await, vec!["charge.failed"]);
}

#[tokio::test]
async fn forged_tampered_misaddressed_and_malformed_notifications_change_nothing() {
    let app = spawn().await;
    let c = app.charge(100).await;
    let id = c["id"].as_str().expect("id");
    let order = c["order_no"].as_str().expect("order").to_owned();
    let (mch, key) = app.sandbox_key(&app.tenant.app).await;
    let a = app.tenant.app.clone();

    // Signed with another key.
    let mut f = trade_notice(&mch, &order, 100, "SUCCESS");
    sign(&mut f, "not-the-merchant-key");
    assert_eq!(post_notice(&app, &a, serde_urlencoded::to_string(&f).expect("form")).await, "FAIL");

    // Correctly signed, then the amount changed in transit.
    let mut f = trade_notice(&mch, &order, 100, "SUCCESS");
    sign(&mut f, &key);
    f.insert("amount".into(), "1".into());
    assert_eq!(post_notice(&app, &a, serde_urlencoded::to_string(&f).expect("form")).await, "FAIL");

    // Authentic signature but an amount that is not the order's.
    let mut f = trade_notice(&mch, &order, 1, "SUCCESS");
    sign(&mut f, &key);
    assert_eq!(post_notice(&app, &a, serde_urlencoded::to_string(&f).expect("form")).await, "FAIL");

    // Another app's merchant account, posted to this app's endpoint.
    let other = app.new_tenant("Other").await;
    let (omch, okey) = app.sandbox_key(&other.app).await;
    let mut f = trade_notice(&omch, &order, 100, "SUCCESS");
    sign(&mut f, &okey);
    let body = serde_urlencoded::to_string(&f).expect("form");
    assert_eq!(post_notice(&app, &a, body.clone()).await, "FAIL");
    // ...and to its own endpoint, naming our order.
    assert_eq!(post_notice(&app, &other.app, body).await, "FAIL");

    // An order nobody made.
    let mut f = trade_notice(&mch, "nosuchorder123", 100, "SUCCESS");
    sign(&mut f, &key);
    assert_eq!(post_notice(&app, &a, serde_urlencoded::to_string(&f).expect("form")).await, "FAIL");

    // Malformed bodies.
    for junk in ["", "{\"json\": true}", "mch_id=x&sign=zz", "%%%", "amount=abc"] {
        assert_eq!(post_notice(&app, &a, junk.to_owned()).await, "FAIL", "{junk}");
    }
    let mut f = trade_notice(&mch, &order, 100, "SUCCESS");
    f.insert("amount".into(), "1e2".into());
    sign(&mut f, &key);
    assert_eq!(post_notice(&app, &a, serde_urlencoded::to_string(&f).expect("form")).await, "FAIL");

    // Wrong mode or unknown app in the URL.
    let mut f = trade_notice(&mch, &order, 100, "SUCCESS");
    sign(&mut f, &key);
    let body = serde_urlencoded::to_string(&f).expect("form");
    let r = app.http.post(app.url(&format!("/notify/sandbox/{a}/live"))).body(body.clone()).send().await.expect("send");
    assert_eq!(r.text().await.expect("text"), "FAIL");
    let r = app.http.post(app.url("/notify/sandbox/app_doesnotexist/test")).body(body).send().await.expect("send");
    assert_eq!(r.text().await.expect("text"), "FAIL");

    let after = charge_state(&app, id).await;
    assert_eq!(after["paid"], false, "nothing changed");
    assert!(app.events_for(id).await.is_empty(), "no event emitted");
}
