//! UnionPay end to end in test mode: the adapter talks to the built-in
//! UnionPay gateway sandbox over real HTTP (requests signed with the app's
//! provisioned PKCS#12 certificate, answers verified against the sandbox's
//! test CA), the buyer pays at the sandbox cashier, the sandbox sends its
//! signed backUrl notification, and the charge, its refund and their events
//! follow. Forged notifications (another CA, an expired certificate, a
//! tampered amount, another merId) change nothing; a replay emits nothing.

use crate::channel_support::{buyer_post, charge_state, create, post_notify, stored_config};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use unicharge_crypto::{unionpay_sign, unionpay_verify_content, RsaSigner};
use unicharge_tests::*;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/sandboxes/fixtures/unionpay/");
const FORM: &str = "application/x-www-form-urlencoded";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIX}{name}")).expect("fixture")
}

async fn mer_id(app: &TestApp) -> String {
    let cfg = stored_config(app, &app.tenant.app, unicharge_domain::ChannelCode::Upacp).await;
    cfg.param("mer_id").expect("mer_id").to_owned()
}

/// A backUrl notification for a paid consumption, signed with `cert`/`key`.
fn notify_body(mer_id: &str, order_no: &str, amount: i64, cert: &str, key: &str) -> String {
    let mut f = BTreeMap::new();
    for (k, v) in [
        ("version", "5.1.0"),
        ("encoding", "UTF-8"),
        ("signMethod", "01"),
        ("txnType", "01"),
        ("txnSubType", "01"),
        ("bizType", "000201"),
        ("accessType", "0"),
        ("currencyCode", "156"),
        ("respCode", "00"),
        ("respMsg", "成功[0000000]"),
        ("queryId", "702612051200000000001"),
        ("txnTime", "20261205120000"),
    ] {
        f.insert(k.to_owned(), v.to_owned());
    }
    f.insert("merId".into(), mer_id.into());
    f.insert("orderId".into(), order_no.into());
    f.insert("txnAmt".into(), amount.to_string());
    f.insert("signPubKeyCert".into(), fixture(cert).replace('\n', "\r\n"));
    let content = unionpay_verify_content(f.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    f.insert("signature".into(), unionpay_sign(&RsaSigner::parse(&fixture(key)).expect("key"), &content));
    serde_urlencoded::to_string(&f).expect("form")
}

/// The browser POSTs the credential's form to `channel_url`; the sandbox
/// answers with its cashier page, which names the trade's tn.
pub(crate) async fn open_front_cashier(app: &TestApp, credential: &Value) -> String {
    let fields = credential.as_object().expect("credential object");
    let url = fields["channel_url"].as_str().expect("channel_url");
    assert!(url.ends_with("/sandbox/unionpay/gateway/api/frontTransReq.do"), "{url}");
    let form: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| k.as_str() != "channel_url")
        .map(|(k, v)| (k.clone(), v.as_str().expect("string field").to_owned()))
        .collect();
    let r = app.http.post(url).form(&form).send().await.expect("frontTransReq");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    let start = html.find("id=\"tn\">").expect("tn on the cashier page") + 8;
    html[start..].chars().take_while(char::is_ascii_digit).collect()
}

pub(crate) async fn pay_at_cashier(app: &TestApp, tn: &str) -> Value {
    let (status, paid) = buyer_post(app, &app.url(&format!("/sandbox/unionpay/cashier/{tn}/pay"))).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["state"], "PAID");
    assert_eq!(paid["notified"], true, "our notify endpoint answered 200: {paid}");
    paid
}

pub(crate) async fn refund_settles(app: &TestApp, charge_id: &str, amount: i64) -> Value {
    let path = format!("/v1/charges/{charge_id}/refunds");
    let r = app.post_json(&path, &app.tenant.test_key, &json!({"amount": amount, "description": "test"})).await;
    let status = r.status();
    let refund: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{refund}");
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

#[tokio::test]
async fn unionpay_pc_paid_notified_and_refunded() {
    let app = spawn().await;
    let c = create(&app, "upacp_pc", 1234, json!({"result_url": "https://shop.example/done"})).await;
    let id = c["id"].as_str().expect("id");
    let cred = &c["credential"]["upacp_pc"];
    for (k, v) in [
        ("txnType", "01"),
        ("txnSubType", "01"),
        ("bizType", "000201"),
        ("channelType", "07"),
        ("accessType", "0"),
        ("currencyCode", "156"),
        ("txnAmt", "1234"),
        ("frontUrl", "https://shop.example/done"),
        ("signMethod", "01"),
    ] {
        assert_eq!(cred[k], v, "{k}: {cred}");
    }
    assert_eq!(cred["orderId"], c["order_no"]);
    let tn = open_front_cashier(&app, cred).await;
    let paid = pay_at_cashier(&app, &tn).await;
    let after = charge_state(&app, id).await;
    assert_eq!(after["paid"], true, "{after}");
    assert_eq!(after["transaction_no"], paid["queryId"]);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
    let refund = refund_settles(&app, id, 234).await;
    assert_eq!(refund["amount"], 234);
    assert_eq!(charge_state(&app, id).await["amount_refunded"], 234);
    // A second, partial refund of the rest also settles; the charge is full.
    refund_settles(&app, id, 1000).await;
    assert_eq!(charge_state(&app, id).await["amount_refunded"], 1234);
}

#[tokio::test]
async fn unionpay_app_paid_notified_and_refunded() {
    let app = spawn().await;
    let c = create(&app, "upacp", 500, json!({})).await;
    let id = c["id"].as_str().expect("id");
    let cred = &c["credential"]["upacp"];
    assert_eq!(cred["mode"], "01", "test mode: {cred}");
    let tn = cred["tn"].as_str().expect("tn");
    let r = app
        .http
        .get(app.url(&format!("/sandbox/unionpay/cashier/{tn}")))
        .header("accept", "application/json")
        .send()
        .await
        .expect("cashier");
    let trade: Value = r.json().await.expect("json");
    assert_eq!(trade["state"], "UNPAID");
    assert_eq!(trade["txnAmt"], 500);
    pay_at_cashier(&app, tn).await;
    assert_eq!(charge_state(&app, id).await["paid"], true);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
    refund_settles(&app, id, 500).await;
    assert_eq!(charge_state(&app, id).await["amount_refunded"], 500);
}

#[tokio::test]
async fn unionpay_forged_notifications_change_nothing_and_replay_emits_once() {
    let app = spawn().await;
    let mer = mer_id(&app).await;
    let c = create(&app, "upacp_wap", 300, json!({"result_url": "https://shop.example/done"})).await;
    let id = c["id"].as_str().expect("id");
    let order = c["order_no"].as_str().expect("order_no");
    assert_eq!(c["credential"]["upacp_wap"]["channelType"], "08");
    let unchanged = |what: &'static str| {
        let app = &app;
        async move {
            let now = charge_state(app, id).await;
            assert_eq!(now["paid"], false, "{what} changed the charge: {now}");
            assert!(app.events_for(id).await.is_empty(), "{what} emitted an event");
        }
    };
    for (what, body) in [
        ("a certificate from another CA", notify_body(&mer, order, 300, "other_sign.pem", "other_sign.key")),
        ("an expired certificate", notify_body(&mer, order, 300, "expired_sign.pem", "expired_sign.key")),
        ("a CN naming another company", notify_body(&mer, order, 300, "wrong_cn_sign.pem", "wrong_cn_sign.key")),
        ("a validly signed wrong amount", notify_body(&mer, order, 301, "sign.pem", "sign.key")),
        ("a validly signed other merId", notify_body("777000000000001", order, 300, "sign.pem", "sign.key")),
        ("a tampered amount", notify_body(&mer, order, 300, "sign.pem", "sign.key").replace("txnAmt=300", "txnAmt=3")),
        ("garbage", "signature=%%%&txnAmt".to_owned()),
    ] {
        let ack = post_notify(&app, "upacp_wap", FORM, body).await;
        assert_eq!(ack, "fail", "{what}");
        unchanged(what).await;
    }
    let good = notify_body(&mer, order, 300, "sign.pem", "sign.key");
    assert_eq!(post_notify(&app, "upacp_wap", FORM, good.clone()).await, "ok");
    assert_eq!(charge_state(&app, id).await["paid"], true);
    assert_eq!(post_notify(&app, "upacp_wap", FORM, good).await, "ok", "a replay is acknowledged");
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"], "and emits nothing");
}

#[tokio::test]
async fn unionpay_unknown_refund_answer_stays_pending_then_settles() {
    let app = spawn().await;
    let c = create(&app, "upacp", 800, json!({})).await;
    let id = c["id"].as_str().expect("id");
    pay_at_cashier(&app, c["credential"]["upacp"]["tn"].as_str().expect("tn")).await;
    // The sandbox answers respCode=05 for a 5-fen refund: result unknown,
    // so the refund stays pending with its amount reserved until the
    // backUrl notification settles it.
    let refund = refund_settles(&app, id, 5).await;
    assert_eq!(refund["amount"], 5);
    assert_eq!(charge_state(&app, id).await["amount_refunded"], 5);
}

#[tokio::test]
async fn unionpay_reverse_of_unpaid_charge_queries_and_closes() {
    let app = spawn().await;
    let c = create(&app, "upacp_pc", 100, json!({"result_url": "https://shop.example/done"})).await;
    let id = c["id"].as_str().expect("id");
    let tn = open_front_cashier(&app, &c["credential"]["upacp_pc"]).await;
    assert!(!tn.is_empty());
    let r = app.post_json(&format!("/v1/charges/{id}/reverse"), &app.tenant.test_key, &json!({})).await;
    let status = r.status();
    let body: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    let after = charge_state(&app, id).await;
    assert_eq!((after["reversed"].as_bool(), after["paid"].as_bool()), (Some(true), Some(false)), "{after}");
}
