//! Dashboard passwords: Argon2id (the crate's defaults, OWASP's minimum:
//! 19 MiB, 2 passes), hashed off the async workers because each costs tens
//! of milliseconds of CPU.

use super::error::{AdminError, AdminResult};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};

pub const MIN_LEN: usize = 10;

fn internal(e: impl std::fmt::Display) -> AdminError {
    AdminError::Api(crate::ApiError::internal(e))
}

pub async fn hash(password: SecretString) -> AdminResult<String> {
    actix_web::web::block(move || {
        let salt = SaltString::encode_b64(&unicharge_crypto::random_bytes(16)).map_err(internal)?;
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(internal)
    })
    .await
    .map_err(internal)?
}

/// Verifies against a stored hash. With no user (`None`) it still spends
/// the same work on a dummy hash, so response time does not reveal which
/// emails exist.
pub async fn verify(password: SecretString, stored: Option<String>) -> AdminResult<bool> {
    actix_web::web::block(move || {
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (dummy_hash().to_owned(), false),
        };
        let parsed = PasswordHash::new(&hash).map_err(internal)?;
        let ok = Argon2::default().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok();
        Ok(ok && real)
    })
    .await
    .map_err(internal)?
}

/// A valid Argon2id hash of a random string, with the default parameters.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        let salt = SaltString::encode_b64(&unicharge_crypto::random_bytes(16));
        let pw = unicharge_domain::ids::random_alnum(24);
        salt.ok()
            .and_then(|s| Argon2::default().hash_password(pw.as_bytes(), &s).ok().map(|h| h.to_string()))
            .unwrap_or_default()
    })
}

/// A generated password: 20 alphanumerics, about 119 bits.
pub fn generate() -> SecretString {
    SecretString::from(unicharge_domain::ids::random_alnum(20))
}

pub fn check_strength(p: &str) -> AdminResult<()> {
    if p.chars().count() < MIN_LEN {
        return Err(AdminError::refused(
            "parameter_invalid",
            format!("The password must have at least {MIN_LEN} characters."),
            Some("password"),
        ));
    }
    if p.len() > 1024 {
        return Err(AdminError::refused("parameter_invalid", "The password is too long.", Some("password")));
    }
    Ok(())
}
