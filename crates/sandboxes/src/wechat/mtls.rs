//! The sandbox's stand-in for WeChat Pay's certificate authority: it issues
//! each merchant's API certificate (`apiclient_cert.pem`, subject CN = the
//! mchid, serial = the merchant serial number, over the merchant API key),
//! and the TLS certificate of the `secapi/*` listener, which accepts only
//! client certificates it issued.
//!
//! Like the platform key, the CA key is generated once and kept by the
//! caller (the server seals it in its settings table); the CA certificate is
//! derived from it with a fixed validity, so every node builds the same one.

use super::platform::{pkcs8_der, PlatformError, NOT_AFTER, NOT_BEFORE};
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use secrecy::{ExposeSecret, SecretString};
use unicharge_crypto::sha256_hex;
use x509_cert::der::Decode;

fn cert_err(e: impl std::fmt::Display) -> PlatformError {
    PlatformError::Certificate(e.to_string())
}

fn pem_of(der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new("CERTIFICATE", der.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

pub struct ClientCa {
    key: KeyPair,
    params: CertificateParams,
    cert_der: Vec<u8>,
    cert_pem: String,
}

impl ClientCa {
    pub fn new(ca_private_key_pem: &SecretString) -> Result<Self, PlatformError> {
        let der = pkcs8_der(ca_private_key_pem.expose_secret())?;
        let key = KeyPair::try_from(der.as_slice()).map_err(cert_err)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "CN");
        dn.push(DnType::OrganizationName, "Tenpay.com");
        dn.push(DnType::OrganizationalUnitName, "Tenpay.com CA Center");
        dn.push(DnType::CommonName, "Tenpay.com Root CA (Unicharge sandbox)");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let mut serial = hex::decode(sha256_hex(&der)).map_err(cert_err)?;
        serial.truncate(16);
        serial[0] = (serial[0] & 0x7f) | 0x10;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.not_before = date_time_ymd(NOT_BEFORE.0, NOT_BEFORE.1, NOT_BEFORE.2);
        params.not_after = date_time_ymd(NOT_AFTER.0, NOT_AFTER.1, NOT_AFTER.2);
        let cert = params.self_signed(&key).map_err(cert_err)?;
        let cert_der = cert.der().to_vec();
        Ok(Self { cert_pem: pem_of(&cert_der), cert_der, key, params })
    }

    /// The CA certificate (PEM): what a client trusts the `secapi` listener by.
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn certificate_der(&self) -> CertificateDer<'static> {
        CertificateDer::from(self.cert_der.clone())
    }

    /// The merchant API certificate for `mchid`, over the merchant's key
    /// (PKCS#8 or PKCS#1 PEM), with `serial_hex` (the `merchant_serial_no`)
    /// as its serial, as WeChat Pay's merchant platform issues it.
    pub fn issue_merchant_certificate(
        &self,
        mchid: &str,
        serial_hex: &str,
        merchant_private_key_pem: &str,
    ) -> Result<String, PlatformError> {
        let subject = KeyPair::try_from(pkcs8_der(merchant_private_key_pem)?.as_slice()).map_err(cert_err)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "CN");
        dn.push(DnType::OrganizationName, "微信商户系统");
        dn.push(DnType::OrganizationalUnitName, "Unicharge sandbox merchant");
        dn.push(DnType::CommonName, mchid);
        params.distinguished_name = dn;
        let serial = hex::decode(serial_hex).map_err(|_| cert_err("the merchant serial is not hex"))?;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.not_before = date_time_ymd(NOT_BEFORE.0, NOT_BEFORE.1, NOT_BEFORE.2);
        params.not_after = date_time_ymd(NOT_AFTER.0, NOT_AFTER.1, NOT_AFTER.2);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&subject, &issuer).map_err(cert_err)?;
        Ok(pem_of(cert.der()))
    }

    /// A certificate for the loopback listener (127.0.0.1, ::1, localhost)
    /// with a fresh key; only the CA needs to stay the same across nodes.
    pub fn server_identity(&self) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), PlatformError> {
        let key = KeyPair::generate().map_err(cert_err)?;
        let names = vec!["127.0.0.1".to_owned(), "::1".to_owned(), "localhost".to_owned()];
        let mut params = CertificateParams::new(names).map_err(cert_err)?;
        params.distinguished_name.push(DnType::CommonName, "api.mch.weixin.qq.com (Unicharge sandbox)");
        params.not_before = date_time_ymd(NOT_BEFORE.0, NOT_BEFORE.1, NOT_BEFORE.2);
        params.not_after = date_time_ymd(NOT_AFTER.0, NOT_AFTER.1, NOT_AFTER.2);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).map_err(cert_err)?;
        let chain = vec![cert.der().clone(), self.certificate_der()];
        Ok((chain, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))))
    }
}

/// Who a verified client certificate names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The subject's common name: the mchid for a merchant certificate.
    pub common_name: Option<String>,
    /// Upper-case hex without leading zeros.
    pub serial: String,
}

impl ClientIdentity {
    pub fn from_der(der: &[u8]) -> Option<Self> {
        let cert = x509_cert::Certificate::from_der(der).ok()?;
        let tbs = &cert.tbs_certificate;
        let serial = hex::encode_upper(tbs.serial_number.as_bytes()).trim_start_matches('0').to_owned();
        let common_name =
            tbs.subject.0.iter().flat_map(|rdn| rdn.0.iter()).find(|atv| atv.oid.to_string() == "2.5.4.3").and_then(
                |atv| {
                    atv.value
                        .decode_as::<x509_cert::der::asn1::Utf8StringRef<'_>>()
                        .map(|s| s.as_str().to_owned())
                        .or_else(|_| {
                            atv.value
                                .decode_as::<x509_cert::der::asn1::PrintableStringRef<'_>>()
                                .map(|s| s.as_str().to_owned())
                        })
                        .ok()
                },
            );
        Some(Self { common_name, serial })
    }

    /// Whether this is the API certificate of `mchid` with `serial_hex`.
    pub fn is_merchant(&self, mchid: &str, serial_hex: &str) -> bool {
        self.common_name.as_deref() == Some(mchid)
            && self.serial.eq_ignore_ascii_case(serial_hex.trim_start_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicharge_crypto::generate_rsa_2048_pkcs8_pem;

    #[test]
    fn merchant_certificates_name_the_merchant_and_chain_to_the_ca() -> Result<(), Box<dyn std::error::Error>> {
        let ca_key = SecretString::from(generate_rsa_2048_pkcs8_pem()?);
        let ca = ClientCa::new(&ca_key)?;
        assert_eq!(ca.certificate_pem(), ClientCa::new(&ca_key)?.certificate_pem(), "same CA on every node");
        let mch_key = generate_rsa_2048_pkcs8_pem()?;
        let serial = "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567";
        let pem_text = ca.issue_merchant_certificate("1900000109", serial, &mch_key)?;
        let der = pem::parse(&pem_text)?.into_contents();
        let id = ClientIdentity::from_der(&der).ok_or("unreadable certificate")?;
        assert_eq!(id.common_name.as_deref(), Some("1900000109"));
        assert!(id.is_merchant("1900000109", serial));
        assert!(!id.is_merchant("1900000110", serial));
        assert!(!id.is_merchant("1900000109", "0A1B2C3D4E5F60718293A4B5C6D7E8F901234568"));
        // The certificate holds the merchant key's public half.
        let signer = unicharge_crypto::RsaSigner::parse(&mch_key)?;
        let public = unicharge_crypto::RsaPublicKey::from_certificate_pem(&pem_text)?;
        assert!(public.verify_sha256(b"m", &signer.sign_sha256(b"m")));
        // And it chains to the CA, for client authentication.
        let roots = {
            let mut r = rustls::RootCertStore::empty();
            r.add(ca.certificate_der())?;
            std::sync::Arc::new(r)
        };
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(roots, provider).build()?;
        let now = rustls::pki_types::UnixTime::now();
        verifier.verify_client_cert(&CertificateDer::from(der), &[], now)?;
        let other_ca = ClientCa::new(&SecretString::from(generate_rsa_2048_pkcs8_pem()?))?;
        let stranger = other_ca.issue_merchant_certificate("1900000109", serial, &mch_key)?;
        let stranger = CertificateDer::from(pem::parse(&stranger)?.into_contents());
        assert!(verifier.verify_client_cert(&stranger, &[], now).is_err(), "another CA's certificate is refused");
        Ok(())
    }
}
