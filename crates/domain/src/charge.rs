use crate::channel::ChannelCode;
use crate::error::ParamError;
use crate::ids::AppId;
use crate::money::{Amount, Currency};
use crate::order_no::OrderNo;
use crate::UnixSeconds;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::net::IpAddr;

/// A charge moves `Pending → Paid | Failed | Closed` exactly once. Refunds do
/// not change it: they are tracked by amounts on the charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChargeStatus {
    Pending,
    Paid,
    Failed,
    Closed,
}

impl ChargeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Pending => "pending",
            ChargeStatus::Paid => "paid",
            ChargeStatus::Failed => "failed",
            ChargeStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(ChargeStatus::Pending),
            "paid" => Some(ChargeStatus::Paid),
            "failed" => Some(ChargeStatus::Failed),
            "closed" => Some(ChargeStatus::Closed),
            _ => None,
        }
    }
    pub fn can_become(self, next: ChargeStatus) -> bool {
        match (self, next) {
            (ChargeStatus::Pending, ChargeStatus::Paid | ChargeStatus::Failed | ChargeStatus::Closed) => true,
            (ChargeStatus::Pending, ChargeStatus::Pending)
            | (ChargeStatus::Paid, _)
            | (ChargeStatus::Failed, _)
            | (ChargeStatus::Closed, _) => false,
        }
    }
}

/// The create-charge request as it came off the wire. Values stay loosely
/// typed here so that a wrong type gets an error naming the parameter instead
/// of a generic deserialisation failure.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewChargeInput {
    pub app: Option<Value>,
    pub channel: Option<Value>,
    pub order_no: Option<Value>,
    pub amount: Option<Value>,
    pub currency: Option<Value>,
    pub client_ip: Option<Value>,
    pub subject: Option<Value>,
    pub body: Option<Value>,
    pub extra: Option<Value>,
    pub time_expire: Option<Value>,
    pub metadata: Option<Value>,
    pub description: Option<Value>,
}

/// A charge request that passed every check that needs no I/O.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCharge {
    pub app: AppId,
    pub channel: ChannelCode,
    pub order_no: OrderNo,
    pub amount: Amount,
    pub currency: Currency,
    pub client_ip: String,
    pub subject: String,
    pub body: String,
    pub extra: Map<String, Value>,
    pub time_expire: UnixSeconds,
    pub metadata: Map<String, Value>,
    pub description: Option<String>,
}

/// Ping++ default: an unpaid charge expires after a day.
pub const DEFAULT_EXPIRY_SECS: i64 = 24 * 3600;
/// Alipay and WeChat both refuse expiries further out than about 15 days.
pub const MAX_EXPIRY_SECS: i64 = 15 * 24 * 3600;

impl NewCharge {
    pub fn parse(input: NewChargeInput, now: UnixSeconds) -> Result<Self, ParamError> {
        let app = parse_app(input.app.as_ref())?;
        let channel = ChannelCode::parse(&req_str(input.channel.as_ref(), "channel")?)?;
        let rules = channel.rules();
        let order_no =
            OrderNo::parse(&req_str(input.order_no.as_ref(), "order_no")?, rules.order_no_min, rules.order_no_max)?;
        let amount = Amount::parse(req_int(input.amount.as_ref(), "amount")?, rules.max_amount, "amount")?;
        let currency = Currency::parse(&req_str(input.currency.as_ref(), "currency")?)?;
        if !rules.currencies.contains(&currency) {
            return Err(ParamError::unsupported(
                "currency",
                format!("channel {} does not support {}", channel.as_str(), currency.as_str()),
            ));
        }
        let client_ip = req_str(input.client_ip.as_ref(), "client_ip")?;
        if client_ip.parse::<IpAddr>().is_err() {
            return Err(ParamError::invalid("client_ip", "must be an IPv4 or IPv6 address"));
        }
        let subject = bounded_text(input.subject.as_ref(), "subject", 32)?;
        let body = bounded_text(input.body.as_ref(), "body", 128)?;
        let extra = opt_object(input.extra.as_ref(), "extra")?;
        for key in rules.required_extra {
            match extra.get(*key) {
                Some(Value::String(s)) if !s.is_empty() => {}
                _ => return Err(ParamError::missing(&format!("extra[{key}]"))),
            }
        }
        if !rules.one_of_extra.is_empty() {
            let present: Vec<&str> = rules
                .one_of_extra
                .iter()
                .copied()
                .filter(|key| matches!(extra.get(*key), Some(Value::String(s)) if !s.is_empty()))
                .collect();
            match present.len() {
                1 => {}
                0 => return Err(ParamError::missing(&format!("extra[{}]", rules.one_of_extra[0]))),
                _ => {
                    return Err(ParamError::invalid(
                        &format!("extra[{}]", present[1]),
                        format!("give only one of extra[{}]", rules.one_of_extra.join("], extra[")),
                    ))
                }
            }
        }
        let time_expire = match input.time_expire.as_ref() {
            None | Some(Value::Null) => now + DEFAULT_EXPIRY_SECS,
            Some(v) => {
                let t = as_int(v).ok_or_else(|| ParamError::invalid("time_expire", "must be a Unix timestamp"))?;
                if t <= now || t > now + MAX_EXPIRY_SECS {
                    return Err(ParamError::out_of_range("time_expire", "must be in the future and within 15 days"));
                }
                t
            }
        };
        let metadata = opt_object(input.metadata.as_ref(), "metadata")?;
        check_metadata(&metadata)?;
        let description = match input.description.as_ref() {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.chars().count() <= 255 => Some(s.clone()),
            Some(Value::String(_)) => return Err(ParamError::too_long("description", 255)),
            Some(_) => return Err(ParamError::invalid("description", "must be a string")),
        };
        Ok(NewCharge {
            app,
            channel,
            order_no,
            amount,
            currency,
            client_ip,
            subject,
            body,
            extra,
            time_expire,
            metadata,
            description,
        })
    }
}

/// `app` arrives as `{"id": …}` from SDKs, `app[id]=…` from forms (already
/// nested by the form decoder), or as a bare string from some older clients.
pub fn parse_app(v: Option<&Value>) -> Result<AppId, ParamError> {
    let raw = match v {
        Some(Value::Object(m)) => match m.get("id") {
            Some(Value::String(s)) => s.as_str(),
            _ => return Err(ParamError::missing("app[id]")),
        },
        Some(Value::String(s)) => s.as_str(),
        None | Some(Value::Null) => return Err(ParamError::missing("app[id]")),
        Some(_) => return Err(ParamError::invalid("app[id]", "must be an app id")),
    };
    AppId::parse(raw).ok_or_else(|| ParamError::invalid("app[id]", "not a valid app id"))
}

/// Metadata is echoed on every object and webhook, so it is bounded like
/// Stripe's: 50 keys, 40-character keys, 500-character string values.
pub fn check_metadata(m: &Map<String, Value>) -> Result<(), ParamError> {
    if m.len() > 50 {
        return Err(ParamError::out_of_range("metadata", "at most 50 keys"));
    }
    for (k, v) in m {
        if k.is_empty() || k.chars().count() > 40 {
            return Err(ParamError::invalid(&format!("metadata[{k}]"), "keys must be 1 to 40 characters"));
        }
        match v {
            Value::String(s) if s.chars().count() <= 500 => {}
            Value::Number(_) | Value::Bool(_) | Value::Null => {}
            Value::String(_) => return Err(ParamError::too_long(&format!("metadata[{k}]"), 500)),
            Value::Array(_) | Value::Object(_) => {
                return Err(ParamError::invalid(
                    &format!("metadata[{k}]"),
                    "values must be strings, numbers or booleans",
                ))
            }
        }
    }
    Ok(())
}

fn req_str(v: Option<&Value>, param: &str) -> Result<String, ParamError> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        None | Some(Value::Null) | Some(Value::String(_)) => Err(ParamError::missing(param)),
        Some(_) => Err(ParamError::invalid(param, "must be a string")),
    }
}

/// Accepts JSON integers and, for form bodies, decimal-digit strings. A
/// fractional or exponent form is refused rather than rounded.
pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        }
        _ => None,
    }
}

fn req_int(v: Option<&Value>, param: &str) -> Result<i64, ParamError> {
    match v {
        None | Some(Value::Null) => Err(ParamError::missing(param)),
        Some(v) => as_int(v).ok_or_else(|| ParamError::invalid(param, "must be an integer")),
    }
}

fn bounded_text(v: Option<&Value>, param: &str, max: usize) -> Result<String, ParamError> {
    let s = req_str(v, param)?;
    if s.chars().count() > max {
        return Err(ParamError::too_long(param, max));
    }
    Ok(s)
}

fn opt_object(v: Option<&Value>, param: &str) -> Result<Map<String, Value>, ParamError> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        // PHP clients encode an empty map as `[]`.
        Some(Value::Array(a)) if a.is_empty() => Ok(Map::new()),
        Some(_) => Err(ParamError::invalid(param, "must be an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ParamErrorCode;
    use serde_json::json;

    fn input(v: Value) -> NewChargeInput {
        serde_json::from_value(v).expect("input")
    }

    fn good() -> Value {
        json!({"app": {"id": "app_1Gqj58ynP0mHeX1q"}, "channel": "sandbox", "order_no": "123456789",
               "amount": 100, "currency": "cny", "client_ip": "127.0.0.1", "subject": "S", "body": "B"})
    }

    #[test]
    fn accepts_a_well_formed_charge() {
        let c = NewCharge::parse(input(good()), 1_000).expect("valid");
        assert_eq!(c.amount.get(), 100);
        assert_eq!(c.time_expire, 1_000 + DEFAULT_EXPIRY_SECS);
    }

    #[test]
    fn names_the_offending_parameter() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("amount", json!(0), "amount"),
            ("amount", json!(1.5), "amount"),
            ("amount", json!("12a"), "amount"),
            ("currency", json!("usd"), "currency"),
            ("channel", json!("nope"), "channel"),
            ("order_no", json!("a-b"), "order_no"),
            ("client_ip", json!("not-an-ip"), "client_ip"),
            ("subject", json!("x".repeat(33)), "subject"),
            ("app", json!({"id": "bad"}), "app[id]"),
            ("time_expire", json!(10), "time_expire"),
            ("metadata", json!({"k": {"nested": 1}}), "metadata[k]"),
            ("extra", json!("str"), "extra"),
        ];
        for (field, value, param) in cases {
            let mut v = good();
            v[field] = value;
            let err = NewCharge::parse(input(v), 1_000).expect_err(field);
            assert_eq!(err.param, param, "{field}");
        }
        let mut v = good();
        v.as_object_mut().expect("obj").remove("body");
        assert_eq!(NewCharge::parse(input(v), 1_000).expect_err("body").param, "body");
    }

    #[test]
    fn apple_takes_exactly_one_proof_of_purchase() {
        let with_extra = |extra: Value| {
            let mut v = good();
            v["channel"] = json!("apple_iap");
            v["extra"] = extra;
            NewCharge::parse(input(v), 1_000)
        };
        assert!(with_extra(json!({"signed_transaction": "a.b.c"})).is_ok());
        assert!(with_extra(json!({"receipt_data": "MIIT"})).is_ok());
        let none = with_extra(json!({})).expect_err("neither");
        assert_eq!((none.param.as_str(), none.code), ("extra[signed_transaction]", ParamErrorCode::Missing));
        let empty = with_extra(json!({"receipt_data": ""})).expect_err("empty");
        assert_eq!(empty.code, ParamErrorCode::Missing);
        let both = with_extra(json!({"signed_transaction": "a.b.c", "receipt_data": "MIIT"})).expect_err("both");
        assert_eq!((both.param.as_str(), both.code), ("extra[receipt_data]", ParamErrorCode::Invalid));
    }

    #[test]
    fn unionpay_web_products_need_a_result_url() {
        let mut v = good();
        v["channel"] = json!("upacp_pc");
        assert_eq!(NewCharge::parse(input(v.clone()), 1_000).expect_err("no url").param, "extra[result_url]");
        v["extra"] = json!({"result_url": "https://shop.example/done"});
        assert!(NewCharge::parse(input(v.clone()), 1_000).is_ok());
        // UnionPay's orderId is at least 8 characters.
        v["order_no"] = json!("1234567");
        assert_eq!(NewCharge::parse(input(v), 1_000).expect_err("short").param, "order_no");
    }

    #[test]
    fn form_style_amount_strings_are_integers() {
        let mut v = good();
        v["amount"] = json!("250");
        assert_eq!(NewCharge::parse(input(v), 0).expect("valid").amount.get(), 250);
    }

    #[test]
    fn status_transitions_happen_once() {
        assert!(ChargeStatus::Pending.can_become(ChargeStatus::Paid));
        assert!(!ChargeStatus::Paid.can_become(ChargeStatus::Paid));
        assert!(!ChargeStatus::Closed.can_become(ChargeStatus::Paid));
    }
}
