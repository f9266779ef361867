//! The per-endpoint guard held in Redis (the real one at 127.0.0.1:6379),
//! seen through a running server.

use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use unicharge_tests::receiver::{Receiver, Reply};
use unicharge_tests::*;

const REDIS: &str = "127.0.0.1:6379";

/// `PTTL key` over raw RESP: what Redis holds, asked without the server.
async fn pttl(key: &str) -> i64 {
    let mut s = tokio::net::TcpStream::connect(REDIS).await.expect("redis");
    s.write_all(format!("*2\r\n$4\r\nPTTL\r\n${}\r\n{key}\r\n", key.len()).as_bytes()).await.expect("write");
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).await.expect("read");
    let line = std::str::from_utf8(&buf[..n]).expect("utf8");
    line.trim().trim_start_matches(':').parse().expect("integer reply")
}

async fn endpoint(app: &TestApp, url: &str) -> String {
    let r = app
        .post_json(
            &format!("/v1/apps/{}/webhook_endpoints", app.tenant.app),
            &app.tenant.test_key,
            &json!({"url": url, "enabled_events": ["charge.succeeded"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    v["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn with_redis_a_dead_endpoint_is_held_back_cluster_wide() {
    let app = spawn_with(|cfg| {
        cfg.webhook_timeout_secs = 1;
        cfg.webhook_schedule.time_scale = 1000;
        cfg.webhook_concurrency = 8;
        cfg.redis_url = Some(format!("redis://{REDIS}"));
    })
    .await;
    let dead = Receiver::start(vec![Reply::Hang(Duration::from_secs(3)); 200]).await;
    let healthy = Receiver::start(vec![]).await;
    let dead_id = endpoint(&app, &dead.url).await;
    let healthy_id = endpoint(&app, &healthy.url).await;
    let started = std::time::Instant::now();
    for _ in 0..24 {
        app.paid_charge(100).await;
    }
    healthy.wait_for(24, Duration::from_secs(6)).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(6), "healthy endpoint waited {took:?}");
    let dead_attempts = dead.received().len();
    assert!(dead_attempts <= 16, "dead endpoint was hammered: {dead_attempts} attempts");

    // The breaker that held it back lives in Redis, where every node sees it.
    let key = |id: &str| format!("unicharge:webhooks:{{{id}}}:open");
    let mut open = pttl(&key(&dead_id)).await;
    for _ in 0..50 {
        if open > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        open = pttl(&key(&dead_id)).await;
    }
    assert!(open > 0 && open <= 30_000, "dead endpoint's circuit open in Redis: PTTL {open}");
    assert_eq!(pttl(&key(&healthy_id)).await, -2, "healthy endpoint's circuit closed");
}
