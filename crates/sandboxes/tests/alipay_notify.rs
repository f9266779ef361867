//! Notifications, their retries, refunds and expiry, over real HTTP.

mod alipay_support;

use alipay_support::*;
use serde_json::json;
use std::time::Duration;
use unicharge_sandboxes::alipay;

fn order_no() -> String {
    format!("N{}{}", now(), rand::random::<u32>())
}

/// A paid trade for `total`, through precreate, scan and the cashier.
async fn paid_trade(sb: &Sandbox, m: &Merchant, total: &str, extra: serde_json::Value) -> (String, String, bool) {
    let no = order_no();
    let mut biz = json!({"out_trade_no": no, "total_amount": total, "subject": "Green tea"});
    if let (Some(b), Some(e)) = (biz.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let a = sb.call(m, "alipay.trade.precreate", biz).await;
    assert_eq!(a.get("code"), "10000", "{}", a.raw);
    let view = sb.scan(a.get("qr_code")).await;
    let trade_no = view["trade_no"].as_str().expect("trade_no").to_owned();
    let (status, paid) = sb.cashier(&trade_no, "pay").await;
    assert_eq!(status, 200);
    (no, trade_no, paid["notified"].as_bool().expect("notified"))
}

#[tokio::test]
async fn payment_notification_is_signed_and_complete() {
    let sb = spawn_sandbox(FAST).await;
    let mut m = sb.merchant();
    let rx = Receiver::start(vec![]).await;
    m.notify_url = Some(rx.url.clone());
    let (no, trade_no, notified) = paid_trade(&sb, &m, "12.34", json!({"passback_params": "a%3Db"})).await;
    assert!(notified);
    let got = rx.wait_for(1, Duration::from_secs(5)).await;
    let n = &got[0];
    assert!(verify_notification(&sb, n), "{n:?}");
    for (k, v) in [
        ("notify_type", "trade_status_sync"),
        ("app_id", m.app_id.as_str()),
        ("auth_app_id", m.app_id.as_str()),
        ("charset", "utf-8"),
        ("version", "1.0"),
        ("sign_type", "RSA2"),
        ("trade_no", trade_no.as_str()),
        ("out_trade_no", no.as_str()),
        ("trade_status", "TRADE_SUCCESS"),
        ("total_amount", "12.34"),
        ("receipt_amount", "12.34"),
        ("buyer_pay_amount", "12.34"),
        ("invoice_amount", "12.34"),
        ("point_amount", "0.00"),
        ("seller_id", m.seller_id.as_str()),
        ("subject", "Green tea"),
        ("passback_params", "a%3Db"),
    ] {
        assert_eq!(n.get(k).map(String::as_str), Some(v), "{k}");
    }
    for k in ["notify_time", "gmt_create", "gmt_payment"] {
        assert!(alipay::parse_gmt8(&n[k]).is_some(), "{k}: {}", n[k]);
    }
    assert!(n["buyer_id"].starts_with("2088") && n["buyer_id"].len() == 16);
    let bills: serde_json::Value = serde_json::from_str(&n["fund_bill_list"]).expect("fund_bill_list");
    assert_eq!(bills, json!([{"amount": "12.34", "fundChannel": "ALIPAYACCOUNT"}]));

    // Tampering with any field breaks the signature.
    let mut forged = n.clone();
    forged.insert("total_amount".into(), "0.01".into());
    assert!(!verify_notification(&sb, &forged));
}

#[tokio::test]
async fn retries_until_exactly_success_then_stops() {
    let sb = spawn_sandbox(FAST).await;
    let mut m = sb.merchant();
    // "success\n" and "SUCCESS" are not Alipay's ack.
    let rx = Receiver::start(vec!["fail", "success\n", "SUCCESS", "success"]).await;
    m.notify_url = Some(rx.url.clone());
    let (_, _, notified) = paid_trade(&sb, &m, "1.00", json!({})).await;
    assert!(!notified);
    let got = rx.wait_for(4, Duration::from_secs(10)).await;
    // Every retry carries the same signed notification.
    assert!(got.iter().all(|n| verify_notification(&sb, n) && n["notify_id"] == got[0]["notify_id"]));
    // Acknowledged: the schedule (≈ 8 more attempts at this scale) stops.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(rx.received().len(), 4);
}

#[tokio::test]
async fn gives_up_after_alipays_eight_attempts() {
    let sb = spawn_sandbox(FAST).await;
    let mut m = sb.merchant();
    let rx = Receiver::start(vec!["fail"; 20]).await;
    m.notify_url = Some(rx.url.clone());
    paid_trade(&sb, &m, "1.00", json!({})).await;
    // 4m+10m+10m+1h+2h+6h+15h ≈ 24.4h, here ≈ 0.37 s.
    rx.wait_for(8, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(rx.received().len(), 8);
}

#[tokio::test]
async fn refunds_are_idempotent_and_bounded() {
    let sb = spawn_sandbox(FAST).await;
    let mut m = sb.merchant();
    let rx = Receiver::start(vec![]).await;
    m.notify_url = Some(rx.url.clone());
    let (no, trade_no, _) = paid_trade(&sb, &m, "10.00", json!({})).await;
    let refund = |amount: &str, req: &str| json!({"out_trade_no": no, "refund_amount": amount, "out_request_no": req});

    let r = sb.call(&m, "alipay.trade.refund", refund("3.00", "R1")).await;
    assert_eq!((r.get("code"), r.get("fund_change"), r.get("refund_fee")), ("10000", "Y", "3.00"));
    assert_eq!(r.get("trade_no"), trade_no);
    let r = sb.call(&m, "alipay.trade.refund", refund("3.00", "R1")).await;
    assert_eq!((r.get("code"), r.get("fund_change"), r.get("refund_fee")), ("10000", "N", "3.00"));
    let r = sb.call(&m, "alipay.trade.refund", refund("4.00", "R1")).await;
    assert_eq!(r.get("sub_code"), "ACQ.DISCORDANT_REPEAT_REQUEST");
    let r = sb.call(&m, "alipay.trade.refund", refund("7.01", "R2")).await;
    assert_eq!((r.get("code"), r.get("sub_code")), ("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"));
    for (amount, sub) in [("0", "ACQ.REASON_TRADE_REFUND_FEE_ERR"), ("1.001", "ACQ.INVALID_PARAMETER")] {
        assert_eq!(sb.call(&m, "alipay.trade.refund", refund(amount, "R3")).await.get("sub_code"), sub);
    }

    let q = sb.call(&m, "alipay.trade.fastpay.refund.query", json!({"out_trade_no": no, "out_request_no": "R1"})).await;
    assert_eq!(
        (q.get("refund_status"), q.get("refund_amount"), q.get("total_amount")),
        ("REFUND_SUCCESS", "3.00", "10.00")
    );
    let q =
        sb.call(&m, "alipay.trade.fastpay.refund.query", json!({"trade_no": trade_no, "out_request_no": "R9"})).await;
    assert_eq!(q.get("code"), "10000");
    assert!(q.inner.get("refund_status").is_none() && q.inner.get("refund_amount").is_none());

    // Partial refund: TRADE_SUCCESS notification with the refund fields.
    let got = rx.wait_for(2, Duration::from_secs(5)).await;
    let n = &got[1];
    assert!(verify_notification(&sb, n));
    assert_eq!(
        (n["trade_status"].as_str(), n["refund_fee"].as_str(), n["out_biz_no"].as_str()),
        ("TRADE_SUCCESS", "3.00", "R1")
    );

    let r = sb.call(&m, "alipay.trade.refund", refund("7.00", "R2")).await;
    assert_eq!((r.get("fund_change"), r.get("refund_fee")), ("Y", "10.00"));
    let got = rx.wait_for(3, Duration::from_secs(5)).await;
    assert_eq!(got[2]["trade_status"], "TRADE_CLOSED");
    let q = sb.call(&m, "alipay.trade.query", json!({"out_trade_no": no})).await;
    assert_eq!(q.get("trade_status"), "TRADE_CLOSED");
    let r = sb.call(&m, "alipay.trade.refund", refund("0.01", "R4")).await;
    assert_eq!(r.get("sub_code"), "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL");
    // Still exactly two refunds' worth of notifications: repeats moved no money.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.received().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refunds_never_exceed_the_payment() {
    let sb = std::sync::Arc::new(spawn_sandbox(FAST).await);
    let m = std::sync::Arc::new(sb.merchant());
    let (no, _, _) = paid_trade(&sb, &m, "1.00", json!({})).await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (sb, m) = (sb.clone(), m.clone());
            let biz = json!({"out_trade_no": no, "refund_amount": "0.25", "out_request_no": format!("C{i}")});
            tokio::spawn(async move { sb.call(&m, "alipay.trade.refund", biz).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("task"));
    }
    let ok = answers.iter().filter(|a| a.get("code") == "10000").count();
    let over = answers.iter().filter(|a| a.get("sub_code") == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL").count();
    assert_eq!((ok, over), (4, 6));
    let r = sb
        .call(&m, "alipay.trade.refund", json!({"out_trade_no": no, "refund_amount": "0.01", "out_request_no": "X"}))
        .await;
    assert_eq!(r.get("sub_code"), "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL");
}

#[tokio::test]
async fn unpaid_trade_expires_and_notifies_closed() {
    let sb = spawn_sandbox(FAST).await;
    let mut m = sb.merchant();
    let rx = Receiver::start(vec![]).await;
    m.notify_url = Some(rx.url.clone());
    let no = order_no();
    let biz = json!({"out_trade_no": no, "total_amount": "2", "subject": "x", "buyer_id": alipay::new_user_id(),
        "time_expire": alipay::format_gmt8(now() + 2)});
    let a = sb.call(&m, "alipay.trade.create", biz).await;
    assert_eq!(a.get("code"), "10000");
    let q = sb.call(&m, "alipay.trade.query", json!({"out_trade_no": no})).await;
    assert_eq!(q.get("trade_status"), "WAIT_BUYER_PAY");
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let q = sb.call(&m, "alipay.trade.query", json!({"out_trade_no": no})).await;
    assert_eq!(q.get("trade_status"), "TRADE_CLOSED");
    let got = rx.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got[0]["trade_status"], "TRADE_CLOSED");
    assert!(verify_notification(&sb, &got[0]));
    let (status, _) = sb.cashier(a.get("trade_no"), "pay").await;
    assert_eq!(status, 409);
}
