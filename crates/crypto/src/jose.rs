//! Compact JWS with ES256 (RFC 7515 / RFC 7518 §3.4), as Apple signs
//! StoreKit transactions and App Store Server Notifications. The signature
//! is JOSE's raw `r‖s` (64 bytes for P-256), not DER.
//!
//! Verification works on the exact received `header.payload` bytes; nothing
//! is re-serialized before a signature is checked.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

#[derive(Debug, thiserror::Error)]
pub enum JoseError {
    #[error("not a compact JWS (three base64url parts)")]
    Shape,
    #[error("JWS part is not base64url: {0}")]
    Base64(&'static str),
    #[error("ES256 signature does not verify")]
    Signature,
    #[error("EC key unusable: {0}")]
    Key(String),
}

/// A compact JWS split into its parts, with the decoded header and payload.
/// `signing_input` is the received `b64(header).b64(payload)`, verbatim.
#[derive(Debug, Clone)]
pub struct CompactJws<'a> {
    pub signing_input: &'a str,
    pub header: Vec<u8>,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

impl<'a> CompactJws<'a> {
    pub fn parse(jws: &'a str) -> Result<Self, JoseError> {
        let mut parts = jws.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(JoseError::Shape);
        };
        if h.is_empty() || p.is_empty() || s.is_empty() {
            return Err(JoseError::Shape);
        }
        let dec =
            |part: &str, what| URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).map_err(|_| JoseError::Base64(what));
        Ok(Self {
            signing_input: &jws[..h.len() + 1 + p.len()],
            header: dec(h, "header")?,
            payload: dec(p, "payload")?,
            signature: dec(s, "signature")?,
        })
    }

    /// Checks the ES256 signature with an uncompressed P-256 point
    /// (`04‖x‖y`, the key bits of an EC SubjectPublicKeyInfo).
    pub fn verify_es256(&self, p256_point: &[u8]) -> Result<(), JoseError> {
        if self.signature.len() != 64 {
            return Err(JoseError::Signature);
        }
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, p256_point)
            .verify(self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| JoseError::Signature)
    }
}

/// An ES256 signer over a P-256 private key (an App Store Connect `.p8`, a
/// simulator's leaf key).
pub struct Es256Signer {
    key: EcdsaKeyPair,
}

impl std::fmt::Debug for Es256Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Es256Signer(..)")
    }
}

impl Es256Signer {
    /// From PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, Apple's `.p8`) or
    /// SEC1 PEM (`-----BEGIN EC PRIVATE KEY-----`).
    pub fn from_pem(text: &str) -> Result<Self, JoseError> {
        let block = pem::parse(text.trim()).map_err(|e| JoseError::Key(e.to_string()))?;
        let der = block.contents();
        let key = match block.tag() {
            "PRIVATE KEY" => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                .or_else(|_| EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der)),
            "EC PRIVATE KEY" => EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der),
            other => return Err(JoseError::Key(format!("unexpected PEM block {other}"))),
        }
        .map_err(|e| JoseError::Key(e.to_string()))?;
        Ok(Self { key })
    }

    /// A fresh P-256 key, returned with its PKCS#8 PEM.
    pub fn generate() -> Result<(Self, String), JoseError> {
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|e| JoseError::Key(e.to_string()))?;
        let pem_text = pem::encode(&pem::Pem::new("PRIVATE KEY", doc.as_ref().to_vec()));
        Ok((Self::from_pem(&pem_text)?, pem_text))
    }

    /// The uncompressed public point `04‖x‖y`.
    pub fn public_point(&self) -> Vec<u8> {
        self.key.public_key().as_ref().to_vec()
    }

    /// The public key as a SubjectPublicKeyInfo PEM (`PUBLIC KEY`).
    pub fn public_key_pem(&self) -> String {
        pem::encode(&pem::Pem::new("PUBLIC KEY", p256_spki_der(&self.public_point())))
    }

    /// Raw `r‖s` over `message`.
    pub fn sign_raw(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        let sig = self.key.sign(&SystemRandom::new(), message).map_err(|e| JoseError::Key(e.to_string()))?;
        Ok(sig.as_ref().to_vec())
    }

    /// A compact JWS of the given header and payload JSON texts.
    pub fn sign_compact(&self, header_json: &str, payload_json: &str) -> Result<String, JoseError> {
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header_json), URL_SAFE_NO_PAD.encode(payload_json));
        let sig = self.sign_raw(input.as_bytes())?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

/// SubjectPublicKeyInfo DER for an uncompressed P-256 point: the fixed
/// `id-ecPublicKey`/`prime256v1` prefix followed by the 65-byte point.
pub fn p256_spki_der(point: &[u8]) -> Vec<u8> {
    const PREFIX: [u8; 26] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
        0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    let mut out = PREFIX.to_vec();
    out.extend_from_slice(point);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_tamper() {
        let (signer, _) = Es256Signer::generate().unwrap();
        let jws = signer.sign_compact(r#"{"alg":"ES256"}"#, r#"{"a":1}"#).unwrap();
        let parsed = CompactJws::parse(&jws).unwrap();
        assert_eq!(parsed.payload, br#"{"a":1}"#);
        parsed.verify_es256(&signer.public_point()).unwrap();
        let (other, _) = Es256Signer::generate().unwrap();
        assert!(parsed.verify_es256(&other.public_point()).is_err());
        // Flip one payload character: the signature no longer matches.
        let mut parts: Vec<String> = jws.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(r#"{"a":2}"#);
        let forged = parts.join(".");
        assert!(CompactJws::parse(&forged).unwrap().verify_es256(&signer.public_point()).is_err());
    }

    #[test]
    fn malformed_shapes_are_refused() {
        for bad in ["", "a.b", "a.b.c.d", "..", "a..c", "!!.e30.AA"] {
            assert!(CompactJws::parse(bad).is_err(), "{bad}");
        }
    }

    /// RFC 7515 Appendix A.3: the published ES256 example JWS verifies with
    /// the published key, and fails once its payload is altered.
    #[test]
    fn rfc7515_a3_vector() {
        let jws = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
        let x = URL_SAFE_NO_PAD.decode("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU").unwrap();
        let y = URL_SAFE_NO_PAD.decode("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0").unwrap();
        let point = [vec![4u8], x, y].concat();
        let parsed = CompactJws::parse(jws).unwrap();
        parsed.verify_es256(&point).unwrap();
        let tampered = jws.replacen("eyJpc3MiOiJqb2Ui", "eyJpc3MiOiJqb2Ei", 1);
        assert!(CompactJws::parse(&tampered).unwrap().verify_es256(&point).is_err());
    }
}
