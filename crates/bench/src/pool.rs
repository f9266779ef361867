//! Charges created before a timed phase (never timed themselves).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use tokio::task::JoinSet;

use crate::conn::Conn;
use crate::scenario::{check, Op, Requests};
use crate::target::Target;

/// Setup tolerates sporadic failures but gives up once one connection sees
/// this many in a row: the server is then rejecting creates outright.
const MAX_CONSECUTIVE_FAILURES: u32 = 5;

/// Creates `size` charges over `parallel` connections and maps each answer
/// (charge id and raw body) through `extract`. `what` names the pool in errors.
pub async fn create_many<T, F>(
    target: &Arc<Target>,
    requests: &Arc<Requests>,
    size: u64,
    parallel: usize,
    timeout: Duration,
    what: &'static str,
    extract: F,
) -> Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(&str, &[u8]) -> Result<T> + Send + Sync + 'static,
{
    let claimed = Arc::new(AtomicU64::new(0));
    let extract = Arc::new(extract);
    let mut set = JoinSet::new();
    for _ in 0..parallel.max(1) {
        let target = Arc::clone(target);
        let requests = Arc::clone(requests);
        let claimed = Arc::clone(&claimed);
        let extract = Arc::clone(&extract);
        set.spawn(async move {
            let mut conn = Conn::open(target, timeout).await?;
            let mut out = Vec::new();
            while claimed.fetch_add(1, Ordering::Relaxed) < size {
                let mut failures = 0;
                loop {
                    match create_one(&mut conn, &requests, timeout).await {
                        Ok((id, body)) => {
                            out.push(extract(&id, &body)?);
                            break;
                        }
                        Err(_) if failures + 1 < MAX_CONSECUTIVE_FAILURES => failures += 1,
                        Err(e) => return Err(e.context(format!("creating the {what} failed"))),
                    }
                }
            }
            Ok::<_, anyhow::Error>(out)
        });
    }
    let mut all = Vec::new();
    while let Some(joined) = set.join_next().await {
        all.extend(joined.context("charge creation task panicked")??);
    }
    Ok(all)
}

async fn create_one(conn: &mut Conn, requests: &Requests, timeout: Duration) -> Result<(String, Bytes)> {
    conn.ready().await.map_err(|kind| anyhow::anyhow!("{kind}"))?;
    let (status, body) = conn.exchange(requests.create()?, timeout).await.map_err(|kind| anyhow::anyhow!("{kind}"))?;
    match check(Op::Create, status, &body) {
        Ok(Some(id)) => Ok((id, body)),
        Ok(None) => bail!("create answered 200 without an id"),
        Err(kind) => bail!("POST /v1/charges: {kind}: {}", snippet(&body)),
    }
}

/// The start of a response body, for error messages.
pub fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(300).collect()
}
