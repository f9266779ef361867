//! A webhook receiver for tests: a real HTTP server on a loopback port that
//! records every request and answers as scripted.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }
}

/// How to answer the n-th request (0-based); past the end, 200.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    Status(u16),
    Redirect,
    Hang(Duration),
}

#[derive(Clone, Default)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Vec<Reply>>>,
}

pub struct Receiver {
    pub url: String,
    shared: Shared,
}

async fn handle(s: web::Data<Shared>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let n = {
        let mut got = s.got.lock().expect("lock");
        got.push(Received {
            at: Instant::now(),
            headers: req
                .headers()
                .iter()
                .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned())))
                .collect(),
            body: body.to_vec(),
        });
        got.len() - 1
    };
    let reply = s.script.lock().expect("lock").get(n).copied();
    match reply {
        None | Some(Reply::Status(200)) => HttpResponse::Ok().body("received"),
        Some(Reply::Status(code)) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(code).expect("status")).body("not today")
        }
        Some(Reply::Redirect) => {
            HttpResponse::Found().insert_header(("location", "http://127.0.0.1:9/elsewhere")).finish()
        }
        Some(Reply::Hang(d)) => {
            tokio::time::sleep(d).await;
            HttpResponse::Ok().body("too late")
        }
    }
}

impl Receiver {
    pub async fn start(script: Vec<Reply>) -> Receiver {
        let shared = Shared { got: Default::default(), script: Arc::new(Mutex::new(script)) };
        let data = web::Data::new(shared.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(handle)))
            .workers(1)
            .listen(listener)
            .expect("listen")
            .run();
        tokio::spawn(server);
        Receiver { url: format!("http://127.0.0.1:{port}/hook"), shared }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.got.lock().expect("lock").clone()
    }

    /// Waits until at least `n` requests arrived, or panics after `within`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "receiver got {} of {n} webhooks", got.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
