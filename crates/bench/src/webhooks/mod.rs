//! The webhook scenarios: charges paid through the sandbox provider, whose
//! `charge.succeeded` webhooks come back to the bench's own receiver.

pub mod latency;
mod report;
pub mod throughput;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ACCEPT, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode, Uri};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::cli::Args;
use crate::control::Api;
use crate::pool;
use crate::receiver::Receiver;
use crate::runner::POOL_PARALLELISM;
use crate::scenario::Requests;
use crate::stats::ErrorKind;
use crate::target::Target;

pub use report::{LatencyReport, ThroughputReport};

/// A created charge and the path of its sandbox pay URL.
pub struct Payable {
    pub id: String,
    pub pay: Uri,
}

/// The receiver and its registered endpoint; `close` removes the endpoint.
pub struct Session {
    pub api: Api,
    pub receiver: Receiver,
    app: String,
    endpoint: String,
}

impl Session {
    /// Starts the receiver (answering 500 if `fail`) and registers it.
    pub async fn open(args: &Args, target: &Arc<Target>, fail: bool) -> Result<Self> {
        anyhow::ensure!(
            args.channel == "sandbox",
            "webhook scenarios pay through the sandbox provider: --channel must be sandbox (got {})",
            args.channel
        );
        let receiver = Receiver::start(args.receiver_port).await?;
        receiver.shared.set_fail(fail);
        let mut api = Api::open(target, &args.key, args.timeout).await?;
        let endpoint = api
            .create_endpoint(&args.app, &receiver.url(), !args.no_pingpp_signature)
            .await
            .context("registering the receiver")?;
        eprintln!("receiver {} registered as webhook endpoint {endpoint}", receiver.url());
        let session = Self { api, receiver, app: args.app.clone(), endpoint };
        Ok(session)
    }

    /// Other endpoints getting the same events share the dispatcher with the
    /// receiver, which skews the figures: say so.
    pub async fn warn_about_other_endpoints(&mut self) -> Result<()> {
        let others = self.api.other_subscribers(&self.app, &self.endpoint).await?;
        if !others.is_empty() {
            eprintln!(
                "warning: {} other enabled endpoint(s) of this app also receive charge.succeeded and load the \
                 dispatcher: {}",
                others.len(),
                others.join(", ")
            );
        }
        Ok(())
    }

    /// Deletes the endpoint; a failure is only reported, since the figures
    /// are already taken.
    pub async fn close(mut self) {
        if let Err(e) = self.api.delete_endpoint(&self.app, &self.endpoint).await {
            eprintln!("warning: could not delete webhook endpoint {}: {e:#}", self.endpoint);
        }
    }
}

/// Runs `body` with a session, deleting the endpoint whatever happens.
pub async fn with_session<T>(
    args: &Args,
    target: &Arc<Target>,
    fail: bool,
    body: impl AsyncFnOnce(&mut Session) -> Result<T>,
) -> Result<T> {
    let mut session = Session::open(args, target, fail).await?;
    let result = match session.warn_about_other_endpoints().await {
        Ok(()) => body(&mut session).await,
        Err(e) => Err(e),
    };
    session.close().await;
    result
}

/// Creates `n` sandbox charges (untimed) and returns where to pay them.
pub async fn create_payables(args: &Args, target: &Arc<Target>, n: u64) -> Result<(Arc<Target>, Vec<Payable>)> {
    let requests = Requests::new(target, &args.key, &args.app, &args.channel, args.amount, &mut rand::rng())?;
    let requests = Arc::new(requests);
    eprintln!("creating {n} sandbox charges (not timed)...");
    let started = std::time::Instant::now();
    let parallel = (args.connections as usize).min(POOL_PARALLELISM);
    let channel = args.channel.clone();
    let created = pool::create_many(target, &requests, n, parallel, args.timeout, "charges to pay", move |id, body| {
        Ok((id.to_owned(), pay_url(body, &channel)?))
    })
    .await?;
    eprintln!("created in {:.1}s", started.elapsed().as_secs_f64());
    pay_plan(created)
}

/// `credential.<channel>.pay_url` of a create answer.
fn pay_url(body: &[u8], channel: &str) -> Result<String> {
    let v: Value = serde_json::from_slice(body)?;
    let url = v.get("credential").and_then(|c| c.get(channel)).and_then(|c| c.get("pay_url")).and_then(Value::as_str);
    url.map(str::to_owned).with_context(|| format!("charge has no credential.{channel}.pay_url"))
}

/// The pay URLs' common origin, which must be loopback like `--base`, and
/// each URL's path and query.
fn pay_plan(created: Vec<(String, String)>) -> Result<(Arc<Target>, Vec<Payable>)> {
    let (_, first) = created.first().context("no charge was created")?;
    let first = Url::parse(first).with_context(|| format!("invalid pay_url {first}"))?;
    let origin = first.origin();
    let target = Target::resolve(&origin.ascii_serialization())
        .with_context(|| format!("cannot pay at {}", origin.ascii_serialization()))?;
    let payables = created
        .into_iter()
        .map(|(id, raw)| {
            let url = Url::parse(&raw).with_context(|| format!("invalid pay_url {raw}"))?;
            anyhow::ensure!(url.origin() == origin, "pay_url {raw} is not on {}", origin.ascii_serialization());
            let path = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
            Ok(Payable { id, pay: path.parse().with_context(|| format!("pay_url path {path}"))? })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((Arc::new(target), payables))
}

/// The buyer pressing Pay: `POST pay_url` with `result=paid`, asking for JSON.
pub struct PayRequests {
    host: HeaderValue,
}

impl PayRequests {
    pub fn new(target: &Target) -> Self {
        Self { host: target.host_header.clone() }
    }

    pub fn pay(&self, uri: &Uri) -> Result<Request<Full<Bytes>>> {
        Ok(Request::builder()
            .method(Method::POST)
            .uri(uri.clone())
            .header(HOST, self.host.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(Full::new(Bytes::from_static(b"result=paid")))?)
    }
}

#[derive(Deserialize)]
struct PayAnswer {
    status: Option<String>,
    notified: Option<bool>,
}

/// Success is 200 with `"status": "paid"` and the notification acknowledged.
pub fn check_pay(status: StatusCode, body: &[u8]) -> Result<(), ErrorKind> {
    if status != StatusCode::OK {
        return Err(ErrorKind::Status(status.as_u16()));
    }
    match serde_json::from_slice::<PayAnswer>(body) {
        Ok(PayAnswer { status: Some(s), notified }) if s == "paid" => match notified {
            Some(false) => Err(ErrorKind::NotNotified),
            _ => Ok(()),
        },
        _ => Err(ErrorKind::NotPaid),
    }
}

/// Polls until `done` holds, `stop` is raised, or nothing has changed in
/// `progress` for `stall`. Returns whether `done` held.
pub async fn wait_until(
    stop: &std::sync::atomic::AtomicBool,
    stall: Duration,
    mut progress: impl FnMut() -> u64,
    mut done: impl FnMut() -> bool,
) -> bool {
    let mut last = progress();
    let mut since = std::time::Instant::now();
    loop {
        if done() {
            return true;
        }
        if stop.load(std::sync::atomic::Ordering::Relaxed) || since.elapsed() >= stall {
            return false;
        }
        tokio::time::sleep(POLL).await;
        let now = progress();
        if now != last {
            last = now;
            since = std::time::Instant::now();
        }
    }
}

const POLL: Duration = Duration::from_millis(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pay_answers() {
        let ok = br#"{"status":"paid","trade_no":"1","notified":true}"#;
        assert_eq!(check_pay(StatusCode::OK, ok), Ok(()));
        assert_eq!(check_pay(StatusCode::OK, br#"{"status":"paid","notified":false}"#), Err(ErrorKind::NotNotified));
        assert_eq!(check_pay(StatusCode::OK, br#"{"status":"failed"}"#), Err(ErrorKind::NotPaid));
        assert_eq!(check_pay(StatusCode::OK, b"<html>"), Err(ErrorKind::NotPaid));
        assert_eq!(check_pay(StatusCode::CONFLICT, ok), Err(ErrorKind::Status(409)));
    }

    #[test]
    fn pay_urls_become_loopback_paths() -> Result<()> {
        let body = br#"{"id":"ch_1","credential":{"object":"credential",
            "sandbox":{"pay_url":"http://127.0.0.1:18950/sandbox/pay?amount=100&sign=ab"}}}"#;
        let url = pay_url(body, "sandbox")?;
        assert!(pay_url(body, "alipay").is_err());
        let (target, payables) = pay_plan(vec![("ch_1".into(), url)])?;
        assert_eq!(target.addr, "127.0.0.1:18950".parse()?);
        assert_eq!(payables[0].pay, "/sandbox/pay?amount=100&sign=ab");

        let far = "http://10.0.0.1:80/sandbox/pay?x=1".to_owned();
        assert!(pay_plan(vec![("ch_1".into(), far)]).is_err(), "non-loopback pay_url refused");
        let mixed = vec![
            ("ch_1".into(), "http://127.0.0.1:1/sandbox/pay?a=1".to_owned()),
            ("ch_2".into(), "http://127.0.0.1:2/sandbox/pay?a=1".to_owned()),
        ];
        assert!(pay_plan(mixed).is_err(), "pay_urls on two origins refused");
        Ok(())
    }

    #[tokio::test]
    async fn wait_until_gives_up_on_a_stall() {
        let stop = std::sync::atomic::AtomicBool::new(false);
        let started = std::time::Instant::now();
        assert!(!wait_until(&stop, Duration::from_millis(50), || 7, || false).await);
        assert!(started.elapsed() >= Duration::from_millis(50));
        let mut n = 0;
        assert!(
            wait_until(
                &stop,
                Duration::from_millis(50),
                || 0,
                || {
                    n += 1;
                    n > 3
                }
            )
            .await
        );
    }
}
