use serde_json::Value;
use unicharge_tests::*;

#[tokio::test]
async fn events_list_filter_and_page() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let mut charges = Vec::new();
    for _ in 0..3 {
        charges.push(app.paid_charge(100).await);
    }
    let refund = app
        .post_json(
            &format!("/v1/charges/{}/refunds", charges[0]["id"].as_str().expect("id")),
            key,
            &serde_json::json!({"amount": 10}),
        )
        .await;
    assert_eq!(refund.status(), 200);

    let all: Value = app.get("/v1/events", key).await.json().await.expect("json");
    assert_eq!(all["object"], "list");
    assert_eq!(all["url"], "/v1/events");
    let data = all["data"].as_array().expect("data");
    assert_eq!(data.len(), 4);
    assert_eq!(data[0]["type"], "refund.succeeded", "newest first");
    assert_eq!(data[0]["data"]["object"]["object"], "refund");

    let page: Value = app.get("/v1/events?limit=2", key).await.json().await.expect("json");
    assert_eq!(page["has_more"], true);
    let next: Value = app
        .get(&format!("/v1/events?limit=2&starting_after={}", page["data"][1]["id"].as_str().expect("id")), key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(next["has_more"], false);
    assert_eq!(next["data"].as_array().expect("data").len(), 2);

    let only: Value = app
        .get(&format!("/v1/events?app[id]={}&type=charge.succeeded", app.tenant.app), key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(only["data"].as_array().expect("data").len(), 3);
    assert_error(app.get("/v1/events?type=charge.exploded", key).await, 400, "invalid_request_error", Some("type"))
        .await;
    assert_error(
        app.get("/v1/events/evt_nosuchevent0000000000000", key).await,
        404,
        "invalid_request_error",
        Some("id"),
    )
    .await;
    assert_error(app.get("/v1/events/not-an-id", key).await, 404, "invalid_request_error", Some("id")).await;
}
