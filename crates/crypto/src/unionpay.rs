//! UnionPay online payments (全渠道, gateway 5.1.0), `signMethod=01`.
//!
//! - Sign: the sorted `k=v&…` of the non-blank fields without `signature`
//!   (`AcpService.sign` filters blanks), its SHA-256 as lower-case hex, and
//!   that hex text signed SHA256withRSA, base64.
//! - Verify: every field but `signature`, blanks kept (`SDKUtil.validate`),
//!   the same hex, verified with the key of `signPubKeyCert` once that
//!   certificate is proven UnionPay's ([`UnionpayTrust`]).
//! - Synchronous answers are `k=v&k=v` without URL-encoding
//!   ([`parse_qstring`]).

use crate::cert::{attribute_value, parse, pem_certificates, signed_decimal, tlv, CertError};
use crate::rsa_keys::{RsaPublicKey, RsaSigner};
use aws_lc_rs::signature::{
    UnparsedPublicKey, VerificationAlgorithm, RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY, RSA_PKCS1_2048_8192_SHA256,
};
use x509_cert::der::Encode;
use x509_cert::Certificate;

/// The company field (third `@`-separated part of the CN) of UnionPay's
/// production signing certificates.
pub const UNIONPAY_COMPANY: &str = "中国银联股份有限公司";
/// The CN company field UnionPay's test environment uses
/// (official SDK `ifValidateCNName=false` accepts it).
pub const UNIONPAY_TEST_COMPANY: &str = "00040000:SIGN";

/// What signing covers: the fields without `signature`, blanks dropped.
pub fn unionpay_request_content<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    crate::sorted_sign_content(fields, &["signature"])
}

/// What verifying covers: every field but `signature`, blanks kept.
pub fn unionpay_verify_content<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    crate::sorted_sign_content_keep_empty(fields, &["signature"])
}

/// `signature` for `content`: base64(SHA256withRSA(hex(SHA-256(content)))).
pub fn unionpay_sign(signer: &RsaSigner, content: &str) -> String {
    signer.sign_sha256_b64(crate::sha256_hex(content.as_bytes()).as_bytes())
}

/// Checks `signature` over `content` (constant-time inside aws-lc-rs).
pub fn unionpay_verify(key: &RsaPublicKey, content: &str, signature_b64: &str) -> bool {
    key.verify_sha256_b64(crate::sha256_hex(content.as_bytes()).as_bytes(), signature_b64)
}

/// A certificate's serial number in decimal: UnionPay's `certId`.
pub fn certificate_serial_decimal(der: &[u8]) -> Result<String, CertError> {
    Ok(signed_decimal(parse(der)?.tbs_certificate.serial_number.as_bytes()))
}

/// Official `SDKUtil.parseQString`: split on `&` outside `{…}`/`[…]`, each
/// pair on its first `=`, nothing URL-decoded. Order is kept.
pub fn parse_qstring(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let (mut key, mut buf) = (String::new(), String::new());
    let (mut in_key, mut depth) = (true, 0i32);
    for ch in s.chars() {
        if in_key {
            if ch == '=' {
                key = std::mem::take(&mut buf);
                in_key = false;
            } else {
                buf.push(ch);
            }
            continue;
        }
        match ch {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            _ => {}
        }
        if ch == '&' && depth == 0 {
            out.push((std::mem::take(&mut key), std::mem::take(&mut buf)));
            in_key = true;
        } else {
            buf.push(ch);
        }
    }
    if !key.is_empty() || !buf.is_empty() {
        out.push((key, buf));
    }
    out
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrustError {
    #[error("signPubKeyCert is not a readable certificate: {0}")]
    Unreadable(String),
    #[error("{0} is not issued by the configured {1} certificate")]
    NotIssued(&'static str, &'static str),
    #[error("{0} is not valid at the verification time")]
    Expired(&'static str),
    #[error("the middle certificate is not a CA")]
    NotCa,
    #[error("signPubKeyCert does not name UnionPay (CN company field {0:?})")]
    WrongName(String),
    #[error("unsupported certificate signature algorithm {0}")]
    Algorithm(String),
}

struct Parsed {
    der: Vec<u8>,
    cert: Certificate,
}

impl Parsed {
    fn new(der: Vec<u8>) -> Result<Self, TrustError> {
        let cert = parse(&der).map_err(|e| TrustError::Unreadable(e.to_string()))?;
        Ok(Self { der, cert })
    }
    fn from_pem(text: &str) -> Result<Self, TrustError> {
        let mut ders = pem_certificates(text).map_err(|e| TrustError::Unreadable(e.to_string()))?;
        Self::new(ders.swap_remove(0))
    }
}

/// UnionPay's root and middle certificates: what a `signPubKeyCert` must
/// chain to. The CFCA test chain is sha1WithRSA-signed, so chain links
/// accept SHA-1 as well as SHA-256 (message signatures are SHA-256 only).
pub struct UnionpayTrust {
    root: Parsed,
    middle: Parsed,
}

impl std::fmt::Debug for UnionpayTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnionpayTrust")
    }
}

impl UnionpayTrust {
    pub fn new(root_pem: &str, middle_pem: &str) -> Result<Self, TrustError> {
        let root = Parsed::from_pem(root_pem)?;
        let middle = Parsed::from_pem(middle_pem)?;
        Ok(Self { root, middle })
    }

    /// Proves `sign_cert_pem` is UnionPay's signing certificate at `at`
    /// (Unix seconds): leaf → middle → root signatures and names, every
    /// validity window, the middle a CA, and the CN's company field. Returns
    /// the certificate's key for checking the message signature.
    pub fn verify_sign_cert(
        &self,
        sign_cert_pem: &str,
        at: i64,
        accept_test_cn: bool,
    ) -> Result<RsaPublicKey, TrustError> {
        let leaf = Parsed::from_pem(sign_cert_pem)?;
        issued_by(&leaf, &self.middle).map_err(|_| TrustError::NotIssued("signPubKeyCert", "middle"))?;
        issued_by(&self.middle, &self.root).map_err(|_| TrustError::NotIssued("the middle certificate", "root"))?;
        for (what, c) in
            [("signPubKeyCert", &leaf), ("the middle certificate", &self.middle), ("the root certificate", &self.root)]
        {
            if !valid_at(&c.cert, at) {
                return Err(TrustError::Expired(what));
            }
        }
        if !is_ca(&self.middle.cert) {
            return Err(TrustError::NotCa);
        }
        let company = cn_company(&leaf.cert);
        if !(company == UNIONPAY_COMPANY || (accept_test_cn && company == UNIONPAY_TEST_COMPANY)) {
            return Err(TrustError::WrongName(company));
        }
        RsaPublicKey::from_certificate_pem(sign_cert_pem).map_err(|e| TrustError::Unreadable(e.to_string()))
    }
}

/// The raw `tbsCertificate` bytes as received: the signature covers them,
/// so they are not re-encoded.
fn tbs_bytes(der: &[u8]) -> Option<&[u8]> {
    let (_, body, _) = tlv(der, 0)?;
    let (_, _, end) = tlv(der, body)?;
    der.get(body..end)
}

fn issued_by(child: &Parsed, issuer: &Parsed) -> Result<(), TrustError> {
    if child.cert.tbs_certificate.issuer != issuer.cert.tbs_certificate.subject {
        return Err(TrustError::NotIssued("certificate", "issuer"));
    }
    let oid = child.cert.signature_algorithm.oid.to_string();
    let alg: &'static dyn VerificationAlgorithm = match oid.as_str() {
        "1.2.840.113549.1.1.11" => &RSA_PKCS1_2048_8192_SHA256,
        "1.2.840.113549.1.1.5" => &RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        other => return Err(TrustError::Algorithm(other.to_owned())),
    };
    let tbs = tbs_bytes(&child.der).ok_or_else(|| TrustError::Unreadable("truncated certificate".into()))?;
    let sig = child.cert.signature.as_bytes().ok_or_else(|| TrustError::Unreadable("signature bits".into()))?;
    // An RSA SPKI's BIT STRING is the PKCS#1 RSAPublicKey aws-lc-rs takes.
    let key = issuer.cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
    UnparsedPublicKey::new(alg, key).verify(tbs, sig).map_err(|_| TrustError::NotIssued("certificate", "issuer"))
}

fn valid_at(cert: &Certificate, at: i64) -> bool {
    let v = &cert.tbs_certificate.validity;
    let secs = |t: &x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    secs(&v.not_before) <= at && at <= secs(&v.not_after)
}

fn is_ca(cert: &Certificate) -> bool {
    use x509_cert::ext::pkix::BasicConstraints;
    let Some(exts) = cert.tbs_certificate.extensions.as_ref() else {
        // A v1 CA certificate has no extensions to say otherwise.
        return true;
    };
    match exts.iter().find(|e| e.extn_id.to_string() == "2.5.29.19") {
        None => true,
        Some(e) => {
            use x509_cert::der::Decode;
            BasicConstraints::from_der(e.extn_value.as_bytes()).is_ok_and(|bc| bc.ca)
        }
    }
}

/// The third `@`-field of the subject CN (`041@<id>@<company>@<n>`).
fn cn_company(cert: &Certificate) -> String {
    for rdn in cert.tbs_certificate.subject.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid.to_string() == "2.5.4.3" {
                if let Ok(cn) = attribute_value(&atv.value) {
                    return cn.split('@').nth(2).unwrap_or_default().to_owned();
                }
            }
        }
    }
    String::new()
}

/// The DER of a certificate given in PEM (first block).
pub fn certificate_der(pem_text: &str) -> Result<Vec<u8>, CertError> {
    let mut ders = pem_certificates(pem_text)?;
    let der = ders.swap_remove(0);
    // Parse once so a garbled block is refused here, not at first use.
    parse(&der)?.to_der().map_err(|e| CertError::Der(e.to_string()))?;
    Ok(der)
}
