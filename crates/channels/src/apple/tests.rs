//! Verifier tests: Apple's own published chains and mock signed data
//! (tests/vectors/apple, from apple/app-store-server-library-python), and
//! the sandbox's fixture chains for the negative cases.

use super::config::{parse_products, AppleConfig, Product};
use super::verify::{verify_jws, verify_notification, verify_transaction, Expect, VerifyError};
use super::wire::{Transaction, TransactionPayload};
use super::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use unicharge_crypto::{certificates_from_text, verify_ec_chain, ChainError, ChainPolicy, Es256Signer};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/apple/");

fn vector(name: &str) -> String {
    std::fs::read_to_string(format!("{VECTORS}{name}")).unwrap()
}

fn x509() -> Value {
    serde_json::from_str(&vector("x509_chains.json")).unwrap()
}

fn b64(v: &Value, k: &str) -> Vec<u8> {
    STANDARD.decode(v[k].as_str().unwrap()).unwrap()
}

fn policy(at: i64) -> ChainPolicy<'static> {
    ChainPolicy { at, leaf_marker: Some(verify::LEAF_MARKER), intermediate_marker: Some(verify::INTERMEDIATE_MARKER) }
}

#[test]
fn apple_published_x509_chains() {
    let v = x509();
    let at = v["effective_date"].as_i64().unwrap();
    let root = vec![b64(&v, "root")];
    // test_valid_chain_without_ocsp: the leaf's key comes back.
    let point = verify_ec_chain(&b64(&v, "leaf"), &b64(&v, "intermediate"), &root, policy(at)).unwrap();
    let want = pem::parse(v["leaf_public_key_pem"].as_str().unwrap()).unwrap();
    assert_eq!(unicharge_crypto::p256_spki_der(&point), want.contents());
    // test_valid_chain_invalid_intermediate_OID / invalid_leaf_OID.
    let e = verify_ec_chain(
        &b64(&v, "leaf_for_intermediate_invalid_oid"),
        &b64(&v, "intermediate_invalid_oid"),
        &root,
        policy(at),
    );
    assert!(matches!(e, Err(ChainError::Marker("intermediate", _))), "{e:?}");
    let e = verify_ec_chain(&b64(&v, "leaf_invalid_oid"), &b64(&v, "intermediate"), &root, policy(at));
    assert!(matches!(e, Err(ChainError::Marker("leaf", _))), "{e:?}");
    // test_valid_expired_chain.
    let e =
        verify_ec_chain(&b64(&v, "leaf"), &b64(&v, "intermediate"), &root, policy(v["expired_date"].as_i64().unwrap()));
    assert!(matches!(e, Err(ChainError::Expired(_))), "{e:?}");
    // test_chain_different_than_root_certificate.
    let real = vec![b64(&v, "real_apple_root")];
    assert_eq!(
        verify_ec_chain(&b64(&v, "leaf"), &b64(&v, "intermediate"), &real, policy(at)),
        Err(ChainError::Untrusted)
    );
    // test_apple_chain_is_valid: Apple's real P-384 chain, pinned to the
    // Apple Root CA - G3 this crate embeds as the live default.
    let embedded = certificates_from_text(APPLE_ROOT_CA_G3_PEM).unwrap();
    assert_eq!(embedded, real);
    verify_ec_chain(&b64(&v, "real_apple_signing"), &b64(&v, "real_apple_intermediate"), &embedded, policy(at))
        .unwrap();
}

fn apple_test_root() -> Vec<Vec<u8>> {
    vec![std::fs::read(format!("{VECTORS}testCA.der")).unwrap()]
}

fn expect<'a>(roots: &'a [Vec<u8>], bundle: &'a str, env: &'a str) -> Expect<'a> {
    Expect { roots, bundle_id: bundle, app_apple_id: Some(1234), environment: env }
}

#[test]
fn apple_mock_signed_data() {
    let roots = apple_test_root();
    let now = 1_764_892_800; // 2025-12-05
    let n =
        verify_notification(vector("testNotification").trim(), expect(&roots, "com.example", "Sandbox"), now).unwrap();
    assert_eq!(n.notification_type, "TEST");
    assert_eq!(n.notification_uuid.as_deref(), Some("9ad56bd2-0bc6-42e0-af24-fd996d87a1e6"));
    let e = verify_notification(vector("testNotification").trim(), expect(&roots, "com.example", "Production"), now);
    assert!(matches!(e, Err(VerifyError::AppAppleId(_)) | Err(VerifyError::Environment { .. })), "{e:?}");
    let p: TransactionPayload = verify_jws(vector("transactionInfo").trim(), &roots, now).unwrap();
    assert_eq!((p.bundle_id.as_deref(), p.environment.as_deref()), (Some("com.example"), Some("Sandbox")));
    let e = verify_notification(vector("wrongBundleId").trim(), expect(&roots, "com.example", "Sandbox"), now);
    assert!(matches!(e, Err(VerifyError::Bundle(ref b)) if b == "com.example.wrong"), "{e:?}");
    let e = verify_jws::<Value>(vector("missingX5CHeaderClaim").trim(), &roots, now);
    assert!(matches!(e, Err(VerifyError::Malformed(_))), "{e:?}");
    // Xcode-signed data is never accepted (Apple's library skips its signature).
    let e =
        verify_transaction(vector("xcode-signed-transaction").trim(), expect(&roots, "com.example", "Sandbox"), now);
    assert!(e.is_err());
    // Our own root does not vouch for Apple's test chain.
    let ours = certificates_from_text(SANDBOX_ROOT).unwrap();
    let e = verify_jws::<Value>(vector("testNotification").trim(), &ours, now);
    assert_eq!(e.unwrap_err(), VerifyError::Chain(ChainError::Untrusted));
    // A payload altered after signing fails the signature.
    let jws = vector("testNotification");
    let parts: Vec<&str> = jws.trim().split('.').collect();
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(r#"{"data":{"appAppleId":1234,"environment":"Sandbox","bundleId":"com.example"},"notificationType":"REFUND","signedDate":1681314324000}"#);
    let e = verify_jws::<Value>(&format!("{}.{forged}.{}", parts[0], parts[2]), &roots, now);
    assert_eq!(e.unwrap_err(), VerifyError::Signature);
}

const SANDBOX_ROOT: &str = include_str!("../../../sandboxes/src/apple/certs/root.pem");

fn sandbox_sign(prefix: &str, inter: &str, payload: &Value) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../sandboxes/src/apple/certs/");
    let read = |f: &str| std::fs::read_to_string(format!("{dir}{f}")).unwrap();
    let der = |f: &str| STANDARD.encode(&unicharge_crypto::pem_certificates(&read(f)).unwrap()[0]);
    let signer = Es256Signer::from_pem(&read(&format!("{prefix}leaf_key.pem"))).unwrap();
    let header = json!({"alg": "ES256", "x5c": [der(&format!("{prefix}leaf.pem")), der(inter), der("root.pem")]});
    signer.sign_compact(&header.to_string(), &payload.to_string()).unwrap()
}

fn tx_payload(env: &str, bundle: &str) -> Value {
    json!({"transactionId": "2000000000000001", "originalTransactionId": "2000000000000001", "bundleId": bundle,
           "productId": "coins_6", "purchaseDate": 1_796_000_000_000i64, "quantity": 1, "environment": env,
           "price": 6000, "currency": "CNY", "signedDate": 1_796_000_000_000i64})
}

#[test]
fn sandbox_chain_positive_and_negative() {
    let roots = certificates_from_text(SANDBOX_ROOT).unwrap();
    let now = 1_796_000_000;
    let ok = sandbox_sign("", "intermediate.pem", &tx_payload("Sandbox", "com.example.app"));
    let tx = verify_transaction(&ok, expect(&roots, "com.example.app", "Sandbox"), now).unwrap();
    assert_eq!((tx.transaction_id.as_str(), tx.price_milli), ("2000000000000001", Some(6000)));
    let e = verify_transaction(&ok, expect(&roots, "com.other", "Sandbox"), now).unwrap_err();
    assert_eq!(e.code(), "apple_invalid_app_identifier");
    let e = verify_transaction(&ok, expect(&roots, "com.example.app", "Production"), now).unwrap_err();
    assert_eq!(e.code(), "apple_invalid_environment");
    let other = sandbox_sign("other_", "other_intermediate.pem", &tx_payload("Sandbox", "com.example.app"));
    let e = verify_transaction(&other, expect(&roots, "com.example.app", "Sandbox"), now).unwrap_err();
    assert_eq!(e, VerifyError::Chain(ChainError::Untrusted));
    let expired = sandbox_sign("expired_", "intermediate.pem", &tx_payload("Sandbox", "com.example.app"));
    let e = verify_transaction(&expired, expect(&roots, "com.example.app", "Sandbox"), now).unwrap_err();
    assert_eq!(e.code(), "apple_certificate_expired");
    for env in ["Xcode", "LocalTesting"] {
        let x = sandbox_sign("", "intermediate.pem", &tx_payload(env, "com.example.app"));
        assert!(verify_transaction(&x, expect(&roots, "com.example.app", env), now).is_err() || env != "Sandbox");
        assert_eq!(
            verify_transaction(&x, expect(&roots, "com.example.app", "Sandbox"), now).unwrap_err().code(),
            "apple_invalid_environment"
        );
    }
    assert_eq!(
        verify_transaction("a.b", expect(&roots, "x", "Sandbox"), now).unwrap_err().code(),
        "apple_malformed_jws"
    );
}

fn cfg(products: &str) -> AppleConfig {
    let (_, key) = Es256Signer::generate().unwrap();
    AppleConfig {
        bundle_id: "com.example.app".into(),
        app_apple_id: None,
        issuer_id: "57246542-96fe-1a63-e053-0824d011072a".into(),
        key_id: "ABCDEFGHIJ".into(),
        private_key: secrecy::SecretString::from(key),
        products: parse_products(products).unwrap(),
        shared_secret: None,
        roots: vec![],
        api_url: "http://127.0.0.1:1".into(),
        verify_receipt_url: String::new(),
        verify_receipt_sandbox_url: String::new(),
        environment: "Sandbox",
        mode: unicharge_domain::Mode::Test,
    }
}

fn charge(amount: i64) -> ChargeRef {
    ChargeRef {
        charge_id: "ch_1".into(),
        order_no: "o1".into(),
        amount,
        currency: Currency::Cny,
        subject: String::new(),
        body: String::new(),
        client_ip: String::new(),
        time_expire: 0,
        created: 0,
        extra: Default::default(),
    }
}

#[test]
fn products_and_prices() {
    let p = parse_products(r#"{"a": 600, "b": {"amount": 3000, "currency": "CNY"}}"#).unwrap();
    assert_eq!(p["b"], Product { amount: 3000, currency: Currency::Cny });
    for bad in ["[]", "{}", r#"{"a": -1}"#, r#"{"a": 1.5}"#, r#"{"a": {"amount": 1, "currency": "usd"}}"#, "nope"] {
        assert!(parse_products(bad).is_err(), "{bad}");
    }
    let c = cfg(r#"{"coins_6": 600}"#);
    let tx: Transaction = serde_json::from_value::<TransactionPayload>(tx_payload("Sandbox", "com.example.app"))
        .unwrap()
        .try_into()
        .unwrap();
    check_price(&c, &tx, &charge(600)).unwrap();
    let code = |r: Result<(), ChannelError>| match r {
        Err(ChannelError::Refused { code, .. }) => code,
        other => panic!("{other:?}"),
    };
    assert_eq!(code(check_price(&c, &tx, &charge(1))), "apple_amount_mismatch");
    let mut wrong_price = tx.clone();
    wrong_price.price_milli = Some(1000);
    assert_eq!(code(check_price(&c, &wrong_price, &charge(600))), "apple_amount_mismatch");
    let mut two = tx.clone();
    two.quantity = 2;
    check_price(&c, &two, &charge(1200)).unwrap();
    let mut unknown = tx;
    unknown.product_id = "gems".into();
    assert_eq!(code(check_price(&c, &unknown, &charge(600))), "apple_unknown_product");
}

#[test]
fn bearer_token_shape() {
    let c = cfg(r#"{"a": 1}"#);
    let token = api::bearer_token(&c, 1_796_000_000).unwrap();
    let jws = unicharge_crypto::CompactJws::parse(&token).unwrap();
    let h: Value = serde_json::from_slice(&jws.header).unwrap();
    assert_eq!(
        (h["alg"].as_str(), h["kid"].as_str(), h["typ"].as_str()),
        (Some("ES256"), Some("ABCDEFGHIJ"), Some("JWT"))
    );
    let claims: Value = serde_json::from_slice(&jws.payload).unwrap();
    assert_eq!(
        claims,
        json!({"iss": c.issuer_id, "iat": 1_796_000_000, "exp": 1_796_000_300, "aud": "appstoreconnect-v1", "bid": "com.example.app"})
    );
    let signer = Es256Signer::from_pem(secrecy::ExposeSecret::expose_secret(&c.private_key)).unwrap();
    jws.verify_es256(&signer.public_point()).unwrap();
}
