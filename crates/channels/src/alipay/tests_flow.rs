//! The HTTP flows against a loopback stand-in for Alipay's gateway that
//! checks our request signatures and signs its answers with the test
//! "platform" key (the real simulator lives in unicharge-sandboxes).

use super::tests::{ctx_with, platform, test_ctx, vector};
use super::*;
use crate::{ChargeRef, Credential, PaymentStatus};
use serde_json::{json, Value};
use std::sync::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use unicharge_crypto::RsaPublicKey;
use unicharge_domain::Currency;

type Handler = Box<dyn Fn(&str, &Value) -> (String, bool) + Send + Sync>;

/// Requests the stand-in received: (method, biz_content, all params).
type Seen = Arc<Mutex<Vec<(String, Value, Vec<(String, String)>)>>>;

/// Serves `handler(method, biz) -> (content of <method>_response, signed)`.
async fn gateway(handler: Handler) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/gateway.do", listener.local_addr().expect("addr"));
    let seen: Seen = Arc::default();
    let app_key = RsaPublicKey::parse(&vector("test-alipay_app_public.pem")).expect("app key");
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let body = loop {
                let mut chunk = [0u8; 4096];
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(i) = text.find("\r\n\r\n") {
                    let len: usize = text[..i]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                        })
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    if buf.len() >= i + 4 + len || n == 0 {
                        break buf[i + 4..].to_vec();
                    }
                } else if n == 0 {
                    break Vec::new();
                }
            };
            let params = parse_form(&body).expect("form");
            let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
            let pairs = params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            let content = unicharge_crypto::sorted_sign_content(pairs, &["sign"]);
            assert!(app_key.verify_sha256_b64(content.as_bytes(), &get("sign")), "request signature");
            let method = get("method");
            let biz: Value = serde_json::from_str(&get("biz_content")).expect("biz_content");
            let (resp, signed) = handler(&method, &biz);
            log.lock().expect("log").push((method.clone(), biz, params.clone()));
            let sig = if signed {
                format!(",\"sign\":\"{}\"", platform().sign_sha256_b64(resp.as_bytes()))
            } else {
                String::new()
            };
            let out = format!("{{\"{}_response\":{resp}{sig}}}", method.replace('.', "_"));
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", out.len());
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(out.as_bytes()).await;
        }
    });
    (url, seen)
}

fn ctx_at(gateway: &str) -> ChannelContext {
    let mut ctx = test_ctx("2021000000000001");
    let mut params = ctx.config.params.clone();
    params.insert("gateway".into(), json!(gateway));
    ctx.config = Arc::new(crate::ChannelConfig { params, secrets: ctx.config.secrets.clone() });
    ctx
}

fn charge(extra: Value) -> ChargeRef {
    let Value::Object(extra) = extra else { panic!("extra") };
    ChargeRef {
        charge_id: "ch_1".into(),
        order_no: "A1".into(),
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

const OK: &str = r#""code":"10000","msg":"Success""#;

#[tokio::test]
async fn qr_and_lite_create_from_signed_answers() {
    let (url, seen) = gateway(Box::new(|method, _| match method {
        "alipay.trade.precreate" => {
            (format!(r#"{{{OK},"out_trade_no":"A1","qr_code":"https:\/\/qr.alipay.com\/bax0"}}"#), true)
        }
        _ => (format!(r#"{{{OK},"out_trade_no":"A1","trade_no":"2026T1"}}"#), true),
    }))
    .await;
    let ch = AlipayProducts::new(reqwest::Client::new());
    let ctx = ctx_at(&url);
    let qr = ch.qr.create_credential(&ctx, &charge(json!({}))).await.expect("qr");
    assert_eq!(qr, Created::pending(Credential(json!("https://qr.alipay.com/bax0"))));
    let lite = ch.lite.create_credential(&ctx, &charge(json!({"buyer_id": "2088102"}))).await.expect("lite");
    assert_eq!(lite.credential, Credential(json!({"trade_no": "2026T1"})));
    let seen = seen.lock().expect("seen");
    assert_eq!(
        seen[0].1,
        json!({"out_trade_no":"A1","total_amount":"12.34","subject":"测试","body":"body","product_code":"FACE_TO_FACE_PAYMENT","time_expire":"2026-01-02 03:04:05"})
    );
    assert!(seen[0].2.iter().any(|(k, v)| k == "notify_url" && v == &ctx.notify_url));
    assert_eq!(seen[1].1["buyer_id"], "2088102");
    assert_eq!(seen[1].1["product_code"], "JSAPI_PAY");
}

#[tokio::test]
async fn scan_reports_paid_waiting_refused_and_unknown() {
    let (url, _) = gateway(Box::new(|_, biz| match biz["auth_code"].as_str() {
        Some("paid") => (format!(r#"{{{OK},"trade_no":"T9","out_trade_no":"A1","total_amount":"12.34","gmt_payment":"2026-01-02 03:04:05"}}"#), true),
        Some("wait") => (r#"{"code":"10003","msg":"Waiting","trade_no":"T9"}"#.into(), true),
        Some("bad") => (r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.PAYMENT_AUTH_CODE_INVALID","sub_msg":"付款码无效"}"#.into(), true),
        Some("busy") => (r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.SYSTEM_ERROR","sub_msg":"系统错误"}"#.into(), true),
        Some("partial") => (format!(r#"{{{OK},"out_trade_no":"A1"}}"#), true),
        _ => (format!(r#"{{{OK},"trade_no":"T9","total_amount":"12.34","gmt_payment":"2026-01-02 03:04:05"}}"#), false),
    }))
    .await;
    let ch = AlipayProducts::new(reqwest::Client::new());
    let ctx = ctx_at(&url);
    let scan = |code: &str| charge(json!({"scan_code": code, "terminal_id": "T01"}));
    let paid = ch.scan.create_credential(&ctx, &scan("paid")).await.expect("paid");
    assert_eq!(
        paid.status,
        PaymentStatus::Paid { transaction_no: "T9".into(), amount: 1234, time_paid: 1_767_294_245 }
    );
    assert_eq!(ch.scan.create_credential(&ctx, &scan("wait")).await.expect("wait").status, PaymentStatus::Pending);
    let refused = ch.scan.create_credential(&ctx, &scan("bad")).await;
    assert!(matches!(refused, Err(ChannelError::Refused { code, .. }) if code == "ACQ.PAYMENT_AUTH_CODE_INVALID"));
    assert_eq!(ch.scan.create_credential(&ctx, &scan("busy")).await.expect("busy").status, PaymentStatus::Pending);
    // A signed success without trade_no, amount or time: money moved, so
    // the charge is kept (pending, for the query) rather than dropped.
    assert_eq!(
        ch.scan.create_credential(&ctx, &scan("partial")).await.expect("partial").status,
        PaymentStatus::Pending
    );
    // An unsigned "success" is not believed, but the buyer may have paid.
    assert_eq!(ch.scan.create_credential(&ctx, &scan("forged")).await.expect("forged").status, PaymentStatus::Pending);
    assert!(ch.scan.create_credential(&ctx, &charge(json!({}))).await.is_err());
}

#[tokio::test]
async fn query_close_and_cancel() {
    let (url, seen) = gateway(Box::new(|method, biz| match (method, biz["out_trade_no"].as_str()) {
        ("alipay.trade.query", Some("A1")) => (format!(r#"{{{OK},"trade_no":"T1","trade_status":"TRADE_SUCCESS","total_amount":"12.34","send_pay_date":"2026-01-02 03:04:05"}}"#), true),
        (_, Some("GONE")) => (r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}"#.into(), true),
        (_, Some("FAKE")) => (r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST"}"#.into(), false),
        ("alipay.trade.cancel", _) => (format!(r#"{{{OK},"retry_flag":"N","action":"close"}}"#), true),
        _ => (format!(r#"{{{OK},"trade_no":"T1","out_trade_no":"A1"}}"#), true),
    }))
    .await;
    let ch = AlipayProducts::new(reqwest::Client::new());
    let ctx = ctx_at(&url);
    let mut c = charge(json!({}));
    assert!(matches!(ch.qr.query(&ctx, &c).await, Ok(PaymentStatus::Paid { amount: 1234, .. })));
    ch.qr.close(&ctx, &c).await.expect("close");
    ch.scan.close(&ctx, &c).await.expect("cancel");
    c.order_no = "GONE".into();
    assert_eq!(ch.app.query(&ctx, &c).await.ok(), Some(PaymentStatus::Pending));
    ch.wap.close(&ctx, &c).await.expect("never created counts as closed");
    // Unsigned "does not exist" is not a fact to act on.
    c.order_no = "FAKE".into();
    assert!(ch.app.query(&ctx, &c).await.is_err());
    assert!(ch.wap.close(&ctx, &c).await.is_err());
    let methods: Vec<String> = seen.lock().expect("seen").iter().map(|s| s.0.clone()).collect();
    assert_eq!(&methods[..3], ["alipay.trade.query", "alipay.trade.close", "alipay.trade.cancel"]);
}

#[tokio::test]
async fn refunds_use_the_refund_id_and_confirm_repeats_by_query() {
    let (url, seen) = gateway(Box::new(|method, biz| match (method, biz["out_request_no"].as_str()) {
        ("alipay.trade.refund", Some("re_new")) => (format!(r#"{{{OK},"trade_no":"T1","fund_change":"Y","refund_fee":"1.00","gmt_refund_pay":"2026-01-02 03:04:05"}}"#), true),
        ("alipay.trade.refund", _) => (format!(r#"{{{OK},"trade_no":"T1","fund_change":"N","refund_fee":"1.00"}}"#), true),
        (_, Some("re_old")) => (format!(r#"{{{OK},"trade_no":"T1","out_request_no":"re_old","refund_amount":"1.00","refund_status":"REFUND_SUCCESS","gmt_refund_pay":"2026-01-02 03:04:05"}}"#), true),
        (_, Some("re_wrong")) => (format!(r#"{{{OK},"trade_no":"T1","out_request_no":"re_wrong","refund_amount":"2.00","refund_status":"REFUND_SUCCESS"}}"#), true),
        _ => (format!(r#"{{{OK},"trade_no":"T1"}}"#), true),
    }))
    .await;
    let ch = AlipayProducts::new(reqwest::Client::new());
    let ctx = ctx_at(&url);
    let refund = |id: &str| RefundRef {
        refund_id: id.into(),
        charge: charge(json!({})),
        transaction_no: Some("T1".into()),
        amount: 100,
        description: "退款".into(),
        created: 1_767_207_900,
    };
    let done = RefundStatusReport::Succeeded { transaction_no: Some("T1".into()), time_succeed: 1_767_294_245 };
    assert_eq!(ch.qr.refund(&ctx, &refund("re_new")).await.ok(), Some(done.clone()));
    assert_eq!(ch.qr.refund(&ctx, &refund("re_old")).await.ok(), Some(done));
    assert_eq!(ch.qr.refund(&ctx, &refund("re_unknown")).await.ok(), Some(RefundStatusReport::Pending));
    assert!(matches!(ch.qr.refund_query(&ctx, &refund("re_wrong")).await, Err(ChannelError::Mismatch(_))));
    let seen = seen.lock().expect("seen");
    assert_eq!(
        seen[0].1,
        json!({"out_trade_no":"A1","refund_amount":"1.00","out_request_no":"re_new","refund_reason":"退款"})
    );
    assert_eq!(seen[2].0, "alipay.trade.fastpay.refund.query");
    assert_eq!(seen[2].1["query_options"], json!(["gmt_refund_pay"]));
}

#[tokio::test]
async fn client_products_sign_without_calling_and_cert_mode_adds_sns() {
    let ch = AlipayProducts::new(reqwest::Client::new());
    let ctx = test_ctx("2021000000000001");
    let created = ch.app.create_credential(&ctx, &charge(json!({}))).await.expect("app");
    let order_info = created.credential.0["orderInfo"].as_str().expect("orderInfo").to_owned();
    let fields = parse_form(order_info.as_bytes()).expect("order string");
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "orderInfo is sorted, sign included");
    let app_key = RsaPublicKey::parse(&vector("test-alipay_app_public.pem")).expect("key");
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let content =
        unicharge_crypto::sorted_sign_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), &["sign"]);
    assert!(app_key.verify_sha256_b64(content.as_bytes(), &get("sign")));
    assert_eq!(get("method"), "alipay.trade.app.pay");
    let wap = ch
        .wap
        .create_credential(
            &ctx,
            &charge(json!({"success_url": "https://m.example.com/ok", "cancel_url": "https://m.example.com/no"})),
        )
        .await
        .expect("wap");
    let w = &wap.credential.0;
    assert_eq!(w["channel_url"], "http://127.0.0.1:9/sandbox/alipay/gateway.do");
    assert_eq!(w["return_url"], "https://m.example.com/ok");
    assert!(w["biz_content"].as_str().expect("biz").contains("\"quit_url\":\"https://m.example.com/no\""));
    let page = ch.pc_direct.create_credential(&ctx, &charge(json!({}))).await.expect("page");
    assert_eq!(page.credential.0["method"], "alipay.trade.page.pay");
    assert!(page.credential.0.get("return_url").is_none());
    // Certificate mode: both SNs are signed parameters.
    let cert_ctx = ctx_with(
        json!({"app_id": "2021000000000001", "app_cert": vector("test-alipay_app_cert.crt"),
               "alipay_cert": vector("test-alipay_platform_cert.crt"), "alipay_root_cert": vector("test-alipay_root_cert.crt")}),
        &vector("test-alipay_app_private_pkcs8.pem"),
    );
    let p = ch.wap.create_credential(&cert_ctx, &charge(json!({}))).await.expect("cert wap").credential.0;
    assert_eq!(p["app_cert_sn"], "c63c94e7db315018b3cb699a3ee02cd0");
    assert_eq!(p["alipay_root_cert_sn"], "d059215f3d94412ed0ee3bb2b23089eb_d961e692326d59e0345ceda274453056");
    // Both modes at once, or neither, is a configuration error.
    let both = ctx_with(
        json!({"app_id": "1", "alipay_public_key": vector("test-alipay_platform_public.pem"), "app_cert": "x"}),
        &vector("test-alipay_app_private_pkcs8.pem"),
    );
    assert!(matches!(ch.wap.create_credential(&both, &charge(json!({}))).await, Err(ChannelError::Config(_))));
    let neither = ctx_with(json!({"app_id": "1"}), &vector("test-alipay_app_private_pkcs8.pem"));
    assert!(matches!(ch.wap.create_credential(&neither, &charge(json!({}))).await, Err(ChannelError::Config(_))));
}

#[test]
fn form_decoding_is_strict() {
    let f = parse_form(b"a=1+2%2B&b=&c").expect("form");
    assert_eq!(f, vec![("a".into(), "1 2+".into()), ("b".into(), String::new()), ("c".into(), String::new())]);
    assert!(parse_form(b"a=%FF").is_err());
    assert!(parse_form(b"a=1&a=2").is_err());
}
