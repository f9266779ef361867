//! Prefixed, URL-safe identifiers (`ch_…`, `re_…`, `evt_…`).
//!
//! The random part is 24 alphanumerics from the OS RNG: about 143 bits, so ids
//! are unguessable and can double as capability tokens in sandbox URLs.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` random alphanumeric characters.
pub fn random_alnum(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, random_alnum(24)))
            }

            /// Accepts only the prefix followed by 1–64 alphanumerics, so an id
            /// from the wire can never smuggle separators into a URL or query.
            pub fn parse(s: &str) -> Option<Self> {
                let rest = s.strip_prefix($prefix)?;
                let ok = !rest.is_empty() && rest.len() <= 64 && rest.bytes().all(|b| b.is_ascii_alphanumeric());
                ok.then(|| Self(s.to_owned()))
            }

            /// For values read back from our own storage.
            pub fn from_trusted(s: String) -> Self {
                Self(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

prefixed_id!(ChargeId, "ch_");
prefixed_id!(RefundId, "re_");
prefixed_id!(EventId, "evt_");
prefixed_id!(AppId, "app_");
prefixed_id!(TenantId, "ten_");
prefixed_id!(ApiKeyId, "key_");
prefixed_id!(WebhookEndpointId, "we_");
prefixed_id!(DeliveryId, "dlv_");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_differ() {
        let a = ChargeId::generate();
        let b = ChargeId::generate();
        assert_ne!(a, b);
        assert_eq!(ChargeId::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.as_str().len(), 3 + 24);
    }

    #[test]
    fn foreign_or_malformed_ids_are_refused() {
        assert!(ChargeId::parse("re_abc").is_none());
        assert!(ChargeId::parse("ch_").is_none());
        assert!(ChargeId::parse("ch_abc/../x").is_none());
        assert!(ChargeId::parse("ch_abc def").is_none());
        assert!(AppId::parse("app_1Gqj58ynP0mHeX1q").is_some());
    }
}
