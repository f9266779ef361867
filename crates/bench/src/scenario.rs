//! What each request is and what counts as its success.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode, Uri};
use rand::Rng;
use serde::Deserialize;

use crate::cli::Scenario;
use crate::stats::ErrorKind;
use crate::target::Target;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    Create,
    Retrieve,
}

impl Op {
    pub const ALL: [Op; 2] = [Op::Create, Op::Retrieve];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Retrieve => "retrieve",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl Scenario {
    /// The operation for a worker's `seq`-th request. `mixed` cycles
    /// deterministically so the 1:4 ratio is exact rather than approximate.
    pub fn op_for(self, seq: u64) -> Op {
        match self {
            // The webhook and WeChat scenarios run their own loops
            // (src/webhooks, src/wechat); they create charges too, untimed.
            Scenario::Create | Scenario::WebhookLatency | Scenario::WebhookThroughput | Scenario::WechatNotify => {
                Op::Create
            }
            Scenario::Retrieve => Op::Retrieve,
            Scenario::Mixed if seq.is_multiple_of(5) => Op::Create,
            Scenario::Mixed => Op::Retrieve,
        }
    }
}

const BASE36: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const PREFIX_LEN: usize = 6;
const COUNTER_MIN_LEN: usize = 6;

/// Unique order numbers: a random per-run prefix (so repeated runs against one
/// database do not collide) followed by a zero-padded base36 counter. Always
/// 12..=19 lowercase alphanumerics, inside every channel's 8..=20 window.
pub struct OrderNoGen {
    prefix: String,
    counter: AtomicU64,
}

impl OrderNoGen {
    pub fn new(rng: &mut impl Rng) -> Self {
        let prefix = (0..PREFIX_LEN).map(|_| char::from(BASE36[rng.random_range(0..BASE36.len())])).collect();
        Self::with_start(prefix, 0)
    }

    fn with_start(prefix: String, start: u64) -> Self {
        Self { prefix, counter: AtomicU64::new(start) }
    }

    pub fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut digits = [b'0'; 13]; // u64::MAX is 13 base36 digits
        let mut i = digits.len();
        let mut rest = n;
        loop {
            i -= 1;
            digits[i] = BASE36[(rest % 36) as usize];
            rest /= 36;
            if rest == 0 {
                break;
            }
        }
        let start = i.min(digits.len() - COUNTER_MIN_LEN);
        let mut out = String::with_capacity(self.prefix.len() + digits.len() - start);
        out.push_str(&self.prefix);
        out.extend(digits[start..].iter().map(|&b| char::from(b)));
        out
    }
}

/// The create body, serialized once; only `order_no` changes per request.
struct CreateBody {
    tail: Vec<u8>,
}

impl CreateBody {
    const HEAD: &'static [u8] = br#"{"order_no":""#;

    fn new(app: &str, channel: &str, amount: u64) -> Result<Self> {
        let rest = serde_json::json!({
            "app": {"id": app},
            "channel": channel,
            "amount": amount,
            "currency": "cny",
            "client_ip": "127.0.0.1",
            "subject": "bench",
            "body": "bench",
        });
        let rest = serde_json::to_string(&rest)?;
        let fields = rest.strip_prefix('{').context("serde_json produced a non-object")?;
        let mut tail = b"\",".to_vec();
        tail.extend_from_slice(fields.as_bytes());
        Ok(Self { tail })
    }

    /// `order_no` must be alphanumeric: it is spliced in without escaping.
    fn render(&self, order_no: &str) -> Bytes {
        let mut body = Vec::with_capacity(Self::HEAD.len() + order_no.len() + self.tail.len());
        body.extend_from_slice(Self::HEAD);
        body.extend_from_slice(order_no.as_bytes());
        body.extend_from_slice(&self.tail);
        Bytes::from(body)
    }
}

/// Builds requests with every header value prepared up front.
pub struct Requests {
    host: HeaderValue,
    auth: HeaderValue,
    json: HeaderValue,
    create_uri: Uri,
    charges_prefix: String,
    body: CreateBody,
    order_nos: OrderNoGen,
}

impl Requests {
    pub fn new(target: &Target, key: &str, app: &str, channel: &str, amount: u64, rng: &mut impl Rng) -> Result<Self> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {key}"))
            .context("--key contains characters not allowed in a header")?;
        auth.set_sensitive(true);
        let charges_prefix = format!("{}/v1/charges", target.path_prefix);
        Ok(Self {
            host: target.host_header.clone(),
            auth,
            json: HeaderValue::from_static("application/json"),
            create_uri: charges_prefix.parse().context("invalid --base path")?,
            charges_prefix,
            body: CreateBody::new(app, channel, amount)?,
            order_nos: OrderNoGen::new(rng),
        })
    }

    pub fn create(&self) -> Result<Request<Full<Bytes>>> {
        let body = self.body.render(&self.order_nos.next());
        Ok(Request::builder()
            .method(Method::POST)
            .uri(self.create_uri.clone())
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(CONTENT_TYPE, self.json.clone())
            .body(Full::new(body))?)
    }

    pub fn retrieve(&self, uri: &Uri) -> Result<Request<Full<Bytes>>> {
        Ok(Request::builder()
            .method(Method::GET)
            .uri(uri.clone())
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .body(Full::new(Bytes::new()))?)
    }

    /// Parsed once per pooled charge so the hot loop only clones it.
    pub fn retrieve_uri(&self, id: &str) -> Result<Uri> {
        let safe = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        anyhow::ensure!(safe, "server returned a charge id unsafe for a URL path: {id:?}");
        Ok(format!("{}/{id}", self.charges_prefix).parse()?)
    }
}

#[derive(Deserialize)]
struct ChargeHead {
    object: Option<String>,
    id: Option<String>,
}

/// Judges a response; for a create, also returns the new charge's id.
pub fn check(op: Op, status: StatusCode, body: &[u8]) -> Result<Option<String>, ErrorKind> {
    if status != StatusCode::OK {
        return Err(ErrorKind::Status(status.as_u16()));
    }
    match op {
        Op::Retrieve => Ok(None),
        Op::Create => match serde_json::from_slice::<ChargeHead>(body) {
            Ok(ChargeHead { object: Some(object), id }) if object == "charge" => Ok(id),
            _ => Err(ErrorKind::NotACharge),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn valid(s: &str) -> bool {
        (8..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
    }

    #[test]
    fn order_nos_are_unique_and_valid() {
        let gen = OrderNoGen::new(&mut rand::rng());
        let mut seen = HashSet::new();
        for _ in 0..100_000 {
            let n = gen.next();
            assert!(valid(&n), "invalid order_no {n}");
            assert!(seen.insert(n), "duplicate order_no");
        }
    }

    #[test]
    fn order_no_edges() {
        let gen = OrderNoGen::with_start("abc123".into(), 0);
        assert_eq!(gen.next(), "abc123000000");
        assert_eq!(gen.next(), "abc123000001");
        let gen = OrderNoGen::with_start("abc123".into(), 35);
        assert_eq!(gen.next(), "abc12300000z");
        assert_eq!(gen.next(), "abc123000010");
        let gen = OrderNoGen::with_start("abc123".into(), u64::MAX);
        let last = gen.next();
        assert_eq!(last, "abc1233w5e11264sgsf");
        assert!(valid(&last));
    }

    #[test]
    fn create_body_is_the_documented_json() -> Result<()> {
        let body = CreateBody::new("app_1", "sandbox", 100)?;
        let parsed: serde_json::Value = serde_json::from_slice(&body.render("abc123000000"))?;
        assert_eq!(
            parsed,
            serde_json::json!({
                "order_no": "abc123000000",
                "app": {"id": "app_1"},
                "channel": "sandbox",
                "amount": 100,
                "currency": "cny",
                "client_ip": "127.0.0.1",
                "subject": "bench",
                "body": "bench",
            })
        );
        // Values that need escaping still produce valid JSON.
        let body = CreateBody::new("app_\"x\\", "sand\nbox", 1)?;
        let parsed: serde_json::Value = serde_json::from_slice(&body.render("a1"))?;
        assert_eq!(parsed["app"]["id"], "app_\"x\\");
        Ok(())
    }

    #[test]
    fn mixed_is_one_create_per_four_retrieves() {
        let creates = (0..1000).filter(|&s| Scenario::Mixed.op_for(s) == Op::Create).count();
        assert_eq!(creates, 200);
    }

    #[test]
    fn success_rules() {
        let ok = br#"{"id":"ch_1","object":"charge"}"#;
        assert_eq!(check(Op::Create, StatusCode::OK, ok), Ok(Some("ch_1".into())));
        assert_eq!(check(Op::Create, StatusCode::OK, br#"{"object":"refund"}"#), Err(ErrorKind::NotACharge));
        assert_eq!(check(Op::Create, StatusCode::CREATED, ok), Err(ErrorKind::Status(201)));
        assert_eq!(check(Op::Retrieve, StatusCode::OK, b""), Ok(None));
        assert_eq!(check(Op::Retrieve, StatusCode::NOT_FOUND, b""), Err(ErrorKind::Status(404)));
    }
}
