//! `POST /v1/events/{id}/redeliver` with `endpoint`: one endpoint only.

use serde_json::{json, Value};
use std::time::Duration;
use unicharge_tests::receiver::Receiver;
use unicharge_tests::*;

async fn endpoint(app: &TestApp, tenant: &Tenant, key: &str, url: &str, events: Value) -> String {
    let r = app
        .post_json(
            &format!("/v1/apps/{}/webhook_endpoints", tenant.app),
            key,
            &json!({"url": url, "enabled_events": events}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    v["id"].as_str().expect("id").to_owned()
}

async fn set_disabled(app: &TestApp, id: &str, disabled: bool) {
    let path = format!("/v1/apps/{}/webhook_endpoints/{id}", app.tenant.app);
    let r = app.post_json(&path, &app.tenant.test_key, &json!({"disabled": disabled})).await;
    assert_eq!(r.status(), 200);
}

async fn redeliver(app: &TestApp, evt: &str, body: &Value) -> reqwest::Response {
    app.post_json(&format!("/v1/events/{evt}/redeliver"), &app.tenant.test_key, body).await
}

#[tokio::test]
async fn redelivery_to_one_endpoint_reaches_only_that_one() {
    let app = spawn_with(|cfg| {
        cfg.webhook_timeout_secs = 1;
        cfg.webhook_schedule.time_scale = 1000;
    })
    .await;
    let (a, b) = (Receiver::start(vec![]).await, Receiver::start(vec![]).await);
    let key = app.tenant.test_key.clone();
    let a_id = endpoint(&app, &app.tenant, &key, &a.url, json!(["charge.succeeded"])).await;
    endpoint(&app, &app.tenant, &key, &b.url, json!(["charge.succeeded"])).await;
    app.paid_charge(100).await;
    let evt = a.wait_for(1, Duration::from_secs(10)).await[0].json()["id"].as_str().expect("id").to_owned();
    b.wait_for(1, Duration::from_secs(10)).await;

    let r = redeliver(&app, &evt, &json!({"endpoint": a_id})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json")["redelivered"], 1);
    let got = a.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].json()["id"], evt);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(b.received().len(), 1, "the other endpoint got nothing more");

    // Form encoding works too (curl users).
    let r = app
        .post_form(&format!("/v1/events/{evt}/redeliver"), &app.tenant.test_key, &[("endpoint", a_id.as_str())])
        .await;
    assert_eq!(r.status(), 200);
    a.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(b.received().len(), 1);
}

#[tokio::test]
async fn an_endpoint_disabled_when_the_event_happened_can_be_sent_it_later() {
    let app = spawn_with(|cfg| cfg.webhook_schedule.time_scale = 1000).await;
    let (on, off) = (Receiver::start(vec![]).await, Receiver::start(vec![]).await);
    let key = app.tenant.test_key.clone();
    endpoint(&app, &app.tenant, &key, &on.url, json!(["charge.succeeded"])).await;
    let off_id = endpoint(&app, &app.tenant, &key, &off.url, json!(["*"])).await;
    set_disabled(&app, &off_id, true).await;
    app.paid_charge(100).await;
    let evt = on.wait_for(1, Duration::from_secs(10)).await[0].json()["id"].as_str().expect("id").to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(off.received().is_empty(), "events raised while disabled are not queued for it");

    let r = redeliver(&app, &evt, &json!({"endpoint": off_id})).await;
    let body = assert_error(r, 400, "invalid_request_error", Some("endpoint")).await;
    assert_eq!(body["error"]["code"], "parameter_invalid", "{body}");

    set_disabled(&app, &off_id, false).await;
    let r = redeliver(&app, &evt, &json!({"endpoint": off_id})).await;
    assert_eq!(r.status(), 200);
    let got = off.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].json()["id"], evt);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(on.received().len(), 1, "the endpoint that had it already got nothing more");
}

#[tokio::test]
async fn redelivery_refuses_endpoints_it_cannot_send_the_event_to() {
    let app = spawn_with(|cfg| {
        cfg.webhook_schedule.time_scale = 1000;
        // Lets a live endpoint point at the loopback receiver.
        cfg.webhook_allow_private = true;
    })
    .await;
    let rx = Receiver::start(vec![]).await;
    let key = app.tenant.test_key.clone();
    endpoint(&app, &app.tenant, &key, &rx.url, json!(["charge.succeeded"])).await;
    let refunds_only = endpoint(&app, &app.tenant, &key, &rx.url, json!(["refund.succeeded"])).await;
    let live = endpoint(&app, &app.tenant, &app.tenant.live_key, &rx.url, json!(["*"])).await;
    let other = app.new_tenant("Other").await;
    let others = endpoint(&app, &other, &other.test_key, &rx.url, json!(["*"])).await;
    app.paid_charge(100).await;
    let evt = rx.wait_for(1, Duration::from_secs(10)).await[0].json()["id"].as_str().expect("id").to_owned();

    // Another tenant's endpoint, the other mode's, and a made-up id all read
    // as "no such endpoint": nothing tells them apart.
    for id in [others.as_str(), live.as_str(), "we_doesnotexist0000000000"] {
        let r = redeliver(&app, &evt, &json!({"endpoint": id})).await;
        let body = assert_error(r, 400, "invalid_request_error", Some("endpoint")).await;
        assert_eq!(body["error"]["code"], "resource_not_found", "{id}: {body}");
        assert_eq!(body["error"]["message"], format!("No such webhook_endpoint: {id}"));
    }
    let r = redeliver(&app, &evt, &json!({"endpoint": refunds_only})).await;
    let body = assert_error(r, 400, "invalid_request_error", Some("endpoint")).await;
    assert_eq!(body["error"]["code"], "parameter_unsupported", "{body}");
    for bad in [json!(5), json!(""), json!(["we_x"])] {
        let r = redeliver(&app, &evt, &json!({"endpoint": bad})).await;
        let body = assert_error(r, 400, "invalid_request_error", Some("endpoint")).await;
        assert_eq!(body["error"]["code"], "parameter_invalid", "{bad}: {body}");
    }

    // None of that queued anything.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 1);
    let ds = app.state.store.deliveries_for_event(&evt).await.expect("deliveries");
    assert_eq!(ds.len(), 1, "{ds:?}");
}
