use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Loopback-only HTTP load client for Unicharge's `/v1/charges` API and its
/// webhook dispatcher.
#[derive(Debug, Parser)]
#[command(name = "unicharge-bench", version, about)]
pub struct Args {
    /// Server base URL; its host must be a loopback address
    /// (127.0.0.0/8, ::1 or localhost).
    #[arg(long)]
    pub base: String,

    /// Secret API key sent as `Authorization: Bearer KEY`.
    #[arg(long, env = "UNICHARGE_BENCH_KEY", hide_env_values = true)]
    pub key: String,

    /// App id placed in each created charge (`app.id`).
    #[arg(long)]
    pub app: String,

    /// Request mix to run.
    #[arg(long, value_enum)]
    pub scenario: Scenario,

    /// Concurrent workers; each owns exactly one keep-alive connection.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub connections: u32,

    /// Measured time, e.g. 20s, 1500ms, 2m.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Unmeasured load before the measured window.
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// Channel of created charges.
    #[arg(long, default_value = "sandbox")]
    pub channel: String,

    /// Amount of created charges, in the currency's minor unit (fen).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub amount: u64,

    /// Charges created before `retrieve`/`mixed` start (not timed).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub pool_size: u64,

    /// Per-request deadline; a request that misses it counts as a `timeout` error.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Runtime worker threads (default: one per CPU).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,

    /// webhook-latency: pays per second, spread over the connections.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate: u32,

    /// webhook-throughput: charges paid to build the backlog; wechat-notify:
    /// wx_pub_qr charges created, each then notified once.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub events: u64,

    /// webhook-latency: how long after the last pay a missing webhook may still arrive.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub grace: Duration,

    /// webhook-throughput: give up on a phase when the receiver sees nothing new for this long.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub stall: Duration,

    /// Webhook scenarios: register the receiver with `pingpp_signature`
    /// false, so deliveries carry no RSA X-Pingplusplus-Signature (the
    /// costliest part of a delivery) and only Unicharge-Signature.
    #[arg(long)]
    pub no_pingpp_signature: bool,

    /// Port of the bench's webhook receiver on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub receiver_port: u16,

    /// Print a single JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Every request creates a charge.
    Create,
    /// Every request fetches a random charge from a pre-created pool.
    Retrieve,
    /// One create for every four retrieves.
    Mixed,
    /// Pays at --rate; times each charge's webhook from the pay (notification).
    WebhookLatency,
    /// Drains a backlog of --events failed deliveries after resend_failed.
    WebhookThroughput,
    /// Posts signed WeChat Pay v3 payment notifications for --events charges.
    WechatNotify,
}

impl Scenario {
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Create => "create",
            Scenario::Retrieve => "retrieve",
            Scenario::Mixed => "mixed",
            Scenario::WebhookLatency => "webhook-latency",
            Scenario::WebhookThroughput => "webhook-throughput",
            Scenario::WechatNotify => "wechat-notify",
        }
    }

    pub fn needs_pool(self) -> bool {
        matches!(self, Scenario::Retrieve | Scenario::Mixed)
    }
}

/// Parses `20s`, `1500ms`, `2m`, `1h`, `0.5s`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("invalid duration '{s}': expected e.g. 20s, 500ms, 2m"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("invalid duration unit '{other}': use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("invalid duration '{s}': {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("20"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0.5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("10 parsecs").is_err());
    }

    #[test]
    fn cli_parses_documented_invocation() {
        let args = Args::try_parse_from([
            "unicharge-bench",
            "--base",
            "http://127.0.0.1:8080",
            "--key",
            "sk_test_x",
            "--app",
            "app_x",
            "--scenario",
            "mixed",
            "--connections",
            "64",
            "--duration",
            "20s",
            "--json",
        ]);
        let args = args.expect("documented invocation must parse");
        assert_eq!(args.scenario, Scenario::Mixed);
        assert_eq!(args.connections, 64);
        assert_eq!(args.warmup, Duration::from_secs(3));
        assert_eq!(args.channel, "sandbox");
        assert_eq!(args.amount, 100);
        assert!(args.json);
    }

    #[test]
    fn cli_parses_webhook_scenarios() -> Result<(), clap::Error> {
        let base = ["unicharge-bench", "--base", "http://127.0.0.1:8080", "--key", "k", "--app", "a"];
        let args = Args::try_parse_from(base.iter().chain(&["--scenario", "webhook-latency", "--rate", "500"]))?;
        assert_eq!(args.scenario, Scenario::WebhookLatency);
        assert_eq!((args.rate, args.grace, args.receiver_port), (500, Duration::from_secs(5), 0));
        let args = Args::try_parse_from(base.iter().chain(&["--scenario", "webhook-throughput", "--events", "20000"]))?;
        assert_eq!(args.scenario, Scenario::WebhookThroughput);
        assert_eq!((args.events, args.stall), (20_000, Duration::from_secs(20)));
        assert!(Args::try_parse_from(base.iter().chain(&["--scenario", "webhook-latency", "--rate", "0"])).is_err());
        Ok(())
    }
}
