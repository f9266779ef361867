//! A dashboard client for the admin API tests: signs in with email and
//! password, then sends the session cookie and the CSRF token the way the
//! browser page does.

use reqwest::{Method, Response};
use serde_json::{json, Value};
use unicharge_server::admin::users::{create_user, Role};
use unicharge_tests::TestApp;

pub const PASSWORD: &str = "correct horse battery";

pub struct Admin<'a> {
    pub app: &'a TestApp,
    pub session: String,
    pub csrf: String,
    pub user: Value,
}

/// Creates a user directly (as the CLI does) and returns its email.
pub async fn user(app: &TestApp, role: Role) -> String {
    let email = format!("{}@example.com", unicharge_domain::ids::random_alnum(10).to_lowercase());
    create_user(&app.state, &email, role, Some(PASSWORD.to_owned().into())).await.expect("create user");
    email
}

pub async fn login_raw(app: &TestApp, email: &str, password: &str) -> Response {
    app.http
        .post(app.url("/admin/api/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login")
}

/// The value of one `Set-Cookie` of the response.
pub fn set_cookie(r: &Response, name: &str) -> Option<(String, String)> {
    r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
        let (kv, _) = c.split_once(';').unwrap_or((c, ""));
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| (v.to_owned(), c.to_owned()))
    })
}

pub async fn login<'a>(app: &'a TestApp, email: &str) -> Admin<'a> {
    let r = login_raw(app, email, PASSWORD).await;
    assert_eq!(r.status(), 200, "login");
    let session = set_cookie(&r, "uc_session").expect("session cookie").0;
    let csrf = set_cookie(&r, "uc_csrf").expect("csrf cookie").0;
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["csrf_token"], csrf.as_str(), "the token in the body is the cookie's");
    Admin { app, session, csrf, user: body["user"].clone() }
}

pub async fn operator(app: &TestApp) -> Admin<'_> {
    let email = user(app, Role::Operator).await;
    login(app, &email).await
}

pub async fn tenant_user<'a>(app: &'a TestApp, tenant: &str) -> Admin<'a> {
    let email = user(app, Role::Tenant(tenant.to_owned())).await;
    login(app, &email).await
}

impl Admin<'_> {
    pub fn cookies(&self) -> String {
        format!("uc_session={}; uc_csrf={}", self.session, self.csrf)
    }

    /// A request with the session cookie and, unless it is a GET, the CSRF header.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut rq = self.app.http.request(method.clone(), self.app.url(path)).header("cookie", self.cookies());
        if method != Method::GET {
            rq = rq.header("x-csrf-token", &self.csrf);
        }
        if let Some(b) = body {
            rq = rq.json(b);
        }
        rq.send().await.expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    pub async fn get_ok(&self, path: &str) -> Value {
        let r = self.get(path).await;
        let status = r.status();
        let v: Value = r.json().await.expect("json");
        assert_eq!(status, 200, "GET {path}: {v}");
        v
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn post_ok(&self, path: &str, body: &Value) -> Value {
        let r = self.post(path, body).await;
        let status = r.status();
        let v: Value = r.json().await.expect("json");
        assert_eq!(status, 200, "POST {path}: {v}");
        v
    }
}

/// The admin error shape, with its code.
pub async fn assert_admin_error(r: Response, status: u16, code: &str) -> Value {
    let got = r.status().as_u16();
    let body: Value = r.json().await.expect("error body is JSON");
    assert_eq!(got, status, "status; body: {body}");
    assert_eq!(body["error"]["code"], code, "code; body: {body}");
    assert!(body["error"]["type"].is_string(), "type; body: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "message; body: {body}");
    body
}
