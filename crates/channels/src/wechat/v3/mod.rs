//! APIv3: JSON over HTTPS, requests signed with the merchant API key,
//! answers and notifications signed by WeChat Pay and verified here, and
//! notification resources decrypted with the APIv3 key.

pub mod certs;
pub mod notify;
pub mod ops;
pub mod sign;
pub mod wire;

use super::config::{Platform, V3Config};
use super::{nonce, now, Shared, TIMEOUT};
use crate::ChannelError;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certs::PlatformCert;
use reqwest::Method;
use serde::de::DeserializeOwned;
use sign::{RequestLine, SignedHeaders};
use std::sync::Arc;
use unicharge_crypto::{aes_gcm_decrypt, ExposeSecret, RsaPublicKey};

/// An answer whose signature checked out, or an unsigned failure.
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// Unsigned failures are reported but never taken as facts such as
    /// "this order does not exist".
    pub signed: bool,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, ChannelError> {
        serde_json::from_str(&self.body).map_err(|e| ChannelError::Malformed(format!("{what}: {e}")))
    }

    pub fn error_body(&self) -> wire::ErrorBody {
        serde_json::from_str(&self.body).unwrap_or_default()
    }

    /// A signed failure with WeChat's `code`.
    pub fn signed_code(&self, code: &str) -> bool {
        self.signed && !self.ok() && self.error_body().code == code
    }

    pub fn into_error(self, what: &str) -> ChannelError {
        let status = self.status;
        self.error_body().into_error(what, status)
    }
}

/// Decrypts an AEAD_AES_256_GCM resource with the APIv3 key.
pub fn decrypt_resource(cfg: &V3Config, r: &wire::Resource) -> Result<Vec<u8>, ChannelError> {
    if r.algorithm != "AEAD_AES_256_GCM" {
        return Err(ChannelError::Malformed(format!("resource algorithm {} is not AEAD_AES_256_GCM", r.algorithm)));
    }
    let sealed = B64.decode(&r.ciphertext).map_err(|_| ChannelError::Malformed("ciphertext is not base64".into()))?;
    aes_gcm_decrypt(cfg.apiv3_key.expose_secret().as_bytes(), r.nonce.as_bytes(), r.associated_data.as_bytes(), &sealed)
        .map_err(|e| ChannelError::BadSignature(format!("resource: {e}")))
}

/// The key WeChat signed with, if known: the public key by its id, or a
/// configured or downloaded certificate by serial.
pub fn platform_key(sh: &Shared, cfg: &V3Config, serial: &str, now: i64) -> Option<RsaPublicKey> {
    match &cfg.platform {
        Platform::PublicKey { id, key } => (id == serial).then(|| key.clone()),
        Platform::Certificates { configured } => certs::find(configured, serial, now)
            .map(|c| c.key.clone())
            .or_else(|| sh.certs.find(&cfg.store_key, serial, now)),
    }
}

fn uses_certificates(cfg: &V3Config) -> bool {
    matches!(cfg.platform, Platform::Certificates { .. })
}

async fn send(
    sh: &Shared,
    cfg: &V3Config,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<(u16, SignedHeadersOrMissing, String), ChannelError> {
    let body = body.unwrap_or_default();
    let (ts, nonce) = (now(), nonce());
    // WeChat verifies the path it receives; against a base with a path
    // prefix (a simulator) the SDKs sign the path below the base, as here.
    let line = RequestLine { method: method.as_str(), path_and_query: path, body: &body, timestamp: ts, nonce: &nonce };
    let auth = sign::authorization(&cfg.signer, &cfg.mchid, &cfg.serial_no, &line);
    let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
    let mut req = sh
        .http
        .request(method.clone(), format!("{}{path}", cfg.base))
        .header("authorization", auth)
        .header("accept", "application/json")
        .header("user-agent", "unicharge")
        .timeout(TIMEOUT);
    if method != Method::GET {
        req = req.header("content-type", "application/json").body(body);
    }
    let resp = req.send().await.map_err(|e| ChannelError::Unavailable(format!("{what}: {e}")))?;
    let status = resp.status().as_u16();
    let pairs: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned())))
        .collect();
    let text = resp.text().await.map_err(|e| ChannelError::Unavailable(format!("{what}: {e}")))?;
    let headers = SignedHeaders::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok((status, headers, text))
}

type SignedHeadersOrMissing = Result<SignedHeaders, ChannelError>;

/// One signed call; the answer's signature is verified (an unknown serial
/// triggers one certificate refresh), and only failures may be unsigned.
pub async fn call(
    sh: &Shared,
    cfg: &Arc<V3Config>,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Reply, ChannelError> {
    if uses_certificates(cfg) && sh.certs.due(&cfg.store_key, now()) {
        if let Err(e) = refresh_certificates(sh, cfg).await {
            tracing::warn!(mchid = %cfg.mchid, error = %e, "WeChat Pay platform certificates not refreshed");
        }
    }
    let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
    let (status, headers, body) = send(sh, cfg, method, path, body).await?;
    let verdict = match headers {
        Ok(h) => verify_answer(sh, cfg, &h, &body).await,
        Err(e) => Err(e),
    };
    match verdict {
        Ok(()) => Ok(Reply { status, body, signed: true }),
        Err(e) if (200..300).contains(&status) => Err(ChannelError::BadSignature(format!("{what}: {e}"))),
        Err(e) => {
            tracing::debug!(error = %e, "unsigned WeChat Pay failure");
            Ok(Reply { status, body, signed: false })
        }
    }
}

async fn verify_answer(sh: &Shared, cfg: &Arc<V3Config>, h: &SignedHeaders, body: &str) -> Result<(), ChannelError> {
    let t = now();
    h.check_fresh(t)?;
    if let Some(key) = platform_key(sh, cfg, &h.serial, t) {
        return h.verify(&key, body, t);
    }
    if uses_certificates(cfg) {
        let gate = sh.certs.download_gate(&cfg.store_key);
        let _downloading = gate.lock().await;
        // A download that finished while this call waited may have brought it.
        if let Some(key) = platform_key(sh, cfg, &h.serial, t) {
            return h.verify(&key, body, t);
        }
        if sh.certs.begin(&cfg.store_key, t) {
            refresh_certificates_claimed(sh, cfg).await?;
            if let Some(key) = platform_key(sh, cfg, &h.serial, t) {
                return h.verify(&key, body, t);
            }
        }
    }
    Err(ChannelError::BadSignature(format!("unknown platform serial {}", h.serial)))
}

/// Downloads and installs the platform certificates, unless a refresh
/// was tried within the last minute.
pub async fn refresh_certificates(sh: &Shared, cfg: &Arc<V3Config>) -> Result<(), ChannelError> {
    if !sh.certs.begin(&cfg.store_key, now()) {
        return Ok(());
    }
    let gate = sh.certs.download_gate(&cfg.store_key);
    let _downloading = gate.lock().await;
    refresh_certificates_claimed(sh, cfg).await
}

/// `/v3/certificates`: each certificate is AEAD-encrypted under the APIv3
/// key (which authenticates it), and the answer is signed by one of them
/// (or one already known).
pub(crate) async fn refresh_certificates_claimed(sh: &Shared, cfg: &Arc<V3Config>) -> Result<(), ChannelError> {
    let (status, headers, body) = send(sh, cfg, Method::GET, "/v3/certificates", None).await?;
    if !(200..300).contains(&status) {
        return Err(ChannelError::Unavailable(format!("GET /v3/certificates answered HTTP {status}")));
    }
    let list: wire::Certificates =
        serde_json::from_str(&body).map_err(|e| ChannelError::Malformed(format!("/v3/certificates: {e}")))?;
    let mut fresh = Vec::new();
    for item in &list.data {
        let pem = decrypt_resource(cfg, &item.encrypt_certificate)?;
        let pem = String::from_utf8(pem).map_err(|_| ChannelError::Malformed("certificate is not text".into()))?;
        let cert = PlatformCert::parse(&pem).map_err(|e| ChannelError::Malformed(format!("certificate: {e}")))?;
        if !cert.serial.eq_ignore_ascii_case(&item.serial_no) {
            return Err(ChannelError::Malformed(format!(
                "certificate {} is listed as {}",
                cert.serial, item.serial_no
            )));
        }
        fresh.push(cert);
    }
    let h = headers?;
    let t = now();
    let key = certs::find(&fresh, &h.serial, t)
        .map(|c| c.key.clone())
        .or_else(|| platform_key(sh, cfg, &h.serial, t))
        .ok_or_else(|| ChannelError::BadSignature(format!("/v3/certificates signed by unknown serial {}", h.serial)))?;
    h.verify(&key, &body, t)?;
    tracing::info!(mchid = %cfg.mchid, count = fresh.len(), "WeChat Pay platform certificates refreshed");
    sh.certs.put(&cfg.store_key, fresh, t);
    Ok(())
}
