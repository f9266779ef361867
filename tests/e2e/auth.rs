use base64::Engine;
use serde_json::{json, Value};
use unicharge_tests::*;

#[tokio::test]
async fn keys_bearer_basic_and_refusals() {
    let app = spawn().await;
    let c = app.charge(100).await;
    let id = c["id"].as_str().expect("id");
    let path = format!("/v1/charges/{id}");

    // Basic auth with the key as user name, as the Go and Node SDKs send it.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:", app.tenant.test_key));
    let r = app.http.get(app.url(&path)).header("authorization", format!("Basic {basic}")).send().await.expect("get");
    assert_eq!(r.status(), 200);

    let r = app.http.get(app.url(&path)).send().await.expect("get");
    assert_error(r, 401, "invalid_request_error", None).await;
    assert_error(app.get(&path, "sk_test_bogus").await, 401, "invalid_request_error", None).await;
    assert_error(app.get(&path, "pk_test_notasecret").await, 401, "invalid_request_error", None).await;
    // Right characters, wrong prefix for the stored mode.
    let swapped = app.tenant.test_key.replacen("sk_test_", "sk_live_", 1);
    assert_error(app.get(&path, &swapped).await, 401, "invalid_request_error", None).await;

    // Revocation takes effect at once on this node.
    let k =
        unicharge_server::ops::create_key(&app.state, &app.tenant.id, unicharge_domain::Mode::Test).await.expect("key");
    let secret = secrecy::ExposeSecret::expose_secret(&k.secret).to_owned();
    assert_eq!(app.get(&path, &secret).await.status(), 200);
    unicharge_server::ops::revoke_key(&app.state, &k.row.id).await.expect("revoke");
    assert_error(app.get(&path, &secret).await, 401, "invalid_request_error", None).await;

    // Keys are stored only as keyed hashes.
    let stored = app.state.store.list_api_keys(&app.tenant.id).await.expect("keys");
    for row in stored {
        assert_ne!(row.key_hash, app.tenant.test_key);
        assert!(!row.key_hash.contains(&app.tenant.test_key[8..]));
        assert_eq!(row.key_hash.len(), 64);
    }
}

#[tokio::test]
async fn tenants_never_see_or_touch_each_others_objects() {
    let app = spawn().await;
    let paid = app.paid_charge(100).await;
    let id = paid["id"].as_str().expect("id");
    let mine = &app.tenant;
    let thief = app.new_tenant("Mallory").await;
    let k = &thief.test_key;

    assert_error(app.get(&format!("/v1/charges/{id}"), k).await, 404, "invalid_request_error", Some("id")).await;
    assert_error(
        app.get(&format!("/v1/charges?app[id]={}", mine.app), k).await,
        404,
        "invalid_request_error",
        Some("id"),
    )
    .await;
    assert_error(
        app.post_json(&format!("/v1/charges/{id}/refunds"), k, &json!({"amount": 1})).await,
        404,
        "invalid_request_error",
        Some("id"),
    )
    .await;
    assert_error(
        app.post_json(&format!("/v1/charges/{id}/reverse"), k, &json!({})).await,
        404,
        "invalid_request_error",
        Some("id"),
    )
    .await;
    assert_error(app.get(&format!("/v1/charges/{id}/refunds"), k).await, 404, "invalid_request_error", Some("id"))
        .await;
    let put = app
        .http
        .put(app.url(&format!("/v1/apps/{}/channels/sandbox", mine.app)))
        .bearer_auth(k)
        .json(&json!({"params": {"mch_id": "evil", "key": "evil"}}))
        .send()
        .await
        .expect("put");
    assert_error(put, 404, "invalid_request_error", Some("id")).await;

    let mine_events: Value = app.get("/v1/events", &mine.test_key).await.json().await.expect("json");
    let evt = mine_events["data"][0]["id"].as_str().expect("event").to_owned();
    assert_error(app.get(&format!("/v1/events/{evt}"), k).await, 404, "invalid_request_error", Some("id")).await;
    let theirs: Value = app.get("/v1/events", k).await.json().await.expect("json");
    assert_eq!(theirs["data"].as_array().expect("data").len(), 0);
    assert_error(
        app.get(&format!("/v1/events?app[id]={}", mine.app), k).await,
        404,
        "invalid_request_error",
        Some("id"),
    )
    .await;

    // After all that, the victim's charge is untouched.
    let after: Value = app.get(&format!("/v1/charges/{id}"), &mine.test_key).await.json().await.expect("json");
    assert_eq!(after["amount_refunded"], 0);
    assert_eq!(after["paid"], true);
}

#[tokio::test]
async fn test_and_live_data_never_mix() {
    let app = spawn().await;
    let c = app.paid_charge(100).await;
    let id = c["id"].as_str().expect("id");
    let live = &app.tenant.live_key;
    assert_error(app.get(&format!("/v1/charges/{id}"), live).await, 404, "invalid_request_error", Some("id")).await;
    let l: Value = app.get(&format!("/v1/charges?app[id]={}", app.tenant.app), live).await.json().await.expect("json");
    assert_eq!(l["data"].as_array().expect("data").len(), 0);
    let e: Value = app.get("/v1/events", live).await.json().await.expect("json");
    assert_eq!(e["data"].as_array().expect("data").len(), 0);
    let test_events: Value = app.get("/v1/events", &app.tenant.test_key).await.json().await.expect("json");
    let evt = test_events["data"][0]["id"].as_str().expect("evt");
    assert_error(app.get(&format!("/v1/events/{evt}"), live).await, 404, "invalid_request_error", Some("id")).await;
    assert_error(
        app.post_json(&format!("/v1/charges/{id}/refunds"), live, &json!({})).await,
        404,
        "invalid_request_error",
        Some("id"),
    )
    .await;
}
