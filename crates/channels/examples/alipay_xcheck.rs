//! Prints what the Alipay adapter produces and accepts, for the cross-check
//! against Alipay's own SDKs (tests/channels/alipay/run.sh). Reads one JSON
//! request on stdin, writes one JSON answer on stdout.
//!
//! ```text
//! alipay_xcheck sign      {"private_key_file", "params": {k: v}}
//! alipay_xcheck app-pay   {"private_key_file", "app_id", "notify_url", "timestamp",
//!                          "charge": {"order_no", "amount", "subject", "body", "time_expire"}}
//! alipay_xcheck notify    {"alipay_public_key_file", "app_id", "body"}        (form body)
//! alipay_xcheck response  {"alipay_public_key_file", "method", "raw"}
//! ```
//! Exit status: 0 when the input was accepted, 1 when it was rejected,
//! 2 on bad usage.

use serde_json::{json, Map, Value};
use std::io::Read;
use std::sync::Arc;
use unicharge_channels::alipay::{self, check_answer, sign, AlipayConfig, AlipayProducts, KeyCache};
use unicharge_channels::{Channel, ChannelConfig, ChannelContext, ChargeRef, RawNotify};
use unicharge_crypto::{RsaSigner, SecretString};
use unicharge_domain::{ChannelCode, Currency, Mode};

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    v[name].as_str().ok_or_else(|| format!("{name} is required"))
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

/// A context in public-key mode. The app key is only needed to sign; for
/// verification-only commands any valid key does.
fn context(app_id: &str, private_key: &str, alipay_public_key: &str, notify_url: &str) -> ChannelContext {
    let mut params = Map::new();
    params.insert("app_id".into(), json!(app_id));
    params.insert("alipay_public_key".into(), json!(alipay_public_key));
    let mut secrets = std::collections::BTreeMap::new();
    secrets.insert("app_private_key".to_owned(), SecretString::from(private_key.to_owned()));
    ChannelContext {
        app_id: "app_xcheck".into(),
        mode: Mode::Live,
        config: Arc::new(ChannelConfig { params, secrets }),
        notify_url: notify_url.into(),
        sandbox_base: "http://127.0.0.1:1/sandbox".into(),
    }
}

fn run(cmd: &str, req: &Value) -> Result<(Value, bool), String> {
    match cmd {
        "sign" => {
            let signer = RsaSigner::parse(&read(field(req, "private_key_file")?)?).map_err(|e| e.to_string())?;
            let mut params = sign::Params::new();
            for (k, v) in req["params"].as_object().ok_or("params must be an object")? {
                params.insert(k.clone(), v.as_str().ok_or("param values must be strings")?.to_owned());
            }
            let content = sign::sign_content(&params);
            sign::sign(&mut params, &signer);
            Ok((
                json!({"sign_content": content, "sign": params["sign"], "order_info": sign::query_string(&params)}),
                true,
            ))
        }
        "app-pay" => {
            let key = read(field(req, "private_key_file")?)?;
            let public = RsaSigner::parse(&key).and_then(|s| s.public_key_pem()).map_err(|e| e.to_string())?;
            let ctx = context(field(req, "app_id")?, &key, &public, field(req, "notify_url")?);
            let cfg = AlipayConfig::load(&ctx, &KeyCache::default()).map_err(|e| e.to_string())?;
            let c = &req["charge"];
            let ts = req["timestamp"].as_i64().ok_or("timestamp is required")?;
            let charge = ChargeRef {
                charge_id: "ch_xcheck".into(),
                order_no: field(c, "order_no")?.into(),
                amount: c["amount"].as_i64().ok_or("charge.amount is required")?,
                currency: Currency::Cny,
                subject: field(c, "subject")?.into(),
                body: field(c, "body")?.into(),
                client_ip: "127.0.0.1".into(),
                time_expire: c["time_expire"].as_i64().ok_or("charge.time_expire is required")?,
                created: ts,
                extra: Map::new(),
            };
            let mut params = alipay::create::client_params(ChannelCode::Alipay, &cfg, &ctx, &charge, ts)
                .map_err(|e| e.to_string())?;
            let order_info = sign::query_string(&params);
            let sig = params.remove("sign").unwrap_or_default();
            Ok((
                json!({"params": params, "sign_content": sign::sign_content(&params), "sign": sig, "order_info": order_info}),
                true,
            ))
        }
        "notify" => {
            let public = read(field(req, "alipay_public_key_file")?)?;
            let ctx = context(field(req, "app_id")?, &throwaway_key()?, &public, "");
            let raw = RawNotify {
                content_type: "application/x-www-form-urlencoded; charset=utf-8".into(),
                headers: vec![],
                body: field(req, "body")?.as_bytes().to_vec(),
            };
            let products = AlipayProducts::new(reqwest::Client::new());
            Ok(match products.app.parse_notify(&ctx, &raw) {
                Ok(outcome) => (json!({"accepted": true, "outcome": format!("{outcome:?}")}), true),
                Err(e) => (json!({"accepted": false, "error": e.to_string()}), false),
            })
        }
        "response" => {
            let public = read(field(req, "alipay_public_key_file")?)?;
            let ctx = context("0", &throwaway_key()?, &public, "");
            let cfg = AlipayConfig::load(&ctx, &KeyCache::default()).map_err(|e| e.to_string())?;
            let method = field(req, "method")?;
            let raw = field(req, "raw")?;
            let content = sign::split_response(raw, method).map(|r| r.content.to_owned()).ok();
            Ok(match check_answer(&cfg, method, raw) {
                Ok(a) => (json!({"accepted": a.signed, "signed_content": content, "code": a.header.code}), a.signed),
                Err(e) => (json!({"accepted": false, "signed_content": content, "error": e.to_string()}), false),
            })
        }
        other => Err(format!("unknown command {other}")),
    }
}

fn throwaway_key() -> Result<String, String> {
    unicharge_crypto::generate_rsa_2048_pkcs8_pem().map_err(|e| e.to_string())
}

fn main() {
    let cmd = std::env::args().nth(1).unwrap_or_default();
    let mut input = String::new();
    let parsed = std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| e.to_string())
        .and_then(|_| serde_json::from_str::<Value>(&input).map_err(|e| e.to_string()));
    let code = match parsed.and_then(|req| run(&cmd, &req)) {
        Ok((out, accepted)) => {
            println!("{out}");
            if accepted {
                0
            } else {
                1
            }
        }
        Err(e) => {
            eprintln!("alipay_xcheck: {e}");
            2
        }
    };
    std::process::exit(code);
}
