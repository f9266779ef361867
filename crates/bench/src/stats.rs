//! Latency histograms, error tallies and the final report.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use anyhow::Result;
use hdrhistogram::Histogram;
use serde_json::{json, Value};

use crate::scenario::Op;

/// Why a request did not count as a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    /// Any HTTP status but 200.
    Status(u16),
    /// 200, but the body was not a JSON charge.
    NotACharge,
    /// A sandbox pay answer without `"status": "paid"`.
    NotPaid,
    /// Paid, but the server did not acknowledge the provider's notification
    /// (`"notified": false`), so no webhook is due yet.
    NotNotified,
    /// A WeChat Pay notification answered 200 without `"code": "SUCCESS"`.
    NotAcked,
    /// The response could not be parsed as HTTP.
    BadResponse,
    /// The server closed the connection mid-exchange.
    Closed,
    /// (Re)connecting failed.
    Connect,
    Timeout,
    Io,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Status(code) => write!(f, "status {code}"),
            ErrorKind::NotACharge => f.write_str("not a charge"),
            ErrorKind::NotPaid => f.write_str("not paid"),
            ErrorKind::NotNotified => f.write_str("notify not acked"),
            ErrorKind::NotAcked => f.write_str("not SUCCESS"),
            ErrorKind::BadResponse => f.write_str("bad response"),
            ErrorKind::Closed => f.write_str("connection closed"),
            ErrorKind::Connect => f.write_str("connect"),
            ErrorKind::Timeout => f.write_str("timeout"),
            ErrorKind::Io => f.write_str("io"),
        }
    }
}

/// Microseconds; one hour is far beyond any deadline the client allows.
const HIGHEST_US: u64 = 3_600_000_000;

pub struct OpStats {
    latency_us: Histogram<u64>,
    errors: BTreeMap<ErrorKind, u64>,
}

impl OpStats {
    pub fn new() -> Result<Self> {
        Ok(Self { latency_us: Histogram::new_with_bounds(1, HIGHEST_US, 3)?, errors: BTreeMap::new() })
    }

    pub fn success(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_us.saturating_record(us.max(1));
    }

    pub fn error(&mut self, kind: ErrorKind) {
        *self.errors.entry(kind).or_default() += 1;
    }

    pub fn merge(&mut self, other: &OpStats) -> Result<()> {
        self.latency_us.add(&other.latency_us)?;
        for (kind, n) in &other.errors {
            *self.errors.entry(*kind).or_default() += n;
        }
        Ok(())
    }

    pub fn successes(&self) -> u64 {
        self.latency_us.len()
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn requests(&self) -> u64 {
        self.successes() + self.error_count()
    }

    pub fn percentiles(&self) -> Percentiles {
        let ms = |us: u64| us as f64 / 1000.0;
        let h = &self.latency_us;
        Percentiles {
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }

    pub fn summary(&self, elapsed: Duration) -> Summary {
        Summary {
            requests: self.requests(),
            successes: self.successes(),
            errors: self.errors.clone(),
            throughput: self.successes() as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
            latency: self.percentiles(),
        }
    }
}

/// Per-operation tallies of one worker, or of all workers once merged.
pub struct Stats {
    ops: [OpStats; 2],
}

impl Stats {
    pub fn new() -> Result<Self> {
        Ok(Self { ops: [OpStats::new()?, OpStats::new()?] })
    }

    pub fn op(&mut self, op: Op) -> &mut OpStats {
        &mut self.ops[op.index()]
    }

    pub fn merge(&mut self, other: &Stats) -> Result<()> {
        for (mine, theirs) in self.ops.iter_mut().zip(&other.ops) {
            mine.merge(theirs)?;
        }
        Ok(())
    }
}

/// Latency in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Percentiles {
    pub fn to_json(self) -> Value {
        json!({
            "p50": round(self.p50, 3),
            "p90": round(self.p90, 3),
            "p99": round(self.p99, 3),
            "p99_9": round(self.p999, 3),
            "max": round(self.max, 3),
        })
    }
}

pub struct Summary {
    pub requests: u64,
    pub successes: u64,
    pub errors: BTreeMap<ErrorKind, u64>,
    /// Successful requests per second: failures do not inflate it.
    pub throughput: f64,
    pub latency: Percentiles,
}

impl Summary {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.error_count() as f64 / self.requests as f64
        }
    }

    pub fn to_json(&self) -> Value {
        let by_kind: serde_json::Map<String, Value> =
            self.errors.iter().map(|(k, n)| (k.to_string(), json!(n))).collect();
        json!({
            "requests": self.requests,
            "successes": self.successes,
            "errors": {"total": self.error_count(), "by_kind": by_kind},
            "error_rate": round(self.error_rate(), 6),
            "throughput_rps": round(self.throughput, 1),
            "latency_ms": self.latency.to_json(),
        })
    }
}

pub fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Everything printed at the end of a run.
pub struct Report {
    pub info: RunInfo,
    /// From the end of warmup to the last measured response.
    pub elapsed: Duration,
    pub total: Summary,
    pub ops: Vec<(Op, Summary)>,
}

impl Report {
    pub fn new(info: RunInfo, stats: &Stats, elapsed: Duration) -> Result<Self> {
        let mut all = OpStats::new()?;
        let mut ops = Vec::new();
        for op in Op::ALL {
            let s = &stats.ops[op.index()];
            all.merge(s)?;
            if s.requests() > 0 {
                ops.push((op, s.summary(elapsed)));
            }
        }
        Ok(Self { info, elapsed, total: all.summary(elapsed), ops })
    }

    pub fn to_json(&self) -> Value {
        let mut v = self.info.to_json(self.elapsed);
        if let (Value::Object(out), Value::Object(total)) = (&mut v, self.total.to_json()) {
            out.extend(total);
            let ops: serde_json::Map<String, Value> =
                self.ops.iter().map(|(op, s)| (op.as_str().to_owned(), s.to_json())).collect();
            out.insert("operations".into(), Value::Object(ops));
        }
        v
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let interrupted = if self.info.interrupted { "  (interrupted)" } else { "" };
        out.push_str(&format!(
            "scenario {}  base {}  connections {}  threads {}\n\
             measured {:.2}s after {:.1}s warmup{}  connections opened {}\n\n",
            self.info.scenario,
            self.info.base,
            self.info.connections,
            self.info.threads,
            self.elapsed.as_secs_f64(),
            self.info.warmup.as_secs_f64(),
            interrupted,
            self.info.connections_opened,
        ));
        out.push_str(&format!(
            "{:<9} {:>9} {:>7} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
            "op", "requests", "errors", "req/s", "p50", "p90", "p99", "p99.9", "max"
        ));
        let mut rows: Vec<(&str, &Summary)> = self.ops.iter().map(|(op, s)| (op.as_str(), s)).collect();
        if self.ops.len() > 1 {
            rows.push(("all", &self.total));
        }
        for (name, s) in rows {
            let l = &s.latency;
            out.push_str(&format!(
                "{:<9} {:>9} {:>7} {:>10.1} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3}\n",
                name,
                s.requests,
                s.error_count(),
                s.throughput,
                l.p50,
                l.p90,
                l.p99,
                l.p999,
                l.max
            ));
        }
        out.push_str("(latency in ms, successful requests only; req/s counts successes)\n");
        if self.total.error_count() > 0 {
            out.push_str(&format!("\nerrors ({:.2}% of requests):\n", self.total.error_rate() * 100.0));
            for (op, s) in &self.ops {
                for (kind, n) in &s.errors {
                    out.push_str(&format!("  {:<9} {:<20} {:>9}\n", op.as_str(), kind, n));
                }
            }
        }
        out
    }
}

/// Run facts the report repeats.
pub struct RunInfo {
    pub scenario: &'static str,
    pub base: String,
    pub connections: u32,
    pub threads: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub connections_opened: u64,
    pub interrupted: bool,
}

impl RunInfo {
    /// The head of a JSON report; `elapsed` is the measured time.
    pub fn to_json(&self, elapsed: Duration) -> Value {
        json!({
            "scenario": self.scenario,
            "base": self.base,
            "connections": self.connections,
            "threads": self.threads,
            "warmup_s": self.warmup.as_secs_f64(),
            "duration_s": self.duration.as_secs_f64(),
            "elapsed_s": round(elapsed.as_secs_f64(), 3),
            "connections_opened": self.connections_opened,
            "interrupted": self.interrupted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        // hdrhistogram with 3 significant digits is within 0.1%.
        (a - b).abs() <= b * 0.001 + 1e-9
    }

    #[test]
    fn percentiles_of_uniform_latencies() -> Result<()> {
        let mut s = OpStats::new()?;
        for us in 1..=10_000u64 {
            s.success(Duration::from_micros(us));
        }
        let p = s.percentiles();
        assert!(close(p.p50, 5.0), "{p:?}");
        assert!(close(p.p90, 9.0), "{p:?}");
        assert!(close(p.p99, 9.9), "{p:?}");
        assert!(close(p.p999, 9.99), "{p:?}");
        assert!(close(p.max, 10.0), "{p:?}");
        Ok(())
    }

    #[test]
    fn merge_adds_counts_and_keeps_the_tail() -> Result<()> {
        let mut a = Stats::new()?;
        let mut b = Stats::new()?;
        for _ in 0..99 {
            a.op(Op::Create).success(Duration::from_millis(1));
        }
        b.op(Op::Create).success(Duration::from_millis(500));
        b.op(Op::Create).error(ErrorKind::Status(500));
        b.op(Op::Retrieve).error(ErrorKind::Timeout);
        a.merge(&b)?;

        let c = a.op(Op::Create);
        assert_eq!(c.successes(), 100);
        assert_eq!(c.requests(), 101);
        let p = c.percentiles();
        assert!(close(p.p50, 1.0));
        assert!(close(p.max, 500.0));
        assert_eq!(a.op(Op::Retrieve).error_count(), 1);

        let report = Report::new(
            RunInfo {
                scenario: "mixed",
                base: "http://127.0.0.1:1".into(),
                connections: 2,
                threads: 1,
                warmup: Duration::ZERO,
                duration: Duration::from_secs(2),
                connections_opened: 2,
                interrupted: false,
            },
            &a,
            Duration::from_secs(2),
        )?;
        assert_eq!(report.total.requests, 102);
        assert!(close(report.total.throughput, 50.0));
        assert!(close(report.total.error_rate(), 2.0 / 102.0));
        let v = report.to_json();
        assert_eq!(v["errors"]["by_kind"]["status 500"], 1);
        assert_eq!(v["operations"]["retrieve"]["errors"]["by_kind"]["timeout"], 1);
        assert!(report.to_table().contains("status 500"));
        Ok(())
    }

    #[test]
    fn huge_latency_saturates_instead_of_failing() -> Result<()> {
        let mut s = OpStats::new()?;
        s.success(Duration::from_secs(100_000));
        s.success(Duration::ZERO);
        assert_eq!(s.successes(), 2);
        Ok(())
    }
}
