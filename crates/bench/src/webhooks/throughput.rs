//! `webhook-throughput`: builds a backlog of failed deliveries (receiver
//! answering 500, server retrying once), then switches the receiver to 200,
//! calls `resend_failed` and times how fast the backlog drains.
//!
//! A server that stops attempting a failing endpoint (a circuit breaker)
//! never lets the deliveries fail; they stay pending, held back. The run
//! then measures that held backlog's drain once the server resumes.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use tokio::task::JoinSet;

use super::report::{BacklogMode, Drain, ThroughputReport};
use super::{check_pay, create_payables, wait_until, with_session, PayRequests, Payable, Session};
use crate::cli::Args;
use crate::conn::Conn;
use crate::runner::{open_all, stop_on_ctrl_c};
use crate::stats::OpStats;
use crate::target::Target;

/// After the last expected failing attempt, time for the server to record
/// it (the delivery turns `failed` only once that write commits).
const SETTLE: Duration = Duration::from_secs(2);
/// Attempts per delivery with `UNICHARGE_WEBHOOK_SCHEDULE=1s`.
const ATTEMPTS: u64 = 2;
/// How long a held backlog may take to start draining: Unicharge's
/// per-endpoint circuit breaker stays open 30 s.
const FIRST_DELIVERY_WAIT: Duration = Duration::from_secs(45);

pub async fn run(args: &Args, target: Arc<Target>, threads: usize) -> Result<ThroughputReport> {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).context("system clock before 1970")?.as_secs() as i64;
    with_session(args, &target, true, async |s: &mut Session| measure(args, &target, threads, since, s).await).await
}

async fn measure(
    args: &Args,
    target: &Arc<Target>,
    threads: usize,
    since: i64,
    session: &mut Session,
) -> Result<ThroughputReport> {
    let created_at = Instant::now();
    let (pay_target, payables) = create_payables(args, target, args.events).await?;
    let create_time = created_at.elapsed();
    let (stop, ctrl_c) = stop_on_ctrl_c();
    let result = phases(args, since, &pay_target, payables, session, &stop).await;
    ctrl_c.abort();
    let p = result?;
    Ok(ThroughputReport {
        base: target.base.clone(),
        connections: args.connections,
        threads,
        events: args.events,
        receiver: session.receiver.addr,
        interrupted: stop.load(Ordering::Relaxed),
        create_time,
        pays: p.pays.summary(p.pay_time),
        pay_time: p.pay_time,
        connections_opened: p.opened,
        mode: p.mode,
        failing_attempts: p.failing_attempts,
        backlog_time: p.backlog_time,
        resent: p.resent,
        resend_call: p.resend_call,
        drain: p.drain,
    })
}

struct Phases {
    pays: OpStats,
    pay_time: Duration,
    opened: u64,
    mode: BacklogMode,
    failing_attempts: u64,
    backlog_time: Duration,
    resent: u64,
    resend_call: Duration,
    drain: Drain,
}

async fn phases(
    args: &Args,
    since: i64,
    pay_target: &Arc<Target>,
    payables: Vec<Payable>,
    session: &mut Session,
    stop: &Arc<AtomicBool>,
) -> Result<Phases> {
    let shared = Arc::clone(&session.receiver.shared);
    let c = &shared.counters;

    eprintln!("paying {} charges as fast as possible; the receiver answers 500...", payables.len());
    let payables = Arc::new(payables);
    let started = Instant::now();
    let (pays, paid, opened) = pay_all(args, pay_target, &payables, stop).await?;
    let pay_time = started.elapsed();
    eprintln!("paid {} in {:.1}s", paid.len(), pay_time.as_secs_f64());

    let want = ATTEMPTS * paid.len() as u64;
    eprintln!("waiting for {want} failing attempts (2 per charge: UNICHARGE_WEBHOOK_SCHEDULE=1s)...");
    let failed = || c.answered_fail.load(Ordering::Relaxed);
    let reached = wait_until(stop, args.stall, || c.requests.load(Ordering::Relaxed), || failed() >= want).await;
    let backlog_time = started.elapsed();
    let mode = if reached {
        tokio::time::sleep(SETTLE).await;
        BacklogMode::Failed
    } else {
        if !stop.load(Ordering::Relaxed) {
            eprintln!(
                "the server stopped attempting after {} of the {want} failing attempts expected (nothing for \
                 {:.0}s): it is holding the deliveries back, as a per-endpoint circuit breaker does (or its retry \
                 schedule is not 1s). Measuring the drain of that held backlog instead, from the first delivery on",
                failed(),
                args.stall.as_secs_f64()
            );
        }
        BacklogMode::Held
    };
    let failing_attempts = failed();
    if failing_attempts > want {
        eprintln!(
            "warning: {failing_attempts} failing attempts for {} charges: the server retries more than once, so \
             some deliveries were still pending at resend time (use UNICHARGE_WEBHOOK_SCHEDULE=1s)",
            paid.len()
        );
    }

    shared.set_fail(false);
    let t0 = Instant::now();
    let (resent, resend_call) = if stop.load(Ordering::Relaxed) {
        (0, Duration::ZERO)
    } else {
        let resent = session.api.resend_failed(&args.app, since).await?;
        (resent, t0.elapsed())
    };
    eprintln!("resend_failed queued {resent} in {:.0} ms; draining...", resend_call.as_secs_f64() * 1000.0);
    if mode == BacklogMode::Failed && resent < paid.len() as u64 {
        eprintln!("warning: only {resent} of {} deliveries were failed at resend time", paid.len());
    }
    let ok = || c.answered_ok.load(Ordering::Relaxed);
    // A held backlog waits for the server to resume (a circuit breaker
    // half-opens after its open period); only then does stall detection run.
    wait_until(stop, args.stall.max(FIRST_DELIVERY_WAIT), || 0, || ok() > 0).await;
    wait_until(stop, args.stall, ok, || shared.all_delivered(&paid)).await;

    let drain = Drain::tally(&shared.snapshot(), &paid, t0);
    Ok(Phases { pays, pay_time, opened, mode, failing_attempts, backlog_time, resent, resend_call, drain })
}

/// Pays every charge, closed loop over `--connections` connections; returns
/// the pay stats, the ids of acknowledged pays and connections opened.
async fn pay_all(
    args: &Args,
    pay_target: &Arc<Target>,
    payables: &Arc<Vec<Payable>>,
    stop: &Arc<AtomicBool>,
) -> Result<(OpStats, Vec<String>, u64)> {
    let conns = open_all(pay_target, args.connections, args.timeout).await?;
    let pay = Arc::new(PayRequests::new(pay_target));
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for conn in conns {
        let (payables, pay, next, stop) = (Arc::clone(payables), Arc::clone(&pay), Arc::clone(&next), Arc::clone(stop));
        let timeout = args.timeout;
        workers.spawn(pay_worker(conn, payables, pay, next, stop, timeout));
    }
    let mut stats = OpStats::new()?;
    let mut paid = Vec::with_capacity(payables.len());
    let mut opened = 0;
    while let Some(joined) = workers.join_next().await {
        let (s, ids, o) = joined.context("a pay worker panicked")??;
        stats.merge(&s)?;
        paid.extend(ids);
        opened += o;
    }
    Ok((stats, paid, opened))
}

async fn pay_worker(
    mut conn: Conn,
    payables: Arc<Vec<Payable>>,
    pay: Arc<PayRequests>,
    next: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    timeout: Duration,
) -> Result<(OpStats, Vec<String>, u64)> {
    let mut stats = OpStats::new()?;
    let mut paid = Vec::new();
    while let Some(p) = payables.get(next.fetch_add(1, Ordering::Relaxed)) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let req = pay.pay(&p.pay)?;
        if let Err(kind) = conn.ready().await {
            stats.error(kind);
            continue;
        }
        let at = Instant::now();
        match conn.exchange(req, timeout).await.and_then(|(status, body)| check_pay(status, &body)) {
            Ok(()) => {
                stats.success(at.elapsed());
                paid.push(p.id.clone());
            }
            Err(kind) => stats.error(kind),
        }
    }
    Ok((stats, paid, conn.opened))
}
