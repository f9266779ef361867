//! Black-box test support: each test spawns a real server on a random
//! loopback port over a fresh database (SQLite file, or a new PostgreSQL
//! database when `UNICHARGE_TEST_POSTGRES` names an admin URL), then speaks
//! HTTP to it.

pub mod receiver;
pub mod sql;

use reqwest::{Client, Response};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::path::PathBuf;
use unicharge::Config;
use unicharge_domain::Mode;
use unicharge_server::{ops, AppState};

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub http: Client,
    /// The default tenant and its app.
    pub tenant: Tenant,
    pub cfg: Config,
    dir: PathBuf,
    owns_dir: bool,
}

#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: String,
    pub app: String,
    pub test_key: String,
    pub live_key: String,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn random_name(prefix: &str) -> String {
    format!("{prefix}{}", unicharge_domain::ids::random_alnum(12).to_ascii_lowercase())
}

async fn database_url(dir: &std::path::Path) -> String {
    match std::env::var("UNICHARGE_TEST_POSTGRES") {
        Ok(admin) if !admin.is_empty() => {
            use sqlx::Connection;
            let name = random_name("uc_test_");
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to PostgreSQL admin URL");
            // sqlx 0.9 wants 'static SQL; the name is ours, so leaking it is safe.
            let sql: &'static str = Box::leak(format!("CREATE DATABASE {name}").into_boxed_str());
            sqlx::Executor::execute(&mut conn, sql).await.expect("create test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin);
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}?mode=rwc", dir.join("test.sqlite").display()),
    }
}

pub fn backend_name() -> &'static str {
    match std::env::var("UNICHARGE_TEST_POSTGRES") {
        Ok(v) if !v.is_empty() => "postgres",
        _ => "sqlite",
    }
}

pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    unicharge::install_crypto_provider();
    let dir = std::env::temp_dir().join(random_name("unicharge-test-"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let db = database_url(&dir).await;
    let vars = [
        ("UNICHARGE_DATA_DIR".to_owned(), dir.display().to_string()),
        ("UNICHARGE_DATABASE_URL".to_owned(), db),
        ("UNICHARGE_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
        ("UNICHARGE_WORKERS".to_owned(), "2".to_owned()),
        ("UNICHARGE_DB_MAX_CONNECTIONS".to_owned(), "8".to_owned()),
        ("UNICHARGE_SANDBOX_TIME_SCALE".to_owned(), "1000".to_owned()),
    ];
    let mut cfg =
        Config::load_with(None, &|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).expect("config");
    tweak(&mut cfg);
    let mut app = start(cfg, listener, dir, true).await;
    app.tenant = app.new_tenant("Acme").await;
    app
}

async fn start(cfg: Config, listener: std::net::TcpListener, dir: PathBuf, owns_dir: bool) -> TestApp {
    let port = listener.local_addr().expect("addr").port();
    let state = unicharge::build_state(&cfg).await.expect("state");
    let server = unicharge_server::serve(listener, state.clone(), cfg.workers).expect("serve");
    tokio::spawn(server);
    unicharge::spawn_dispatcher(&cfg, &state).expect("dispatcher");
    let http = Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    TestApp { base: format!("http://127.0.0.1:{port}"), state, http, tenant: placeholder(), cfg, dir, owns_dir }
}

/// A second node on the same database, data directory and master key.
pub async fn spawn_peer(first: &TestApp) -> TestApp {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut cfg = first.cfg.clone();
    cfg.listen = listener.local_addr().expect("addr");
    // Its own name in leases and attempt records, as a separate process has.
    cfg.node_id = format!("{}-peer", cfg.listen.port());
    let mut peer = start(cfg, listener, first.dir.clone(), false).await;
    peer.tenant = first.tenant.clone();
    peer
}

fn placeholder() -> Tenant {
    Tenant { id: String::new(), app: String::new(), test_key: String::new(), live_key: String::new() }
}

/// A fresh order number, unique across tests sharing a database.
pub fn order_no() -> String {
    format!("o{}", unicharge_domain::ids::random_alnum(15))
}

pub fn charge_body(app: &str) -> Value {
    json!({
        "order_no": order_no(), "app": {"id": app}, "channel": "sandbox", "amount": 100,
        "client_ip": "127.0.0.1", "currency": "cny", "subject": "Test subject", "body": "Test body",
    })
}

impl TestApp {
    pub async fn new_tenant(&self, name: &str) -> Tenant {
        let t = ops::create_tenant(&self.state, name).await.expect("tenant");
        let test = ops::create_key(&self.state, &t.id, Mode::Test).await.expect("key");
        let live = ops::create_key(&self.state, &t.id, Mode::Live).await.expect("key");
        let app = ops::create_app(&self.state, &t.id, name, None).await.expect("app");
        Tenant {
            id: t.id,
            app: app.id,
            test_key: test.secret.expose_secret().to_owned(),
            live_key: live.secret.expose_secret().to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, key: &str) -> Response {
        self.http.get(self.url(path)).bearer_auth(key).send().await.expect("request")
    }

    pub async fn post_json(&self, path: &str, key: &str, body: &Value) -> Response {
        self.http.post(self.url(path)).bearer_auth(key).json(body).send().await.expect("request")
    }

    pub async fn post_form(&self, path: &str, key: &str, form: &[(&str, &str)]) -> Response {
        self.http.post(self.url(path)).basic_auth(key, Some("")).form(form).send().await.expect("request")
    }

    /// Creates a sandbox charge with the default tenant's test key.
    pub async fn charge(&self, amount: i64) -> Value {
        let mut body = charge_body(&self.tenant.app);
        body["amount"] = json!(amount);
        let r = self.post_json("/v1/charges", &self.tenant.test_key, &body).await;
        assert_eq!(r.status(), 200, "create charge");
        r.json().await.expect("json")
    }

    /// Pays (or fails) a charge on the sandbox pay page, as a buyer would.
    pub async fn pay(&self, charge: &Value, result: &str) -> Value {
        let url = charge["credential"]["sandbox"]["pay_url"].as_str().expect("pay_url");
        let r = self
            .http
            .post(url)
            .header("accept", "application/json")
            .form(&[("result", result)])
            .send()
            .await
            .expect("pay");
        assert_eq!(r.status(), 200, "sandbox pay");
        r.json().await.expect("json")
    }

    pub async fn paid_charge(&self, amount: i64) -> Value {
        let c = self.charge(amount).await;
        self.pay(&c, "paid").await;
        let id = c["id"].as_str().expect("id");
        self.get(&format!("/v1/charges/{id}"), &self.tenant.test_key).await.json().await.expect("json")
    }

    /// Events about one object, straight from the store.
    pub async fn events_for(&self, object_id: &str) -> Vec<String> {
        self.state.store.events_for_object(object_id).await.expect("events").into_iter().map(|e| e.kind).collect()
    }

    /// The sandbox merchant key of an app, as the provider issued it.
    pub async fn sandbox_key(&self, app: &str) -> (String, String) {
        let cfg = unicharge_server::channel_settings::load(
            &self.state,
            app,
            Mode::Test,
            unicharge_domain::ChannelCode::Sandbox,
        )
        .await
        .expect("load")
        .expect("configured");
        let mch = cfg.param("mch_id").expect("mch_id").to_owned();
        let key = cfg.require_secret("key").expect("key").to_owned();
        (mch, key)
    }
}

/// Asserts a Ping++ error: status, `type`, and `param` when given.
pub async fn assert_error(r: Response, status: u16, kind: &str, param: Option<&str>) -> Value {
    let got = r.status().as_u16();
    let body: Value = r.json().await.expect("error body is JSON");
    assert_eq!(got, status, "status; body: {body}");
    assert_eq!(body["error"]["type"], kind, "type; body: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "message; body: {body}");
    assert!(body["error"]["code"].is_string(), "code must be a string, never null; body: {body}");
    match param {
        Some(p) => assert_eq!(body["error"]["param"], p, "param; body: {body}"),
        None => assert!(body["error"].get("param").is_none_or(|v| v.is_string()), "param never null"),
    }
    body
}
