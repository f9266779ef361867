//! The admin API's objects: the `/v1` shapes plus what a person looking at
//! them needs (status in words, owning app and tenant, delivery attempts).
//! Never a secret: keys and endpoint secrets appear only when just created.

use serde_json::{json, Value};
use std::collections::HashMap;
use unicharge_store::admin::ChargeState;
use unicharge_store::admin_users::AdminUserRow;
use unicharge_store::notifications::NotificationRow;
use unicharge_store::webhooks::{AttemptRow, DeliveryRow};
use unicharge_store::{ApiKeyRow, AppRow, ChargeRow, EventRow, RefundRow, TenantRow};

/// Cut at a character boundary at or below `max` bytes.
pub fn excerpt(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

pub fn user(u: &AdminUserRow) -> Value {
    json!({
        "id": u.id, "object": "user", "email": u.email, "role": u.role,
        "tenant": u.tenant_id, "created": u.created,
    })
}

pub fn tenant(t: &TenantRow, apps: usize) -> Value {
    json!({ "id": t.id, "object": "tenant", "name": t.name, "created": t.created, "apps": apps })
}

pub fn app(a: &AppRow, tenant_name: Option<&str>) -> Value {
    json!({
        "id": a.id, "object": "app", "name": a.name, "tenant": a.tenant_id, "tenant_name": tenant_name,
        "request_signing": a.rsa_public_key.is_some(), "created": a.created,
    })
}

pub fn charge(c: &ChargeRow, refunds: &[RefundRow], owner: Option<&AppRow>) -> Value {
    let mut v = crate::render::charge(c, refunds);
    v["status"] = json!(ChargeState::of(c).as_str());
    v["amount_refunding"] = json!(c.amount_refunding);
    let refundable = if c.status == "paid" { c.amount - c.amount_refunded - c.amount_refunding } else { 0 };
    v["amount_refundable"] = json!(refundable.max(0));
    v["app_name"] = json!(owner.map(|a| a.name.as_str()));
    v["tenant"] = json!(owner.map(|a| a.tenant_id.as_str()));
    v
}

pub fn refund(r: &RefundRow, charge_order_no: &str, channel: Option<&str>) -> Value {
    let mut v = crate::render::refund(r, charge_order_no);
    v["app"] = json!(r.app_id);
    v["livemode"] = json!(r.livemode);
    v["channel"] = json!(channel);
    v
}

/// An event with its deliveries; `attempts` (by delivery id) only in details.
pub fn event(
    e: &EventRow,
    deliveries: &[DeliveryRow],
    urls: &HashMap<String, String>,
    attempts: Option<&HashMap<String, Vec<AttemptRow>>>,
) -> Value {
    let mut v = unicharge_webhooks::event_object(e);
    v["app"] = json!(e.app_id);
    let ds: Vec<Value> = deliveries
        .iter()
        .filter(|d| d.event_id == e.id)
        .map(|d| {
            let mut dv = crate::render::delivery(d);
            dv["endpoint_url"] = json!(urls.get(&d.endpoint_id));
            if let Some(all) = attempts {
                let list: Vec<Value> = all.get(&d.id).map(|a| a.iter().map(attempt).collect()).unwrap_or_default();
                dv["attempts_list"] = Value::Array(list);
            }
            dv
        })
        .collect();
    v["webhook_deliveries"] = Value::Array(ds);
    v
}

pub fn attempt(a: &AttemptRow) -> Value {
    json!({
        "attempt": a.attempt,
        "at": a.at / 1000,
        "at_ms": a.at,
        "status_code": a.status,
        "latency_ms": a.latency_ms,
        "response": a.response.as_deref().map(|r| excerpt(r, 1024)),
        "error": a.error,
        "node": a.node,
    })
}

pub fn notification(n: &NotificationRow) -> Value {
    let headers: Value = serde_json::from_str(&n.headers).unwrap_or_else(|_| json!({}));
    json!({
        "id": n.id, "object": "channel_notification", "channel": n.channel, "received": n.received,
        "outcome": n.outcome, "reason": n.reason, "content_type": n.content_type, "headers": headers,
        "body": n.body, "body_truncated": n.body_truncated, "charge": n.charge_id, "refund": n.refund_id,
    })
}

pub fn api_key(k: &ApiKeyRow, secret: Option<&str>) -> Value {
    let mut v = json!({
        "id": k.id, "object": "api_key", "tenant": k.tenant_id, "mode": k.mode, "hint": k.hint,
        "revoked": k.revoked, "created": k.created,
    });
    if let Some(s) = secret {
        v["secret"] = json!(s);
    }
    v
}
