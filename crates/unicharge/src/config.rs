//! Configuration: defaults that run as-is, an optional TOML file, then
//! `UNICHARGE_*` environment variables, in that order of precedence.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub public_url: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub redis_url: Option<String>,
    pub master_key_file: Option<PathBuf>,
    pub workers: usize,
    pub db_max_connections: u32,
    pub signature_tolerance_secs: i64,
    pub body_limit: usize,
    pub sandbox_time_scale: u32,
    pub sweep_interval_secs: u64,
    /// How long creating a scanned payment (`wx_pub_scan`) may wait for the
    /// buyer before answering `pending`.
    pub scan_create_wait_ms: u64,
    /// An unpaid scanned payment is reversed and closed this long after creation.
    pub scan_deadline_secs: i64,
    pub webhook_timeout_secs: u64,
    /// How long a claimed delivery stays a node's before another may take it.
    pub webhook_lease_secs: u64,
    /// Retry delays, e.g. "15s,1m,4m,10m,30m,1h,2h,6h,15h".
    pub webhook_schedule: unicharge_webhooks::RetrySchedule,
    pub webhook_allow_private: bool,
    /// Deliveries in flight at once on this node.
    pub webhook_concurrency: usize,
    /// Deliveries in flight at once to one endpoint (with Redis, across all
    /// nodes); at most `webhook_concurrency`.
    pub webhook_endpoint_concurrency: usize,
    /// Failures in a row that open an endpoint's circuit.
    pub webhook_breaker_failures: u32,
    pub node_id: String,
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The file's shape; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    public_url: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    redis_url: Option<String>,
    master_key_file: Option<String>,
    workers: Option<usize>,
    db_max_connections: Option<u32>,
    signature_tolerance_secs: Option<i64>,
    body_limit: Option<usize>,
    sandbox_time_scale: Option<u32>,
    sweep_interval_secs: Option<u64>,
    scan_create_wait_ms: Option<u64>,
    scan_deadline_secs: Option<i64>,
    webhook_timeout_secs: Option<u64>,
    webhook_lease_secs: Option<u64>,
    webhook_schedule: Option<String>,
    webhook_time_scale: Option<u32>,
    webhook_allow_private: Option<bool>,
    webhook_concurrency: Option<usize>,
    webhook_endpoint_concurrency: Option<usize>,
    webhook_breaker_failures: Option<u32>,
    node_id: Option<String>,
    log_format: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

fn bad(name: &str, value: &str, expected: &str) -> ConfigError {
    ConfigError(format!("{name}='{value}' is not valid ({expected})"))
}

/// Reads `UNICHARGE_<NAME>`, falling back to the file's value.
fn pick(env: &dyn Fn(&str) -> Option<String>, name: &str, file: Option<String>) -> Option<(String, String)> {
    let var = format!("UNICHARGE_{}", name.to_ascii_uppercase());
    match env(&var) {
        Some(v) if !v.is_empty() => Some((var, v)),
        _ => file.map(|v| (format!("{name} (config file)"), v)),
    }
}

fn parse_num<T: std::str::FromStr + ToString>(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
    file: Option<T>,
    default: T,
    expected: &str,
) -> Result<T, ConfigError> {
    match pick(env, name, file.map(|v| v.to_string())) {
        None => Ok(default),
        Some((src, v)) => v.parse().map_err(|_| bad(&src, &v, expected)),
    }
}

impl Config {
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with(file, &|k| std::env::var(k).ok())
    }

    pub fn load_with(file: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let fc: FileConfig = match file {
            None => FileConfig::default(),
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", p.display())))?;
                toml::from_str(&text).map_err(|e| ConfigError(format!("config file {}: {e}", p.display())))?
            }
        };
        let listen = match pick(env, "listen", fc.listen) {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some((src, v)) => v.parse().map_err(|_| bad(&src, &v, "expected host:port, e.g. 127.0.0.1:8080"))?,
        };
        let public_url = match pick(env, "public_url", fc.public_url) {
            None => format!("http://{listen}"),
            Some((src, v)) => {
                let u = url_ok(&v).ok_or_else(|| bad(&src, &v, "expected an http(s) URL without a path"))?;
                u.trim_end_matches('/').to_owned()
            }
        };
        let data_dir =
            PathBuf::from(pick(env, "data_dir", fc.data_dir).map(|p| p.1).unwrap_or_else(|| "./data".into()));
        let database_url = match pick(env, "database_url", fc.database_url) {
            None => format!("sqlite://{}?mode=rwc", data_dir.join("unicharge.sqlite").display()),
            Some((src, v)) => {
                if !(v.starts_with("sqlite:") || v.starts_with("postgres://") || v.starts_with("postgresql://")) {
                    return Err(bad(&src, "<redacted>", "expected sqlite://… or postgres://…"));
                }
                v
            }
        };
        let redis_url = match pick(env, "redis_url", fc.redis_url) {
            None => None,
            Some((src, v)) => {
                if !(v.starts_with("redis://") || v.starts_with("rediss://")) {
                    return Err(bad(&src, "<redacted>", "expected redis://host:port"));
                }
                Some(v)
            }
        };
        let master_key_file = pick(env, "master_key_file", fc.master_key_file).map(|p| PathBuf::from(p.1));
        let default_workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let workers = parse_num(env, "workers", fc.workers, default_workers, "a whole number of worker threads")?;
        let db_max_connections =
            parse_num(env, "db_max_connections", fc.db_max_connections, 32, "a whole number of connections")?;
        let signature_tolerance_secs =
            parse_num(env, "signature_tolerance_secs", fc.signature_tolerance_secs, 300, "whole seconds")?;
        let body_limit = parse_num(env, "body_limit", fc.body_limit, 64 * 1024, "a size in bytes")?;
        let sandbox_time_scale =
            parse_num(env, "sandbox_time_scale", fc.sandbox_time_scale, 1, "a whole number ≥ 1")?.max(1);
        let sweep_interval_secs =
            parse_num(env, "sweep_interval_secs", fc.sweep_interval_secs, 30, "whole seconds ≥ 1")?.max(1);
        let scan_create_wait_ms = parse_num(
            env,
            "scan_create_wait_ms",
            fc.scan_create_wait_ms,
            default_scan_wait_ms(),
            "whole milliseconds",
        )?;
        let scan_deadline_secs = parse_num(
            env,
            "scan_deadline_secs",
            fc.scan_deadline_secs,
            unicharge_server::sweep::DEFAULT_SCAN_DEADLINE_SECS,
            "whole seconds ≥ 1",
        )?
        .max(1);
        let webhook_timeout_secs =
            parse_num(env, "webhook_timeout_secs", fc.webhook_timeout_secs, 10, "whole seconds ≥ 1")?.max(1);
        let webhook_lease_secs = parse_num(
            env,
            "webhook_lease_secs",
            fc.webhook_lease_secs,
            webhook_timeout_secs * 3 + 30,
            "whole seconds",
        )?;
        if webhook_lease_secs <= webhook_timeout_secs {
            return Err(ConfigError(format!(
                "webhook_lease_secs ({webhook_lease_secs}) must exceed webhook_timeout_secs ({webhook_timeout_secs})"
            )));
        }
        let time_scale = parse_num(env, "webhook_time_scale", fc.webhook_time_scale, 1, "a whole number ≥ 1")?.max(1);
        let webhook_schedule = match pick(env, "webhook_schedule", fc.webhook_schedule) {
            None => unicharge_webhooks::RetrySchedule { time_scale, ..Default::default() },
            Some((src, v)) => unicharge_webhooks::RetrySchedule::parse(&v, time_scale)
                .ok_or_else(|| bad(&src, &v, "expected delays like 15s,1m,4m,1h"))?,
        };
        let webhook_allow_private =
            parse_num(env, "webhook_allow_private", fc.webhook_allow_private, false, "true or false")?;
        let webhook_concurrency =
            parse_num(env, "webhook_concurrency", fc.webhook_concurrency, 256, "a whole number ≥ 1")?.max(1);
        // By default a quarter of the node's slots, at most 32: room is
        // left for other tenants whatever the pool size, and a receiver is
        // not sent more than 32 requests at once unless its operator says
        // it takes them. At 16, one endpoint's 40,000-event backlog drained
        // at 3,800/s here, each request also waiting on Redis for the
        // cluster-wide cap; at 32, at 6,400-6,800/s.
        let webhook_endpoint_concurrency = parse_num(
            env,
            "webhook_endpoint_concurrency",
            fc.webhook_endpoint_concurrency,
            (webhook_concurrency / 4).clamp(1, 32),
            "a whole number ≥ 1",
        )?
        .clamp(1, webhook_concurrency);
        let webhook_breaker_failures =
            parse_num(env, "webhook_breaker_failures", fc.webhook_breaker_failures, 5, "a whole number ≥ 1")?.max(1);
        let node_id = pick(env, "node_id", fc.node_id)
            .map(|p| p.1)
            .unwrap_or_else(|| format!("{}-{}", listen.port(), std::process::id()));
        let log_format = match pick(env, "log_format", fc.log_format) {
            None => LogFormat::Text,
            Some((_, v)) if v == "text" => LogFormat::Text,
            Some((_, v)) if v == "json" => LogFormat::Json,
            Some((src, v)) => return Err(bad(&src, &v, "expected text or json")),
        };
        if workers == 0 || db_max_connections == 0 {
            return Err(ConfigError("workers and db_max_connections must be at least 1".into()));
        }
        Ok(Config {
            listen,
            public_url,
            data_dir,
            database_url,
            redis_url,
            master_key_file,
            workers,
            db_max_connections,
            signature_tolerance_secs,
            body_limit,
            sandbox_time_scale,
            sweep_interval_secs,
            scan_create_wait_ms,
            scan_deadline_secs,
            webhook_timeout_secs,
            webhook_lease_secs,
            webhook_schedule,
            webhook_allow_private,
            webhook_concurrency,
            webhook_endpoint_concurrency,
            webhook_breaker_failures,
            node_id,
            log_format,
        })
    }
}

fn default_scan_wait_ms() -> u64 {
    u64::try_from(unicharge_channels::wechat::DEFAULT_SCAN_WAIT.as_millis()).unwrap_or(u64::MAX)
}

fn url_ok(v: &str) -> Option<&str> {
    let rest = v.strip_prefix("http://").or_else(|| v.strip_prefix("https://"))?;
    let host = rest.trim_end_matches('/');
    (!host.is_empty() && !host.contains('/')).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load_with(None, &move |k| m.get(k).cloned())
    }

    #[test]
    fn defaults_run_as_is() {
        let c = with(&[]).expect("defaults");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(c.database_url.starts_with("sqlite://"));
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn an_endpoints_concurrency_defaults_to_a_quarter_of_the_nodes_at_most_32() {
        let c = |vars: &[(&str, &str)]| with(vars).expect("config").webhook_endpoint_concurrency;
        assert_eq!(c(&[]), 32);
        assert_eq!(c(&[("UNICHARGE_WEBHOOK_CONCURRENCY", "20")]), 5);
        assert_eq!(c(&[("UNICHARGE_WEBHOOK_ENDPOINT_CONCURRENCY", "64")]), 64);
        assert_eq!(
            c(&[("UNICHARGE_WEBHOOK_CONCURRENCY", "32"), ("UNICHARGE_WEBHOOK_ENDPOINT_CONCURRENCY", "64")]),
            32,
            "never more than the node's own slots"
        );
        assert!(with(&[("UNICHARGE_WEBHOOK_ENDPOINT_CONCURRENCY", "many")]).is_err());
    }

    #[test]
    fn bad_values_get_one_clear_message() {
        let e = with(&[("UNICHARGE_LISTEN", "nope")]).expect_err("bad listen");
        assert!(e.to_string().contains("UNICHARGE_LISTEN='nope'"), "{e}");
        let e = with(&[("UNICHARGE_DATABASE_URL", "mysql://u:secret@h/db")]).expect_err("bad db");
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(with(&[("UNICHARGE_WORKERS", "0")]).is_err());
        assert!(with(&[("UNICHARGE_PUBLIC_URL", "ftp://x")]).is_err());
    }
}
