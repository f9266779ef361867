//! Asynchronous notification delivery with a provider's retry schedule.

use std::sync::Arc;
use std::time::Duration;

/// Delays between notification attempts. `time_scale` divides every delay,
/// so tests can run a provider's day-long schedule in seconds.
#[derive(Debug, Clone)]
pub struct RetrySchedule {
    pub delays: Vec<Duration>,
    pub time_scale: u32,
}

impl RetrySchedule {
    pub fn scaled(&self, i: usize) -> Option<Duration> {
        self.delays.get(i).map(|d| *d / self.time_scale.max(1))
    }
}

/// One notification request as it goes on the wire.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Builds each attempt afresh: providers that sign a timestamp into the
/// headers (WeChat Pay v3) re-sign every retry, or a receiver's clock-skew
/// check would refuse the later ones.
pub type Render = Arc<dyn Fn() -> Outgoing + Send + Sync>;

/// Whether a receiver's answer (HTTP status, body) acknowledges delivery.
pub type AckCheck = Arc<dyn Fn(u16, &str) -> bool + Send + Sync>;

#[derive(Clone)]
enum Ack {
    /// A 2xx with exactly this body (`exact`) or this body modulo blanks.
    Body {
        text: &'static str,
        exact: bool,
    },
    Check(AckCheck),
}

#[derive(Clone)]
pub struct Notifier {
    http: reqwest::Client,
    schedule: RetrySchedule,
    ack: Ack,
}

impl Notifier {
    pub fn new(http: reqwest::Client, schedule: RetrySchedule, ack: &'static str) -> Self {
        Self { http, schedule, ack: Ack::Body { text: ack, exact: false } }
    }

    /// A provider whose ack is not a fixed body (WeChat Pay: v3 wants HTTP
    /// 200/204, v2 an XML `return_code` of SUCCESS).
    pub fn with_ack_check(http: reqwest::Client, schedule: RetrySchedule, check: AckCheck) -> Self {
        Self { http, schedule, ack: Ack::Check(check) }
    }

    /// Only the ack body itself counts: no surrounding whitespace or newline.
    pub fn exact_ack(mut self) -> Self {
        if let Ack::Body { exact, .. } = &mut self.ack {
            *exact = true;
        }
        self
    }

    fn acknowledged(&self, status: u16, body: &str) -> bool {
        match &self.ack {
            Ack::Body { text, exact: true } => (200..300).contains(&status) && body == *text,
            Ack::Body { text, exact: false } => (200..300).contains(&status) && body.trim() == *text,
            Ack::Check(f) => f(status, body),
        }
    }

    async fn send(&self, url: &str, out: Outgoing) -> bool {
        let mut req = self.http.post(url).header("content-type", out.content_type).timeout(Duration::from_secs(15));
        for (k, v) in &out.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        match req.body(out.body).send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let body = r.text().await.unwrap_or_default();
                let ok = self.acknowledged(status, &body);
                if !ok {
                    tracing::info!(status, "sandbox notification not acknowledged");
                }
                ok
            }
            Err(e) => {
                tracing::info!(error = %e, "sandbox notification failed to send");
                false
            }
        }
    }

    /// One attempt of a form-encoded notification: true when acknowledged.
    pub async fn attempt(&self, url: &str, form_body: &str) -> bool {
        self.send(url, form(form_body.to_owned())).await
    }

    /// Sends now; if not acknowledged, keeps retrying in the background.
    pub async fn deliver(&self, url: String, form_body: String) -> bool {
        self.deliver_rendered(url, Arc::new(move || form(form_body.clone()))).await
    }

    /// As [`Notifier::deliver`], building every attempt with `render`.
    pub async fn deliver_rendered(&self, url: String, render: Render) -> bool {
        if self.send(&url, render()).await {
            return true;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let mut i = 0;
            while let Some(delay) = me.schedule.scaled(i) {
                tokio::time::sleep(delay).await;
                if me.send(&url, render()).await {
                    return;
                }
                i += 1;
            }
            tracing::warn!(url = %url, "sandbox notification abandoned after the last retry");
        });
        false
    }
}

fn form(body: String) -> Outgoing {
    Outgoing { content_type: "application/x-www-form-urlencoded; charset=utf-8", headers: Vec::new(), body }
}
