//! The charge read cache never serves a state older than a committed change:
//! on one node, and across nodes sharing PostgreSQL.

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use unicharge_tests::*;

async fn read(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/charges/{id}"), &app.tenant.test_key).await.json().await.expect("json")
}

#[tokio::test]
async fn every_change_is_visible_on_the_next_read() {
    let app = spawn().await;
    let c = app.charge(100).await;
    let id = c["id"].as_str().expect("id");
    assert!(app.state.store.charge_cache_active() || backend_name() == "postgres");
    for _ in 0..3 {
        assert_eq!(read(&app, id).await["paid"], false);
    }
    app.pay(&c, "paid").await;
    assert_eq!(read(&app, id).await["paid"], true);
    let key = &app.tenant.test_key;
    assert_eq!(app.post_json(&format!("/v1/charges/{id}/refunds"), key, &json!({"amount": 40})).await.status(), 200);
    let after = read(&app, id).await;
    assert_eq!(after["amount_refunded"], 40);
    assert_eq!(after["refunds"]["data"].as_array().expect("data").len(), 1);

    let other = app.charge(100).await;
    let oid = other["id"].as_str().expect("id");
    assert_eq!(read(&app, oid).await["reversed"], false);
    assert_eq!(app.post_json(&format!("/v1/charges/{oid}/reverse"), key, &json!({})).await.status(), 200);
    assert_eq!(read(&app, oid).await["reversed"], true);
}

#[tokio::test]
async fn a_change_on_one_node_reaches_the_others() {
    if backend_name() != "postgres" {
        // Several nodes share one database only on PostgreSQL.
        return;
    }
    let a = spawn().await;
    let b = spawn_peer(&a).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !b.state.store.charge_cache_active() {
        assert!(Instant::now() < deadline, "node b's cache listener never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for round in 0..5 {
        let c = a.charge(100).await;
        let id = c["id"].as_str().expect("id");
        assert_eq!(read(&b, id).await["paid"], false, "round {round}: b caches the unpaid charge");
        assert_eq!(read(&b, id).await["paid"], false);
        a.pay(&c, "paid").await;
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            if read(&b, id).await["paid"] == true {
                break;
            }
            assert!(Instant::now() < deadline, "round {round}: node b still serves the unpaid charge");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
