//! The one-statement payment on PostgreSQL (`Store::pay_in_one_statement`),
//! called directly so that a failure cannot hide behind the general path it
//! falls back to: the charge is paid, its event written with one delivery
//! per enabled endpoint subscribed to `charge.succeeded` and none for the
//! others, a second call changes nothing, and an app with more endpoints
//! than the statement carries ids for makes it fail having changed nothing.
//! On SQLite the statement does not apply and says so.

use serde_json::{json, Value};
use unicharge_store::{ChargeTransition, OneStatement, PaidInfo};
use unicharge_tests::*;

async fn endpoint(app: &TestApp, events: Value) -> String {
    let r = app
        .post_json(
            &format!("/v1/apps/{}/webhook_endpoints", app.tenant.app),
            &app.tenant.test_key,
            &json!({"url": "http://127.0.0.1:9/hook", "enabled_events": events}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    v["id"].as_str().expect("id").to_owned()
}

async fn pay(app: &TestApp, charge_id: &str, tx: &str) -> Result<OneStatement, unicharge_store::StoreError> {
    let pre = app.state.store.get_charge(charge_id).await.expect("read").expect("charge");
    let info = PaidInfo { transaction_no: tx.to_owned(), time_paid: 1_700_000_000 };
    let mut after = pre.clone();
    after.status = "paid".into();
    after.transaction_no = Some(tx.to_owned());
    after.time_paid = Some(info.time_paid);
    after.credential = "{}".into();
    after.next_query_at = None;
    let e = unicharge_server::payments::new_event(
        unicharge_domain::EventType::ChargeSucceeded,
        &pre.app_id,
        pre.livemode,
        &pre.id,
        unicharge_server::render::charge(&after, &[]),
        1_700_000_001,
    );
    app.state.store.pay_in_one_statement(&pre, &info, e).await
}

#[tokio::test]
async fn one_statement_payment_fans_out_once_and_changes_nothing_when_it_cannot_apply() {
    let app = spawn().await;
    let all = endpoint(&app, json!(["*"])).await;
    let paid = endpoint(&app, json!(["charge.succeeded"])).await;
    let _refunds_only = endpoint(&app, json!(["refund.succeeded"])).await;
    let off = endpoint(&app, json!(["charge.succeeded"])).await;
    let r = app
        .post_json(
            &format!("/v1/apps/{}/webhook_endpoints/{off}", app.tenant.app),
            &app.tenant.test_key,
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.status(), 200);

    let c = app.charge(100).await;
    let id = c["id"].as_str().expect("id");
    let outcome = pay(&app, id, "tx-one").await.expect("statement");
    if backend_name() != "postgres" {
        assert!(matches!(outcome, OneStatement::NotApplied));
        return;
    }
    let OneStatement::Applied(applied) = outcome else {
        panic!("the statement did not apply");
    };
    let ChargeTransition::Applied { charge, event } = *applied else {
        panic!("the statement did not apply");
    };
    assert_eq!((charge.status.as_str(), charge.transaction_no.as_deref()), ("paid", Some("tx-one")));
    assert_eq!(event.pending_webhooks, 2);
    let stored = app.state.store.get_event(&event.id).await.expect("read").expect("event");
    assert_eq!((stored.kind.as_str(), stored.object_id.as_str(), stored.pending_webhooks), ("charge.succeeded", id, 2));
    let data: Value = serde_json::from_str(&stored.data).expect("json");
    assert_eq!((data["paid"].as_bool(), data["transaction_no"].as_str()), (Some(true), Some("tx-one")));
    let mut to: Vec<String> = app
        .state
        .store
        .deliveries_for_event(&event.id)
        .await
        .expect("read")
        .into_iter()
        .map(|d| d.endpoint_id)
        .collect();
    to.sort();
    let mut want = vec![all, paid];
    want.sort();
    assert_eq!(to, want);
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);

    // Again: no longer pending, nothing written.
    assert!(matches!(pay(&app, id, "tx-two").await.expect("statement"), OneStatement::NotApplied));
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);

    // Eight more subscribed endpoints (ten in all): more than the statement
    // has ids for. It fails, and the charge is untouched.
    for _ in 0..8 {
        endpoint(&app, json!(["charge.succeeded"])).await;
    }
    let c = app.charge(100).await;
    let id = c["id"].as_str().expect("id");
    assert!(pay(&app, id, "tx-three").await.is_err());
    let row = app.state.store.get_charge(id).await.expect("read").expect("charge");
    assert_eq!((row.status.as_str(), row.transaction_no.as_deref()), ("pending", None));
    assert!(app.events_for(id).await.is_empty());

    // Through the API the general path then pays it, with all ten deliveries.
    app.pay(&c, "paid").await;
    let row = app.state.store.get_charge(id).await.expect("read").expect("charge");
    assert_eq!(row.status, "paid");
    let events = app.state.store.events_for_object(id).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].pending_webhooks, 10);
}
