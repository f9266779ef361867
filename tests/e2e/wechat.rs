//! WeChat Pay end to end in test mode: the adapter talks to the built-in
//! WeChat Pay sandbox over real HTTP (APIv3 with downloaded platform
//! certificates, or APIv2 after the tenant switches), the buyer pays at the
//! sandbox cashier, the sandbox notifies our notify endpoint (v3: signed and
//! encrypted; v2: signed XML), and the charge, its refund and their events
//! follow. Forged and replayed notifications are in `wechat_notify.rs` (v3)
//! and `wechat_notify_v2.rs`.

use serde_json::{json, Value};
use std::time::Duration;
use unicharge_tests::*;

/// The app's test-mode WeChat Pay merchant, as provisioning issued it.
pub struct Merchant {
    pub mchid: String,
    pub appid: String,
    pub merchant_key: String,
    pub apiv3_key: String,
    pub api_key: String,
}

pub async fn merchant(app: &TestApp, app_id: &str) -> Merchant {
    let cfg = stored_config(app, app_id, unicharge_domain::ChannelCode::Wx).await;
    assert_eq!(cfg.param("api_version"), Some("v3"));
    let secret = |n: &str| cfg.require_secret(n).expect(n).to_owned();
    Merchant {
        mchid: cfg.param("mchid").expect("mchid").to_owned(),
        appid: cfg.param("appid").expect("appid").to_owned(),
        merchant_key: secret("merchant_private_key"),
        apiv3_key: secret("apiv3_key"),
        api_key: secret("api_key"),
    }
}

pub use crate::channel_support::{buyer_post, charge_state, create, stored_config};

pub fn vector(name: &str) -> String {
    crate::channel_support::vector("wechat", name)
}

/// Switches the app to APIv2 against the same sandbox merchant, as a tenant
/// can: the provisioned v2 `api_key` and `client_key` are never shown, and a
/// PUT that leaves a secret out keeps the stored one. Refunds and reversals
/// (`secapi/*`) present the merchant API certificate the sandbox issued at
/// provisioning (`client_cert`, shown by `GET /v1/apps/{app}/channels`).
pub async fn use_v2(app: &TestApp, m: &Merchant, sign_type: &str) {
    let params = json!({"api_version": "v2", "mch_id": m.mchid, "appid": m.appid,
        "sign_type": sign_type, "client_cert": provisioned_client_cert(app).await});
    put_wx(app, params).await;
}

/// The `client_cert` of the app's test-mode wx configuration, as the API shows it.
pub async fn provisioned_client_cert(app: &TestApp) -> String {
    let path = format!("/v1/apps/{}/channels", app.tenant.app);
    let list: Value = app.get(&path, &app.tenant.test_key).await.json().await.expect("json");
    let wx = list["data"].as_array().and_then(|d| d.iter().find(|c| c["channel"] == "wx")).expect("wx config");
    let cert = wx["params"]["client_cert"].as_str().expect("a provisioned client_cert").to_owned();
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"), "{cert}");
    assert!(!wx.to_string().contains("PRIVATE KEY"), "the key is never shown: {wx}");
    cert
}

pub async fn put_wx(app: &TestApp, params: Value) {
    crate::channel_support::put_channel(app, "wx", params).await;
}

/// The charge is still unpaid and has no events.
pub async fn unchanged(app: &TestApp, id: &str, what: &str) {
    let now = charge_state(app, id).await;
    assert_eq!(now["paid"], false, "{what} changed the charge: {now}");
    assert!(app.events_for(id).await.is_empty(), "{what} emitted an event");
}

/// The buyer scans the Native code with WeChat and pays at the cashier.
pub async fn scan_and_pay(app: &TestApp, code_url: &str) -> Value {
    let r = app
        .http
        .get(app.url("/sandbox/wechat/scan"))
        .query(&[("code_url", code_url)])
        .header("accept", "application/json")
        .send()
        .await
        .expect("scan");
    assert_eq!(r.status(), 200, "scan");
    let trade: Value = r.json().await.expect("json");
    assert_eq!(trade["trade_state"], "NOTPAY", "{trade}");
    let prepay_id = trade["prepay_id"].as_str().expect("prepay_id");
    let (status, paid) = buyer_post(app, &app.url(&format!("/sandbox/wechat/cashier/{prepay_id}/pay"))).await;
    assert_eq!(status, 200, "cashier pay: {paid}");
    paid
}

/// Refunds are answered as accepted; the refund notification settles them.
async fn refund_settles(app: &TestApp, charge_id: &str, amount: i64) -> Value {
    let path = format!("/v1/charges/{charge_id}/refunds");
    let r = app.post_json(&path, &app.tenant.test_key, &json!({"amount": amount, "description": "test"})).await;
    let status = r.status();
    let refund: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{refund}");
    assert_eq!(refund["amount"], amount);
    let re_id = refund["id"].as_str().expect("re id").to_owned();
    for _ in 0..100 {
        let now: Value = app.get(&format!("{path}/{re_id}"), &app.tenant.test_key).await.json().await.expect("json");
        if now["status"] == "succeeded" {
            assert_eq!(app.events_for(&re_id).await, vec!["refund.succeeded"]);
            return now;
        }
        assert_eq!(now["status"], "pending", "{now}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("refund {re_id} did not succeed");
}

async fn native_paid_and_refunded(app: &TestApp) {
    let c = create(app, "wx_pub_qr", 1234, json!({})).await;
    let id = c["id"].as_str().expect("id");
    assert_eq!(c["paid"], false);
    let code_url = c["credential"]["wx_pub_qr"].as_str().expect("credential.wx_pub_qr is the code_url");
    assert!(code_url.starts_with("weixin://wxpay/bizpayurl?pr="), "{code_url}");

    let paid = scan_and_pay(app, code_url).await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["notified"], true, "our notify endpoint acknowledged: {paid}");
    let after = charge_state(app, id).await;
    assert_eq!(after["paid"], true, "{after}");
    assert_eq!(after["transaction_no"], paid["transaction_id"]);
    assert_eq!(after["amount"], 1234);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);

    let refund = refund_settles(app, id, 234).await;
    assert_eq!(refund["charge"], id);
    assert!(refund["transaction_no"].as_str().is_some_and(|t| t.starts_with("503")), "WeChat's refund_id: {refund}");
    assert_eq!(charge_state(app, id).await["amount_refunded"], 234);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"], "the charge's own events are unchanged");
}

#[tokio::test]
async fn wechat_native_v3_paid_notified_and_refunded() {
    let app = spawn().await;
    native_paid_and_refunded(&app).await;
}

#[tokio::test]
async fn wechat_native_v2_paid_notified_and_refunded() {
    let app = spawn().await;
    let m = merchant(&app, &app.tenant.app).await;
    use_v2(&app, &m, "HMAC-SHA256").await;
    native_paid_and_refunded(&app).await;
}

#[tokio::test]
async fn wechat_provisioning_keeps_keys_sealed_and_apps_apart() {
    let app = spawn().await;
    let m = merchant(&app, &app.tenant.app).await;
    assert!(m.mchid.len() == 10 && m.mchid.starts_with("19"), "{}", m.mchid);
    assert!(m.appid.len() == 18 && m.appid.starts_with("wx"), "{}", m.appid);
    assert_eq!((m.apiv3_key.len(), m.api_key.len()), (32, 32));
    let entry = app.state.store.get_setting(&format!("sandbox.wechat.mch.{}", m.mchid)).await.expect("store");
    let entry = entry.expect("the merchant is registered with the sandbox");
    assert!(!entry.contains(&m.apiv3_key) && !entry.contains(&m.api_key), "keys are sealed: {entry}");
    let key = app.state.store.get_setting("sandbox_wechat_rsa_key").await.expect("store").expect("sandbox key");
    assert!(!key.contains("PRIVATE KEY"), "the sandbox's platform key is sealed");

    let other = app.new_tenant("Other").await;
    let o = merchant(&app, &other.app).await;
    assert_ne!((&m.mchid, &m.appid, &m.apiv3_key), (&o.mchid, &o.appid, &o.apiv3_key));
}

fn verify_rsa(m: &Merchant, lines: &[&str], sig: &str) -> bool {
    let public = unicharge_crypto::RsaSigner::parse(&m.merchant_key).and_then(|k| k.public_key_pem()).expect("pub");
    let key = unicharge_crypto::RsaPublicKey::parse(&public).expect("key");
    let msg: String = lines.iter().map(|l| format!("{l}\n")).collect();
    key.verify_sha256_b64(msg.as_bytes(), sig)
}

#[tokio::test]
async fn wechat_every_product_builds_its_credential_against_the_sandbox() {
    let app = spawn().await;
    let m = merchant(&app, &app.tenant.app).await;

    let c = create(&app, "wx", 100, json!({})).await;
    let w = &c["credential"]["wx"];
    assert_eq!(
        (&w["appId"], &w["partnerId"], &w["packageValue"]),
        (&json!(m.appid), &json!(m.mchid), &json!("Sign=WXPay"))
    );
    let (prepay, nonce, ts) =
        (w["prepayId"].as_str().expect("prepayId"), w["nonceStr"].as_str().expect("n"), w["timeStamp"].to_string());
    assert!(verify_rsa(&m, &[&m.appid, &ts, nonce, prepay], w["sign"].as_str().expect("sign")), "{w}");

    for channel in ["wx_pub", "wx_lite"] {
        let openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
        let c = create(&app, channel, 100, json!({"open_id": openid})).await;
        let j = &c["credential"][channel];
        assert_eq!((&j["appId"], &j["signType"]), (&json!(m.appid), &json!("RSA")), "{j}");
        let package = j["package"].as_str().expect("package");
        assert!(package.starts_with("prepay_id=wx"), "{j}");
        let lines =
            [m.appid.as_str(), j["timeStamp"].as_str().expect("ts"), j["nonceStr"].as_str().expect("n"), package];
        assert!(verify_rsa(&m, &lines, j["paySign"].as_str().expect("paySign")), "{channel}: {j}");
    }
    let mut body = charge_body(&app.tenant.app);
    body["channel"] = json!("wx_pub");
    let r = app.post_json("/v1/charges", &app.tenant.test_key, &body).await;
    assert_error(r, 400, "invalid_request_error", Some("extra[open_id]")).await;

    let c = create(&app, "wx_wap", 100, json!({})).await;
    let h5 = c["credential"]["wx_wap"].as_str().expect("credential.wx_wap is the h5_url");
    assert!(h5.starts_with(&app.base), "the h5_url opens the sandbox: {h5}");
    let trade: Value =
        app.http.get(h5).header("accept", "application/json").send().await.expect("h5").json().await.expect("json");
    assert_eq!((&trade["trade_type"], &trade["total"]), (&json!("MWEB"), &json!(100)), "{trade}");

    // Micropay is APIv2 only.
    use_v2(&app, &m, "MD5").await;
    let c = create(&app, "wx_pub_scan", 100, json!({"scan_code": "134000000000000000"})).await;
    assert_eq!(c["paid"], true, "a payment code that pays at once: {c}");
    let id = c["id"].as_str().expect("id");
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
    let c = create(&app, "wx", 100, json!({})).await;
    let w = &c["credential"]["wx"];
    let ts = w["timeStamp"].to_string();
    let fields = [
        ("appid", m.appid.as_str()),
        ("partnerid", &m.mchid),
        ("prepayid", w["prepayId"].as_str().expect("p")),
        ("package", "Sign=WXPay"),
        ("noncestr", w["nonceStr"].as_str().expect("n")),
        ("timestamp", &ts),
    ];
    assert_eq!(w["sign"], unicharge_crypto::wechat_v2_sign(fields, &m.api_key, false), "{w}");
}
