//! v2 refunds and reversals (`secapi/*`) need the merchant's API certificate
//! over mutual TLS, in test mode exactly as live: the sandbox's CA issued
//! each provisioned merchant one, and the sandbox's `secapi` listener
//! accepts only certificates that CA issued, naming the request's merchant.

use crate::wechat::{create, merchant, provisioned_client_cert, put_wx, scan_and_pay, stored_config, use_v2, Merchant};
use serde_json::{json, Value};
use unicharge_tests::*;

/// A v2 `wx_pub_qr` charge paid at the sandbox cashier.
async fn paid_v2_charge(app: &TestApp) -> String {
    let c = create(app, "wx_pub_qr", 500, json!({})).await;
    let paid = scan_and_pay(app, c["credential"]["wx_pub_qr"].as_str().expect("code_url")).await;
    assert_eq!(paid["notified"], true, "{paid}");
    c["id"].as_str().expect("id").to_owned()
}

async fn refund(app: &TestApp, charge_id: &str) -> (u16, Value) {
    let path = format!("/v1/charges/{charge_id}/refunds");
    let r = app.post_json(&path, &app.tenant.test_key, &json!({"amount": 100})).await;
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

fn v2_params(m: &Merchant, client_cert: Option<String>, client_key: Option<String>) -> Value {
    let mut p = json!({"api_version": "v2", "mch_id": m.mchid, "appid": m.appid, "sign_type": "MD5"});
    if let Some(c) = client_cert {
        p["client_cert"] = json!(c);
    }
    if let Some(k) = client_key {
        p["client_key"] = json!(k);
    }
    p
}

#[tokio::test]
async fn wechat_v2_refund_needs_the_merchants_own_certificate() {
    let app = spawn().await;
    let m = merchant(&app, &app.tenant.app).await;
    let own_cert = provisioned_client_cert(&app).await;
    use_v2(&app, &m, "MD5").await;

    // With the provisioned certificate: refunded.
    let id = paid_v2_charge(&app).await;
    let (status, r) = refund(&app, &id).await;
    assert_eq!(status, 200, "{r}");
    assert_ne!(r["status"], "failed", "{r}");

    // Another merchant's certificate (a genuine one, for another app): the
    // handshake succeeds, WeChat Pay refuses the call; nothing is refunded.
    let other = app.new_tenant("Other").await;
    let theirs = stored_config(&app, &other.app, unicharge_domain::ChannelCode::Wx).await;
    let (their_cert, their_key) = (
        theirs.param("client_cert").expect("client_cert").to_owned(),
        theirs.require_secret("client_key").expect("client_key").to_owned(),
    );
    put_wx(&app, v2_params(&m, Some(their_cert), Some(their_key))).await;
    let id = paid_v2_charge(&app).await;
    let (status, r) = refund(&app, &id).await;
    assert_eq!(status, 402, "another merchant's certificate: {r}");
    let c: Value = app.get(&format!("/v1/charges/{id}"), &app.tenant.test_key).await.json().await.expect("json");
    assert_eq!((c["amount_refunded"].as_i64(), c["refunded"].as_bool()), (Some(0), Some(false)), "{c}");

    // A certificate the sandbox CA never issued: the TLS handshake is
    // refused, so the outcome is unknown and the refund stays pending.
    put_wx(
        &app,
        v2_params(
            &m,
            Some(crate::wechat::vector("test-mch_cert.pem")),
            Some(crate::wechat::vector("test-mch_private_pkcs8.pem")),
        ),
    )
    .await;
    let id = paid_v2_charge(&app).await;
    let (status, r) = refund(&app, &id).await;
    assert_eq!((status, r["status"].as_str()), (200, Some("pending")), "{r}");
    assert!(app.events_for(r["id"].as_str().expect("re id")).await.is_empty());

    // No certificate at all (the tenant clears the stored key with an empty
    // value): nothing is sent.
    put_wx(&app, v2_params(&m, None, Some(String::new()))).await;
    let stored = stored_config(&app, &app.tenant.app, unicharge_domain::ChannelCode::Wx).await;
    assert!(stored.param("client_cert").is_none() && stored.require_secret("client_key").is_err());
    let id = paid_v2_charge(&app).await;
    let (status, r) = refund(&app, &id).await;
    assert_eq!(status, 402, "no client certificate: {r}");

    // The tenant uploads its own certificate and key again (the key is the
    // merchant API key, which provisioning issued the certificate over):
    // refunds work again.
    put_wx(&app, v2_params(&m, Some(own_cert), Some(m.merchant_key.clone()))).await;
    let (status, r) = refund(&app, &id).await;
    assert_eq!(status, 200, "{r}");
    assert_ne!(r["status"], "failed", "{r}");
}

/// The plain-HTTP sandbox does not serve `secapi/*`: no certificate there.
#[tokio::test]
async fn wechat_sandbox_refuses_secapi_over_plain_http() {
    let app = spawn().await;
    let r = app
        .http
        .post(app.url("/sandbox/wechat/secapi/pay/refund"))
        .header("content-type", "text/xml")
        .body("<xml><mch_id>1900000109</mch_id></xml>")
        .send()
        .await
        .expect("post");
    let text = r.text().await.expect("text");
    assert!(text.contains("<return_code><![CDATA[FAIL]]></return_code>"), "{text}");
    assert!(text.contains("证书"), "{text}");
}
