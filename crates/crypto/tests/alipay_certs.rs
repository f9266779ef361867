//! Alipay certificate-mode SNs and certificate public keys, against the
//! certificates published in Alipay's Node SDK and fzlee's Python SDK test
//! suites (copies in tests/vectors/alipay, sources in its README). Expected
//! SNs were computed by `xcheck_alipay.py cert-sn`, which agrees with fzlee's
//! `DCAliPay.get_cert_sn` and the Node SDK's `antcertutil.getSN`.

use unicharge_crypto::{alipay_cert_sn, alipay_root_cert_sn, RsaPublicKey};

fn vector(name: &str) -> String {
    let path = format!("{}/../../tests/vectors/alipay/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn cert_sns_match_alipay_sdks() {
    let cases = [
        // Published in alipay-sdk-nodejs-all test/antcertutil.test.ts.
        ("nodejs-appCertPublicKey_2021001161683774.crt", "866efef280dec9137a87d047ac446315"),
        ("nodejs-alipayCertPublicKey_RSA2.crt", "7513daaaa48aa3ba2e4018d84402479c"),
        ("fzlee-alipay_public_key_cert.crt", "abe4af5e686f52544fcd9d5592fce1f3"),
        ("fzlee-app_public_key_cert.crt", "75852781c31e6a29e6551915a592dcb3"),
        ("test-alipay_app_cert.crt", "c63c94e7db315018b3cb699a3ee02cd0"),
        ("test-alipay_platform_cert.crt", "c7a48534b81c53c3ca00061d804151d1"),
    ];
    for (file, sn) in cases {
        assert_eq!(alipay_cert_sn(&vector(file)).expect(file), sn, "{file}");
    }
}

#[test]
fn root_cert_sns_skip_sm2_roots() {
    let cases = [
        // Alipay's real root bundle: four roots, two of them SM2.
        ("nodejs-alipayRootCert.crt", "687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6"),
        ("fzlee-alipay_root_cert.crt", "6bc29aa3b4d406c43483ffea81e08d22"),
        ("test-alipay_root_cert.crt", "d059215f3d94412ed0ee3bb2b23089eb_d961e692326d59e0345ceda274453056"),
    ];
    for (file, sn) in cases {
        assert_eq!(alipay_root_cert_sn(&vector(file)).expect(file), sn, "{file}");
    }
    let bundle = vector("nodejs-alipayRootCert.crt");
    assert_eq!(unicharge_crypto::pem_certificates(&bundle).expect("bundle").len(), 4);
}

#[test]
fn certificate_public_key_verifies_its_key_pairs_signatures() {
    let signer =
        unicharge_crypto::RsaSigner::parse(&vector("test-alipay_platform_private_pkcs8.pem")).expect("platform key");
    let sig = signer.sign_sha256(b"alipay");
    let from_cert = RsaPublicKey::from_certificate_pem(&vector("test-alipay_platform_cert.crt")).expect("cert key");
    assert!(from_cert.verify_sha256(b"alipay", &sig));
    let app_cert = RsaPublicKey::from_certificate_pem(&vector("test-alipay_app_cert.crt")).expect("app cert key");
    assert!(!app_cert.verify_sha256(b"alipay", &sig));
    assert!(RsaPublicKey::from_certificate_pem(&vector("test-alipay_platform_public.pem")).is_err());
    assert!(alipay_cert_sn(&vector("test-alipay_platform_public.pem")).is_err());
}

/// The same key in PKCS#1 and PKCS#8, as the xcheck key generator wrote it.
#[test]
fn pkcs1_and_pkcs8_files_are_one_key() {
    let a = unicharge_crypto::RsaSigner::parse(&vector("test-alipay_app_private_pkcs1.pem")).expect("pkcs1");
    let b = unicharge_crypto::RsaSigner::parse(&vector("test-alipay_app_private_pkcs8.pem")).expect("pkcs8");
    assert_eq!(a.sign_sha256(b"x"), b.sign_sha256(b"x"));
    let public = RsaPublicKey::parse(&vector("test-alipay_app_public.pem")).expect("public");
    assert!(public.verify_sha256(b"x", &a.sign_sha256(b"x")));
    // The Node SDK's test key is PKCS#1 without a trailing newline.
    assert!(unicharge_crypto::RsaSigner::parse(&vector("nodejs-app-private-key.pem")).is_ok());
}
