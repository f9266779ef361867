//! Test support: a sandbox on a loopback port, a merchant client that signs
//! like Alipay's SDKs, and a notify_url receiver answering as scripted.
//!
//! The client's sign-content builder and response-slice extraction are
//! written here independently of the sandbox's code, so a shared mistake
//! cannot hide.

#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;

use actix_web::web;
use secrecy::SecretString;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use unicharge_crypto::{generate_rsa_2048_pkcs8_pem, RsaPublicKey, RsaSigner};
use unicharge_sandboxes::alipay::{self, AlipaySandbox, InMemoryApps};

pub struct Sandbox {
    pub base: String,
    pub gateway: String,
    pub alipay_public: RsaPublicKey,
    pub apps: Arc<InMemoryApps>,
    pub http: reqwest::Client,
}

/// Scale that turns Alipay's 4m…15h schedule into milliseconds.
pub const FAST: u32 = 240_000;

pub async fn spawn_sandbox(time_scale: u32) -> Sandbox {
    let key = SecretString::from(generate_rsa_2048_pkcs8_pem().expect("key"));
    let apps = Arc::new(InMemoryApps::default());
    let sb = AlipaySandbox::new(&key, apps.clone(), reqwest::Client::new(), time_scale).expect("sandbox");
    let alipay_public = RsaPublicKey::parse(sb.alipay_public_key_pem()).expect("public key");
    let data = web::Data::new(sb);
    let base = common::serve(move |cfg: &mut web::ServiceConfig| alipay::configure(cfg, data.clone()));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    Sandbox { gateway: format!("{base}/sandbox/alipay/gateway.do"), base, alipay_public, apps, http }
}

pub struct Merchant {
    pub app_id: String,
    pub seller_id: String,
    pub key: RsaSigner,
    pub notify_url: Option<String>,
}

impl Sandbox {
    /// A registered app with a fresh key pair.
    pub fn merchant(&self) -> Merchant {
        let key = RsaSigner::parse(&generate_rsa_2048_pkcs8_pem().expect("key")).expect("signer");
        let app_id = alipay::new_app_id();
        let seller_id = alipay::new_user_id();
        self.apps.register(&app_id, &key.public_key_pem().expect("pem"), &seller_id);
        Merchant { app_id, seller_id, key, notify_url: None }
    }
}

/// Sorted `k=v&…` without `sign` and empty values.
pub fn sign_content(p: &BTreeMap<String, String>, exclude: &[&str]) -> String {
    p.iter()
        .filter(|(k, v)| !v.is_empty() && !exclude.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

impl Merchant {
    /// Common parameters plus biz_content, signed.
    pub fn signed(&self, method: &str, biz: &Value) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        for (k, v) in [
            ("app_id", self.app_id.as_str()),
            ("method", method),
            ("format", "JSON"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("version", "1.0"),
        ] {
            p.insert(k.to_owned(), v.to_owned());
        }
        p.insert("timestamp".into(), alipay::format_gmt8(now()));
        p.insert("biz_content".into(), biz.to_string());
        if let Some(u) = &self.notify_url {
            p.insert("notify_url".into(), u.clone());
        }
        self.resign(&mut p);
        p
    }

    pub fn resign(&self, p: &mut BTreeMap<String, String>) {
        p.remove("sign");
        let s = self.key.sign_sha256_b64(sign_content(p, &["sign"]).as_bytes());
        p.insert("sign".into(), s);
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

/// The raw text of the `"<key>":{…}` object, found with a string-aware
/// brace matcher.
pub fn raw_object<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let at = body.find(&format!("\"{key}\""))? + key.len() + 2;
    let start = at + body[at..].find('{')?;
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for (i, c) in body[start..].char_indices() {
        match (in_str, esc, c) {
            (true, true, _) => esc = false,
            (true, false, '\\') => esc = true,
            (true, false, '"') => in_str = false,
            (true, false, _) => {}
            (false, _, '"') => in_str = true,
            (false, _, '{') => depth += 1,
            (false, _, '}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(&body[start..start + i + 1]);
                }
            }
            (false, _, _) => {}
        }
    }
    None
}

pub struct Answer {
    pub raw: String,
    pub inner: Value,
    pub signed: bool,
}

impl Answer {
    pub fn get(&self, k: &str) -> &str {
        self.inner.get(k).and_then(Value::as_str).unwrap_or("")
    }
}

impl Sandbox {
    /// POSTs like the official SDKs (common parameters in the query,
    /// biz_content in the form body) and checks the answer's signature,
    /// when there is one, over the raw response slice.
    pub async fn call(&self, m: &Merchant, method: &str, biz: Value) -> Answer {
        self.send(m, method, m.signed(method, &biz)).await
    }

    pub async fn send(&self, _m: &Merchant, method: &str, mut p: BTreeMap<String, String>) -> Answer {
        let biz = p.remove("biz_content");
        let query = serde_urlencoded::to_string(&p).expect("query");
        let form: Vec<(&str, String)> = biz.into_iter().map(|b| ("biz_content", b)).collect();
        let res = self.http.post(format!("{}?{query}", self.gateway)).form(&form).send().await.expect("send");
        assert_eq!(res.status(), 200);
        let raw = res.text().await.expect("body");
        self.check(&raw, method)
    }

    pub fn check(&self, raw: &str, method: &str) -> Answer {
        let key = format!("{}_response", method.replace('.', "_"));
        let key = if raw.contains(&format!("\"{key}\"")) { key } else { "error_response".to_owned() };
        let slice = raw_object(raw, &key).unwrap_or_else(|| panic!("no {key} in {raw}"));
        let doc: Value = serde_json::from_str(raw).expect("JSON");
        let signed = match doc.get("sign").and_then(Value::as_str) {
            Some(sig) => {
                assert!(self.alipay_public.verify_sha256_b64(slice.as_bytes(), sig), "bad response signature: {raw}");
                true
            }
            None => false,
        };
        Answer { raw: raw.to_owned(), inner: serde_json::from_str(slice).expect("inner"), signed }
    }

    /// Buyer side: scan a QR code URL, returning the cashier's JSON view.
    pub async fn scan(&self, qr_code: &str) -> Value {
        let res = self.http.get(qr_code).header("accept", "application/json").send().await.expect("scan");
        assert_eq!(res.status(), 200);
        res.json().await.expect("json")
    }

    /// Buyer side: press Pay (or Cancel) at the cashier.
    pub async fn cashier(&self, trade_no: &str, action: &str) -> (u16, Value) {
        let url = format!("{}/sandbox/alipay/cashier/{trade_no}/{action}", self.base);
        let res = self.http.post(url).header("accept", "application/json").send().await.expect("cashier");
        (res.status().as_u16(), res.json().await.expect("json"))
    }
}

/// A notify_url that records each POSTed form and answers the scripted
/// bodies in turn (then `success`).
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: common::Receiver,
}

fn form(g: &common::Got) -> BTreeMap<String, String> {
    serde_urlencoded::from_str(&g.body).expect("form")
}

impl Receiver {
    pub async fn start(script: Vec<&'static str>) -> Receiver {
        let script = script.into_iter().map(|body| (200, body)).collect();
        let inner = common::Receiver::start(script, (200, "success")).await;
        Receiver { url: inner.url.clone(), inner }
    }

    pub fn received(&self) -> Vec<BTreeMap<String, String>> {
        self.inner.received().iter().map(form).collect()
    }

    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<BTreeMap<String, String>> {
        self.inner.wait_for(n, within).await.iter().map(form).collect()
    }
}

/// Checks a notification as a merchant must: signature over every field
/// but `sign` and `sign_type`, with the Alipay public key.
pub fn verify_notification(sb: &Sandbox, f: &BTreeMap<String, String>) -> bool {
    let content = f
        .iter()
        .filter(|(k, _)| k.as_str() != "sign" && k.as_str() != "sign_type")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    f.get("sign").is_some_and(|s| sb.alipay_public.verify_sha256_b64(content.as_bytes(), s))
}
