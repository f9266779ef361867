use crate::job::Job;
use crate::{outbound, secrets, RetrySchedule};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore};
use unicharge_crypto::{RsaSigner, SecretSealer};
use unicharge_store::webhooks::{AttemptOutcome, AttemptRecord, DeliveryRow};
use unicharge_store::{FinishedAttempt, Store};

#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// Names this node in leases and attempt records.
    pub node_id: String,
    pub schedule: RetrySchedule,
    /// A receiver that has not answered by then has failed the attempt.
    pub timeout: Duration,
    /// Must exceed `timeout`: past it another node may take the delivery over.
    pub lease: Duration,
    pub batch: u64,
    /// Deliveries in flight at once on this node.
    pub concurrency: usize,
    /// Without a wake-up, how often to look for due deliveries.
    pub poll_interval: Duration,
    /// Allow live-mode endpoints on non-public addresses (local development).
    pub allow_private_live: bool,
    /// How much of a response body is kept.
    pub max_response_bytes: usize,
    /// Per-endpoint concurrency cap and circuit breaker.
    pub guard: crate::GuardConfig,
    /// With Redis, the cap and the breaker hold across all nodes.
    pub redis_url: Option<String>,
    /// Prefix of this cluster's Redis keys; the same on every node.
    pub redis_prefix: String,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        Self {
            node_id: format!("node-{}", std::process::id()),
            schedule: RetrySchedule::default(),
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            batch: 64,
            concurrency: 64,
            poll_interval: Duration::from_millis(500),
            allow_private_live: false,
            max_response_bytes: 2048,
            guard: crate::GuardConfig::default(),
            redis_url: None,
            redis_prefix: "unicharge:webhooks".into(),
        }
    }
}

/// Wakes dispatchers now instead of at their next poll: this node's at
/// once, and (with Redis) every other node's through pub/sub.
#[derive(Clone, Default)]
pub struct Wakeup {
    pub(crate) local: Arc<Notify>,
    pub(crate) outbound: Arc<Notify>,
}

impl Wakeup {
    pub fn wake(&self) {
        self.local.notify_one();
        self.outbound.notify_one();
    }
}

pub struct Dispatcher {
    store: Store,
    sealer: Arc<SecretSealer>,
    /// Test mode (and live mode when private destinations are allowed).
    http: reqwest::Client,
    /// Live mode: connects only to public addresses, whatever DNS says at
    /// connect time.
    http_live: reqwest::Client,
    cfg: DispatcherConfig,
    platform: Option<Arc<RsaSigner>>,
    wakeup: Wakeup,
    guard: crate::guard::EndpointGuard,
    claimed: crate::claimed::Claimed,
    /// Raised whenever a delivery finishes, so the loop claims more at once.
    finished: Arc<Notify>,
    /// Deliveries in flight on this node, from claim until recorded.
    slots: Arc<Semaphore>,
    /// When this node last refreshed the deliveries table's statistics.
    analyzed: std::sync::Mutex<Option<Instant>>,
}

/// How long a claimed delivery may wait here for its endpoint's slot before
/// it is released for later (to this or another node).
const ADMIT_WAIT: Duration = Duration::from_secs(2);
const CAPPED_POLL: Duration = Duration::from_millis(50);
/// Deliveries claimed per endpoint slot before the endpoint is left out of
/// claims: enough waiting here that a slot freed is refilled at once, not
/// after the next claim's round trip; few enough that one busy endpoint's
/// backlog is not held here while other tenants' deliveries wait.
const QUEUED_PER_SLOT: usize = 4;
/// A claim slower than this suggests stale planner statistics.
const SLOW_CLAIM: Duration = Duration::from_millis(20);
const ANALYZE_EVERY: Duration = Duration::from_secs(10);
/// Free delivery slots that make a claim worth its write.
const REFILL_AT: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum DispatcherError {
    #[error("building the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the Redis URL: {0}")]
    Redis(#[from] redis::RedisError),
}

const ENDPOINT_DELETED: &str = "endpoint deleted";
const ENDPOINT_DISABLED: &str = "endpoint disabled";

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Dispatcher {
    pub fn new(
        store: Store,
        sealer: Arc<SecretSealer>,
        cfg: DispatcherConfig,
        platform: Option<Arc<RsaSigner>>,
        wakeup: Wakeup,
    ) -> Result<Self, DispatcherError> {
        let http = http_client(&cfg, false)?;
        let http_live = if cfg.allow_private_live { http.clone() } else { http_client(&cfg, true)? };
        let cluster = match &cfg.redis_url {
            Some(url) => {
                Some(crate::guard::ClusterGuard::new(url, &cfg.redis_prefix, &cfg.node_id, cfg.guard, cfg.lease)?)
            }
            None => None,
        };
        let guard = crate::guard::EndpointGuard::new(cfg.guard, cluster);
        let slots = Arc::new(Semaphore::new(cfg.concurrency));
        Ok(Self {
            analyzed: std::sync::Mutex::new(None),
            slots,
            store,
            sealer,
            http,
            http_live,
            cfg,
            platform,
            wakeup,
            guard,
            claimed: crate::claimed::Claimed::default(),
            finished: Arc::new(Notify::new()),
        })
    }

    /// Runs until the process exits.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    async fn run(self) {
        let me = Arc::new(self);
        let slots = me.slots.clone();
        let recorder = crate::recorder::spawn(crate::recorder::Wiring {
            store: me.store.clone(),
            node: me.cfg.node_id.clone(),
            slots: slots.clone(),
            finished: me.finished.clone(),
            refill_at: REFILL_AT.min(me.cfg.concurrency),
        });
        loop {
            let free = slots.available_permits() as u64;
            let claimed = if free == 0 {
                Vec::new()
            } else {
                let now = now_ms();
                let lease_until = now + me.cfg.lease.as_millis() as i64;
                let skip = me.claimed.excluded(me.queue_limit());
                let started = Instant::now();
                match me.store.claim_deliveries(&me.cfg.node_id, now, lease_until, me.cfg.batch.min(free), &skip).await
                {
                    Ok(rows) => {
                        me.analyze_if_slow(started.elapsed());
                        rows
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming webhook deliveries failed");
                        Vec::new()
                    }
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    _ = tokio::time::sleep(me.cfg.poll_interval) => {}
                    _ = me.wakeup.local.notified() => {}
                    _ = me.finished.notified() => {}
                }
                continue;
            }
            let jobs = match crate::job::prepare(&me.store, &me.sealer, claimed.clone()).await {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!(error = %e, "loading claimed deliveries' events failed; releasing them");
                    for d in &claimed {
                        let _ = me.store.release_delivery(d, &me.cfg.node_id, now_ms() + 1000).await;
                    }
                    tokio::time::sleep(me.cfg.poll_interval).await;
                    continue;
                }
            };
            for job in jobs {
                let Ok(slot) = slots.clone().acquire_owned().await else { return };
                me.claimed.add(&job.d.endpoint_id);
                let me = me.clone();
                let recorder = recorder.clone();
                tokio::spawn(async move { me.deliver(job, slot, &recorder).await });
            }
        }
    }

    async fn deliver(
        &self,
        job: Job,
        slot: OwnedSemaphorePermit,
        recorder: &mpsc::UnboundedSender<crate::recorder::Record>,
    ) {
        let endpoint = job.d.endpoint_id.clone();
        let ticket = match self.admit(&job.d).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                self.claimed.finish(&endpoint, 0);
                self.refill(slot);
                return;
            }
            Err(e) => {
                tracing::warn!(delivery = %job.d.id, error = %e, "webhook delivery could not be released");
                self.claimed.finish(&endpoint, 0);
                self.refill(slot);
                return;
            }
        };
        let attempt = self.attempt_once(&job).await;
        // The cap protects the receiver, so the slot is its again as soon
        // as it has answered; recording the attempt is our business.
        self.guard.done(&endpoint, ticket, attempt.rec.status.is_some_and(|s| (200..300).contains(&s))).await;
        // Once the endpoint has room for a useful batch again, claim more
        // now rather than when this attempt's batch has been recorded, so
        // sending overlaps recording instead of waiting for it.
        if self.claimed.finish(&endpoint, self.queue_limit().saturating_sub(REFILL_AT)) {
            self.wake_claims();
        }
        if let Err(mpsc::error::SendError(r)) = recorder.send(crate::recorder::Record { attempt, slot }) {
            let a = r.attempt;
            if let Err(e) = self.store.finish_attempt(&a.delivery, &self.cfg.node_id, a.at, &a.rec, a.outcome).await {
                tracing::warn!(delivery = %a.delivery.id, error = %e, "webhook attempt could not be recorded");
            }
        }
    }

    /// A slow claim usually means the planner's statistics are stale (see
    /// `Store::analyze_deliveries`); refresh them, at most once a period.
    fn analyze_if_slow(self: &Arc<Self>, took: Duration) {
        if took < SLOW_CLAIM {
            return;
        }
        {
            let mut last = self.analyzed.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < ANALYZE_EVERY) {
                return;
            }
            *last = Some(Instant::now());
        }
        let store = self.store.clone();
        tokio::spawn(async move {
            tracing::info!(
                took_ms = took.as_millis() as u64,
                "slow webhook claim; refreshing the deliveries table's statistics"
            );
            if let Err(e) = store.analyze_deliveries().await {
                tracing::warn!(error = %e, "analyzing the deliveries table failed");
            }
        });
    }

    /// Deliveries of one endpoint this node claims before leaving the
    /// endpoint out of its claims: never more than half the node's slots.
    fn queue_limit(&self) -> usize {
        let cap = self.cfg.guard.max_in_flight.max(self.cfg.guard.cluster_max_in_flight);
        (cap * QUEUED_PER_SLOT).min(self.cfg.concurrency / 2).max(cap)
    }

    fn refill(&self, slot: OwnedSemaphorePermit) {
        drop(slot);
        self.wake_claims();
    }

    /// Claim again once a useful batch fits, not after every delivery: each
    /// claim is a write on the deliveries table. Wake-ups coalesce, so the
    /// loop runs at most one claim behind.
    fn wake_claims(&self) {
        if self.slots.available_permits() >= REFILL_AT.min(self.cfg.concurrency) {
            self.finished.notify_one();
        }
    }

    /// Waits for the endpoint's slot. A delivery that cannot have one soon
    /// (circuit open, or the cap still full after `ADMIT_WAIT`) is released
    /// with a later due time, keeping its place in the retry schedule.
    async fn admit(&self, d: &DeliveryRow) -> Result<Option<crate::guard::Ticket>, unicharge_store::StoreError> {
        use crate::guard::{Admit, CAPPED_RETRY};
        let deadline = Instant::now() + ADMIT_WAIT;
        let wait = loop {
            match self.guard.admit(&d.endpoint_id).await {
                Admit::Go(t) => return Ok(Some(t)),
                Admit::Open(wait) => {
                    self.claimed.hold(&d.endpoint_id, Instant::now() + wait);
                    break wait;
                }
                Admit::Capped if Instant::now() >= deadline => break CAPPED_RETRY,
                Admit::Capped => {
                    // A slot freed on this node wakes one waiter; one freed
                    // on another node (Redis) is found by the timer.
                    let freed = self.claimed.freed(&d.endpoint_id);
                    tokio::select! {
                        _ = freed.notified() => {}
                        _ = tokio::time::sleep(CAPPED_POLL) => {}
                    }
                }
            }
        };
        self.store.release_delivery(d, &self.cfg.node_id, now_ms() + wait.as_millis() as i64).await?;
        Ok(None)
    }

    /// Makes the attempt and decides what comes next.
    async fn attempt_once(&self, job: &Job) -> FinishedAttempt {
        let started = Instant::now();
        let mut gone = false;
        let rec = match self.attempt(job).await {
            Ok((status, response)) => AttemptRecord {
                status: Some(status),
                latency_ms: started.elapsed().as_millis() as i32,
                response: Some(response),
                error: (!(200..300).contains(&status)).then(|| format!("HTTP {status}")),
            },
            Err(e) => {
                gone = matches!(e.as_str(), ENDPOINT_DELETED | ENDPOINT_DISABLED);
                AttemptRecord {
                    status: None,
                    latency_ms: started.elapsed().as_millis() as i32,
                    response: None,
                    error: Some(e),
                }
            }
        };
        let ok = rec.status.is_some_and(|s| (200..300).contains(&s));
        let now = now_ms();
        let outcome = if ok {
            AttemptOutcome::Delivered
        } else if gone {
            // Nobody to retry for: the tenant removed or paused the endpoint.
            AttemptOutcome::GiveUp
        } else {
            match self.cfg.schedule.delay_after(job.d.attempts as usize + 1) {
                Some(delay) => AttemptOutcome::RetryAt(now + delay.as_millis() as i64),
                None => AttemptOutcome::GiveUp,
            }
        };
        FinishedAttempt { delivery: job.d.clone(), at: now, rec, outcome }
    }

    /// One POST. `Ok` carries any HTTP answer; `Err` a failure to get one.
    async fn attempt(&self, job: &Job) -> Result<(u16, String), String> {
        let d = &job.d;
        let payload = job.payload.as_ref().ok_or("event missing")?;
        let target = match &job.target {
            Some(t) if t.endpoint.enabled => t,
            Some(_) => return Err(ENDPOINT_DISABLED.into()),
            None => return Err(ENDPOINT_DELETED.into()),
        };
        let endpoint = &target.endpoint;
        let allow_private = !d.livemode || self.cfg.allow_private_live;
        outbound::check_destination(&endpoint.url, allow_private).await.map_err(|e| e.to_string())?;
        let secrets = target.secrets.as_ref().map_err(Clone::clone)?;
        let body = &payload.body;
        let t = now_ms() / 1000;
        let http = if allow_private { &self.http } else { &self.http_live };
        let mut req = http
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("Unicharge-Signature", crate::signature_header(&secrets::active(secrets, t), t, body))
            .header("Unicharge-Event-Id", payload.event_id.as_str())
            .header("Unicharge-Delivery-Attempt", (d.attempts + 1).to_string());
        if let Some(signer) = self.platform.as_ref().filter(|_| endpoint.pingpp_signature) {
            req = req.header("X-Pingplusplus-Signature", payload.rsa_signature(signer));
        }
        let resp = req.body(body.clone()).send().await.map_err(|e| describe(&e))?;
        let status = resp.status().as_u16();
        let mut resp = resp;
        let mut kept = Vec::new();
        // Read no more than we keep: a receiver cannot make us buffer a
        // huge body.
        while let Ok(Some(chunk)) = resp.chunk().await {
            let room = self.cfg.max_response_bytes.saturating_sub(kept.len());
            kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if kept.len() >= self.cfg.max_response_bytes {
                break;
            }
        }
        Ok((status, String::from_utf8_lossy(&kept).into_owned()))
    }
}

/// `pinned`: resolve through `PublicOnlyResolver`, and use no proxy (a
/// proxy would resolve the name itself, out of our sight).
pub(crate) fn http_client(cfg: &DispatcherConfig, pinned: bool) -> Result<reqwest::Client, reqwest::Error> {
    let b = reqwest::Client::builder()
        // A redirect is a failed delivery: following it could send the
        // signed event somewhere the tenant never configured.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout)
        .pool_max_idle_per_host(cfg.concurrency)
        .user_agent("Unicharge-Webhooks/0.1");
    let b = if pinned { b.dns_resolver(crate::resolver::PublicOnlyResolver).no_proxy() } else { b };
    b.build()
}

fn describe(e: &reqwest::Error) -> String {
    if let Some(refused) = crate::resolver::refused_by_resolver(e) {
        refused
    } else if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        format!("request failed: {e}")
    }
}
