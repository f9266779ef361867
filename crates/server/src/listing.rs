//! Ping++ list parameters: `limit`, `starting_after`, `ending_before`,
//! `created[gt|gte|lt|lte]`, booleans in any casing the SDKs send.

use crate::ApiError;
use serde_json::{Map, Value};
use unicharge_store::{PageRequest, TimeRange};

pub struct ListQuery {
    pub q: Map<String, Value>,
}

impl ListQuery {
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        match crate::body::parse_query(query)? {
            Value::Object(q) => Ok(Self { q }),
            _ => Ok(Self { q: Map::new() }),
        }
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.q.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    pub fn app_id(&self) -> Option<&str> {
        match self.q.get("app") {
            Some(Value::Object(m)) => m.get("id").and_then(Value::as_str),
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        }
    }

    /// Python sends `True`/`False`, PHP `true`/`false`, others `1`/`0`.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.str(name) {
            None => Ok(None),
            Some(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(ApiError::bad(
                    "parameter_invalid",
                    format!("Invalid parameter {name}: must be true or false."),
                    Some(name),
                )),
            },
        }
    }

    pub fn limit(&self) -> Result<u64, ApiError> {
        match self.str("limit") {
            None => Ok(10),
            Some(s) => match s.parse::<u64>() {
                Ok(n) if (1..=100).contains(&n) => Ok(n),
                _ => Err(ApiError::bad(
                    "parameter_out_of_range",
                    "Parameter limit must be an integer from 1 to 100.",
                    Some("limit"),
                )),
            },
        }
    }

    pub fn created(&self) -> Result<TimeRange, ApiError> {
        let mut r = TimeRange::default();
        match self.q.get("created") {
            None => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    let param = format!("created[{k}]");
                    let n = v.as_str().and_then(|s| s.parse::<i64>().ok()).ok_or_else(|| {
                        ApiError::bad(
                            "parameter_invalid",
                            format!("Invalid parameter {param}: must be a Unix timestamp."),
                            Some(&param),
                        )
                    })?;
                    match k.as_str() {
                        "gt" => r.gt = Some(n),
                        "gte" => r.gte = Some(n),
                        "lt" => r.lt = Some(n),
                        "lte" => r.lte = Some(n),
                        _ => {
                            return Err(ApiError::bad(
                                "parameter_unsupported",
                                format!("Unsupported parameter {param}."),
                                Some(&param),
                            ))
                        }
                    }
                }
            }
            Some(Value::String(s)) => {
                r.gte = s.parse().ok();
                r.lte = r.gte;
                if r.gte.is_none() {
                    return Err(ApiError::bad(
                        "parameter_invalid",
                        "Invalid parameter created: must be a Unix timestamp.",
                        Some("created"),
                    ));
                }
            }
            Some(_) => return Err(ApiError::bad("parameter_invalid", "Invalid parameter created.", Some("created"))),
        }
        Ok(r)
    }

    /// Resolves the cursor ids to `seq`s with `lookup`, which must return
    /// `None` for ids the caller may not see.
    pub async fn page<F, Fut>(&self, lookup: F) -> Result<PageRequest, ApiError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<Option<i64>, ApiError>>,
    {
        let mut p = PageRequest { limit: self.limit()?, ..Default::default() };
        for (name, slot) in [("starting_after", &mut p.starting_after), ("ending_before", &mut p.ending_before)] {
            if let Some(id) = self.str(name) {
                let seq = lookup(id.to_owned()).await?.ok_or_else(|| {
                    ApiError::bad(
                        "parameter_invalid",
                        format!("Invalid parameter {name}: no such object {id}."),
                        Some(name),
                    )
                })?;
                *slot = Some(seq);
            }
        }
        Ok(p)
    }
}
