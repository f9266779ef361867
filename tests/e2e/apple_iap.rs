//! Apple in-app purchase end to end in test mode: a purchase is made at the
//! built-in Apple sandbox (StoreKit's part), the tenant presents it, the
//! adapter verifies the JWS chain and looks the transaction up over the App
//! Store Server API with its bearer token, and the charge is created paid
//! with one `charge.succeeded`. The same purchase presented again (in turn,
//! concurrently, under another order_no) returns the same charge. Apple's
//! REFUND notification refunds it; a replay changes nothing. Forged,
//! expired, tampered, misaddressed, wrong-environment and malformed
//! purchases are refused with a Ping++ error and nothing stored.

use serde_json::{json, Value};
use unicharge_tests::*;

use crate::channel_support::{charge_state, post_notify, stored_config};

async fn purchase(app: &TestApp, body: Value) -> Value {
    let r = app.http.post(app.url("/sandbox/apple/control/purchase")).json(&body).send().await.expect("purchase");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

fn bundle(app: &TestApp) -> String {
    unicharge_server::channel_settings::apple_sandbox_bundle_id(&app.tenant.app)
}

/// A coins_6 purchase (600 fen, Apple price 6000 milliunits) of this app.
async fn buy_coins(app: &TestApp) -> Value {
    purchase(app, json!({"bundle_id": bundle(app), "product_id": "coins_6", "price": 6000, "currency": "CNY"})).await
}

async fn present(app: &TestApp, key: &str, amount: i64, extra: Value) -> reqwest::Response {
    let mut body = charge_body(&app.tenant.app);
    body["channel"] = json!("apple_iap");
    body["amount"] = json!(amount);
    body["extra"] = extra;
    app.post_json("/v1/charges", key, &body).await
}

async fn present_ok(app: &TestApp, amount: i64, extra: Value) -> Value {
    let r = present(app, &app.tenant.test_key, amount, extra).await;
    let status = r.status();
    let v: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{v}");
    v
}

async fn apple_charges(app: &TestApp, live: bool) -> usize {
    let filter = unicharge_store::ChargeFilter {
        app_id: app.tenant.app.clone(),
        livemode: live,
        channel: Some("apple_iap".into()),
        ..Default::default()
    };
    let page = unicharge_store::PageRequest { limit: 100, ..Default::default() };
    app.state.store.list_charges(&filter, page).await.expect("list").rows.len()
}

async fn send_notification(app: &TestApp, tx: &str, kind: &str, signing: &str) -> Value {
    let url = app.url(&format!("/notify/apple_iap/{}/test", app.tenant.app));
    let body = json!({"transaction_id": tx, "notification_type": kind, "url": url, "signing": signing});
    let r = app.http.post(app.url("/sandbox/apple/control/notify")).json(&body).send().await.expect("notify");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

#[tokio::test]
async fn signed_transaction_paid_deduplicated_and_refunded_by_apple() {
    let app = spawn().await;
    let p = buy_coins(&app).await;
    let tx = p["transaction_id"].as_str().expect("transaction_id");
    let c = present_ok(&app, 600, json!({"signed_transaction": p["signed_transaction"]})).await;
    let id = c["id"].as_str().expect("id").to_owned();
    assert_eq!((c["paid"].as_bool(), c["transaction_no"].as_str()), (Some(true), Some(tx)), "{c}");
    let cred = &c["credential"]["apple_iap"];
    assert_eq!((cred["product_id"].as_str(), cred["environment"].as_str()), (Some("coins_6"), Some("Sandbox")), "{c}");
    assert_eq!(app.events_for(&id).await, vec!["charge.succeeded"]);

    // Presented again under another order_no: the same charge, nothing new.
    let again = present_ok(&app, 600, json!({"signed_transaction": p["signed_transaction"]})).await;
    assert_eq!(again["id"], c["id"]);
    assert_eq!(app.events_for(&id).await, vec!["charge.succeeded"]);
    assert_eq!(apple_charges(&app, false).await, 1);

    // Two at once: one charge, both answers carry its id.
    let q = buy_coins(&app).await;
    let extra = json!({"signed_transaction": q["signed_transaction"]});
    let (a, b) = tokio::join!(present_ok(&app, 600, extra.clone()), present_ok(&app, 600, extra.clone()));
    assert_eq!(a["id"], b["id"], "{a} {b}");
    assert_eq!(apple_charges(&app, false).await, 2);
    assert_eq!(app.events_for(a["id"].as_str().expect("id")).await, vec!["charge.succeeded"]);

    // Tenants cannot refund: only Apple can. Nothing is written.
    let r = app.post_json(&format!("/v1/charges/{id}/refunds"), &app.tenant.test_key, &json!({})).await;
    let e = assert_error(r, 400, "invalid_request_error", Some("id")).await;
    assert_eq!(e["error"]["code"], "channel_refund_unsupported");
    assert_eq!(charge_state(&app, &id).await["amount_refunded"], 0);

    // CONSUMPTION_REQUEST: verified and acknowledged, nothing changes.
    let n = send_notification(&app, tx, "CONSUMPTION_REQUEST", "valid").await;
    assert_eq!(n["status"], 200, "{n}");
    assert_eq!(charge_state(&app, &id).await["refunded"], false);

    // Apple refunds: the charge is refunded in full, with one refund.succeeded.
    let n = send_notification(&app, tx, "REFUND", "valid").await;
    assert_eq!(n["status"], 200, "{n}");
    let after = charge_state(&app, &id).await;
    assert_eq!((after["refunded"].as_bool(), after["amount_refunded"].as_i64()), (Some(true), Some(600)), "{after}");
    let refund = &after["refunds"]["data"][0];
    assert_eq!((refund["status"].as_str(), refund["amount"].as_i64()), (Some("succeeded"), Some(600)), "{after}");
    let re_id = refund["id"].as_str().expect("refund id");
    assert_eq!(app.events_for(re_id).await, vec!["refund.succeeded"]);

    // The same notification replayed, then a REVOKE: acknowledged, nothing new.
    let replay = n["body"].to_string();
    assert_eq!(post_notify(&app, "apple_iap", "application/json", replay).await, "");
    send_notification(&app, tx, "REVOKE", "valid").await;
    let last = charge_state(&app, &id).await;
    assert_eq!(
        (last["amount_refunded"].as_i64(), last["refunds"]["data"].as_array().map(Vec::len)),
        (Some(600), Some(1))
    );
    assert_eq!(app.events_for(re_id).await, vec!["refund.succeeded"]);

    // A refunded purchase presented again is refused (Apple shows it revoked).
    let r = present(&app, &app.tenant.test_key, 600, json!({"signed_transaction": p["signed_transaction"]})).await;
    let e = assert_error(r, 402, "channel_error", None).await;
    assert_eq!(e["error"]["code"], "apple_transaction_revoked");
}

#[tokio::test]
async fn legacy_receipt_paid_after_the_21007_fallback() {
    let app = spawn().await;
    let p = buy_coins(&app).await;
    let c = present_ok(&app, 600, json!({"receipt_data": p["receipt_data"]})).await;
    assert_eq!((c["paid"].as_bool(), c["transaction_no"].as_str()), (Some(true), p["transaction_id"].as_str()), "{c}");
    // The same purchase as a StoreKit 2 JWS: the same charge.
    let again = present_ok(&app, 600, json!({"signed_transaction": p["signed_transaction"]})).await;
    assert_eq!(again["id"], c["id"]);
    let r = present(&app, &app.tenant.test_key, 600, json!({"receipt_data": "bm90IGEgcmVjZWlwdA=="})).await;
    assert_eq!(assert_error(r, 402, "channel_error", None).await["error"]["code"], "apple_receipt_invalid");
    assert_eq!(apple_charges(&app, false).await, 1);
}

#[tokio::test]
async fn forged_tampered_and_misaddressed_purchases_change_nothing() {
    let app = spawn().await;
    let b = bundle(&app);
    let signed = |p: &Value| json!({"signed_transaction": p["signed_transaction"]});
    let other_ca = purchase(&app, json!({"bundle_id": b, "product_id": "coins_6", "signing": "untrusted_ca"})).await;
    let expired = purchase(&app, json!({"bundle_id": b, "product_id": "coins_6", "signing": "expired"})).await;
    let wrong_bundle = purchase(&app, json!({"bundle_id": "com.example.other", "product_id": "coins_6"})).await;
    let wrong_price =
        purchase(&app, json!({"bundle_id": b, "product_id": "coins_6", "price": 1000, "currency": "CNY"})).await;
    let unknown = purchase(&app, json!({"bundle_id": b, "product_id": "gems_1"})).await;
    let good = buy_coins(&app).await;
    let jws = good["signed_transaction"].as_str().expect("jws");
    let parts: Vec<&str> = jws.split('.').collect();
    let payload = String::from_utf8(base64_url(parts[1])).expect("utf8").replace("coins_6", "coins_68");
    let tampered = format!("{}.{}.{}", parts[0], base64_url_encode(payload.as_bytes()), parts[2]);
    let cases = [
        (signed(&other_ca), 600, "apple_invalid_certificate_chain"),
        (signed(&expired), 600, "apple_certificate_expired"),
        (signed(&wrong_bundle), 600, "apple_invalid_app_identifier"),
        (signed(&wrong_price), 600, "apple_amount_mismatch"),
        (signed(&unknown), 600, "apple_unknown_product"),
        (signed(&good), 700, "apple_amount_mismatch"),
        (json!({"signed_transaction": tampered}), 6800, "apple_invalid_signature"),
        (json!({"signed_transaction": "abc.def"}), 600, "apple_malformed_jws"),
        (json!({"signed_transaction": format!("{}.e30.{}", parts[0], parts[2])}), 600, "apple_invalid_signature"),
    ];
    for (extra, amount, code) in cases {
        let r = present(&app, &app.tenant.test_key, amount, extra).await;
        let e = assert_error(r, 402, "channel_error", None).await;
        assert_eq!(e["error"]["code"], code, "{e}");
    }
    // Both or neither of the two ways is a parameter error.
    let r = present(&app, &app.tenant.test_key, 600, json!({})).await;
    assert_error(r, 400, "invalid_request_error", Some("extra[signed_transaction]")).await;
    assert_eq!(apple_charges(&app, false).await, 0, "nothing was stored");
}

#[tokio::test]
async fn sandbox_purchase_refused_with_a_live_key() {
    let app = spawn().await;
    let test_cfg = stored_config(&app, &app.tenant.app, unicharge_domain::ChannelCode::AppleIap).await;
    let params = json!({
        "bundle_id": bundle(&app),
        "app_apple_id": "1234",
        "issuer_id": test_cfg.param("issuer_id"),
        "key_id": test_cfg.param("key_id"),
        "private_key": test_cfg.require_secret("private_key").expect("key"),
        "products": test_cfg.param("products"),
        // The sandbox's root, so the signature passes and the environment decides.
        "root_cert": test_cfg.param("root_cert"),
    });
    let r = app
        .http
        .put(app.url(&format!("/v1/apps/{}/channels/apple_iap", app.tenant.app)))
        .bearer_auth(&app.tenant.live_key)
        .json(&json!({"params": params, "enabled": true}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let p = buy_coins(&app).await;
    let r = present(&app, &app.tenant.live_key, 600, json!({"signed_transaction": p["signed_transaction"]})).await;
    let e = assert_error(r, 402, "channel_error", None).await;
    assert_eq!(e["error"]["code"], "apple_invalid_environment");
    assert_eq!(apple_charges(&app, true).await, 0);
}

#[tokio::test]
async fn forged_refund_notifications_change_nothing() {
    let app = spawn().await;
    let p = buy_coins(&app).await;
    let tx = p["transaction_id"].as_str().expect("tx");
    let c = present_ok(&app, 600, json!({"signed_transaction": p["signed_transaction"]})).await;
    let id = c["id"].as_str().expect("id");
    for signing in ["untrusted_ca", "expired"] {
        let n = send_notification(&app, tx, "REFUND", signing).await;
        assert_eq!(n["status"], 400, "{signing}: {n}");
    }
    assert_eq!(
        post_notify(&app, "apple_iap", "application/json", "{\"signedPayload\":\"x.y.z\"}".into()).await,
        "rejected"
    );
    assert_eq!(post_notify(&app, "apple_iap", "application/json", "not json".into()).await, "rejected");
    let after = charge_state(&app, id).await;
    assert_eq!((after["refunded"].as_bool(), after["amount_refunded"].as_i64()), (Some(false), Some(0)), "{after}");
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
}

fn base64_url(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).expect("base64url")
}

fn base64_url_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A tenant's own in-app purchase key and product table in test mode: the
/// PUT registers the key with the built-in sandbox (as uploading it to App
/// Store Connect would), so its bearer tokens are accepted, and the new
/// table decides what can be bought. A key id already registered keeps its
/// first key, so another app's id cannot be taken over.
#[tokio::test]
async fn a_tenants_own_key_and_products_work_in_test_mode() {
    let app = spawn().await;
    let provisioned = stored_config(&app, &app.tenant.app, unicharge_domain::ChannelCode::AppleIap).await;
    let (_, pem) = unicharge_crypto::Es256Signer::generate().expect("key");
    let key_id = format!("T{}", &app.tenant.app[4..13]).to_uppercase();
    let put = |key_id: String, pem: String| {
        let params = json!({
            "bundle_id": bundle(&app),
            "issuer_id": "57246542-96fe-1a63-e053-0824d011072a",
            "key_id": key_id,
            "private_key": pem,
            "products": r#"{"gems_12": 1200}"#,
            "root_cert": provisioned.param("root_cert"),
        });
        app.http
            .put(app.url(&format!("/v1/apps/{}/channels/apple_iap", app.tenant.app)))
            .bearer_auth(&app.tenant.test_key)
            .json(&json!({"params": params, "enabled": true}))
            .send()
    };
    let r = put(key_id.clone(), pem).await.expect("put");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());

    let p =
        purchase(&app, json!({"bundle_id": bundle(&app), "product_id": "gems_12", "price": 12000, "currency": "CNY"}))
            .await;
    let c = present_ok(&app, 1200, json!({"signed_transaction": p["signed_transaction"]})).await;
    assert_eq!(c["paid"], true, "{c}");
    assert_eq!(c["transaction_no"], p["transaction_id"]);

    // The old demo product is no longer on sale for this app.
    let old = buy_coins(&app).await;
    let r = present(&app, &app.tenant.test_key, 600, json!({"signed_transaction": old["signed_transaction"]})).await;
    let e = assert_error(r, 402, "channel_error", None).await;
    assert_eq!(e["error"]["code"], "apple_unknown_product");

    // Another key under the provisioned key id: the sandbox keeps the first
    // registration, so this configuration's bearer tokens are refused and
    // nothing is paid.
    let (_, other) = unicharge_crypto::Es256Signer::generate().expect("key");
    let r = put(provisioned.param("key_id").expect("key id").to_owned(), other).await.expect("put");
    assert_eq!(r.status(), 200);
    let p =
        purchase(&app, json!({"bundle_id": bundle(&app), "product_id": "gems_12", "price": 12000, "currency": "CNY"}))
            .await;
    let r = present(&app, &app.tenant.test_key, 1200, json!({"signed_transaction": p["signed_transaction"]})).await;
    assert!(r.status().is_client_error() || r.status().is_server_error(), "{}", r.status());
    assert_eq!(apple_charges(&app, false).await, 1);

    // Not a P-256 key: refused before anything is saved.
    let r = put(format!("{key_id}X"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into())
        .await
        .expect("put");
    assert_error(r, 400, "invalid_request_error", Some("params[private_key]")).await;
}
