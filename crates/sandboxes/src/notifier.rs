//! Asynchronous notification delivery with a provider's retry schedule.

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

#[derive(Clone)]
pub struct Notifier {
    http: reqwest::Client,
    schedule: RetrySchedule,
    ack: &'static str,
    /// Alipay wants exactly its ack bytes; other providers tolerate blanks.
    exact: bool,
}

impl Notifier {
    pub fn new(http: reqwest::Client, schedule: RetrySchedule, ack: &'static str) -> Self {
        Self { http, schedule, ack, exact: false }
    }

    /// Only the ack body itself counts: no surrounding whitespace or newline.
    pub fn exact_ack(mut self) -> Self {
        self.exact = true;
        self
    }

    /// One attempt: true when the receiver answered the provider's ack body.
    pub async fn attempt(&self, url: &str, form_body: &str) -> bool {
        let res = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
            .body(form_body.to_owned())
            .timeout(Duration::from_secs(15))
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => match r.text().await {
                Ok(t) if self.exact => t == self.ack,
                Ok(t) => t.trim() == self.ack,
                Err(_) => false,
            },
            Ok(r) => {
                tracing::info!(status = %r.status(), "sandbox notification not acknowledged");
                false
            }
            Err(e) => {
                tracing::info!(error = %e, "sandbox notification failed to send");
                false
            }
        }
    }

    /// Sends now; if not acknowledged, keeps retrying in the background.
    pub async fn deliver(&self, url: String, form_body: String) -> bool {
        if self.attempt(&url, &form_body).await {
            return true;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let mut i = 0;
            while let Some(delay) = me.schedule.scaled(i) {
                tokio::time::sleep(delay).await;
                if me.attempt(&url, &form_body).await {
                    return;
                }
                i += 1;
            }
            tracing::warn!(url = %url, "sandbox notification abandoned after the last retry");
        });
        false
    }
}
