//! `wx_pub_scan` (micropay) must not hold the tenant's create for WeChat's
//! 30-second query window. The create queries within a short budget
//! (`UNICHARGE_SCAN_CREATE_WAIT_MS`), then answers pending; the sweeper keeps
//! querying and, past `UNICHARGE_SCAN_DEADLINE_SECS`, reverses the order at
//! WeChat Pay (`secapi/pay/reverse`) and closes the charge.

use crate::wechat::{charge_state, create, merchant, use_v2, Merchant};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use unicharge_server::sweep::sweep_once;
use unicharge_tests::*;

/// A buyer whose payment code asks for a password (USERPAYING).
const USERPAYING: &str = "130000000000000000";

fn now() -> i64 {
    unicharge_server::auth::now()
}

/// The sandbox's view of a trade, as its cashier shows it.
async fn sandbox_trade(app: &TestApp, m: &Merchant, order_no: &str) -> Option<Value> {
    let url = app.url(&format!("/sandbox/wechat/cashier?mchid={}&out_trade_no={order_no}", m.mchid));
    let r = app.http.get(url).header("accept", "application/json").send().await.expect("cashier");
    if r.status() != 200 {
        return None;
    }
    r.json().await.ok()
}

/// The buyer confirming at the sandbox (entering the password); the status.
async fn buyer_pays(app: &TestApp, trade: &Value) -> u16 {
    let pay_url = trade["pay_url"].as_str().expect("pay_url");
    crate::channel_support::buyer_post(app, &app.url(pay_url)).await.0
}

async fn scan_app(wait_ms: u64) -> (TestApp, Merchant) {
    let app = spawn_with(|c| c.scan_create_wait_ms = wait_ms).await;
    let m = merchant(&app, &app.tenant.app).await;
    use_v2(&app, &m, "MD5").await;
    (app, m)
}

#[tokio::test]
async fn wechat_scan_unconfirmed_returns_pending_then_is_reversed_and_closed() {
    let (app, m) = scan_app(300).await;
    let started = Instant::now();
    let c = create(&app, "wx_pub_scan", 100, json!({"scan_code": USERPAYING})).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "the create answered after {took:?}");
    assert_eq!((c["paid"].as_bool(), c["reversed"].as_bool()), (Some(false), Some(false)), "pending: {c}");
    let (id, order_no) = (c["id"].as_str().expect("id"), c["order_no"].as_str().expect("order_no"));
    let trade = sandbox_trade(&app, &m, order_no).await.expect("the micropay trade exists");
    assert_eq!(trade["trade_state"], "USERPAYING", "{trade}");

    // Before the deadline the sweeper only queries: still pending.
    let r = sweep_once(&app.state, now() + 10).await.expect("sweep");
    assert_eq!((r.charges_queried, r.charges_reversed), (1, 0), "{r:?}");
    let now_c = charge_state(&app, id).await;
    assert_eq!((now_c["paid"].as_bool(), now_c["reversed"].as_bool()), (Some(false), Some(false)), "{now_c}");
    assert!(app.events_for(id).await.is_empty());

    // Past the deadline: reversed at WeChat Pay, closed here, once.
    let r = sweep_once(&app.state, now() + 31).await.expect("sweep");
    assert_eq!((r.charges_queried, r.charges_reversed), (1, 1), "{r:?}");
    let after = charge_state(&app, id).await;
    assert_eq!((after["reversed"].as_bool(), after["paid"].as_bool()), (Some(true), Some(false)), "closed: {after}");
    assert_eq!(app.events_for(id).await, vec!["charge.closed"]);
    let trade = sandbox_trade(&app, &m, order_no).await.expect("trade");
    assert_eq!(trade["trade_state"], "REVOKED", "the order was reversed at the sandbox: {trade}");

    // The buyer confirming now is refused by WeChat Pay, and nothing changes.
    assert_ne!(buyer_pays(&app, &trade).await, 200, "a reversed order cannot be paid");
    let r = sweep_once(&app.state, now() + 3600).await.expect("sweep");
    assert_eq!(r.charges_queried, 0, "a closed charge is not queried again");
    assert_eq!(app.events_for(id).await, vec!["charge.closed"]);
}

#[tokio::test]
async fn wechat_scan_confirmed_during_the_create_is_paid() {
    let (app, m) = scan_app(3000).await;
    let mut body = charge_body(&app.tenant.app);
    body["channel"] = json!("wx_pub_scan");
    body["extra"] = json!({"scan_code": USERPAYING});
    let order_no = body["order_no"].as_str().expect("order_no").to_owned();
    let (app_ref, body_ref) = (&app, &body);
    let create = async move { app_ref.post_json("/v1/charges", &app_ref.tenant.test_key, body_ref).await };
    // The buyer enters the password while the create is still querying.
    let buyer = async {
        for _ in 0..100 {
            if let Some(t) = sandbox_trade(&app, &m, &order_no).await {
                assert_eq!(buyer_pays(&app, &t).await, 200, "the buyer confirms");
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the micropay trade never appeared at the sandbox");
    };
    let (r, ()) = tokio::join!(create, buyer);
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.expect("json");
    assert_eq!(c["paid"], true, "{c}");
    let id = c["id"].as_str().expect("id");
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
    let r = sweep_once(&app.state, now() + 31).await.expect("sweep");
    assert_eq!((r.charges_queried, r.charges_reversed), (0, 0), "a paid charge is left alone: {r:?}");
}

#[tokio::test]
async fn wechat_scan_paid_after_the_create_is_settled_by_the_sweep() {
    let (app, m) = scan_app(0).await;
    let c = create(&app, "wx_pub_scan", 100, json!({"scan_code": USERPAYING})).await;
    assert_eq!((c["paid"].as_bool(), c["reversed"].as_bool()), (Some(false), Some(false)), "pending: {c}");
    let (id, order_no) = (c["id"].as_str().expect("id"), c["order_no"].as_str().expect("order_no"));
    let trade = sandbox_trade(&app, &m, order_no).await.expect("trade");
    assert_eq!(buyer_pays(&app, &trade).await, 200);
    // Micropay has no notification: the sweeper's query finds it paid
    // before the deadline, and nothing is reversed.
    let r = sweep_once(&app.state, now() + 6).await.expect("sweep");
    assert_eq!((r.charges_queried, r.charges_reversed), (1, 0), "{r:?}");
    assert_eq!(charge_state(&app, id).await["paid"], true);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
    assert_eq!(sandbox_trade(&app, &m, order_no).await.expect("trade")["trade_state"], "SUCCESS");
}
