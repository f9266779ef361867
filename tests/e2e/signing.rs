//! Ping++ request signatures, checked against vectors produced by the
//! official Python SDK, then end to end against the server.

use serde_json::{json, Value};
use unicharge_crypto::{RsaPublicKey, RsaSigner};
use unicharge_tests::*;

const PRIVATE: &str = include_str!("../vectors/pingpp/python_your_rsa_private_key.pem");
const PUBLIC: &str = include_str!("../vectors/pingpp/python_your_rsa_public_key.pem");
const VECTORS: &str = include_str!("../vectors/pingpp/request_signature_vectors.json");

#[test]
fn our_rsa_matches_the_official_sdk_byte_for_byte() {
    let v: Value = serde_json::from_str(VECTORS).expect("vectors");
    let signer = RsaSigner::parse(PRIVATE).expect("private key (PKCS#1 PEM)");
    let public = RsaPublicKey::parse(PUBLIC).expect("public key");
    let cases = v["cases"].as_array().expect("cases");
    assert!(cases.len() >= 3);
    for case in cases {
        let body = case["body"].as_str().expect("body");
        let uri = case["request_uri"].as_str().expect("uri");
        let ts = case["Pingplusplus-Request-Timestamp"].as_str().expect("ts");
        let expected_sts = case["string_to_sign"].as_str().expect("sts");
        let sts = format!("{body}{uri}{ts}");
        assert_eq!(sts, expected_sts);
        let sig = case["Pingplusplus-Signature"].as_str().expect("sig");
        assert_eq!(signer.sign_sha256_b64(sts.as_bytes()), sig, "signature differs from the SDK's for {uri}");
        assert!(public.verify_sha256_b64(sts.as_bytes(), sig));
        assert!(!public.verify_sha256_b64(format!("{sts}x").as_bytes(), sig));
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

async fn signed(
    app: &TestApp,
    method: &str,
    target: &str,
    body: &str,
    ts: i64,
    signer: &RsaSigner,
) -> reqwest::Response {
    let sig = signer.sign_sha256_b64(format!("{body}{target}{ts}").as_bytes());
    let req = match method {
        "POST" => app.http.post(app.url(target)).header("content-type", "application/json").body(body.to_owned()),
        _ => app.http.get(app.url(target)),
    };
    req.bearer_auth(&app.tenant.test_key)
        .header("Pingplusplus-Request-Timestamp", ts.to_string())
        .header("Pingplusplus-Signature", sig)
        .send()
        .await
        .expect("send")
}

#[tokio::test]
async fn apps_with_a_public_key_require_valid_fresh_signatures() {
    let app = spawn().await;
    let before = app.charge(100).await;
    let before_id = before["id"].as_str().expect("id");
    unicharge_server::ops::set_app_public_key(&app.state, &app.tenant.app, Some(PUBLIC.to_owned()))
        .await
        .expect("set key");
    let signer = RsaSigner::parse(PRIVATE).expect("key");

    // Unsigned requests are refused, for reads too.
    let r = app.post_json("/v1/charges", &app.tenant.test_key, &charge_body(&app.tenant.app)).await;
    let e = assert_error(r, 401, "invalid_request_error", None).await;
    assert_eq!(e["error"]["code"], "invalid_request_signature");
    assert_error(
        app.get(&format!("/v1/charges/{before_id}"), &app.tenant.test_key).await,
        401,
        "invalid_request_error",
        None,
    )
    .await;

    // Python-SDK-style body (", " separators) signed with body + URI + timestamp.
    let body = format!(
        "{{\"order_no\": \"{}\", \"app\": {{\"id\": \"{}\"}}, \"channel\": \"sandbox\", \"amount\": 100, \"client_ip\": \"127.0.0.1\", \"currency\": \"cny\", \"subject\": \"S\", \"body\": \"B\"}}",
        order_no(),
        app.tenant.app
    );
    let r = signed(&app, "POST", "/v1/charges", &body, now(), &signer).await;
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.expect("json");

    // GETs sign the request-target exactly as sent, query included.
    let target = format!("/v1/charges?app%5Bid%5D={}&limit=3", app.tenant.app);
    assert_eq!(signed(&app, "GET", &target, "", now(), &signer).await.status(), 200);
    let target = format!("/v1/charges/{}", c["id"].as_str().expect("id"));
    assert_eq!(signed(&app, "GET", &target, "", now(), &signer).await.status(), 200);

    // Stale and future timestamps, tampered bodies, and other keys fail.
    assert_error(signed(&app, "GET", &target, "", now() - 301, &signer).await, 401, "invalid_request_error", None)
        .await;
    assert_error(signed(&app, "GET", &target, "", now() + 301, &signer).await, 401, "invalid_request_error", None)
        .await;
    let ts = now();
    let sig = signer.sign_sha256_b64(format!("{body}/v1/charges{ts}").as_bytes());
    let tampered = body.replace("\"amount\": 100", "\"amount\": 1");
    let r = app
        .http
        .post(app.url("/v1/charges"))
        .bearer_auth(&app.tenant.test_key)
        .header("content-type", "application/json")
        .header("Pingplusplus-Request-Timestamp", ts.to_string())
        .header("Pingplusplus-Signature", sig)
        .body(tampered)
        .send()
        .await
        .expect("send");
    assert_error(r, 401, "invalid_request_error", None).await;
    let stranger = RsaSigner::parse(&unicharge_crypto::generate_rsa_2048_pkcs8_pem().expect("gen")).expect("key");
    assert_error(signed(&app, "GET", &target, "", now(), &stranger).await, 401, "invalid_request_error", None).await;

    // Only that app's requests are affected.
    let other = app.new_tenant("Unsigned").await;
    let mut b = charge_body(&other.app);
    b["app"] = json!({"id": other.app});
    assert_eq!(app.post_json("/v1/charges", &other.test_key, &b).await.status(), 200);
}
