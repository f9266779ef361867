mod cli;
mod conn;
mod control;
mod pool;
mod receiver;
mod runner;
mod scenario;
mod stats;
mod target;
mod webhooks;
mod wechat;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;

use crate::cli::{Args, Scenario};
use crate::stats::Report;
use crate::target::Target;
use crate::webhooks::{LatencyReport, ThroughputReport};
use crate::wechat::NotifyReport;

/// Above this share of failed requests the run's figures are not publishable.
const MAX_ERROR_RATE: f64 = 0.01;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            // `{:#}` prints the cause chain on one line without the backtrace
            // that anyhow's Debug adds whenever RUST_BACKTRACE is set.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    // Both rustls providers are compiled into the workspace, so rustls cannot
    // pick one itself; an Err only means one is already installed.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();

    let args = Args::parse();
    anyhow::ensure!(!args.duration.is_zero(), "--duration must be greater than zero");
    let target = Arc::new(Target::resolve(&args.base)?);
    let threads = match args.threads {
        Some(n) => n as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let output = runtime.block_on(async {
        match args.scenario {
            Scenario::WebhookLatency => webhooks::latency::run(&args, target, threads).await.map(Output::Latency),
            Scenario::WebhookThroughput => {
                webhooks::throughput::run(&args, target, threads).await.map(Output::Throughput)
            }
            Scenario::WechatNotify => wechat::run(&args, target, threads).await.map(Output::Wechat),
            Scenario::Create | Scenario::Retrieve | Scenario::Mixed => {
                runner::run(&args, target, threads).await.map(Output::Load)
            }
        }
    })?;

    if args.json {
        println!("{}", serde_json::to_string_pretty(&output.to_json())?);
    } else {
        print!("{}", output.to_table());
    }
    match output.problem() {
        Some(problem) => {
            eprintln!("{problem}");
            Ok(ExitCode::from(2))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

enum Output {
    Load(Report),
    Latency(LatencyReport),
    Throughput(ThroughputReport),
    Wechat(NotifyReport),
}

impl Output {
    fn to_json(&self) -> serde_json::Value {
        match self {
            Output::Load(r) => r.to_json(),
            Output::Latency(r) => r.to_json(),
            Output::Throughput(r) => r.to_json(),
            Output::Wechat(r) => r.to_json(),
        }
    }

    fn to_table(&self) -> String {
        match self {
            Output::Load(r) => r.to_table(),
            Output::Latency(r) => r.to_table(),
            Output::Throughput(r) => r.to_table(),
            Output::Wechat(r) => r.to_table(),
        }
    }

    /// Why the report is not publishable (exit status 2), if it is not.
    fn problem(&self) -> Option<String> {
        match self {
            Output::Load(r) => load_problem(r),
            Output::Latency(r) => r.problem(),
            Output::Throughput(r) => r.problem(),
            Output::Wechat(r) => r.problem(),
        }
    }
}

fn load_problem(report: &Report) -> Option<String> {
    let total = &report.total;
    if total.requests == 0 {
        return Some("no request completed in the measured window".into());
    }
    (total.error_rate() > MAX_ERROR_RATE).then(|| {
        format!("{:.2}% of requests failed (limit {:.0}%)", total.error_rate() * 100.0, MAX_ERROR_RATE * 100.0)
    })
}
