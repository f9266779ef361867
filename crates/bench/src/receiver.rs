//! The webhook receiver the webhook scenarios point the server at: an
//! HTTP/1.1 server on 127.0.0.1 that answers at once (200, or 500 in fail
//! mode) and books, per charge, when its `charge.succeeded` webhook arrived.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// The event type the scenarios subscribe to and count.
pub const EVENT_TYPE: &str = "charge.succeeded";
/// Webhook bodies are a few KiB; anything far larger is not one.
const MAX_BODY: usize = 1 << 20;

/// What the receiver saw for one charge.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    /// First delivery answered 200 (headers received).
    pub first_ok: Option<Instant>,
    /// Deliveries answered 200; more than one is a duplicate.
    pub ok: u32,
    /// Deliveries answered 500 (fail mode).
    pub failed: u32,
}

#[derive(Default)]
pub struct Counters {
    /// Every request, webhook or not.
    pub requests: AtomicU64,
    pub answered_ok: AtomicU64,
    pub answered_fail: AtomicU64,
    /// Charges whose first 200-answered delivery has arrived.
    pub charges_ok: AtomicU64,
    /// Not a parseable `charge.succeeded` webhook (still answered).
    pub malformed: AtomicU64,
}

pub struct Shared {
    fail: AtomicBool,
    pub counters: Counters,
    book: Mutex<HashMap<String, Arrival>>,
}

impl Shared {
    fn new() -> Self {
        Self { fail: AtomicBool::new(false), counters: Counters::default(), book: Mutex::new(HashMap::new()) }
    }

    /// A panicking holder cannot leave the map half-updated (each update is
    /// one insert or field bump), so a poisoned lock is still usable.
    fn book(&self) -> MutexGuard<'_, HashMap<String, Arrival>> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Books one webhook; returns the status to answer.
    fn record(&self, at: Instant, charge: Option<String>, fail: bool) -> StatusCode {
        let c = &self.counters;
        c.requests.fetch_add(1, Ordering::Relaxed);
        let status = if fail { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
        let Some(charge) = charge else {
            c.malformed.fetch_add(1, Ordering::Relaxed);
            return status;
        };
        let mut book = self.book();
        let a = book.entry(charge).or_insert(Arrival { first_ok: None, ok: 0, failed: 0 });
        if fail {
            a.failed += 1;
            c.answered_fail.fetch_add(1, Ordering::Relaxed);
        } else {
            a.ok += 1;
            if a.first_ok.is_none() {
                a.first_ok = Some(at);
                c.charges_ok.fetch_add(1, Ordering::Relaxed);
            }
            c.answered_ok.fetch_add(1, Ordering::Relaxed);
        }
        status
    }

    pub fn set_fail(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }

    pub fn snapshot(&self) -> HashMap<String, Arrival> {
        self.book().clone()
    }

    /// Charges among `ids` that have had a 200-answered delivery.
    pub fn delivered_among<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> usize {
        let book = self.book();
        ids.into_iter().filter(|id| book.get(*id).is_some_and(|a| a.ok > 0)).count()
    }

    /// Whether every charge in `ids` has had a 200-answered delivery. Cheap
    /// to poll: the exact check, which holds the lock the receiver books
    /// under, only runs once enough charges have been delivered.
    pub fn all_delivered(&self, ids: &[String]) -> bool {
        self.counters.charges_ok.load(Ordering::Relaxed) >= ids.len() as u64 && self.delivered_among(ids) == ids.len()
    }
}

#[derive(Deserialize)]
struct Hook {
    #[serde(rename = "type")]
    kind: String,
    data: HookData,
}

#[derive(Deserialize)]
struct HookData {
    object: HookObject,
}

#[derive(Deserialize)]
struct HookObject {
    id: String,
}

/// The charge id of a `charge.succeeded` webhook body, if it is one.
pub fn charge_of(body: &[u8]) -> Option<String> {
    let hook: Hook = serde_json::from_slice(body).ok()?;
    (hook.kind == EVENT_TYPE).then_some(hook.data.object.id)
}

pub struct Receiver {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Receiver {
    /// Listens on 127.0.0.1 (`port` 0 picks a free one).
    pub async fn start(port: u16) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("cannot start the webhook receiver on 127.0.0.1:{port}"))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new());
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(Self { addr, shared, accept })
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }
}

impl Drop for Receiver {
    /// Aborting the accept loop drops its `JoinSet`, which closes every
    /// connection it served.
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut conns = JoinSet::new();
    loop {
        // Reap finished connections so the set does not grow without bound.
        while conns.try_join_next().is_some() {}
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors and the like: back off briefly.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        conns.spawn(async move {
            let service = service_fn(move |req| handle(Arc::clone(&shared), req));
            // A dispatcher closing its pooled connection is no event.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Headers are in: this is the arrival time. The mode is read now so a
    // switch mid-body does not split one delivery's bookkeeping.
    let at = Instant::now();
    let fail = shared.fail.load(Ordering::SeqCst);
    let charge = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(body) => charge_of(&body.to_bytes()),
        Err(_) => None,
    };
    let status = shared.record(at, charge, fail);
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = status;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_charge_succeeded_webhooks_only() {
        let body = br#"{"id":"evt_1","object":"event","type":"charge.succeeded",
            "data":{"object":{"id":"ch_abc","object":"charge","paid":true}},"pending_webhooks":1}"#;
        assert_eq!(charge_of(body), Some("ch_abc".into()));
        let other = br#"{"type":"refund.succeeded","data":{"object":{"id":"re_1"}}}"#;
        assert_eq!(charge_of(other), None);
        assert_eq!(charge_of(b"not json"), None);
        assert_eq!(charge_of(br#"{"type":"charge.succeeded","data":{}}"#), None);
    }

    #[test]
    fn books_first_ok_and_duplicates() {
        let s = Shared::new();
        let t0 = Instant::now();
        assert_eq!(s.record(t0, Some("ch_1".into()), true), StatusCode::INTERNAL_SERVER_ERROR);
        let t1 = Instant::now();
        assert_eq!(s.record(t1, Some("ch_1".into()), false), StatusCode::OK);
        s.record(Instant::now(), Some("ch_1".into()), false);
        s.record(Instant::now(), None, false);
        let book = s.snapshot();
        let a = book.get("ch_1").expect("booked");
        assert_eq!((a.ok, a.failed), (2, 1));
        assert_eq!(a.first_ok, Some(t1));
        assert_eq!(s.counters.requests.load(Ordering::Relaxed), 4);
        assert_eq!(s.counters.malformed.load(Ordering::Relaxed), 1);
        let ids = vec!["ch_1".to_owned(), "ch_2".to_owned()];
        assert_eq!(s.delivered_among(&ids), 1);
        assert!(!s.all_delivered(&ids));
        assert!(s.all_delivered(&ids[..1]));
        assert_eq!(s.counters.charges_ok.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn answers_over_http_and_switches_mode() -> Result<()> {
        let rx = Receiver::start(0).await?;
        let body = r#"{"type":"charge.succeeded","data":{"object":{"id":"ch_x"}}}"#;
        let post = |body: &'static str| {
            let addr = rx.addr;
            async move {
                let stream = tokio::net::TcpStream::connect(addr).await?;
                let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                tokio::spawn(conn);
                let req = Request::post("/hook").header("host", "x").body(Full::new(Bytes::from(body)))?;
                Ok::<_, anyhow::Error>(send.send_request(req).await?.status())
            }
        };
        assert_eq!(post(body).await?, StatusCode::OK);
        rx.shared.set_fail(true);
        assert_eq!(post(body).await?, StatusCode::INTERNAL_SERVER_ERROR);
        let a = rx.shared.snapshot().get("ch_x").copied().expect("booked");
        assert_eq!((a.ok, a.failed), (1, 1));
        Ok(())
    }
}
