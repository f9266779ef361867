use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;

#[derive(Debug, thiserror::Error)]
pub enum RsaKeyError {
    #[error("not an RSA key in PEM (PKCS#1 or PKCS#8/SPKI) or bare base64 DER")]
    Unparseable,
    #[error("RSA key rejected: {0}")]
    Rejected(&'static str),
}

/// Decodes PEM, or the bare base64 DER that providers' consoles export
/// (Alipay's "应用公钥" text has no PEM armour). Returns (pem tag, der).
fn decode_key_text(text: &str) -> Result<(Option<String>, Vec<u8>), RsaKeyError> {
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        let p = pem::parse(t).map_err(|_| RsaKeyError::Unparseable)?;
        return Ok((Some(p.tag().to_owned()), p.contents().to_vec()));
    }
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    let der = B64.decode(compact).map_err(|_| RsaKeyError::Unparseable)?;
    Ok((None, der))
}

/// An RSA public key for verifying SHA256withRSA (PKCS#1 v1.5) signatures.
#[derive(Clone)]
pub struct RsaPublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

impl std::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaPublicKey({} bits)", self.n.len() * 8)
    }
}

impl RsaPublicKey {
    pub fn parse(text: &str) -> Result<Self, RsaKeyError> {
        let (tag, der) = decode_key_text(text)?;
        let key = match tag.as_deref() {
            Some("RSA PUBLIC KEY") => rsa::RsaPublicKey::from_pkcs1_der(&der).ok(),
            Some("PUBLIC KEY") => rsa::RsaPublicKey::from_public_key_der(&der).ok(),
            Some(_) => None,
            None => rsa::RsaPublicKey::from_public_key_der(&der)
                .ok()
                .or_else(|| rsa::RsaPublicKey::from_pkcs1_der(&der).ok()),
        }
        .ok_or(RsaKeyError::Unparseable)?;
        Self::from_rsa(&key)
    }

    /// The public key of an X.509 certificate in PEM (the first one, if the
    /// text holds several), as Alipay's certificate mode delivers it.
    pub fn from_certificate_pem(text: &str) -> Result<Self, RsaKeyError> {
        let spki = crate::cert::certificate_spki_der(text).map_err(|_| RsaKeyError::Unparseable)?;
        let key = rsa::RsaPublicKey::from_public_key_der(&spki).map_err(|_| RsaKeyError::Unparseable)?;
        Self::from_rsa(&key)
    }

    fn from_rsa(key: &rsa::RsaPublicKey) -> Result<Self, RsaKeyError> {
        let n = key.n().to_bytes_be();
        if n.len() < 256 {
            return Err(RsaKeyError::Rejected("keys shorter than 2048 bits are not accepted"));
        }
        Ok(Self { n, e: key.e().to_bytes_be() })
    }

    /// Verifies SHA256withRSA over `msg`. aws-lc-rs does the arithmetic.
    pub fn verify_sha256(&self, msg: &[u8], sig: &[u8]) -> bool {
        let comps = PublicKeyComponents { n: self.n.as_slice(), e: self.e.as_slice() };
        comps.verify(&RSA_PKCS1_2048_8192_SHA256, msg, sig).is_ok()
    }

    pub fn verify_sha256_b64(&self, msg: &[u8], sig_b64: &str) -> bool {
        match B64.decode(sig_b64.trim()) {
            Ok(sig) => self.verify_sha256(msg, &sig),
            Err(_) => false,
        }
    }
}

/// An RSA private key that signs SHA256withRSA (PKCS#1 v1.5), deterministic.
pub struct RsaSigner {
    pair: RsaKeyPair,
}

impl std::fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaSigner([REDACTED])")
    }
}

impl RsaSigner {
    /// Accepts PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) and bare
    /// base64 of either, as Alipay's key tool exports them.
    pub fn parse(text: &str) -> Result<Self, RsaKeyError> {
        let (tag, der) = decode_key_text(text)?;
        let pair = match tag.as_deref() {
            Some("PRIVATE KEY") => RsaKeyPair::from_pkcs8(&der).ok(),
            Some("RSA PRIVATE KEY") => RsaKeyPair::from_der(&der).ok(),
            Some(_) => None,
            None => RsaKeyPair::from_pkcs8(&der).ok().or_else(|| RsaKeyPair::from_der(&der).ok()),
        }
        .ok_or(RsaKeyError::Unparseable)?;
        Ok(Self { pair })
    }

    /// A PKCS#8 (or, failing that, PKCS#1) DER key, as a PKCS#12 bag holds it.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, RsaKeyError> {
        let pair =
            RsaKeyPair::from_pkcs8(der).or_else(|_| RsaKeyPair::from_der(der)).map_err(|_| RsaKeyError::Unparseable)?;
        Ok(Self { pair })
    }

    pub fn sign_sha256(&self, msg: &[u8]) -> Vec<u8> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        // PKCS#1 v1.5 signing cannot fail for a buffer of the modulus length.
        if self.pair.sign(&RSA_PKCS1_SHA256, &rng, msg, &mut sig).is_err() {
            sig.clear();
        }
        sig
    }

    pub fn sign_sha256_b64(&self, msg: &[u8]) -> String {
        B64.encode(self.sign_sha256(msg))
    }

    /// The matching public key as SPKI PEM, the form tenants paste into tools.
    pub fn public_key_pem(&self) -> Result<String, RsaKeyError> {
        let pkcs1 = self.pair.public_key().as_ref();
        let key = rsa::RsaPublicKey::from_pkcs1_der(pkcs1).map_err(|_| RsaKeyError::Unparseable)?;
        use rsa::pkcs8::EncodePublicKey;
        key.to_public_key_pem(rsa::pkcs8::LineEnding::LF).map_err(|_| RsaKeyError::Unparseable)
    }

    pub fn public_key(&self) -> Result<RsaPublicKey, RsaKeyError> {
        RsaPublicKey::parse(&self.public_key_pem()?)
    }
}

/// A fresh 2048-bit key as PKCS#8 PEM, for sandbox providers and demo apps.
pub fn generate_rsa_2048_pkcs8_pem() -> Result<String, RsaKeyError> {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| RsaKeyError::Rejected("key generation failed"))?;
    let der = pair.as_der().map_err(|_| RsaKeyError::Rejected("key encoding failed"))?;
    Ok(pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(pem_text: &str) -> String {
        pem_text.lines().filter(|l| !l.starts_with("-----")).collect()
    }

    /// Every form Alipay's console and key tool export must yield the same key.
    #[test]
    fn private_keys_in_every_export_form() {
        let pkcs8_pem = generate_rsa_2048_pkcs8_pem().expect("generate");
        let signer = RsaSigner::parse(&pkcs8_pem).expect("pkcs8 pem");
        let pkcs8_der = pem::parse(&pkcs8_pem).expect("pem").contents().to_vec();
        let pkcs1_der = rsa_pkcs1_from_pkcs8(&pkcs8_der);
        let pkcs1_pem = pem::encode(&pem::Pem::new("RSA PRIVATE KEY", pkcs1_der.clone()));
        let forms = [
            pkcs8_pem.clone(),
            pkcs1_pem.clone(),
            body(&pkcs8_pem),
            body(&pkcs1_pem),
            // Windows line ends and no trailing newline survive too.
            pkcs1_pem.replace('\n', "\r\n").trim_end().to_owned(),
        ];
        let public = signer.public_key().expect("public");
        for f in &forms {
            let s = RsaSigner::parse(f).expect("parse form");
            let sig = s.sign_sha256(b"abc");
            assert!(public.verify_sha256(b"abc", &sig));
            // PKCS#1 v1.5 is deterministic: every form is the same key.
            assert_eq!(sig, signer.sign_sha256(b"abc"));
        }
        assert!(RsaSigner::parse("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----").is_err());
        assert!(RsaSigner::parse("not base64 !!").is_err());
        assert!(RsaSigner::parse(&body(&pkcs8_pem)[10..]).is_err());
    }

    #[test]
    fn public_keys_in_every_export_form() {
        let signer = RsaSigner::parse(&generate_rsa_2048_pkcs8_pem().expect("generate")).expect("parse");
        let spki_pem = signer.public_key_pem().expect("pem");
        let sig = signer.sign_sha256(b"msg");
        let spki_der = pem::parse(&spki_pem).expect("pem").contents().to_vec();
        let key = rsa::RsaPublicKey::from_public_key_der(&spki_der).expect("spki");
        use rsa::pkcs1::EncodeRsaPublicKey;
        let pkcs1_der = key.to_pkcs1_der().expect("pkcs1").as_bytes().to_vec();
        let pkcs1_pem = pem::encode(&pem::Pem::new("RSA PUBLIC KEY", pkcs1_der.clone()));
        for f in [spki_pem.clone(), pkcs1_pem.clone(), body(&spki_pem), body(&pkcs1_pem)] {
            let k = RsaPublicKey::parse(&f).expect("parse form");
            assert!(k.verify_sha256(b"msg", &sig));
            assert!(!k.verify_sha256(b"msh", &sig));
        }
        assert!(RsaPublicKey::parse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----").is_err());
    }

    /// Unwraps PrivateKeyInfo to its RSAPrivateKey, so the test can build a
    /// PKCS#1 key without a second RSA implementation.
    fn rsa_pkcs1_from_pkcs8(der: &[u8]) -> Vec<u8> {
        use rsa::pkcs8::der::Decode;
        let info = rsa::pkcs8::PrivateKeyInfo::from_der(der).expect("pkcs8");
        info.private_key.to_vec()
    }
}
