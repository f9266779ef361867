//! Drives the Apple adapter's verifier, the sandbox's signer and the bearer
//! token for `tests/channels/apple/xcheck.py`, which compares them with
//! Apple's app-store-server-library. One JSON request per line on stdin,
//! one JSON answer per line on stdout:
//!
//! - `{"op": "sign", "kind": "transaction"|"notification", "payload": {…}, "signing": "valid"|"untrusted_ca"|"expired"}`
//! - `{"op": "verify", "kind": …, "jws": …, "roots_b64": [DER…], "bundle_id": …, "environment": …, "app_apple_id": n, "now": secs}`
//! - `{"op": "bearer", "private_key": PEM, "key_id": …, "issuer_id": …, "bundle_id": …, "now": secs}`

use serde_json::{json, Value};
use std::io::BufRead;
use unicharge_channels::apple::config::AppleConfig;
use unicharge_channels::apple::verify::{verify_notification, verify_transaction, Expect};
use unicharge_sandboxes::apple::{Chain, ChainKind};

fn kind(v: &Value) -> ChainKind {
    match v["signing"].as_str() {
        Some("untrusted_ca") => ChainKind::UntrustedCa,
        Some("expired") => ChainKind::Expired,
        _ => ChainKind::Valid,
    }
}

fn run(req: &Value) -> Result<Value, String> {
    match req["op"].as_str() {
        Some("sign") => {
            let chain = Chain::load(kind(req)).map_err(|e| e.to_string())?;
            Ok(json!({ "jws": chain.sign(&req["payload"]).map_err(|e| e.to_string())? }))
        }
        Some("verify") => {
            use base64::Engine;
            let roots: Vec<Vec<u8>> = req["roots_b64"]
                .as_array()
                .ok_or("roots_b64")?
                .iter()
                .filter_map(|r| r.as_str())
                .map(|r| base64::engine::general_purpose::STANDARD.decode(r).map_err(|e| e.to_string()))
                .collect::<Result<_, _>>()?;
            let expect = Expect {
                roots: &roots,
                bundle_id: req["bundle_id"].as_str().ok_or("bundle_id")?,
                app_apple_id: req["app_apple_id"].as_i64(),
                environment: req["environment"].as_str().ok_or("environment")?,
            };
            let jws = req["jws"].as_str().ok_or("jws")?;
            let now = req["now"].as_i64().unwrap_or(0);
            let result = match req["kind"].as_str() {
                Some("notification") => verify_notification(jws, expect, now).map(|n| json!(n.notification_type)),
                _ => verify_transaction(jws, expect, now).map(|t| json!(t.transaction_id)),
            };
            Ok(match result {
                Ok(v) => json!({"ok": true, "value": v}),
                Err(e) => json!({"ok": false, "error": e.code(), "reason": e.to_string()}),
            })
        }
        Some("bearer") => {
            let cfg = AppleConfig {
                bundle_id: req["bundle_id"].as_str().ok_or("bundle_id")?.to_owned(),
                app_apple_id: None,
                issuer_id: req["issuer_id"].as_str().ok_or("issuer_id")?.to_owned(),
                key_id: req["key_id"].as_str().ok_or("key_id")?.to_owned(),
                private_key: secrecy::SecretString::from(req["private_key"].as_str().ok_or("private_key")?.to_owned()),
                products: Default::default(),
                shared_secret: None,
                roots: vec![],
                api_url: String::new(),
                verify_receipt_url: String::new(),
                verify_receipt_sandbox_url: String::new(),
                environment: "Sandbox",
                mode: unicharge_domain::Mode::Test,
            };
            let token = unicharge_channels::apple::api::bearer_token(&cfg, req["now"].as_i64().unwrap_or(0))
                .map_err(|e| e.to_string())?;
            Ok(json!({ "token": token }))
        }
        other => Err(format!("unknown op {other:?}")),
    }
}

fn main() {
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(req) => run(&req).unwrap_or_else(|e| json!({"error": e})),
            Err(e) => json!({"error": e.to_string()}),
        };
        println!("{answer}");
    }
}
