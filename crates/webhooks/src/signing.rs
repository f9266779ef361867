//! `Unicharge-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//! one `v1` per active secret while a rotation is in progress (Stripe's scheme).

use unicharge_crypto::{hmac_sha256_hex, verify_hmac_sha256};

pub fn signature_header(secrets: &[&str], t: i64, body: &[u8]) -> String {
    let mut msg = Vec::with_capacity(body.len() + 16);
    msg.extend_from_slice(t.to_string().as_bytes());
    msg.push(b'.');
    msg.extend_from_slice(body);
    let mut out = format!("t={t}");
    for s in secrets {
        out.push_str(",v1=");
        out.push_str(&hmac_sha256_hex(s.as_bytes(), &msg));
    }
    out
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("malformed signature header")]
    Malformed,
    #[error("timestamp outside the tolerance window")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// The receiver's check, as documented for tenants: any `v1` made with the
/// secret verifies, within `tolerance` seconds of `now`, in constant time.
pub fn verify_signature(
    header: &str,
    secret: &str,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if (now - t).abs() > tolerance {
        return Err(SignatureError::Stale);
    }
    let mut msg = Vec::with_capacity(body.len() + 16);
    msg.extend_from_slice(t.to_string().as_bytes());
    msg.push(b'.');
    msg.extend_from_slice(body);
    let ok = sigs.iter().any(|s| hex_decode(s).is_some_and(|tag| verify_hmac_sha256(secret.as_bytes(), &msg, &tag)));
    if ok {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_rotate_and_refuse() {
        let h = signature_header(&["whsec_new", "whsec_old"], 1_700_000_000, b"{\"id\":1}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert_eq!(h.matches("v1=").count(), 2);
        assert_eq!(verify_signature(&h, "whsec_new", b"{\"id\":1}", 1_700_000_100, 300), Ok(()));
        assert_eq!(verify_signature(&h, "whsec_old", b"{\"id\":1}", 1_700_000_100, 300), Ok(()));
        assert_eq!(
            verify_signature(&h, "whsec_other", b"{\"id\":1}", 1_700_000_100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify_signature(&h, "whsec_new", b"{\"id\":2}", 1_700_000_100, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(&h, "whsec_new", b"{\"id\":1}", 1_700_000_301, 300), Err(SignatureError::Stale));
        assert_eq!(verify_signature("v1=abc", "s", b"", 0, 300), Err(SignatureError::Malformed));
    }
}
