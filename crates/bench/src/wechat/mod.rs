//! `wechat-notify`: WeChat Pay APIv3 payment notifications processed per
//! second (RSA verify, AES-GCM decrypt, a compare-and-set and its event).
//!
//! 1. Reads the app's test-mode `wx` configuration (APIv3, as every new app
//!    gets on the built-in WeChat Pay sandbox) and creates `--events`
//!    pending `wx_pub_qr` charges through `/v1/charges`; the sandbox
//!    answers each create. Not timed.
//! 2. Switches that configuration to WeChat Pay public-key mode with a key
//!    pair and APIv3 key the bench generated, keeping the merchant (mchid,
//!    appid, merchant key), so the bench can sign notifications as WeChat
//!    Pay would. This is one-way: the sandbox's APIv3 key cannot be read
//!    back, so the app cannot create WeChat Pay charges afterwards. Use a
//!    fresh app per run.
//! 3. Signs and encrypts one `TRANSACTION.SUCCESS` per charge (not timed:
//!    RSA signing would otherwise load the client more than the server).
//! 4. Posts them over keep-alive connections, closed loop, and counts
//!    200 `{"code":"SUCCESS"}` answers.
//! 5. Checks every notified charge: paid once, with the bench's
//!    transaction id, and exactly one `charge.succeeded` each.

mod check;
mod notify;
mod report;
mod send;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hyper::Method;
use serde_json::{json, Map, Value};

use crate::cli::Args;
use crate::control::{safe, Api};
use crate::pool;
use crate::runner::POOL_PARALLELISM;
use crate::scenario::Requests;
use crate::target::Target;
use notify::{Merchant, Notification, Paid, PlatformKeys};

pub use report::NotifyReport;

/// The product whose charges are notified: Native pay, the buyer scanning.
const CHANNEL: &str = "wx_pub_qr";
/// WeChat Pay's receivers refuse timestamps more than 300 s off; keep clear
/// of that edge, since every notification is signed before the run.
const SIGNED_VALIDITY: Duration = Duration::from_secs(270);

/// A created charge and the notification that pays it.
pub struct Order {
    pub id: String,
    pub transaction_id: String,
    pub notification: Notification,
}

pub async fn run(args: &Args, target: Arc<Target>, threads: usize) -> Result<NotifyReport> {
    anyhow::ensure!(
        args.key.starts_with("sk_test_"),
        "wechat-notify configures the app's test-mode WeChat Pay channel: use a test key (sk_test_…)"
    );
    let mut api = Api::open(&target, &args.key, args.timeout).await?;
    let stored = wx_config(&mut api, &args.app).await?;
    let merchant = merchant_of(&stored)?;

    let started = Instant::now();
    let created = create_charges(args, &target, args.events).await?;
    let create_time = started.elapsed();
    eprintln!("created {} {CHANNEL} charges in {:.1}s", created.len(), create_time.as_secs_f64());

    let keys = Arc::new(PlatformKeys::generate()?);
    switch_to_bench_keys(&mut api, &args.app, &stored, &keys).await?;
    eprintln!("app {} wx (test) now verifies with bench key {}", args.app, keys.public_key_id);

    let signed_from = Instant::now();
    let orders = sign_all(&keys, &merchant, created, args.amount, threads).await?;
    eprintln!("signed {} notifications in {:.1}s", orders.len(), signed_from.elapsed().as_secs_f64());
    let left = SIGNED_VALIDITY.saturating_sub(signed_from.elapsed());
    anyhow::ensure!(
        args.warmup + args.duration < left,
        "--warmup + --duration must end within {:.0}s of signing (timestamps more than 5 minutes old are refused); \
         shorten them or lower --events",
        left.as_secs_f64()
    );

    let since = unix_now()? - 1;
    let sent = send::run(args, &target, Arc::new(orders), threads).await?;
    let checked = check::run(args, &target, &mut api, &sent, since).await?;
    Ok(NotifyReport::new(args, &target, threads, create_time, sent, checked))
}

fn unix_now() -> Result<i64> {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).context("system clock before 1970")?;
    Ok(d.as_secs() as i64)
}

/// The app's test-mode `wx` configuration parameters (secrets not shown).
async fn wx_config(api: &mut Api, app: &str) -> Result<Map<String, Value>> {
    let v = api.call(Method::GET, &format!("/v1/apps/{}/channels", safe("--app", app)?), None).await?;
    let list = v.get("data").and_then(Value::as_array).context("channel list without `data`")?;
    let wx = list
        .iter()
        .find(|c| c.get("channel").and_then(Value::as_str) == Some("wx"))
        .context("the app has no test-mode wx configuration: create a new app (every new app gets one)")?;
    let params = wx.get("params").and_then(Value::as_object).context("wx configuration without params")?;
    if params.get("api_version").and_then(Value::as_str) != Some("v3") {
        bail!("the app's wx configuration is not APIv3: create a new app for this scenario");
    }
    if params.contains_key("platform_public_key_id") {
        bail!(
            "the app's wx configuration is already in public-key mode (an earlier wechat-notify run?): its \
             sandbox merchant can no longer be used; create a new app for each run"
        );
    }
    Ok(params.clone())
}

fn merchant_of(params: &Map<String, Value>) -> Result<Merchant> {
    let get = |names: &[&str]| names.iter().find_map(|n| params.get(*n).and_then(Value::as_str)).map(str::to_owned);
    Ok(Merchant {
        mchid: get(&["mchid", "mch_id"]).context("wx configuration without mchid")?,
        appid: get(&["appid"]).context("wx configuration without appid")?,
    })
}

/// Public-key mode with the bench's key and APIv3 key. The other plain
/// parameters are sent back as stored; the merchant private key is left out,
/// so the server keeps it.
async fn switch_to_bench_keys(
    api: &mut Api,
    app: &str,
    stored: &Map<String, Value>,
    keys: &PlatformKeys,
) -> Result<()> {
    let mut params = stored.clone();
    params.remove("platform_cert");
    params.insert("platform_public_key".into(), json!(keys.public_key_pem));
    params.insert("platform_public_key_id".into(), json!(keys.public_key_id));
    params.insert("apiv3_key".into(), json!(keys.apiv3_key()));
    let path = format!("/v1/apps/{}/channels/wx", safe("--app", app)?);
    api.call(Method::PUT, &path, Some(&json!({"params": params}))).await.context("switching wx to the bench's keys")?;
    Ok(())
}

/// (charge id, order_no) of `n` new pending charges.
async fn create_charges(args: &Args, target: &Arc<Target>, n: u64) -> Result<Vec<(String, String)>> {
    let requests = Arc::new(Requests::new(target, &args.key, &args.app, CHANNEL, args.amount, &mut rand::rng())?);
    eprintln!("creating {n} {CHANNEL} charges at the WeChat Pay sandbox (not timed)...");
    let parallel = (args.connections as usize).min(POOL_PARALLELISM);
    pool::create_many(target, &requests, n, parallel, args.timeout, "wx_pub_qr charges", |id, body| {
        let v: Value = serde_json::from_slice(body)?;
        if v.get("paid").and_then(Value::as_bool) != Some(false) {
            bail!("charge {id} was not created pending");
        }
        let order_no = v.get("order_no").and_then(Value::as_str).context("charge without order_no")?;
        Ok((id.to_owned(), order_no.to_owned()))
    })
    .await
}

/// One notification per charge, signed on blocking threads.
async fn sign_all(
    keys: &Arc<PlatformKeys>,
    merchant: &Merchant,
    created: Vec<(String, String)>,
    amount: u64,
    threads: usize,
) -> Result<Vec<Order>> {
    eprintln!("signing and encrypting {} notifications (not timed)...", created.len());
    // WeChat's transaction ids are 28 digits; a random run prefix keeps
    // repeated runs apart.
    let run: u64 = rand::random_range(0..100_000_000);
    let now = unix_now()?;
    let chunk = created.len().div_ceil(threads.max(1)).max(1);
    let mut tasks = Vec::new();
    for (i, part) in created.chunks(chunk).enumerate() {
        let (keys, merchant, part) = (Arc::clone(keys), merchant.clone(), part.to_vec());
        let first = i * chunk;
        tasks.push(tokio::task::spawn_blocking(move || {
            part.into_iter()
                .enumerate()
                .map(|(k, (id, order_no))| {
                    let transaction_id = format!("4200{run:08}{:016}", first + k);
                    let paid = Paid { order_no: &order_no, amount, transaction_id: &transaction_id };
                    let notification = keys.transaction_success(&merchant, &paid, now)?;
                    Ok(Order { id, transaction_id, notification })
                })
                .collect::<Result<Vec<_>>>()
        }));
    }
    let mut orders = Vec::with_capacity(created.len());
    for t in tasks {
        orders.extend(t.await.context("a signing task panicked")??);
    }
    Ok(orders)
}
