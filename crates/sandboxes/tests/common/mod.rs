//! What the sandboxes' test supports share: serving an actix app on a
//! loopback port, and a notify_url receiver that records every POST and
//! answers as scripted.

#![allow(dead_code)]

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Serves `configure` on a free loopback port in the background; returns
/// `http://127.0.0.1:{port}`.
pub fn serve<F>(configure: F) -> String
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = HttpServer::new(move || App::new().configure(configure.clone()))
        .workers(2)
        .listen(listener)
        .expect("listen")
        .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}")
}

/// One POST as received.
#[derive(Clone, Debug)]
pub struct Got {
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

/// A notify_url that records each POST and answers the scripted (status,
/// body) pairs in turn, then `then`.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    pub async fn start(script: Vec<(u16, &'static str)>, then: (u16, &'static str)) -> Receiver {
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let (g, script) = (got.clone(), Arc::new(script));
        let base = serve(move |cfg: &mut web::ServiceConfig| {
            let (g, script) = (g.clone(), script.clone());
            cfg.default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (g, script) = (g.clone(), script.clone());
                async move {
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    let n = {
                        let mut v = g.lock().expect("lock");
                        v.push(Got { headers, body: String::from_utf8_lossy(&body).into_owned() });
                        v.len() - 1
                    };
                    let (status, text) = script.get(n).copied().unwrap_or(then);
                    let code = actix_web::http::StatusCode::from_u16(status).expect("status");
                    HttpResponse::build(code).body(text)
                }
            }));
        });
        Receiver { url: format!("{base}/notify"), got }
    }

    pub fn received(&self) -> Vec<Got> {
        self.got.lock().expect("lock").clone()
    }

    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Got> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "receiver got {} of {n} notifications", got.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
