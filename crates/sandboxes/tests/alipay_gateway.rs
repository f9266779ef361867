//! The gateway's checks and answers, over real HTTP on loopback.

mod alipay_support;

use alipay_support::*;
use serde_json::json;
use unicharge_sandboxes::alipay;

fn order() -> String {
    format!("T{}", now() * 1000 + i64::from(rand_u16()))
}

fn rand_u16() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static N: AtomicU16 = AtomicU16::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn precreate_then_scan_then_pay_through_the_cashier() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let no = order();
    let a = sb
        .call(&m, "alipay.trade.precreate", json!({"out_trade_no": no, "total_amount": "12.34", "subject": "Tea"}))
        .await;
    assert!(a.signed);
    assert_eq!((a.get("code"), a.get("msg"), a.get("out_trade_no")), ("10000", "Success", no.as_str()));
    let qr = a.get("qr_code").to_owned();
    assert!(qr.starts_with(&format!("{}/sandbox/alipay/qr/", sb.base)), "{qr}");

    // Until a buyer scans, Alipay has no trade.
    let q = sb.call(&m, "alipay.trade.query", json!({"out_trade_no": no})).await;
    assert_eq!((q.get("code"), q.get("sub_code")), ("40004", "ACQ.TRADE_NOT_EXIST"));

    let view = sb.scan(&qr).await;
    assert_eq!(view["trade_status"], "WAIT_BUYER_PAY");
    assert_eq!(view["total_amount"], "12.34");
    let trade_no = view["trade_no"].as_str().expect("trade_no").to_owned();
    assert_eq!(trade_no.len(), 28);
    assert!(trade_no.bytes().all(|b| b.is_ascii_digit()));

    let q = sb.call(&m, "alipay.trade.query", json!({"out_trade_no": no})).await;
    assert_eq!((q.get("code"), q.get("trade_status"), q.get("trade_no")), ("10000", "WAIT_BUYER_PAY", &*trade_no));

    let (status, paid) = sb.cashier(&trade_no, "pay").await;
    assert_eq!(status, 200);
    assert_eq!(paid["status"], "paid");
    // No notify_url was given: nobody to notify.
    assert_eq!(paid["notified"], false);

    let q = sb.call(&m, "alipay.trade.query", json!({"trade_no": trade_no})).await;
    assert_eq!(
        (q.get("trade_status"), q.get("total_amount"), q.get("receipt_amount")),
        ("TRADE_SUCCESS", "12.34", "12.34")
    );
    assert!(alipay::parse_gmt8(q.get("send_pay_date")).is_some());
    assert!(q.get("buyer_user_id").starts_with("2088") && q.get("buyer_user_id").len() == 16);
    assert_eq!(q.inner["fund_bill_list"][0]["fund_channel"], "ALIPAYACCOUNT");

    // Paying twice is refused; so is re-opening the order with other terms.
    let (status, again) = sb.cashier(&trade_no, "pay").await;
    assert_eq!((status, again["error"]["sub_code"].as_str()), (409, Some("ACQ.TRADE_HAS_SUCCESS")));
    let a = sb
        .call(&m, "alipay.trade.precreate", json!({"out_trade_no": no, "total_amount": "12.34", "subject": "Tea"}))
        .await;
    assert_eq!(a.get("sub_code"), "ACQ.TRADE_HAS_SUCCESS");
}

#[tokio::test]
async fn response_signature_covers_the_exact_slice() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let a = sb
        .call(
            &m,
            "alipay.trade.precreate",
            json!({"out_trade_no": order(), "total_amount": "1", "subject": "a/b \"q\" {x}"}),
        )
        .await;
    let slice = raw_object(&a.raw, "alipay_trade_precreate_response").expect("slice");
    let doc: serde_json::Value = serde_json::from_str(&a.raw).expect("json");
    let sig = doc["sign"].as_str().expect("sign");
    assert!(sb.alipay_public.verify_sha256_b64(slice.as_bytes(), sig));
    // One byte off and it no longer verifies: the check is real.
    let tampered = slice.replacen("10000", "10001", 1);
    assert!(!sb.alipay_public.verify_sha256_b64(tampered.as_bytes(), sig));
    // The body is exactly {"<key>":<slice>,"sign":"…"}, as SDK parsers expect.
    assert!(a.raw.starts_with("{\"alipay_trade_precreate_response\":{"));
    assert!(a.raw.contains("},\"sign\":\""));
}

#[tokio::test]
async fn refuses_bad_requests_with_alipays_codes() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let biz = json!({"out_trade_no": order(), "total_amount": "1.00", "subject": "x"});
    let method = "alipay.trade.precreate";

    // Signed with a key that is not the app's.
    let other = sb.merchant();
    let mut p = m.signed(method, &biz);
    let forged = Merchant { app_id: m.app_id.clone(), seller_id: String::new(), key: other.key, notify_url: None };
    forged.resign(&mut p);
    let a = sb.send(&m, method, p).await;
    assert!(a.signed);
    assert_eq!(
        (a.get("code"), a.get("msg"), a.get("sub_code")),
        ("40002", "Invalid Arguments", "isv.invalid-signature")
    );
    assert!(a.get("sub_msg").contains("app_id="), "{}", a.get("sub_msg"));

    // Tampered after signing.
    let mut p = m.signed(method, &biz);
    p.insert("biz_content".into(), biz.to_string().replace("1.00", "0.01"));
    assert_eq!(sb.send(&m, method, p).await.get("sub_code"), "isv.invalid-signature");

    // Unknown app: Alipay has no key to sign the refusal with.
    let mut p = m.signed(method, &biz);
    p.insert("app_id".into(), "2021000000000000".into());
    m.resign(&mut p);
    let a = sb.send(&m, method, p).await;
    assert_eq!((a.get("code"), a.get("sub_code"), a.signed), ("40002", "isv.invalid-app-id", false));

    let mut p = m.signed(method, &biz);
    p.remove("app_id");
    let a = sb.send(&m, method, p).await;
    assert_eq!((a.get("code"), a.get("sub_code"), a.signed), ("40001", "isv.missing-app-id", false));

    let mut p = m.signed(method, &biz);
    p.remove("sign");
    let a = sb.send(&m, method, p).await;
    assert_eq!(
        (a.get("code"), a.get("msg"), a.get("sub_code")),
        ("40001", "Missing Required Arguments", "isv.missing-signature")
    );

    let mut p = m.signed(method, &biz);
    p.insert("sign_type".into(), "RSA".into());
    m.resign(&mut p);
    assert_eq!(sb.send(&m, method, p).await.get("sub_code"), "isv.invalid-signature-type");

    for ts in [alipay::format_gmt8(now() - 3600), alipay::format_gmt8(now() + 3600), "2026-13-01 00:00:00".into()] {
        let mut p = m.signed(method, &biz);
        p.insert("timestamp".into(), ts);
        m.resign(&mut p);
        assert_eq!(sb.send(&m, method, p).await.get("sub_code"), "isv.invalid-timestamp");
    }

    // An unknown method is answered under error_response.
    let a = sb.send(&m, "alipay.trade.nope", m.signed("alipay.trade.nope", &biz)).await;
    assert_eq!((a.get("code"), a.get("sub_code")), ("40002", "isv.invalid-method"));
    assert!(a.raw.starts_with("{\"error_response\":"));

    let mut p = m.signed(method, &biz);
    p.insert("biz_content".into(), "{not json".into());
    m.resign(&mut p);
    assert_eq!(sb.send(&m, method, p).await.get("sub_code"), "isv.invalid-parameter");

    // Business checks come after the signature.
    for (biz, sub) in [
        (json!({"out_trade_no": order(), "subject": "x"}), "ACQ.INVALID_PARAMETER"),
        (json!({"out_trade_no": order(), "total_amount": "1.001", "subject": "x"}), "ACQ.INVALID_PARAMETER"),
        (json!({"out_trade_no": order(), "total_amount": "0", "subject": "x"}), "ACQ.INVALID_PARAMETER"),
        (json!({"out_trade_no": order(), "total_amount": "-1", "subject": "x"}), "ACQ.INVALID_PARAMETER"),
        (json!({"out_trade_no": order(), "total_amount": "100000000.01", "subject": "x"}), "ACQ.TOTAL_FEE_EXCEED"),
        (json!({"total_amount": "1", "subject": "x"}), "ACQ.INVALID_PARAMETER"),
    ] {
        let a = sb.call(&m, method, biz).await;
        assert_eq!((a.get("code"), a.get("msg"), a.get("sub_code")), ("40004", "Business Failed", sub));
    }
}

#[tokio::test]
async fn accepts_fzlee_style_get_with_everything_in_the_query() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let p = m.signed(
        "alipay.trade.precreate",
        &json!({"out_trade_no": order(), "total_amount": 5, "subject": "中文 & more"}),
    );
    let url = format!("{}?{}", sb.gateway, serde_urlencoded::to_string(&p).expect("query"));
    let raw = sb.http.get(url).send().await.expect("get").text().await.expect("text");
    let a = sb.check(&raw, "alipay.trade.precreate");
    assert_eq!(a.get("code"), "10000", "{raw}");
}

#[tokio::test]
async fn create_for_a_known_buyer_and_close() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let no = order();
    let a = sb.call(&m, "alipay.trade.create", json!({"out_trade_no": no, "total_amount": "3", "subject": "x"})).await;
    assert_eq!(a.get("sub_code"), "ACQ.INVALID_PARAMETER");
    let buyer = alipay::new_user_id();
    let biz = json!({"out_trade_no": no, "total_amount": "3", "subject": "x", "buyer_id": buyer});
    let a = sb.call(&m, "alipay.trade.create", biz).await;
    assert_eq!((a.get("code"), a.get("out_trade_no")), ("10000", no.as_str()));
    let trade_no = a.get("trade_no").to_owned();
    let q = sb.call(&m, "alipay.trade.query", json!({"trade_no": trade_no})).await;
    assert_eq!(q.get("trade_status"), "WAIT_BUYER_PAY");

    // Another app cannot see it.
    let other = sb.merchant();
    let q = sb.call(&other, "alipay.trade.query", json!({"trade_no": trade_no})).await;
    assert_eq!(q.get("sub_code"), "ACQ.TRADE_NOT_EXIST");

    let c = sb.call(&m, "alipay.trade.close", json!({"out_trade_no": no})).await;
    assert_eq!((c.get("code"), c.get("trade_no")), ("10000", trade_no.as_str()));
    let q = sb.call(&m, "alipay.trade.query", json!({"out_trade_no": no})).await;
    assert_eq!(q.get("trade_status"), "TRADE_CLOSED");
    let c = sb.call(&m, "alipay.trade.close", json!({"out_trade_no": no})).await;
    assert_eq!(c.get("sub_code"), "ACQ.TRADE_STATUS_ERROR");
    let (status, body) = sb.cashier(&trade_no, "pay").await;
    assert_eq!((status, body["error"]["sub_code"].as_str()), (409, Some("ACQ.TRADE_HAS_CLOSE")));
}

#[tokio::test]
async fn closing_an_unscanned_qr_code_makes_it_unpayable() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let no = order();
    let a =
        sb.call(&m, "alipay.trade.precreate", json!({"out_trade_no": no, "total_amount": "1", "subject": "x"})).await;
    let c = sb.call(&m, "alipay.trade.close", json!({"out_trade_no": no})).await;
    assert_eq!(c.get("code"), "10000");
    let view = sb.scan(a.get("qr_code")).await;
    assert_eq!(view["trade_status"], "TRADE_CLOSED");
    let (status, _) = sb.cashier(view["trade_no"].as_str().expect("no"), "pay").await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn bar_code_pay_follows_the_auth_code() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let pay = |no: &str, code: &str| json!({"out_trade_no": no, "scene": "bar_code", "auth_code": code, "total_amount": "8.80", "subject": "x"});
    let no = order();
    let a = sb.call(&m, "alipay.trade.pay", pay(&no, "280000000000000001")).await;
    assert_eq!((a.get("code"), a.get("total_amount"), a.get("buyer_pay_amount")), ("10000", "8.80", "8.80"));
    assert!(alipay::parse_gmt8(a.get("gmt_payment")).is_some());
    let a = sb.call(&m, "alipay.trade.pay", pay(&no, "280000000000000001")).await;
    assert_eq!(a.get("sub_code"), "ACQ.TRADE_HAS_SUCCESS");

    for (code, sub) in [
        (alipay::AUTH_CODE_INVALID, "ACQ.PAYMENT_AUTH_CODE_INVALID"),
        (alipay::AUTH_CODE_NO_BALANCE, "ACQ.BUYER_BALANCE_NOT_ENOUGH"),
        ("130000000000000001", "ACQ.PAYMENT_AUTH_CODE_INVALID"),
        ("28abc", "ACQ.PAYMENT_AUTH_CODE_INVALID"),
    ] {
        let a = sb.call(&m, "alipay.trade.pay", pay(&order(), code)).await;
        assert_eq!((a.get("code"), a.get("sub_code")), ("40004", sub), "{code}");
    }

    // The buyer must confirm on the phone: 10003, then the cashier pays.
    let no = order();
    let a = sb.call(&m, "alipay.trade.pay", pay(&no, alipay::AUTH_CODE_WAIT)).await;
    assert_eq!((a.get("code"), a.get("msg")), ("10003", "order success pay inprocess"));
    let trade_no = a.get("trade_no").to_owned();
    let q = sb.call(&m, "alipay.trade.query", json!({"out_trade_no": no})).await;
    assert_eq!(q.get("trade_status"), "WAIT_BUYER_PAY");
    assert_eq!(sb.cashier(&trade_no, "pay").await.0, 200);
    let q = sb.call(&m, "alipay.trade.query", json!({"out_trade_no": no})).await;
    assert_eq!(q.get("trade_status"), "TRADE_SUCCESS");

    // Cancel of a paid trade refunds it; of an unknown one, closes the number.
    let c = sb.call(&m, "alipay.trade.cancel", json!({"out_trade_no": no})).await;
    assert_eq!((c.get("code"), c.get("action"), c.get("retry_flag")), ("10000", "refund", "N"));
    let q = sb.call(&m, "alipay.trade.query", json!({"out_trade_no": no})).await;
    assert_eq!(q.get("trade_status"), "TRADE_CLOSED");
    let c = sb.call(&m, "alipay.trade.cancel", json!({"out_trade_no": no})).await;
    assert_eq!(c.get("action"), "refund");
    let lost = order();
    let c = sb.call(&m, "alipay.trade.cancel", json!({"out_trade_no": lost})).await;
    assert_eq!((c.get("code"), c.get("action")), ("10000", "close"));
    let a = sb.call(&m, "alipay.trade.pay", pay(&lost, "280000000000000001")).await;
    assert_eq!(a.get("sub_code"), "ACQ.TRADE_HAS_CLOSE");
}
