//! Ping++ object shapes. Field names, types and nulls follow the official
//! SDKs (Go `types.go`, Java `model/*.java`): extra, metadata and credential
//! are always objects, never arrays or null.

use serde_json::{json, Map, Value};
use unicharge_store::webhooks::DeliveryRow;
use unicharge_store::{ChargeRow, EventRow, RefundRow};

fn object_or_empty(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => v,
        _ => Value::Object(Map::new()),
    }
}

pub fn list(url: &str, has_more: bool, data: Vec<Value>) -> Value {
    json!({ "object": "list", "url": url, "has_more": has_more, "data": data })
}

/// `refunds` holds the charge's refunds, newest first.
pub fn charge(c: &ChargeRow, refunds: &[RefundRow]) -> Value {
    // Most credentials are objects; alipay_qr's is the bare QR string.
    let credential = match serde_json::from_str::<Value>(&c.credential) {
        Ok(Value::Object(m)) if !m.is_empty() => json!({ "object": "credential", c.channel.as_str(): m }),
        Ok(Value::String(s)) if !s.is_empty() => json!({ "object": "credential", c.channel.as_str(): s }),
        _ => json!({}),
    };
    const EMBEDDED: usize = 10;
    let data: Vec<Value> = refunds.iter().take(EMBEDDED).map(|r| refund(r, &c.order_no)).collect();
    json!({
        "id": c.id,
        "object": "charge",
        "created": c.created,
        "livemode": c.livemode,
        "paid": c.status == "paid",
        "refunded": c.amount_refunded > 0,
        "reversed": c.status == "closed",
        "app": c.app_id,
        "channel": c.channel,
        "order_no": c.order_no,
        "client_ip": c.client_ip,
        "amount": c.amount,
        "amount_settle": c.amount_settle.unwrap_or(c.amount),
        "currency": c.currency,
        "subject": c.subject,
        "body": c.body,
        "extra": object_or_empty(&c.extra),
        "time_paid": c.time_paid,
        "time_expire": c.time_expire,
        "time_settle": c.time_settle,
        "transaction_no": c.transaction_no,
        "refunds": list(&format!("/v1/charges/{}/refunds", c.id), refunds.len() > EMBEDDED, data),
        "amount_refunded": c.amount_refunded,
        "failure_code": c.failure_code,
        "failure_msg": c.failure_msg,
        "metadata": object_or_empty(&c.metadata),
        "credential": credential,
        "description": c.description,
    })
}

pub fn refund(r: &RefundRow, charge_order_no: &str) -> Value {
    json!({
        "id": r.id,
        "object": "refund",
        "order_no": r.order_no,
        "amount": r.amount,
        "created": r.created,
        "succeed": r.status == "succeeded",
        "status": r.status,
        "time_succeed": r.time_succeed,
        "description": r.description,
        "failure_code": r.failure_code,
        "failure_msg": r.failure_msg,
        "metadata": object_or_empty(&r.metadata),
        "charge": r.charge_id,
        "charge_order_no": charge_order_no,
        "transaction_no": r.transaction_no,
        "funding_source": r.funding_source,
        "currency": r.currency,
        "extra": object_or_empty(&r.extra),
    })
}

/// The event, plus its webhook deliveries (a Unicharge addition; SDKs
/// ignore fields they do not know).
pub fn event(e: &EventRow, deliveries: &[DeliveryRow]) -> Value {
    let mut v = unicharge_webhooks::event_object(e);
    let ds: Vec<Value> = deliveries.iter().filter(|d| d.event_id == e.id).map(delivery).collect();
    v["webhook_deliveries"] = Value::Array(ds);
    v
}

pub fn delivery(d: &DeliveryRow) -> Value {
    json!({
        "id": d.id,
        "object": "webhook_delivery",
        "endpoint": d.endpoint_id,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": (d.status == "pending").then_some(d.next_attempt_at / 1000),
        "last_status_code": d.last_status,
        "last_error": d.last_error,
        "last_response": d.last_response,
        "last_latency_ms": d.last_latency_ms,
        "created": d.created,
        "delivered_at": d.delivered_at.map(|t| t / 1000),
    })
}
