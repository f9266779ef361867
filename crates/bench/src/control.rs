//! The untimed API calls around the webhook scenarios: registering and
//! removing the receiver's endpoint, and `resend_failed`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::conn::Conn;
use crate::pool::snippet;
use crate::receiver::EVENT_TYPE;
use crate::target::Target;

pub struct Api {
    conn: Conn,
    host: HeaderValue,
    auth: HeaderValue,
    prefix: String,
    timeout: Duration,
}

impl Api {
    pub async fn open(target: &Arc<Target>, key: &str, timeout: Duration) -> Result<Self> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {key}"))
            .context("--key contains characters not allowed in a header")?;
        auth.set_sensitive(true);
        Ok(Self {
            conn: Conn::open(Arc::clone(target), timeout).await?,
            host: target.host_header.clone(),
            auth,
            prefix: target.path_prefix.clone(),
            timeout,
        })
    }

    /// One request; anything but 200 with a JSON body is an error.
    pub async fn call(&mut self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let what = format!("{method} {path}");
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.prefix))
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, self.auth.clone());
        let body = match body {
            Some(v) => {
                req = req.header(CONTENT_TYPE, "application/json");
                Bytes::from(serde_json::to_vec(v)?)
            }
            None => Bytes::new(),
        };
        let req = req.body(Full::new(body)).with_context(|| format!("building {what}"))?;
        self.conn.ready().await.map_err(|kind| anyhow::anyhow!("{what}: {kind}"))?;
        let (status, body) =
            self.conn.exchange(req, self.timeout).await.map_err(|kind| anyhow::anyhow!("{what}: {kind}"))?;
        if status != StatusCode::OK {
            bail!("{what}: status {}: {}", status.as_u16(), snippet(&body));
        }
        serde_json::from_slice(&body).with_context(|| format!("{what}: answer is not JSON: {}", snippet(&body)))
    }

    /// Enabled endpoints of `app` (in the key's mode) other than `except`
    /// that would also receive `charge.succeeded`, to warn about: they share
    /// the dispatcher with the receiver being measured.
    pub async fn other_subscribers(&mut self, app: &str, except: &str) -> Result<Vec<String>> {
        let v = self.call(Method::GET, &format!("/v1/apps/{}/webhook_endpoints", safe("--app", app)?), None).await?;
        let list = v.get("data").and_then(Value::as_array).context("endpoint list without `data`")?;
        Ok(list
            .iter()
            .filter(|ep| ep.get("id").and_then(Value::as_str) != Some(except))
            .filter(|ep| ep.get("status").and_then(Value::as_str) == Some("enabled"))
            .filter(|ep| {
                ep.get("enabled_events")
                    .and_then(Value::as_array)
                    .is_some_and(|evs| evs.iter().any(|e| e == "*" || e == EVENT_TYPE))
            })
            .filter_map(|ep| ep.get("url").and_then(Value::as_str).map(str::to_owned))
            .collect())
    }

    /// Registers `url` for `charge.succeeded`; returns the endpoint id.
    pub async fn create_endpoint(&mut self, app: &str, url: &str, pingpp_signature: bool) -> Result<String> {
        let body = json!({"url": url, "enabled_events": [EVENT_TYPE], "description": "unicharge-bench receiver",
            "pingpp_signature": pingpp_signature});
        let path = format!("/v1/apps/{}/webhook_endpoints", safe("--app", app)?);
        let v = self.call(Method::POST, &path, Some(&body)).await?;
        let id = v.get("id").and_then(Value::as_str).context("webhook endpoint answer without `id`")?;
        Ok(safe("webhook endpoint id", id)?.to_owned())
    }

    pub async fn delete_endpoint(&mut self, app: &str, id: &str) -> Result<()> {
        let path = format!("/v1/apps/{}/webhook_endpoints/{}", safe("--app", app)?, safe("endpoint id", id)?);
        self.call(Method::DELETE, &path, None).await.map(|_| ())
    }

    /// Queues every failed delivery of `app` created since `since` (Unix
    /// seconds) again; returns how many.
    pub async fn resend_failed(&mut self, app: &str, since: i64) -> Result<u64> {
        let body = json!({"since": since, "app": {"id": app}});
        let v = self.call(Method::POST, "/v1/events/resend_failed", Some(&body)).await?;
        v.get("resent").and_then(Value::as_u64).with_context(|| format!("resend_failed answered {v}"))
    }
}

/// Ids are spliced into paths, so they must not carry `/`, `?` or `%`.
pub fn safe<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    let ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    anyhow::ensure!(ok, "{what} {id:?} is not a plain id");
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_path_safe() {
        assert!(safe("x", "app_7TCaTF-x").is_ok());
        assert!(safe("x", "").is_err());
        assert!(safe("x", "app/../keys").is_err());
        assert!(safe("x", "app?x=1").is_err());
        assert!(safe("x", "app%2f").is_err());
    }
}
