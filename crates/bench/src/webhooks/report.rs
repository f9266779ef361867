//! What the webhook scenarios print: a table by default, one JSON object
//! with `--json`, in the style of the load scenarios' report.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::receiver::Arrival;
use crate::stats::{round, Percentiles, Summary};

/// Above this share of failed pays the run's figures are not publishable.
const MAX_ERROR_RATE: f64 = 0.01;

/// Webhooks owed for measured pays, and what came of them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WebhookTally {
    pub expected: u64,
    pub received: u64,
    /// Not received within the grace period.
    pub missing: u64,
    /// 200-answered deliveries beyond the first for one charge.
    pub duplicates: u64,
    /// Webhooks for charges this run did not pay.
    pub unexpected: u64,
}

pub struct LatencyReport {
    pub base: String,
    pub connections: u32,
    pub threads: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub rate: u32,
    pub grace: Duration,
    pub receiver: SocketAddr,
    pub elapsed: Duration,
    pub interrupted: bool,
    pub connections_opened: u64,
    pub pays: Summary,
    pub late: u64,
    pub max_late: Duration,
    pub webhook: Percentiles,
    pub tally: WebhookTally,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pay_problem(pays: &Summary) -> Option<String> {
    if pays.requests == 0 {
        return Some("no pay completed".into());
    }
    (pays.error_rate() > MAX_ERROR_RATE)
        .then(|| format!("{:.2}% of pays failed (limit {:.0}%)", pays.error_rate() * 100.0, MAX_ERROR_RATE * 100.0))
}

fn error_lines(out: &mut String, pays: &Summary) {
    if pays.error_count() > 0 {
        let _ = writeln!(out, "\npay errors ({:.2}%):", pays.error_rate() * 100.0);
        for (kind, n) in &pays.errors {
            let _ = writeln!(out, "  {:<20} {:>9}", kind.to_string(), n);
        }
    }
}

fn latency_row(out: &mut String, name: &str, count: u64, errors: &str, l: &Percentiles) {
    let _ = writeln!(
        out,
        "{:<15} {:>8} {:>7} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3}",
        name, count, errors, l.p50, l.p90, l.p99, l.p999, l.max
    );
}

impl LatencyReport {
    /// Why the exit status should be 2, if it should.
    pub fn problem(&self) -> Option<String> {
        pay_problem(&self.pays).or_else(|| {
            (self.tally.missing > 0).then(|| {
                format!("{} webhooks did not arrive within {:.1}s", self.tally.missing, self.grace.as_secs_f64())
            })
        })
    }

    pub fn to_json(&self) -> Value {
        let mut pays = self.pays.to_json();
        pays["late_sends"] = json!(self.late);
        pays["max_late_ms"] = json!(round(ms(self.max_late), 3));
        let t = &self.tally;
        json!({
            "scenario": "webhook-latency",
            "base": self.base,
            "connections": self.connections,
            "threads": self.threads,
            "warmup_s": self.warmup.as_secs_f64(),
            "duration_s": self.duration.as_secs_f64(),
            "elapsed_s": round(self.elapsed.as_secs_f64(), 3),
            "connections_opened": self.connections_opened,
            "interrupted": self.interrupted,
            "rate_per_s": self.rate,
            "receiver": self.receiver.to_string(),
            "grace_s": self.grace.as_secs_f64(),
            "pays": pays,
            "webhooks": {
                "expected": t.expected,
                "received": t.received,
                "missing": t.missing,
                "duplicates": t.duplicates,
                "unexpected": t.unexpected,
                "latency_ms": self.webhook.to_json(),
            },
        })
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let interrupted = if self.interrupted { "  (interrupted)" } else { "" };
        let _ = writeln!(
            out,
            "scenario webhook-latency  base {}  rate {}/s  connections {}  threads {}",
            self.base, self.rate, self.connections, self.threads
        );
        let _ = writeln!(
            out,
            "measured {:.2}s after {:.1}s warmup{}  receiver {}  connections opened {}\n",
            self.elapsed.as_secs_f64(),
            self.warmup.as_secs_f64(),
            interrupted,
            self.receiver,
            self.connections_opened
        );
        let _ = writeln!(
            out,
            "{:<15} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "", "count", "errors", "p50", "p90", "p99", "p99.9", "max"
        );
        let p = &self.pays;
        latency_row(&mut out, "pay POST", p.requests, &p.error_count().to_string(), &p.latency);
        latency_row(&mut out, "notify→webhook", self.tally.received, "-", &self.webhook);
        out.push_str(
            "(latency in ms. pay POST: round trip of the sandbox pay, which includes the server's notify\n \
             handling; notify→webhook: receiver arrival minus the instant the pay POST was sent)\n\n",
        );
        let _ = writeln!(
            out,
            "pays {:.1}/s  late (>10 ms behind schedule) {}  most behind {:.3} ms",
            p.throughput,
            self.late,
            ms(self.max_late)
        );
        let t = &self.tally;
        let _ = writeln!(
            out,
            "webhooks expected {}  received {}  missing {} (none within {:.1}s)  duplicates {}  unexpected {}",
            t.expected,
            t.received,
            t.missing,
            self.grace.as_secs_f64(),
            t.duplicates,
            t.unexpected
        );
        error_lines(&mut out, p);
        out
    }
}

/// How the backlog drained after `resend_failed` (sent at `t0`).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Drain {
    pub delivered: u64,
    pub missing: u64,
    pub duplicates: u64,
    pub unexpected: u64,
    /// First and last first-deliveries, after t0.
    pub first: Option<Duration>,
    pub last: Option<Duration>,
}

impl Drain {
    pub fn tally(book: &HashMap<String, Arrival>, paid: &[String], t0: Instant) -> Self {
        let mut d = Drain::default();
        for id in paid {
            let Some(a) = book.get(id) else {
                d.missing += 1;
                continue;
            };
            d.duplicates += u64::from(a.ok.saturating_sub(1));
            match a.first_ok {
                Some(at) => {
                    let after = at.saturating_duration_since(t0);
                    d.delivered += 1;
                    d.first = Some(d.first.map_or(after, |f| f.min(after)));
                    d.last = Some(d.last.map_or(after, |l| l.max(after)));
                }
                None => d.missing += 1,
            }
        }
        let paid: HashSet<&String> = paid.iter().collect();
        d.unexpected = book.iter().filter(|(id, a)| a.ok > 0 && !paid.contains(id)).count() as u64;
        d
    }

    /// Deliveries per second from the `resend_failed` call to the last one.
    pub fn throughput(&self) -> f64 {
        let secs = self.last.map_or(0.0, |l| l.as_secs_f64());
        if secs > 0.0 {
            self.delivered as f64 / secs
        } else {
            0.0
        }
    }

    /// The same, from the first delivery on: leaves out the resend call.
    pub fn throughput_after_first(&self) -> f64 {
        match (self.first, self.last) {
            (Some(f), Some(l)) if l > f => self.delivered.saturating_sub(1) as f64 / (l - f).as_secs_f64(),
            _ => 0.0,
        }
    }
}

/// How the backlog was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BacklogMode {
    /// Every delivery failed for good; `resend_failed` queued them again at
    /// t0, so the rate is counted from the resend call.
    Failed,
    /// The server stopped attempting (circuit breaker) and held the
    /// deliveries pending; it resumed on its own, so the rate is counted
    /// from the first delivery.
    Held,
}

impl BacklogMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BacklogMode::Failed => "failed",
            BacklogMode::Held => "held",
        }
    }
}

pub struct ThroughputReport {
    pub base: String,
    pub connections: u32,
    pub threads: usize,
    pub events: u64,
    pub receiver: SocketAddr,
    pub interrupted: bool,
    pub create_time: Duration,
    pub pays: Summary,
    pub pay_time: Duration,
    pub connections_opened: u64,
    pub mode: BacklogMode,
    pub failing_attempts: u64,
    /// From the first pay until every expected failing attempt was seen.
    pub backlog_time: Duration,
    pub resent: u64,
    pub resend_call: Duration,
    pub drain: Drain,
}

impl ThroughputReport {
    /// The headline deliveries per second (see `BacklogMode`).
    pub fn throughput(&self) -> f64 {
        match self.mode {
            BacklogMode::Failed => self.drain.throughput(),
            BacklogMode::Held => self.drain.throughput_after_first(),
        }
    }

    pub fn problem(&self) -> Option<String> {
        pay_problem(&self.pays).or_else(|| {
            let d = &self.drain;
            if d.delivered == 0 {
                Some("no delivery arrived after resend_failed".into())
            } else {
                (d.missing > 0).then(|| format!("{} charges never got a webhook answered 200", d.missing))
            }
        })
    }

    pub fn to_json(&self) -> Value {
        let d = &self.drain;
        let secs = |x: Option<Duration>| x.map(|x| round(x.as_secs_f64(), 3));
        let mut pays = self.pays.to_json();
        pays["elapsed_s"] = json!(round(self.pay_time.as_secs_f64(), 3));
        json!({
            "scenario": "webhook-throughput",
            "base": self.base,
            "connections": self.connections,
            "threads": self.threads,
            "events": self.events,
            "receiver": self.receiver.to_string(),
            "connections_opened": self.connections_opened,
            "interrupted": self.interrupted,
            "throughput_dps": round(self.throughput(), 1),
            "create_s": round(self.create_time.as_secs_f64(), 3),
            "pays": pays,
            "backlog": {
                "mode": self.mode.as_str(),
                "failing_attempts": self.failing_attempts,
                "elapsed_s": round(self.backlog_time.as_secs_f64(), 3),
            },
            "resend": {"resent": self.resent, "call_ms": round(ms(self.resend_call), 3)},
            "drain": {
                "delivered": d.delivered,
                "missing": d.missing,
                "duplicates": d.duplicates,
                "unexpected": d.unexpected,
                "first_delivery_s": secs(d.first),
                "elapsed_s": secs(d.last),
                "throughput_dps": round(d.throughput(), 1),
                "after_first_dps": round(d.throughput_after_first(), 1),
            },
        })
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let d = &self.drain;
        let interrupted = if self.interrupted { "  (interrupted)" } else { "" };
        let _ = writeln!(
            out,
            "scenario webhook-throughput  base {}  events {}  connections {}  threads {}",
            self.base, self.events, self.connections, self.threads
        );
        let _ = writeln!(
            out,
            "receiver {}  connections opened {}{}\n",
            self.receiver, self.connections_opened, interrupted
        );
        let _ = writeln!(out, "{:<32} {:>8} {:>9} {:>10}", "phase", "count", "seconds", "per s");
        let row = |out: &mut String, name: &str, n: u64, t: Duration, rate: Option<f64>| {
            let rate = rate.map_or("-".to_owned(), |r| format!("{r:.1}"));
            let _ = writeln!(out, "{:<32} {:>8} {:>9.3} {:>10}", name, n, t.as_secs_f64(), rate);
        };
        let per = |n: u64, t: Duration| Some(n as f64 / t.as_secs_f64().max(f64::EPSILON));
        row(&mut out, "create charges (not timed)", self.events, self.create_time, per(self.events, self.create_time));
        row(&mut out, "pay, receiver answering 500", self.pays.successes, self.pay_time, Some(self.pays.throughput));
        row(&mut out, "failing attempts (from 1st pay)", self.failing_attempts, self.backlog_time, None);
        row(&mut out, "resend_failed call", self.resent, self.resend_call, None);
        row(&mut out, "drain (from the resend call)", d.delivered, d.last.unwrap_or_default(), Some(d.throughput()));
        let how = match self.mode {
            BacklogMode::Failed => "charges delivered / (last first-delivery − resend_failed sent)",
            BacklogMode::Held => "backlog held by the server, not failed: (delivered − 1) / (last − first delivery)",
        };
        let _ = writeln!(out, "\ndeliveries/s {:.1}  ({how})", self.throughput());
        let _ = writeln!(
            out,
            "backlog {}  first delivery {:.3}s after resend_failed; from there {:.1}/s, from the call {:.1}/s",
            self.mode.as_str(),
            d.first.unwrap_or_default().as_secs_f64(),
            d.throughput_after_first(),
            d.throughput()
        );
        let _ = writeln!(out, "missing {}  duplicates {}  unexpected {}", d.missing, d.duplicates, d.unexpected);
        let l = &self.pays.latency;
        let _ = writeln!(out, "pay POST ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}", l.p50, l.p90, l.p99, l.max);
        error_lines(&mut out, &self.pays);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drain_counts_and_rates() {
        let t0 = Instant::now();
        let at = |ms: u64| Some(t0 + Duration::from_millis(ms));
        let mut book = HashMap::new();
        book.insert("ch_1".to_owned(), Arrival { first_ok: at(100), ok: 1, failed: 2 });
        book.insert("ch_2".to_owned(), Arrival { first_ok: at(1100), ok: 3, failed: 2 });
        book.insert("ch_3".to_owned(), Arrival { first_ok: None, ok: 0, failed: 2 });
        book.insert("ch_old".to_owned(), Arrival { first_ok: at(50), ok: 1, failed: 0 });
        let paid: Vec<String> = ["ch_1", "ch_2", "ch_3", "ch_4"].map(String::from).to_vec();
        let d = Drain::tally(&book, &paid, t0);
        assert_eq!((d.delivered, d.missing, d.duplicates, d.unexpected), (2, 2, 2, 1));
        assert_eq!(d.first, Some(Duration::from_millis(100)));
        assert_eq!(d.last, Some(Duration::from_millis(1100)));
        assert!((d.throughput() - 2.0 / 1.1).abs() < 1e-9);
        assert!((d.throughput_after_first() - 1.0).abs() < 1e-9);
        assert_eq!(Drain::default().throughput(), 0.0);
    }
}
