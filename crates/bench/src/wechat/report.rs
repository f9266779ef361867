//! What `wechat-notify` prints: a table by default, one JSON object with
//! `--json`, in the style of the other scenarios' reports.

use std::fmt::Write;
use std::time::Duration;

use serde_json::{json, Value};

use super::check::Checked;
use super::send::Sent;
use crate::cli::Args;
use crate::stats::{round, RunInfo, Summary};
use crate::target::Target;

/// Above this share of failed notifications the figures are not publishable.
const MAX_ERROR_RATE: f64 = 0.01;

pub struct NotifyReport {
    pub info: RunInfo,
    pub charges: u64,
    pub create_time: Duration,
    pub elapsed: Duration,
    pub exhausted: bool,
    pub notifications: Summary,
    pub checked: Checked,
}

impl NotifyReport {
    pub fn new(
        args: &Args,
        target: &Target,
        threads: usize,
        create_time: Duration,
        sent: Sent,
        checked: Checked,
    ) -> Self {
        let info = RunInfo {
            scenario: "wechat-notify",
            base: target.base.clone(),
            connections: args.connections,
            threads,
            warmup: args.warmup,
            duration: args.duration,
            connections_opened: sent.connections_opened,
            interrupted: sent.interrupted,
        };
        Self {
            info,
            charges: sent.orders.len() as u64,
            create_time,
            elapsed: sent.elapsed,
            exhausted: sent.exhausted,
            notifications: sent.stats.summary(sent.elapsed),
            checked,
        }
    }

    /// Why the exit status should be 2, if it should.
    pub fn problem(&self) -> Option<String> {
        let n = &self.notifications;
        if n.requests == 0 {
            return Some("no notification completed in the measured window (raise --events or lower --warmup)".into());
        }
        if n.error_rate() > MAX_ERROR_RATE {
            return Some(format!(
                "{:.2}% of notifications failed (limit {:.0}%)",
                n.error_rate() * 100.0,
                MAX_ERROR_RATE * 100.0
            ));
        }
        self.checked.problem()
    }

    pub fn to_json(&self) -> Value {
        let c = &self.checked;
        let mut v = self.info.to_json(self.elapsed);
        let more = json!({
            "charges": self.charges,
            "charges_exhausted": self.exhausted,
            "create_s": round(self.create_time.as_secs_f64(), 3),
            "notifications": self.notifications.to_json(),
            "check": {
                "sent": c.sent,
                "acked": c.acked,
                "paid": c.paid,
                "acked_unpaid": c.acked_unpaid,
                "wrong_transaction": c.wrong_transaction,
                "paid_unacked": c.paid_unacked,
                "events": c.events,
                "missing_events": c.missing_events,
                "duplicate_events": c.duplicate_events,
            },
        });
        if let (Value::Object(out), Value::Object(more)) = (&mut v, more) {
            out.extend(more);
        }
        v
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let info = &self.info;
        let interrupted = if info.interrupted { "  (interrupted)" } else { "" };
        let _ = writeln!(
            out,
            "scenario wechat-notify  base {}  connections {}  threads {}",
            info.base, info.connections, info.threads
        );
        let ended = if self.exhausted { "  (every charge notified before the window ended)" } else { "" };
        let _ = writeln!(
            out,
            "measured {:.2}s after {:.1}s warmup{}{}  connections opened {}\n",
            self.elapsed.as_secs_f64(),
            info.warmup.as_secs_f64(),
            interrupted,
            ended,
            info.connections_opened
        );
        let n = &self.notifications;
        let l = &n.latency;
        let _ = writeln!(
            out,
            "{:<9} {:>9} {:>7} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "op", "requests", "errors", "req/s", "p50", "p90", "p99", "p99.9", "max"
        );
        let _ = writeln!(
            out,
            "{:<9} {:>9} {:>7} {:>10.1} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3}",
            "notify",
            n.requests,
            n.error_count(),
            n.throughput,
            l.p50,
            l.p90,
            l.p99,
            l.p999,
            l.max
        );
        out.push_str("(latency in ms, acknowledged notifications only; req/s counts 200 {\"code\":\"SUCCESS\"})\n\n");
        let c = &self.checked;
        let _ = writeln!(
            out,
            "charges {} (created in {:.1}s)  notified {}  acked {}  paid {}  acked but unpaid {}\n\
             wrong transaction id {}  paid though not acked {}  charge.succeeded {}  missing {}  duplicates {}",
            self.charges,
            self.create_time.as_secs_f64(),
            c.sent,
            c.acked,
            c.paid,
            c.acked_unpaid,
            c.wrong_transaction,
            c.paid_unacked,
            c.events,
            c.missing_events,
            c.duplicate_events
        );
        if n.error_count() > 0 {
            let _ = writeln!(out, "\nnotify errors ({:.2}%):", n.error_rate() * 100.0);
            for (kind, count) in &n.errors {
                let _ = writeln!(out, "  {:<20} {:>9}", kind.to_string(), count);
            }
        }
        out
    }
}
