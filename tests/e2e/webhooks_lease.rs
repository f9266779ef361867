//! A delivery's lease decides who may record its attempt. Attempts are
//! recorded in batches after the receiver answered; a node whose lease was
//! taken over meanwhile (it looked dead) must record nothing, and the node
//! now holding it records normally.

use serde_json::json;
use std::time::Duration;
use unicharge_store::webhooks::{AttemptOutcome, AttemptRecord};
use unicharge_store::FinishedAttempt;
use unicharge_tests::receiver::{Receiver, Reply};
use unicharge_tests::*;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as i64
}

#[tokio::test]
async fn an_attempt_whose_lease_was_taken_over_is_not_recorded() {
    let app = spawn_with(|cfg| cfg.webhook_timeout_secs = 2).await;
    let rx = Receiver::start(vec![Reply::Hang(Duration::from_millis(1500))]).await;
    let r = app
        .post_json(
            &format!("/v1/apps/{}/webhook_endpoints", app.tenant.app),
            &app.tenant.test_key,
            &json!({"url": rx.url, "enabled_events": ["charge.succeeded"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let charge = app.paid_charge(100).await;
    let first = rx.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(first.len(), 1, "the dispatcher is mid-attempt");

    // Another node takes the delivery over, as it would once the lease ran
    // out: claim with a clock past any lease.
    let store = &app.state.store;
    let later = now_ms() + 3_600_000;
    let taken = store.claim_deliveries("thief", later, later + 60_000, 10, &[]).await.expect("claim");
    assert_eq!(taken.len(), 1, "the in-flight delivery is claimable past its lease");
    let d = taken[0].clone();

    // The first node's attempt ends (the receiver answers 200 after 1.5 s)
    // and is dropped at recording.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let evt = &app.state.store.events_for_object(charge["id"].as_str().expect("id")).await.expect("events")[0];
    let attempts = store.attempts_for_delivery(&d.id).await.expect("attempts");
    assert!(attempts.is_empty(), "a node without the lease recorded an attempt: {attempts:?}");
    let now = store.deliveries_for_event(&evt.id).await.expect("deliveries");
    assert_eq!(now[0].status, "pending");
    assert_eq!(now[0].leased_by.as_deref(), Some("thief"));

    // The holder records; a second, stale record of the same attempt (a
    // replayed batch) changes nothing.
    let rec = AttemptRecord { status: Some(200), latency_ms: 3, response: Some("ok".into()), error: None };
    let done = FinishedAttempt { delivery: d.clone(), at: now_ms(), rec, outcome: AttemptOutcome::Delivered };
    let recorded = store.finish_attempts("thief", &[done.clone(), done.clone()]).await.expect("record");
    assert!(recorded.contains(&d.id));
    let again = store.finish_attempts("thief", &[done]).await.expect("record again");
    assert!(again.is_empty(), "a finished delivery is not finished twice");
    let attempts = store.attempts_for_delivery(&d.id).await.expect("attempts");
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].node, "thief");
    let after = store.deliveries_for_event(&evt.id).await.expect("deliveries");
    assert_eq!(after[0].status, "succeeded");
    assert_eq!(after[0].attempts, 1);
    let evt = store.get_event(&evt.id).await.expect("event").expect("exists");
    assert_eq!(evt.pending_webhooks, 0, "counted down once");
}

/// `pingpp_signature: false` drops the RSA header (and its cost) for
/// tenants that verify `Unicharge-Signature`; it is on by default, and can
/// be switched back on.
#[tokio::test]
async fn the_ping_plus_plus_rsa_signature_can_be_switched_off_per_endpoint() {
    let app = spawn().await;
    let rx = Receiver::start(vec![]).await;
    let path = format!("/v1/apps/{}/webhook_endpoints", app.tenant.app);
    let key = &app.tenant.test_key;
    let r =
        app.post_json(&path, key, &json!({"url": rx.url, "enabled_events": ["*"], "pingpp_signature": false})).await;
    assert_eq!(r.status(), 200);
    let ep: serde_json::Value = r.json().await.expect("json");
    assert_eq!(ep["pingpp_signature"], false);
    let bad = app.post_json(&path, key, &json!({"url": rx.url, "pingpp_signature": "maybe"})).await;
    assert_error(bad, 400, "invalid_request_error", Some("pingpp_signature")).await;

    app.paid_charge(100).await;
    let got = rx.wait_for(1, Duration::from_secs(10)).await;
    assert!(got[0].header("unicharge-signature").is_some());
    assert!(got[0].header("x-pingplusplus-signature").is_none(), "switched off");

    let id = ep["id"].as_str().expect("id");
    let on = app.post_form(&format!("{path}/{id}"), key, &[("pingpp_signature", "true")]).await;
    assert_eq!(on.status(), 200);
    app.paid_charge(100).await;
    let got = rx.wait_for(2, Duration::from_secs(10)).await;
    assert!(got[1].header("x-pingplusplus-signature").is_some(), "switched back on");
}
