use serde_json::{json, Value};
use unicharge_tests::*;

#[tokio::test]
async fn partial_and_full_refunds_never_exceed_the_amount_paid() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let c = app.paid_charge(100).await;
    let id = c["id"].as_str().expect("id");
    let path = format!("/v1/charges/{id}/refunds");

    let r =
        app.post_json(&path, key, &json!({"amount": 30, "description": "partial", "metadata": {"why": "size"}})).await;
    assert_eq!(r.status(), 200);
    let r1: Value = r.json().await.expect("json");
    assert!(r1["id"].as_str().expect("id").starts_with("re_"));
    assert_eq!(r1["object"], "refund");
    assert_eq!(r1["amount"], 30);
    assert_eq!(r1["status"], "succeeded");
    assert_eq!(r1["succeed"], true);
    assert_eq!(r1["charge"], id);
    assert_eq!(r1["charge_order_no"], c["order_no"]);
    assert_eq!(r1["metadata"]["why"], "size");
    assert!(r1["transaction_no"].is_string());
    assert!(r1["time_succeed"].is_i64());

    // Form-encoded works too.
    let r = app.post_form(&path, key, &[("amount", "50"), ("description", "more")]).await;
    assert_eq!(r.status(), 200);
    let over = app.post_json(&path, key, &json!({"amount": 21})).await;
    let e = assert_error(over, 400, "invalid_request_error", Some("amount")).await;
    assert!(e["error"]["message"].as_str().expect("msg").contains("20"));
    // No amount refunds the rest.
    let rest: Value = app.post_json(&path, key, &json!({"description": "rest"})).await.json().await.expect("json");
    assert_eq!(rest["amount"], 20);
    assert_error(app.post_json(&path, key, &json!({"amount": 1})).await, 400, "invalid_request_error", Some("amount"))
        .await;

    let ch: Value = app.get(&format!("/v1/charges/{id}"), key).await.json().await.expect("json");
    assert_eq!(ch["refunded"], true);
    assert_eq!(ch["amount_refunded"], 100);
    assert_eq!(ch["refunds"]["data"].as_array().expect("data").len(), 3);

    let list: Value = app.get(&format!("{path}?limit=2"), key).await.json().await.expect("json");
    assert_eq!(list["object"], "list");
    assert_eq!(list["url"], path);
    assert_eq!(list["has_more"], true);
    assert_eq!(list["data"][0]["id"], rest["id"]);
    let one: Value =
        app.get(&format!("{path}/{}", r1["id"].as_str().expect("id")), key).await.json().await.expect("json");
    assert_eq!(one, r1);
    assert_error(
        app.get(&format!("{path}/re_nosuchrefund000000000000"), key).await,
        404,
        "invalid_request_error",
        Some("id"),
    )
    .await;

    let kinds = app.events_for(r1["id"].as_str().expect("id")).await;
    assert_eq!(kinds, vec!["refund.succeeded"]);
    let all: Value = app.get("/v1/events?type=refund.succeeded&limit=100", key).await.json().await.expect("json");
    assert_eq!(all["data"].as_array().expect("data").len(), 3);
}

#[tokio::test]
async fn refund_validation() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let unpaid = app.charge(100).await;
    let uid = unpaid["id"].as_str().expect("id");
    assert_error(
        app.post_json(&format!("/v1/charges/{uid}/refunds"), key, &json!({"amount": 1})).await,
        400,
        "invalid_request_error",
        Some("id"),
    )
    .await;
    let c = app.paid_charge(100).await;
    let path = format!("/v1/charges/{}/refunds", c["id"].as_str().expect("id"));
    for (body, param) in [
        (json!({"amount": 0}), "amount"),
        (json!({"amount": -1}), "amount"),
        (json!({"amount": "abc"}), "amount"),
        (json!({"amount": 101}), "amount"),
        (json!({"amount": 1, "description": "d".repeat(256)}), "description"),
        (json!({"amount": 1, "metadata": "x"}), "metadata"),
        (json!({"amount": 1, "funding_source": "piggy_bank"}), "funding_source"),
    ] {
        assert_error(app.post_json(&path, key, &body).await, 400, "invalid_request_error", Some(param)).await;
    }
    assert_error(
        app.post_json("/v1/charges/ch_nosuchcharge00000000000/refunds", key, &json!({})).await,
        404,
        "invalid_request_error",
        Some("id"),
    )
    .await;
    let ch: Value =
        app.get(&format!("/v1/charges/{}", c["id"].as_str().expect("id")), key).await.json().await.expect("json");
    assert_eq!(ch["amount_refunded"], 0, "nothing was refunded");
    assert_eq!(ch["refunds"]["data"].as_array().expect("data").len(), 0);
}

#[tokio::test]
async fn a_refund_that_cannot_reach_the_channel_fails_and_releases_its_amount() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let c = app.paid_charge(100).await;
    let id = c["id"].as_str().expect("id");
    let (mch, secret) = app.sandbox_key(&app.tenant.app).await;
    let r = app
        .http
        .put(app.url(&format!("/v1/apps/{}/channels/sandbox", app.tenant.app)))
        .bearer_auth(key)
        .json(&json!({"params": {"mch_id": mch, "key": secret, "gateway_url": "ftp://nowhere"}}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);
    let e = assert_error(
        app.post_json(&format!("/v1/charges/{id}/refunds"), key, &json!({"amount": 40})).await,
        402,
        "channel_error",
        None,
    )
    .await;
    assert_eq!(e["error"]["code"], "channel_misconfigured");
    let ch: Value = app.get(&format!("/v1/charges/{id}"), key).await.json().await.expect("json");
    assert_eq!(ch["amount_refunded"], 0);
    let refunds = ch["refunds"]["data"].as_array().expect("data");
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["status"], "failed");
    assert_eq!(app.events_for(refunds[0]["id"].as_str().expect("id")).await, vec!["refund.failed"]);

    // Fixed configuration: the whole amount is refundable again.
    let r = app
        .http
        .put(app.url(&format!("/v1/apps/{}/channels/sandbox", app.tenant.app)))
        .bearer_auth(key)
        .json(&json!({"params": {"mch_id": mch, "key": secret}}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);
    let ok = app.post_json(&format!("/v1/charges/{id}/refunds"), key, &json!({"amount": 100})).await;
    assert_eq!(ok.status(), 200);
}
