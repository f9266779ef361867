//! The bench playing WeChat Pay: its own platform key pair (public-key mode,
//! `PUB_KEY_ID_…`), its own APIv3 key, and `TRANSACTION.SUCCESS`
//! notifications built the way WeChat Pay's documents and SDKs build them.
//!
//! This is written apart from the adapter's parser on purpose: only the
//! primitives (RSA PKCS#1 v1.5 and AES-GCM, thin wrappers over aws-lc-rs in
//! `unicharge-crypto`) are shared, and the tests pin those to published
//! vectors of wechatpay-go, so a verification bug in the server shows up as
//! refused notifications instead of being mirrored here.

use anyhow::{Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;
use serde_json::json;
use unicharge_crypto::{aes_gcm_encrypt, generate_rsa_2048_pkcs8_pem, ExposeSecret, RsaSigner, SecretString};

/// WeChat Pay's notification signature scheme, sent in
/// `Wechatpay-Signature-Type`.
const SIGNATURE_TYPE: &str = "WECHATPAY2-SHA256-RSA2048";

/// The merchant the notifications are addressed to (from the app's `wx`
/// configuration).
#[derive(Debug, Clone)]
pub struct Merchant {
    pub mchid: String,
    pub appid: String,
}

/// One order to report paid.
#[derive(Debug, Clone)]
pub struct Paid<'a> {
    pub order_no: &'a str,
    pub amount: u64,
    pub transaction_id: &'a str,
}

/// A signed notification, ready to send.
pub struct Notification {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
    pub body: Bytes,
}

pub struct PlatformKeys {
    signer: RsaSigner,
    pub public_key_pem: String,
    pub public_key_id: String,
    apiv3_key: SecretString,
}

impl PlatformKeys {
    /// A fresh RSA-2048 key, a public key id shaped like WeChat's
    /// (`PUB_KEY_ID_01` + 26 digits) and a 32-character APIv3 key.
    pub fn generate() -> Result<Self> {
        let pem = generate_rsa_2048_pkcs8_pem().context("generating the bench's platform key")?;
        let signer = RsaSigner::parse(&pem).context("reading back the generated key")?;
        let public_key_pem = signer.public_key_pem().context("encoding the public key")?;
        let mut rng = rand::rng();
        let digits: String = (0..26).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect();
        let apiv3_key = SecretString::from(Alphanumeric.sample_string(&mut rng, 32));
        Ok(Self { signer, public_key_pem, public_key_id: format!("PUB_KEY_ID_01{digits}"), apiv3_key })
    }

    #[cfg(test)]
    fn from_parts(signer: RsaSigner, public_key_id: &str, apiv3_key: &str) -> Result<Self> {
        let public_key_pem = signer.public_key_pem()?;
        Ok(Self {
            signer,
            public_key_pem,
            public_key_id: public_key_id.to_owned(),
            apiv3_key: SecretString::from(apiv3_key.to_owned()),
        })
    }

    pub fn apiv3_key(&self) -> &str {
        self.apiv3_key.expose_secret()
    }

    /// `TRANSACTION.SUCCESS` for `paid`, signed at `now` (Unix seconds).
    pub fn transaction_success(&self, m: &Merchant, paid: &Paid<'_>, now: i64) -> Result<Notification> {
        let mut rng = rand::rng();
        let success_time = unicharge_crypto::gmt8::rfc3339(now);
        let resource = json!({
            "mchid": m.mchid,
            "appid": m.appid,
            "out_trade_no": paid.order_no,
            "transaction_id": paid.transaction_id,
            "trade_type": "NATIVE",
            "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功",
            "bank_type": "OTHERS",
            "attach": "",
            "success_time": success_time,
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": paid.amount, "payer_total": paid.amount, "currency": "CNY", "payer_currency": "CNY"},
        });
        let gcm_nonce = Alphanumeric.sample_string(&mut rng, 12);
        let ciphertext = self.encrypt(&gcm_nonce, "transaction", resource.to_string().as_bytes())?;
        let id = hex_string(&mut rng, 16);
        let body = json!({
            "id": format!("{}-{}-{}-{}-{}", &id[..8], &id[8..12], &id[12..16], &id[16..20], &id[20..]),
            "create_time": success_time,
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext,
                "associated_data": "transaction",
                "nonce": gcm_nonce,
            },
        })
        .to_string();
        Ok(self.sign(now, hex_string(&mut rng, 16).to_uppercase(), body))
    }

    /// base64(AEAD_AES_256_GCM(plaintext) ‖ tag) under the APIv3 key.
    fn encrypt(&self, nonce: &str, aad: &str, plaintext: &[u8]) -> Result<String> {
        let sealed = aes_gcm_encrypt(self.apiv3_key().as_bytes(), nonce.as_bytes(), aad.as_bytes(), plaintext)
            .context("encrypting a notification resource")?;
        Ok(B64.encode(sealed))
    }

    /// The `Wechatpay-*` headers over `TIMESTAMP\nNONCE\nBODY\n`.
    fn sign(&self, now: i64, nonce: String, body: String) -> Notification {
        let timestamp = now.to_string();
        let signature = self.signer.sign_sha256_b64(format!("{timestamp}\n{nonce}\n{body}\n").as_bytes());
        Notification { timestamp, nonce, signature, serial: self.public_key_id.clone(), body: Bytes::from(body) }
    }
}

impl Notification {
    /// The headers as WeChat Pay sends them, in its order.
    pub fn headers(&self) -> [(&'static str, &str); 5] {
        [
            ("wechatpay-nonce", &self.nonce),
            ("wechatpay-signature", &self.signature),
            ("wechatpay-timestamp", &self.timestamp),
            ("wechatpay-serial", &self.serial),
            ("wechatpay-signature-type", SIGNATURE_TYPE),
        ]
    }
}

fn hex_string(rng: &mut impl Rng, bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use unicharge_crypto::RsaPublicKey;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/wechat/");

    fn vector(name: &str) -> Result<String> {
        std::fs::read_to_string(format!("{VECTORS}{name}")).with_context(|| format!("reading vector {name}"))
    }

    /// wechatpay-go `utils/sign_test.go`: SHA256withRSA of "source".
    #[test]
    fn signature_matches_wechatpay_go() -> Result<()> {
        let signer = RsaSigner::parse(&vector("wechatpay-go-sign_test_private_key.pem")?)?;
        let keys = PlatformKeys::from_parts(signer, "PUB_KEY_ID_0100000000000000000000000000", &"k".repeat(32))?;
        // `sign` appends "\n" to each of timestamp, nonce and body; the
        // vector signs the bare string, so check the primitive directly.
        assert_eq!(
            keys.signer.sign_sha256_b64(b"source"),
            vector("wechatpay-go-sign_test_expected_signature.txt")?.trim()
        );
        Ok(())
    }

    /// wechatpay-go `core/notify/notify_test.go`: encrypting the published
    /// plaintext with its key, nonce and associated data gives the
    /// published ciphertext, byte for byte.
    #[test]
    fn encryption_matches_wechatpay_go() -> Result<()> {
        let body: Value = serde_json::from_str(&vector("wechatpay-go-notify_test.body.json")?)?;
        let r = &body["resource"];
        let plain = vector("wechatpay-go-notify_test.expected_plaintext.json")?;
        let signer = RsaSigner::parse(&generate_rsa_2048_pkcs8_pem()?)?;
        let keys = PlatformKeys::from_parts(signer, "x", "testMchAPIv3Key0")?;
        let nonce = r["nonce"].as_str().context("nonce")?;
        let aad = r["associated_data"].as_str().context("associated_data")?;
        assert_eq!(keys.encrypt(nonce, aad, plain.trim_end().as_bytes())?, r["ciphertext"].as_str().context("ct")?);
        Ok(())
    }

    #[test]
    fn notification_is_signed_and_decrypts() -> Result<()> {
        let keys = PlatformKeys::generate()?;
        assert!(keys.public_key_id.starts_with("PUB_KEY_ID_01") && keys.public_key_id.len() == 39);
        assert_eq!(keys.apiv3_key().len(), 32);
        let m = Merchant { mchid: "1900000109".into(), appid: "wx0123456789abcdef".into() };
        let paid = Paid { order_no: "abc123000001", amount: 100, transaction_id: "4200000000000000000000000001" };
        let n = keys.transaction_success(&m, &paid, 1_764_900_000)?;
        assert_eq!(n.timestamp, "1764900000");
        assert_eq!(n.serial, keys.public_key_id);
        let body = std::str::from_utf8(&n.body)?;
        let public = RsaPublicKey::parse(&keys.public_key_pem)?;
        let msg = format!("{}\n{}\n{body}\n", n.timestamp, n.nonce);
        assert!(public.verify_sha256_b64(msg.as_bytes(), &n.signature));
        assert!(!public.verify_sha256_b64(format!("{msg} ").as_bytes(), &n.signature));

        let v: Value = serde_json::from_str(body)?;
        assert_eq!(v["event_type"], "TRANSACTION.SUCCESS");
        let r = &v["resource"];
        let sealed = B64.decode(r["ciphertext"].as_str().context("ct")?)?;
        let plain = unicharge_crypto::aes_gcm_decrypt(
            keys.apiv3_key().as_bytes(),
            r["nonce"].as_str().context("nonce")?.as_bytes(),
            b"transaction",
            &sealed,
        )?;
        let t: Value = serde_json::from_slice(&plain)?;
        assert_eq!((t["mchid"].as_str(), t["appid"].as_str()), (Some("1900000109"), Some("wx0123456789abcdef")));
        assert_eq!((t["out_trade_no"].as_str(), t["amount"]["total"].as_u64()), (Some("abc123000001"), Some(100)));
        assert_eq!(t["trade_state"], "SUCCESS");
        assert_eq!(t["success_time"], "2025-12-05T10:00:00+08:00");
        Ok(())
    }
}
