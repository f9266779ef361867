//! WeChat Pay platform certificates (APIv3 certificate mode): parsed
//! certificates, and the in-memory store of downloaded ones per merchant.
//!
//! Certificates are downloaded from `/v3/certificates` when none are known,
//! every [`REFRESH_EVERY`], when the newest expires within
//! [`EXPIRY_MARGIN`], and once when a message names an unknown serial (WeChat
//! rotates certificates and signs with the new one before merchants know
//! it). Unsolicited refreshes are limited to one per [`RETRY_AFTER`] per
//! merchant, so forged serials cannot make us hammer WeChat.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use unicharge_crypto::{certificate_serial_validity, pem_certificates, RsaPublicKey};

pub const REFRESH_EVERY: i64 = 12 * 3600;
pub const EXPIRY_MARGIN: i64 = 24 * 3600;
pub const RETRY_AFTER: i64 = 60;

#[derive(Debug, Clone)]
pub struct PlatformCert {
    pub serial: String,
    pub key: RsaPublicKey,
    pub not_before: i64,
    pub not_after: i64,
}

impl PlatformCert {
    pub fn parse(pem_text: &str) -> Result<Self, String> {
        let info = certificate_serial_validity(pem_text).map_err(|e| e.to_string())?;
        let key = RsaPublicKey::from_certificate_pem(pem_text).map_err(|e| e.to_string())?;
        Ok(Self { serial: info.serial_hex, key, not_before: info.not_before, not_after: info.not_after })
    }

    /// Every certificate in a PEM bundle.
    pub fn parse_bundle(pem_text: &str) -> Result<Vec<Self>, String> {
        let ders = pem_certificates(pem_text).map_err(|e| e.to_string())?;
        ders.iter().map(|der| Self::parse(&pem::encode(&pem::Pem::new("CERTIFICATE", der.clone())))).collect()
    }

    pub fn valid_at(&self, now: i64) -> bool {
        self.not_before <= now && now <= self.not_after
    }
}

/// Finds the certificate named `serial` among `certs`, valid at `now`.
pub fn find<'a>(certs: &'a [PlatformCert], serial: &str, now: i64) -> Option<&'a PlatformCert> {
    certs.iter().find(|c| c.serial.eq_ignore_ascii_case(serial) && c.valid_at(now))
}

#[derive(Default, Clone)]
struct Entry {
    certs: Vec<PlatformCert>,
    fetched_at: Option<i64>,
    last_attempt: Option<i64>,
}

/// Downloaded certificates by merchant (`V3Config::store_key`).
#[derive(Default)]
pub struct CertStore {
    entries: Mutex<HashMap<String, Entry>>,
    /// Held while a merchant's certificates are downloaded, so calls that
    /// meet an unknown serial meanwhile wait for the download rather than
    /// fail on a certificate that is moments away.
    downloads: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl CertStore {
    /// The merchant's download lock.
    pub fn download_gate(&self, store_key: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.downloads.lock() {
            Ok(mut m) => m.entry(store_key.to_owned()).or_default().clone(),
            // A poisoned map only loses the waiting, not correctness.
            Err(_) => Arc::default(),
        }
    }

    pub fn find(&self, store_key: &str, serial: &str, now: i64) -> Option<RsaPublicKey> {
        let m = self.entries.lock().ok()?;
        find(&m.get(store_key)?.certs, serial, now).map(|c| c.key.clone())
    }

    pub fn certs(&self, store_key: &str) -> Vec<PlatformCert> {
        self.entries.lock().ok().and_then(|m| m.get(store_key).map(|e| e.certs.clone())).unwrap_or_default()
    }

    /// Whether a scheduled refresh is due: never fetched, fetched long
    /// ago, or the newest certificate about to expire.
    pub fn due(&self, store_key: &str, now: i64) -> bool {
        let Ok(m) = self.entries.lock() else { return true };
        let Some(e) = m.get(store_key) else { return true };
        if e.last_attempt.is_some_and(|t| now - t < RETRY_AFTER) {
            return false;
        }
        let newest = e.certs.iter().map(|c| c.not_after).max().unwrap_or(0);
        e.fetched_at.is_none_or(|t| now - t >= REFRESH_EVERY) || newest - now < EXPIRY_MARGIN
    }

    /// Claims the right to refresh now; false if one was tried recently.
    pub fn begin(&self, store_key: &str, now: i64) -> bool {
        let Ok(mut m) = self.entries.lock() else { return false };
        let e = m.entry(store_key.to_owned()).or_default();
        if e.last_attempt.is_some_and(|t| now - t < RETRY_AFTER) {
            return false;
        }
        e.last_attempt = Some(now);
        true
    }

    pub fn put(&self, store_key: &str, certs: Vec<PlatformCert>, now: i64) {
        if let Ok(mut m) = self.entries.lock() {
            let e = m.entry(store_key.to_owned()).or_default();
            e.certs = certs;
            e.fetched_at = Some(now);
        }
    }
}
