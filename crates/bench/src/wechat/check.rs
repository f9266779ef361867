//! After the run: every notified charge must be paid exactly once, with the
//! transaction id the bench sent. Reads each charge (`GET /v1/charges/{id}`)
//! and counts the app's `charge.succeeded` events since the run began.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use hyper::{Method, StatusCode};
use serde_json::Value;
use tokio::task::JoinSet;

use super::send::Sent;
use crate::cli::Args;
use crate::conn::Conn;
use crate::control::{safe, Api};
use crate::pool::snippet;
use crate::runner::POOL_PARALLELISM;
use crate::scenario::Requests;
use crate::target::Target;

/// What the reads found, over the charges a notification was sent for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Notifications sent (acknowledged or not).
    pub sent: u64,
    pub acked: u64,
    /// Acknowledged, and the charge reads paid with our transaction id.
    pub paid: u64,
    /// Acknowledged, but the charge is not paid: a lost payment.
    pub acked_unpaid: u64,
    /// Paid with another transaction id than the one notified.
    pub wrong_transaction: u64,
    /// Not acknowledged (error or timeout) yet paid: the server committed
    /// but the answer was lost. Not an error; WeChat would retry.
    pub paid_unacked: u64,
    /// `charge.succeeded` events for the notified charges.
    pub events: u64,
    /// Paid charges with no `charge.succeeded`.
    pub missing_events: u64,
    /// Events beyond the first for one charge.
    pub duplicate_events: u64,
}

impl Checked {
    pub fn problem(&self) -> Option<String> {
        let mut p = Vec::new();
        if self.acked_unpaid > 0 {
            p.push(format!("{} acknowledged notifications left their charge unpaid", self.acked_unpaid));
        }
        if self.wrong_transaction > 0 {
            p.push(format!("{} charges paid with another transaction id", self.wrong_transaction));
        }
        if self.missing_events > 0 {
            p.push(format!("{} paid charges have no charge.succeeded", self.missing_events));
        }
        if self.duplicate_events > 0 {
            p.push(format!("{} duplicate charge.succeeded events", self.duplicate_events));
        }
        (!p.is_empty()).then(|| p.join("; "))
    }
}

pub async fn run(args: &Args, target: &Arc<Target>, api: &mut Api, sent: &Sent, since: i64) -> Result<Checked> {
    let notified: Vec<usize> = (0..sent.orders.len()).filter(|&i| sent.acked[i].is_some()).collect();
    eprintln!("checking {} notified charges (not timed)...", notified.len());
    let states = read_charges(args, target, sent, &notified).await?;
    let events = count_events(api, &args.app, since).await?;

    let mut c = Checked { sent: notified.len() as u64, ..Checked::default() };
    for (&i, (paid, txn)) in notified.iter().zip(&states) {
        let order = &sent.orders[i];
        let acked = sent.acked[i] == Some(true);
        c.acked += u64::from(acked);
        match (acked, *paid) {
            (true, true) => c.paid += 1,
            (true, false) => c.acked_unpaid += 1,
            (false, true) => c.paid_unacked += 1,
            (false, false) => {}
        }
        if *paid && txn.as_deref() != Some(order.transaction_id.as_str()) {
            c.wrong_transaction += 1;
        }
        let n = events.get(&order.id).copied().unwrap_or(0);
        c.events += n;
        c.duplicate_events += n.saturating_sub(1);
        if *paid && n == 0 {
            c.missing_events += 1;
        }
    }
    Ok(c)
}

/// (paid, transaction_no) of each charge, read over a few connections.
async fn read_charges(
    args: &Args,
    target: &Arc<Target>,
    sent: &Sent,
    which: &[usize],
) -> Result<Vec<(bool, Option<String>)>> {
    let requests =
        Arc::new(Requests::new(target, &args.key, &args.app, super::CHANNEL, args.amount, &mut rand::rng())?);
    let uris = Arc::new(which.iter().map(|&i| requests.retrieve_uri(&sent.orders[i].id)).collect::<Result<Vec<_>>>()?);
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    for _ in 0..(args.connections as usize).clamp(1, POOL_PARALLELISM) {
        let (target, requests, uris, next) =
            (Arc::clone(target), Arc::clone(&requests), Arc::clone(&uris), Arc::clone(&next));
        let timeout = args.timeout;
        set.spawn(async move {
            let mut conn = Conn::open(target, timeout).await?;
            let mut out = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(uri) = uris.get(k) else { break };
                conn.ready().await.map_err(|kind| anyhow::anyhow!("GET {uri}: {kind}"))?;
                let (status, body) = conn
                    .exchange(requests.retrieve(uri)?, timeout)
                    .await
                    .map_err(|kind| anyhow::anyhow!("GET {uri}: {kind}"))?;
                if status != StatusCode::OK {
                    bail!("GET {uri}: status {}: {}", status.as_u16(), snippet(&body));
                }
                let v: Value = serde_json::from_slice(&body).with_context(|| format!("GET {uri}: not JSON"))?;
                let paid = v.get("paid").and_then(Value::as_bool).unwrap_or(false);
                let txn = v.get("transaction_no").and_then(Value::as_str).map(str::to_owned);
                out.push((k, (paid, txn)));
            }
            Ok::<_, anyhow::Error>(out)
        });
    }
    let mut states = vec![(false, None); which.len()];
    while let Some(joined) = set.join_next().await {
        for (k, s) in joined.context("a check task panicked")?? {
            states[k] = s;
        }
    }
    Ok(states)
}

/// `charge.succeeded` events of `app` created since `since`, by charge id.
async fn count_events(api: &mut Api, app: &str, since: i64) -> Result<HashMap<String, u64>> {
    let base = format!(
        "/v1/events?app%5Bid%5D={}&type=charge.succeeded&created%5Bgte%5D={since}&limit=100",
        safe("--app", app)?
    );
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(id) => format!("{base}&starting_after={}", safe("event id", id)?),
            None => base.clone(),
        };
        let page = api.call(Method::GET, &path, None).await?;
        let data = page.get("data").and_then(Value::as_array).context("event list without `data`")?;
        for e in data {
            let id = e.pointer("/data/object/id").and_then(Value::as_str).context("event without data.object.id")?;
            *counts.entry(id.to_owned()).or_default() += 1;
        }
        let more = page.get("has_more").and_then(Value::as_bool).unwrap_or(false);
        match data.last().and_then(|e| e.get("id")).and_then(Value::as_str) {
            Some(last) if more => after = Some(last.to_owned()),
            _ => break,
        }
    }
    Ok(counts)
}
