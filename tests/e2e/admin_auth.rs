//! Admin API security: sessions (missing, expired, tampered, signed out),
//! CSRF, login CSRF, roles, and throttled failed logins.

use crate::admin_client::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use unicharge_server::admin::session::{self, Claims};
use unicharge_server::admin::users::Role;
use unicharge_tests::*;

fn payload(token: &str) -> Value {
    let mid = token.split('.').nth(1).expect("jwt payload");
    serde_json::from_slice(&B64URL.decode(mid).expect("b64")).expect("json")
}

fn with_payload(token: &str, p: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], B64URL.encode(p.to_string()), parts[2])
}

async fn get_with(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.http.get(app.url(path)).header("cookie", cookie).send().await.expect("request")
}

#[tokio::test]
async fn no_cookie_expired_or_tampered_sessions_are_refused() {
    let app = spawn().await;
    let op = operator(&app).await;
    // The valid session works, so the refusals below are about the token.
    let me = op.get_ok("/admin/api/session").await;
    assert_eq!(me["user"]["role"], "operator");
    assert_eq!(me["csrf_token"], op.csrf.as_str());

    for path in ["/admin/api/session", "/admin/api/charges", "/admin/api/overview", "/admin/api/tenants"] {
        let r = app.http.get(app.url(path)).send().await.expect("request");
        assert_admin_error(r, 401, "not_signed_in").await;
    }
    let r = app.http.post(app.url("/admin/api/tenants")).json(&json!({"name": "x"})).send().await.expect("post");
    assert_admin_error(r, 401, "not_signed_in").await;

    // Expired: the same claims, re-signed with the server's own key and an
    // exp in the past. Only the expiry is wrong.
    let mut claims: Claims = serde_json::from_value(payload(&op.session)).expect("claims");
    claims.exp = unicharge_server::auth::now() - 5;
    claims.iat = claims.exp - 60;
    let expired = session::sign(&app.state, &claims).await.expect("sign");
    let r = get_with(&app, "/admin/api/session", &format!("uc_session={expired}")).await;
    assert_admin_error(r, 401, "not_signed_in").await;

    // Tampered: a tenant user's token edited to claim another user, or the
    // signature altered.
    let t = tenant_user(&app, &app.tenant.id).await;
    let mut p = payload(&t.session);
    p["sub"] = op.user["id"].clone();
    p["role"] = json!("operator");
    p["tenant"] = Value::Null;
    let forged = with_payload(&t.session, &p);
    let r = get_with(&app, "/admin/api/tenants", &format!("uc_session={forged}")).await;
    assert_admin_error(r, 401, "not_signed_in").await;
    let mut bad_sig = t.session.clone();
    let last = bad_sig.pop().expect("char");
    bad_sig.push(if last == 'A' { 'B' } else { 'A' });
    let r = get_with(&app, "/admin/api/session", &format!("uc_session={bad_sig}")).await;
    assert_admin_error(r, 401, "not_signed_in").await;

    // alg: none, unsigned.
    let header = B64URL.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    let unsigned = format!("{header}.{}.", B64URL.encode(payload(&op.session).to_string()));
    let r = get_with(&app, "/admin/api/session", &format!("uc_session={unsigned}")).await;
    assert_admin_error(r, 401, "not_signed_in").await;

    // Garbage.
    let r = get_with(&app, "/admin/api/session", "uc_session=not.a.jwt").await;
    assert_admin_error(r, 401, "not_signed_in").await;
}

#[tokio::test]
async fn sign_out_ends_the_session_and_cookies_are_strict() {
    let app = spawn().await;
    let email = user(&app, Role::Operator).await;
    let r = login_raw(&app, &email, PASSWORD).await;
    let (_, session_cookie) = set_cookie(&r, "uc_session").expect("session cookie");
    let (_, csrf_cookie) = set_cookie(&r, "uc_csrf").expect("csrf cookie");
    assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
    assert!(session_cookie.contains("SameSite=Strict"), "{session_cookie}");
    assert!(session_cookie.contains("Max-Age=28800"), "{session_cookie}");
    assert!(!session_cookie.contains("Secure"), "plain http public URL: {session_cookie}");
    assert!(!csrf_cookie.contains("HttpOnly"), "the page must read the CSRF cookie: {csrf_cookie}");
    assert!(csrf_cookie.contains("SameSite=Strict"), "{csrf_cookie}");

    let op = login(&app, &email).await;
    let r = op.send(Method::DELETE, "/admin/api/session", None).await;
    assert_eq!(r.status(), 200);
    let cleared = set_cookie(&r, "uc_session").expect("cleared");
    assert!(cleared.1.contains("Max-Age=0"), "{}", cleared.1);
    // The old cookie, replayed, no longer works: the session row is ended.
    assert_admin_error(op.get("/admin/api/session").await, 401, "not_signed_in").await;
}

#[tokio::test]
async fn state_changes_need_the_session_csrf_token() {
    let app = spawn().await;
    let op = operator(&app).await;
    let path = "/admin/api/tenants";
    let body = json!({"name": "Csrf Co"});
    // Missing header.
    let r = app.http.post(app.url(path)).header("cookie", op.cookies()).json(&body).send().await.expect("post");
    assert_admin_error(r, 403, "csrf_failed").await;
    // Wrong header.
    let r = app
        .http
        .post(app.url(path))
        .header("cookie", op.cookies())
        .header("x-csrf-token", "0123456789")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_admin_error(r, 403, "csrf_failed").await;
    // Header and cookie agree but are an attacker's own value: the token is
    // bound to the session, so this fails too.
    let r = app
        .http
        .post(app.url(path))
        .header("cookie", format!("uc_session={}; uc_csrf=attacker", op.session))
        .header("x-csrf-token", "attacker")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_admin_error(r, 403, "csrf_failed").await;
    // DELETE is state-changing too.
    let r = app.http.delete(app.url("/admin/api/session")).header("cookie", op.cookies()).send().await.expect("delete");
    assert_admin_error(r, 403, "csrf_failed").await;
    // Nothing was created; with the token it works.
    let tenants = op.get_ok("/admin/api/tenants").await;
    assert!(tenants["data"].as_array().expect("data").iter().all(|t| t["name"] != "Csrf Co"));
    let t = op.post_ok(path, &body).await;
    assert_eq!(t["name"], "Csrf Co");
}

#[tokio::test]
async fn login_refuses_forms_and_foreign_origins() {
    let app = spawn().await;
    let email = user(&app, Role::Operator).await;
    let r = app
        .http
        .post(app.url("/admin/api/session"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .expect("form");
    assert_admin_error(r, 415, "json_required").await;
    let r = app
        .http
        .post(app.url("/admin/api/session"))
        .header("origin", "https://evil.example")
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("cross-origin");
    assert_admin_error(r, 403, "csrf_failed").await;
    let r = app
        .http
        .post(app.url("/admin/api/session"))
        .header("origin", app.base.as_str())
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("same origin");
    assert_eq!(r.status(), 200, "the server's own origin may sign in");
}

#[tokio::test]
async fn tenant_users_are_refused_operator_routes() {
    let app = spawn().await;
    let t = tenant_user(&app, &app.tenant.id).await;
    assert_admin_error(t.get("/admin/api/tenants").await, 403, "forbidden").await;
    assert_admin_error(t.get("/admin/api/users").await, 403, "forbidden").await;
    assert_admin_error(t.post("/admin/api/tenants", &json!({"name": "Mine"})).await, 403, "forbidden").await;
    let body = json!({"email": "x@example.com", "role": "operator"});
    assert_admin_error(t.post("/admin/api/users", &body).await, 403, "forbidden").await;
    let r = t.send(Method::DELETE, &format!("/admin/api/users/{}", t.user["id"].as_str().expect("id")), None).await;
    assert_admin_error(r, 403, "forbidden").await;
    // Its own session still answers, with its tenant.
    let me = t.get_ok("/admin/api/session").await;
    assert_eq!(me["user"]["role"], "tenant");
    assert_eq!(me["user"]["tenant"], app.tenant.id.as_str());
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled() {
    let app = spawn().await;
    let email = user(&app, Role::Operator).await;
    for _ in 0..5 {
        let r = login_raw(&app, &email, "wrong password").await;
        assert_admin_error(r, 401, "invalid_credentials").await;
    }
    let r = login_raw(&app, &email, "wrong password").await;
    let retry: i64 =
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=900).contains(&retry), "{retry}");
    assert_admin_error(r, 429, "too_many_attempts").await;
    // The right password does not unlock it early.
    assert_admin_error(login_raw(&app, &email, PASSWORD).await, 429, "too_many_attempts").await;
    // An unknown email answers exactly like a wrong password.
    let r = login_raw(&app, "nobody@example.com", "whatever-password").await;
    assert_admin_error(r, 401, "invalid_credentials").await;
}

#[tokio::test]
async fn failed_logins_are_throttled_per_client_ip() {
    let app = spawn().await;
    // 20 failures from this IP, each for a different email, lock the IP
    // for every email, including a real one with the right password.
    for i in 0..20 {
        let r = login_raw(&app, &format!("guess{i}@example.com"), "wrong password").await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let email = user(&app, Role::Operator).await;
    assert_admin_error(login_raw(&app, &email, PASSWORD).await, 429, "too_many_attempts").await;
}
