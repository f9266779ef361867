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
}
