mod cli;
mod conn;
mod runner;
mod scenario;
mod stats;
mod target;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;

use crate::cli::Args;
use crate::target::Target;

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
    let report = runtime.block_on(runner::run(&args, target, threads))?;

    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.to_table());
    }

    let total = &report.total;
    if total.requests == 0 {
        eprintln!("no request completed in the measured window");
        return Ok(ExitCode::from(2));
    }
    if total.error_rate() > MAX_ERROR_RATE {
        eprintln!("{:.2}% of requests failed (limit {:.0}%)", total.error_rate() * 100.0, MAX_ERROR_RATE * 100.0);
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
