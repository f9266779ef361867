/// The sign content most Chinese payment providers use (Alipay, WeChat Pay
/// v2, UnionPay, our sandbox): parameters sorted by key, empty values and the
/// excluded names dropped, joined as `k=v&…` with no URL-encoding.
pub fn sorted_sign_content<'a, I>(params: I, exclude: &[&str]) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    join_sorted(params.into_iter().filter(|(k, v)| !v.is_empty() && !exclude.contains(k)).collect())
}

/// The same, but empty values are kept (`k=`). Alipay checks notification
/// signatures this way (`AlipaySignature.getSignCheckContentV1/V2`).
pub fn sorted_sign_content_keep_empty<'a, I>(params: I, exclude: &[&str]) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    join_sorted(params.into_iter().filter(|(k, _)| !exclude.contains(k)).collect())
}

/// WeChat Pay APIv2's sign: the sorted non-empty `k=v&…` without `sign`,
/// plus `&key=API_KEY`, then MD5 or HMAC-SHA256 (keyed by the API key, the
/// `&key=` suffix still appended), in upper-case hex.
pub fn wechat_v2_sign<'a, I>(params: I, api_key: &str, hmac_sha256: bool) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let temp = format!("{}&key={api_key}", sorted_sign_content(params, &["sign"]));
    if hmac_sha256 {
        crate::hmac_sha256_hex(api_key.as_bytes(), temp.as_bytes()).to_ascii_uppercase()
    } else {
        crate::md5_hex(temp.as_bytes()).to_ascii_uppercase()
    }
}

fn join_sorted(mut kv: Vec<(&str, &str)>) -> String {
    kv.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (i, (k, v)) in kv.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_drops_empty_and_excluded() {
        let p = [("b", "2"), ("a", "1"), ("sign", "x"), ("c", ""), ("sign_type", "RSA2")];
        assert_eq!(sorted_sign_content(p, &["sign", "sign_type"]), "a=1&b=2");
        assert_eq!(sorted_sign_content(p, &["sign"]), "a=1&b=2&sign_type=RSA2");
        assert_eq!(sorted_sign_content_keep_empty(p, &["sign", "sign_type"]), "a=1&b=2&c=");
    }

    /// WeChat Pay's worked example (pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3).
    #[test]
    fn wechat_v2_doc_example() {
        let p = [
            ("appid", "wxd930ea5d5a258f4f"),
            ("mch_id", "10000100"),
            ("device_info", "1000"),
            ("body", "test"),
            ("nonce_str", "ibuaiVcKdpRxkhJA"),
            ("sign", "ignored"),
            ("empty", ""),
        ];
        let key = "192006250b4c09247ec02edce69f6a2d";
        assert_eq!(wechat_v2_sign(p, key, false), "9A0A8659F005D6984697E2CA0A9CF3B7");
        assert_eq!(wechat_v2_sign(p, key, true), "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6");
        assert_ne!(wechat_v2_sign(p, "192006250b4c09247ec02edce69f6a2e", false), "9A0A8659F005D6984697E2CA0A9CF3B7");
    }
}
