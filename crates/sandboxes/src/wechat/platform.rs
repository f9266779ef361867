//! The sandbox's WeChat Pay platform identity: one RSA key, its certificate
//! (serial in `Wechatpay-Serial`) and its public-key id (`PUB_KEY_ID_…`).

use super::PlatformKeyMode;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::RsaKeyPair;
use secrecy::{ExposeSecret, SecretString};
use unicharge_crypto::{sha256_hex, RsaKeyError, RsaPublicKey, RsaSigner};
use x509_cert::der::Decode;

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("the sandbox platform private key is not usable: {0}")]
    Key(#[from] RsaKeyError),
    #[error("the sandbox platform certificate is not usable: {0}")]
    Certificate(String),
}

/// Validity of the built certificate: fixed, so every node builds the same
/// bytes (RSA PKCS#1 v1.5 signing is deterministic).
pub(super) const NOT_BEFORE: (i32, u8, u8) = (2024, 1, 1);
pub(super) const NOT_AFTER: (i32, u8, u8) = (2034, 1, 1);

pub struct Platform {
    pub signer: RsaSigner,
    pub cert_pem: String,
    pub serial: String,
    pub public_key_pem: String,
    pub public_key_id: String,
    /// Unix seconds, for `/v3/certificates`.
    pub effective: i64,
    pub expire: i64,
}

impl Platform {
    pub fn new(private_key_pem: &SecretString, cert_pem: Option<&str>) -> Result<Self, PlatformError> {
        let text = private_key_pem.expose_secret();
        let signer = RsaSigner::parse(text)?;
        let public_key_pem = signer.public_key_pem()?;
        let cert_pem = match cert_pem {
            Some(c) => c.trim().to_owned() + "\n",
            None => build_certificate(text, &public_key_pem)?,
        };
        let (serial, effective, expire) = read_certificate(&cert_pem)?;
        let cert_key = RsaPublicKey::from_certificate_pem(&cert_pem)?;
        if !cert_key.verify_sha256(b"probe", &signer.sign_sha256(b"probe")) {
            return Err(PlatformError::Certificate("it does not hold the platform key's public half".into()));
        }
        let digits: String = hex::decode(sha256_hex(public_key_pem.as_bytes()))
            .unwrap_or_default()
            .iter()
            .take(26)
            .map(|b| char::from(b'0' + b % 10))
            .collect();
        let public_key_id = format!("PUB_KEY_ID_01{digits}");
        Ok(Self { signer, cert_pem, serial, public_key_pem, public_key_id, effective, expire })
    }

    pub fn serial_for(&self, mode: PlatformKeyMode) -> &str {
        match mode {
            PlatformKeyMode::Certificate => &self.serial,
            PlatformKeyMode::PublicKey => &self.public_key_id,
        }
    }

    /// `Wechatpay-Timestamp/-Nonce/-Signature/-Serial/-Signature-Type` for
    /// `body`, signed over `TS\nNONCE\nBODY\n`. WeChat sends the type on
    /// answers too, and wechatpayv3 refuses answers without it.
    pub fn signed_headers(&self, body: &str, mode: PlatformKeyMode) -> Vec<(String, String)> {
        let ts = super::clock::now().to_string();
        let nonce = super::nonce();
        let sig = self.signer.sign_sha256_b64(format!("{ts}\n{nonce}\n{body}\n").as_bytes());
        vec![
            ("Wechatpay-Timestamp".into(), ts),
            ("Wechatpay-Nonce".into(), nonce),
            ("Wechatpay-Signature".into(), sig),
            ("Wechatpay-Serial".into(), self.serial_for(mode).to_owned()),
            ("Wechatpay-Signature-Type".into(), "WECHATPAY2-SHA256-RSA2048".into()),
        ]
    }
}

fn cert_err(e: impl std::fmt::Display) -> PlatformError {
    PlatformError::Certificate(e.to_string())
}

/// PKCS#8 DER of a PKCS#8 or PKCS#1 PEM (rcgen takes PKCS#8 only).
pub(super) fn pkcs8_der(text: &str) -> Result<Vec<u8>, PlatformError> {
    let p = pem::parse(text.trim()).map_err(|_| RsaKeyError::Unparseable)?;
    let pair = match p.tag() {
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(p.contents()),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(p.contents()),
        _ => return Err(RsaKeyError::Unparseable.into()),
    }
    .map_err(|_| RsaKeyError::Unparseable)?;
    let der = pair.as_der().map_err(|_| RsaKeyError::Unparseable)?;
    Ok(der.as_ref().to_vec())
}

/// A self-signed certificate shaped like WeChat Pay's platform certificate
/// (Tenpay.com subject), its serial taken from the key so it is stable.
fn build_certificate(key_text: &str, public_key_pem: &str) -> Result<String, PlatformError> {
    use rcgen::{date_time_ymd, CertificateParams, DistinguishedName, DnType, KeyPair, SerialNumber};
    let key = KeyPair::try_from(pkcs8_der(key_text)?.as_slice()).map_err(cert_err)?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "CN");
    dn.push(DnType::OrganizationName, "Tenpay.com");
    dn.push(DnType::OrganizationalUnitName, "Tenpay.com CA Center");
    dn.push(DnType::CommonName, "Tenpay.com sign (Unicharge sandbox)");
    params.distinguished_name = dn;
    let mut serial = hex::decode(sha256_hex(public_key_pem.as_bytes())).map_err(cert_err)?;
    serial.truncate(20);
    // Positive, and a leading nibble that is not zero: 40 hex digits.
    serial[0] = (serial[0] & 0x7f) | 0x10;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.not_before = date_time_ymd(NOT_BEFORE.0, NOT_BEFORE.1, NOT_BEFORE.2);
    params.not_after = date_time_ymd(NOT_AFTER.0, NOT_AFTER.1, NOT_AFTER.2);
    let cert = params.self_signed(&key).map_err(cert_err)?;
    Ok(pem::encode_config(
        &pem::Pem::new("CERTIFICATE", cert.der().to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    ))
}

/// (serial as upper-case hex without leading zeros, not before, not after).
fn read_certificate(cert_pem: &str) -> Result<(String, i64, i64), PlatformError> {
    let p = pem::parse(cert_pem.trim()).map_err(cert_err)?;
    let cert = x509_cert::Certificate::from_der(p.contents()).map_err(cert_err)?;
    let tbs = &cert.tbs_certificate;
    let serial = hex::encode_upper(tbs.serial_number.as_bytes()).trim_start_matches('0').to_owned();
    let unix = |t: &x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    Ok((serial, unix(&tbs.validity.not_before), unix(&tbs.validity.not_after)))
}
