//! An app's WeChat Pay configuration: one per app and mode (stored under
//! `wx`, see `ChannelCode::config_code`), serving every WeChat product, in
//! either API version. Parsed configurations are cached by a digest of
//! their material, so keys are parsed and mTLS clients built once.

use super::v2::sign::SignType;
use super::v3::certs::PlatformCert;
use crate::{ChannelContext, ChannelError, ParamSpec};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use unicharge_crypto::{sha256_hex, RsaPublicKey, RsaSigner, SecretString};
use unicharge_domain::Mode;

pub const LIVE_BASE: &str = "https://api.mch.weixin.qq.com";

const fn p(name: &'static str, required: bool, secret: bool, doc: &'static str) -> ParamSpec {
    ParamSpec { name, required, secret, doc }
}

pub const PARAMS: &[ParamSpec] = &[
    p("api_version", true, false, "\"v3\" (APIv3, JSON, RSA) or \"v2\" (APIv2, XML, MD5/HMAC-SHA256)."),
    p("appid", true, false, "The AppID the merchant account is bound to (official account, mini program or app)."),
    p("mchid", false, false, "v3: merchant id (商户号). `mch_id` is accepted too."),
    p("merchant_private_key", false, true, "v3: merchant API private key (apiclient_key.pem), PKCS#8 or PKCS#1 PEM."),
    p("merchant_serial_no", false, false, "v3: serial number of the merchant API certificate (upper-case hex)."),
    p("apiv3_key", false, true, "v3: the APIv3 key (32 characters)."),
    p("platform_public_key", false, false, "v3 public-key mode: the WeChat Pay public key (微信支付公钥), PEM."),
    p("platform_public_key_id", false, false, "v3 public-key mode: its id (PUB_KEY_ID_…)."),
    p(
        "platform_cert",
        false,
        false,
        "v3 certificate mode: platform certificate(s) in PEM. Optional: certificates are also downloaded from \
         /v3/certificates and refreshed before they expire.",
    ),
    p("mch_id", false, false, "v2: merchant id (商户号). `mchid` is accepted too."),
    p("api_key", false, true, "v2: the API key (32 characters)."),
    p("sign_type", false, false, "v2: MD5 (default) or HMAC-SHA256."),
    p(
        "client_cert",
        false,
        false,
        "v2: merchant client certificate (apiclient_cert.pem), for refunds over mutual TLS.",
    ),
    p("client_key", false, true, "v2: the client certificate's private key (apiclient_key.pem)."),
    p(
        "gateway",
        false,
        false,
        "Base URL override. Default: https://api.mch.weixin.qq.com in live mode, this server's WeChat Pay sandbox in \
         test mode.",
    ),
];

/// Where WeChat signs its messages with, in APIv3.
pub enum Platform {
    /// The newer WeChat Pay public key; `Wechatpay-Serial` carries its id.
    PublicKey { id: String, key: RsaPublicKey },
    /// Platform certificates: the configured ones; downloaded ones live in
    /// the channel's certificate store.
    Certificates { configured: Vec<PlatformCert> },
}

pub struct V3Config {
    pub mchid: String,
    pub appid: String,
    pub base: String,
    pub signer: RsaSigner,
    pub serial_no: String,
    pub apiv3_key: SecretString,
    pub platform: Platform,
    /// Identifies this merchant and key material in the certificate store.
    pub store_key: String,
}

pub struct V2Config {
    pub mch_id: String,
    pub appid: String,
    pub base: String,
    /// Where `secapi/*` goes: `base`, except in test mode against the
    /// built-in sandbox, whose mutual-TLS listener is a separate one.
    pub secapi_base: String,
    pub api_key: SecretString,
    pub sign_type: SignType,
    /// A client presenting the merchant certificate, for `secapi/*`.
    pub tls: Option<reqwest::Client>,
}

#[derive(Clone)]
pub enum WechatConfig {
    V3(Arc<V3Config>),
    V2(Arc<V2Config>),
}

/// Parsed configurations by digest of their material.
#[derive(Default)]
pub struct ConfigCache {
    entries: Mutex<HashMap<String, WechatConfig>>,
}

/// Bounds memory if configurations churn; refilling is cheap.
const CACHE_MAX: usize = 1024;

fn cfg_err(name: &str, e: impl std::fmt::Display) -> ChannelError {
    ChannelError::Config(format!("{name}: {e}"))
}

/// The built-in WeChat Pay sandbox's `secapi/*` listener (mutual TLS on
/// loopback): its base URL and the CA its certificate chains to. Test-mode
/// configurations without a `gateway` send refunds and reversals there.
#[derive(Debug, Clone)]
pub struct SandboxTls {
    pub base: String,
    pub ca_pem: String,
}

impl WechatConfig {
    pub fn load(ctx: &ChannelContext, cache: &ConfigCache) -> Result<Self, ChannelError> {
        Self::load_with(ctx, cache, None)
    }

    pub fn load_with(
        ctx: &ChannelContext,
        cache: &ConfigCache,
        sandbox_tls: Option<&SandboxTls>,
    ) -> Result<Self, ChannelError> {
        let c = &ctx.config;
        let base = base_url(ctx)?;
        let mut material: Vec<String> = vec![base.clone()];
        material.extend(c.params.iter().map(|(k, v)| format!("{k}={v}")));
        for name in ["merchant_private_key", "apiv3_key", "api_key", "client_key"] {
            material.push(c.require_secret(name).unwrap_or_default().to_owned());
        }
        let digest = sha256_hex(material.join("\u{0}").as_bytes());
        if let Some(cfg) = cache.entries.lock().ok().and_then(|m| m.get(&digest).cloned()) {
            return Ok(cfg);
        }
        let cfg = match c.require_param("api_version")? {
            "v3" => WechatConfig::V3(Arc::new(load_v3(ctx, base, &digest)?)),
            "v2" => WechatConfig::V2(Arc::new(load_v2(ctx, base, sandbox_tls)?)),
            other => return Err(ChannelError::Config(format!("api_version must be v3 or v2, not {other:?}"))),
        };
        if let Ok(mut m) = cache.entries.lock() {
            if m.len() >= CACHE_MAX {
                m.clear();
            }
            m.insert(digest, cfg.clone());
        }
        Ok(cfg)
    }
}

fn either<'a>(ctx: &'a ChannelContext, first: &str, second: &str) -> Result<&'a str, ChannelError> {
    ctx.config.param(first).or_else(|| ctx.config.param(second)).ok_or_else(|| cfg_err(first, "missing parameter"))
}

fn load_v3(ctx: &ChannelContext, base: String, digest: &str) -> Result<V3Config, ChannelError> {
    let c = &ctx.config;
    let apiv3_key = c.require_secret("apiv3_key")?;
    if apiv3_key.len() != 32 {
        return Err(cfg_err("apiv3_key", "must be 32 characters"));
    }
    let signer =
        RsaSigner::parse(c.require_secret("merchant_private_key")?).map_err(|e| cfg_err("merchant_private_key", e))?;
    let platform = match (c.param("platform_public_key"), c.param("platform_public_key_id")) {
        (Some(pem), Some(id)) => Platform::PublicKey {
            id: id.to_owned(),
            key: RsaPublicKey::parse(pem).map_err(|e| cfg_err("platform_public_key", e))?,
        },
        (None, None) => Platform::Certificates {
            configured: match c.param("platform_cert") {
                Some(pem) => PlatformCert::parse_bundle(pem).map_err(|e| cfg_err("platform_cert", e))?,
                None => Vec::new(),
            },
        },
        _ => return Err(ChannelError::Config("set platform_public_key and platform_public_key_id together".into())),
    };
    let mchid = either(ctx, "mchid", "mch_id")?.to_owned();
    Ok(V3Config {
        store_key: format!("{mchid}/{digest}"),
        mchid,
        appid: c.require_param("appid")?.to_owned(),
        base,
        signer,
        serial_no: c.require_param("merchant_serial_no")?.to_ascii_uppercase(),
        apiv3_key: SecretString::from(apiv3_key.to_owned()),
        platform,
    })
}

fn load_v2(ctx: &ChannelContext, base: String, sandbox_tls: Option<&SandboxTls>) -> Result<V2Config, ChannelError> {
    let c = &ctx.config;
    let sandbox = sandbox_tls.filter(|_| ctx.mode == Mode::Test && c.param("gateway").is_none());
    let sign_type = match c.param("sign_type") {
        None | Some("MD5") => SignType::Md5,
        Some("HMAC-SHA256") => SignType::HmacSha256,
        Some(other) => return Err(cfg_err("sign_type", format!("{other:?} is not MD5 or HMAC-SHA256"))),
    };
    let tls = match (c.param("client_cert"), c.require_secret("client_key").ok()) {
        (Some(cert), Some(key)) => {
            let pem = format!("{}\n{}\n", cert.trim(), key.trim());
            let identity = reqwest::Identity::from_pem(pem.as_bytes()).map_err(|e| cfg_err("client_cert", e))?;
            // WeChat never redirects; following one could send the signed
            // request elsewhere.
            let mut builder = reqwest::Client::builder().identity(identity).redirect(reqwest::redirect::Policy::none());
            if let Some(t) = sandbox {
                // The sandbox's listener is certified by the sandbox CA only.
                let ca = reqwest::Certificate::from_pem(t.ca_pem.as_bytes()).map_err(|e| cfg_err("sandbox CA", e))?;
                builder = builder.tls_certs_only([ca]);
            }
            Some(builder.build().map_err(|e| cfg_err("client_cert", e))?)
        }
        (None, None) => None,
        _ => return Err(ChannelError::Config("set client_cert and client_key together".into())),
    };
    Ok(V2Config {
        mch_id: either(ctx, "mch_id", "mchid")?.to_owned(),
        appid: c.require_param("appid")?.to_owned(),
        secapi_base: sandbox.map_or_else(|| base.clone(), |t| t.base.trim_end_matches('/').to_owned()),
        base,
        api_key: SecretString::from(c.require_secret("api_key")?.to_owned()),
        sign_type,
        tls,
    })
}

fn base_url(ctx: &ChannelContext) -> Result<String, ChannelError> {
    let base = match (ctx.config.param("gateway"), ctx.mode) {
        (Some(g), _) => g.trim_end_matches('/').to_owned(),
        (None, Mode::Live) => LIVE_BASE.to_owned(),
        // The built-in simulator moves with the server's public URL.
        (None, Mode::Test) => format!("{}/wechat", ctx.sandbox_base.trim_end_matches('/')),
    };
    // Responses are signed, but a live gateway without TLS would still
    // expose orders and buyers; plain http is for local simulators.
    let ok = match ctx.mode {
        Mode::Live => base.starts_with("https://"),
        Mode::Test => base.starts_with("https://") || base.starts_with("http://"),
    };
    if !ok {
        return Err(ChannelError::Config("gateway must be an https URL (http only in test mode)".into()));
    }
    Ok(base)
}
