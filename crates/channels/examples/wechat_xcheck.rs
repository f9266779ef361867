//! Prints what the WeChat Pay adapter produces and accepts, for the
//! cross-check against WeChat Pay SDKs (tests/channels/wechat/run.sh).
//! Reads one JSON request on stdin, writes one JSON answer on stdout.
//!
//! ```text
//! wechat_xcheck v3-auth    {"private_key_file", "mchid", "serial", "method", "url", "body", "timestamp", "nonce"}
//! wechat_xcheck v3-client  {"private_key_file", "mchid", "appid", "prepay_id", "timestamp", "nonce"}
//! wechat_xcheck v2-sign    {"api_key", "sign_type", "params": {k: v}}
//! wechat_xcheck v2-client  {"api_key", "sign_type", "mch_id", "appid", "prepay_id", "timestamp", "nonce"}
//! wechat_xcheck notify     {"params": {...}, "secrets": {...}, "headers": {k: v}, "body"}
//! wechat_xcheck req-info   {"api_key", "req_info"}
//! ```
//! Exit status: 0 when the input was accepted, 1 when it was rejected,
//! 2 on bad usage.

use serde_json::{json, Map, Value};
use std::io::Read;
use std::sync::Arc;
use unicharge_channels::wechat::v3::sign::{authorization, RequestLine};
use unicharge_channels::wechat::{v2, v3, xml, ConfigCache, WechatConfig, WechatProducts};
use unicharge_channels::{Channel, ChannelConfig, ChannelContext, NotifyOutcome, PaymentStatus, RawNotify};
use unicharge_crypto::{RsaSigner, SecretString};
use unicharge_domain::Mode;

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    v[name].as_str().ok_or_else(|| format!("{name} is required"))
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

fn int(v: &Value, name: &str) -> Result<i64, String> {
    field(v, name)?.parse().map_err(|_| format!("{name} must be an integer string"))
}

fn context(params: Map<String, Value>, secrets: &Map<String, Value>) -> ChannelContext {
    let secrets = secrets
        .iter()
        .map(|(k, v)| (k.clone(), SecretString::from(v.as_str().unwrap_or_default().to_owned())))
        .collect();
    ChannelContext {
        app_id: "app_xcheck".into(),
        mode: Mode::Test,
        config: Arc::new(ChannelConfig { params, secrets }),
        notify_url: "https://pay.example.com/notify/wx_pub_qr/app_xcheck/test".into(),
        sandbox_base: "http://127.0.0.1:1/sandbox".into(),
    }
}

fn load(params: Value, secrets: Value) -> Result<WechatConfig, String> {
    let (Value::Object(p), Value::Object(s)) = (params, secrets) else { return Err("objects expected".into()) };
    WechatConfig::load(&context(p, &s), &ConfigCache::default()).map_err(|e| e.to_string())
}

fn outcome(o: &NotifyOutcome) -> Value {
    match o {
        NotifyOutcome::Charge { order_no, status, amount } => {
            let paid = match status {
                PaymentStatus::Paid { transaction_no, time_paid, .. } => {
                    json!({"transaction_no": transaction_no, "time_paid": time_paid})
                }
                other => json!(format!("{other:?}")),
            };
            json!({"kind": "charge", "order_no": order_no, "amount": amount, "status": paid})
        }
        NotifyOutcome::Refund { refund_id, order_no, status, amount } => {
            json!({"kind": "refund", "refund_id": refund_id, "order_no": order_no, "amount": amount, "status": format!("{status:?}")})
        }
        NotifyOutcome::ProviderRefund { transaction_no, .. } => {
            json!({"kind": "provider_refund", "transaction_no": transaction_no})
        }
        NotifyOutcome::Ignored => json!({"kind": "ignored"}),
    }
}

fn run(cmd: &str, req: &Value) -> Result<(Value, bool), String> {
    match cmd {
        "v3-auth" => {
            let signer = RsaSigner::parse(&read(field(req, "private_key_file")?)?).map_err(|e| e.to_string())?;
            let line = RequestLine {
                method: field(req, "method")?,
                path_and_query: field(req, "url")?,
                body: req["body"].as_str().unwrap_or(""),
                timestamp: int(req, "timestamp")?,
                nonce: field(req, "nonce")?,
            };
            let auth = authorization(&signer, field(req, "mchid")?, field(req, "serial")?, &line);
            Ok((json!({"message": line.message(), "authorization": auth}), true))
        }
        "v3-client" => {
            let params = json!({"api_version": "v3", "mchid": req["mchid"], "appid": req["appid"],
                                "merchant_serial_no": "1", "platform_public_key_id": "PUB_KEY_ID_X",
                                "platform_public_key": RsaSigner::parse(&read(field(req, "private_key_file")?)?)
                                    .and_then(|s| s.public_key_pem()).map_err(|e| e.to_string())?});
            let secrets = json!({"merchant_private_key": read(field(req, "private_key_file")?)?,
                                 "apiv3_key": "00000000000000000000000000000000"});
            let WechatConfig::V3(cfg) = load(params, secrets)? else { return Err("v3 expected".into()) };
            let (id, ts, nonce) = (field(req, "prepay_id")?, int(req, "timestamp")?, field(req, "nonce")?);
            let app = v3::ops::app_credential(&cfg, id, ts, nonce);
            let jsapi = v3::ops::jsapi_credential(&cfg, id, ts, nonce);
            Ok((json!({"wx": app, "wx_pub": jsapi}), true))
        }
        "v2-sign" => {
            let t = if field(req, "sign_type")? == "HMAC-SHA256" {
                v2::sign::SignType::HmacSha256
            } else {
                v2::sign::SignType::Md5
            };
            let fields: xml::Fields = req["params"]
                .as_object()
                .ok_or("params must be an object")?
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            Ok((json!({"sign": v2::sign::sign(&fields, field(req, "api_key")?, t)}), true))
        }
        "v2-client" => {
            let params = json!({"api_version": "v2", "mch_id": req["mch_id"], "appid": req["appid"], "sign_type": req["sign_type"]});
            let WechatConfig::V2(cfg) = load(params, json!({"api_key": req["api_key"]}))? else {
                return Err("v2 expected".into());
            };
            let (id, ts, nonce) = (field(req, "prepay_id")?, int(req, "timestamp")?, field(req, "nonce")?);
            Ok((
                json!({"wx": v2::ops::app_credential(&cfg, id, ts, nonce), "wx_pub": v2::ops::jsapi_credential(&cfg, id, ts, nonce)}),
                true,
            ))
        }
        "notify" => {
            let (Value::Object(p), Value::Object(s)) = (req["params"].clone(), req["secrets"].clone()) else {
                return Err("params and secrets are required".into());
            };
            let ctx = context(p, &s);
            let headers = req["headers"]
                .as_object()
                .map(|h| h.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
                .unwrap_or_default();
            let body = field(req, "body")?.as_bytes().to_vec();
            let raw = RawNotify { content_type: "application/json".into(), headers, body };
            let ch = WechatProducts::new(reqwest::Client::new());
            let ack = ch.pub_qr.ack(&raw, true).body;
            match ch.pub_qr.parse_notify(&ctx, &raw) {
                Ok(o) => Ok((json!({"outcome": outcome(&o), "ack": ack}), true)),
                Err(e) => Ok((json!({"error": e.to_string()}), false)),
            }
        }
        "req-info" => match v2::notify::decrypt_req_info(field(req, "api_key")?, field(req, "req_info")?) {
            Ok(f) => Ok((json!({"fields": f}), true)),
            Err(e) => Ok((json!({"error": e.to_string()}), false)),
        },
        other => Err(format!("unknown command {other}")),
    }
}

fn main() {
    let cmd = std::env::args().nth(1).unwrap_or_default();
    let mut input = String::new();
    let parsed = std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| e.to_string())
        .and_then(|_| serde_json::from_str::<Value>(&input).map_err(|e| e.to_string()));
    let result = parsed.and_then(|req| {
        // Notifications are verified on a runtime, as in the server.
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        rt.block_on(async { run(&cmd, &req) })
    });
    match result {
        Ok((out, accepted)) => {
            println!("{out}");
            std::process::exit(if accepted { 0 } else { 1 });
        }
        Err(e) => {
            eprintln!("wechat_xcheck {cmd}: {e}");
            std::process::exit(2);
        }
    }
}
