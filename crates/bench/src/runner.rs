//! Pool setup, the worker loop and the measurement window.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hyper::Uri;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::SeedableRng;
use tokio::task::JoinSet;

use crate::cli::{Args, Scenario};
use crate::conn::Conn;
use crate::pool;
use crate::scenario::{check, Op, Requests};
use crate::stats::{Report, RunInfo, Stats};
use crate::target::Target;

/// Pause after a failed reconnect so a down server yields a few errors per
/// worker instead of a hot loop of them.
const RECONNECT_BACKOFF: Duration = Duration::from_millis(50);
pub const POOL_PARALLELISM: usize = 32;

struct Workload {
    scenario: Scenario,
    requests: Arc<Requests>,
    pool: Vec<Uri>,
    timeout: Duration,
}

#[derive(Clone, Copy)]
struct Window {
    measure_from: Instant,
    end: Instant,
}

struct WorkerResult {
    stats: Stats,
    last_done: Option<Instant>,
    opened: u64,
}

pub async fn run(args: &Args, target: Arc<Target>, threads: usize) -> Result<Report> {
    let requests = Requests::new(&target, &args.key, &args.app, &args.channel, args.amount, &mut rand::rng())?;
    let requests = Arc::new(requests);
    let pool = if args.scenario.needs_pool() {
        eprintln!("creating a pool of {} charges (not timed)...", args.pool_size);
        let started = Instant::now();
        let parallel = (args.connections as usize).min(POOL_PARALLELISM);
        let uris = Arc::clone(&requests);
        let pool = pool::create_many(&target, &requests, args.pool_size, parallel, args.timeout, "retrieve pool", {
            move |id, _| uris.retrieve_uri(id)
        })
        .await?;
        eprintln!("pool ready in {:.1}s", started.elapsed().as_secs_f64());
        pool
    } else {
        Vec::new()
    };
    let work = Arc::new(Workload { scenario: args.scenario, requests, pool, timeout: args.timeout });

    let conns = open_all(&target, args.connections, args.timeout).await?;

    let start = Instant::now();
    let window = Window { measure_from: start + args.warmup, end: start + args.warmup + args.duration };
    let (stop, ctrl_c) = stop_on_ctrl_c();
    eprintln!(
        "running {} with {} connections: {:.1}s warmup, then {:.1}s measured...",
        args.scenario.as_str(),
        args.connections,
        args.warmup.as_secs_f64(),
        args.duration.as_secs_f64()
    );

    let mut workers = JoinSet::new();
    for (index, conn) in conns.into_iter().enumerate() {
        workers.spawn(worker(index as u64, conn, Arc::clone(&work), window, Arc::clone(&stop)));
    }
    let mut stats = Stats::new()?;
    let mut last_done: Option<Instant> = None;
    let mut opened = 0;
    while let Some(joined) = workers.join_next().await {
        let result = joined.context("a worker panicked")??;
        stats.merge(&result.stats)?;
        last_done = last_done.max(result.last_done);
        opened += result.opened;
    }
    ctrl_c.abort();

    let elapsed = last_done.map(|t| t.saturating_duration_since(window.measure_from)).unwrap_or(Duration::ZERO);
    let info = RunInfo {
        scenario: args.scenario.as_str(),
        base: target.base.clone(),
        connections: args.connections,
        threads,
        warmup: args.warmup,
        duration: args.duration,
        connections_opened: opened,
        interrupted: stop.load(Ordering::Relaxed),
    };
    Report::new(info, &stats, elapsed)
}

/// A flag Ctrl-C raises, so a run can end early and still report; abort the
/// handle once the run is over.
pub fn stop_on_ctrl_c() -> (Arc<AtomicBool>, tokio::task::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let handle = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::Relaxed);
        }
    });
    (stop, handle)
}

/// Opens every worker's connection before the clock starts, so connection
/// setup is neither in the warmup nor mistaken for server latency.
pub async fn open_all(target: &Arc<Target>, n: u32, timeout: Duration) -> Result<Vec<Conn>> {
    let mut set = JoinSet::new();
    for _ in 0..n {
        set.spawn(Conn::open(Arc::clone(target), timeout));
    }
    let mut conns = Vec::with_capacity(n as usize);
    while let Some(joined) = set.join_next().await {
        conns.push(joined.context("connect task panicked")??);
    }
    Ok(conns)
}

async fn worker(
    index: u64,
    mut conn: Conn,
    work: Arc<Workload>,
    window: Window,
    stop: Arc<AtomicBool>,
) -> Result<WorkerResult> {
    let mut stats = Stats::new()?;
    let mut rng = SmallRng::from_rng(&mut rand::rng());
    let mut last_done = None;
    // Starting each worker at its own index staggers mixed-mode creates.
    let mut seq = index;
    loop {
        if stop.load(Ordering::Relaxed) || Instant::now() >= window.end {
            break;
        }
        let op = work.scenario.op_for(seq);
        seq += 1;
        let req = match op {
            Op::Create => work.requests.create()?,
            Op::Retrieve => {
                let uri = work.pool.choose(&mut rng).context("retrieve pool is empty")?;
                work.requests.retrieve(uri)?
            }
        };
        if let Err(kind) = conn.ready().await {
            if Instant::now() >= window.measure_from {
                stats.op(op).error(kind);
            }
            tokio::time::sleep(RECONNECT_BACKOFF).await;
            continue;
        }
        let started = Instant::now();
        let result = conn.exchange(req, work.timeout).await;
        let done = Instant::now();
        if started < window.measure_from {
            continue;
        }
        last_done = Some(done);
        match result.and_then(|(status, body)| check(op, status, &body)) {
            Ok(_) => stats.op(op).success(done - started),
            Err(kind) => stats.op(op).error(kind),
        }
    }
    Ok(WorkerResult { stats, last_done, opened: conn.opened })
}
