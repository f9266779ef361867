//! `webhook-latency`: pays at a fixed open-loop rate and times each charge
//! from the pay POST (the provider's notification) to its webhook.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::task::JoinSet;

use super::report::{LatencyReport, WebhookTally};
use super::{check_pay, create_payables, wait_until, with_session, PayRequests, Payable, Session};
use crate::cli::Args;
use crate::conn::Conn;
use crate::runner::{open_all, stop_on_ctrl_c};
use crate::stats::OpStats;
use crate::target::Target;

/// Charges are created up front; beyond this the run is surely a typo.
const MAX_CHARGES: u64 = 2_000_000;
/// A send this far behind its slot counts as late.
pub const LATE: Duration = Duration::from_millis(10);
/// Workers start this long after the schedule is fixed, so the first slots
/// are not late merely because tasks were still being spawned.
const LEAD_IN: Duration = Duration::from_millis(100);
/// After a failed reconnect, so a down server is not hammered.
const RECONNECT_BACKOFF: Duration = Duration::from_millis(50);

/// The open-loop schedule: pay number `k` is due at `start + k / rate`.
#[derive(Clone, Copy)]
pub struct Schedule {
    pub start: Instant,
    pub rate: f64,
    pub measure_from: Instant,
    pub end: Instant,
}

impl Schedule {
    pub fn slot(&self, k: usize) -> Instant {
        self.start + Duration::from_secs_f64(k as f64 / self.rate)
    }
}

/// One pay that was sent.
struct Sent {
    index: usize,
    at: Instant,
    ok: bool,
    measured: bool,
}

struct WorkerOut {
    sent: Vec<Sent>,
    pays: OpStats,
    late: u64,
    max_late: Duration,
    last_done: Option<Instant>,
    opened: u64,
}

pub async fn run(args: &Args, target: Arc<Target>, threads: usize) -> Result<LatencyReport> {
    let planned = (f64::from(args.rate) * (args.warmup + args.duration).as_secs_f64()).ceil() as u64;
    anyhow::ensure!(
        planned <= MAX_CHARGES,
        "--rate × (--warmup + --duration) is {planned} pays, more than {MAX_CHARGES}"
    );
    with_session(args, &target, false, async |s: &mut Session| measure(args, &target, threads, planned, s).await).await
}

async fn measure(
    args: &Args,
    target: &Arc<Target>,
    threads: usize,
    planned: u64,
    session: &mut Session,
) -> Result<LatencyReport> {
    let (pay_target, payables) = create_payables(args, target, planned).await?;
    let payables = Arc::new(payables);
    let pay = Arc::new(PayRequests::new(&pay_target));
    let conns = open_all(&pay_target, args.connections, args.timeout).await?;

    let start = Instant::now() + LEAD_IN;
    let measure_from = start + args.warmup;
    let schedule = Schedule { start, rate: f64::from(args.rate), measure_from, end: measure_from + args.duration };
    let (stop, ctrl_c) = stop_on_ctrl_c();
    eprintln!(
        "paying {}/s over {} connections: {:.1}s warmup, then {:.1}s measured...",
        args.rate,
        args.connections,
        args.warmup.as_secs_f64(),
        args.duration.as_secs_f64()
    );
    let stride = conns.len();
    let mut workers = JoinSet::new();
    for (index, conn) in conns.into_iter().enumerate() {
        let job = Job { first: index, stride, schedule, timeout: args.timeout };
        workers.spawn(worker(job, conn, Arc::clone(&payables), Arc::clone(&pay), Arc::clone(&stop)));
    }
    let mut pays = OpStats::new()?;
    let mut sent = Vec::with_capacity(payables.len());
    let (mut late, mut max_late, mut last_done, mut opened) = (0, Duration::ZERO, None, 0);
    while let Some(joined) = workers.join_next().await {
        let out = joined.context("a pay worker panicked")??;
        pays.merge(&out.pays)?;
        sent.extend(out.sent);
        late += out.late;
        max_late = max_late.max(out.max_late);
        last_done = last_done.max(out.last_done);
        opened += out.opened;
    }

    // Every acknowledged pay is owed a webhook; wait out the grace period.
    let owed: HashMap<&str, &Sent> = sent.iter().filter(|s| s.ok).map(|s| (payables[s.index].id.as_str(), s)).collect();
    let ids: Vec<String> = owed.keys().map(|id| (*id).to_owned()).collect();
    let run_end = last_done.unwrap_or_else(Instant::now);
    let shared = &session.receiver.shared;
    eprintln!("waiting up to {:.1}s for {} webhooks...", args.grace.as_secs_f64(), ids.len());
    // Constant progress: the grace period is the only bound.
    let grace_left = (run_end + args.grace).saturating_duration_since(Instant::now());
    wait_until(&stop, grace_left, || 0, || shared.all_delivered(&ids)).await;
    ctrl_c.abort();

    let book = shared.snapshot();
    let mut webhook = OpStats::new()?;
    let mut tally = WebhookTally::default();
    for (id, s) in &owed {
        let a = book.get(*id);
        if let Some(a) = a {
            tally.duplicates += u64::from(a.ok.saturating_sub(1));
        }
        if !s.measured {
            continue;
        }
        tally.expected += 1;
        match a.and_then(|a| a.first_ok) {
            Some(at) => webhook.success(at.saturating_duration_since(s.at)),
            None => tally.missing += 1,
        }
    }
    let paid: std::collections::HashSet<&str> = sent.iter().map(|s| payables[s.index].id.as_str()).collect();
    tally.unexpected = book.iter().filter(|(id, a)| a.ok > 0 && !paid.contains(id.as_str())).count() as u64;
    tally.received = tally.expected - tally.missing;

    let elapsed = last_done.map(|t| t.saturating_duration_since(measure_from)).unwrap_or(Duration::ZERO);
    Ok(LatencyReport {
        base: target.base.clone(),
        connections: args.connections,
        threads,
        warmup: args.warmup,
        duration: args.duration,
        rate: args.rate,
        grace: args.grace,
        receiver: session.receiver.addr,
        elapsed,
        interrupted: stop.load(Ordering::Relaxed),
        connections_opened: opened,
        pays: pays.summary(elapsed),
        late,
        max_late,
        webhook: webhook.percentiles(),
        tally,
    })
}

#[derive(Clone, Copy)]
struct Job {
    /// This worker takes pays `first`, `first + stride`, ...
    first: usize,
    stride: usize,
    schedule: Schedule,
    timeout: Duration,
}

async fn worker(
    job: Job,
    mut conn: Conn,
    payables: Arc<Vec<Payable>>,
    pay: Arc<PayRequests>,
    stop: Arc<AtomicBool>,
) -> Result<WorkerOut> {
    let mut out = WorkerOut {
        sent: Vec::new(),
        pays: OpStats::new()?,
        late: 0,
        max_late: Duration::ZERO,
        last_done: None,
        opened: 0,
    };
    let sched = job.schedule;
    let mut k = job.first;
    while let Some(p) = payables.get(k) {
        let slot = sched.slot(k);
        if slot >= sched.end || stop.load(Ordering::Relaxed) {
            break;
        }
        tokio::time::sleep_until(slot.into()).await;
        let measured = slot >= sched.measure_from;
        let req = pay.pay(&p.pay)?;
        if let Err(kind) = conn.ready().await {
            if measured {
                out.pays.error(kind);
            }
            tokio::time::sleep(RECONNECT_BACKOFF).await;
            k += job.stride;
            continue;
        }
        let at = Instant::now();
        let result = conn.exchange(req, job.timeout).await;
        let done = Instant::now();
        let ok = match result.and_then(|(status, body)| check_pay(status, &body)) {
            Ok(()) => {
                if measured {
                    out.pays.success(done - at);
                }
                true
            }
            Err(kind) => {
                if measured {
                    out.pays.error(kind);
                }
                false
            }
        };
        if measured {
            let behind = at.saturating_duration_since(slot);
            out.late += u64::from(behind > LATE);
            out.max_late = out.max_late.max(behind);
            out.last_done = Some(done);
        }
        out.sent.push(Sent { index: k, at, ok, measured });
        k += job.stride;
    }
    out.opened = conn.opened;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_spread_the_rate() {
        let start = Instant::now();
        let s = Schedule { start, rate: 500.0, measure_from: start, end: start + Duration::from_secs(1) };
        assert_eq!(s.slot(0), start);
        assert_eq!(s.slot(1) - start, Duration::from_millis(2));
        assert_eq!(s.slot(500) - start, Duration::from_secs(1));
        // Worker i of 64 takes every 64th slot: 128 ms apart at 500/s.
        assert_eq!(s.slot(64 + 3) - s.slot(3), Duration::from_millis(128));
    }
}
