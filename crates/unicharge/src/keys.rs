//! The master key, from which every other server secret is derived.

use crate::Config;
use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use secrecy::{ExposeSecret, SecretBox};

/// `UNICHARGE_MASTER_KEY` (base64, 32 bytes), else the key file, else a new
/// key written to `<data_dir>/master.key` with owner-only permissions.
pub fn load_master_key(cfg: &Config) -> anyhow::Result<SecretBox<[u8]>> {
    if let Ok(v) = std::env::var("UNICHARGE_MASTER_KEY") {
        if !v.is_empty() {
            return decode(&v).context("UNICHARGE_MASTER_KEY");
        }
    }
    let path = cfg.master_key_file.clone().unwrap_or_else(|| cfg.data_dir.join("master.key"));
    if path.exists() {
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        return decode(text.trim()).with_context(|| format!("master key file {}", path.display()));
    }
    if cfg.master_key_file.is_some() {
        bail!("master key file {} does not exist", path.display());
    }
    let key = unicharge_crypto::random_bytes(32);
    write_private(&path, &B64.encode(&key))?;
    tracing::info!(path = %path.display(), "generated a new master key; back it up: sealed secrets need it");
    Ok(SecretBox::new(key.into_boxed_slice()))
}

fn decode(v: &str) -> anyhow::Result<SecretBox<[u8]>> {
    let key = B64.decode(v.trim()).context("the master key is not base64")?;
    if key.len() != 32 {
        bail!("the master key must be 32 bytes (base64 of 32 random bytes)");
    }
    Ok(SecretBox::new(key.into_boxed_slice()))
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot create {}", path.display()))
}

/// Independent sub-keys, so no two purposes ever share key material.
pub fn derive(master: &SecretBox<[u8]>, purpose: &str) -> Vec<u8> {
    unicharge_crypto::hmac_sha256(master.expose_secret(), format!("unicharge:{purpose}:v1").as_bytes()).to_vec()
}
