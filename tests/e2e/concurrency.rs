//! Retries and races: one charge per idempotency key or order, one refund
//! within the amount, one event per state change.

use futures::future::join_all;
use serde_json::{json, Value};
use unicharge_tests::*;

#[tokio::test]
async fn idempotency_key_replays_refuses_mismatch_and_survives_concurrency() {
    let app = spawn().await;
    let key = &app.tenant.test_key;
    let body = charge_body(&app.tenant.app);
    let send = |k: &str, b: &Value| {
        app.http.post(app.url("/v1/charges")).bearer_auth(key).header("Idempotency-Key", k).json(b).send()
    };
    let first = send("idem-1", &body).await.expect("send");
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.expect("json");
    let again = send("idem-1", &body).await.expect("send");
    assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.as_bytes()), Some(&b"true"[..]));
    assert_eq!(again.json::<Value>().await.expect("json"), first);

    let mut changed = body.clone();
    changed["amount"] = json!(555);
    let r = send("idem-1", &changed).await.expect("send");
    assert_error(r, 400, "invalid_request_error", Some("Idempotency-Key")).await;

    // A rejected request's error is replayed too, and writes nothing.
    let mut bad = charge_body(&app.tenant.app);
    bad["amount"] = json!(0);
    let e1: Value = send("idem-bad", &bad).await.expect("send").json().await.expect("json");
    let e2 = send("idem-bad", &bad).await.expect("send");
    assert_eq!(e2.status(), 400);
    assert_eq!(e2.json::<Value>().await.expect("json"), e1);

    // Twelve concurrent requests, one key: one charge, one answer.
    let body = charge_body(&app.tenant.app);
    let results = join_all((0..12).map(|_| async {
        let r = send("idem-race", &body).await.expect("send");
        (r.status().as_u16(), r.json::<Value>().await.expect("json"))
    }))
    .await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|(s, v)| {
            assert_eq!(*s, 200, "{v}");
            v["id"].as_str().expect("id").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one charge for one key");
    let list: Value =
        app.get(&format!("/v1/charges?app[id]={}&limit=100", app.tenant.app), key).await.json().await.expect("json");
    let same_order =
        list["data"].as_array().expect("data").iter().filter(|c| c["order_no"] == body["order_no"]).count();
    assert_eq!(same_order, 1);
}

#[tokio::test]
async fn concurrent_creates_of_one_order_make_one_charge() {
    let app = spawn().await;
    let body = charge_body(&app.tenant.app);
    let results = join_all((0..10).map(|_| async {
        let r = app.post_json("/v1/charges", &app.tenant.test_key, &body).await;
        (r.status().as_u16(), r.json::<Value>().await.expect("json"))
    }))
    .await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|(s, v)| {
            assert_eq!(*s, 200, "{v}");
            v["id"].as_str().expect("id").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn racing_refunds_that_together_exceed_the_amount_pay_out_once() {
    let app = spawn().await;
    for round in 0..3 {
        let c = app.paid_charge(100).await;
        let id = c["id"].as_str().expect("id").to_owned();
        let path = format!("/v1/charges/{id}/refunds");
        let results = join_all((0..8).map(|_| async {
            let r = app.post_json(&path, &app.tenant.test_key, &json!({"amount": 60, "description": "race"})).await;
            r.status().as_u16()
        }))
        .await;
        let ok = results.iter().filter(|s| **s == 200).count();
        assert_eq!(ok, 1, "round {round}: exactly one refund succeeds: {results:?}");
        assert!(results.iter().all(|s| *s == 200 || *s == 400), "{results:?}");
        let ch: Value = app.get(&format!("/v1/charges/{id}"), &app.tenant.test_key).await.json().await.expect("json");
        assert_eq!(ch["amount_refunded"], 60);
        let refund_events = app
            .state
            .store
            .list_refunds(&id, unicharge_store::PageRequest { limit: 100, ..Default::default() })
            .await
            .expect("refunds");
        assert_eq!(refund_events.rows.len(), 1, "losers wrote no refund rows");
    }
}

#[tokio::test]
async fn concurrent_duplicate_notifications_change_state_once() {
    let app = spawn().await;
    let c = app.charge(100).await;
    let id = c["id"].as_str().expect("id");
    let results = join_all((0..8).map(|_| app.pay(&c, "paid"))).await;
    assert!(results.iter().all(|r| r["status"] == "paid"));
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
}

#[tokio::test]
async fn a_dead_requests_idempotency_claim_is_taken_over_and_old_keys_purged() {
    use unicharge_store::IdempotencyBegin;
    let app = spawn().await;
    let store = &app.state.store;
    let t = &app.tenant.id;
    assert_eq!(store.begin_idempotency(t, false, "k", "h", 1_000).await.expect("begin"), IdempotencyBegin::Started);
    // The first request "died": no response was ever stored.
    assert_eq!(store.begin_idempotency(t, false, "k", "h", 1_030).await.expect("begin"), IdempotencyBegin::InFlight);
    assert_eq!(
        store.begin_idempotency(t, false, "k", "other", 1_100).await.expect("begin"),
        IdempotencyBegin::Mismatch
    );
    assert_eq!(store.begin_idempotency(t, false, "k", "h", 1_061).await.expect("begin"), IdempotencyBegin::Started);
    store.finish_idempotency(t, false, "k", 200, "{}").await.expect("finish");
    assert_eq!(
        store.begin_idempotency(t, false, "k", "h", 9_999).await.expect("begin"),
        IdempotencyBegin::Replay { status: 200, body: "{}".into() }
    );
    assert_eq!(store.purge_idempotency(2_000).await.expect("purge"), 1);
    assert_eq!(store.begin_idempotency(t, false, "k", "h", 10_000).await.expect("begin"), IdempotencyBegin::Started);
}
