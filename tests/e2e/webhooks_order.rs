//! Deliveries to one endpoint about one object go out in the order their
//! events happened: a claim skips a delivery while an earlier one for the
//! same endpoint and object is still pending, even one due later (a
//! retry), and takes it once that one is settled. Called on the store
//! directly, at a made-up time far ahead of the clock, so the test
//! server's own dispatcher (which claims at the real time) leaves these
//! deliveries alone.

use unicharge_store::{Store, StoreOptions};
use unicharge_tests::sql::exec;
use unicharge_tests::*;

async fn claim(store: &Store, now: i64) -> Vec<String> {
    let rows = store.claim_deliveries("order-test", now, now + 60_000, 64, &[]).await.expect("claim");
    rows.into_iter().map(|d| d.id).collect()
}

#[tokio::test]
async fn an_objects_deliveries_are_claimed_in_event_order() {
    let app = spawn().await;
    let db = app.cfg.database_url.clone();
    let (a, far) = (app.tenant.app.clone(), 4_000_000_000_000_i64);
    // In insertion (event) order: the charge's first delivery is waiting
    // for its retry at far + 1 s; its second, and another charge's, are due.
    let rows = [("wd_first", "ch_a", far + 1000), ("wd_second", "ch_a", far), ("wd_other", "ch_b", far)];
    for (id, object, due) in rows {
        exec(
            &db,
            &format!(
                "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, app_id, livemode, object_id, status, \
                   attempts, next_attempt_at, created) \
                 VALUES ('{id}', 'evt_{id}', 'we_order', '{a}', false, '{object}', 'pending', 0, {due}, 1)"
            ),
        )
        .await;
    }
    let store = Store::connect(&StoreOptions { url: db.clone(), max_connections: 4 }).await.expect("store");

    assert_eq!(claim(&store, far).await, ["wd_other"], "ch_a's second delivery waits for its first");
    assert_eq!(claim(&store, far + 1000).await, ["wd_first"], "the first, once due, goes alone");
    assert!(claim(&store, far + 1000).await.is_empty(), "still waiting: the first is leased, not settled");
    exec(&db, "UPDATE webhook_deliveries SET status = 'succeeded' WHERE id = 'wd_first'").await;
    assert_eq!(claim(&store, far + 1000).await, ["wd_second"]);
}
