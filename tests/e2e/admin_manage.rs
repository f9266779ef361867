//! Admin API management routes: apps, API keys (secret shown once, revoke),
//! webhook endpoints, masked channel configuration, tenants and users, and
//! the `unicharge user create` command.

use crate::admin_client::*;
use reqwest::Method;
use serde_json::{json, Value};
use unicharge::cli::users::{run_user, UserCmd};
use unicharge_tests::*;

#[tokio::test]
async fn apps_and_api_keys() {
    let app = spawn().await;
    let t = tenant_user(&app, &app.tenant.id).await;
    let apps = t.get_ok("/admin/api/apps").await;
    assert_eq!(apps["data"][0]["id"], app.tenant.app.as_str());
    assert_eq!(apps["data"][0]["tenant_name"], "Acme");
    let made = t.post_ok("/admin/api/apps", &json!({"name": "Second shop"})).await;
    assert_eq!(made["tenant"], app.tenant.id.as_str());
    let got = t.get_ok(&format!("/admin/api/apps/{}", made["id"].as_str().expect("id"))).await;
    assert_eq!(got["name"], "Second shop");
    // The new app takes sandbox charges at once.
    let mut body = charge_body(made["id"].as_str().expect("id"));
    body["amount"] = json!(100);
    assert_eq!(app.post_json("/v1/charges", &app.tenant.test_key, &body).await.status(), 200);

    let keys = t.get_ok("/admin/api/keys?mode=live").await;
    assert_eq!(keys["data"].as_array().expect("keys").len(), 1);
    assert!(keys["data"][0].get("secret").is_none(), "never the secret in a list");
    let k = t.post_ok("/admin/api/keys?mode=test", &json!({})).await;
    let secret = k["secret"].as_str().expect("shown once").to_owned();
    assert!(secret.starts_with("sk_test_"));
    assert_eq!(app.get("/v1/events", &secret).await.status(), 200, "the new key works");
    let listed = t.get_ok("/admin/api/keys?mode=test").await;
    assert!(!listed.to_string().contains(&secret), "the list shows hints only");
    let r = t.send(Method::DELETE, &format!("/admin/api/keys/{}", k["id"].as_str().expect("id")), None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json")["revoked"], true);
    assert_eq!(app.get("/v1/events", &secret).await.status(), 401, "revoked at once");

    // An operator names the tenant; without one, that is a missing parameter.
    let op = operator(&app).await;
    assert_admin_error(op.get("/admin/api/keys").await, 400, "parameter_missing").await;
    let k = op.post_ok("/admin/api/keys?mode=live", &json!({"tenant": app.tenant.id})).await;
    assert!(k["secret"].as_str().expect("secret").starts_with("sk_live_"));
}

#[tokio::test]
async fn webhook_endpoints_crud() {
    let app = spawn().await;
    let t = tenant_user(&app, &app.tenant.id).await;
    let base = format!("/admin/api/apps/{}/webhook_endpoints", app.tenant.app);
    let ep = t
        .post_ok(&format!("{base}?mode=test"), &json!({"url": "http://127.0.0.1:9/hook", "pingpp_signature": false}))
        .await;
    let id = ep["id"].as_str().expect("id").to_owned();
    assert_eq!(ep["livemode"], false);
    assert_eq!(ep["pingpp_signature"], false);
    assert!(ep["secret"].is_string());
    let list = t.get_ok(&format!("{base}?mode=test")).await;
    assert_eq!(list["data"][0]["id"], id.as_str());
    assert!(list["data"][0].get("secret").is_none());
    assert!(t.get_ok(&format!("{base}?mode=live")).await["data"].as_array().expect("data").is_empty());
    let r = t.send(Method::PUT, &format!("{base}/{id}"), Some(&json!({"disabled": true, "description": "off"}))).await;
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["status"], "disabled", "{v}");
    let rot = t.post_ok(&format!("{base}/{id}/rotate_secret"), &json!({})).await;
    assert_ne!(rot["secret"], ep["secret"]);
    let r = t.send(Method::DELETE, &format!("{base}/{id}"), None).await;
    assert_eq!(r.json::<Value>().await.expect("json")["deleted"], true);
    assert!(t.get_ok(&format!("{base}?mode=test")).await["data"].as_array().expect("data").is_empty());
    let bad = t.post(&format!("{base}?mode=test"), &json!({"url": "not a url"})).await;
    assert_admin_error(bad, 400, "parameter_invalid").await;
}

#[tokio::test]
async fn channel_configuration_is_masked() {
    let app = spawn().await;
    let t = tenant_user(&app, &app.tenant.id).await;
    let path = format!("/admin/api/apps/{}/channels", app.tenant.app);
    let list = t.get_ok(&format!("{path}?mode=test")).await;
    let data = list["data"].as_array().expect("data");
    let codes: Vec<&str> = data.iter().map(|c| c["channel"].as_str().expect("channel")).collect();
    assert_eq!(codes, vec!["sandbox", "alipay", "wx", "upacp", "apple_iap"]);
    let alipay = &data[1];
    assert_eq!(alipay["configured"], true);
    assert!(alipay["products"].as_array().expect("products").iter().any(|p| p == "alipay_qr"));
    let fp = alipay["secrets"]["app_private_key"]["fingerprint"].as_str().expect("fingerprint").to_owned();
    assert_eq!(alipay["secrets"]["app_private_key"]["set"], true);
    // No secret value anywhere in the answer.
    let (_, key) = app.sandbox_key(&app.tenant.app).await;
    let text = list.to_string();
    assert!(!text.contains("PRIVATE KEY") && !text.contains(&key), "secrets leaked: {text}");
    let live = t.get_ok(&format!("{path}?mode=live")).await;
    assert_eq!(live["data"][0]["available"], false, "no sandbox in live mode");
    assert_eq!(live["data"][1]["configured"], false);

    // Change a plain parameter: the stored private key is kept (same
    // fingerprint); replacing it changes the fingerprint, and the answer
    // still never holds it.
    let plain = json!({
        "app_id": alipay["params"]["app_id"], "seller_id": "2088000000000001",
        "alipay_public_key": alipay["params"]["alipay_public_key"],
    });
    let r = t.send(Method::PUT, &format!("{path}/alipay_qr?mode=test"), Some(&json!({"params": plain}))).await;
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["channel"], "alipay", "{v}");
    assert_eq!(v["params"]["seller_id"], "2088000000000001");
    assert_eq!(v["secrets"]["app_private_key"]["fingerprint"], fp.as_str());
    let mut replaced = plain.clone();
    replaced["app_private_key"] = json!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    let r = t.send(Method::PUT, &format!("{path}/alipay?mode=test"), Some(&json!({"params": replaced}))).await;
    let text = r.text().await.expect("text");
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["secrets"]["app_private_key"]["set"], true);
    assert_ne!(v["secrets"]["app_private_key"]["fingerprint"], fp.as_str());
    let r = t.send(Method::PUT, &format!("{path}/sandbox?mode=live"), Some(&json!({"params": {}}))).await;
    assert_admin_error(r, 400, "parameter_unsupported").await;
}

#[tokio::test]
async fn operators_manage_tenants_and_users() {
    let app = spawn().await;
    let op = operator(&app).await;
    let t = op.post_ok("/admin/api/tenants", &json!({"name": "Newco"})).await;
    let tid = t["id"].as_str().expect("id").to_owned();
    let tenants = op.get_ok("/admin/api/tenants").await;
    assert!(tenants["data"].as_array().expect("data").iter().any(|x| x["id"] == tid.as_str() && x["apps"] == 0));

    let u =
        op.post_ok("/admin/api/users", &json!({"email": "Ann@Newco.example", "role": "tenant", "tenant": tid})).await;
    assert_eq!(u["email"], "ann@newco.example", "stored lower-cased");
    let password = u["password"].as_str().expect("generated, shown once").to_owned();
    let dup = op.post("/admin/api/users", &json!({"email": "ann@newco.example", "tenant": tid})).await;
    assert_admin_error(dup, 400, "email_taken").await;
    let short =
        op.post("/admin/api/users", &json!({"email": "b@newco.example", "tenant": tid, "password": "short"})).await;
    assert_admin_error(short, 400, "parameter_invalid").await;
    let users = op.get_ok(&format!("/admin/api/users?tenant={tid}")).await;
    assert_eq!(users["data"].as_array().expect("data").len(), 1);
    assert!(users["data"][0].get("password").is_none());

    let r = login_raw(&app, "ANN@newco.example", &password).await;
    assert_eq!(r.status(), 200, "email is case-insensitive");
    let session = set_cookie(&r, "uc_session").expect("cookie").0;
    let r = op.send(Method::DELETE, &format!("/admin/api/users/{}", u["id"].as_str().expect("id")), None).await;
    assert_eq!(r.status(), 200);
    let r = app.http.get(app.url("/admin/api/session")).header("cookie", format!("uc_session={session}")).send().await;
    assert_admin_error(r.expect("get"), 401, "not_signed_in").await;
    let me = op.user["id"].as_str().expect("id").to_owned();
    let r = op.send(Method::DELETE, &format!("/admin/api/users/{me}"), None).await;
    assert_admin_error(r, 400, "parameter_invalid").await;
}

#[tokio::test]
async fn the_cli_creates_operators_and_tenant_users() {
    let app = spawn().await;
    let cmd = UserCmd::Create {
        email: "ops@example.com".into(),
        admin: true,
        tenant: None,
        password: Some(PASSWORD.into()),
        password_stdin: false,
        json: true,
    };
    run_user(&app.state, cmd).await.expect("user create --admin");
    let op = login(&app, "ops@example.com").await;
    assert_eq!(op.user["role"], "operator");
    let cmd = UserCmd::Create {
        email: "shop@example.com".into(),
        admin: false,
        tenant: Some(app.tenant.id.clone()),
        password: Some(PASSWORD.into()),
        password_stdin: false,
        json: false,
    };
    run_user(&app.state, cmd).await.expect("user create --tenant");
    let t = login(&app, "shop@example.com").await;
    assert_eq!(t.user["tenant"], app.tenant.id.as_str());
    let bad = UserCmd::Create {
        email: "x@example.com".into(),
        admin: false,
        tenant: Some("ten_nosuchtenant".into()),
        password: None,
        password_stdin: false,
        json: false,
    };
    assert!(run_user(&app.state, bad).await.is_err(), "an unknown tenant is refused");
}

#[tokio::test]
async fn the_first_start_creates_one_operator_with_a_generated_password() {
    use secrecy::ExposeSecret;
    use unicharge_server::admin::users::first_operator;
    let app = spawn().await;
    let first = first_operator(&app.state, "admin@localhost").await.expect("first").expect("created");
    assert_eq!(first.row.role, "operator");
    let password = first.generated_password.as_ref().expect("generated").expose_secret().to_owned();
    assert!(password.len() >= 20);
    let r = login_raw(&app, "admin@localhost", &password).await;
    assert_eq!(r.status(), 200);
    // A second start (or a second node) creates nothing and prints nothing.
    assert!(first_operator(&app.state, "admin@localhost").await.expect("second").is_none());
}
