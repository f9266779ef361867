//! The sweeper settles what notifications did not: a lost payment
//! notification, and a refund whose first attempt never reached the channel.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use unicharge_server::sweep::sweep_once;
use unicharge_tests::*;

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

/// The buyer pays, but the provider's notification goes nowhere.
async fn pay_with_notification_lost(app: &TestApp, c: &Value) -> Value {
    let pay_url = c["credential"]["sandbox"]["pay_url"].as_str().expect("url");
    let (base, query) = pay_url.split_once('?').expect("query");
    let mut fields: BTreeMap<String, String> = serde_urlencoded::from_str(query).expect("fields");
    fields.insert("notify_url".into(), "http://127.0.0.1:9/lost".into());
    fields.remove("sign");
    let (_, key) = app.sandbox_key(&app.tenant.app).await;
    let content =
        unicharge_crypto::sorted_sign_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), &["sign"]);
    fields.insert("sign".into(), unicharge_crypto::hmac_sha256_hex(key.as_bytes(), content.as_bytes()));
    let lost_url = format!("{base}?{}", serde_urlencoded::to_string(&fields).expect("encode"));
    let paid: Value = app
        .http
        .post(&lost_url)
        .header("accept", "application/json")
        .form(&[("result", "paid")])
        .send()
        .await
        .expect("pay")
        .json()
        .await
        .expect("json");
    assert_eq!(paid["notified"], false);
    paid
}

#[tokio::test]
async fn a_lost_payment_notification_is_recovered_by_querying_the_channel() {
    let app = spawn().await;
    let c = app.charge(100).await;
    let id = c["id"].as_str().expect("id");
    let paid = pay_with_notification_lost(&app, &c).await;
    let still: Value = app.get(&format!("/v1/charges/{id}"), &app.tenant.test_key).await.json().await.expect("json");
    assert_eq!(still["paid"], false);

    // Too early: the first query is due two minutes after creation.
    assert_eq!(sweep_once(&app.state, now()).await.expect("sweep").charges_queried, 0);
    let report = sweep_once(&app.state, now() + 200).await.expect("sweep");
    assert_eq!(report.charges_queried, 1);
    let after: Value = app.get(&format!("/v1/charges/{id}"), &app.tenant.test_key).await.json().await.expect("json");
    assert_eq!(after["paid"], true);
    assert_eq!(after["transaction_no"], paid["trade_no"]);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
    // Settled charges are not queried again; a late notification changes nothing.
    assert_eq!(sweep_once(&app.state, now() + 10_000).await.expect("sweep").charges_queried, 0);
    app.pay(&c, "paid").await;
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
}

#[tokio::test]
async fn retrieving_with_refresh_asks_the_channel_at_once() {
    let app = spawn().await;
    let c = app.charge(100).await;
    let id = c["id"].as_str().expect("id");
    let paid = pay_with_notification_lost(&app, &c).await;
    let plain: Value = app.get(&format!("/v1/charges/{id}"), &app.tenant.test_key).await.json().await.expect("json");
    assert_eq!(plain["paid"], false, "without refresh the stored state is served");
    let fresh: Value =
        app.get(&format!("/v1/charges/{id}?refresh=true"), &app.tenant.test_key).await.json().await.expect("json");
    assert_eq!(fresh["paid"], true, "{fresh}");
    assert_eq!(fresh["transaction_no"], paid["trade_no"]);
    let again: Value =
        app.get(&format!("/v1/charges/{id}?refresh=true"), &app.tenant.test_key).await.json().await.expect("json");
    assert_eq!(again["paid"], true);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"], "one event however often refreshed");
}

#[tokio::test]
async fn an_unknown_refund_outcome_stays_reserved_then_settles_once() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let c = app.paid_charge(100).await;
    let id = c["id"].as_str().expect("id");
    let (mch, secret) = app.sandbox_key(&app.tenant.app).await;
    let put = |params: Value| {
        let req = app
            .http
            .put(app.url(&format!("/v1/apps/{}/channels/sandbox", app.tenant.app)))
            .bearer_auth(key)
            .json(&json!({"params": params}));
        async move { assert_eq!(req.send().await.expect("put").status(), 200) }
    };
    // Nothing listens on the discard port: the refund's outcome is unknown.
    put(json!({"mch_id": mch, "key": secret, "gateway_url": "http://127.0.0.1:9"})).await;
    let r: Value = app
        .post_json(&format!("/v1/charges/{id}/refunds"), key, &json!({"amount": 100}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(r["status"], "pending");
    // The amount stays reserved meanwhile.
    assert_error(
        app.post_json(&format!("/v1/charges/{id}/refunds"), key, &json!({"amount": 1})).await,
        400,
        "invalid_request_error",
        Some("amount"),
    )
    .await;

    put(json!({"mch_id": mch, "key": secret})).await;
    assert_eq!(sweep_once(&app.state, now()).await.expect("sweep").refunds_retried, 0, "too early");
    for _ in 0..2 {
        sweep_once(&app.state, now() + 120).await.expect("sweep");
    }
    let rid = r["id"].as_str().expect("id");
    let after: Value = app.get(&format!("/v1/charges/{id}/refunds/{rid}"), key).await.json().await.expect("json");
    assert_eq!(after["status"], "succeeded");
    let ch: Value = app.get(&format!("/v1/charges/{id}"), key).await.json().await.expect("json");
    assert_eq!(ch["amount_refunded"], 100);
    assert_eq!(app.events_for(rid).await, vec!["refund.succeeded"]);
}
