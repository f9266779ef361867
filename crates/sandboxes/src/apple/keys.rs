//! In-app purchase keys the sandbox accepts bearer tokens from, as App
//! Store Connect holds them: a key id, the issuer (team) it belongs to, and
//! the public half of the `.p8`.

use dashmap::DashMap;

#[derive(Debug, Clone)]
pub struct SandboxApiKey {
    pub issuer_id: String,
    /// SubjectPublicKeyInfo PEM of the P-256 key.
    pub public_key_pem: String,
}

/// Where the sandbox looks keys up. The server implements it over its
/// database so every node knows every key; [`InMemoryApiKeys`] serves tests.
#[async_trait::async_trait]
pub trait ApiKeyDirectory: Send + Sync {
    async fn key(&self, key_id: &str) -> Option<SandboxApiKey>;
}

#[derive(Default)]
pub struct InMemoryApiKeys {
    keys: DashMap<String, SandboxApiKey>,
}

impl InMemoryApiKeys {
    pub fn register(&self, key_id: &str, key: SandboxApiKey) {
        self.keys.insert(key_id.to_owned(), key);
    }
}

#[async_trait::async_trait]
impl ApiKeyDirectory for InMemoryApiKeys {
    async fn key(&self, key_id: &str) -> Option<SandboxApiKey> {
        self.keys.get(key_id).map(|k| k.clone())
    }
}
