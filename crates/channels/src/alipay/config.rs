//! An app's Alipay configuration. One configuration (stored under the
//! `alipay` channel, see `ChannelCode::config_code`) serves every Alipay
//! product of that app and mode.

use crate::{ChannelContext, ChannelError, ParamSpec};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use unicharge_crypto::{alipay_cert_sn, alipay_root_cert_sn, sha256_hex, RsaPublicKey, RsaSigner};
use unicharge_domain::Mode;

pub const LIVE_GATEWAY: &str = "https://openapi.alipay.com/gateway.do";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "app_id", required: true, secret: false, doc: "Alipay application id (APPID)." },
    ParamSpec {
        name: "app_private_key",
        required: true,
        secret: true,
        doc: "Application private key (RSA2048): PKCS#1 or PKCS#8 PEM, or the bare base64 Alipay's key tool exports.",
    },
    ParamSpec {
        name: "alipay_public_key",
        required: false,
        secret: false,
        doc: "Public-key mode: the Alipay public key (支付宝公钥), PEM or bare base64. Leave unset in certificate mode.",
    },
    ParamSpec {
        name: "app_cert",
        required: false,
        secret: false,
        doc: "Certificate mode: the application public-key certificate (appCertPublicKey_….crt), PEM.",
    },
    ParamSpec {
        name: "alipay_cert",
        required: false,
        secret: false,
        doc: "Certificate mode: the Alipay public-key certificate (alipayCertPublicKey_RSA2.crt), PEM.",
    },
    ParamSpec {
        name: "alipay_root_cert",
        required: false,
        secret: false,
        doc: "Certificate mode: the Alipay root certificate bundle (alipayRootCert.crt), PEM.",
    },
    ParamSpec {
        name: "seller_id",
        required: false,
        secret: false,
        doc: "Merchant PID (2088…). When set, notifications for another seller are rejected.",
    },
    ParamSpec {
        name: "gateway",
        required: false,
        secret: false,
        doc: "Gateway URL override (e.g. Alipay's own sandbox). Default: Alipay's live gateway in live mode, this server's Alipay sandbox in test mode.",
    },
];

/// Certificate mode: the SNs every request carries.
#[derive(Debug, Clone)]
pub struct CertSns {
    pub app_cert_sn: String,
    pub alipay_root_cert_sn: String,
    /// SN of the configured Alipay certificate; responses name the one they
    /// were signed with, so a rotated Alipay certificate is detected.
    pub alipay_cert_sn: String,
}

/// The parsed keys of one configuration.
#[derive(Debug)]
pub struct AlipayKeys {
    pub signer: RsaSigner,
    pub alipay_key: RsaPublicKey,
    pub certs: Option<CertSns>,
}

impl AlipayKeys {
    /// Public-key mode.
    pub fn with_public_key(private_key: &str, alipay_public_key: &str) -> Result<Self, ChannelError> {
        Ok(Self { signer: signer(private_key)?, alipay_key: public_key(alipay_public_key)?, certs: None })
    }

    /// Certificate mode.
    pub fn with_certs(private_key: &str, app_cert: &str, alipay_cert: &str, root: &str) -> Result<Self, ChannelError> {
        let bad = |what: &str, e: unicharge_crypto::CertError| ChannelError::Config(format!("{what}: {e}"));
        let certs = CertSns {
            app_cert_sn: alipay_cert_sn(app_cert).map_err(|e| bad("app_cert", e))?,
            alipay_root_cert_sn: alipay_root_cert_sn(root).map_err(|e| bad("alipay_root_cert", e))?,
            alipay_cert_sn: alipay_cert_sn(alipay_cert).map_err(|e| bad("alipay_cert", e))?,
        };
        let alipay_key = RsaPublicKey::from_certificate_pem(alipay_cert)
            .map_err(|e| ChannelError::Config(format!("alipay_cert: {e}")))?;
        Ok(Self { signer: signer(private_key)?, alipay_key, certs: Some(certs) })
    }
}

fn signer(text: &str) -> Result<RsaSigner, ChannelError> {
    RsaSigner::parse(text).map_err(|e| ChannelError::Config(format!("app_private_key: {e}")))
}

fn public_key(text: &str) -> Result<RsaPublicKey, ChannelError> {
    RsaPublicKey::parse(text).map_err(|e| ChannelError::Config(format!("alipay_public_key: {e}")))
}

/// Parsed keys by a digest of their text. Parsing and checking an RSA
/// private key costs about as much as a signature, so charge creation would
/// otherwise pay for it twice. Changing a configuration changes the digest.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, Arc<AlipayKeys>>>,
}

/// Bounds memory if configurations churn; refilling is cheap.
const KEY_CACHE_MAX: usize = 1024;

impl KeyCache {
    fn get_or_parse(
        &self,
        material: &[&str],
        parse: impl FnOnce() -> Result<AlipayKeys, ChannelError>,
    ) -> Result<Arc<AlipayKeys>, ChannelError> {
        let digest = sha256_hex(material.join("\u{0}").as_bytes());
        if let Some(k) = self.entries.lock().ok().and_then(|m| m.get(&digest).cloned()) {
            return Ok(k);
        }
        let keys = Arc::new(parse()?);
        if let Ok(mut m) = self.entries.lock() {
            if m.len() >= KEY_CACHE_MAX {
                m.clear();
            }
            m.insert(digest, keys.clone());
        }
        Ok(keys)
    }
}

/// The configuration as the adapter uses it.
pub struct AlipayConfig<'a> {
    pub app_id: &'a str,
    pub seller_id: Option<&'a str>,
    pub gateway: String,
    pub keys: Arc<AlipayKeys>,
}

impl<'a> AlipayConfig<'a> {
    pub fn load(ctx: &'a ChannelContext, cache: &KeyCache) -> Result<Self, ChannelError> {
        let c = &ctx.config;
        let app_id = c.require_param("app_id")?;
        let private_key = c.require_secret("app_private_key")?;
        let certs = (c.param("app_cert"), c.param("alipay_cert"), c.param("alipay_root_cert"));
        let keys = match (c.param("alipay_public_key"), certs) {
            (Some(_), (Some(_), _, _) | (_, Some(_), _) | (_, _, Some(_))) => {
                return Err(ChannelError::Config(
                    "set either alipay_public_key or app_cert/alipay_cert/alipay_root_cert, not both".into(),
                ))
            }
            (Some(public), (None, None, None)) => cache
                .get_or_parse(&["key", private_key, public], || AlipayKeys::with_public_key(private_key, public))?,
            (None, (Some(app), Some(alipay), Some(root))) => cache
                .get_or_parse(&["cert", private_key, app, alipay, root], || {
                    AlipayKeys::with_certs(private_key, app, alipay, root)
                })?,
            (None, _) => {
                return Err(ChannelError::Config(
                    "alipay_public_key (public-key mode) or all of app_cert, alipay_cert and alipay_root_cert \
                     (certificate mode) are required"
                        .into(),
                ))
            }
        };
        let gateway = match (c.param("gateway"), ctx.mode) {
            (Some(g), _) => g.to_owned(),
            (None, Mode::Live) => LIVE_GATEWAY.to_owned(),
            // The built-in simulator moves with the server's public URL.
            (None, Mode::Test) => format!("{}/alipay/gateway.do", ctx.sandbox_base.trim_end_matches('/')),
        };
        // Responses are signed, but a live gateway without TLS would still
        // expose orders and buyers; plain http is for local simulators.
        let scheme_ok = match ctx.mode {
            Mode::Live => gateway.starts_with("https://"),
            Mode::Test => gateway.starts_with("https://") || gateway.starts_with("http://"),
        };
        if !scheme_ok {
            return Err(ChannelError::Config("gateway must be an https URL (http only in test mode)".into()));
        }
        Ok(Self { app_id, seller_id: c.param("seller_id"), gateway, keys })
    }
}
