//! The cluster-wide guard in Redis. Per endpoint, under one hash tag so the
//! keys stay together on a Redis Cluster:
//! - `slots`: a sorted set of the deliveries in flight, scored by when each
//!   slot expires, so the slots of a node that died mid-delivery free
//!   themselves;
//! - `fails`: consecutive failures, across all nodes;
//! - `open`: present while the circuit is open (its TTL is the rest of the
//!   open period);
//! - `probe`: the one delivery let through while the circuit is half-open.
//!
//! Each decision is one Lua script, so nodes never race between reading and
//! writing. Times come from the Redis server's clock, so node clocks need
//! not agree. Any Redis error or slow answer makes `admit` return `None`
//! (the caller falls back to its own per-node guard) and keeps this node off
//! Redis for a moment, so deliveries never wait on a dead Redis.

use super::{Admit, GuardConfig, Ticket};
use redis::aio::MultiplexedConnection;
use redis::AsyncConnectionConfig;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Longest a delivery waits on Redis before deciding without it.
const OP_TIMEOUT: Duration = Duration::from_millis(250);
/// How long a node stays off Redis after a failure before trying again.
const RETRY_REDIS_AFTER: Duration = Duration::from_secs(2);
/// A run of failures older than this (plus the open period) is forgotten.
const FAILS_MEMORY: Duration = Duration::from_secs(3600);

const ADMIT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local open = redis.call('PTTL', KEYS[2])
if open > 0 then return open end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[3]) then
  if not redis.call('SET', KEYS[4], ARGV[1], 'NX', 'PX', ARGV[4]) then return -2 end
end
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[4])), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 0
";

const DONE: &str = r"
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[3], KEYS[4])
  return 0
end
local n = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
if redis.call('GET', KEYS[4]) == ARGV[1] then redis.call('DEL', KEYS[4]) end
if n >= tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
  return 1
end
return 0
";

pub(crate) struct ClusterGuard {
    client: redis::Client,
    conn: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    prefix: String,
    /// Makes slot tokens unique across nodes and restarts.
    token_base: String,
    seq: AtomicU64,
    cfg: GuardConfig,
    slot_ttl: Duration,
    born: Instant,
    /// Milliseconds after `born` before which Redis is not tried.
    off_until: AtomicU64,
    degraded: AtomicBool,
}

impl ClusterGuard {
    /// Does not connect: the first delivery does, and a Redis that is down
    /// now only means per-node guarding until it is back. `slot_ttl` must
    /// outlast a delivery attempt (the dispatcher's lease does).
    pub(crate) fn new(
        url: &str,
        prefix: &str,
        node: &str,
        cfg: GuardConfig,
        slot_ttl: Duration,
    ) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            conn: tokio::sync::Mutex::new(None),
            prefix: prefix.to_owned(),
            token_base: format!("{node}:{:08x}", rand::random::<u32>()),
            seq: AtomicU64::new(0),
            cfg,
            slot_ttl,
            born: Instant::now(),
            off_until: AtomicU64::new(0),
            degraded: AtomicBool::new(false),
        })
    }

    fn keys(&self, endpoint: &str) -> [String; 4] {
        ["slots", "open", "fails", "probe"].map(|k| format!("{}:{{{endpoint}}}:{k}", self.prefix))
    }

    fn elapsed_ms(&self) -> u64 {
        self.born.elapsed().as_millis() as u64
    }

    async fn connection(&self) -> Result<MultiplexedConnection, redis::RedisError> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let cfg = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(OP_TIMEOUT))
            .set_response_timeout(Some(OP_TIMEOUT));
        let c = self.client.get_multiplexed_async_connection_with_config(&cfg).await?;
        *slot = Some(c.clone());
        Ok(c)
    }

    /// Runs one script, or gives up quickly: `None` on any failure. Plain
    /// EVAL (Redis caches the compiled script): nothing to reload after a
    /// Redis restart.
    async fn run(&self, script: &str, endpoint: &str, args: &[String]) -> Option<i64> {
        if self.elapsed_ms() < self.off_until.load(Ordering::Relaxed) {
            return None;
        }
        let call = async {
            let mut c = self.connection().await?;
            redis::cmd("EVAL").arg(script).arg(4).arg(&self.keys(endpoint)).arg(args).query_async::<i64>(&mut c).await
        };
        let err = match tokio::time::timeout(OP_TIMEOUT, call).await {
            Ok(Ok(v)) => {
                if self.degraded.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis is back; webhook endpoints guarded across the cluster again");
                }
                return Some(v);
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => "timed out".to_owned(),
        };
        *self.conn.lock().await = None;
        self.off_until.store(self.elapsed_ms() + RETRY_REDIS_AFTER.as_millis() as u64, Ordering::Relaxed);
        if !self.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %err, "Redis unavailable for webhook throttling; each node guards on its own");
        }
        None
    }

    pub(crate) async fn admit(&self, endpoint: &str) -> Option<Admit> {
        let token = format!("{}:{}", self.token_base, self.seq.fetch_add(1, Ordering::Relaxed));
        let args = [
            token.clone(),
            self.cfg.cluster_max_in_flight.to_string(),
            self.cfg.trip_after.to_string(),
            self.slot_ttl.as_millis().to_string(),
        ];
        Some(match self.run(ADMIT, endpoint, &args).await? {
            0 => Admit::Go(Ticket::Cluster(token)),
            open if open > 0 => Admit::Open(Duration::from_millis(open as u64)),
            // Capped, or the half-open probe is already out.
            _ => Admit::Capped,
        })
    }

    /// Gives the slot back and records the result; false if Redis could not.
    pub(crate) async fn done(&self, endpoint: &str, token: &str, ok: bool) -> bool {
        let args = [
            token.to_owned(),
            if ok { "1" } else { "0" }.to_owned(),
            self.cfg.trip_after.to_string(),
            self.cfg.open_for.as_millis().to_string(),
            (self.cfg.open_for + FAILS_MEMORY).as_millis().to_string(),
        ];
        match self.run(DONE, endpoint, &args).await {
            Some(1) => {
                tracing::warn!(endpoint, "webhook endpoint failing repeatedly; circuit open across the cluster");
                true
            }
            Some(_) => true,
            None => false,
        }
    }
}
