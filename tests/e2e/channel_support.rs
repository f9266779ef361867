//! What the provider end-to-end tests (`alipay.rs`, `wechat*.rs`) share:
//! creating a charge on a channel, reading it back, and the published
//! vectors under `tests/vectors/{provider}/`.

use serde_json::{json, Value};
use unicharge_tests::*;

/// A vector file, e.g. `vector("wechat", "test-mch_cert.pem")`.
pub fn vector(provider: &str, name: &str) -> String {
    let path = format!("{}/vectors/{provider}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Creates a charge on `channel` with the test key; it must succeed.
pub async fn create(app: &TestApp, channel: &str, amount: i64, extra: Value) -> Value {
    let mut body = charge_body(&app.tenant.app);
    body["channel"] = json!(channel);
    body["amount"] = json!(amount);
    body["extra"] = extra;
    let r = app.post_json("/v1/charges", &app.tenant.test_key, &body).await;
    let status = r.status();
    let v: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "create {channel} charge: {v}");
    v
}

pub async fn charge_state(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/charges/{id}"), &app.tenant.test_key).await.json().await.expect("json")
}

/// The app's test-mode configuration of `channel`, secrets opened, as the
/// server loads it.
pub async fn stored_config(
    app: &TestApp,
    app_id: &str,
    channel: unicharge_domain::ChannelCode,
) -> std::sync::Arc<unicharge_channels::ChannelConfig> {
    unicharge_server::channel_settings::load(&app.state, app_id, unicharge_domain::Mode::Test, channel)
        .await
        .expect("load")
        .unwrap_or_else(|| panic!("the app has a test-mode {} configuration", channel.as_str()))
}

/// Replaces the app's test-mode configuration of `channel` (a secret left
/// out keeps its stored value); it must be accepted.
pub async fn put_channel(app: &TestApp, channel: &str, params: Value) {
    let r = app
        .http
        .put(app.url(&format!("/v1/apps/{}/channels/{channel}", app.tenant.app)))
        .bearer_auth(&app.tenant.test_key)
        .json(&json!({"params": params, "enabled": true}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200, "configure {channel}: {}", r.text().await.unwrap_or_default());
}

/// POSTs a raw notification to `/notify/{channel}/{app}/test`; the answer's text.
pub async fn post_notify(app: &TestApp, channel: &str, content_type: &str, body: String) -> String {
    app.http
        .post(app.url(&format!("/notify/{channel}/{}/test", app.tenant.app)))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("notify")
        .text()
        .await
        .expect("text")
}

/// The buyer pressing a button of a sandbox page (`Accept: application/json`).
pub async fn buyer_post(app: &TestApp, url: &str) -> (u16, Value) {
    let r = app.http.post(url).header("accept", "application/json").send().await.expect("buyer POST");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}
