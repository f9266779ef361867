//! The `apple_iap` parameters and the typed configuration loaded from them.

use crate::{ChannelContext, ChannelError, ParamSpec};
use secrecy::SecretString;
use serde_json::Value;
use std::collections::BTreeMap;
use unicharge_crypto::{certificates_from_text, Es256Signer};
use unicharge_domain::{Currency, Mode};

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "bundle_id", required: true, secret: false, doc: "The app's bundle identifier (bundleId)." },
    ParamSpec {
        name: "app_apple_id",
        required: false,
        secret: false,
        doc: "The app's Apple ID (appAppleId); required in live mode, where notifications must carry it.",
    },
    ParamSpec {
        name: "issuer_id",
        required: true,
        secret: false,
        doc: "App Store Connect issuer id of the in-app purchase key.",
    },
    ParamSpec { name: "key_id", required: true, secret: false, doc: "Key id of the in-app purchase key." },
    ParamSpec {
        name: "private_key",
        required: true,
        secret: true,
        doc: "The in-app purchase key (.p8, PKCS#8 PEM, P-256); signs the App Store Server API bearer token.",
    },
    ParamSpec {
        name: "products",
        required: true,
        secret: false,
        doc: "JSON object: productId -> price in fen, or -> {\"amount\": fen, \"currency\": \"cny\"}.",
    },
    ParamSpec {
        name: "shared_secret",
        required: false,
        secret: true,
        doc: "App-specific shared secret, sent as verifyReceipt's password (legacy receipts).",
    },
    ParamSpec {
        name: "root_cert",
        required: false,
        secret: false,
        doc: "Trusted root certificate(s), PEM or base64 DER. Live default: Apple Root CA - G3. Test mode: the sandbox's root.",
    },
    ParamSpec { name: "api_url", required: false, secret: false, doc: "App Store Server API base URL." },
    ParamSpec { name: "verify_receipt_url", required: false, secret: false, doc: "Production verifyReceipt URL." },
    ParamSpec {
        name: "verify_receipt_sandbox_url",
        required: false,
        secret: false,
        doc: "Sandbox verifyReceipt URL, used when production answers 21007 (test mode only).",
    },
];

/// Apple Root CA - G3 (SHA-256 fingerprint
/// 63:34:3A:BF:B8:9A:6A:03:EB:B5:7E:9B:3F:5F:A7:BE:7C:4F:5C:75:6F:30:17:B3:A8:C4:88:C3:65:3E:91:79),
/// copied from apple/app-store-server-library-python's x509 tests.
pub const APPLE_ROOT_CA_G3_PEM: &str = include_str!("AppleRootCA-G3.pem");

pub const LIVE_API: &str = "https://api.storekit.apple.com";
pub const LIVE_VERIFY_RECEIPT: &str = "https://buy.itunes.apple.com/verifyReceipt";
pub const LIVE_VERIFY_RECEIPT_SANDBOX: &str = "https://sandbox.itunes.apple.com/verifyReceipt";

/// One entry of the product table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    /// Price of one unit, in minor units (fen).
    pub amount: i64,
    pub currency: Currency,
}

pub struct AppleConfig {
    pub bundle_id: String,
    pub app_apple_id: Option<i64>,
    pub issuer_id: String,
    pub key_id: String,
    /// The `.p8`, checked to be a P-256 key at load.
    pub private_key: SecretString,
    pub products: BTreeMap<String, Product>,
    pub shared_secret: Option<String>,
    pub roots: Vec<Vec<u8>>,
    pub api_url: String,
    pub verify_receipt_url: String,
    pub verify_receipt_sandbox_url: String,
    /// `Production` in live mode, `Sandbox` in test mode.
    pub environment: &'static str,
    pub mode: Mode,
}

fn url(ctx: &ChannelContext, name: &str, live: &str, test_path: &str) -> Result<String, ChannelError> {
    let u = match (ctx.config.param(name), ctx.mode) {
        (Some(u), _) => u.trim_end_matches('/').to_owned(),
        (None, Mode::Live) => live.to_owned(),
        (None, Mode::Test) => format!("{}/apple{test_path}", ctx.sandbox_base.trim_end_matches('/')),
    };
    let ok = match ctx.mode {
        Mode::Live => u.starts_with("https://"),
        Mode::Test => u.starts_with("https://") || u.starts_with("http://"),
    };
    if !ok {
        return Err(ChannelError::Config(format!("{name} must be an https URL (http only in test mode)")));
    }
    Ok(u)
}

/// Parses the product table: `{"id": 600}` or `{"id": {"amount": 600, "currency": "cny"}}`.
pub fn parse_products(text: &str) -> Result<BTreeMap<String, Product>, ChannelError> {
    let bad = |m: String| ChannelError::Config(format!("products: {m}"));
    let Value::Object(map) = serde_json::from_str(text).map_err(|e| bad(e.to_string()))? else {
        return Err(bad("must be a JSON object".into()));
    };
    let mut out = BTreeMap::new();
    for (id, v) in map {
        let (amount, currency) = match &v {
            Value::Number(n) => (n.as_i64(), Currency::Cny),
            Value::Object(o) => {
                let cur = match o.get("currency").and_then(Value::as_str) {
                    None => Currency::Cny,
                    Some(c) => Currency::parse(&c.to_ascii_lowercase()).map_err(|_| bad(format!("{id}: currency")))?,
                };
                (o.get("amount").and_then(Value::as_i64), cur)
            }
            _ => (None, Currency::Cny),
        };
        let amount = amount.filter(|a| *a > 0).ok_or_else(|| bad(format!("{id}: price must be a positive integer")))?;
        out.insert(id, Product { amount, currency });
    }
    if out.is_empty() {
        return Err(bad("no products".into()));
    }
    Ok(out)
}

impl AppleConfig {
    pub fn load(ctx: &ChannelContext) -> Result<Self, ChannelError> {
        let c = &ctx.config;
        let private_key = c.require_secret("private_key")?;
        Es256Signer::from_pem(private_key).map_err(|e| ChannelError::Config(format!("private_key: {e}")))?;
        let app_apple_id = match c.param("app_apple_id") {
            None => None,
            Some(s) => {
                Some(s.parse::<i64>().map_err(|_| ChannelError::Config("app_apple_id must be a number".into()))?)
            }
        };
        let roots_text = match (c.param("root_cert"), ctx.mode) {
            (Some(t), _) => t,
            (None, Mode::Live) => APPLE_ROOT_CA_G3_PEM,
            (None, Mode::Test) => {
                return Err(ChannelError::Config("root_cert is required in test mode (the sandbox's root)".into()))
            }
        };
        let roots = certificates_from_text(roots_text).map_err(|e| ChannelError::Config(format!("root_cert: {e}")))?;
        let environment = match ctx.mode {
            Mode::Live => "Production",
            Mode::Test => "Sandbox",
        };
        Ok(Self {
            bundle_id: c.require_param("bundle_id")?.to_owned(),
            app_apple_id,
            issuer_id: c.require_param("issuer_id")?.to_owned(),
            key_id: c.require_param("key_id")?.to_owned(),
            private_key: SecretString::from(private_key.to_owned()),
            products: parse_products(c.require_param("products")?)?,
            shared_secret: c.secrets.get("shared_secret").map(|s| secrecy::ExposeSecret::expose_secret(s).to_owned()),
            roots,
            api_url: url(ctx, "api_url", LIVE_API, "")?,
            verify_receipt_url: url(ctx, "verify_receipt_url", LIVE_VERIFY_RECEIPT, "/verifyReceipt")?,
            verify_receipt_sandbox_url: url(
                ctx,
                "verify_receipt_sandbox_url",
                LIVE_VERIFY_RECEIPT_SANDBOX,
                "/sandbox/verifyReceipt",
            )?,
            environment,
            mode: ctx.mode,
        })
    }
}
