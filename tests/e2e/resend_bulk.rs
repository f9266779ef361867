//! `POST /v1/events/resend_failed` after a long tenant outage: more failed
//! deliveries than one SQL statement can carry parameters for (32,766 on
//! SQLite, 65,535 on PostgreSQL at two per event). The call used to answer
//! 500 there; now every delivery is queued again, and each event's
//! `pending_webhooks` still matches its pending deliveries.

use serde_json::{json, Value};
use unicharge_tests::sql::{backlog, exec, one_i64};
use unicharge_tests::*;

const FAILED: i64 = 33_000;

fn unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

#[tokio::test]
async fn resend_failed_requeues_a_backlog_larger_than_one_statement() {
    let app = spawn().await;
    // A disabled endpoint: the requeued deliveries are given up at once
    // ("endpoint disabled") instead of 33,000 HTTP requests.
    let r = app
        .post_json(
            &format!("/v1/apps/{}/webhook_endpoints", app.tenant.app),
            &app.tenant.test_key,
            &json!({"url": "http://127.0.0.1:9/hook", "enabled_events": ["charge.succeeded"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let ep: Value = r.json().await.expect("json");
    let ep = ep["id"].as_str().expect("id").to_owned();
    let r = app
        .post_json(
            &format!("/v1/apps/{}/webhook_endpoints/{ep}", app.tenant.app),
            &app.tenant.test_key,
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.status(), 200);

    let (db, now) = (app.cfg.database_url.clone(), unix());
    backlog(&db, &app.tenant.app, &ep, "bulk", FAILED as u64, "failed", now * 1000).await;

    let r = app.post_json("/v1/events/resend_failed", &app.tenant.test_key, &json!({"since": now - 60})).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["resent"], FAILED);

    // The requeue and its counts were one transaction a chunk, and the
    // dispatcher keeps them in step as it gives the deliveries up: in any
    // snapshot, an event counts exactly its pending deliveries.
    let off = one_i64(
        &db,
        "SELECT count(*) FROM events e LEFT JOIN \
           (SELECT event_id, count(*) AS n FROM webhook_deliveries WHERE status = 'pending' GROUP BY event_id) p \
           ON p.event_id = e.id \
         WHERE e.id LIKE 'evt_bulk%' AND e.pending_webhooks <> COALESCE(p.n, 0)",
    )
    .await;
    assert_eq!(off, 0);
    let old = one_i64(&db, "SELECT count(*) FROM webhook_deliveries WHERE id LIKE 'wd_bulk%' AND attempts = 9").await;
    let resent =
        one_i64(&db, "SELECT count(*) FROM webhook_deliveries WHERE id LIKE 'wd_bulk%' AND attempts <= 1").await;
    assert_eq!((old, resent), (0, FAILED), "every delivery starts its schedule again");
}

/// The requeue goes a chunk of 2,000 at a time even when PostgreSQL's
/// statistics are stale (the deliveries were all pending when the table was
/// last analyzed): planned as a semi-join, the chunk's `LIMIT` was ignored
/// and the first chunk took the whole backlog, row by row.
#[tokio::test]
async fn resend_failed_goes_a_chunk_at_a_time_whatever_the_statistics() {
    let app = spawn().await;
    let (db, a, now) = (app.cfg.database_url.clone(), app.tenant.app.clone(), unix());
    // Due far in the future: the test server's dispatcher leaves them alone.
    let far = 4_000_000_000_000;
    backlog(&db, &a, "we_none", "chunk", 5_000, "pending", far).await;
    if db.starts_with("postgres") {
        exec(&db, "ALTER TABLE webhook_deliveries SET (autovacuum_enabled = false)").await;
        exec(&db, "ANALYZE webhook_deliveries").await;
    }
    exec(&db, "UPDATE webhook_deliveries SET status = 'failed' WHERE id LIKE 'wd_chunk%'").await;

    let mut chunks = 0;
    let resent = app
        .state
        .store
        .resend_failed(std::slice::from_ref(&a), false, now - 60, far / 1000, || chunks += 1)
        .await
        .expect("resend");
    assert_eq!((resent, chunks), (5_000, 3), "5,000 deliveries in chunks of 2,000");
}

/// Two `resend_failed` calls at once over one backlog (a retried request,
/// or two operators): each failed delivery is requeued by exactly one of
/// them, and each event's `pending_webhooks` grows by one, not two.
#[tokio::test]
async fn concurrent_resends_requeue_each_delivery_once() {
    let app = spawn().await;
    let (db, a, now) = (app.cfg.database_url.clone(), app.tenant.app.clone(), unix());
    // Due far in the future: the test server's dispatcher leaves them alone.
    let far = 4_000_000_000_000;
    backlog(&db, &a, "we_none", "twice", 5_000, "failed", far).await;

    let store = &app.state.store;
    let apps = std::slice::from_ref(&a);
    let (x, y) = tokio::join!(
        store.resend_failed(apps, false, now - 60, far / 1000, || {}),
        store.resend_failed(apps, false, now - 60, far / 1000, || {}),
    );
    let (x, y) = (x.expect("first call"), y.expect("second call"));
    assert_eq!(x + y, 5_000, "{x} + {y}: every delivery requeued once");
    let pending =
        one_i64(&db, "SELECT count(*) FROM webhook_deliveries WHERE id LIKE 'wd_twice%' AND status = 'pending'").await;
    let counted = one_i64(&db, "SELECT count(*) FROM events WHERE id LIKE 'evt_twice%' AND pending_webhooks = 1").await;
    assert_eq!((pending, counted), (5_000, 5_000));
}
