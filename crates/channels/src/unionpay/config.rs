//! An app's UnionPay configuration. One configuration (stored under
//! `upacp`, see `ChannelCode::config_code`) serves `upacp`, `upacp_wap` and
//! `upacp_pc`: one merchant (merId) and one signing certificate.

use crate::{ChannelContext, ChannelError, ParamSpec};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use unicharge_crypto::{certificate_serial_decimal, load_pkcs12, sha256_hex, RsaSigner, UnionpayTrust};
use unicharge_domain::Mode;

pub const LIVE_GATEWAY: &str = "https://gateway.95516.com";

/// The built-in sandbox's test CA: the default trust in test mode.
pub const SANDBOX_ROOT_PEM: &str = include_str!("../../../sandboxes/fixtures/unionpay/root.pem");
pub const SANDBOX_MIDDLE_PEM: &str = include_str!("../../../sandboxes/fixtures/unionpay/middle.pem");

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "mer_id", required: true, secret: false, doc: "UnionPay merchant number (merId, 15 digits)." },
    ParamSpec {
        name: "sign_cert_pfx",
        required: true,
        secret: true,
        doc: "The merchant signing certificate UnionPay issues (acp_sign.pfx, PKCS#12), base64.",
    },
    ParamSpec { name: "sign_cert_password", required: true, secret: true, doc: "The PKCS#12 file's password." },
    ParamSpec {
        name: "root_cert",
        required: false,
        secret: false,
        doc: "UnionPay's root certificate (acp_prod_root.cer), PEM. Required in live mode; test mode defaults to this server's UnionPay sandbox CA.",
    },
    ParamSpec {
        name: "middle_cert",
        required: false,
        secret: false,
        doc: "UnionPay's middle certificate (acp_prod_middle.cer), PEM. Required in live mode; test mode defaults to this server's UnionPay sandbox CA.",
    },
    ParamSpec {
        name: "gateway_url",
        required: false,
        secret: false,
        doc: "Gateway base URL (…/gateway/api/*.do is appended). Default: https://gateway.95516.com in live mode, this server's UnionPay sandbox in test mode.",
    },
];

/// The parsed keys of one configuration.
pub struct UnionpayKeys {
    pub signer: RsaSigner,
    /// Decimal serial of the merchant signing certificate.
    pub cert_id: String,
    pub trust: UnionpayTrust,
}

impl UnionpayKeys {
    fn parse(pfx_b64: &str, password: &str, root: &str, middle: &str) -> Result<Self, ChannelError> {
        let compact: String = pfx_b64.chars().filter(|c| !c.is_whitespace()).collect();
        let der = B64.decode(compact).map_err(|_| ChannelError::Config("sign_cert_pfx is not base64".into()))?;
        let id = load_pkcs12(&der, password).map_err(|e| ChannelError::Config(format!("sign_cert_pfx: {e}")))?;
        let cert_id = certificate_serial_decimal(&id.cert_der)
            .map_err(|e| ChannelError::Config(format!("sign_cert_pfx: {e}")))?;
        let trust = UnionpayTrust::new(root, middle)
            .map_err(|e| ChannelError::Config(format!("root_cert/middle_cert: {e}")))?;
        Ok(Self { signer: id.signer, cert_id, trust })
    }
}

/// Parsed keys by a digest of their text: opening a PKCS#12 file runs its
/// key derivation (thousands of hash rounds) and an RSA key check.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, Arc<UnionpayKeys>>>,
}

const KEY_CACHE_MAX: usize = 1024;

impl KeyCache {
    fn get_or_parse(&self, material: &[&str]) -> Result<Arc<UnionpayKeys>, ChannelError> {
        let digest = sha256_hex(material.join("\u{0}").as_bytes());
        if let Some(k) = self.entries.lock().ok().and_then(|m| m.get(&digest).cloned()) {
            return Ok(k);
        }
        let keys = Arc::new(UnionpayKeys::parse(material[0], material[1], material[2], material[3])?);
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
pub struct UnionpayConfig<'a> {
    pub mer_id: &'a str,
    /// Base URL without the trailing slash.
    pub gateway: String,
    pub keys: Arc<UnionpayKeys>,
    /// UnionPay's test environment signs with CN company `00040000:SIGN`.
    pub accept_test_cn: bool,
    pub mode: Mode,
}

impl<'a> UnionpayConfig<'a> {
    pub fn load(ctx: &'a ChannelContext, cache: &KeyCache) -> Result<Self, ChannelError> {
        let c = &ctx.config;
        let mer_id = c.require_param("mer_id")?;
        let pfx = c.require_secret("sign_cert_pfx")?;
        let password = c.require_secret("sign_cert_password")?;
        // UnionPay's production root and middle are not shipped here (no
        // verified copy was available offline): live mode must name them.
        let (root, middle) = match (c.param("root_cert"), c.param("middle_cert"), ctx.mode) {
            (Some(r), Some(m), _) => (r, m),
            (None, None, Mode::Test) => (SANDBOX_ROOT_PEM, SANDBOX_MIDDLE_PEM),
            (_, _, Mode::Live) | (Some(_), None, Mode::Test) | (None, Some(_), Mode::Test) => {
                return Err(ChannelError::Config(
                    "root_cert and middle_cert are both required (in test mode, set both or neither)".into(),
                ))
            }
        };
        let keys = cache.get_or_parse(&[pfx, password, root, middle])?;
        let gateway = match (c.param("gateway_url"), ctx.mode) {
            (Some(g), _) => g.trim_end_matches('/').to_owned(),
            (None, Mode::Live) => LIVE_GATEWAY.to_owned(),
            (None, Mode::Test) => format!("{}/unionpay", ctx.sandbox_base.trim_end_matches('/')),
        };
        let scheme_ok = match ctx.mode {
            Mode::Live => gateway.starts_with("https://"),
            Mode::Test => gateway.starts_with("https://") || gateway.starts_with("http://"),
        };
        if !scheme_ok {
            return Err(ChannelError::Config("gateway_url must be an https URL (http only in test mode)".into()));
        }
        Ok(Self { mer_id, gateway, keys, accept_test_cn: ctx.mode == Mode::Test, mode: ctx.mode })
    }

    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/gateway/api/{name}", self.gateway)
    }
}
