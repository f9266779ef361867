//! Unit tests: signing rules, amounts, raw response extraction, notification
//! verification (with Alipay's own 2019 notifications), wire mappings.

use super::sign::{self, encode_value, query_string, sign_content, split_response, verify_notify, NotifyRule, Params};
use super::wire::{self, fen, yuan, Header, TradeResponse};
use super::*;
use crate::{ChannelConfig, PaymentStatus};
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use unicharge_crypto::{RsaPublicKey, RsaSigner};
use unicharge_domain::Mode;

pub(super) fn vector(name: &str) -> String {
    let path = format!("{}/../../tests/vectors/alipay/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(super) fn ctx_with(params: Value, private_key: &str) -> ChannelContext {
    let Value::Object(params) = params else { panic!("params must be an object") };
    let mut secrets = std::collections::BTreeMap::new();
    secrets.insert("app_private_key".to_owned(), SecretString::from(private_key.to_owned()));
    ChannelContext {
        app_id: "app_test".into(),
        mode: Mode::Test,
        config: Arc::new(ChannelConfig { params, secrets }),
        notify_url: "https://pay.example.com/notify/alipay_qr/app_test/test".into(),
        sandbox_base: "http://127.0.0.1:9/sandbox".into(),
    }
}

/// A merchant using the throwaway test keys; `platform` plays Alipay.
pub(super) fn test_ctx(app_id: &str) -> ChannelContext {
    ctx_with(
        json!({"app_id": app_id, "alipay_public_key": vector("test-alipay_platform_public.pem")}),
        &vector("test-alipay_app_private_pkcs1.pem"),
    )
}

pub(super) fn platform() -> RsaSigner {
    RsaSigner::parse(&vector("test-alipay_platform_private_pkcs8.pem")).expect("platform key")
}

fn notify_form(fields: &Map<String, Value>) -> Vec<u8> {
    let pairs: Vec<(String, String)> =
        fields.iter().map(|(k, v)| (k.clone(), v.as_str().expect("string").to_owned())).collect();
    serde_urlencoded::to_string(pairs).expect("form").into_bytes()
}

fn raw(body: Vec<u8>) -> RawNotify {
    RawNotify { content_type: "application/x-www-form-urlencoded".into(), headers: vec![], body }
}

/// Signs a notification as Alipay does (V1: without sign and sign_type).
fn signed_notify(mut fields: Map<String, Value>, key: &RsaSigner) -> Vec<u8> {
    fields.insert("sign_type".into(), json!("RSA2"));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap_or(""))).collect();
    let content = unicharge_crypto::sorted_sign_content_keep_empty(pairs, &["sign", "sign_type"]);
    fields.insert("sign".into(), json!(key.sign_sha256_b64(content.as_bytes())));
    notify_form(&fields)
}

fn trade_fields(status: &str) -> Map<String, Value> {
    let Value::Object(m) = json!({
        "notify_type": "trade_status_sync", "notify_id": "n1", "notify_time": "2026-01-02 03:04:06",
        "app_id": "2021000000000001", "seller_id": "2088000000000001", "charset": "utf-8", "version": "1.0",
        "out_trade_no": "A1", "trade_no": "2026010222001400000000000001", "trade_status": status,
        "total_amount": "12.34", "gmt_create": "2026-01-02 03:04:00", "gmt_payment": "2026-01-02 03:04:05",
        "subject": "测试 & test", "passback_params": "", "fund_bill_list": "[{\"amount\":\"12.34\",\"fundChannel\":\"ALIPAYACCOUNT\"}]"
    }) else {
        unreachable!()
    };
    m
}

#[test]
fn request_sign_content_sorts_drops_empty_and_sign() {
    let mut p = Params::new();
    for (k, v) in
        [("method", "alipay.trade.query"), ("app_id", "1"), ("return_url", ""), ("biz_content", "{\"a\":\"中 &=\"}")]
    {
        p.insert(k.into(), v.into());
    }
    p.insert("sign".into(), "old".into());
    assert_eq!(sign_content(&p), "app_id=1&biz_content={\"a\":\"中 &=\"}&method=alipay.trade.query");
    let signer = platform();
    sign::sign(&mut p, &signer);
    let public = signer.public_key().expect("public");
    assert!(public.verify_sha256_b64(sign_content(&p).as_bytes(), &p["sign"]));
    // The query string keeps sign in its sorted place and encodes values only.
    let q = query_string(&p);
    assert!(
        q.starts_with("app_id=1&biz_content=%7B%22a%22%3A%22%E4%B8%AD+%26%3D%22%7D&method=alipay.trade.query&sign=")
    );
    assert!(!q.contains("return_url"));
}

#[test]
fn values_are_encoded_like_quote_plus() {
    assert_eq!(encode_value("aZ09_.-~"), "aZ09_.-~");
    assert_eq!(encode_value("a b+c"), "a+b%2Bc");
    assert_eq!(encode_value("中"), "%E4%B8%AD");
    assert_eq!(encode_value("*'()!/:=&?"), "%2A%27%28%29%21%2F%3A%3D%26%3F");
    assert_eq!(encode_value("x/y=="), "x%2Fy%3D%3D");
}

#[test]
fn yuan_and_fen_use_integers_only() {
    assert_eq!(yuan(1), "0.01");
    assert_eq!(yuan(1234), "12.34");
    assert_eq!(yuan(10_000_000_000), "100000000.00");
    assert_eq!(fen("0.01", "x").ok(), Some(1));
    assert_eq!(fen("12.3", "x").ok(), Some(1230));
    assert_eq!(fen("100000000.00", "x").ok(), Some(10_000_000_000));
    assert_eq!(fen("7", "x").ok(), Some(700));
    for bad in ["1.234", "-1", "abc", "", "1.", ".5", "1e3", " 1", "0x10", "1,00", "99999999999999999999"] {
        assert!(fen(bad, "x").is_err(), "{bad}");
    }
}

#[test]
fn published_response_verifies_from_its_raw_text() {
    let text = vector("nodejs-response_open_file_upload.json");
    let key = RsaPublicKey::parse(&vector("nodejs-alipay-public-key.pem")).expect("key");
    let r = split_response(text.trim_end(), "alipay.open.file.upload").expect("split");
    assert_eq!(r.content, r#"{"code":"10000","msg":"Success","file_id":"CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr"}"#);
    assert!(sign::verify_response(&r, &key).is_ok());
    let tampered = text.replace("CAxAToWB1Js", "CAxAToWB1Jt");
    let r = split_response(&tampered, "alipay.open.file.upload").expect("split");
    assert!(sign::verify_response(&r, &key).is_err());
}

fn signed_response(method: &str, content: &str, between: &str) -> String {
    let sig = platform().sign_sha256_b64(content.as_bytes());
    format!("{{\"{}_response\":{content}{between},\"sign\":\"{sig}\"}}", method.replace('.', "_"))
}

#[test]
fn response_extraction_keeps_raw_bytes_and_skips_strings() {
    let key = platform().public_key().expect("public");
    let content = r#"{"code":"10000","msg":"Success","out_trade_no":"A1","qr_code":"https:\/\/qr.alipay.com\/bax0","note":"a}b{\"c\\"}"#;
    for between in ["", r#","alipay_cert_sn":"7513daaaa48aa3ba2e4018d84402479c""#] {
        let text = signed_response("alipay.trade.precreate", content, between);
        let r = split_response(&text, "alipay.trade.precreate").expect("split");
        assert_eq!(r.content, content);
        assert!(sign::verify_response(&r, &key).is_ok());
        assert_eq!(r.alipay_cert_sn.is_some(), !between.is_empty());
        // Unescaping the slashes (a re-serialization) breaks the signature.
        let reserialized = text.replace(r"\/", "/");
        let r = split_response(&reserialized, "alipay.trade.precreate").expect("split");
        assert!(sign::verify_response(&r, &key).is_err());
    }
    let spaced = format!(" {{ \"alipay_trade_query_response\" :\n {content} , \"sign\" : \"x\" }} ");
    assert_eq!(split_response(&spaced, "alipay.trade.query").expect("split").content, content);
    for bad in [
        "",
        "[]",
        "{\"alipay_trade_query_response\":{\"code\":\"10000\"",
        "{\"other_response\":{}}",
        "{\"alipay_trade_query_response\":\"x\"}",
    ] {
        assert!(split_response(bad, "alipay.trade.query").is_err(), "{bad}");
    }
}

#[test]
fn unsigned_error_response_is_an_error_not_a_result() {
    let ctx = test_ctx("2021000000000001");
    let cfg = AlipayConfig::load(&ctx, &KeyCache::default()).expect("config");
    let text = r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}}"#;
    let a = check_answer(&cfg, "alipay.trade.query", text).expect("answer");
    assert!(!a.signed && a.header.is_sub("isv.invalid-signature"));
    assert!(matches!(a.header.into_error("q"), ChannelError::Config(m) if m.contains("isv.invalid-signature")));
    // A success must be signed, and signed by the configured Alipay key.
    let unsigned = r#"{"alipay_trade_query_response":{"code":"10000","msg":"Success","trade_status":"TRADE_SUCCESS"}}"#;
    assert!(matches!(check_answer(&cfg, "alipay.trade.query", unsigned), Err(ChannelError::BadSignature(_))));
    let content = r#"{"code":"10000","msg":"Success"}"#;
    let other = RsaSigner::parse(&vector("test-alipay_app_private_pkcs8.pem")).expect("key");
    let forged = format!(
        "{{\"alipay_trade_query_response\":{content},\"sign\":\"{}\"}}",
        other.sign_sha256_b64(content.as_bytes())
    );
    assert!(matches!(check_answer(&cfg, "alipay.trade.query", &forged), Err(ChannelError::BadSignature(_))));
    assert!(check_answer(&cfg, "alipay.trade.query", &signed_response("alipay.trade.query", content, "")).is_ok());
}

#[test]
fn alipays_2019_notifications_verify_v1_and_v2() {
    let fields = |file: &str| -> Vec<(String, String)> {
        let v: Map<String, Value> = serde_json::from_str(&vector(file)).expect("json");
        v.into_iter().map(|(k, v)| (k, v.as_str().expect("string").to_owned())).collect()
    };
    let v1_key = RsaPublicKey::parse(&vector("nodejs-alipay-notify-v1-inline-public-key.pem")).expect("key");
    let v2_key = RsaPublicKey::parse(&vector("nodejs-alipay-notify-sign-public-key-v2.pem")).expect("key");
    let trade = fields("nodejs-notify_trade_2019-08-15.json");
    assert_eq!(verify_notify(&trade, &v1_key).ok(), Some(NotifyRule::V1));
    assert!(verify_notify(&trade, &v2_key).is_err());
    let market = fields("nodejs-notify_servicemarket_2019-03-08.json");
    assert_eq!(verify_notify(&market, &v2_key).ok(), Some(NotifyRule::V2));
    let mut tampered = trade.clone();
    for (k, v) in tampered.iter_mut() {
        if k == "total_amount" {
            *v = "0.11".into();
        }
    }
    assert!(verify_notify(&tampered, &v1_key).is_err());
}

#[test]
fn parse_notify_accepts_alipays_real_notification() {
    let v: Map<String, Value> = serde_json::from_str(&vector("nodejs-notify_trade_2019-08-15.json")).expect("json");
    let body = notify_form(&v);
    let ch = AlipayProducts::new(reqwest::Client::new());
    let private = vector("test-alipay_app_private_pkcs8.pem");
    let key = vector("nodejs-alipay-notify-v1-inline-public-key.pem");
    let ctx = ctx_with(
        json!({"app_id": "2019073166072302", "alipay_public_key": key, "seller_id": "2088531891668739"}),
        &private,
    );
    let expected = NotifyOutcome::Charge {
        order_no: "20190815155618536-564-57".into(),
        status: PaymentStatus::Paid {
            transaction_no: "2019081522001468450512505578".into(),
            amount: 10,
            time_paid: 1_565_855_784,
        },
        amount: 10,
    };
    assert_eq!(ch.qr.parse_notify(&ctx, &raw(body.clone())).ok(), Some(expected));
    let other_app = ctx_with(json!({"app_id": "2019073166072303", "alipay_public_key": key}), &private);
    assert!(matches!(ch.qr.parse_notify(&other_app, &raw(body.clone())), Err(ChannelError::Mismatch(_))));
    let other_seller = ctx_with(
        json!({"app_id": "2019073166072302", "alipay_public_key": key, "seller_id": "2088000000000000"}),
        &private,
    );
    assert!(matches!(ch.qr.parse_notify(&other_seller, &raw(body.clone())), Err(ChannelError::Mismatch(_))));
    let wrong_key = test_ctx("2019073166072302");
    assert!(matches!(ch.qr.parse_notify(&wrong_key, &raw(body)), Err(ChannelError::BadSignature(_))));
}

#[test]
fn parse_notify_maps_statuses_and_rejects_bad_forms() {
    let ch = AlipayProducts::new(reqwest::Client::new());
    let ctx = test_ctx("2021000000000001");
    let key = platform();
    let parse = |body: Vec<u8>| ch.wap.parse_notify(&ctx, &raw(body));
    let paid = parse(signed_notify(trade_fields("TRADE_SUCCESS"), &key)).expect("paid");
    assert!(matches!(
        paid,
        NotifyOutcome::Charge {
            amount: 1234,
            status: PaymentStatus::Paid { amount: 1234, time_paid: 1_767_294_245, .. },
            ..
        }
    ));
    assert!(matches!(parse(signed_notify(trade_fields("TRADE_FINISHED"), &key)), Ok(NotifyOutcome::Charge { .. })));
    assert_eq!(parse(signed_notify(trade_fields("WAIT_BUYER_PAY"), &key)).ok(), Some(NotifyOutcome::Ignored));
    let closed = parse(signed_notify(trade_fields("TRADE_CLOSED"), &key)).expect("closed");
    assert_eq!(closed, NotifyOutcome::Charge { order_no: "A1".into(), status: PaymentStatus::Closed, amount: 1234 });
    let mut refunded = trade_fields("TRADE_CLOSED");
    refunded.insert("out_biz_no".into(), json!("re_1"));
    refunded.insert("refund_fee".into(), json!("12.34"));
    assert_eq!(parse(signed_notify(refunded, &key)).ok(), Some(NotifyOutcome::Ignored));
    assert!(matches!(parse(signed_notify(trade_fields("TRADE_PAID"), &key)), Err(ChannelError::Malformed(_))));
    let mut bad_amount = trade_fields("TRADE_SUCCESS");
    bad_amount.insert("total_amount".into(), json!("12.345"));
    assert!(matches!(parse(signed_notify(bad_amount, &key)), Err(ChannelError::Malformed(_))));
    // Tampered after signing, signed by another key, unsigned, RSA1, repeated, not a form.
    let good = String::from_utf8(signed_notify(trade_fields("TRADE_SUCCESS"), &key)).expect("utf8");
    assert!(matches!(
        parse(good.replace("total_amount=12.34", "total_amount=0.01").into_bytes()),
        Err(ChannelError::BadSignature(_))
    ));
    let other = RsaSigner::parse(&vector("test-alipay_app_private_pkcs8.pem")).expect("key");
    assert!(matches!(parse(signed_notify(trade_fields("TRADE_SUCCESS"), &other)), Err(ChannelError::BadSignature(_))));
    assert!(matches!(parse(notify_form(&trade_fields("TRADE_SUCCESS"))), Err(ChannelError::BadSignature(_))));
    assert!(parse(good.replace("sign_type=RSA2", "sign_type=RSA").into_bytes()).is_err());
    assert!(matches!(parse(format!("{good}&out_trade_no=B2").into_bytes()), Err(ChannelError::Malformed(_))));
    assert!(matches!(parse(b"%FF%FE=1&a".to_vec()), Err(ChannelError::Malformed(_))));
    assert!(parse(b"".to_vec()).is_err());
    assert_eq!(ch.wap.ack(&raw(Vec::new()), true).body, "success");
    assert_eq!(ch.wap.ack(&raw(Vec::new()), false).body, "fail");
}

#[test]
fn query_answers_map_to_payment_statuses() {
    let r = |status: &str| TradeResponse {
        trade_no: Some("T1".into()),
        trade_status: Some(status.into()),
        total_amount: Some("0.10".into()),
        gmt_payment: None,
        send_pay_date: Some("2019-08-15 15:56:24".into()),
    };
    let paid = PaymentStatus::Paid { transaction_no: "T1".into(), amount: 10, time_paid: 1_565_855_784 };
    assert_eq!(PaymentStatus::try_from(r("TRADE_SUCCESS")).ok(), Some(paid.clone()));
    assert_eq!(PaymentStatus::try_from(r("TRADE_FINISHED")).ok(), Some(paid));
    assert_eq!(PaymentStatus::try_from(r("WAIT_BUYER_PAY")).ok(), Some(PaymentStatus::Pending));
    assert_eq!(PaymentStatus::try_from(r("TRADE_CLOSED")).ok(), Some(PaymentStatus::Closed));
    assert!(PaymentStatus::try_from(r("UNKNOWN")).is_err());
    let mut no_amount = r("TRADE_SUCCESS");
    no_amount.total_amount = None;
    assert!(PaymentStatus::try_from(no_amount).is_err());
    let refund = |status: Option<&str>| wire::RefundQueryResponse {
        trade_no: Some("T1".into()),
        out_request_no: Some("re_1".into()),
        refund_amount: Some("0.10".into()),
        refund_status: status.map(str::to_owned),
        gmt_refund_pay: Some("2019-08-15 15:56:24".into()),
    };
    assert_eq!(
        RefundStatusReport::try_from(refund(Some("REFUND_SUCCESS"))).ok(),
        Some(RefundStatusReport::Succeeded { transaction_no: Some("T1".into()), time_succeed: 1_565_855_784 })
    );
    assert_eq!(RefundStatusReport::try_from(refund(None)).ok(), Some(RefundStatusReport::Pending));
}

#[test]
fn failure_codes_map_to_channel_errors() {
    let h = |code: &str, sub: Option<&str>| Header {
        code: code.into(),
        msg: "Business Failed".into(),
        sub_code: sub.map(str::to_owned),
        sub_msg: sub.map(|_| "交易已被关闭".to_owned()),
    };
    assert!(matches!(
        h("40004", Some("ACQ.TRADE_HAS_CLOSE")).into_error("m"),
        ChannelError::Refused { code, message } if code == "ACQ.TRADE_HAS_CLOSE" && message == "交易已被关闭"
    ));
    assert!(matches!(h("40004", None).into_error("m"), ChannelError::Refused { code, .. } if code == "alipay_40004"));
    assert!(matches!(h("40004", Some("ACQ.SYSTEM_ERROR")).into_error("m"), ChannelError::Unavailable(_)));
    assert!(matches!(h("20000", Some("isp.unknow-error")).into_error("m"), ChannelError::Unavailable(_)));
    for code in ["20001", "40001", "40002", "40006"] {
        assert!(matches!(h(code, Some("isv.x")).into_error("m"), ChannelError::Config(_)), "{code}");
    }
}
