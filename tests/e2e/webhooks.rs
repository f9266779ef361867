//! Webhook delivery against a real local receiver.

use serde_json::{json, Value};
use std::time::Duration;
use unicharge_tests::receiver::{Receiver, Reply};
use unicharge_tests::*;

fn unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

/// Retry delays 15 s, 1 m, 4 m, … compressed 1000× (15 ms, 60 ms, 240 ms, …);
/// a 1 s receiver timeout.
async fn webhook_app(schedule: Option<&str>) -> TestApp {
    let schedule = schedule.map(str::to_owned);
    spawn_with(move |cfg| {
        cfg.webhook_timeout_secs = 1;
        cfg.webhook_schedule.time_scale = 1000;
        if let Some(s) = schedule {
            cfg.webhook_schedule = unicharge_webhooks::RetrySchedule::parse(&s, 1000).expect("schedule");
        }
    })
    .await
}

async fn endpoint(app: &TestApp, url: &str, events: Value) -> Value {
    let r = app
        .post_json(
            &format!("/v1/apps/{}/webhook_endpoints", app.tenant.app),
            &app.tenant.test_key,
            &json!({"url": url, "enabled_events": events}),
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

async fn event(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/events/{id}"), &app.tenant.test_key).await.json().await.expect("json")
}

#[tokio::test]
async fn a_payment_is_delivered_signed_and_recorded() {
    let app = webhook_app(None).await;
    let rx = Receiver::start(vec![]).await;
    let ep = endpoint(&app, &rx.url, json!(["charge.succeeded"])).await;
    let secret = ep["secret"].as_str().expect("secret shown once");
    assert!(secret.starts_with("whsec_"));
    let listed: Value = app
        .get(&format!("/v1/apps/{}/webhook_endpoints", app.tenant.app), &app.tenant.test_key)
        .await
        .json()
        .await
        .expect("json");
    assert!(listed["data"][0].get("secret").is_none(), "the secret is never shown again");

    let c = app.paid_charge(100).await;
    let got = rx.wait_for(1, Duration::from_secs(10)).await;
    let w = &got[0];
    let body = w.json();
    assert_eq!(body["object"], "event");
    assert_eq!(body["type"], "charge.succeeded");
    assert_eq!(body["data"]["object"]["id"], c["id"]);
    assert_eq!(body["result_code"], 0);
    assert_eq!(body["result_msg"], "OK");
    assert_eq!(body["err_detail"], "");
    assert_eq!(w.header("content-type"), Some("application/json"));
    assert_eq!(w.header("unicharge-event-id"), body["id"].as_str());
    assert_eq!(w.header("unicharge-delivery-attempt"), Some("1"));
    let sig = w.header("unicharge-signature").expect("signature");
    assert_eq!(unicharge_webhooks::verify_signature(sig, secret, &w.body, unix(), 300), Ok(()));
    assert!(unicharge_webhooks::verify_signature(sig, "whsec_wrong", &w.body, unix(), 300).is_err());
    assert!(unicharge_webhooks::verify_signature(sig, secret, &w.body, unix() + 301, 300).is_err());

    // Ping++ drop-in: RSA over the raw body with the published platform key.
    let pem = app.http.get(app.url("/platform_public_key.pem")).send().await.expect("pem").text().await.expect("text");
    let platform = unicharge_crypto::RsaPublicKey::parse(&pem).expect("public key");
    assert!(platform.verify_sha256_b64(&w.body, w.header("x-pingplusplus-signature").expect("rsa sig")));

    // The event shows the delivery, and nothing is pending any more.
    let evt_id = body["id"].as_str().expect("id");
    let mut e = event(&app, evt_id).await;
    for _ in 0..50 {
        if e["pending_webhooks"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        e = event(&app, evt_id).await;
    }
    assert_eq!(e["pending_webhooks"], 0);
    assert_eq!(e["webhook_deliveries"][0]["status"], "succeeded");
    assert_eq!(e["webhook_deliveries"][0]["last_status_code"], 200);
    // Not subscribed to refunds: a refund sends nothing to this endpoint.
    app.post_json(
        &format!("/v1/charges/{}/refunds", c["id"].as_str().expect("id")),
        &app.tenant.test_key,
        &json!({"amount": 1}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 1);
}

#[tokio::test]
async fn failures_are_retried_on_schedule_until_received() {
    let app = webhook_app(None).await;
    let rx = Receiver::start(vec![Reply::Status(500), Reply::Status(503), Reply::Status(404)]).await;
    endpoint(&app, &rx.url, json!(["*"])).await;
    app.paid_charge(100).await;
    let got = rx.wait_for(4, Duration::from_secs(10)).await;
    let ids: Vec<String> = got.iter().map(|r| r.json()["id"].as_str().expect("id").to_owned()).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "the same event each time");
    let attempts: Vec<&str> = got.iter().map(|r| r.header("unicharge-delivery-attempt").expect("attempt")).collect();
    assert_eq!(attempts, vec!["1", "2", "3", "4"]);
    // 15 s, 1 m, 4 m compressed 1000×, each within its ±10 % jitter.
    for (i, expected_ms) in [15u128, 60, 240].iter().enumerate() {
        let gap = got[i + 1].at.duration_since(got[i].at).as_millis();
        assert!(gap + 2 >= expected_ms * 9 / 10, "gap {i}: {gap} ms < {expected_ms} ms");
        assert!(gap <= expected_ms * 11 / 10 + 600, "gap {i}: {gap} ms ≫ {expected_ms} ms");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 4, "nothing after the 2xx");
    let e = event(&app, &ids[0]).await;
    assert_eq!(e["webhook_deliveries"][0]["attempts"], 4);
    assert_eq!(e["webhook_deliveries"][0]["status"], "succeeded");
}

#[tokio::test]
async fn hanging_and_redirecting_receivers_count_as_failures() {
    let app = webhook_app(None).await;
    let rx = Receiver::start(vec![Reply::Hang(Duration::from_secs(3)), Reply::Redirect]).await;
    endpoint(&app, &rx.url, json!(["charge.succeeded"])).await;
    app.paid_charge(100).await;
    let got = rx.wait_for(3, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 3, "hung, redirected, then delivered");
    let evt = got[0].json()["id"].as_str().expect("id").to_owned();
    let attempts = app
        .state
        .store
        .attempts_for_delivery(event(&app, &evt).await["webhook_deliveries"][0]["id"].as_str().expect("delivery"))
        .await
        .expect("attempts");
    assert_eq!(attempts.len(), 3);
    assert_eq!(attempts[0].error.as_deref(), Some("timed out"));
    assert!(attempts[0].latency_ms >= 900 && attempts[0].latency_ms < 2500, "{}", attempts[0].latency_ms);
    assert_eq!(attempts[1].status, Some(302), "redirects are not followed");
    assert_eq!(attempts[2].status, Some(200));
}

#[tokio::test]
async fn exhausted_deliveries_fail_visibly_and_can_be_resent() {
    let app = webhook_app(Some("1s,1s")).await;
    let rx = Receiver::start(vec![Reply::Status(500); 3]).await;
    endpoint(&app, &rx.url, json!(["charge.succeeded"])).await;
    app.paid_charge(100).await;
    let got = rx.wait_for(3, Duration::from_secs(10)).await;
    let evt = got[0].json()["id"].as_str().expect("id").to_owned();
    let mut e = event(&app, &evt).await;
    for _ in 0..100 {
        // Two reads (event, then deliveries): wait until both show the end.
        if e["webhook_deliveries"][0]["status"] == "failed" && e["pending_webhooks"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        e = event(&app, &evt).await;
    }
    assert_eq!(e["webhook_deliveries"][0]["status"], "failed");
    assert_eq!(e["webhook_deliveries"][0]["last_status_code"], 500);
    assert_eq!(e["pending_webhooks"], 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.received().len(), 3, "no attempts beyond the schedule");

    // The tenant is back: resend everything that failed since a time.
    let r: Value = app
        .post_json("/v1/events/resend_failed", &app.tenant.test_key, &json!({"since": unix() - 60}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(r["resent"], 1);
    rx.wait_for(4, Duration::from_secs(10)).await;

    // And any single event can be redelivered on demand.
    let r: Value = app
        .post_json(&format!("/v1/events/{evt}/redeliver"), &app.tenant.test_key, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(r["redelivered"], 1);
    let got = rx.wait_for(5, Duration::from_secs(10)).await;
    assert_eq!(got[4].json()["id"], evt);
}

#[tokio::test]
async fn rotation_signs_with_both_secrets_and_live_endpoints_must_be_public() {
    let app = webhook_app(None).await;
    let rx = Receiver::start(vec![]).await;
    let ep = endpoint(&app, &rx.url, json!(["charge.succeeded"])).await;
    let old = ep["secret"].as_str().expect("secret").to_owned();
    let path =
        format!("/v1/apps/{}/webhook_endpoints/{}/rotate_secret", app.tenant.app, ep["id"].as_str().expect("id"));
    let rotated: Value = app
        .post_json(&path, &app.tenant.test_key, &json!({"expire_previous_in": 3600}))
        .await
        .json()
        .await
        .expect("json");
    let new = rotated["secret"].as_str().expect("new secret");
    assert_ne!(new, old);
    app.paid_charge(100).await;
    let got = rx.wait_for(1, Duration::from_secs(10)).await;
    let sig = got[0].header("unicharge-signature").expect("sig");
    assert_eq!(sig.matches("v1=").count(), 2);
    for s in [old.as_str(), new] {
        assert_eq!(unicharge_webhooks::verify_signature(sig, s, &got[0].body, unix(), 300), Ok(()));
    }

    // Live mode refuses endpoints that resolve into our own network.
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest",
        "http://localhost/x",
        "ftp://example.com/",
    ] {
        let r = app
            .post_json(
                &format!("/v1/apps/{}/webhook_endpoints", app.tenant.app),
                &app.tenant.live_key,
                &json!({"url": url}),
            )
            .await;
        assert_error(r, 400, "invalid_request_error", Some("url")).await;
    }
    let r = app
        .post_json(
            &format!("/v1/apps/{}/webhook_endpoints", app.tenant.app),
            &app.tenant.test_key,
            &json!({"url": rx.url, "enabled_events": ["charge.exploded"]}),
        )
        .await;
    assert_error(r, 400, "invalid_request_error", Some("enabled_events")).await;
}

#[tokio::test]
async fn deliveries_to_a_deleted_endpoint_fail_at_once() {
    let app = webhook_app(None).await;
    let rx = Receiver::start(vec![Reply::Status(500)]).await;
    let ep = endpoint(&app, &rx.url, json!(["charge.succeeded"])).await;
    app.paid_charge(100).await;
    let first = rx.wait_for(1, Duration::from_secs(10)).await;
    let evt = first[0].json()["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/apps/{}/webhook_endpoints/{}", app.tenant.app, ep["id"].as_str().expect("id"));
    let r = app.http.delete(app.url(&path)).bearer_auth(&app.tenant.test_key).send().await.expect("delete");
    assert_eq!(r.status(), 200);
    let mut e = event(&app, &evt).await;
    for _ in 0..100 {
        // Two reads (event, then deliveries): wait until both show the end.
        if e["webhook_deliveries"][0]["status"] == "failed" && e["pending_webhooks"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        e = event(&app, &evt).await;
    }
    assert_eq!(e["webhook_deliveries"][0]["status"], "failed");
    assert_eq!(e["webhook_deliveries"][0]["last_error"], "endpoint deleted");
    assert_eq!(e["pending_webhooks"], 0);
    assert_eq!(rx.received().len(), 1);
}

#[tokio::test]
async fn a_dead_endpoint_does_not_starve_a_healthy_one() {
    let app = spawn_with(|cfg| {
        cfg.webhook_timeout_secs = 1;
        cfg.webhook_schedule.time_scale = 1000;
        // 8 slots; a single endpoint may hold 2 of them.
        cfg.webhook_concurrency = 8;
        cfg.webhook_endpoint_concurrency = 2;
    })
    .await;
    let dead = Receiver::start(vec![Reply::Hang(Duration::from_secs(3)); 200]).await;
    let healthy = Receiver::start(vec![]).await;
    endpoint(&app, &dead.url, json!(["charge.succeeded"])).await;
    endpoint(&app, &healthy.url, json!(["charge.succeeded"])).await;
    let started = std::time::Instant::now();
    for _ in 0..24 {
        app.paid_charge(100).await;
    }
    // Unguarded, 24 hanging deliveries retried at once would hold all 8
    // slots for about 30 s (24 × 10 attempts × 1 s / 8).
    healthy.wait_for(24, Duration::from_secs(6)).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(6), "healthy endpoint waited {took:?}");
    // The circuit opened: the dead endpoint saw only a handful of attempts.
    let dead_attempts = dead.received().len();
    assert!(dead_attempts <= 16, "dead endpoint was hammered: {dead_attempts} attempts");
}
