//! Admin API happy paths: overview, charges (filters, paging, detail with
//! raw notifications, CSV), sandbox pay from the dashboard, refunds, events
//! with attempts and resend.

use crate::admin_client::*;
use serde_json::{json, Value};
use std::time::Duration;
use unicharge_tests::receiver::Receiver;
use unicharge_tests::*;

fn ids(list: &Value) -> Vec<&str> {
    list["data"].as_array().expect("data").iter().map(|o| o["id"].as_str().expect("id")).collect()
}

#[tokio::test]
async fn charges_list_filters_pages_and_details() {
    let app = spawn().await;
    let op = operator(&app).await;
    let paid = app.paid_charge(1_000).await;
    let failed = app.charge(200).await;
    app.pay(&failed, "failed").await;
    let unpaid = app.charge(300).await;
    let (paid_id, unpaid_id) = (paid["id"].as_str().expect("id"), unpaid["id"].as_str().expect("id"));

    let all = op.get_ok("/admin/api/charges?mode=test").await;
    assert_eq!(all["object"], "list");
    assert_eq!(ids(&all), vec![unpaid_id, failed["id"].as_str().expect("id"), paid_id], "newest first");
    assert_eq!(all["data"][0]["status"], "unpaid");
    assert_eq!(all["data"][1]["status"], "failed");
    assert_eq!(all["data"][2]["status"], "paid");
    assert_eq!(all["data"][2]["amount_refundable"], 1_000);
    assert_eq!(all["data"][2]["app_name"], "Acme");
    assert_eq!(all["data"][2]["tenant"], app.tenant.id.as_str());

    let p = op.get_ok("/admin/api/charges?status=paid").await;
    assert_eq!(ids(&p), vec![paid_id]);
    let u = op.get_ok("/admin/api/charges?status=unpaid").await;
    assert_eq!(ids(&u), vec![unpaid_id]);
    let q = op.get_ok(&format!("/admin/api/charges?q={}", unpaid["order_no"].as_str().expect("order_no"))).await;
    assert_eq!(ids(&q), vec![unpaid_id]);
    let q = op.get_ok(&format!("/admin/api/charges?q={paid_id}")).await;
    assert_eq!(ids(&q), vec![paid_id]);
    let none = op.get_ok("/admin/api/charges?channel=alipay_qr").await;
    assert!(ids(&none).is_empty());
    let live = op.get_ok("/admin/api/charges?mode=live").await;
    assert!(ids(&live).is_empty(), "test charges never show in live mode");
    let future = auth_now() + 3600;
    let later = op.get_ok(&format!("/admin/api/charges?created_from={future}")).await;
    assert!(ids(&later).is_empty());
    let r = op.get("/admin/api/charges?mode=both").await;
    assert_admin_error(r, 400, "parameter_invalid").await;
    let r = op.get("/admin/api/charges?status=lost").await;
    assert_admin_error(r, 400, "parameter_unsupported").await;

    // Cursor pagination.
    let p1 = op.get_ok("/admin/api/charges?limit=2").await;
    assert_eq!(p1["has_more"], true);
    assert_eq!(ids(&p1).len(), 2);
    let p2 = op.get_ok(&format!("/admin/api/charges?limit=2&starting_after={}", ids(&p1)[1])).await;
    assert_eq!(ids(&p2), vec![paid_id]);
    assert_eq!(p2["has_more"], false);
    let back = op.get_ok(&format!("/admin/api/charges?limit=2&ending_before={paid_id}")).await;
    assert_eq!(ids(&back), ids(&p1));

    // Detail: every field, events with deliveries, the raw notification.
    let d = detail_with_notifications(&op, paid_id, 1).await;
    assert_eq!(d["object"], "charge_detail");
    assert_eq!(d["charge"]["transaction_no"], paid["transaction_no"]);
    assert_eq!(d["charge"]["paid"], true);
    assert_eq!(d["events"][0]["type"], "charge.succeeded");
    let n = &d["notifications"][0];
    assert_eq!(n["channel"], "sandbox");
    assert_eq!(n["outcome"], "accepted");
    assert_eq!(n["charge"], paid_id);
    assert!(n["body"].as_str().expect("body").contains("trade_status="), "{n}");
    let d = op.get_ok(&format!("/admin/api/charges/{unpaid_id}")).await;
    assert!(d["charge"]["credential"]["sandbox"]["pay_url"].is_string(), "the credential is shown");
    assert!(d["notifications"].as_array().expect("list").is_empty());
    assert_admin_error(op.get("/admin/api/charges/ch_doesnotexist000000000000").await, 404, "resource_not_found").await;

    // CSV of the current filter.
    let r = op.get("/admin/api/charges/export?status=paid").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().expect("ct").starts_with("text/csv"));
    assert!(r.headers()["content-disposition"].to_str().expect("cd").contains("charges-test-"));
    let csv = r.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,order_no,app,channel,status,amount,amount_refunded,currency,created,created_at,time_paid,transaction_no,subject,livemode");
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].starts_with(&format!("{paid_id},")));
    assert!(lines[1].contains(",sandbox,paid,1000,0,cny,"), "{}", lines[1]);
}

/// The charge's detail once `n` raw notifications are on it: they are
/// written by a background queue, a moment after the notification.
async fn detail_with_notifications(op: &Admin<'_>, ch: &str, n: usize) -> Value {
    for _ in 0..100 {
        let d = op.get_ok(&format!("/admin/api/charges/{ch}")).await;
        if d["notifications"].as_array().is_some_and(|a| a.len() >= n) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("charge {ch} never showed {n} notifications");
}

fn auth_now() -> i64 {
    unicharge_server::auth::now()
}

#[tokio::test]
async fn sandbox_pay_refund_events_and_resend_from_the_dashboard() {
    let app = spawn_with(|cfg| {
        cfg.webhook_timeout_secs = 1;
        cfg.webhook_schedule.time_scale = 1000;
    })
    .await;
    let receiver = Receiver::start(vec![]).await;
    let t = tenant_user(&app, &app.tenant.id).await;
    let ep = t
        .post_ok(
            &format!("/admin/api/apps/{}/webhook_endpoints?mode=test", app.tenant.app),
            &json!({"url": receiver.url, "enabled_events": ["charge.succeeded", "refund.succeeded"]}),
        )
        .await;
    assert!(ep["secret"].as_str().expect("secret shown once").starts_with("whsec_"));

    // Pay a pending sandbox charge from the dashboard.
    let c = app.charge(800).await;
    let ch = c["id"].as_str().expect("id");
    let r = t.post_ok(&format!("/admin/api/charges/{ch}/sandbox"), &json!({"result": "paid"})).await;
    assert_eq!(r["notified"], true);
    assert_eq!(r["charge"]["status"], "paid");
    assert_eq!(app.events_for(ch).await, vec!["charge.succeeded"], "one event, through the notification path");
    let again = t.post(&format!("/admin/api/charges/{ch}/sandbox"), &json!({"result": "paid"})).await;
    assert_admin_error(again, 400, "charge_not_pending").await;
    let bad = t.post(&format!("/admin/api/charges/{ch}/sandbox"), &json!({"result": "maybe"})).await;
    assert_admin_error(bad, 400, "parameter_invalid").await;

    // Refund part of it, with a confirmation-safe Idempotency-Key.
    let rq = app
        .http
        .post(app.url(&format!("/admin/api/charges/{ch}/refunds")))
        .header("cookie", t.cookies())
        .header("x-csrf-token", &t.csrf)
        .header("idempotency-key", "dash-refund-1");
    let re: Value = rq
        .try_clone()
        .expect("clone")
        .json(&json!({"amount": 300}))
        .send()
        .await
        .expect("refund")
        .json()
        .await
        .expect("json");
    assert_eq!(re["status"], "succeeded", "{re}");
    assert_eq!(re["amount"], 300);
    let replay: Value = rq.json(&json!({"amount": 300})).send().await.expect("replay").json().await.expect("json");
    assert_eq!(replay["id"], re["id"], "a double click refunds once");
    let too_much = t.post(&format!("/admin/api/charges/{ch}/refunds"), &json!({"amount": 600})).await;
    assert_admin_error(too_much, 400, "parameter_out_of_range").await;
    let d = t.get_ok(&format!("/admin/api/charges/{ch}")).await;
    assert_eq!(d["charge"]["status"], "refunded");
    assert_eq!(d["charge"]["amount_refunded"], 300);
    assert_eq!(d["charge"]["amount_refundable"], 500);
    assert_eq!(d["refunds"][0]["id"], re["id"]);

    // Refund list and detail.
    let re_id = re["id"].as_str().expect("id");
    let list = t.get_ok("/admin/api/refunds?status=succeeded").await;
    assert_eq!(ids(&list), vec![re_id]);
    assert_eq!(list["data"][0]["channel"], "sandbox");
    let rd = t.get_ok(&format!("/admin/api/refunds/{re_id}")).await;
    assert_eq!(rd["charge"]["id"], ch);
    assert_eq!(rd["events"][0]["type"], "refund.succeeded");

    // Both events were delivered; the detail shows each attempt.
    receiver.wait_for(2, Duration::from_secs(10)).await;
    let evts = t.get_ok(&format!("/admin/api/events?object={ch}")).await;
    let evt = evts["data"][0]["id"].as_str().expect("event").to_owned();
    let e = wait_delivered(&t, &evt).await;
    let d0 = &e["webhook_deliveries"][0];
    assert_eq!(d0["endpoint_url"], receiver.url.as_str());
    let a0 = &d0["attempts_list"][0];
    assert_eq!(a0["status_code"], 200);
    assert!(a0["latency_ms"].is_number());
    let failed_only = t.get_ok("/admin/api/events?delivery_status=failed").await;
    assert!(ids(&failed_only).is_empty());

    // Resend: a new delivery, delivered, with its own attempt.
    let r = t.post_ok(&format!("/admin/api/events/{evt}/resend"), &json!({})).await;
    assert_eq!(r["redelivered"], 1);
    receiver.wait_for(3, Duration::from_secs(10)).await;
    for _ in 0..100 {
        let e = t.get_ok(&format!("/admin/api/events/{evt}")).await;
        let ds = e["webhook_deliveries"].as_array().expect("deliveries");
        if ds.len() == 2 && ds[1]["status"] == "succeeded" {
            assert_eq!(ds[1]["attempts_list"][0]["status_code"], 200);
            assert_eq!(ds[0]["attempts_list"].as_array().map(Vec::len), Some(1), "the first is unchanged");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the resent delivery was not recorded");
}

async fn wait_delivered(t: &Admin<'_>, evt: &str) -> Value {
    for _ in 0..100 {
        let e = t.get_ok(&format!("/admin/api/events/{evt}")).await;
        if e["webhook_deliveries"][0]["status"] == "succeeded" {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("event {evt} was not delivered");
}

#[tokio::test]
async fn overview_counts_volume_and_success_per_channel() {
    let app = spawn().await;
    let op = operator(&app).await;
    let empty = op.get_ok("/admin/api/overview?mode=test").await;
    assert_eq!(empty["today"]["count"], 0);
    assert_eq!(empty["today"]["success_rate"], Value::Null);
    assert_eq!(empty["daily"].as_array().expect("daily").len(), 30);

    app.paid_charge(1_000).await;
    app.paid_charge(500).await;
    let f = app.charge(700).await;
    app.pay(&f, "failed").await;
    app.charge(100).await;
    let ov = op.get_ok(&format!("/admin/api/overview?mode=test&app={}&utc_offset=480", app.tenant.app)).await;
    assert_eq!(ov["today"]["count"], 4);
    assert_eq!(ov["today"]["paid_count"], 2);
    assert_eq!(ov["today"]["volume"], 1_500);
    assert_eq!(ov["today"]["success_rate"], 0.5);
    assert_eq!(ov["last_30_days"]["volume"], 1_500);
    assert_eq!(ov["channels"][0]["channel"], "sandbox");
    assert_eq!(ov["channels"][0]["today"]["count"], 4);
    let daily = ov["daily"].as_array().expect("daily");
    assert_eq!(daily[29]["volume"], 1_500);
    assert_eq!(daily[29]["by_channel"]["sandbox"]["paid_count"], 2);
    assert_eq!(daily[28]["count"], 0);
    let live = op.get_ok("/admin/api/overview?mode=live").await;
    assert_eq!(live["last_30_days"]["count"], 0, "test charges never count in live figures");
    assert_admin_error(op.get("/admin/api/overview?utc_offset=5000").await, 400, "parameter_out_of_range").await;
}

#[tokio::test]
async fn every_admin_route_is_in_the_openapi_document() {
    let app = spawn().await;
    let doc: Value = app.http.get(app.url("/openapi.json")).send().await.expect("get").json().await.expect("json");
    for (path, method) in [
        ("/admin/api/session", "post"),
        ("/admin/api/session", "get"),
        ("/admin/api/session", "delete"),
        ("/admin/api/overview", "get"),
        ("/admin/api/charges", "get"),
        ("/admin/api/charges/export", "get"),
        ("/admin/api/charges/{id}", "get"),
        ("/admin/api/charges/{id}/refunds", "post"),
        ("/admin/api/charges/{id}/sandbox", "post"),
        ("/admin/api/refunds", "get"),
        ("/admin/api/refunds/{id}", "get"),
        ("/admin/api/events", "get"),
        ("/admin/api/events/{id}", "get"),
        ("/admin/api/events/{id}/resend", "post"),
        ("/admin/api/apps", "get"),
        ("/admin/api/apps", "post"),
        ("/admin/api/apps/{app}", "get"),
        ("/admin/api/apps/{app}/webhook_endpoints", "get"),
        ("/admin/api/apps/{app}/webhook_endpoints", "post"),
        ("/admin/api/apps/{app}/webhook_endpoints/{we}", "put"),
        ("/admin/api/apps/{app}/webhook_endpoints/{we}", "delete"),
        ("/admin/api/apps/{app}/webhook_endpoints/{we}/rotate_secret", "post"),
        ("/admin/api/apps/{app}/channels", "get"),
        ("/admin/api/apps/{app}/channels/{channel}", "put"),
        ("/admin/api/keys", "get"),
        ("/admin/api/keys", "post"),
        ("/admin/api/keys/{id}", "delete"),
        ("/admin/api/tenants", "get"),
        ("/admin/api/tenants", "post"),
        ("/admin/api/users", "get"),
        ("/admin/api/users", "post"),
        ("/admin/api/users/{id}", "delete"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not in the OpenAPI document");
    }
    let r = app.http.get(app.url("/admin/api/nothing")).send().await.expect("get");
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn unverified_notifications_are_not_kept() {
    let app = spawn().await;
    let op = operator(&app).await;
    let c = app.charge(100).await;
    let ch = c["id"].as_str().expect("id");
    let (mch_id, _) = app.sandbox_key(&app.tenant.app).await;
    // Names the real order, but is not signed with the merchant key.
    let forged = [
        ("notify_type", "trade"),
        ("mch_id", mch_id.as_str()),
        ("out_trade_no", c["order_no"].as_str().expect("order_no")),
        ("trade_no", "1"),
        ("amount", "100"),
        ("currency", "cny"),
        ("trade_status", "SUCCESS"),
        ("sign", "00"),
    ];
    let r = app
        .http
        .post(app.url(&format!("/notify/sandbox/{}/test", app.tenant.app)))
        .form(&forged)
        .send()
        .await
        .expect("notify");
    assert_ne!(r.text().await.expect("ack"), "SUCCESS");
    let d = op.get_ok(&format!("/admin/api/charges/{ch}")).await;
    assert_eq!(d["charge"]["status"], "unpaid");
    // The real payment's notification is kept. Records are written in the
    // order they were queued, so once it shows, a kept forgery would too.
    app.pay(&c, "paid").await;
    let d = detail_with_notifications(&op, ch, 1).await;
    assert_eq!(d["notifications"].as_array().map(Vec::len), Some(1), "{}", d["notifications"]);
    assert_eq!(d["notifications"][0]["outcome"], "accepted");
    assert!(d["notifications"][0]["headers"].get("content-type").is_some());
}
