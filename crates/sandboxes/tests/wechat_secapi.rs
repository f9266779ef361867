//! `secapi/*` over mutual TLS: with a client CA, the sandbox serves
//! `secapi/pay/reverse` and `secapi/pay/refund` only on its TLS listener,
//! and only to the API certificate of the request's merchant.

mod common;

use actix_web::web;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::sync::Arc;
use unicharge_crypto::{generate_rsa_2048_pkcs8_pem, RsaSigner};
use unicharge_sandboxes::wechat::{self, InMemoryMerchants, PlatformKeyMode, SandboxMerchant, SignType, WechatSandbox};

struct Mch {
    mchid: String,
    appid: String,
    api_key: String,
    cert: String,
    key: String,
}

fn merchant(sb: &WechatSandbox, dir: &InMemoryMerchants, mchid: &str, appid: &str) -> Mch {
    let key = generate_rsa_2048_pkcs8_pem().expect("key");
    let serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".to_owned();
    let api_key = format!("{mchid}0123456789abcdef012345")[..32].to_owned();
    dir.register(
        mchid,
        SandboxMerchant {
            merchant_public_key_pem: RsaSigner::parse(&key).and_then(|s| s.public_key_pem()).expect("public"),
            merchant_serial_no: serial.clone(),
            apiv3_key: SecretString::from("a".repeat(32)),
            api_key: SecretString::from(api_key.clone()),
            appids: vec![appid.to_owned()],
            platform_key_mode: PlatformKeyMode::Certificate,
        },
    );
    let cert = sb.issue_merchant_certificate(mchid, &serial, &key).expect("certificate");
    Mch { mchid: mchid.to_owned(), appid: appid.to_owned(), api_key, cert, key }
}

fn signed_xml(m: &Mch, extra: &[(&str, &str)]) -> String {
    let mut f: BTreeMap<&str, &str> =
        [("appid", m.appid.as_str()), ("mch_id", m.mchid.as_str()), ("nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS")]
            .into_iter()
            .collect();
    f.extend(extra.iter().copied());
    let sign = wechat::v2_sign(SignType::Md5, f.iter().map(|(k, v)| (*k, *v)), &m.api_key);
    let mut all: Vec<(&str, &str)> = f.into_iter().collect();
    all.push(("sign", &sign));
    wechat::xml::write(all)
}

fn tls_client(ca_pem: &str, identity: Option<&Mch>) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("ca");
    let mut b = reqwest::Client::builder().tls_certs_only([ca]);
    if let Some(m) = identity {
        let pem = format!("{}\n{}\n", m.cert.trim(), m.key.trim());
        b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).expect("identity"));
    }
    b.build().expect("client")
}

async fn post(client: &reqwest::Client, url: &str, body: String) -> Result<String, reqwest::Error> {
    client.post(url).header("content-type", "text/xml").body(body).send().await?.text().await
}

fn field<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    let v = &xml[start..end];
    Some(v.strip_prefix("<![CDATA[").and_then(|v| v.strip_suffix("]]>")).unwrap_or(v))
}

#[tokio::test]
async fn secapi_needs_the_merchants_own_certificate_over_tls() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let platform = SecretString::from(generate_rsa_2048_pkcs8_pem().expect("key"));
    let ca_key = SecretString::from(generate_rsa_2048_pkcs8_pem().expect("key"));
    let dir = Arc::new(InMemoryMerchants::default());
    let sb = WechatSandbox::new(&platform, None, dir.clone(), reqwest::Client::new(), 1)
        .expect("sandbox")
        .with_client_ca(&ca_key)
        .expect("ca");
    let a = merchant(&sb, &dir, "1900000101", "wx0000000000000001");
    let b = merchant(&sb, &dir, "1900000102", "wx0000000000000002");
    let ca_pem = sb.client_ca_pem().expect("ca pem").to_owned();
    let data = web::Data::new(sb);
    let tls_base =
        wechat::serve_secapi(data.clone(), std::net::TcpListener::bind("127.0.0.1:0").expect("bind")).expect("serve");
    let base = common::serve(move |cfg: &mut web::ServiceConfig| wechat::configure(cfg, data.clone()));
    let plain_base = format!("{base}/sandbox/wechat");

    // A micropay left waiting for the buyer, to reverse.
    let pay = signed_xml(
        &a,
        &[
            ("auth_code", wechat::AUTH_CODE_USERPAYING),
            ("body", "t"),
            ("out_trade_no", "o1"),
            ("spbill_create_ip", "127.0.0.1"),
            ("total_fee", "1"),
        ],
    );
    let plain = reqwest::Client::new();
    let answer = post(&plain, &format!("{plain_base}/pay/micropay"), pay).await.expect("micropay");
    assert_eq!(field(&answer, "err_code"), Some("USERPAYING"), "{answer}");

    let reverse = signed_xml(&a, &[("out_trade_no", "o1")]);
    // Plain HTTP: refused, whoever asks.
    let answer = post(&plain, &format!("{plain_base}/secapi/pay/reverse"), reverse.clone()).await.expect("plain");
    assert_eq!(field(&answer, "return_code"), Some("FAIL"), "{answer}");
    // No client certificate: the handshake fails.
    let url = format!("{tls_base}/secapi/pay/reverse");
    assert!(post(&tls_client(&ca_pem, None), &url, reverse.clone()).await.is_err(), "no certificate");
    // Another merchant's genuine certificate: refused.
    let answer = post(&tls_client(&ca_pem, Some(&b)), &url, reverse.clone()).await.expect("b");
    assert_eq!(field(&answer, "return_code"), Some("FAIL"), "{answer}");
    // The merchant's own: reversed.
    let answer = post(&tls_client(&ca_pem, Some(&a)), &url, reverse).await.expect("a");
    assert_eq!(
        (field(&answer, "return_code"), field(&answer, "result_code")),
        (Some("SUCCESS"), Some("SUCCESS")),
        "{answer}"
    );
    // Other paths are not served there.
    let r = tls_client(&ca_pem, Some(&a)).post(format!("{tls_base}/pay/orderquery")).send().await.expect("404");
    assert_eq!(r.status(), 404);
}
