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
