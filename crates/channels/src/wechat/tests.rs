//! Unit tests: APIv3 signatures (with wechatpy's and wechatpay-go's
//! published vectors), notification verification and decryption, and the
//! negative cases (tamper, stale, unknown serial, other merchant).

use super::v3::sign::{authorization, lines_sign, RequestLine, SignedHeaders};
use super::*;
use crate::ChannelConfig;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use secrecy::SecretString;
use serde_json::{json, Map};
use unicharge_crypto::{aes_gcm_decrypt, aes_gcm_encrypt, RsaPublicKey, RsaSigner};
use unicharge_domain::Mode;

pub(super) fn vector(name: &str) -> String {
    let path = format!("{}/../../tests/vectors/wechat/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(super) const MCHID: &str = "1900000001";
pub(super) const APPID: &str = "wx8888888888888888";
pub(super) const APIV3_KEY: &str = "0123456789abcdef0123456789ABCDEF";
pub(super) const MCH_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
pub(super) const PLATFORM_SERIAL: &str = "3775B6A45ACD588826D15E583A95F5DD2A3DA7DD";

pub(super) fn ctx_with(params: serde_json::Value, secrets: &[(&str, &str)]) -> ChannelContext {
    let serde_json::Value::Object(params) = params else { panic!("params") };
    let secrets = secrets.iter().map(|(k, v)| ((*k).to_owned(), SecretString::from((*v).to_owned()))).collect();
    ChannelContext {
        app_id: "app_test".into(),
        mode: Mode::Test,
        config: Arc::new(ChannelConfig { params, secrets }),
        notify_url: "https://pay.example.com/notify/wx_pub_qr/app_test/test".into(),
        sandbox_base: "http://127.0.0.1:9/sandbox".into(),
    }
}

/// A v3 merchant in certificate mode with the platform certificate configured.
pub(super) fn v3_ctx(extra: Map<String, serde_json::Value>) -> ChannelContext {
    let mut p = json!({"api_version": "v3", "mchid": MCHID, "appid": APPID, "merchant_serial_no": MCH_SERIAL,
                       "platform_cert": vector("test-platform_cert.pem")});
    p.as_object_mut().expect("object").extend(extra);
    ctx_with(p, &[("merchant_private_key", &vector("test-mch_private_pkcs8.pem")), ("apiv3_key", APIV3_KEY)])
}

pub(super) fn platform() -> RsaSigner {
    RsaSigner::parse(&vector("test-platform_private_pkcs8.pem")).expect("platform key")
}

/// A notification as WeChat sends it: resource encrypted, body signed.
pub(super) fn v3_notify(event: &str, resource: &serde_json::Value, ts: i64, serial: &str) -> RawNotify {
    let nonce = "abcdefABCDEF";
    let ct = aes_gcm_encrypt(APIV3_KEY.as_bytes(), nonce.as_bytes(), b"transaction", resource.to_string().as_bytes())
        .expect("seal");
    let body = json!({"id": "EV-1", "create_time": "2026-01-02T03:04:05+08:00", "resource_type": "encrypt-resource",
                      "event_type": event, "summary": "支付成功",
                      "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                                   "ciphertext": B64.encode(ct), "associated_data": "transaction", "nonce": nonce}})
    .to_string();
    signed_raw(body, ts, serial)
}

pub(super) fn signed_raw(body: String, ts: i64, serial: &str) -> RawNotify {
    let nonce = "NONCE0123456789";
    let sig = platform().sign_sha256_b64(format!("{ts}\n{nonce}\n{body}\n").as_bytes());
    RawNotify {
        content_type: "application/json".into(),
        headers: vec![
            ("Wechatpay-Timestamp".into(), ts.to_string()),
            ("Wechatpay-Nonce".into(), nonce.into()),
            ("Wechatpay-Signature".into(), sig),
            ("Wechatpay-Serial".into(), serial.into()),
            ("Wechatpay-Signature-Type".into(), "WECHATPAY2-SHA256-RSA2048".into()),
        ],
        body: body.into_bytes(),
    }
}

pub(super) fn transaction(mchid: &str, appid: &str) -> serde_json::Value {
    json!({"mchid": mchid, "appid": appid, "out_trade_no": "A10001", "transaction_id": "4200000001",
           "trade_type": "NATIVE", "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
           "success_time": "2026-01-02T03:04:05+08:00", "payer": {"openid": "o1"},
           "amount": {"total": 1234, "payer_total": 1234, "currency": "CNY", "payer_currency": "CNY"}})
}

#[test]
fn authorization_header_is_signed_as_specified() {
    let signer = RsaSigner::parse(&vector("test-mch_private_pkcs8.pem")).expect("key");
    let line = RequestLine {
        method: "POST",
        path_and_query: "/v3/pay/transactions/native",
        body: r#"{"a":1}"#,
        timestamp: 1_767_294_245,
        nonce: "N1",
    };
    assert_eq!(line.message(), "POST\n/v3/pay/transactions/native\n1767294245\nN1\n{\"a\":1}\n");
    let h = authorization(&signer, MCHID, MCH_SERIAL, &line);
    let prefix = format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{MCHID}\",nonce_str=\"N1\",signature=\"");
    assert!(h.starts_with(&prefix), "{h}");
    assert!(h.ends_with(&format!("\",timestamp=\"1767294245\",serial_no=\"{MCH_SERIAL}\"")));
    let sig = &h[prefix.len()..h.find("\",timestamp").expect("ts")];
    let key = RsaPublicKey::from_certificate_pem(&vector("test-mch_cert.pem")).expect("cert");
    assert!(key.verify_sha256_b64(line.message().as_bytes(), sig));
    assert!(!key.verify_sha256_b64(b"POST\n/v3/pay/transactions/h5\n", sig));
}

/// wechatpy @ 5b8502e3, tests/test_pay_v3.py::test_calculate_signature.
#[test]
fn wechatpy_v3_signature_vector() {
    let signer = RsaSigner::parse(&vector("wechatpy-apiclient_key.pem")).expect("key");
    let line = RequestLine {
        method: "GET",
        path_and_query: "test",
        body: "",
        timestamp: 1_651_854_037,
        nonce: "1E3A8D73B5A4AEE787C0F68B5DAB8520",
    };
    let expected = "c4VewIfiOrSXkYtGqoZFzzjOr3LMhFFJRD5l18glbIUyXEF1wcG1euB4w5QdBlhgytM+28W7wmwqWTA8RsQWTBXR0YEXC6Mtd5xpl\
                    SXlXghv7ORl0a2TRVQSuf/vhKOdXc54Ima3wqj8AOkMeaiswp8fdnwd6yq1s0bx6uchP9Q6PO0INGnpdH8NeKP21dlefeOc4H7Ovnq\
                    HEyj/BsvdE1/DYUIFkw1q5fIAfxcUoqeXThtIL6ajLZgaaQJgYhPV7Cd6UMf5gY3yxKYWIWWHALtdWrn+pCcIPKrop/keqHE9wJPYt\
                    AP3uJ8UKohiHDft01X5ex0Es5Z12+lR9VLyEQ==";
    assert_eq!(signer.sign_sha256_b64(line.message().as_bytes()), expected);
}

/// wechatpay-go @ 6dbd7ce2: utils/sign_test.go, and the full notification
/// of core/notify/notify_test.go (platform certificate D7CE59D1F522D701,
/// 16-byte APIv3 key), verified at its own time.
#[test]
fn wechatpay_go_vectors() {
    let signer = RsaSigner::parse(&vector("wechatpay-go-sign_test_private_key.pem")).expect("key");
    assert_eq!(signer.sign_sha256_b64(b"source"), vector("wechatpay-go-sign_test_expected_signature.txt").trim());

    let headers: Map<String, serde_json::Value> =
        serde_json::from_str(&vector("wechatpay-go-notify_test.headers.json")).expect("headers");
    let pairs: Vec<(String, String)> =
        headers.iter().map(|(k, v)| (k.clone(), v.as_str().expect("str").to_owned())).collect();
    let h = SignedHeaders::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).expect("headers");
    let body = vector("wechatpay-go-notify_test.body.json");
    let body = body.trim_end_matches('\n');
    let cert = v3::certs::PlatformCert::parse(&vector("wechatpay-go-notify_test_platform_cert.pem")).expect("cert");
    assert_eq!(cert.serial, "D7CE59D1F522D701");
    assert_eq!(h.serial, cert.serial);
    let at = 1_624_523_846;
    h.verify(&cert.key, body, at).expect("the published notification verifies");
    assert!(h.verify(&cert.key, body, at + 301).is_err(), "stale");
    assert!(h.verify(&cert.key, &body.replace("签约成功", "签约失败"), at).is_err(), "tampered");
    let n: v3::wire::Notification = serde_json::from_str(body).expect("envelope");
    let r = &n.resource;
    let plain = aes_gcm_decrypt(
        b"testMchAPIv3Key0",
        r.nonce.as_bytes(),
        r.associated_data.as_bytes(),
        &B64.decode(&r.ciphertext).expect("b64"),
    )
    .expect("decrypt");
    let got: serde_json::Value = serde_json::from_slice(&plain).expect("json");
    let want: serde_json::Value =
        serde_json::from_str(&vector("wechatpay-go-notify_test.expected_plaintext.json")).expect("json");
    assert_eq!(got, want);
}

#[test]
fn platform_certificate_serials_and_validity() {
    let c = v3::certs::PlatformCert::parse(&vector("test-platform_cert.pem")).expect("cert");
    assert_eq!(c.serial, PLATFORM_SERIAL);
    assert!(c.not_before < c.not_after);
    assert!(!c.valid_at(c.not_before - 1) && c.valid_at(c.not_before) && !c.valid_at(c.not_after + 1));
    assert!(v3::certs::find(std::slice::from_ref(&c), &PLATFORM_SERIAL.to_lowercase(), c.not_before).is_some());
    assert!(v3::certs::find(&[c], "ABC", 1_800_000_000).is_none());
}

#[test]
fn pay_sign_covers_the_lines() {
    let signer = RsaSigner::parse(&vector("test-mch_private_pkcs8.pem")).expect("key");
    let s = lines_sign(&signer, &[APPID, "1767294245", "N1", "prepay_id=wx1"]);
    let key = RsaPublicKey::from_certificate_pem(&vector("test-mch_cert.pem")).expect("cert");
    assert!(key.verify_sha256_b64(format!("{APPID}\n1767294245\nN1\nprepay_id=wx1\n").as_bytes(), &s));
}

#[test]
fn v3_notifications_verify_decrypt_and_check_the_merchant() {
    let ch = WechatProducts::new(reqwest::Client::new());
    let ctx = v3_ctx(Map::new());
    let t = now();
    let parse = |n: &RawNotify| ch.pub_qr.parse_notify(&ctx, n);
    let good = v3_notify("TRANSACTION.SUCCESS", &transaction(MCHID, APPID), t, PLATFORM_SERIAL);
    assert_eq!(
        parse(&good).expect("good"),
        NotifyOutcome::Charge {
            order_no: "A10001".into(),
            amount: 1234,
            status: PaymentStatus::Paid { transaction_no: "4200000001".into(), amount: 1234, time_paid: 1_767_294_245 }
        }
    );
    // A replay inside the window verifies again; the server's
    // compare-and-set makes it a no-op. Outside the window it is stale.
    assert!(parse(&good).is_ok());
    let stale = v3_notify("TRANSACTION.SUCCESS", &transaction(MCHID, APPID), t - 301, PLATFORM_SERIAL);
    assert!(matches!(parse(&stale), Err(ChannelError::BadSignature(m)) if m.contains("5 minutes")));
    let future = v3_notify("TRANSACTION.SUCCESS", &transaction(MCHID, APPID), t + 400, PLATFORM_SERIAL);
    assert!(parse(&future).is_err());
    let unknown = v3_notify("TRANSACTION.SUCCESS", &transaction(MCHID, APPID), t, "1234567890ABCDEF");
    assert!(matches!(parse(&unknown), Err(ChannelError::BadSignature(m)) if m.contains("unknown platform serial")));
    let mut tampered = good.clone();
    tampered.body = String::from_utf8(good.body.clone()).expect("utf8").replace("支付成功", "支付失败").into_bytes();
    assert!(matches!(parse(&tampered), Err(ChannelError::BadSignature(_))));
    let mut forged = good.clone();
    forged.headers[2].1 = B64.encode([0u8; 256]);
    assert!(matches!(parse(&forged), Err(ChannelError::BadSignature(_))));
    let mut missing = good.clone();
    missing.headers.retain(|(k, _)| k != "Wechatpay-Signature");
    assert!(matches!(parse(&missing), Err(ChannelError::BadSignature(_))));
    // A flipped ciphertext byte, correctly re-signed: AES-GCM refuses it.
    let mut body: serde_json::Value = serde_json::from_slice(&good.body).expect("json");
    let mut ct = B64.decode(body["resource"]["ciphertext"].as_str().expect("ct")).expect("b64");
    ct[3] ^= 0x01;
    body["resource"]["ciphertext"] = json!(B64.encode(ct));
    assert!(matches!(parse(&signed_raw(body.to_string(), t, PLATFORM_SERIAL)), Err(ChannelError::BadSignature(_))));
    let other_mch = v3_notify("TRANSACTION.SUCCESS", &transaction("1900000002", APPID), t, PLATFORM_SERIAL);
    assert!(matches!(parse(&other_mch), Err(ChannelError::Mismatch(_))));
    let other_app = v3_notify("TRANSACTION.SUCCESS", &transaction(MCHID, "wx0000000000000000"), t, PLATFORM_SERIAL);
    assert!(matches!(parse(&other_app), Err(ChannelError::Mismatch(_))));
    let refund = json!({"mchid": MCHID, "out_trade_no": "A10001", "transaction_id": "4200000001",
                        "out_refund_no": "re_1", "refund_id": "5030000001", "refund_status": "SUCCESS",
                        "success_time": "2026-01-02T03:04:05+08:00",
                        "amount": {"total": 1234, "refund": 100, "payer_total": 1234, "payer_refund": 100}});
    assert_eq!(
        parse(&v3_notify("REFUND.SUCCESS", &refund, t, PLATFORM_SERIAL)).expect("refund"),
        NotifyOutcome::Refund {
            refund_id: "re_1".into(),
            order_no: "A10001".into(),
            amount: 100,
            status: RefundStatusReport::Succeeded {
                transaction_no: Some("5030000001".into()),
                time_succeed: 1_767_294_245
            }
        }
    );
    let closed = json!({"mchid": MCHID, "out_trade_no": "A10001", "out_refund_no": "re_1", "refund_status": "CLOSED",
                        "amount": {"total": 1234, "refund": 100}});
    assert!(matches!(
        parse(&v3_notify("REFUND.CLOSED", &closed, t, PLATFORM_SERIAL)),
        Ok(NotifyOutcome::Refund { status: RefundStatusReport::Failed { .. }, .. })
    ));
    assert_eq!(parse(&v3_notify("PAYSCORE.X", &json!({}), t, PLATFORM_SERIAL)).ok(), Some(NotifyOutcome::Ignored));
    // The v3 ack is JSON; a failure is a 5xx so that WeChat retries.
    let ok = ch.pub_qr.ack(&good, true);
    assert_eq!((ok.status, ok.content_type), (200, "application/json"));
    let fail = ch.pub_qr.ack(&good, false);
    assert_eq!(fail.status, 500);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&fail.body).expect("json")["code"], "FAIL");
}

#[test]
fn v3_public_key_mode_matches_the_key_id() {
    let ch = WechatProducts::new(reqwest::Client::new());
    let mut extra = Map::new();
    extra.insert("platform_public_key".into(), json!(vector("test-platform_public.pem")));
    extra.insert("platform_public_key_id".into(), json!("PUB_KEY_ID_0001"));
    let mut ctx = v3_ctx(extra);
    let mut params = ctx.config.params.clone();
    params.remove("platform_cert");
    ctx.config = Arc::new(ChannelConfig { params, secrets: ctx.config.secrets.clone() });
    let t = now();
    let n = v3_notify("TRANSACTION.SUCCESS", &transaction(MCHID, APPID), t, "PUB_KEY_ID_0001");
    assert!(matches!(ch.wap.parse_notify(&ctx, &n), Ok(NotifyOutcome::Charge { .. })));
    let by_serial = v3_notify("TRANSACTION.SUCCESS", &transaction(MCHID, APPID), t, PLATFORM_SERIAL);
    assert!(ch.wap.parse_notify(&ctx, &by_serial).is_err(), "only the configured key id is accepted");
}

#[test]
fn configuration_errors() {
    let ch = WechatProducts::new(reqwest::Client::new());
    let load = |params: serde_json::Value, secrets: &[(&str, &str)]| ch.app.config(&ctx_with(params, secrets));
    let key = vector("test-mch_private_pkcs8.pem");
    let base = json!({"api_version": "v3", "mchid": MCHID, "appid": APPID, "merchant_serial_no": MCH_SERIAL});
    assert!(load(base.clone(), &[("merchant_private_key", &key), ("apiv3_key", APIV3_KEY)]).is_ok());
    assert!(load(base.clone(), &[("merchant_private_key", &key), ("apiv3_key", "short")]).is_err());
    assert!(load(base.clone(), &[("apiv3_key", APIV3_KEY)]).is_err());
    let mut half = base.clone();
    half["platform_public_key_id"] = json!("PUB_KEY_ID_1");
    assert!(load(half, &[("merchant_private_key", &key), ("apiv3_key", APIV3_KEY)]).is_err());
    assert!(load(json!({"api_version": "v4", "appid": APPID}), &[]).is_err());
    let v2 = json!({"api_version": "v2", "mch_id": "10000100", "appid": APPID, "sign_type": "SHA1"});
    assert!(load(v2, &[("api_key", "k")]).is_err());
    let live = ctx_with(
        json!({"api_version": "v2", "mch_id": "1", "appid": APPID, "gateway": "http://x"}),
        &[("api_key", "k")],
    );
    let live = ChannelContext { mode: Mode::Live, ..live };
    assert!(ch.app.config(&live).is_err(), "live gateways must be https");
}

#[test]
fn wire_mappings() {
    use v3::wire::{ErrorBody, Refund, Transaction};
    let t: Transaction = serde_json::from_value(transaction(MCHID, APPID)).expect("t");
    for (state, want) in [
        ("NOTPAY", PaymentStatus::Pending),
        ("USERPAYING", PaymentStatus::Pending),
        ("CLOSED", PaymentStatus::Closed),
        ("REVOKED", PaymentStatus::Closed),
    ] {
        let t = Transaction { trade_state: state.into(), ..t.clone() };
        assert_eq!(PaymentStatus::try_from(&t).ok(), Some(want));
    }
    let refunded = Transaction { trade_state: "REFUND".into(), ..t.clone() };
    assert!(matches!(PaymentStatus::try_from(&refunded), Ok(PaymentStatus::Paid { amount: 1234, .. })));
    assert!(PaymentStatus::try_from(&Transaction { trade_state: "WHAT".into(), ..t.clone() }).is_err());
    assert!(PaymentStatus::try_from(&Transaction { amount: None, ..t }).is_err());
    let r: Refund = serde_json::from_value(json!({"out_refund_no": "re_1", "status": "PROCESSING"})).expect("r");
    assert_eq!(RefundStatusReport::try_from(&r).ok(), Some(RefundStatusReport::Pending));
    let abnormal = Refund { status: "ABNORMAL".into(), ..r };
    assert!(matches!(RefundStatusReport::try_from(&abnormal), Ok(RefundStatusReport::Failed { .. })));
    let e = |status, code: &str| ErrorBody { code: code.into(), message: "m".into() }.into_error("x", status);
    assert!(matches!(e(500, "SYSTEM_ERROR"), ChannelError::Unavailable(_)));
    assert!(matches!(e(401, "SIGN_ERROR"), ChannelError::Config(_)));
    assert!(matches!(e(400, "ORDER_PAID"), ChannelError::Refused { code, .. } if code == "ORDER_PAID"));
}

/// wechatpay-java @ 1dab7bec, TestConfig.DOWNLOAD_CERTIFICATE_RESPONSE: a
/// `/v3/certificates` item decrypts to the certificate it lists.
#[test]
fn wechatpay_java_certificate_download_vector() {
    let list: v3::wire::Certificates =
        serde_json::from_str(&vector("wechatpay-java-download_certificate_response.json")).expect("json");
    let item = &list.data[0];
    let r = &item.encrypt_certificate;
    let key = b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
    let sealed = B64.decode(&r.ciphertext).expect("b64");
    let pem = aes_gcm_decrypt(key, r.nonce.as_bytes(), r.associated_data.as_bytes(), &sealed).expect("decrypt");
    let cert = v3::certs::PlatformCert::parse(std::str::from_utf8(&pem).expect("pem")).expect("cert");
    assert_eq!(cert.serial, "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC");
    assert_eq!(cert.serial, item.serial_no);
    assert!(aes_gcm_decrypt(key, r.nonce.as_bytes(), b"other", &sealed).is_err());
}
