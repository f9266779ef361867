use serde_json::{json, Value};
use unicharge_tests::*;

#[tokio::test]
async fn create_retrieve_with_json_and_form_bodies() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let mut body = charge_body(&app.tenant.app);
    body["metadata"] = json!({"cart": "42"});
    body["description"] = json!("first order");
    body["extra"] = json!({"success_url": "https://shop.example/ok"});
    let r = app.post_json("/v1/charges", key, &body).await;
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.expect("json");
    assert!(c["id"].as_str().expect("id").starts_with("ch_"));
    assert_eq!(c["object"], "charge");
    assert_eq!(c["livemode"], false);
    assert_eq!(c["paid"], false);
    assert_eq!(c["refunded"], false);
    assert_eq!(c["reversed"], false);
    assert_eq!(c["app"], app.tenant.app);
    assert_eq!(c["amount"], 100);
    assert_eq!(c["amount_settle"], 100);
    assert_eq!(c["currency"], "cny");
    assert_eq!(c["order_no"], body["order_no"]);
    assert_eq!(c["metadata"]["cart"], "42");
    assert_eq!(c["description"], "first order");
    assert_eq!(c["extra"]["success_url"], "https://shop.example/ok");
    assert_eq!(c["credential"]["object"], "credential");
    assert!(c["credential"]["sandbox"]["pay_url"].as_str().expect("pay_url").starts_with(&app.base));
    assert_eq!(c["refunds"]["object"], "list");
    assert_eq!(c["refunds"]["url"], format!("/v1/charges/{}/refunds", c["id"].as_str().expect("id")));
    assert!(c["time_expire"].as_i64().expect("expire") > c["created"].as_i64().expect("created"));
    for k in ["time_paid", "transaction_no", "failure_code", "failure_msg", "time_settle"] {
        assert!(c[k].is_null(), "{k}");
    }

    let id = c["id"].as_str().expect("id");
    let got: Value = app.get(&format!("/v1/charges/{id}"), key).await.json().await.expect("json");
    assert_eq!(got, c);

    // curl users send forms with app[id] nesting and Basic auth.
    let order = order_no();
    let r = app
        .post_form(
            "/v1/charges",
            key,
            &[
                ("app[id]", app.tenant.app.as_str()),
                ("channel", "sandbox"),
                ("order_no", order.as_str()),
                ("amount", "250"),
                ("currency", "cny"),
                ("client_ip", "::1"),
                ("subject", "Form"),
                ("body", "Form body"),
                ("metadata[k]", "v"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let f: Value = r.json().await.expect("json");
    assert_eq!(f["amount"], 250);
    assert_eq!(f["metadata"]["k"], "v");
}

#[tokio::test]
async fn list_pages_and_filters() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(app.charge(100).await["id"].as_str().expect("id").to_owned());
    }
    let paid = app.paid_charge(300).await;
    ids.push(paid["id"].as_str().expect("id").to_owned());
    let a = &app.tenant.app;

    let l: Value = app.get(&format!("/v1/charges?app[id]={a}&limit=2"), key).await.json().await.expect("json");
    assert_eq!(l["object"], "list");
    assert_eq!(l["url"], "/v1/charges");
    assert_eq!(l["has_more"], true);
    let got: Vec<&str> = l["data"].as_array().expect("data").iter().map(|c| c["id"].as_str().expect("id")).collect();
    assert_eq!(got, vec![ids[5].as_str(), ids[4].as_str()], "newest first");

    let l: Value = app
        .get(&format!("/v1/charges?app%5Bid%5D={a}&limit=3&starting_after={}", ids[4]), key)
        .await
        .json()
        .await
        .expect("json");
    let got: Vec<&str> = l["data"].as_array().expect("data").iter().map(|c| c["id"].as_str().expect("id")).collect();
    assert_eq!(got, vec![ids[3].as_str(), ids[2].as_str(), ids[1].as_str()]);
    assert_eq!(l["has_more"], true);

    let l: Value = app
        .get(&format!("/v1/charges?app[id]={a}&limit=2&ending_before={}", ids[2]), key)
        .await
        .json()
        .await
        .expect("json");
    let got: Vec<&str> = l["data"].as_array().expect("data").iter().map(|c| c["id"].as_str().expect("id")).collect();
    assert_eq!(got, vec![ids[4].as_str(), ids[3].as_str()]);

    // Python sends True/False.
    let l: Value = app.get(&format!("/v1/charges?app[id]={a}&paid=True"), key).await.json().await.expect("json");
    assert_eq!(l["data"].as_array().expect("data").len(), 1);
    assert_eq!(l["data"][0]["id"], ids[5]);
    let l: Value =
        app.get(&format!("/v1/charges?app[id]={a}&paid=false&limit=100"), key).await.json().await.expect("json");
    assert_eq!(l["data"].as_array().expect("data").len(), 5);
    let l: Value = app.get(&format!("/v1/charges?app[id]={a}&refunded=true"), key).await.json().await.expect("json");
    assert_eq!(l["data"].as_array().expect("data").len(), 0);
    let l: Value =
        app.get(&format!("/v1/charges?app[id]={a}&channel=sandbox&limit=100"), key).await.json().await.expect("json");
    assert_eq!(l["data"].as_array().expect("data").len(), 6);
    let created = paid["created"].as_i64().expect("created");
    let l: Value = app
        .get(&format!("/v1/charges?app[id]={a}&created[gt]={}&limit=100", created + 1000), key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(l["data"].as_array().expect("data").len(), 0);
    let l: Value = app
        .get(
            &format!(
                "/v1/charges?app[id]={a}&created[gte]={}&created[lte]={}&limit=100",
                created - 1000,
                created + 1000
            ),
            key,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(l["data"].as_array().expect("data").len(), 6);

    assert_error(app.get("/v1/charges", key).await, 400, "invalid_request_error", Some("app[id]")).await;
    assert_error(
        app.get(&format!("/v1/charges?app[id]={a}&limit=0"), key).await,
        400,
        "invalid_request_error",
        Some("limit"),
    )
    .await;
    assert_error(
        app.get(&format!("/v1/charges?app[id]={a}&limit=101"), key).await,
        400,
        "invalid_request_error",
        Some("limit"),
    )
    .await;
    assert_error(
        app.get(&format!("/v1/charges?app[id]={a}&paid=maybe"), key).await,
        400,
        "invalid_request_error",
        Some("paid"),
    )
    .await;
    assert_error(
        app.get(&format!("/v1/charges?app[id]={a}&starting_after=ch_nosuchcharge0000000000000"), key).await,
        400,
        "invalid_request_error",
        Some("starting_after"),
    )
    .await;
    assert_error(
        app.get(&format!("/v1/charges?app[id]={a}&created[gt]=yesterday"), key).await,
        400,
        "invalid_request_error",
        Some("created[gt]"),
    )
    .await;
}

#[tokio::test]
async fn reverse_closes_an_unpaid_charge_once() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let c = app.charge(100).await;
    let id = c["id"].as_str().expect("id");
    let r = app.post_json(&format!("/v1/charges/{id}/reverse"), key, &json!({})).await;
    assert_eq!(r.status(), 200);
    let after: Value = r.json().await.expect("json");
    assert_eq!(after["reversed"], true);
    assert_eq!(after["paid"], false);
    assert_eq!(after["credential"], json!({}));
    // Reversing again is harmless and emits nothing new.
    let again = app.post_json(&format!("/v1/charges/{id}/reverse"), key, &json!({})).await;
    assert_eq!(again.status(), 200);
    assert_eq!(app.events_for(id).await, vec!["charge.closed"]);
    // The sandbox refuses to take money for a closed trade.
    let url = c["credential"]["sandbox"]["pay_url"].as_str().expect("url");
    let r =
        app.http.post(url).header("accept", "application/json").form(&[("result", "paid")]).send().await.expect("pay");
    assert_eq!(r.status(), 409);

    let paid = app.paid_charge(100).await;
    let pid = paid["id"].as_str().expect("id");
    assert_error(
        app.post_json(&format!("/v1/charges/{pid}/reverse"), key, &json!({})).await,
        400,
        "invalid_request_error",
        Some("id"),
    )
    .await;
}

#[tokio::test]
async fn same_order_no_returns_the_same_charge_unless_terms_differ() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let body = charge_body(&app.tenant.app);
    let first: Value = app.post_json("/v1/charges", key, &body).await.json().await.expect("json");
    let second: Value = app.post_json("/v1/charges", key, &body).await.json().await.expect("json");
    assert_eq!(first["id"], second["id"]);
    let mut other = body.clone();
    other["amount"] = json!(999);
    assert_error(app.post_json("/v1/charges", key, &other).await, 400, "invalid_request_error", Some("order_no")).await;
    // The same order number is free in live mode and in another app.
    let other_app = app.new_tenant("Other").await;
    let mut b = body.clone();
    b["app"] = json!({"id": other_app.app});
    assert_eq!(app.post_json("/v1/charges", &other_app.test_key, &b).await.status(), 200);
}

#[tokio::test]
async fn meta_endpoints_and_unknown_routes() {
    let app = spawn().await;
    assert_eq!(app.http.get(app.url("/health")).send().await.expect("health").status(), 200);
    assert_eq!(app.http.get(app.url("/ready")).send().await.expect("ready").status(), 200);
    let doc: Value = app.http.get(app.url("/openapi.json")).send().await.expect("openapi").json().await.expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    // Every route the server has is documented.
    for path in [
        "/health",
        "/ready",
        "/openapi.json",
        "/platform_public_key.pem",
        "/notify/{channel}/{app}/{mode}",
        "/v1/charges",
        "/v1/charges/{id}",
        "/v1/charges/{id}/reverse",
        "/v1/charges/{id}/refunds",
        "/v1/charges/{id}/refunds/{refund_id}",
        "/v1/events",
        "/v1/events/{id}",
        "/v1/events/{id}/redeliver",
        "/v1/events/resend_failed",
        "/v1/apps/{id}/channels",
        "/v1/apps/{id}/channels/{channel}",
        "/v1/apps/{id}/webhook_endpoints",
        "/v1/apps/{id}/webhook_endpoints/{we}",
        "/v1/apps/{id}/webhook_endpoints/{we}/rotate_secret",
        "/sandbox/pay",
        "/sandbox/api/{op}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not in the OpenAPI document");
    }
    assert_error(app.get("/v1/nothing", &app.tenant.test_key).await, 404, "invalid_request_error", None).await;
}
