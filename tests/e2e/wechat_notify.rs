//! WeChat Pay APIv3 notifications that must be refused: forged, stale,
//! tampered, misaddressed, for the wrong amount. Each is answered with HTTP
//! 5xx and `{"code":"FAIL"}` and leaves the charge unpaid with no events. A
//! genuine one replayed is acknowledged every time but changes the charge
//! once. APIv2's are in `wechat_notify_v2.rs`.
//!
//! v3 notifications are built here as WeChat Pay would: the resource is
//! encrypted with the app's APIv3 key and the body signed with the
//! sandbox's platform key, which the test opens from the settings table
//! (where the server keeps it sealed) — the adapter knows that key's
//! certificate from `/v3/certificates`.

use crate::wechat::{charge_state, create, merchant, unchanged, vector, Merchant};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use unicharge_crypto::RsaSigner;
use unicharge_tests::*;

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

async fn sandbox_platform_key(app: &TestApp) -> RsaSigner {
    let name = "sandbox_wechat_rsa_key";
    let sealed = app.state.store.get_setting(name).await.expect("store").expect("the sandbox key exists");
    let pem = app.state.sealer.open(&sealed, name).expect("opens with the master key");
    RsaSigner::parse(std::str::from_utf8(&pem).expect("utf-8")).expect("key")
}

fn transaction(m: &Merchant, order_no: &str, total: i64) -> Value {
    json!({
        "mchid": m.mchid, "appid": m.appid, "out_trade_no": order_no,
        "transaction_id": "4200000000202612010000000001", "trade_type": "NATIVE", "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功", "bank_type": "OTHERS", "success_time": "2026-12-01T18:00:00+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"},
    })
}

fn encrypted_body(apiv3_key: &str, resource: &Value) -> String {
    let nonce = "fdasflkja484";
    let ct = unicharge_crypto::aes_gcm_encrypt(
        apiv3_key.as_bytes(),
        nonce.as_bytes(),
        b"transaction",
        resource.to_string().as_bytes(),
    )
    .expect("encrypt");
    json!({
        "id": "EV-2018022511223320873", "create_time": "2026-12-01T18:00:01+08:00",
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": B64.encode(ct),
            "associated_data": "transaction", "nonce": nonce},
    })
    .to_string()
}

struct V3Notice {
    body: String,
    headers: Vec<(&'static str, String)>,
}

fn signed(body: String, key: &RsaSigner, serial: &str, timestamp: i64) -> V3Notice {
    let (ts, nonce) = (timestamp.to_string(), "593BEC0C930BF1AFEB40B4A08C8FB242".to_owned());
    let signature = key.sign_sha256_b64(format!("{ts}\n{nonce}\n{body}\n").as_bytes());
    let headers = vec![
        ("wechatpay-timestamp", ts),
        ("wechatpay-nonce", nonce),
        ("wechatpay-signature", signature),
        ("wechatpay-serial", serial.to_owned()),
        ("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048".to_owned()),
    ];
    V3Notice { body, headers }
}

async fn post_v3(app: &TestApp, n: &V3Notice) -> (u16, Value) {
    let mut req = app
        .http
        .post(app.url(&format!("/notify/wx_pub_qr/{}/test", app.tenant.app)))
        .header("content-type", "application/json")
        .body(n.body.clone());
    for (k, v) in &n.headers {
        req = req.header(*k, v);
    }
    let r = req.send().await.expect("notify");
    let status = r.status().as_u16();
    let text = r.text().await.expect("text");
    (status, serde_json::from_str(&text).unwrap_or_else(|_| json!({"raw": text})))
}

#[tokio::test]
async fn wechat_v3_forged_stale_tampered_and_misaddressed_notifications_change_nothing() {
    let app = spawn().await;
    let m = merchant(&app, &app.tenant.app).await;
    let platform = sandbox_platform_key(&app).await;
    let serial = app.state.wechat_sandbox.platform_serial().to_owned();
    let stranger = RsaSigner::parse(&vector("test-platform_private_pkcs8.pem")).expect("key");
    // Creating the charge makes the adapter download the platform certificate.
    let c = create(&app, "wx_pub_qr", 1000, json!({})).await;
    let (id, order_no) = (c["id"].as_str().expect("id"), c["order_no"].as_str().expect("order_no"));
    let good_body = encrypted_body(&m.apiv3_key, &transaction(&m, order_no, 1000));

    let mut cases: Vec<(&str, V3Notice)> = vec![
        ("a signature by another key", signed(good_body.clone(), &stranger, &serial, now())),
        (
            "an unknown platform serial",
            signed(good_body.clone(), &platform, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", now()),
        ),
        ("a timestamp ten minutes old", signed(good_body.clone(), &platform, &serial, now() - 600)),
        ("a timestamp ten minutes ahead", signed(good_body.clone(), &platform, &serial, now() + 600)),
        (
            "the wrong amount",
            signed(encrypted_body(&m.apiv3_key, &transaction(&m, order_no, 1)), &platform, &serial, now()),
        ),
        (
            "an unknown order",
            signed(encrypted_body(&m.apiv3_key, &transaction(&m, "no-such-order", 1000)), &platform, &serial, now()),
        ),
    ];
    let mut tampered: Value = serde_json::from_str(&good_body).expect("json");
    let mut ct = B64.decode(tampered["resource"]["ciphertext"].as_str().expect("ct")).expect("b64");
    ct[3] ^= 0x01;
    tampered["resource"]["ciphertext"] = json!(B64.encode(ct));
    cases.push(("a tampered ciphertext, signed", signed(tampered.to_string(), &platform, &serial, now())));
    let mut after_signing = signed(good_body.clone(), &platform, &serial, now());
    after_signing.body = encrypted_body(&m.apiv3_key, &transaction(&m, order_no, 1));
    cases.push(("a body replaced after signing", after_signing));
    let mut other_mch = transaction(&m, order_no, 1000);
    other_mch["mchid"] = json!("1900000109");
    cases.push((
        "another merchant's mchid",
        signed(encrypted_body(&m.apiv3_key, &other_mch), &platform, &serial, now()),
    ));
    let mut other_app = transaction(&m, order_no, 1000);
    other_app["appid"] = json!("wxd678efh567hg6787");
    cases.push(("another appid", signed(encrypted_body(&m.apiv3_key, &other_app), &platform, &serial, now())));
    let other_key = "0123456789abcdef0123456789abcdef";
    cases.push((
        "a resource under another APIv3 key",
        signed(encrypted_body(other_key, &transaction(&m, order_no, 1000)), &platform, &serial, now()),
    ));
    let mut unsigned = signed(good_body.clone(), &platform, &serial, now());
    unsigned.headers.retain(|(k, _)| *k != "wechatpay-signature");
    cases.push(("no signature", unsigned));
    cases.push(("not JSON", signed("not json".to_owned(), &platform, &serial, now())));

    for (what, n) in cases {
        let (status, body) = post_v3(&app, &n).await;
        assert!(status >= 400, "{what} must be refused with 4xx/5xx, got {status} {body}");
        assert_eq!(body["code"], "FAIL", "{what}: {body}");
        unchanged(&app, id, what).await;
    }

    // The genuine notification pays; replays are acknowledged, change nothing.
    let good = signed(good_body, &platform, &serial, now());
    for _ in 0..3 {
        let (status, body) = post_v3(&app, &good).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["code"], "SUCCESS");
    }
    let paid = charge_state(&app, id).await;
    assert_eq!(paid["paid"], true, "{paid}");
    assert_eq!(paid["transaction_no"], "4200000000202612010000000001");
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
}

/// Public-key mode: the tenant configures WeChat Pay's public key and its
/// id instead of certificates; notifications name the key id.
#[tokio::test]
async fn wechat_v3_public_key_mode_verifies_with_the_configured_key() {
    let app = spawn().await;
    let m = merchant(&app, &app.tenant.app).await;
    let c = create(&app, "wx_pub_qr", 500, json!({})).await;
    let (id, order_no) = (c["id"].as_str().expect("id"), c["order_no"].as_str().expect("order_no"));
    let key_id = "PUB_KEY_ID_0114232134912410000000000000";
    let cfg = crate::channel_support::stored_config(&app, &app.tenant.app, unicharge_domain::ChannelCode::Wx).await;
    let params = json!({"api_version": "v3", "mchid": m.mchid, "appid": m.appid, "merchant_private_key": m.merchant_key,
        "merchant_serial_no": cfg.param("merchant_serial_no").expect("serial"), "apiv3_key": m.apiv3_key,
        "platform_public_key": vector("test-platform_public.pem"), "platform_public_key_id": key_id});
    crate::channel_support::put_channel(&app, "wx_pub_qr", params).await;

    let platform = RsaSigner::parse(&vector("test-platform_private_pkcs8.pem")).expect("key");
    let body = encrypted_body(&m.apiv3_key, &transaction(&m, order_no, 500));
    // The sandbox's certificate is no longer trusted by this configuration.
    let sandbox = sandbox_platform_key(&app).await;
    let serial = app.state.wechat_sandbox.platform_serial().to_owned();
    let (status, _) = post_v3(&app, &signed(body.clone(), &sandbox, &serial, now())).await;
    assert!(status >= 400);
    let (status, _) =
        post_v3(&app, &signed(body.clone(), &platform, "PUB_KEY_ID_0000000000000000000000000000", now())).await;
    assert!(status >= 400, "another key id");
    unchanged(&app, id, "a notification for another key").await;
    let (status, ack) = post_v3(&app, &signed(body, &platform, key_id, now())).await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(charge_state(&app, id).await["paid"], true);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
}
