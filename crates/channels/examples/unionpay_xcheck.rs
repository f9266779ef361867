//! The UnionPay adapter, driven from `tests/channels/unionpay/xcheck.py`:
//!
//!   unionpay_xcheck sign PFX PASSWORD < fields.json   → {"certId","content","signature"}
//!   unionpay_xcheck notify < form-body                → the parse_notify outcome, or "error: …"
//!
//! `sign` signs with the adapter's own request signing (gateway::sign);
//! `notify` runs `parse_notify` in test mode for merId 777290058110048
//! against the sandbox's test CA, at the current time.

use base64::Engine;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use unicharge_channels::unionpay::{gateway, UnionpayProducts};
use unicharge_channels::{Channel, ChannelConfig, ChannelContext, RawNotify};
use unicharge_domain::Mode;

fn ctx(pfx: &[u8], password: &str) -> ChannelContext {
    let mut params = serde_json::Map::new();
    params.insert("mer_id".into(), "777290058110048".into());
    let secrets = [
        ("sign_cert_pfx".to_owned(), SecretString::from(base64::engine::general_purpose::STANDARD.encode(pfx))),
        ("sign_cert_password".to_owned(), SecretString::from(password.to_owned())),
    ]
    .into_iter()
    .collect();
    ChannelContext {
        app_id: "app_xcheck".into(),
        mode: Mode::Test,
        config: Arc::new(ChannelConfig { params, secrets }),
        notify_url: "http://127.0.0.1:1/notify".into(),
        sandbox_base: "http://127.0.0.1:1/sandbox".into(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("stdin");
    match args.get(1).map(String::as_str) {
        Some("sign") => {
            let pfx = std::fs::read(&args[2]).expect("pfx");
            let c = ctx(&pfx, &args[3]);
            let cfg = unicharge_channels::unionpay::config::UnionpayConfig::load(
                &c,
                &unicharge_channels::unionpay::config::KeyCache::default(),
            )
            .expect("config");
            let mut fields: BTreeMap<String, String> = serde_json::from_str(&input).expect("fields json");
            gateway::sign(&cfg, &mut fields);
            let content =
                unicharge_crypto::unionpay_request_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let out =
                serde_json::json!({"certId": fields["certId"], "content": content, "signature": fields["signature"]});
            println!("{out}");
        }
        Some("notify") => {
            let pfx =
                std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../sandboxes/fixtures/unionpay/merchant.pfx"))
                    .expect("merchant.pfx");
            let c = ctx(&pfx, "000000");
            let products = UnionpayProducts::new(reqwest::Client::new());
            let raw = RawNotify {
                content_type: "application/x-www-form-urlencoded".into(),
                headers: vec![],
                body: input.trim_end().as_bytes().to_vec(),
            };
            match products.pc.parse_notify(&c, &raw) {
                Ok(o) => println!("{o:?}"),
                Err(e) => println!("error: {e}"),
            }
        }
        _ => {
            eprintln!("usage: unionpay_xcheck sign PFX PASSWORD | notify");
            std::process::exit(2);
        }
    }
}
