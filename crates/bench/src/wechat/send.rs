//! The timed phase: every worker posts the next unsent notification on its
//! own keep-alive connection as soon as the previous answer is read.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode, Uri};
use serde::Deserialize;
use tokio::task::JoinSet;

use super::{Order, CHANNEL};
use crate::cli::Args;
use crate::conn::Conn;
use crate::control::safe;
use crate::runner::{open_all, stop_on_ctrl_c};
use crate::stats::{ErrorKind, OpStats};
use crate::target::Target;

const RECONNECT_BACKOFF: Duration = Duration::from_millis(50);

/// What the timed phase did.
pub struct Sent {
    pub orders: Arc<Vec<Order>>,
    /// Per order: None if never sent, else whether it was acknowledged.
    pub acked: Vec<Option<bool>>,
    pub stats: OpStats,
    /// From the end of warmup to the last measured answer.
    pub elapsed: Duration,
    pub connections_opened: u64,
    pub interrupted: bool,
    /// Every order was sent before the measured window ended.
    pub exhausted: bool,
}

#[derive(Clone, Copy)]
struct Window {
    measure_from: Instant,
    end: Instant,
}

struct Job {
    orders: Arc<Vec<Order>>,
    next: AtomicUsize,
    uri: Uri,
    host: HeaderValue,
    timeout: Duration,
    window: Window,
}

struct WorkerOut {
    results: Vec<(usize, bool)>,
    stats: OpStats,
    last_done: Option<Instant>,
    opened: u64,
}

pub async fn run(args: &Args, target: &Arc<Target>, orders: Arc<Vec<Order>>, _threads: usize) -> Result<Sent> {
    let path = format!("{}/notify/{CHANNEL}/{}/test", target.path_prefix, safe("--app", &args.app)?);
    let conns = open_all(target, args.connections, args.timeout).await?;
    let start = Instant::now();
    let window = Window { measure_from: start + args.warmup, end: start + args.warmup + args.duration };
    let job = Arc::new(Job {
        orders: Arc::clone(&orders),
        next: AtomicUsize::new(0),
        uri: path.parse().context("notify path")?,
        host: target.host_header.clone(),
        timeout: args.timeout,
        window,
    });
    let (stop, ctrl_c) = stop_on_ctrl_c();
    eprintln!(
        "posting {} notifications over {} connections: {:.1}s warmup, then up to {:.1}s measured...",
        orders.len(),
        args.connections,
        args.warmup.as_secs_f64(),
        args.duration.as_secs_f64()
    );
    let mut workers = JoinSet::new();
    for conn in conns {
        workers.spawn(worker(conn, Arc::clone(&job), Arc::clone(&stop)));
    }
    let mut acked = vec![None; orders.len()];
    let mut stats = OpStats::new()?;
    let (mut last_done, mut opened) = (None, 0);
    while let Some(joined) = workers.join_next().await {
        let out = joined.context("a notify worker panicked")??;
        for (i, ok) in out.results {
            acked[i] = Some(ok);
        }
        stats.merge(&out.stats)?;
        last_done = last_done.max(out.last_done);
        opened += out.opened;
    }
    ctrl_c.abort();
    let exhausted = job.next.load(Ordering::Relaxed) >= orders.len() && last_done.is_some_and(|t| t < window.end);
    let elapsed = last_done.map(|t| t.saturating_duration_since(window.measure_from)).unwrap_or(Duration::ZERO);
    Ok(Sent {
        orders,
        acked,
        stats,
        elapsed,
        connections_opened: opened,
        interrupted: stop.load(Ordering::Relaxed),
        exhausted,
    })
}

fn request(job: &Job, order: &Order) -> Result<Request<Full<Bytes>>> {
    let n = &order.notification;
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(job.uri.clone())
        .header(HOST, job.host.clone())
        .header(CONTENT_TYPE, "application/json");
    for (name, value) in n.headers() {
        req = req.header(name, value);
    }
    Ok(req.body(Full::new(n.body.clone()))?)
}

async fn worker(mut conn: Conn, job: Arc<Job>, stop: Arc<AtomicBool>) -> Result<WorkerOut> {
    let mut out = WorkerOut { results: Vec::new(), stats: OpStats::new()?, last_done: None, opened: 0 };
    loop {
        if stop.load(Ordering::Relaxed) || Instant::now() >= job.window.end {
            break;
        }
        let i = job.next.fetch_add(1, Ordering::Relaxed);
        let Some(order) = job.orders.get(i) else { break };
        let req = request(&job, order)?;
        if let Err(kind) = ready(&mut conn).await {
            // Never sent: the charge stays pending and is not checked.
            if Instant::now() >= job.window.measure_from {
                out.stats.error(kind);
            }
            continue;
        }
        let started = Instant::now();
        let result = conn.exchange(req, job.timeout).await;
        let done = Instant::now();
        let verdict = result.and_then(|(status, body)| check_ack(status, &body));
        out.results.push((i, verdict.is_ok()));
        if started < job.window.measure_from {
            continue;
        }
        out.last_done = Some(done);
        match verdict {
            Ok(()) => out.stats.success(done - started),
            Err(kind) => out.stats.error(kind),
        }
    }
    out.opened = conn.opened;
    Ok(out)
}

/// The connection, reopened if the server closed it; a few tries, since a
/// notification that never left would leave its charge out of the run.
async fn ready(conn: &mut Conn) -> Result<(), ErrorKind> {
    let mut last = ErrorKind::Connect;
    for _ in 0..5 {
        match conn.ready().await {
            Ok(()) => return Ok(()),
            Err(kind) => last = kind,
        }
        tokio::time::sleep(RECONNECT_BACKOFF).await;
    }
    Err(last)
}

#[derive(Deserialize)]
struct AckBody {
    code: Option<String>,
}

/// WeChat Pay takes 200 (or 204) as "received"; Unicharge answers 200
/// `{"code":"SUCCESS"}` once the payment is recorded.
fn check_ack(status: StatusCode, body: &[u8]) -> Result<(), ErrorKind> {
    if status != StatusCode::OK {
        return Err(ErrorKind::Status(status.as_u16()));
    }
    match serde_json::from_slice::<AckBody>(body) {
        Ok(AckBody { code: Some(c) }) if c == "SUCCESS" => Ok(()),
        _ => Err(ErrorKind::NotAcked),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks() {
        assert_eq!(check_ack(StatusCode::OK, r#"{"code":"SUCCESS","message":"成功"}"#.as_bytes()), Ok(()));
        assert_eq!(check_ack(StatusCode::OK, br#"{"code":"FAIL"}"#), Err(ErrorKind::NotAcked));
        assert_eq!(check_ack(StatusCode::OK, b""), Err(ErrorKind::NotAcked));
        assert_eq!(check_ack(StatusCode::INTERNAL_SERVER_ERROR, br#"{"code":"FAIL"}"#), Err(ErrorKind::Status(500)));
    }
}
