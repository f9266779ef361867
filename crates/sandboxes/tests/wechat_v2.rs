//! APIv2 over real HTTP: MD5 and HMAC-SHA256 signs, Native orders paid at
//! the cashier, notifications, refunds with req_info, micropay, XXE.

mod wechat_support;

use aws_lc_rs::cipher::{DecryptingKey, UnboundCipherKey, AES_256};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::time::Duration;
use unicharge_sandboxes::wechat::{self, AUTH_CODE_EXPIRED, AUTH_CODE_PAID, AUTH_CODE_USERPAYING};
use wechat_support::*;

const ACK: &str = "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>";

fn verify(f: &BTreeMap<String, String>, key: &str, hmac: bool) -> bool {
    f.get("sign").is_some_and(|s| *s == v2_sign(f, key, hmac))
}

async fn native_order(
    sb: &Sandbox,
    m: &Merchant,
    no: &str,
    total: &str,
    notify: &str,
    hmac: bool,
) -> BTreeMap<String, String> {
    let params = [
        ("body", "Green tea"),
        ("out_trade_no", no),
        ("total_fee", total),
        ("spbill_create_ip", "127.0.0.1"),
        ("notify_url", notify),
        ("trade_type", "NATIVE"),
        ("product_id", "P1"),
        ("attach", "a&b=c"),
    ];
    sb.v2(m, "/pay/unifiedorder", &params, hmac).await
}

#[tokio::test]
async fn native_order_paid_and_notified_in_both_sign_types() {
    let sb = spawn_sandbox(FAST).await;
    for hmac in [false, true] {
        let m = sb.merchant();
        let rx = Receiver::start(vec![(200, "<xml><return_code>FAIL</return_code></xml>")], (200, ACK)).await;
        let no = order_no();
        let a = native_order(&sb, &m, &no, "888", &rx.url, hmac).await;
        assert_eq!((a["return_code"].as_str(), a["result_code"].as_str()), ("SUCCESS", "SUCCESS"), "{a:?}");
        assert!(verify(&a, &m.api_key, hmac), "answer sign ({hmac}): {a:?}");
        assert!(!verify(&a, &m.api_key, !hmac));
        assert_eq!(a["trade_type"], "NATIVE");
        let view = sb.scan(&a["code_url"]).await;
        assert_eq!(view["prepay_id"].as_str(), Some(a["prepay_id"].as_str()));
        let (status, paid) = sb.cashier(&a["prepay_id"], "pay").await;
        assert_eq!(status, 200);
        assert_eq!(paid["notified"], false, "the receiver refused the first attempt");

        let got = rx.wait_for(2, Duration::from_secs(5)).await;
        assert_eq!(got[0].body, got[1].body);
        let n = wechat::xml::parse(&got[0].body).expect("notification XML");
        assert!(verify(&n, &m.api_key, hmac), "notification sign ({hmac}): {n:?}");
        for (k, v) in [
            ("return_code", "SUCCESS"),
            ("result_code", "SUCCESS"),
            ("appid", m.appid.as_str()),
            ("mch_id", m.mchid.as_str()),
            ("out_trade_no", no.as_str()),
            ("total_fee", "888"),
            ("cash_fee", "888"),
            ("trade_type", "NATIVE"),
            ("attach", "a&b=c"),
        ] {
            assert_eq!(n.get(k).map(String::as_str), Some(v), "{k}");
        }
        assert_eq!(n["time_end"].len(), 14);
        assert_eq!(n.get("transaction_id"), paid["transaction_id"].as_str().map(str::to_owned).as_ref());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(rx.received().len(), 2, "stops after return_code SUCCESS");

        let q = sb.v2(&m, "/pay/orderquery", &[("out_trade_no", &no)], hmac).await;
        assert!(verify(&q, &m.api_key, hmac));
        assert_eq!((q["trade_state"].as_str(), q["total_fee"].as_str()), ("SUCCESS", "888"));
        let c = sb.v2(&m, "/pay/closeorder", &[("out_trade_no", &no)], hmac).await;
        assert_eq!((c["result_code"].as_str(), c["err_code"].as_str()), ("FAIL", "ORDERPAID"));
    }
}

#[tokio::test]
async fn refused_requests_change_nothing() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let no = order_no();
    // Bad sign: FAIL at the protocol level, unsigned, nothing created.
    let mut f: BTreeMap<String, String> = [
        ("appid", m.appid.as_str()),
        ("mch_id", &m.mchid),
        ("nonce_str", "abc"),
        ("body", "x"),
        ("out_trade_no", &no),
        ("total_fee", "1"),
        ("spbill_create_ip", "127.0.0.1"),
        ("notify_url", "https://example.com/n"),
        ("trade_type", "NATIVE"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    f.insert("sign".into(), v2_sign(&f, "not-the-key", false));
    let a = sb.v2_raw("/pay/unifiedorder", to_xml(&f)).await;
    assert_eq!((a["return_code"].as_str(), a["return_msg"].as_str()), ("FAIL", "签名错误"));
    assert!(!a.contains_key("sign"));
    let q = sb.v2(&m, "/pay/orderquery", &[("out_trade_no", &no)], false).await;
    assert_eq!((q["result_code"].as_str(), q["err_code"].as_str()), ("FAIL", "ORDERNOTEXIST"));

    // XXE and billion laughs: refused before anything is read.
    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><appid>{}</appid>\
         <mch_id>{}</mch_id><body>&x;</body></xml>",
        m.appid, m.mchid
    );
    let laughs = "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><xml><body>&b;</body></xml>";
    for doc in [xxe.as_str(), laughs, "<xml><a>1</a>", "not xml"] {
        let a = sb.v2_raw("/pay/unifiedorder", doc.to_owned()).await;
        assert_eq!((a["return_code"].as_str(), a["return_msg"].as_str()), ("FAIL", "XML格式错误"), "{doc}");
    }
    // Another app id than the merchant's.
    let mut other = f.clone();
    other.insert("appid".into(), "wx0000000000000000".into());
    other.insert("sign".into(), v2_sign(&other, &m.api_key, false));
    let a = sb.v2_raw("/pay/unifiedorder", to_xml(&other)).await;
    assert_eq!(a["return_code"], "FAIL");
}

fn decrypt_req_info(api_key: &str, b64: &str) -> BTreeMap<String, String> {
    let key = hex::encode(Md5::digest(api_key.as_bytes()));
    let dk = DecryptingKey::ecb(UnboundCipherKey::new(&AES_256, key.as_bytes()).expect("key")).expect("ecb");
    let mut buf = B64.decode(b64).expect("base64");
    let plain = dk.decrypt(&mut buf, aws_lc_rs::cipher::DecryptionContext::None).expect("decrypt");
    let pad = *plain.last().expect("padding") as usize;
    let text = String::from_utf8(plain[..plain.len() - pad].to_vec()).expect("utf-8");
    let inner = text.strip_prefix("<root>").and_then(|t| t.strip_suffix("</root>")).expect("root");
    wechat::xml::parse(&format!("<xml>{inner}</xml>")).expect("inner XML")
}

#[tokio::test]
async fn refunds_notify_with_encrypted_req_info() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let rx = Receiver::start(vec![], (200, ACK)).await;
    let no = order_no();
    let a = native_order(&sb, &m, &no, "500", &rx.url, false).await;
    sb.cashier(&a["prepay_id"], "pay").await;
    async fn refund_call(
        sb: &Sandbox,
        m: &Merchant,
        no: &str,
        url: &str,
        rno: &str,
        fee: &str,
    ) -> BTreeMap<String, String> {
        let p = [
            ("out_trade_no", no),
            ("out_refund_no", rno),
            ("total_fee", "500"),
            ("refund_fee", fee),
            ("notify_url", url),
        ];
        sb.v2(m, "/secapi/pay/refund", &p, false).await
    }
    let refund = |rno: &'static str, fee: &'static str| refund_call(&sb, &m, &no, &rx.url, rno, fee);
    let r1 = refund("RF1", "200").await;
    assert_eq!(r1["result_code"], "SUCCESS", "{r1:?}");
    assert!(verify(&r1, &m.api_key, false));
    assert_eq!(r1["refund_id"].len(), 29);
    let again = refund("RF1", "200").await;
    assert_eq!(again["refund_id"], r1["refund_id"]);
    let over = refund("RF2", "301").await;
    assert_eq!((over["result_code"].as_str(), over["err_code"].as_str()), ("FAIL", "INVALID_REQUEST"));

    let got = rx.wait_for(2, Duration::from_secs(5)).await;
    let n = wechat::xml::parse(&got[1].body).expect("refund notification");
    assert_eq!((n["return_code"].as_str(), n["mch_id"].as_str()), ("SUCCESS", m.mchid.as_str()));
    let info = decrypt_req_info(&m.api_key, &n["req_info"]);
    for (k, v) in [("out_refund_no", "RF1"), ("refund_fee", "200"), ("total_fee", "500"), ("refund_status", "SUCCESS")]
    {
        assert_eq!(info.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(info["refund_id"], r1["refund_id"]);
    assert_eq!(info["out_trade_no"], no);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.received().len(), 2, "the repeated refund notified nothing");

    let q = sb.v2(&m, "/pay/refundquery", &[("out_trade_no", &no)], false).await;
    assert!(verify(&q, &m.api_key, false));
    assert_eq!((q["refund_count"].as_str(), q["refund_status_0"].as_str()), ("1", "SUCCESS"));
    let none = sb.v2(&m, "/pay/refundquery", &[("out_refund_no", "NOPE")], false).await;
    assert_eq!(none["err_code"], "REFUNDNOTEXIST");
}

#[tokio::test]
async fn micropay_answers_by_auth_code() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    async fn micropay(sb: &Sandbox, m: &Merchant, code: &str, no: String) -> BTreeMap<String, String> {
        let p = [
            ("body", "Tea"),
            ("out_trade_no", &no),
            ("total_fee", "10"),
            ("spbill_create_ip", "127.0.0.1"),
            ("auth_code", code),
        ];
        sb.v2(m, "/pay/micropay", &p, true).await
    }
    let pay = |code: &'static str, no: String| micropay(&sb, &m, code, no);
    let (n1, n2, n3) = (order_no(), order_no() + "b", order_no() + "c");
    let a = pay(AUTH_CODE_PAID, n1.clone()).await;
    assert_eq!((a["result_code"].as_str(), a["trade_type"].as_str()), ("SUCCESS", "MICROPAY"), "{a:?}");
    let b = pay(AUTH_CODE_USERPAYING, n2.clone()).await;
    assert_eq!(b["err_code"], "USERPAYING");
    let q = sb.v2(&m, "/pay/orderquery", &[("out_trade_no", &n2)], true).await;
    assert_eq!(q["trade_state"], "USERPAYING");
    // The buyer enters the password: the sandbox's cashier finds the trade.
    let view: serde_json::Value = sb
        .http
        .get(format!("{}/sandbox/wechat/cashier", sb.base))
        .query(&[("mchid", m.mchid.as_str()), ("out_trade_no", &n2)])
        .header("accept", "application/json")
        .send()
        .await
        .expect("find")
        .json()
        .await
        .expect("json");
    let (status, _) = sb.cashier(view["prepay_id"].as_str().expect("prepay_id"), "pay").await;
    assert_eq!(status, 200);
    let q = sb.v2(&m, "/pay/orderquery", &[("out_trade_no", &n2)], true).await;
    assert_eq!(q["trade_state"], "SUCCESS");
    let c = pay(AUTH_CODE_EXPIRED, n3.clone()).await;
    assert_eq!(c["err_code"], "AUTHCODEEXPIRE");
    let bad = pay("990000000000000000", order_no()).await;
    assert_eq!(bad["err_code"], "AUTH_CODE_INVALID");
    // Reverse a paid micropay: REVOKED.
    let r = sb.v2(&m, "/secapi/pay/reverse", &[("out_trade_no", &n1)], true).await;
    assert_eq!((r["result_code"].as_str(), r["recall"].as_str()), ("SUCCESS", "N"));
    let q = sb.v2(&m, "/pay/orderquery", &[("out_trade_no", &n1)], true).await;
    assert_eq!(q["trade_state"], "REVOKED");
}
