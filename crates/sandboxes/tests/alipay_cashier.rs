//! Orders the buyer brings to the cashier: app (order string), wap and
//! page (signed redirects), over real HTTP.

mod alipay_support;

use alipay_support::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn order_no() -> String {
    format!("W{}{}", now(), rand::random::<u32>())
}

/// `sdkExecute`'s output: every parameter, sign included, URL-encoded.
fn order_string(p: &BTreeMap<String, String>) -> String {
    serde_urlencoded::to_string(p).expect("encode")
}

#[tokio::test]
async fn app_pay_order_string_opens_the_cashier() {
    let sb = spawn_sandbox(FAST).await;
    let mut m = sb.merchant();
    let rx = Receiver::start(vec![]).await;
    m.notify_url = Some(rx.url.clone());
    let no = order_no();
    let biz =
        json!({"out_trade_no": no, "total_amount": "0.01", "subject": "App", "product_code": "QUICK_MSECURITY_PAY"});
    let p = m.signed("alipay.trade.app.pay", &biz);
    let res = sb
        .http
        .post(format!("{}/sandbox/alipay/app_pay", sb.base))
        .header("accept", "application/json")
        .form(&[("order_info", order_string(&p))])
        .send()
        .await
        .expect("app_pay");
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.expect("json");
    assert_eq!((view["out_trade_no"].as_str(), view["total_amount"].as_str()), (Some(no.as_str()), Some("0.01")));
    let (_, paid) = sb.cashier(view["trade_no"].as_str().expect("no"), "pay").await;
    assert_eq!(paid["notified"], true);
    let got = rx.wait_for(1, std::time::Duration::from_secs(5)).await;
    assert_eq!(got[0]["trade_status"], "TRADE_SUCCESS");
    assert!(verify_notification(&sb, &got[0]));

    // A tampered order string is refused.
    let mut p = m.signed("alipay.trade.app.pay", &biz);
    p.insert("biz_content".into(), biz.to_string().replace("0.01", "0.02"));
    let res = sb
        .http
        .post(format!("{}/sandbox/alipay/app_pay", sb.base))
        .header("accept", "application/json")
        .form(&[("order_info", order_string(&p))])
        .send()
        .await
        .expect("app_pay");
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"]["sub_code"], "isv.invalid-signature");
}

#[tokio::test]
async fn page_pay_redirect_renders_an_escaped_cashier() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let subject = "<script>alert('x')</script> & \"tea\"";
    let biz = json!({"out_trade_no": order_no(), "total_amount": "99.90", "subject": subject,
        "product_code": "FAST_INSTANT_TRADE_PAY"});
    let mut p = m.signed("alipay.trade.page.pay", &biz);
    p.insert("return_url".into(), "https://shop.example/return?x=1".into());
    m.resign(&mut p);
    let url = format!("{}?{}", sb.gateway, serde_urlencoded::to_string(&p).expect("q"));
    let res = sb.http.get(url).send().await.expect("get");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("text/html"));
    let html = res.text().await.expect("html");
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;tea&quot;"));
    assert!(html.contains("¥ 99.90"));
    let start = html.find("/sandbox/alipay/cashier/").expect("form") + "/sandbox/alipay/cashier/".len();
    let trade_no = &html[start..start + 28];

    // Pay from the HTML form (no JSON): the page links back, signed.
    let url = format!("{}/sandbox/alipay/cashier/{trade_no}/pay", sb.base);
    let done = sb.http.post(&url).send().await.expect("pay").text().await.expect("html");
    assert!(done.contains("https://shop.example/return?x=1&amp;"), "{done}");
    let (_, again) = sb.cashier(trade_no, "pay").await;
    assert_eq!(again["error"]["sub_code"], "ACQ.TRADE_HAS_SUCCESS");

    // The return link's parameters verify like a notification (rsaCheckV1).
    let href = done.split("href=\"").nth(1).and_then(|s| s.split('"').next()).expect("href").replace("&amp;", "&");
    let query = href.split_once('?').expect("query").1;
    let mut f: BTreeMap<String, String> = serde_urlencoded::from_str(query).expect("form");
    // The merchant's own parameter is not Alipay's to sign (Alipay's
    // documents warn against query strings in return_url for this reason).
    assert_eq!(f.remove("x").as_deref(), Some("1"));
    assert_eq!(f["method"], "alipay.trade.page.pay.return");
    assert_eq!(f["trade_no"], trade_no);
    assert!(verify_notification(&sb, &f));
}

#[tokio::test]
async fn page_pay_needs_its_product_code_and_a_valid_signature() {
    let sb = spawn_sandbox(FAST).await;
    let m = sb.merchant();
    let biz = json!({"out_trade_no": order_no(), "total_amount": "1", "subject": "x"});
    let p = m.signed("alipay.trade.page.pay", &biz);
    let url = format!("{}?{}", sb.gateway, serde_urlencoded::to_string(&p).expect("q"));
    let res = sb.http.get(url).send().await.expect("get");
    assert_eq!(res.status(), 400);
    assert!(res.text().await.expect("html").contains("ACQ.INVALID_PARAMETER"));

    let mut p = m.signed("alipay.trade.page.pay", &biz);
    p.insert("total_amount".into(), "1".into());
    let url = format!("{}?{}", sb.gateway, serde_urlencoded::to_string(&p).expect("q"));
    let html = sb.http.get(url).send().await.expect("get").text().await.expect("html");
    assert!(html.contains("isv.invalid-signature"), "{html}");
}

#[tokio::test]
async fn wap_pay_form_post_then_buyer_cancels() {
    let sb = spawn_sandbox(FAST).await;
    let mut m = sb.merchant();
    let rx = Receiver::start(vec![]).await;
    m.notify_url = Some(rx.url.clone());
    let no = order_no();
    let biz = json!({"out_trade_no": no, "total_amount": "5.00", "subject": "Wap", "product_code": "QUICK_WAP_WAY"});
    // An auto-submitted form: common parameters in the action URL, biz_content in the body.
    let mut p = m.signed("alipay.trade.wap.pay", &biz);
    let biz_content = p.remove("biz_content").expect("biz");
    let url = format!("{}?{}", sb.gateway, serde_urlencoded::to_string(&p).expect("q"));
    let res = sb
        .http
        .post(url)
        .header("accept", "application/json")
        .form(&[("biz_content", biz_content)])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.expect("json");
    let trade_no = view["trade_no"].as_str().expect("no").to_owned();

    let (status, closed) = sb.cashier(&trade_no, "cancel").await;
    assert_eq!((status, closed["status"].as_str(), closed["notified"].as_bool()), (200, Some("closed"), Some(true)));
    let got = rx.wait_for(1, std::time::Duration::from_secs(5)).await;
    assert_eq!(got[0]["trade_status"], "TRADE_CLOSED");
    assert!(!got[0].contains_key("gmt_payment"));
    assert!(verify_notification(&sb, &got[0]));
    let q = sb.call(&m, "alipay.trade.query", json!({"out_trade_no": no})).await;
    assert_eq!(q.get("trade_status"), "TRADE_CLOSED");
}
