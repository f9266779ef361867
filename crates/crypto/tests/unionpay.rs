//! UnionPay signMethod=01 against published vectors: yansongda/pay's
//! request signatures made with the official test PFX, and real answers and
//! a notification from UnionPay's test gateway (tests/vectors/unionpay,
//! SOURCE.md there). Plus the sandbox's own test PKI for the negatives.

use std::collections::BTreeMap;
use unicharge_crypto::{
    build_pkcs12, certificate_der, certificate_serial_decimal, load_pkcs12, parse_qstring, unionpay_request_content,
    unionpay_sign, unionpay_verify, unionpay_verify_content, RsaSigner, TrustError, UnionpayTrust,
};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/unionpay/");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sandboxes/fixtures/unionpay/");

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(format!("{VECTORS}{name}")).unwrap()
}
fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}{name}")).unwrap()
}
fn vectors_json() -> serde_json::Value {
    serde_json::from_slice(&vector("unionpay_vectors.json")).unwrap()
}
fn unix(y: i32, m: u32, d: u32) -> i64 {
    // Days from civil (Howard Hinnant), enough for pinned test dates.
    let y = if m <= 2 { y - 1 } else { y } as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400
}

/// 2026-11-26: the official test PFX's last day. Signing does not check
/// validity, but certId and the key come from it.
#[test]
fn official_test_pfx_gives_cert_id_and_reproduces_yansongda_signatures() {
    let id = load_pkcs12(&vector("acp_test_sign.pfx"), "000000").unwrap();
    assert_eq!(certificate_serial_decimal(&id.cert_der).unwrap(), "69903319369");
    let v = vectors_json();
    for case in ["testWebPay", "testQuery", "testCancel", "testRefund"] {
        let req: BTreeMap<String, String> = serde_json::from_slice(&vector(&format!("{case}.request.json"))).unwrap();
        let content = unionpay_request_content(req.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert!(!content.contains("signature="), "{case}");
        assert_eq!(unionpay_sign(&id.signer, &content), req["signature"], "{case}: signature byte for byte");
        // The form body yansongda posted carries the same signature.
        let body = v[format!("{case}.request_body")].as_str().unwrap();
        let posted: BTreeMap<String, String> = serde_urlencoded::from_str(body).unwrap();
        assert_eq!(posted, req, "{case}");
    }
    assert!(load_pkcs12(&vector("acp_test_sign.pfx"), "000001").is_err(), "a wrong password is refused");
}

fn official_trust() -> UnionpayTrust {
    let root = String::from_utf8(vector("acp_test_root.cer")).unwrap();
    let middle = String::from_utf8(vector("acp_test_middle.cer")).unwrap();
    UnionpayTrust::new(&root, &middle).unwrap()
}

fn check(fields: &[(String, String)], trust: &UnionpayTrust, at: i64) -> Result<bool, TrustError> {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let key = trust.verify_sign_cert(get("signPubKeyCert"), at, false)?;
    let content = unionpay_verify_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(unionpay_verify(&key, &content, get("signature")))
}

#[test]
fn real_test_gateway_answers_verify_at_their_date_and_not_now() {
    let trust = official_trust();
    let at = unix(2024, 1, 5);
    for case in ["testQuery", "testCancel", "testRefund"] {
        let raw = String::from_utf8(vector(&format!("{case}.response.txt"))).unwrap();
        let raw = raw.strip_suffix('\n').unwrap_or(&raw);
        let fields = parse_qstring(raw);
        assert!(fields.iter().any(|(k, v)| k == "signPubKeyCert" && v.contains("\r\n")), "{case}: PEM kept whole");
        assert_eq!(check(&fields, &trust, at), Ok(true), "{case}");
        // The certificate expired 2025-07-31: today it is refused.
        assert_eq!(check(&fields, &trust, unix(2026, 12, 5)), Err(TrustError::Expired("signPubKeyCert")), "{case}");
        // One changed amount breaks the signature.
        let tampered: Vec<_> = fields
            .iter()
            .map(|(k, v)| if k == "txnAmt" { (k.clone(), "2".to_owned()) } else { (k.clone(), v.clone()) })
            .collect();
        assert_eq!(check(&tampered, &trust, at), Ok(false), "{case}");
    }
}

#[test]
fn real_backurl_notification_verifies() {
    let v = vectors_json();
    let fields: Vec<(String, String)> = v["testCallback.params"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(check(&fields, &official_trust(), unix(2022, 9, 8)), Ok(true));
    // The content yansongda's trait test pins is our verify content.
    let content = unionpay_verify_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert_eq!(content, v["UnipayTraitTest.contents"].as_str().unwrap());
}

fn sandbox_trust() -> UnionpayTrust {
    UnionpayTrust::new(&fixture("root.pem"), &fixture("middle.pem")).unwrap()
}

#[test]
fn sandbox_pki_positive_and_negatives() {
    let trust = sandbox_trust();
    let now = unix(2026, 12, 5);
    let signer = RsaSigner::parse(&fixture("sign.key")).unwrap();
    let fields = [("merId", "777290058110048"), ("orderId", "ORDER0001"), ("txnAmt", "100"), ("respCode", "00")];
    let content = unionpay_verify_content(fields);
    let sig = unionpay_sign(&signer, &content);
    let key = trust.verify_sign_cert(&fixture("sign.pem"), now, false).unwrap();
    assert!(unionpay_verify(&key, &content, &sig));
    assert!(!unionpay_verify(&key, &content.replace("txnAmt=100", "txnAmt=101"), &sig));
    assert!(!unionpay_verify(&key, &content, "not base64!"));
    assert_eq!(
        trust.verify_sign_cert(&fixture("other_sign.pem"), now, true).unwrap_err(),
        TrustError::NotIssued("signPubKeyCert", "middle")
    );
    assert_eq!(
        trust.verify_sign_cert(&fixture("expired_sign.pem"), now, true).unwrap_err(),
        TrustError::Expired("signPubKeyCert")
    );
    assert!(matches!(
        trust.verify_sign_cert(&fixture("wrong_cn_sign.pem"), now, true).unwrap_err(),
        TrustError::WrongName(_)
    ));
    // The root given as middle: the chain does not close.
    let swapped = UnionpayTrust::new(&fixture("middle.pem"), &fixture("root.pem")).unwrap();
    assert!(swapped.verify_sign_cert(&fixture("sign.pem"), now, false).is_err());
    assert!(trust.verify_sign_cert("garbage", now, false).is_err());
    // Before the sandbox CA's validity.
    assert!(trust.verify_sign_cert(&fixture("sign.pem"), unix(2024, 6, 1), false).is_err());
}

#[test]
fn pkcs12_fixture_and_round_trip() {
    let pfx = std::fs::read(format!("{FIXTURES}merchant.pfx")).unwrap();
    let id = load_pkcs12(&pfx, "000000").unwrap();
    assert_eq!(certificate_serial_decimal(&id.cert_der).unwrap(), "69026278656");
    let key_pem = unicharge_crypto::generate_rsa_2048_pkcs8_pem().unwrap();
    let key_der = pem::parse(&key_pem).unwrap().contents().to_vec();
    let cert_der = certificate_der(&fixture("sign.pem")).unwrap();
    let built = build_pkcs12(&key_der, &cert_der, "s3cret").unwrap();
    let back = load_pkcs12(&built, "s3cret").unwrap();
    assert_eq!(back.cert_der, cert_der);
    let msg = b"hello";
    let signer = RsaSigner::parse(&key_pem).unwrap();
    assert_eq!(back.signer.sign_sha256(msg), signer.sign_sha256(msg));
    assert!(load_pkcs12(&built, "wrong").is_err());
}

#[test]
fn parse_qstring_keeps_braces_and_equals() {
    let f = parse_qstring("a=1&b={x=1&y=2}&c=[1&2]&d=x=y&e=&f=+/=\r\nz");
    let want: Vec<(String, String)> =
        [("a", "1"), ("b", "{x=1&y=2}"), ("c", "[1&2]"), ("d", "x=y"), ("e", ""), ("f", "+/=\r\nz")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    assert_eq!(f, want);
    assert!(parse_qstring("").is_empty());
}
