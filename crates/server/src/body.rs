//! Request bodies: read with a size limit, parsed from JSON (the SDKs) or
//! form encoding with `app[id]`-style nesting (curl users).

use crate::ApiError;
use actix_web::{http::header, web, HttpRequest};
use futures::StreamExt;
use serde_json::{Map, Value};

pub async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad("invalid_body", format!("Could not read the request body: {e}"), None))?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::BodyTooLarge(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Parses the body into a JSON object, whatever the encoding.
pub fn parse_object(req: &HttpRequest, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let v: Value =
        if ct.starts_with("application/json") || (looks_json && !ct.starts_with("application/x-www-form-urlencoded")) {
            serde_json::from_slice(body)
                .map_err(|e| ApiError::bad("invalid_json", format!("The request body is not valid JSON: {e}"), None))?
        } else {
            parse_query(
                std::str::from_utf8(body)
                    .map_err(|_| ApiError::bad("invalid_body", "The form body is not UTF-8.", None))?,
            )?
        };
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::bad("invalid_json", "The request body must be a JSON object.", None)),
    }
}

/// Decodes `a[b]=c&x=1` (brackets raw or percent-encoded) into nested JSON
/// with string leaves. Lenient on purpose: every SDK encodes slightly differently.
pub fn parse_query(q: &str) -> Result<Value, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q)
        .map_err(|e| ApiError::bad("invalid_body", format!("Could not decode the form: {e}"), None))?;
    let mut root = Map::new();
    for (k, v) in pairs {
        let path = split_key(&k);
        insert_path(&mut root, &path, Value::String(v));
    }
    Ok(Value::Object(root))
}

fn split_key(k: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let (head, mut rest) = match k.find('[') {
        Some(i) => (&k[..i], &k[i..]),
        None => (k, ""),
    };
    parts.push(head.to_owned());
    while let Some(stripped) = rest.strip_prefix('[') {
        match stripped.find(']') {
            Some(end) => {
                parts.push(stripped[..end].to_owned());
                rest = &stripped[end + 1..];
            }
            None => break,
        }
    }
    parts
}

fn insert_path(m: &mut Map<String, Value>, path: &[String], v: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        m.insert(first.clone(), v);
        return;
    }
    let slot = m.entry(first.clone()).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    if let Value::Object(inner) = slot {
        insert_path(inner, rest, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nests_brackets_raw_and_encoded() {
        let v = parse_query("app%5Bid%5D=app_1&amount=100&extra[a][b]=c&created[gte]=5").expect("parse");
        assert_eq!(
            v,
            json!({"app": {"id": "app_1"}, "amount": "100", "extra": {"a": {"b": "c"}}, "created": {"gte": "5"}})
        );
    }
}
