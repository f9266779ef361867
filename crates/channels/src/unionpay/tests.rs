use super::config::{KeyCache, UnionpayConfig};
use super::wire::{self, Fields};
use super::{auto_submit_form, gateway, txn_time};
use crate::{ChannelConfig, ChannelContext, ChargeRef, Credential, NotifyOutcome, PaymentStatus, RefundStatusReport};
use base64::Engine;
use secrecy::SecretString;
use std::sync::Arc;
use unicharge_crypto::{unionpay_sign, unionpay_verify_content, RsaSigner};
use unicharge_domain::{Currency, Mode};

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sandboxes/fixtures/unionpay/");
pub(super) const MER_ID: &str = "777290058110048";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIX}{name}")).unwrap()
}

pub(super) fn ctx() -> ChannelContext {
    let pfx = std::fs::read(format!("{FIX}merchant.pfx")).unwrap();
    let mut params = serde_json::Map::new();
    params.insert("mer_id".into(), MER_ID.into());
    let secrets = [
        ("sign_cert_pfx".to_owned(), SecretString::from(base64::engine::general_purpose::STANDARD.encode(pfx))),
        ("sign_cert_password".to_owned(), SecretString::from("000000")),
    ]
    .into_iter()
    .collect();
    ChannelContext {
        app_id: "app_1".into(),
        mode: Mode::Test,
        config: Arc::new(ChannelConfig { params, secrets }),
        notify_url: "http://127.0.0.1:1/notify/upacp/app_1/test".into(),
        sandbox_base: "http://127.0.0.1:1/sandbox".into(),
    }
}

/// Signs `fields` as the sandbox (UnionPay) does, with `cert`/`key`.
fn signed_by(mut f: Fields, cert: &str, key: &str) -> Fields {
    f.insert("signPubKeyCert".into(), fixture(cert).replace('\n', "\r\n"));
    let content = unionpay_verify_content(f.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    f.insert("signature".into(), unionpay_sign(&RsaSigner::parse(&fixture(key)).unwrap(), &content));
    f
}

fn pay_notify() -> Fields {
    let mut f = wire::base(MER_ID, "01", "01", "000201");
    for (k, v) in [
        ("orderId", "ORDER0001"),
        ("txnAmt", "100"),
        ("respCode", "00"),
        ("respMsg", "成功"),
        ("queryId", "Q1"),
        ("txnTime", "20261205120000"),
    ] {
        f.insert(k.into(), v.into());
    }
    f
}

fn outcome(f: &Fields) -> Result<NotifyOutcome, crate::ChannelError> {
    let cache = KeyCache::default();
    let c = ctx();
    let cfg = UnionpayConfig::load(&c, &cache)?;
    gateway::verify(&cfg, f)?;
    NotifyOutcome::try_from(wire::Notify(f))
}

#[test]
fn notification_from_sandbox_ca_is_accepted_and_negatives_refused() {
    let good = signed_by(pay_notify(), "sign.pem", "sign.key");
    match outcome(&good).unwrap() {
        NotifyOutcome::Charge { order_no, amount, status: PaymentStatus::Paid { transaction_no, .. } } => {
            assert_eq!((order_no.as_str(), amount, transaction_no.as_str()), ("ORDER0001", 100, "Q1"));
        }
        other => panic!("{other:?}"),
    }
    let mut tampered = good.clone();
    tampered.insert("txnAmt".into(), "1".into());
    assert!(matches!(outcome(&tampered), Err(crate::ChannelError::BadSignature(_))));
    let other_ca = signed_by(pay_notify(), "other_sign.pem", "other_sign.key");
    assert!(matches!(outcome(&other_ca), Err(crate::ChannelError::BadSignature(_))));
    let expired = signed_by(pay_notify(), "expired_sign.pem", "expired_sign.key");
    assert!(matches!(outcome(&expired), Err(crate::ChannelError::BadSignature(_))));
    let wrong_cn = signed_by(pay_notify(), "wrong_cn_sign.pem", "wrong_cn_sign.key");
    assert!(matches!(outcome(&wrong_cn), Err(crate::ChannelError::BadSignature(_))));
    let mut f = pay_notify();
    f.insert("merId".into(), "777290058110099".into());
    assert!(matches!(outcome(&signed_by(f, "sign.pem", "sign.key")), Err(crate::ChannelError::Mismatch(_))));
}

#[test]
fn refund_notification_maps_ids() {
    let mut f = wire::base(MER_ID, "04", "00", "000201");
    for (k, v) in [
        ("orderId", "reAbc123"),
        ("txnAmt", "40"),
        ("respCode", "00"),
        ("reqReserved", "ORDER0001"),
        ("txnTime", "20261205120000"),
    ] {
        f.insert(k.into(), v.into());
    }
    match outcome(&signed_by(f, "sign.pem", "sign.key")).unwrap() {
        NotifyOutcome::Refund { refund_id, order_no, amount, .. } => {
            assert_eq!((refund_id.as_str(), order_no.as_str(), amount), ("re_Abc123", "ORDER0001", 40))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(wire::refund_order_id("re_Abc123"), "reAbc123");
    assert!(wire::refund_id_of("xx1").is_err());
}

#[test]
fn refund_query_answers_map_to_refund_states() {
    let answer = |txn_type: &str, orig: &str| {
        let mut f = wire::base(MER_ID, txn_type, "00", "000201");
        for (k, v) in [
            ("orderId", "reAbc123"),
            ("txnAmt", "40"),
            ("respCode", "00"),
            ("origRespCode", orig),
            ("origRespMsg", "原因"),
            ("queryId", "Q9"),
            ("txnTime", "20261205080000"),
        ] {
            f.insert(k.into(), v.into());
        }
        RefundStatusReport::try_from(wire::RefundQueryAnswer(&f))
    };
    assert_eq!(
        answer("04", "00").unwrap(),
        RefundStatusReport::Succeeded { transaction_no: Some("Q9".into()), time_succeed: 1_796_428_800 }
    );
    assert_eq!(answer("04", "05").unwrap(), RefundStatusReport::Pending);
    assert_eq!(answer("04", "01").unwrap(), RefundStatusReport::Failed { code: "01".into(), message: "原因".into() });
    assert!(matches!(answer("01", "00"), Err(crate::ChannelError::Mismatch(_))), "a consumption is not a refund");
}

#[test]
fn amounts_and_times_are_strict() {
    let mut f = Fields::new();
    for bad in ["", "-1", "1.00", "1e3", "1234567890123"] {
        f.insert("txnAmt".into(), bad.into());
        assert!(wire::amount(&f).is_err(), "{bad}");
    }
    f.insert("txnAmt".into(), "000100".into());
    assert_eq!(wire::amount(&f).unwrap(), 100);
    assert_eq!(wire::parse_txn_time("20261205080000"), Some(1_796_428_800));
    assert_eq!(wire::parse_txn_time("2026120508000"), None);
    assert_eq!(wire::parse_txn_time("20261305080000"), None);
}

#[test]
fn signed_request_is_verifiable_with_the_merchant_certificate() {
    let cache = KeyCache::default();
    let c = ctx();
    let cfg = UnionpayConfig::load(&c, &cache).unwrap();
    assert_eq!(cfg.keys.cert_id, "69026278656");
    assert_eq!(cfg.endpoint("queryTrans.do"), "http://127.0.0.1:1/sandbox/unionpay/gateway/api/queryTrans.do");
    let charge = ChargeRef {
        charge_id: "ch_1".into(),
        order_no: "ORDER0001".into(),
        amount: 100,
        currency: Currency::Cny,
        subject: "s".into(),
        body: "b".into(),
        client_ip: "127.0.0.1".into(),
        // A tenant-set expiry (30 minutes) does not move txnTime.
        time_expire: 1_796_428_800 + 1_800,
        created: 1_796_428_800,
        extra: serde_json::Map::new(),
    };
    assert_eq!(txn_time(&charge), "20261205080000");
    let mut f = super::create::consume_fields(&cfg, &charge, &c.notify_url, "07");
    f.insert("riskRateInfo".into(), String::new());
    gateway::sign(&cfg, &mut f);
    assert!(!f.contains_key("riskRateInfo"), "blank fields are not sent");
    let pfx = std::fs::read(format!("{FIX}merchant.pfx")).unwrap();
    let id = unicharge_crypto::load_pkcs12(&pfx, "000000").unwrap();
    let pem = pem::encode(&pem::Pem::new("CERTIFICATE", id.cert_der));
    let key = unicharge_crypto::RsaPublicKey::from_certificate_pem(&pem).unwrap();
    let content = unicharge_crypto::unionpay_request_content(f.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert!(unicharge_crypto::unionpay_verify(&key, &content, &f["signature"]));
    let mut m = serde_json::Map::new();
    m.insert("channel_url".into(), "https://gw/x?a=1&b=\"2\"".into());
    m.insert("orderId".into(), "<O>".into());
    let html = auto_submit_form(&Credential(serde_json::Value::Object(m))).unwrap();
    assert!(html.contains("action=\"https://gw/x?a=1&amp;b=&quot;2&quot;\""));
    assert!(html.contains("name=\"orderId\" value=\"&lt;O&gt;\""));
}

#[test]
fn live_mode_needs_root_and_middle() {
    let mut c = ctx();
    c.mode = Mode::Live;
    assert!(matches!(UnionpayConfig::load(&c, &KeyCache::default()), Err(crate::ChannelError::Config(_))));
}
