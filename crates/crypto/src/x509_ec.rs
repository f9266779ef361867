//! Verification of a three-certificate ECDSA chain `[leaf, intermediate,
//! root]` against pinned trust anchors, the way Apple's
//! `app-store-server-library` checks a JWS `x5c` header: the chain's own
//! root is never trusted; the intermediate must be issued by one of the
//! pinned roots. Each certificate must be valid at the given time, the
//! intermediate must be a CA, and each may be required to carry a marker
//! extension (Apple: leaf `1.2.840.113635.100.6.11.1`, intermediate
//! `1.2.840.113635.100.6.2.1`).
//!
//! Signatures are checked over the exact `tbsCertificate` bytes as received.

use aws_lc_rs::signature::{
    UnparsedPublicKey, VerificationAlgorithm, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA384_ASN1, ECDSA_P384_SHA256_ASN1,
    ECDSA_P384_SHA384_ASN1,
};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::Certificate;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChainError {
    #[error("certificate {0} is not valid DER")]
    Der(&'static str),
    #[error("{0} is not signed by its issuer")]
    Signature(&'static str),
    #[error("the intermediate is not issued by a trusted root")]
    Untrusted,
    #[error("{0} is not valid at the signing time")]
    Expired(&'static str),
    #[error("{0} lacks the marker extension {1}")]
    Marker(&'static str, String),
    #[error("the intermediate is not a CA")]
    NotCa,
    #[error("unsupported key or signature algorithm in {0}")]
    Algorithm(&'static str),
}

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";

/// A parsed certificate kept with its raw DER (whose TBS bytes are signed).
struct Parsed<'a> {
    der: &'a [u8],
    cert: Certificate,
}

fn parse<'a>(der: &'a [u8], what: &'static str) -> Result<Parsed<'a>, ChainError> {
    Ok(Parsed { der, cert: Certificate::from_der(der).map_err(|_| ChainError::Der(what))? })
}

/// The raw `tbsCertificate` TLV: the first element inside the outer SEQUENCE.
fn tbs_bytes(der: &[u8]) -> Option<&[u8]> {
    let (_, outer_hdr) = tlv_len(der)?;
    let inner = der.get(outer_hdr..)?;
    let (len, hdr) = tlv_len(inner)?;
    inner.get(..hdr + len)
}

/// (content length, header length) of the DER TLV at the start of `b`.
fn tlv_len(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some((first as usize, 2));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *b.get(2 + i)? as usize;
    }
    Some((len, 2 + n))
}

/// The EC key of `issuer` as (curve OID, uncompressed point).
fn ec_key(p: &Parsed<'_>, what: &'static str) -> Result<(String, Vec<u8>), ChainError> {
    let spki = &p.cert.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid.to_string() != EC_PUBLIC_KEY {
        return Err(ChainError::Algorithm(what));
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|a| a.decode_as::<x509_cert::der::asn1::ObjectIdentifier>().ok())
        .ok_or(ChainError::Algorithm(what))?;
    let point = spki.subject_public_key.as_bytes().ok_or(ChainError::Algorithm(what))?;
    Ok((curve.to_string(), point.to_vec()))
}

fn algorithm(curve: &str, sig_oid: &str) -> Option<&'static dyn VerificationAlgorithm> {
    match (curve, sig_oid) {
        (P256, ECDSA_SHA256) => Some(&ECDSA_P256_SHA256_ASN1),
        (P256, ECDSA_SHA384) => Some(&ECDSA_P256_SHA384_ASN1),
        (P384, ECDSA_SHA256) => Some(&ECDSA_P384_SHA256_ASN1),
        (P384, ECDSA_SHA384) => Some(&ECDSA_P384_SHA384_ASN1),
        _ => None,
    }
}

/// Whether `child` names `issuer` as its issuer and carries its signature.
fn issued_by(child: &Parsed<'_>, issuer: &Parsed<'_>, what: &'static str) -> Result<bool, ChainError> {
    let same_name =
        child.cert.tbs_certificate.issuer.to_der().ok() == issuer.cert.tbs_certificate.subject.to_der().ok();
    if !same_name {
        return Ok(false);
    }
    let (curve, point) = ec_key(issuer, what)?;
    let alg = algorithm(&curve, &child.cert.signature_algorithm.oid.to_string()).ok_or(ChainError::Algorithm(what))?;
    let sig = child.cert.signature.as_bytes().ok_or(ChainError::Der(what))?;
    let tbs = tbs_bytes(child.der).ok_or(ChainError::Der(what))?;
    Ok(UnparsedPublicKey::new(alg, &point).verify(tbs, sig).is_ok())
}

fn valid_at(p: &Parsed<'_>, at: i64, what: &'static str) -> Result<(), ChainError> {
    let v = &p.cert.tbs_certificate.validity;
    let secs = |t: &x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    if at < secs(&v.not_before) || at > secs(&v.not_after) {
        return Err(ChainError::Expired(what));
    }
    Ok(())
}

fn has_extension(p: &Parsed<'_>, oid: &str) -> bool {
    p.cert.tbs_certificate.extensions.iter().flatten().any(|e| e.extn_id.to_string() == oid)
}

fn is_ca(p: &Parsed<'_>) -> bool {
    p.cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id.to_string() == "2.5.29.19")
        .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
        .is_some_and(|bc| bc.ca)
}

/// What must hold of a chain besides its signatures.
#[derive(Debug, Clone, Copy)]
pub struct ChainPolicy<'a> {
    /// Unix seconds at which every certificate must be valid.
    pub at: i64,
    pub leaf_marker: Option<&'a str>,
    pub intermediate_marker: Option<&'a str>,
}

/// Verifies `leaf ← intermediate ← one of roots` and returns the leaf's
/// P-256 public point (`04‖x‖y`), the key the JWS must be signed with.
pub fn verify_ec_chain(
    leaf_der: &[u8],
    intermediate_der: &[u8],
    roots_der: &[Vec<u8>],
    policy: ChainPolicy<'_>,
) -> Result<Vec<u8>, ChainError> {
    let leaf = parse(leaf_der, "leaf")?;
    let inter = parse(intermediate_der, "intermediate")?;
    if !issued_by(&leaf, &inter, "intermediate")? {
        return Err(ChainError::Signature("leaf"));
    }
    let mut anchor = None;
    for der in roots_der {
        let root = parse(der, "root")?;
        if issued_by(&inter, &root, "root")? {
            anchor = Some(root);
            break;
        }
    }
    let root = anchor.ok_or(ChainError::Untrusted)?;
    if !is_ca(&inter) {
        return Err(ChainError::NotCa);
    }
    valid_at(&leaf, policy.at, "leaf")?;
    valid_at(&inter, policy.at, "intermediate")?;
    valid_at(&root, policy.at, "root")?;
    if let Some(oid) = policy.leaf_marker.filter(|o| !has_extension(&leaf, o)) {
        return Err(ChainError::Marker("leaf", oid.to_owned()));
    }
    if let Some(oid) = policy.intermediate_marker.filter(|o| !has_extension(&inter, o)) {
        return Err(ChainError::Marker("intermediate", oid.to_owned()));
    }
    let (curve, point) = ec_key(&leaf, "leaf")?;
    if curve != P256 {
        return Err(ChainError::Algorithm("leaf"));
    }
    Ok(point)
}

/// The DER of a certificate given as PEM (`CERTIFICATE` blocks) or as
/// standard base64 of DER; every certificate found, in order.
pub fn certificates_from_text(text: &str) -> Result<Vec<Vec<u8>>, ChainError> {
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        return crate::pem_certificates(t).map_err(|_| ChainError::Der("root"));
    }
    use base64::Engine;
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| ChainError::Der("root"))?;
    Certificate::from_der(&der).map_err(|_| ChainError::Der("root"))?;
    Ok(vec![der])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_lengths() {
        assert_eq!(tlv_len(&[0x30, 0x05]), Some((5, 2)));
        assert_eq!(tlv_len(&[0x30, 0x81, 0x80]), Some((128, 3)));
        assert_eq!(tlv_len(&[0x30, 0x82, 0x01, 0x00]), Some((256, 4)));
        assert_eq!(tlv_len(&[0x30, 0x80]), None);
        assert_eq!(tlv_len(&[0x30]), None);
    }
}
