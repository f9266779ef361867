//! The HTTP flows against a loopback stand-in for WeChat Pay that checks
//! our request signatures and signs its answers with the test platform key
//! (the real simulator lives in unicharge-sandboxes).

use super::tests::{platform, v3_ctx, vector, APIV3_KEY, APPID, MCHID, MCH_SERIAL, PLATFORM_SERIAL};
use super::tests_v2::API_KEY;
use super::v2::sign::{self, SignType};
use super::xml;
use super::*;
use crate::{ChargeRef, Credential};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Map};
use std::sync::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use unicharge_crypto::{aes_gcm_encrypt, RsaPublicKey};
use unicharge_domain::Currency;

/// (method, path and query, body) → (status, body, Wechatpay-Serial or None for unsigned).
type Handler = Box<dyn Fn(&str, &str, &str) -> (u16, String, Option<String>) + Send + Sync>;
type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

async fn read_request(sock: &mut tokio::net::TcpStream) -> (String, Vec<(String, String)>, String) {
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 8192];
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(i) = text.find("\r\n\r\n") {
            let head = &text[..i];
            let headers: Vec<(String, String)> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())))
                .collect();
            let len: usize =
                headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
            if buf.len() >= i + 4 + len || n == 0 {
                let body = String::from_utf8_lossy(&buf[i + 4..i + 4 + len]).to_string();
                return (head.lines().next().unwrap_or("").to_owned(), headers, body);
            }
        } else if n == 0 {
            return (String::new(), vec![], String::new());
        }
    }
}

pub(super) async fn gateway(handler: Handler) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/sandbox/wechat", listener.local_addr().expect("addr"));
    let seen: Seen = Arc::default();
    let mch_key = RsaPublicKey::from_certificate_pem(&vector("test-mch_cert.pem")).expect("mch cert");
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (line, headers, body) = read_request(&mut sock).await;
            let mut parts = line.split(' ');
            let method = parts.next().unwrap_or("").to_owned();
            let full = parts.next().unwrap_or("").to_owned();
            let path = full.strip_prefix("/sandbox/wechat").unwrap_or(&full).to_owned();
            if path.starts_with("/v3/") {
                let auth =
                    headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone()).unwrap_or_default();
                let get = |name: &str| {
                    auth.split(&format!("{name}=\"")).nth(1).and_then(|r| r.split('"').next()).unwrap_or("").to_owned()
                };
                assert!(auth.starts_with("WECHATPAY2-SHA256-RSA2048 "), "{auth}");
                assert_eq!(get("mchid"), MCHID);
                assert_eq!(get("serial_no"), MCH_SERIAL);
                let msg = format!("{method}\n{path}\n{}\n{}\n{body}\n", get("timestamp"), get("nonce_str"));
                assert!(mch_key.verify_sha256_b64(msg.as_bytes(), &get("signature")), "request signature");
            } else {
                let f = xml::parse(body.as_bytes(), "xml").expect("xml request");
                let t = if f.get("sign_type").map(String::as_str) == Some("HMAC-SHA256") {
                    SignType::HmacSha256
                } else {
                    SignType::Md5
                };
                assert!(sign::verify(&f, API_KEY, t).is_ok(), "v2 request sign");
            }
            log.lock().expect("log").push((method.clone(), path.clone(), body.clone()));
            let (status, out, serial) = handler(&method, &path, &body);
            let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n", out.len());
            if let Some(serial) = serial {
                let (ts, nonce) = (now(), "RESPNONCE");
                let sig = platform().sign_sha256_b64(format!("{ts}\n{nonce}\n{out}\n").as_bytes());
                head.push_str(&format!(
                    "Wechatpay-Timestamp: {ts}\r\nWechatpay-Nonce: {nonce}\r\nWechatpay-Signature: {sig}\r\nWechatpay-Serial: {serial}\r\n"
                ));
            }
            head.push_str("\r\n");
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(out.as_bytes()).await;
        }
    });
    (url, seen)
}

pub(super) fn at(mut ctx: ChannelContext, url: &str) -> ChannelContext {
    let mut params = ctx.config.params.clone();
    params.insert("gateway".into(), json!(url));
    ctx.config = Arc::new(crate::ChannelConfig { params, secrets: ctx.config.secrets.clone() });
    ctx
}

pub(super) fn charge(extra: serde_json::Value) -> ChargeRef {
    let serde_json::Value::Object(extra) = extra else { panic!("extra") };
    ChargeRef {
        charge_id: "ch_1".into(),
        order_no: "A10001".into(),
        amount: 1234,
        currency: Currency::Cny,
        subject: "测试".into(),
        body: "body".into(),
        client_ip: "127.0.0.1".into(),
        time_expire: 1_767_294_245,
        created: 1_767_207_845,
        extra,
    }
}

pub(super) fn refund_ref(id: &str) -> RefundRef {
    RefundRef {
        refund_id: id.into(),
        charge: charge(json!({})),
        transaction_no: Some("4200000001".into()),
        amount: 100,
        description: "退款".into(),
        created: 1_767_207_900,
    }
}

fn ok(body: serde_json::Value) -> (u16, String, Option<String>) {
    (200, body.to_string(), Some(PLATFORM_SERIAL.into()))
}

#[tokio::test]
async fn v3_native_flow_against_a_stand_in() {
    let (url, seen) = gateway(Box::new(|method, path, body| {
        let paid = json!({"mchid": MCHID, "appid": APPID, "out_trade_no": "A10001", "transaction_id": "4200000001",
                          "trade_state": "SUCCESS", "success_time": "2026-01-02T03:04:05+08:00", "amount": {"total": 1234}});
        match (method, path) {
            ("POST", "/v3/pay/transactions/native") => ok(json!({"code_url": "weixin://wxpay/bizpayurl?pr=abc"})),
            ("POST", "/v3/pay/transactions/jsapi" | "/v3/pay/transactions/app") => ok(json!({"prepay_id": "wx2026"})),
            ("POST", "/v3/pay/transactions/h5") => ok(json!({"h5_url": "https://wx.tenpay.com/h5?x=1"})),
            ("GET", p) if p == format!("/v3/pay/transactions/out-trade-no/A10001?mchid={MCHID}") => ok(paid),
            ("GET", p) if p.contains("GONE") => {
                (404, r#"{"code":"ORDER_NOT_EXIST","message":"订单不存在"}"#.into(), Some(PLATFORM_SERIAL.into()))
            }
            ("GET", p) if p.contains("FAKE") => (404, r#"{"code":"ORDER_NOT_EXIST","message":"x"}"#.into(), None),
            ("GET", p) if p.contains("FORGED") => (200, paid.to_string(), None),
            ("POST", p) if p.ends_with("/close") => (204, String::new(), Some(PLATFORM_SERIAL.into())),
            ("POST", "/v3/refund/domestic/refunds") => {
                let b: serde_json::Value = serde_json::from_str(body).expect("json");
                ok(json!({"refund_id": "5030000001", "out_refund_no": b["out_refund_no"], "status": "PROCESSING",
                          "amount": {"refund": b["amount"]["refund"], "total": 1234}}))
            }
            ("GET", "/v3/refund/domestic/refunds/re_1") => ok(json!({"refund_id": "5030000001", "out_refund_no": "re_1",
                "status": "SUCCESS", "success_time": "2026-01-02T03:04:05+08:00", "amount": {"refund": 100, "total": 1234}})),
            ("GET", "/v3/refund/domestic/refunds/re_wrong") => ok(json!({"out_refund_no": "re_wrong",
                "status": "SUCCESS", "amount": {"refund": 1, "total": 1234}})),
            _ => (400, r#"{"code":"PARAM_ERROR","message":"unexpected"}"#.into(), Some(PLATFORM_SERIAL.into())),
        }
    }))
    .await;
    let ch = WechatProducts::new(reqwest::Client::new());
    let ctx = at(v3_ctx(Map::new()), &url);
    let qr = ch.pub_qr.create_credential(&ctx, &charge(json!({}))).await.expect("native");
    assert_eq!(qr, Created::pending(Credential(json!("weixin://wxpay/bizpayurl?pr=abc"))));
    let pub_ = ch.pub_.create_credential(&ctx, &charge(json!({"open_id": "o1"}))).await.expect("jsapi").credential.0;
    assert_eq!(pub_["package"], "prepay_id=wx2026");
    assert_eq!(pub_["signType"], "RSA");
    let mch_key = RsaPublicKey::from_certificate_pem(&vector("test-mch_cert.pem")).expect("cert");
    let msg = format!(
        "{APPID}\n{}\n{}\nprepay_id=wx2026\n",
        pub_["timeStamp"].as_str().expect("ts"),
        pub_["nonceStr"].as_str().expect("n")
    );
    assert!(mch_key.verify_sha256_b64(msg.as_bytes(), pub_["paySign"].as_str().expect("paySign")));
    assert!(ch.lite.create_credential(&ctx, &charge(json!({}))).await.is_err(), "open_id is required");
    let app = ch.app.create_credential(&ctx, &charge(json!({}))).await.expect("app").credential.0;
    assert_eq!((app["partnerId"].as_str(), app["packageValue"].as_str()), (Some(MCHID), Some("Sign=WXPay")));
    let msg = format!(
        "{APPID}\n{}\n{}\nwx2026\n",
        app["timeStamp"].as_i64().expect("ts"),
        app["nonceStr"].as_str().expect("n")
    );
    assert!(mch_key.verify_sha256_b64(msg.as_bytes(), app["sign"].as_str().expect("sign")));
    let wap = ch.wap.create_credential(&ctx, &charge(json!({}))).await.expect("h5");
    assert_eq!(wap.credential, Credential(json!("https://wx.tenpay.com/h5?x=1")));
    assert!(matches!(
        ch.pub_scan.create_credential(&ctx, &charge(json!({"scan_code": "1"}))).await,
        Err(ChannelError::Config(_))
    ));

    let mut c = charge(json!({}));
    assert!(matches!(ch.pub_qr.query(&ctx, &c).await, Ok(PaymentStatus::Paid { amount: 1234, .. })));
    ch.pub_qr.close(&ctx, &c).await.expect("close");
    c.order_no = "GONE01".into();
    assert_eq!(ch.pub_qr.query(&ctx, &c).await.ok(), Some(PaymentStatus::Pending));
    c.order_no = "FAKE01".into();
    assert!(ch.pub_qr.query(&ctx, &c).await.is_err(), "an unsigned 'does not exist' is not a fact");
    c.order_no = "FORGED".into();
    assert!(matches!(ch.pub_qr.query(&ctx, &c).await, Err(ChannelError::BadSignature(_))));

    assert_eq!(ch.pub_qr.refund(&ctx, &refund_ref("re_1")).await.ok(), Some(RefundStatusReport::Pending));
    assert!(matches!(
        ch.pub_qr.refund_query(&ctx, &refund_ref("re_1")).await,
        Ok(RefundStatusReport::Succeeded { time_succeed: 1_767_294_245, .. })
    ));
    assert!(matches!(ch.pub_qr.refund_query(&ctx, &refund_ref("re_wrong")).await, Err(ChannelError::Mismatch(_))));

    let seen = seen.lock().expect("seen");
    // The configured certificate is used, but a download is still tried
    // first (it failed here), so a rotation is noticed.
    assert_eq!(seen[0].1, "/v3/certificates");
    let native = seen.iter().find(|s| s.1 == "/v3/pay/transactions/native").expect("native");
    let native: serde_json::Value = serde_json::from_str(&native.2).expect("json");
    assert_eq!(
        native,
        json!({"appid": APPID, "mchid": MCHID, "description": "测试", "out_trade_no": "A10001",
               "time_expire": "2026-01-02T03:04:05+08:00", "notify_url": ctx.notify_url,
               "amount": {"total": 1234, "currency": "CNY"}})
    );
    let refund = seen.iter().find(|s| s.1 == "/v3/refund/domestic/refunds").expect("refund");
    let refund: serde_json::Value = serde_json::from_str(&refund.2).expect("json");
    assert_eq!(refund["amount"], json!({"refund": 100, "total": 1234, "currency": "CNY"}));
    assert_eq!(refund["out_refund_no"], "re_1");
}

/// Certificate mode without a configured certificate: downloaded from
/// `/v3/certificates`, decrypted with the APIv3 key, then used.
#[tokio::test]
async fn v3_downloads_platform_certificates() {
    let pem = vector("test-platform_cert.pem");
    let (url, seen) = gateway(Box::new(move |_, path, _| match path {
        "/v3/certificates" => {
            let ct =
                aes_gcm_encrypt(APIV3_KEY.as_bytes(), b"certnonce123", b"certificate", pem.as_bytes()).expect("seal");
            ok(json!({"data": [{"serial_no": PLATFORM_SERIAL, "effective_time": "2026-11-22T08:11:02+08:00",
                "expire_time": "2036-11-19T08:11:02+08:00", "encrypt_certificate": {"algorithm": "AEAD_AES_256_GCM",
                "nonce": "certnonce123", "associated_data": "certificate", "ciphertext": B64.encode(ct)}}]}))
        }
        _ => ok(json!({"code_url": "weixin://wxpay/bizpayurl?pr=dl"})),
    }))
    .await;
    let ch = WechatProducts::new(reqwest::Client::new());
    let mut ctx = at(v3_ctx(Map::new()), &url);
    let mut params = ctx.config.params.clone();
    params.remove("platform_cert");
    ctx.config = Arc::new(crate::ChannelConfig { params, secrets: ctx.config.secrets.clone() });
    let qr = ch.pub_qr.create_credential(&ctx, &charge(json!({}))).await.expect("native");
    assert_eq!(qr.credential, Credential(json!("weixin://wxpay/bizpayurl?pr=dl")));
    ch.pub_qr.create_credential(&ctx, &charge(json!({}))).await.expect("again");
    let paths: Vec<String> = seen.lock().expect("seen").iter().map(|s| s.1.clone()).collect();
    assert_eq!(paths, ["/v3/certificates", "/v3/pay/transactions/native", "/v3/pay/transactions/native"], "cached");
    // Notifications now verify with the downloaded certificate.
    let n = super::tests::v3_notify(
        "TRANSACTION.SUCCESS",
        &super::tests::transaction(MCHID, APPID),
        now(),
        PLATFORM_SERIAL,
    );
    assert!(matches!(ch.pub_qr.parse_notify(&ctx, &n), Ok(NotifyOutcome::Charge { .. })));
}

/// Many calls at once before any certificate is known: one downloads them,
/// and the others wait for that download instead of failing on a serial
/// they cannot check yet (a refresh after WeChat rotates its certificate
/// must not turn a burst of payments into errors).
#[tokio::test]
async fn v3_concurrent_calls_wait_for_the_one_certificate_download() {
    let pem = vector("test-platform_cert.pem");
    let (url, seen) = gateway(Box::new(move |_, path, _| match path {
        "/v3/certificates" => {
            let ct =
                aes_gcm_encrypt(APIV3_KEY.as_bytes(), b"certnonce123", b"certificate", pem.as_bytes()).expect("seal");
            // A long list makes the download take a while, so the other
            // calls' answers arrive while it is still being installed.
            let one = json!({"serial_no": PLATFORM_SERIAL, "effective_time": "2026-11-22T08:11:02+08:00",
                "expire_time": "2036-11-19T08:11:02+08:00", "encrypt_certificate": {"algorithm": "AEAD_AES_256_GCM",
                "nonce": "certnonce123", "associated_data": "certificate", "ciphertext": B64.encode(ct)}});
            ok(json!({"data": vec![one; 400]}))
        }
        _ => ok(json!({"code_url": "weixin://wxpay/bizpayurl?pr=burst"})),
    }))
    .await;
    let ch = Arc::new(WechatProducts::new(reqwest::Client::new()));
    let mut ctx = at(v3_ctx(Map::new()), &url);
    let mut params = ctx.config.params.clone();
    params.remove("platform_cert");
    ctx.config = Arc::new(crate::ChannelConfig { params, secrets: ctx.config.secrets.clone() });
    let ctx = Arc::new(ctx);
    let calls: Vec<_> = (0..24)
        .map(|_| {
            let (ch, ctx) = (ch.clone(), ctx.clone());
            tokio::spawn(async move { ch.pub_qr.create_credential(&ctx, &charge(json!({}))).await })
        })
        .collect();
    for c in calls {
        let r = c.await.expect("task");
        assert!(r.is_ok(), "{r:?}");
    }
    let downloads = seen.lock().expect("seen").iter().filter(|s| s.1 == "/v3/certificates").count();
    assert_eq!(downloads, 1);
}

/// An answer signed under a serial nobody knows: one refresh, then refused.
#[tokio::test]
async fn v3_unknown_serial_refreshes_once_then_fails() {
    let (url, seen) = gateway(Box::new(|_, path, _| match path {
        "/v3/certificates" => ok(json!({"data": []})),
        _ => (200, json!({"code_url": "x"}).to_string(), Some("0123456789ABCDEF".into())),
    }))
    .await;
    let ch = WechatProducts::new(reqwest::Client::new());
    let ctx = at(v3_ctx(Map::new()), &url);
    let r = ch.pub_qr.create_credential(&ctx, &charge(json!({}))).await;
    assert!(matches!(r, Err(ChannelError::BadSignature(m)) if m.contains("unknown platform serial")));
    let paths: Vec<String> = seen.lock().expect("seen").iter().map(|s| s.1.clone()).collect();
    assert_eq!(paths.iter().filter(|p| *p == "/v3/certificates").count(), 1);
}
