//! X.509 helpers for Alipay's public-key-certificate mode (公钥证书).
//!
//! Alipay identifies certificates by an "SN": lowercase hex MD5 of the issuer
//! DN, written most-specific-first as `CN=…,OU=…,O=…,C=…`, followed by the
//! serial number in decimal. That is what Alipay's Java SDK, its Node SDK
//! (`antcertutil.getSN`) and fzlee's `DCAliPay.get_cert_sn` compute; requests
//! carry it as `app_cert_sn` and `alipay_root_cert_sn`.

use md5::{Digest, Md5};
use x509_cert::der::{Decode, Encode, Tag, Tagged};
use x509_cert::Certificate;

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("no PEM certificate found")]
    NoCertificate,
    #[error("certificate is not valid DER: {0}")]
    Der(String),
    #[error("certificate issuer has an attribute that is not a string")]
    IssuerValue,
}

/// The DER of every `CERTIFICATE` block in `text`, in file order.
pub fn pem_certificates(text: &str) -> Result<Vec<Vec<u8>>, CertError> {
    let blocks = pem::parse_many(text.trim()).map_err(|e| CertError::Der(e.to_string()))?;
    let ders: Vec<Vec<u8>> =
        blocks.into_iter().filter(|p| p.tag() == "CERTIFICATE").map(|p| p.contents().to_vec()).collect();
    if ders.is_empty() {
        return Err(CertError::NoCertificate);
    }
    Ok(ders)
}

pub(crate) fn parse(der: &[u8]) -> Result<Certificate, CertError> {
    Certificate::from_der(der).map_err(|e| CertError::Der(e.to_string()))
}

/// The SubjectPublicKeyInfo DER of the first certificate in `pem_text`.
pub fn certificate_spki_der(pem_text: &str) -> Result<Vec<u8>, CertError> {
    let ders = pem_certificates(pem_text)?;
    let cert = parse(&ders[0])?;
    cert.tbs_certificate.subject_public_key_info.to_der().map_err(|e| CertError::Der(e.to_string()))
}

/// What WeChat Pay needs of an X.509 certificate: the serial as WeChat
/// names it (upper-case hex, no leading zeros, as `%X` prints a big integer
/// in its SDKs) and the validity window in Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSerialValidity {
    pub serial_hex: String,
    pub not_before: i64,
    pub not_after: i64,
}

/// Serial and validity of the first certificate in `pem_text`.
pub fn certificate_serial_validity(pem_text: &str) -> Result<CertSerialValidity, CertError> {
    let ders = pem_certificates(pem_text)?;
    let cert = parse(&ders[0])?;
    let tbs = &cert.tbs_certificate;
    let hex = hex::encode_upper(tbs.serial_number.as_bytes());
    let trimmed = hex.trim_start_matches('0');
    let secs = |t: &x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    Ok(CertSerialValidity {
        serial_hex: if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() },
        not_before: secs(&tbs.validity.not_before),
        not_after: secs(&tbs.validity.not_after),
    })
}

/// `app_cert_sn` (or the Alipay public-key certificate's SN) of the first
/// certificate in `pem_text`.
pub fn alipay_cert_sn(pem_text: &str) -> Result<String, CertError> {
    let ders = pem_certificates(pem_text)?;
    cert_sn(&parse(&ders[0])?)
}

/// `alipay_root_cert_sn`: the SNs of the RSA-signed certificates of Alipay's
/// root bundle, in file order, joined by `_`. The bundle also holds SM2
/// roots, which Alipay's SDKs skip, so their algorithm is read before any
/// full parse.
pub fn alipay_root_cert_sn(bundle_pem: &str) -> Result<String, CertError> {
    let mut sns = Vec::new();
    for der in pem_certificates(bundle_pem)? {
        if is_rsa_signed(&der)? {
            sns.push(cert_sn(&parse(&der)?)?);
        }
    }
    if sns.is_empty() {
        return Err(CertError::NoCertificate);
    }
    Ok(sns.join("_"))
}

fn cert_sn(cert: &Certificate) -> Result<String, CertError> {
    let mut parts = Vec::new();
    for rdn in cert.tbs_certificate.issuer.0.iter().rev() {
        for atv in rdn.0.iter() {
            parts.push(format!("{}={}", attribute_name(&atv.oid.to_string()), attribute_value(&atv.value)?));
        }
    }
    let serial = signed_decimal(cert.tbs_certificate.serial_number.as_bytes());
    let digest = Md5::digest(format!("{}{serial}", parts.join(",")).as_bytes());
    Ok(hex::encode(digest))
}

/// RFC 4514 short names, as Python's `cryptography` (and Java's RFC 2253
/// rendering) spell them; anything else keeps its dotted OID.
fn attribute_name(oid: &str) -> &str {
    match oid {
        "2.5.4.3" => "CN",
        "2.5.4.11" => "OU",
        "2.5.4.10" => "O",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        other => other,
    }
}

pub(crate) fn attribute_value(v: &x509_cert::der::Any) -> Result<String, CertError> {
    let bytes = v.value();
    match v.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString | Tag::VisibleString => {
            String::from_utf8(bytes.to_vec()).map_err(|_| CertError::IssuerValue)
        }
        Tag::BmpString => {
            if !bytes.len().is_multiple_of(2) {
                return Err(CertError::IssuerValue);
            }
            let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16(&units).map_err(|_| CertError::IssuerValue)
        }
        _ => Err(CertError::IssuerValue),
    }
}

/// A big-endian two's-complement integer in decimal, of any length.
pub(crate) fn signed_decimal(bytes: &[u8]) -> String {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut magnitude = bytes.to_vec();
    if negative {
        // Two's complement: invert and add one.
        for b in magnitude.iter_mut() {
            *b = !*b;
        }
        for b in magnitude.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }
    let mut digits = Vec::new();
    let mut n: Vec<u8> = magnitude.into_iter().skip_while(|b| *b == 0).collect();
    while !n.is_empty() {
        let mut rem = 0u32;
        for b in n.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
        n = n.into_iter().skip_while(|b| *b == 0).collect();
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    if negative {
        digits.push(b'-');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// Reads `signatureAlgorithm` with a minimal DER walk, because the SM2
/// roots in Alipay's bundle need not parse as the certificates we accept.
fn is_rsa_signed(der: &[u8]) -> Result<bool, CertError> {
    // 1.2.840.113549.1.1.* (PKCS #1 signature algorithms).
    const PKCS1_PREFIX: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01];
    let bad = || CertError::Der("truncated certificate".into());
    let (_, cert_body, _) = tlv(der, 0).ok_or_else(bad)?;
    let (_, _, tbs_end) = tlv(der, cert_body).ok_or_else(bad)?;
    let (_, alg_body, _) = tlv(der, tbs_end).ok_or_else(bad)?;
    let (tag, oid_start, oid_end) = tlv(der, alg_body).ok_or_else(bad)?;
    if tag != 0x06 {
        return Err(CertError::Der("signatureAlgorithm has no OID".into()));
    }
    let oid = der.get(oid_start..oid_end).ok_or_else(bad)?;
    Ok(oid.len() == PKCS1_PREFIX.len() + 1 && oid.starts_with(PKCS1_PREFIX))
}

/// (tag, start of value, end of value) of the TLV at `i`.
pub(crate) fn tlv(b: &[u8], i: usize) -> Option<(u8, usize, usize)> {
    let tag = *b.get(i)?;
    let first = *b.get(i + 1)?;
    let (len, start) = if first & 0x80 == 0 {
        (usize::from(first), i + 2)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 {
            return None;
        }
        let len = b.get(i + 2..i + 2 + n)?.iter().fold(0usize, |acc, x| (acc << 8) | usize::from(*x));
        (len, i + 2 + n)
    };
    let end = start.checked_add(len)?;
    (end <= b.len()).then_some((tag, start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_serials() {
        assert_eq!(signed_decimal(&[]), "0");
        assert_eq!(signed_decimal(&[0x00]), "0");
        assert_eq!(signed_decimal(&[0x01, 0x00]), "256");
        assert_eq!(signed_decimal(&[0x00, 0xFF]), "255");
        assert_eq!(signed_decimal(&[0xFF]), "-1");
        assert_eq!(signed_decimal(&[0x80]), "-128");
        // 2^64 = 18446744073709551616, beyond any machine integer.
        assert_eq!(signed_decimal(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0]), "18446744073709551616");
    }

    #[test]
    fn tlv_rejects_truncation() {
        assert_eq!(tlv(&[0x30, 0x03, 0x01, 0x02, 0x03], 0), Some((0x30, 2, 5)));
        assert_eq!(tlv(&[0x30, 0x04, 0x01], 0), None);
        assert_eq!(tlv(&[0x30, 0x81, 0x01, 0x00], 0), Some((0x30, 3, 4)));
        assert!(is_rsa_signed(&[0x30, 0x00]).is_err());
        assert!(pem_certificates("not a certificate").is_err());
    }
}
