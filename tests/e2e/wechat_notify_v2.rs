//! WeChat Pay APIv2 notifications that must be refused: another API key,
//! wrong amount, tampered, misaddressed, unsigned, hostile XML (XXE, billion
//! laughs). Each is answered with WeChat's FAIL XML and leaves the charge
//! unpaid with no events; a genuine one replayed is acknowledged every time
//! but changes the charge once.

use crate::wechat::{charge_state, create, merchant, unchanged, use_v2, Merchant};
use serde_json::json;
use unicharge_tests::*;

fn xml(fields: &[(&str, String)]) -> String {
    let inner: String = fields.iter().map(|(k, v)| format!("<{k}><![CDATA[{v}]]></{k}>")).collect();
    format!("<xml>{inner}</xml>")
}

fn v2_paid(m: &Merchant, order_no: &str, total: i64, key: &str) -> Vec<(&'static str, String)> {
    let mut f: Vec<(&'static str, String)> = vec![
        ("appid", m.appid.clone()),
        ("bank_type", "OTHERS".into()),
        ("cash_fee", total.to_string()),
        ("fee_type", "CNY".into()),
        ("is_subscribe", "N".into()),
        ("mch_id", m.mchid.clone()),
        ("nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS".into()),
        ("openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into()),
        ("out_trade_no", order_no.to_owned()),
        ("result_code", "SUCCESS".into()),
        ("return_code", "SUCCESS".into()),
        ("time_end", "20261201180000".into()),
        ("total_fee", total.to_string()),
        ("trade_type", "NATIVE".into()),
        ("transaction_id", "4200000000202612010000000002".into()),
    ];
    resign(&mut f, key);
    f
}

fn resign(f: &mut Vec<(&'static str, String)>, key: &str) {
    f.retain(|(k, _)| *k != "sign");
    let sign = unicharge_crypto::wechat_v2_sign(f.iter().map(|(k, v)| (*k, v.as_str())), key, false);
    f.push(("sign", sign));
}

fn set(f: &mut [(&'static str, String)], name: &str, value: &str) {
    if let Some(slot) = f.iter_mut().find(|(k, _)| *k == name) {
        slot.1 = value.to_owned();
    }
}

async fn post_v2(app: &TestApp, body: String) -> String {
    crate::channel_support::post_notify(app, "wx_pub_qr", "text/xml", body).await
}

fn is_fail(ack: &str) -> bool {
    ack.contains("<return_code><![CDATA[FAIL]]></return_code>")
}

#[tokio::test]
async fn wechat_v2_forged_misaddressed_and_hostile_notifications_change_nothing() {
    let app = spawn().await;
    let m = merchant(&app, &app.tenant.app).await;
    use_v2(&app, &m, "MD5").await;
    let c = create(&app, "wx_pub_qr", 1000, json!({})).await;
    let (id, order_no) = (c["id"].as_str().expect("id"), c["order_no"].as_str().expect("order_no"));

    let mut cases: Vec<(&str, String)> = Vec::new();
    cases.push((
        "a sign made with another API key",
        xml(&v2_paid(&m, order_no, 1000, "192006250b4c09247ec02edce69f6a2d")),
    ));
    cases.push(("the wrong amount", xml(&v2_paid(&m, order_no, 1, &m.api_key))));
    let mut tampered = v2_paid(&m, order_no, 1000, &m.api_key);
    set(&mut tampered, "total_fee", "1");
    cases.push(("an amount changed after signing", xml(&tampered)));
    let mut other = v2_paid(&m, order_no, 1000, &m.api_key);
    set(&mut other, "mch_id", "1900000109");
    resign(&mut other, &m.api_key);
    cases.push(("another merchant's mch_id", xml(&other)));
    let mut other_app = v2_paid(&m, order_no, 1000, &m.api_key);
    set(&mut other_app, "appid", "wxd930ea5d5a258f4f");
    resign(&mut other_app, &m.api_key);
    cases.push(("another appid", xml(&other_app)));
    cases.push(("an unknown order", xml(&v2_paid(&m, "no-such-order", 1000, &m.api_key))));
    let mut unsigned = v2_paid(&m, order_no, 1000, &m.api_key);
    unsigned.retain(|(k, _)| *k != "sign");
    cases.push(("no sign", xml(&unsigned)));
    // XXE: an external entity standing in for a field of a validly signed
    // document; a parser that resolved it would read a local file.
    let good = xml(&v2_paid(&m, order_no, 1000, &m.api_key));
    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{}",
        good.replacen("<nonce_str>", "<attach>&xxe;</attach><nonce_str>", 1)
    );
    cases.push(("an XXE document", xxe));
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">\
        <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;\">]><xml><return_code>&lol3;</return_code></xml>";
    cases.push(("billion laughs", laughs.to_owned()));
    cases.push(("broken XML", "<xml><return_code>SUCCESS</return_code>".to_owned()));

    for (what, body) in cases {
        let ack = post_v2(&app, body).await;
        assert!(is_fail(&ack), "{what} must be refused: {ack}");
        unchanged(&app, id, what).await;
    }

    for _ in 0..3 {
        let ack = post_v2(&app, good.clone()).await;
        assert!(ack.contains("<return_code><![CDATA[SUCCESS]]></return_code>"), "{ack}");
    }
    let paid = charge_state(&app, id).await;
    assert_eq!(paid["paid"], true, "{paid}");
    assert_eq!(paid["transaction_no"], "4200000000202612010000000002");
    assert_eq!(app.events_for(id).await, vec!["charge.succeeded"]);
}
