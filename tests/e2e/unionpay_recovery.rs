//! UnionPay when things go wrong, end to end against the built-in gateway
//! sandbox: a tenant-set expiry (txnTime is the charge's real send time, so
//! queries find the order), a lost payment notification settled by the
//! sweeper, a paid-but-unnotified charge revoked the same day on reverse
//! (`txnType=31`), a refund whose notification is lost learned by the
//! refund query, and `upacp_wap` paid through the cashier's HTML pages.

use crate::channel_support::charge_state;
use crate::unionpay::{open_front_cashier, pay_at_cashier};
use serde_json::{json, Value};
use std::time::Duration;
use unicharge_crypto::{gmt8, unionpay_verify, unionpay_verify_content, UnionpayTrust};
use unicharge_domain::{ChannelCode, Mode};
use unicharge_server::sweep::sweep_once;
use unicharge_tests::*;

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

/// Creates a charge that expires in 30 minutes (not the default 24 h).
async fn create_expiring(app: &TestApp, channel: &str, amount: i64, extra: Value) -> Value {
    let mut body = charge_body(&app.tenant.app);
    body["channel"] = json!(channel);
    body["amount"] = json!(amount);
    body["extra"] = extra;
    body["time_expire"] = json!(now() + 1800);
    let r = app.post_json("/v1/charges", &app.tenant.test_key, &body).await;
    let status = r.status();
    let v: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "create {channel}: {v}");
    v
}

/// The sandbox's view of a trade (`Accept: application/json`).
async fn trade(app: &TestApp, tn: &str) -> Value {
    let url = app.url(&format!("/sandbox/unionpay/cashier/{tn}"));
    app.http.get(url).header("accept", "application/json").send().await.expect("cashier").json().await.expect("json")
}

/// The buyer pays, but the sandbox's backUrl notification is lost.
async fn pay_notification_lost(app: &TestApp, tn: &str) -> Value {
    let url = app.url(&format!("/sandbox/unionpay/cashier/{tn}/pay?notify=drop"));
    let paid: Value =
        app.http.post(url).header("accept", "application/json").send().await.expect("pay").json().await.expect("json");
    assert_eq!((paid["state"].as_str(), paid["notified"].as_bool()), (Some("PAID"), Some(false)), "{paid}");
    paid
}

/// The order was sent with the charge's creation time as txnTime.
async fn sent_at_creation(app: &TestApp, c: &Value, tn: &str) {
    let t = trade(app, tn).await;
    let created = c["created"].as_i64().expect("created");
    assert_eq!(t["txnTime"], gmt8::compact(created), "txnTime is the charge's send time, whatever its expiry: {t}");
}

#[tokio::test]
async fn unionpay_custom_expiry_lost_notification_is_settled_by_the_sweeper() {
    let app = spawn().await;
    let c = create_expiring(&app, "upacp", 600, json!({})).await;
    let id = c["id"].as_str().expect("id");
    let tn = c["credential"]["upacp"]["tn"].as_str().expect("tn");
    sent_at_creation(&app, &c, tn).await;
    let paid = pay_notification_lost(&app, tn).await;
    assert_eq!(charge_state(&app, id).await["paid"], false);

    assert_eq!(sweep_once(&app.state, now()).await.expect("sweep").charges_queried, 0, "too early");
    assert_eq!(sweep_once(&app.state, now() + 200).await.expect("sweep").charges_queried, 1);
    let after = charge_state(&app, id).await;
    assert_eq!(after["paid"], true, "the query named the order by orderId + txnTime: {after}");
    assert_eq!(after["transaction_no"], paid["queryId"]);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
    assert_eq!(sweep_once(&app.state, now() + 10_000).await.expect("sweep").charges_queried, 0, "settled");
}

#[tokio::test]
async fn unionpay_reverse_of_a_paid_unnotified_charge_revokes_it_the_same_day() {
    let app = spawn().await;
    let c = create_expiring(&app, "upacp_pc", 900, json!({"result_url": "https://shop.example/done"})).await;
    let id = c["id"].as_str().expect("id");
    let tn = open_front_cashier(&app, &c["credential"]["upacp_pc"]).await;
    sent_at_creation(&app, &c, &tn).await;
    pay_notification_lost(&app, &tn).await;

    // We still think it unpaid; reversing asks UnionPay, finds it paid
    // today, and revokes it (txnType=31) before closing it.
    let r = app.post_json(&format!("/v1/charges/{id}/reverse"), &app.tenant.test_key, &json!({})).await;
    let status = r.status();
    let body: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    let after = charge_state(&app, id).await;
    assert_eq!((after["reversed"].as_bool(), after["paid"].as_bool()), (Some(true), Some(false)), "{after}");
    let t = trade(&app, &tn).await;
    assert_eq!((t["revoked"].as_bool(), t["refunded"].as_i64()), (Some(true), Some(900)), "revoked in full: {t}");
    assert!(!app.events_for(id).await.contains(&"charge.succeeded".to_owned()));

    // Reversing again is a no-op (already closed), not a second revoke.
    let r = app.post_json(&format!("/v1/charges/{id}/reverse"), &app.tenant.test_key, &json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(trade(&app, &tn).await["refunded"], 900);
}

#[tokio::test]
async fn unionpay_refund_whose_notification_is_lost_is_learned_by_refund_query() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let c = create_expiring(&app, "upacp", 100, json!({})).await;
    let id = c["id"].as_str().expect("id");
    pay_at_cashier(&app, c["credential"]["upacp"]["tn"].as_str().expect("tn")).await;
    // `unicharge_sandboxes::unionpay::SILENT_REFUND_AMOUNT`: answered 00, never notified.
    let amount = 7;
    let r: Value = app
        .post_json(&format!("/v1/charges/{id}/refunds"), key, &json!({"amount": amount}))
        .await
        .json()
        .await
        .expect("json");
    let rid = r["id"].as_str().expect("refund id");
    assert_eq!(r["status"], "pending", "{r}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let path = format!("/v1/charges/{id}/refunds/{rid}");
    assert_eq!(app.get(&path, key).await.json::<Value>().await.expect("json")["status"], "pending", "no notification");

    // The adapter's refund query names the refund by its orderId + txnTime
    // (the refund's stored creation time) and finds it done.
    let row = app.state.store.get_refund(rid).await.expect("store").expect("refund row");
    let charge = app.state.store.get_charge(id).await.expect("store").expect("charge row");
    let rref = unicharge_server::payments::refund_ref(&row, &charge).expect("ref");
    assert_eq!(rref.created, row.created);
    let ctx = unicharge_server::payments::channel_ctx(&app.state, &app.tenant.app, Mode::Test, ChannelCode::Upacp)
        .await
        .expect("ctx");
    let report = app.state.channels.get(ChannelCode::Upacp).refund_query(&ctx, &rref).await.expect("refund query");
    assert!(matches!(report, unicharge_channels::RefundStatusReport::Succeeded { .. }), "{report:?}");

    // The sweeper's retry is refused as a duplicate (12) and settles the
    // refund from that query, once.
    assert_eq!(sweep_once(&app.state, now() + 120).await.expect("sweep").refunds_retried, 1);
    let after: Value = app.get(&path, key).await.json().await.expect("json");
    assert_eq!(after["status"], "succeeded", "{after}");
    assert_eq!(charge_state(&app, id).await["amount_refunded"], amount);
    assert_eq!(app.events_for(rid).await, vec!["refund.succeeded"]);
    assert_eq!(sweep_once(&app.state, now() + 240).await.expect("sweep").refunds_retried, 0);
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The first `<form>` of a page that has hidden inputs: its action and fields.
fn hidden_form(html: &str) -> (String, Vec<(String, String)>) {
    let attr = |tag: &str, name: &str| -> String {
        let start = tag.find(&format!("{name}=\"")).map(|i| i + name.len() + 2).expect("attribute");
        unescape(&tag[start..start + tag[start..].find('"').expect("closing quote")])
    };
    let form_at = html.find("<form").expect("a form");
    let form_tag = &html[form_at..form_at + html[form_at..].find('>').expect("form tag")];
    let fields = html[form_at..]
        .split("<input ")
        .skip(1)
        .map(|tag| &tag[..tag.find('>').expect("input tag")])
        .filter(|tag| tag.contains("type=\"hidden\""))
        .map(|tag| (attr(tag, "name"), attr(tag, "value")))
        .collect();
    (attr(form_tag, "action"), fields)
}

#[tokio::test]
async fn unionpay_wap_paid_through_the_cashier_pages_over_http() {
    let app = spawn().await;
    let c = create_expiring(&app, "upacp_wap", 1500, json!({"result_url": "https://shop.example/done"})).await;
    let id = c["id"].as_str().expect("id");
    // The page the tenant serves: the credential as UnionPay's SDKs render it.
    let credential = unicharge_channels::Credential(c["credential"]["upacp_wap"].clone());
    let page = unicharge_channels::unionpay::auto_submit_form(&credential).expect("web credential");
    let (action, fields) = hidden_form(&page);
    // The buyer's browser submits it and lands on the cashier (HTML).
    let cashier = app.http.post(&action).form(&fields).send().await.expect("frontTransReq");
    assert_eq!(cashier.status(), 200);
    let html = cashier.text().await.expect("html");
    assert!(html.contains("¥ 15.00"), "{html}");
    let pay_at = html.find("/pay\"").expect("the Pay button");
    let pay_path = &html[html[..pay_at].rfind('"').expect("action") + 1..pay_at + 4];
    let tn = pay_path.trim_end_matches("/pay").rsplit('/').next().expect("tn").to_owned();
    sent_at_creation(&app, &c, &tn).await;

    // Pressing Pay: UnionPay notifies us, and posts the buyer back to frontUrl.
    let done = app.http.post(app.url(pay_path)).send().await.expect("pay");
    assert_eq!(done.status(), 200);
    let (front_url, back) = hidden_form(&done.text().await.expect("html"));
    assert_eq!(front_url, "https://shop.example/done");
    let back: std::collections::BTreeMap<String, String> = back.into_iter().collect();
    assert_eq!((back["orderId"].as_str(), back["respCode"].as_str()), (c["order_no"].as_str().expect("no"), "00"));
    let trust = UnionpayTrust::new(
        unicharge_channels::unionpay::SANDBOX_ROOT_PEM,
        unicharge_channels::unionpay::SANDBOX_MIDDLE_PEM,
    )
    .expect("trust");
    let signer = trust.verify_sign_cert(&back["signPubKeyCert"], now(), true).expect("signPubKeyCert chains");
    let content = unionpay_verify_content(back.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert!(unionpay_verify(&signer, &content, &back["signature"]), "the frontUrl post is signed by UnionPay");

    let after = charge_state(&app, id).await;
    assert_eq!(after["paid"], true, "{after}");
    assert_eq!(after["transaction_no"], back["queryId"]);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
}

#[tokio::test]
async fn unionpay_revoke_with_an_unknown_answer_is_finished_by_reversing_again() {
    let app = spawn().await;
    // The sandbox answers 05 (unknown) to any back transaction of 5 fen.
    let c = create_expiring(&app, "upacp", 5, json!({})).await;
    let id = c["id"].as_str().expect("id");
    let tn = c["credential"]["upacp"]["tn"].as_str().expect("tn");
    pay_notification_lost(&app, tn).await;
    let (path, empty) = (format!("/v1/charges/{id}/reverse"), json!({}));
    let reverse = || app.post_json(&path, &app.tenant.test_key, &empty);
    let first = reverse().await;
    assert_ne!(first.status(), 200, "the revoke's outcome is unknown: not reversed yet");
    assert_eq!(charge_state(&app, id).await["reversed"], false);
    // Again: UnionPay answers the same revoke orderId with 12 (it has it).
    let second = reverse().await;
    let status = second.status();
    let body: Value = second.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    assert_eq!(charge_state(&app, id).await["reversed"], true);
    let t = trade(&app, tn).await;
    assert_eq!((t["revoked"].as_bool(), t["refunded"].as_i64()), (Some(true), Some(5)), "revoked once: {t}");
}
