//! The Apple sandbox over real loopback HTTP: bearer tokens checked as the
//! App Store Server API checks them, the transaction lookup, verifyReceipt's
//! production 21007 and sandbox answers, and signed notifications delivered.

mod common;

use common::{serve, Receiver};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use unicharge_crypto::{CompactJws, Es256Signer};
use unicharge_sandboxes::apple::{configure, AppleSandbox, InMemoryApiKeys, SandboxApiKey};

const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";
const KID: &str = "2X9R4HXF34";
const BUNDLE: &str = "com.example.app";

struct Fixture {
    base: String,
    http: reqwest::Client,
    key: Es256Signer,
}

async fn start() -> Fixture {
    let keys = Arc::new(InMemoryApiKeys::default());
    let (key, _) = Es256Signer::generate().unwrap();
    keys.register(KID, SandboxApiKey { issuer_id: ISSUER.into(), public_key_pem: key.public_key_pem() });
    let sb = actix_web::web::Data::new(AppleSandbox::new(keys, reqwest::Client::new()).unwrap());
    let base = serve(move |cfg: &mut actix_web::web::ServiceConfig| configure(cfg, sb.clone()));
    Fixture { base, http: reqwest::Client::new(), key }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn token(key: &Es256Signer, header: Value, claims: Value) -> String {
    key.sign_compact(&header.to_string(), &claims.to_string()).unwrap()
}

fn good_claims() -> Value {
    json!({"iss": ISSUER, "iat": now(), "exp": now() + 600, "aud": "appstoreconnect-v1", "bid": BUNDLE})
}

fn good_header() -> Value {
    json!({"alg": "ES256", "kid": KID, "typ": "JWT"})
}

impl Fixture {
    async fn purchase(&self, bundle: &str) -> Value {
        let body = json!({"bundle_id": bundle, "product_id": "coins_6", "price": 6000});
        self.http
            .post(format!("{}/sandbox/apple/control/purchase", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn lookup(&self, id: &str, bearer: Option<&str>) -> (u16, Value) {
        let mut r = self.http.get(format!("{}/sandbox/apple/inApps/v1/transactions/{id}", self.base));
        if let Some(b) = bearer {
            r = r.bearer_auth(b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn receipt(&self, path: &str, data: &str) -> Value {
        let body = json!({"receipt-data": data, "exclude-old-transactions": false});
        self.http
            .post(format!("{}/sandbox/apple{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[actix_web::test]
async fn lookup_answers_only_well_formed_bearer_tokens() {
    let f = start().await;
    let p = f.purchase(BUNDLE).await;
    let id = p["transaction_id"].as_str().unwrap();
    let (status, body) = f.lookup(id, Some(&token(&f.key, good_header(), good_claims()))).await;
    assert_eq!(status, 200, "{body}");
    let jws = CompactJws::parse(body["signedTransactionInfo"].as_str().unwrap()).unwrap();
    let payload: Value = serde_json::from_slice(&jws.payload).unwrap();
    assert_eq!((payload["transactionId"].as_str(), payload["price"].as_i64()), (Some(id), Some(6000)));
    // `iat` is optional: Apple's Python library omits it.
    let mut no_iat = good_claims();
    no_iat.as_object_mut().unwrap().remove("iat");
    assert_eq!(f.lookup(id, Some(&token(&f.key, good_header(), no_iat))).await.0, 200);

    let (other, _) = Es256Signer::generate().unwrap();
    let mut bad = vec![
        ("no token", None),
        ("another key", Some(token(&other, good_header(), good_claims()))),
        ("unknown kid", Some(token(&f.key, json!({"alg": "ES256", "kid": "NOPE", "typ": "JWT"}), good_claims()))),
        ("HS256", Some(token(&f.key, json!({"alg": "HS256", "kid": KID}), good_claims()))),
        ("garbage", Some("a.b.c".to_owned())),
    ];
    for (k, v) in
        [("exp", json!(now() - 1)), ("exp", json!(now() + 7200)), ("aud", json!("other")), ("iss", json!("x"))]
    {
        let mut c = good_claims();
        c[k] = v;
        bad.push(("bad claim", Some(token(&f.key, good_header(), c))));
    }
    for (why, t) in bad {
        assert_eq!(f.lookup(id, t.as_deref()).await.0, 401, "{why}");
    }
    // Another app's bundle, or an unknown id: not found.
    let mut other_bid = good_claims();
    other_bid["bid"] = json!("com.example.other");
    let (status, body) = f.lookup(id, Some(&token(&f.key, good_header(), other_bid))).await;
    assert_eq!((status, body["errorCode"].as_i64()), (404, Some(4040010)));
    assert_eq!(f.lookup("2000000999999999", Some(&token(&f.key, good_header(), good_claims()))).await.0, 404);
}

#[actix_web::test]
async fn verify_receipt_production_says_21007_and_sandbox_answers() {
    let f = start().await;
    let p = f.purchase(BUNDLE).await;
    let receipt = p["receipt_data"].as_str().unwrap();
    assert_eq!(f.receipt("/verifyReceipt", receipt).await["status"], 21007);
    assert_eq!(f.receipt("/verifyReceipt", "bm9wZQ==").await["status"], 21002);
    let r = f.receipt("/sandbox/verifyReceipt", receipt).await;
    assert_eq!((r["status"].as_i64(), r["environment"].as_str()), (Some(0), Some("Sandbox")), "{r}");
    assert_eq!(r["receipt"]["bundle_id"], BUNDLE);
    assert_eq!(r["receipt"]["in_app"][0]["transaction_id"], p["transaction_id"]);
    assert_eq!(f.receipt("/sandbox/verifyReceipt", "bm9wZQ==").await["status"], 21002);
}

#[actix_web::test]
async fn refund_notification_is_signed_delivered_once_and_revokes() {
    let f = start().await;
    let p = f.purchase(BUNDLE).await;
    let id = p["transaction_id"].as_str().unwrap();
    let rx = Receiver::start(vec![(500, "no")], (200, "")).await;
    let body = json!({"transaction_id": id, "notification_type": "REFUND", "url": rx.url});
    let sent: Value = f
        .http
        .post(format!("{}/sandbox/apple/control/notify", f.base))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sent["status"], 500);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = rx.received();
    assert_eq!(got.len(), 1, "the sandbox environment sends once, no retries");
    let signed: Value = serde_json::from_str(&got[0].body).unwrap();
    let n = CompactJws::parse(signed["signedPayload"].as_str().unwrap()).unwrap();
    let payload: Value = serde_json::from_slice(&n.payload).unwrap();
    assert_eq!(
        (payload["notificationType"].as_str(), payload["data"]["bundleId"].as_str()),
        (Some("REFUND"), Some(BUNDLE))
    );
    let tx = CompactJws::parse(payload["data"]["signedTransactionInfo"].as_str().unwrap()).unwrap();
    let tx: Value = serde_json::from_slice(&tx.payload).unwrap();
    assert!(tx["revocationDate"].is_i64(), "{tx}");
    // The lookup now shows the revocation too.
    let (_, body) = f.lookup(id, Some(&token(&f.key, good_header(), good_claims()))).await;
    let jws = CompactJws::parse(body["signedTransactionInfo"].as_str().unwrap()).unwrap();
    assert!(serde_json::from_slice::<Value>(&jws.payload).unwrap()["revocationDate"].is_i64());
}
