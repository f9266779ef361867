//! The UnionPay gateway sandbox over real HTTP: merchant signatures checked
//! against the registered certificate, signed raw answers that chain to the
//! sandbox CA, app orders paid at the cashier with a signed backUrl
//! notification, query and refund.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use unicharge_crypto::{
    certificate_serial_decimal, gmt8, load_pkcs12, unionpay_request_content, unionpay_sign, unionpay_verify,
    unionpay_verify_content, UnionpayTrust,
};
use unicharge_sandboxes::unionpay::{self, InMemoryMerchants, UnionpaySandbox};

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/unionpay/");
const MER: &str = "777290058110048";

type Fields = BTreeMap<String, String>;

fn start() -> (String, reqwest::Client) {
    let pfx = std::fs::read(format!("{FIX}merchant.pfx")).unwrap();
    let id = load_pkcs12(&pfx, "000000").unwrap();
    let merchants = Arc::new(InMemoryMerchants::default());
    merchants.register(MER, &pem::encode(&pem::Pem::new("CERTIFICATE", id.cert_der)));
    let http = reqwest::Client::new();
    let sb = actix_web::web::Data::new(UnionpaySandbox::new(merchants, http.clone(), 1000).unwrap());
    (common::serve(move |cfg| unionpay::configure(cfg, sb.clone())), http)
}

fn signed(mut f: Fields) -> Fields {
    let pfx = std::fs::read(format!("{FIX}merchant.pfx")).unwrap();
    let id = load_pkcs12(&pfx, "000000").unwrap();
    f.insert("certId".into(), certificate_serial_decimal(&id.cert_der).unwrap());
    let content = unionpay_request_content(f.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    f.insert("signature".into(), unionpay_sign(&id.signer, &content));
    f
}

/// The orders' send time: now (the gateway checks it against its clock),
/// fixed for the test run so queries name the same order.
fn now_txn_time() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| gmt8::compact(gmt8::now()))
}

fn base(txn_type: &str, sub: &str, biz: &str, order: &str) -> Fields {
    let mut f = Fields::new();
    for (k, v) in [
        ("version", "5.1.0"),
        ("encoding", "UTF-8"),
        ("signMethod", "01"),
        ("txnType", txn_type),
        ("txnSubType", sub),
        ("bizType", biz),
        ("accessType", "0"),
        ("merId", MER),
        ("orderId", order),
        ("txnTime", now_txn_time()),
    ] {
        f.insert(k.into(), v.into());
    }
    f
}

/// POSTs and checks the answer's signPubKeyCert and signature.
async fn call(base_url: &str, http: &reqwest::Client, name: &str, f: &Fields) -> Fields {
    let r = http.post(format!("{base_url}/sandbox/unionpay/gateway/api/{name}")).form(f).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let answer = unionpay::parse_answer(&r.text().await.unwrap());
    let trust = UnionpayTrust::new(unionpay::ROOT_PEM, unionpay::MIDDLE_PEM).unwrap();
    let key = trust.verify_sign_cert(&answer["signPubKeyCert"], 1_796_428_800, false).unwrap();
    let content = unionpay_verify_content(answer.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert!(unionpay_verify(&key, &content, &answer["signature"]), "{name}: answer signature");
    answer
}

#[tokio::test]
async fn app_order_paid_notified_queried_refunded() {
    let (url, http) = start();
    let receiver = common::Receiver::start(vec![], (200, "ok")).await;
    let mut f = base("01", "01", "000201", "SBXORDER0001");
    for (k, v) in
        [("channelType", "08"), ("txnAmt", "250"), ("currencyCode", "156"), ("backUrl", receiver.url.as_str())]
    {
        f.insert(k.into(), v.into());
    }
    let answer = call(&url, &http, "appTransReq.do", &signed(f.clone())).await;
    assert_eq!(answer["respCode"], "00");
    let tn = answer["tn"].clone();

    let mut bad = signed(f.clone());
    bad.insert("txnAmt".into(), "251".into());
    assert_eq!(call(&url, &http, "appTransReq.do", &bad).await["respCode"], "11", "tampered request");
    let mut stranger = signed(f.clone());
    stranger.insert("merId".into(), "777000000000009".into());
    assert_eq!(call(&url, &http, "appTransReq.do", &stranger).await["respCode"], "31");

    let q = signed(base("00", "00", "000000", "SBXORDER0001"));
    let unpaid = call(&url, &http, "queryTrans.do", &q).await;
    assert_eq!((unpaid["respCode"].as_str(), unpaid["origRespCode"].as_str()), ("00", "05"));

    let r = http
        .post(format!("{url}/sandbox/unionpay/cashier/{tn}/pay"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let paid: serde_json::Value = r.json().await.unwrap();
    assert_eq!(paid["notified"], true, "{paid}");
    let got = receiver.wait_for(1, Duration::from_secs(5)).await;
    let notify: Fields = serde_urlencoded::from_str(&got[0].body).unwrap();
    assert_eq!(
        (notify["orderId"].as_str(), notify["txnAmt"].as_str(), notify["respCode"].as_str()),
        ("SBXORDER0001", "250", "00")
    );

    let after = call(&url, &http, "queryTrans.do", &q).await;
    assert_eq!(after["origRespCode"], "00");
    assert_eq!(after["queryId"], notify["queryId"]);

    let mut refund = base("04", "00", "000201", "reSBX0001");
    for (k, v) in [
        ("channelType", "07"),
        ("txnAmt", "100"),
        ("origQryId", notify["queryId"].as_str()),
        ("backUrl", receiver.url.as_str()),
        ("reqReserved", "SBXORDER0001"),
    ] {
        refund.insert(k.into(), v.into());
    }
    assert_eq!(call(&url, &http, "backTransReq.do", &signed(refund.clone())).await["respCode"], "00");
    assert_eq!(
        call(&url, &http, "backTransReq.do", &signed(refund.clone())).await["respCode"],
        "12",
        "the same refund orderId again is a duplicate"
    );
    let rq = call(&url, &http, "queryTrans.do", &signed(base("00", "00", "000000", "reSBX0001"))).await;
    assert_eq!(
        (rq["respCode"].as_str(), rq["origRespCode"].as_str(), rq["txnType"].as_str(), rq["txnAmt"].as_str()),
        ("00", "00", "04", "100"),
        "the refund, queried by its orderId and txnTime"
    );
    let got = receiver.wait_for(2, Duration::from_secs(5)).await;
    let rn: Fields = serde_urlencoded::from_str(&got[1].body).unwrap();
    assert_eq!(
        (rn["txnType"].as_str(), rn["orderId"].as_str(), rn["reqReserved"].as_str()),
        ("04", "reSBX0001", "SBXORDER0001")
    );
    let mut too_much = refund.clone();
    too_much.insert("orderId".into(), "reSBX0002".into());
    too_much.insert("txnAmt".into(), "151".into());
    assert_eq!(call(&url, &http, "backTransReq.do", &signed(too_much)).await["respCode"], "01");
}

#[tokio::test]
async fn send_time_is_checked_against_the_clock_and_names_the_order() {
    let (url, http) = start();
    let order = |id: &str, txn_time: &str, pay_timeout: Option<&str>| {
        let mut f = base("01", "01", "000201", id);
        for (k, v) in
            [("channelType", "08"), ("txnAmt", "100"), ("currencyCode", "156"), ("backUrl", "http://127.0.0.1:9/")]
        {
            f.insert(k.into(), v.into());
        }
        f.insert("txnTime".into(), txn_time.into());
        if let Some(t) = pay_timeout {
            f.insert("payTimeout".into(), t.into());
        }
        signed(f)
    };
    let now = gmt8::now();
    let window = unionpay::TXN_TIME_WINDOW_SECS;
    for (id, sent) in [("SBXTIME0001", now - window - 60), ("SBXTIME0002", now + window + 60)] {
        let a = call(&url, &http, "appTransReq.do", &order(id, &gmt8::compact(sent), None)).await;
        assert_eq!(a["respCode"], "30", "{id}: txnTime outside the window");
    }
    let within = gmt8::compact(now - 60);
    assert_eq!(call(&url, &http, "appTransReq.do", &order("SBXTIME0003", &within, None)).await["respCode"], "00");

    // A web order posted by the browser later: an old txnTime is fine while
    // payTimeout has not passed; a passed one is refused.
    let old = gmt8::compact(now - 3600);
    let front = |id: &str, timeout: i64| {
        let mut f = order(id, &old, Some(&gmt8::compact(timeout)));
        f.remove("signature");
        f.insert("channelType".into(), "07".into());
        f.insert("frontUrl".into(), "https://shop.example/done".into());
        signed(f)
    };
    let post = |f: Fields| http.post(format!("{url}/sandbox/unionpay/gateway/api/frontTransReq.do")).form(&f).send();
    assert_eq!(post(front("SBXTIME0004", now + 600)).await.unwrap().status(), 200);
    assert_eq!(post(front("SBXTIME0005", now - 60)).await.unwrap().status(), 400, "payTimeout passed");

    // A query names the order by orderId and txnTime: another txnTime is no such order.
    let mut q = base("00", "00", "000000", "SBXTIME0003");
    q.insert("txnTime".into(), within.clone());
    assert_eq!(call(&url, &http, "queryTrans.do", &signed(q.clone())).await["origRespCode"], "05");
    q.insert("txnTime".into(), gmt8::compact(now - 61));
    assert_eq!(call(&url, &http, "queryTrans.do", &signed(q)).await["respCode"], "34");
}
