//! The provider behind Unicharge's `sandbox` test channel.
//!
//! Protocol (also in docs/channels/sandbox.md): flat string fields, signed
//! `sign = hex(HMAC-SHA256(key, sorted k=v&… without sign))`. Merchant keys are
//! derived from the provider's root secret, the way a provider's console
//! issues them, so the provider needs no storage of its own to check them.

mod page;
mod routes;
mod trades;

pub use routes::configure;

use crate::{Notifier, RetrySchedule};
use secrecy::{ExposeSecret, SecretBox};
use std::collections::BTreeMap;
use std::time::Duration;
use trades::Trades;
use unicharge_crypto::{hmac_sha256_hex, sorted_sign_content, verify_hmac_sha256};

pub type Fields = BTreeMap<String, String>;

pub struct SandboxProvider {
    root: SecretBox<[u8]>,
    trades: Trades,
    notifier: Notifier,
}

impl SandboxProvider {
    /// `root` must stay the same across restarts and nodes, or issued
    /// merchant keys stop verifying.
    pub fn new(root: Vec<u8>, http: reqwest::Client, time_scale: u32) -> Self {
        let schedule = RetrySchedule {
            delays: [15, 60, 300, 900, 3600, 7200].into_iter().map(Duration::from_secs).collect(),
            time_scale,
        };
        Self {
            root: SecretBox::new(root.into_boxed_slice()),
            trades: Trades::default(),
            notifier: Notifier::new(http, schedule, "SUCCESS"),
        }
    }

    /// Issues a merchant account: its id and HMAC key.
    pub fn issue_merchant(&self) -> (String, String) {
        let mch_id = format!("sbx{}", random_digits(12));
        let key = self.merchant_key(&mch_id);
        (mch_id, key)
    }

    pub fn merchant_key(&self, mch_id: &str) -> String {
        hmac_sha256_hex(self.root.expose_secret(), format!("sandbox-merchant:{mch_id}").as_bytes())
    }

    pub(crate) fn sign(&self, fields: &Fields, key: &str) -> String {
        hmac_sha256_hex(key.as_bytes(), sign_content(fields).as_bytes())
    }

    /// Verifies a merchant's request; returns the merchant key on success.
    pub(crate) fn verify(&self, fields: &Fields) -> Result<String, &'static str> {
        let mch_id = fields.get("mch_id").filter(|s| !s.is_empty()).ok_or("mch_id is missing")?;
        let sig = fields.get("sign").ok_or("sign is missing")?;
        let tag = hex_decode(sig).ok_or("sign is not hex")?;
        let key = self.merchant_key(mch_id);
        if verify_hmac_sha256(key.as_bytes(), sign_content(fields).as_bytes(), &tag) {
            Ok(key)
        } else {
            Err("sign does not match")
        }
    }
}

fn sign_content(fields: &Fields) -> String {
    sorted_sign_content(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), &["sign"])
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

fn random_digits(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
