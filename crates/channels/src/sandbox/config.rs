use crate::{ChannelContext, ChannelError, ParamSpec};

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "mch_id", required: true, secret: false, doc: "Merchant id issued by the sandbox provider." },
    ParamSpec {
        name: "gateway_url",
        required: false,
        secret: false,
        doc: "Base URL of the sandbox provider; defaults to this server's own /sandbox.",
    },
    ParamSpec { name: "key", required: true, secret: true, doc: "HMAC-SHA256 key issued with the merchant id." },
];

/// The sandbox channel's parameters, parsed.
pub struct SandboxConfig<'a> {
    pub mch_id: &'a str,
    pub gateway_url: &'a str,
    pub key: &'a str,
}

impl<'a> TryFrom<&'a ChannelContext> for SandboxConfig<'a> {
    type Error = ChannelError;

    fn try_from(ctx: &'a ChannelContext) -> Result<Self, Self::Error> {
        let c = &ctx.config;
        // The built-in provider moves with the server, so by default follow
        // the server's current public URL rather than a stored copy.
        let gateway_url = c.param("gateway_url").unwrap_or(&ctx.sandbox_base).trim_end_matches('/');
        if !(gateway_url.starts_with("http://") || gateway_url.starts_with("https://")) {
            return Err(ChannelError::Config("gateway_url must be an http(s) URL".into()));
        }
        Ok(Self { mch_id: c.require_param("mch_id")?, gateway_url, key: c.require_secret("key")? })
    }
}
