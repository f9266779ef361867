use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One parameter an operator sets for a channel.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub required: bool,
    /// Secret parameters are sealed at rest and never returned by the API.
    pub secret: bool,
    pub doc: &'static str,
}

/// An app's configuration of one channel, secrets already decrypted and
/// wrapped so they cannot be printed by accident.
#[derive(Default)]
pub struct ChannelConfig {
    pub params: Map<String, Value>,
    pub secrets: BTreeMap<String, SecretString>,
}

impl std::fmt::Debug for ChannelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelConfig")
            .field("params", &self.params)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ChannelConfig {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    pub fn require_param(&self, name: &str) -> Result<&str, crate::ChannelError> {
        self.param(name).ok_or_else(|| crate::ChannelError::Config(format!("missing parameter {name}")))
    }

    pub fn require_secret(&self, name: &str) -> Result<&str, crate::ChannelError> {
        self.secrets
            .get(name)
            .map(|s| s.expose_secret())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| crate::ChannelError::Config(format!("missing secret {name}")))
    }
}
