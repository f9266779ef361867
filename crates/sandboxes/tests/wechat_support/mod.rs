//! Test support: a WeChat Pay sandbox on a loopback port, a merchant that
//! signs v3 and v2 requests like WeChat's SDKs, and a notify_url receiver
//! answering as scripted.
//!
//! Request signing, response verification and the decryption of resources
//! are written here independently of the sandbox's code (aws-lc-rs and md-5
//! directly), so a shared mistake cannot hide.

#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;
pub use common::{Got, Receiver};

use actix_web::web;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use md5::{Digest, Md5};
use secrecy::SecretString;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use unicharge_crypto::{generate_rsa_2048_pkcs8_pem, hmac_sha256_hex, RsaPublicKey, RsaSigner};
use unicharge_sandboxes::wechat::{self, InMemoryMerchants, PlatformKeyMode, SandboxMerchant, WechatSandbox};

pub struct Sandbox {
    pub base: String,
    pub platform_key: RsaPublicKey,
    pub platform_cert_pem: String,
    pub serial: String,
    pub public_key_id: String,
    pub merchants: Arc<InMemoryMerchants>,
    pub http: reqwest::Client,
}

/// Scale that turns WeChat's 15s…6h schedule into milliseconds.
pub const FAST: u32 = 15_000;

pub async fn spawn_sandbox(time_scale: u32) -> Sandbox {
    let key = SecretString::from(generate_rsa_2048_pkcs8_pem().expect("key"));
    let merchants = Arc::new(InMemoryMerchants::default());
    let sb = WechatSandbox::new(&key, None, merchants.clone(), reqwest::Client::new(), time_scale).expect("sandbox");
    let platform_cert_pem = sb.platform_certificate_pem().to_owned();
    let platform_key = RsaPublicKey::from_certificate_pem(&platform_cert_pem).expect("certificate key");
    let (serial, public_key_id) = (sb.platform_serial().to_owned(), sb.public_key_id().to_owned());
    let data = web::Data::new(sb);
    let base = common::serve(move |cfg: &mut web::ServiceConfig| wechat::configure(cfg, data.clone()));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    Sandbox { base, platform_key, platform_cert_pem, serial, public_key_id, merchants, http }
}

pub struct Merchant {
    pub mchid: String,
    pub appid: String,
    pub key: RsaSigner,
    pub serial: String,
    pub apiv3_key: String,
    pub api_key: String,
}

fn alnum(n: usize) -> String {
    use rand::Rng;
    const C: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n).map(|_| char::from(C[rng.random_range(0..C.len())])).collect()
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

pub fn order_no() -> String {
    format!("T{}{}", now(), rand::random::<u32>())
}

impl Sandbox {
    pub fn merchant_with(&self, mode: PlatformKeyMode) -> Merchant {
        let key = RsaSigner::parse(&generate_rsa_2048_pkcs8_pem().expect("key")).expect("signer");
        let m = Merchant {
            mchid: wechat::new_mchid(),
            appid: wechat::new_appid(),
            serial: hex::encode_upper(rand::random::<[u8; 20]>()),
            apiv3_key: alnum(32),
            api_key: alnum(32),
            key,
        };
        self.merchants.register(
            &m.mchid,
            SandboxMerchant {
                merchant_public_key_pem: m.key.public_key_pem().expect("pem"),
                merchant_serial_no: m.serial.clone(),
                apiv3_key: SecretString::from(m.apiv3_key.clone()),
                api_key: SecretString::from(m.api_key.clone()),
                appids: vec![m.appid.clone()],
                platform_key_mode: mode,
            },
        );
        m
    }

    pub fn merchant(&self) -> Merchant {
        self.merchant_with(PlatformKeyMode::Certificate)
    }
}

/// A v3 answer whose signature headers were checked with the platform key.
pub struct Answer {
    pub status: u16,
    pub serial: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or("").to_owned()
    }
}

/// How to sign a v3 request; the defaults are correct, tests spoil one.
#[derive(Default)]
pub struct Spoil {
    pub serial: Option<String>,
    pub timestamp: Option<i64>,
    pub signer: Option<RsaSigner>,
    pub tamper_body: bool,
    /// Sign the mounted URL (`/sandbox/wechat/v3/…`) as an adapter given a
    /// base URL with a path would.
    pub full_path: bool,
}

pub fn authorization(m: &Merchant, method: &str, url: &str, body: &str, spoil: &Spoil) -> String {
    let ts = spoil.timestamp.unwrap_or_else(now).to_string();
    let nonce = alnum(32);
    let message = format!("{method}\n{url}\n{ts}\n{nonce}\n{body}\n");
    let sig = spoil.signer.as_ref().unwrap_or(&m.key).sign_sha256_b64(message.as_bytes());
    let serial = spoil.serial.clone().unwrap_or_else(|| m.serial.clone());
    // wechatpay-go's order, to show the sandbox parses in any order.
    format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",timestamp=\"{ts}\",serial_no=\"{serial}\",signature=\"{sig}\"",
        m.mchid
    )
}

impl Sandbox {
    pub async fn v3(&self, m: &Merchant, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.v3_spoiled(m, method, path, body, &Spoil::default()).await
    }

    /// Sends a request signed over the API path (as SDKs pointed at a base
    /// URL do) and verifies the answer's signature.
    pub async fn v3_spoiled(&self, m: &Merchant, method: &str, path: &str, body: Option<Value>, s: &Spoil) -> Answer {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let signed_url = if s.full_path { format!("/sandbox/wechat{path}") } else { path.to_owned() };
        let auth = authorization(m, method, &signed_url, &body, s);
        let sent = if s.tamper_body { body.replace("\"total\":1", "\"total\":2") } else { body };
        let url = format!("{}/sandbox/wechat{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url).header("content-type", "application/json").body(sent),
        };
        let res = req.header("authorization", auth).header("accept", "application/json").send().await.expect("send");
        let status = res.status().as_u16();
        let h = |k: &str| res.headers().get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let (ts, nonce, sig, serial) =
            (h("wechatpay-timestamp"), h("wechatpay-nonce"), h("wechatpay-signature"), h("wechatpay-serial"));
        assert!(!h("request-id").is_empty(), "no Request-ID");
        // wechatpayv3 refuses answers without it.
        assert_eq!(h("wechatpay-signature-type"), "WECHATPAY2-SHA256-RSA2048");
        let body = res.text().await.expect("body");
        let msg = format!("{ts}\n{nonce}\n{body}\n");
        assert!(self.platform_key.verify_sha256_b64(msg.as_bytes(), &sig), "bad answer signature: {status} {body}");
        assert!((ts.parse::<i64>().expect("ts") - now()).abs() < 60);
        Answer { status, serial, body }
    }

    /// The buyer scans the code_url and pays at the cashier.
    pub async fn scan(&self, code_url: &str) -> Value {
        let res = self
            .http
            .get(format!("{}/sandbox/wechat/scan", self.base))
            .query(&[("code_url", code_url)])
            .header("accept", "application/json")
            .send()
            .await
            .expect("scan");
        assert_eq!(res.status(), 200);
        res.json().await.expect("json")
    }

    pub async fn cashier(&self, id: &str, action: &str) -> (u16, Value) {
        let url = format!("{}/sandbox/wechat/cashier/{id}/{action}", self.base);
        let res = self.http.post(url).header("accept", "application/json").send().await.expect("cashier");
        (res.status().as_u16(), res.json().await.expect("json"))
    }
}

/// AEAD_AES_256_GCM open of a notification or certificate resource.
pub fn decrypt(key: &str, resource: &Value) -> Option<String> {
    let s = |k: &str| resource[k].as_str().unwrap_or("").to_owned();
    let mut buf = B64.decode(s("ciphertext")).ok()?;
    let k = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.as_bytes()).ok()?);
    let nonce = Nonce::try_assume_unique_for_key(s("nonce").as_bytes()).ok()?;
    let plain = k.open_in_place(nonce, Aad::from(s("associated_data").as_bytes()), &mut buf).ok()?;
    String::from_utf8(plain.to_vec()).ok()
}

/// v2 sign: sorted non-empty `k=v&…&key=API_KEY`, MD5 or HMAC-SHA256.
pub fn v2_sign(f: &BTreeMap<String, String>, key: &str, hmac: bool) -> String {
    let s = f
        .iter()
        .filter(|(k, v)| !v.is_empty() && k.as_str() != "sign")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let temp = format!("{s}&key={key}");
    if hmac {
        hmac_sha256_hex(key.as_bytes(), temp.as_bytes()).to_uppercase()
    } else {
        hex::encode_upper(Md5::digest(temp.as_bytes()))
    }
}

pub fn to_xml(f: &BTreeMap<String, String>) -> String {
    let mut s = String::from("<xml>");
    for (k, v) in f {
        s.push_str(&format!("<{k}><![CDATA[{v}]]></{k}>"));
    }
    s + "</xml>"
}

impl Sandbox {
    /// A signed v2 call; returns the answer's fields.
    pub async fn v2(&self, m: &Merchant, path: &str, params: &[(&str, &str)], hmac: bool) -> BTreeMap<String, String> {
        let mut f: BTreeMap<String, String> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        f.insert("appid".into(), m.appid.clone());
        f.insert("mch_id".into(), m.mchid.clone());
        f.insert("nonce_str".into(), alnum(32));
        if hmac {
            f.insert("sign_type".into(), "HMAC-SHA256".into());
        }
        let sign = v2_sign(&f, &m.api_key, hmac);
        f.insert("sign".into(), sign);
        self.v2_raw(path, to_xml(&f)).await
    }

    pub async fn v2_raw(&self, path: &str, body: String) -> BTreeMap<String, String> {
        let res = self.http.post(format!("{}/sandbox/wechat{path}", self.base)).body(body).send().await.expect("send");
        assert_eq!(res.status(), 200);
        wechat::xml::parse(&res.text().await.expect("body")).expect("answer XML")
    }
}

/// Checks a v3 notification as a merchant must: signature headers with the
/// platform key, then the resource decrypted with the APIv3 key.
pub fn open_v3_notification(sb: &Sandbox, m: &Merchant, g: &Got) -> (Value, Value) {
    let h = |k: &str| g.headers.get(k).cloned().unwrap_or_default();
    assert_eq!(h("wechatpay-signature-type"), "WECHATPAY2-SHA256-RSA2048");
    let msg = format!("{}\n{}\n{}\n", h("wechatpay-timestamp"), h("wechatpay-nonce"), g.body);
    assert!(sb.platform_key.verify_sha256_b64(msg.as_bytes(), &h("wechatpay-signature")), "notification signature");
    let body: Value = serde_json::from_str(&g.body).expect("notification JSON");
    let plain = decrypt(&m.apiv3_key, &body["resource"]).expect("resource decrypts");
    (body, serde_json::from_str(&plain).expect("resource JSON"))
}
