//! A tenant user cannot reach another tenant's data by editing ids in URLs,
//! query strings or bodies: every such object is "no such …" (404), and
//! none appears in its lists or figures.

use crate::admin_client::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use unicharge_tests::receiver::Receiver;
use unicharge_tests::*;

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().expect("data").iter().map(|o| o["id"].as_str().expect("id").to_owned()).collect()
}

#[tokio::test]
async fn a_tenant_user_cannot_see_or_touch_another_tenants_objects() {
    let app = spawn_with(|cfg| {
        cfg.webhook_timeout_secs = 1;
        cfg.webhook_schedule.time_scale = 1000;
    })
    .await;
    // Tenant B: a paid, partly refunded charge, its events and deliveries.
    let other = app.new_tenant("Other").await;
    let receiver = Receiver::start(vec![]).await;
    let r = app
        .post_json(
            &format!("/v1/apps/{}/webhook_endpoints", other.app),
            &other.test_key,
            &json!({"url": receiver.url, "enabled_events": ["*"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let endpoint: Value = r.json().await.expect("json");
    let mut body = charge_body(&other.app);
    body["amount"] = json!(500);
    let c: Value = app.post_json("/v1/charges", &other.test_key, &body).await.json().await.expect("json");
    app.pay(&c, "paid").await;
    let ch = c["id"].as_str().expect("id").to_owned();
    let re: Value = app
        .post_json(&format!("/v1/charges/{ch}/refunds"), &other.test_key, &json!({"amount": 100}))
        .await
        .json()
        .await
        .expect("json");
    let re = re["id"].as_str().expect("refund id").to_owned();
    receiver.wait_for(2, Duration::from_secs(10)).await;
    let evt = app.state.store.events_for_object(&ch).await.expect("events")[0].id.clone();
    let key = app.state.store.list_api_keys(&other.id).await.expect("keys")[0].id.clone();
    let we = endpoint["id"].as_str().expect("we").to_owned();

    // The operator sees all of it (so the ids are real).
    let op = operator(&app).await;
    op.get_ok(&format!("/admin/api/charges/{ch}")).await;
    op.get_ok(&format!("/admin/api/refunds/{re}")).await;
    op.get_ok(&format!("/admin/api/events/{evt}")).await;

    // Tenant A's user, with one charge of its own.
    let mine = app.paid_charge(300).await;
    let t = tenant_user(&app, &app.tenant.id).await;
    let o = &other.app;
    for path in [
        format!("/admin/api/charges/{ch}"),
        format!("/admin/api/refunds/{re}"),
        format!("/admin/api/events/{evt}"),
        format!("/admin/api/apps/{o}"),
        format!("/admin/api/apps/{o}/webhook_endpoints"),
        format!("/admin/api/apps/{o}/channels"),
        format!("/admin/api/charges?app={o}"),
        format!("/admin/api/refunds?app={o}"),
        format!("/admin/api/events?app={o}"),
        format!("/admin/api/overview?app={o}"),
        format!("/admin/api/charges/export?app={o}"),
        format!("/admin/api/keys?tenant={}", other.id),
    ] {
        assert_admin_error(t.get(&path).await, 404, "resource_not_found").await;
    }
    for (method, path, body) in [
        (Method::POST, format!("/admin/api/charges/{ch}/refunds"), json!({"amount": 1})),
        (Method::POST, format!("/admin/api/charges/{ch}/sandbox"), json!({"result": "paid"})),
        (Method::POST, format!("/admin/api/events/{evt}/resend"), json!({})),
        (Method::DELETE, format!("/admin/api/keys/{key}"), json!({})),
        (Method::POST, "/admin/api/keys?mode=test".to_owned(), json!({"tenant": other.id})),
        (Method::POST, "/admin/api/apps".to_owned(), json!({"name": "Sneaky", "tenant": other.id})),
        (Method::POST, format!("/admin/api/apps/{o}/webhook_endpoints"), json!({"url": receiver.url})),
        (Method::PUT, format!("/admin/api/apps/{o}/webhook_endpoints/{we}"), json!({"disabled": true})),
        (Method::DELETE, format!("/admin/api/apps/{o}/webhook_endpoints/{we}"), json!({})),
        (Method::PUT, format!("/admin/api/apps/{o}/channels/sandbox"), json!({"params": {}})),
        // Its own app in the path, the other tenant's endpoint id.
        (Method::DELETE, format!("/admin/api/apps/{}/webhook_endpoints/{we}", app.tenant.app), json!({})),
    ] {
        let r = t.send(method.clone(), &path, Some(&body)).await;
        assert_admin_error(r, 404, "resource_not_found").await;
    }

    // Nothing changed: the refund was not made, the key still works, the
    // endpoint is still enabled.
    let c2: Value = app.get(&format!("/v1/charges/{ch}"), &other.test_key).await.json().await.expect("json");
    assert_eq!(c2["amount_refunded"], 100);
    assert_eq!(app.get("/v1/events", &other.test_key).await.status(), 200);
    let ep = op.get_ok(&format!("/admin/api/apps/{o}/webhook_endpoints")).await;
    assert_eq!(ep["data"][0]["status"], "enabled");

    // Lists and figures hold only its own objects.
    let charges = t.get_ok("/admin/api/charges").await;
    assert_eq!(ids(&charges), vec![mine["id"].as_str().expect("id").to_owned()]);
    let all = op.get_ok("/admin/api/charges").await;
    assert!(ids(&all).contains(&ch), "the operator's list has both");
    assert!(!ids(&t.get_ok("/admin/api/refunds").await).contains(&re));
    let events = t.get_ok("/admin/api/events").await;
    assert!(events["data"].as_array().expect("data").iter().all(|e| e["app"] == app.tenant.app.as_str()));
    assert!(!ids(&events).contains(&evt));
    let apps = t.get_ok("/admin/api/apps").await;
    assert_eq!(ids(&apps), vec![app.tenant.app.clone()]);
    let apps = t.get_ok(&format!("/admin/api/apps?tenant={}", other.id)).await;
    assert_eq!(ids(&apps), vec![app.tenant.app.clone()], "a tenant filter cannot widen the view");
    let ov = t.get_ok("/admin/api/overview").await;
    assert_eq!(ov["today"]["count"], 1);
    assert_eq!(ov["today"]["volume"], 300);
    // A cursor from another tenant's list is refused, not followed.
    let r = t.get(&format!("/admin/api/charges?starting_after={ch}")).await;
    assert_admin_error(r, 400, "parameter_invalid").await;
    let csv = t.get("/admin/api/charges/export").await.text().await.expect("csv");
    assert!(!csv.contains(&ch) && csv.contains(mine["id"].as_str().expect("id")));
}
