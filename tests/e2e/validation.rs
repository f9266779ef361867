use serde_json::{json, Value};
use unicharge_tests::*;

/// Every way a charge request can be wrong gets a 400 naming the parameter,
/// and none of them writes anything.
#[tokio::test]
async fn every_validation_error_names_its_parameter_and_writes_nothing() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let a = app.tenant.app.clone();
    let later = |secs: i64| {
        json!(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64 + secs
        )
    };
    let cases: Vec<(&str, Option<Value>, &str)> = vec![
        ("amount", Some(json!(0)), "amount"),
        ("amount", Some(json!(-5)), "amount"),
        ("amount", Some(json!(1.5)), "amount"),
        ("amount", Some(json!("ten")), "amount"),
        ("amount", Some(json!(10_000_000_001i64)), "amount"),
        ("amount", None, "amount"),
        ("currency", Some(json!("usd")), "currency"),
        ("currency", None, "currency"),
        ("channel", Some(json!("alipay_magic")), "channel"),
        ("channel", None, "channel"),
        ("order_no", Some(json!("has-dash")), "order_no"),
        ("order_no", Some(json!("x".repeat(65))), "order_no"),
        ("order_no", Some(json!("")), "order_no"),
        ("client_ip", Some(json!("300.1.1.1")), "client_ip"),
        ("client_ip", None, "client_ip"),
        ("subject", Some(json!("字".repeat(33))), "subject"),
        ("subject", None, "subject"),
        ("body", Some(json!("b".repeat(129))), "body"),
        ("body", None, "body"),
        ("extra", Some(json!(["not", "an", "object"])), "extra"),
        ("metadata", Some(json!({"k": {"deep": true}})), "metadata[k]"),
        ("metadata", Some(json!("str")), "metadata"),
        ("time_expire", Some(later(-10)), "time_expire"),
        ("time_expire", Some(later(16 * 24 * 3600)), "time_expire"),
        ("description", Some(json!("d".repeat(256))), "description"),
        ("app", Some(json!({"id": "not-an-app"})), "app[id]"),
        ("app", None, "app[id]"),
    ];
    for (field, value, param) in cases {
        let mut body = charge_body(&a);
        match value {
            Some(v) => body[field] = v,
            None => {
                body.as_object_mut().expect("object").remove(field);
            }
        }
        let r = app.post_json("/v1/charges", key, &body).await;
        let err = assert_error(r, 400, "invalid_request_error", Some(param)).await;
        assert!(err["error"]["code"].as_str().expect("code").starts_with("parameter_"), "{field}: {err}");
    }

    // Malformed bodies.
    let r = app
        .http
        .post(app.url("/v1/charges"))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_error(r, 400, "invalid_request_error", None).await;
    let r = app
        .http
        .post(app.url("/v1/charges"))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body("[1,2]")
        .send()
        .await
        .expect("send");
    assert_error(r, 400, "invalid_request_error", None).await;
    let huge = json!({"subject": "x".repeat(70 * 1024)});
    let r = app.post_json("/v1/charges", key, &huge).await;
    assert_error(r, 413, "invalid_request_error", None).await;

    // An app of another tenant is "no such app".
    let other = app.new_tenant("Other").await;
    let mut body = charge_body(&other.app);
    body["app"] = json!({"id": other.app});
    assert_error(app.post_json("/v1/charges", key, &body).await, 404, "invalid_request_error", Some("id")).await;

    // A disabled channel is refused.
    let r = app
        .http
        .put(app.url(&format!("/v1/apps/{a}/channels/sandbox")))
        .bearer_auth(key)
        .json(&json!({"params": {"mch_id": "sbx1", "key": "k"}, "enabled": false}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);
    assert_error(
        app.post_json("/v1/charges", key, &charge_body(&a)).await,
        400,
        "invalid_request_error",
        Some("channel"),
    )
    .await;

    // The sandbox channel is test-only: a live key cannot use it.
    let mut body = charge_body(&a);
    body["app"] = json!({"id": a});
    assert_error(
        app.post_json("/v1/charges", &app.tenant.live_key, &body).await,
        400,
        "invalid_request_error",
        Some("channel"),
    )
    .await;

    let list: Value = app.get(&format!("/v1/charges?app[id]={a}&limit=100"), key).await.json().await.expect("json");
    assert_eq!(list["data"].as_array().expect("data").len(), 0, "nothing was written");
    let list: Value = app.get("/v1/events", key).await.json().await.expect("json");
    assert_eq!(list["data"].as_array().expect("data").len(), 0, "no events either");
}

#[tokio::test]
async fn channel_configuration_validates_and_never_returns_secrets() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let a = &app.tenant.app;
    let put = |body: Value| {
        let url = app.url(&format!("/v1/apps/{a}/channels/sandbox"));
        let req = app.http.put(url).bearer_auth(key).json(&body);
        async move { req.send().await.expect("put") }
    };
    assert_error(
        put(json!({"params": {"mch_id": "m", "key": "k", "colour": "red"}})).await,
        400,
        "invalid_request_error",
        Some("params[colour]"),
    )
    .await;
    // A required secret with nothing stored is missing; one already stored
    // (the provisioned sandbox key) is kept when left out.
    let live_alipay = app
        .http
        .put(app.url(&format!("/v1/apps/{a}/channels/alipay")))
        .bearer_auth(&app.tenant.live_key)
        .json(&json!({"params": {"app_id": "2021000000000001", "alipay_public_key": "x"}}))
        .send()
        .await
        .expect("put");
    assert_error(live_alipay, 400, "invalid_request_error", Some("params[app_private_key]")).await;
    let kept = put(json!({"params": {"mch_id": "m"}})).await;
    assert_eq!(kept.status(), 200, "the stored key is kept");
    assert_error(put(json!({})).await, 400, "invalid_request_error", Some("params")).await;
    assert_error(
        app.http
            .put(app.url(&format!("/v1/apps/{a}/channels/nope")))
            .bearer_auth(key)
            .json(&json!({"params": {}}))
            .send()
            .await
            .expect("put"),
        400,
        "invalid_request_error",
        Some("channel"),
    )
    .await;

    let r = put(json!({"params": {"mch_id": "sbx999", "key": "super-secret-key-value"}})).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.expect("text");
    assert!(!text.contains("super-secret-key-value"), "secret echoed: {text}");
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["params"]["mch_id"], "sbx999");

    let rows = app.state.store.list_channel_configs(a).await.expect("rows");
    for row in rows {
        assert!(!row.sealed_secrets.contains("super-secret"), "secret stored in plaintext");
        assert!(!row.params.contains("super-secret"));
    }
    let list = app.get(&format!("/v1/apps/{a}/channels"), key).await.text().await.expect("text");
    assert!(!list.contains("super-secret"));
}
